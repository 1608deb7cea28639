#!/usr/bin/env bash
# The replicas benchmark (issue 16): nginx in front of 1, then 2 release replicas of the gallery
# sharing one Redis (Debian's redis-server), against one simulator, all on loopback. A load
# generator (oha) views 8 cameras' pages through nginx for a while; the simulator's counters say
# how many EEN calls each view cost. Writes its table into docs/BENCHMARKS.md between the
# `replicas:begin`/`replicas:end` markers; `--smoke` runs briefly and writes nothing (CI).
#
#   bash scripts/bench-replicas.sh [--smoke] [--seconds N]
#
# Needs redis-server, nginx, curl, jq and oha (`cargo install oha`); builds the release binary
# when it is missing. Sign-in is off (AUTH=none): the load generator signs in nowhere.
set -euo pipefail
cd "$(dirname "$0")/.."

SMOKE=0 SECONDS_PER_RUN=20 CLIENTS=32 CAMERAS=8
while [[ $# -gt 0 ]]; do
    case $1 in
        --smoke) SMOKE=1 SECONDS_PER_RUN=3 ;;
        --seconds) SECONDS_PER_RUN=${2-}; shift ;;
        -h | --help) sed -n '2,11p' "$0"; exit 0 ;;
        *) echo "bench-replicas: unknown option $1" >&2; exit 2 ;;
    esac
    shift
done

die() { echo "bench-replicas: $*" >&2; exit 1; }
log() { printf '[bench-replicas] %s\n' "$*" >&2; }
for tool in redis-server redis-cli curl jq oha; do
    command -v "$tool" >/dev/null || die "needs $tool"
done
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
[[ -x $NGINX ]] || die "needs nginx"

BIN=target/release/een-gallery
if [[ ! -x $BIN ]]; then
    log "building the release binary"
    cargo build --release --locked
fi

WORK=$(mktemp -d)
PIDS=()
cleanup() {
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT

# A loopback port nothing listens on (a bind race with another program stays possible; the
# server that loses it fails to start and this script says so).
free_port() {
    local port
    for _ in $(seq 50); do
        port=$((20000 + RANDOM % 40000))
        (: <"/dev/tcp/127.0.0.1/$port") 2>/dev/null || { echo "$port"; return 0; }
    done
    die "no free port"
}

# Polls `cmd…` until it succeeds, at most 30 s, as long as process $pid lives.
await() { # what pid cmd...
    local what=$1 pid=$2
    shift 2
    for _ in $(seq 300); do
        "$@" >/dev/null 2>&1 && return 0
        kill -0 "$pid" 2>/dev/null || die "$what exited during start-up"
        sleep 0.1
    done
    die "$what did not come up within 30 s"
}

SIM_PORT=$(free_port)
"$BIN" sim --bind "127.0.0.1:$SIM_PORT" --latency-ms 50 --jitter-ms 5 --no-cookie-domain \
    >"$WORK/sim.log" 2>&1 &
PIDS+=($!)
SIM=http://127.0.0.1:$SIM_PORT
await "the simulator" "${PIDS[-1]}" curl -sf "$SIM/_sim/stats"

REDIS_PORT=$(free_port)
redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly no \
    --dir "$WORK" >"$WORK/redis.log" 2>&1 &
PIDS+=($!)
await "redis-server" "${PIDS[-1]}" sh -c "redis-cli -p $REDIS_PORT ping | grep -q PONG"

# The simulator's counters, per endpoint, and the calls between two of them.
snapshot() { curl -sf "$SIM/_sim/stats" | jq -c '.requests | map_values([.[]] | add)'; }
calls_between() {
    jq -cn --argjson a "$1" --argjson b "$2" \
        '$b | to_entries | map(select(.key != "stats") | {key, value: (.value - ($a[.key] // 0))})
         | map(select(.value > 0)) | from_entries'
}

ROWS=()
run() { # replicas
    local n=$1 ports=() upstreams='' i port nginx_port pid
    redis-cli -p "$REDIS_PORT" flushall >/dev/null
    for i in $(seq "$n"); do
        port=$(free_port)
        env -u EEN_CLIENT_ID -u EEN_API AUTH=none EEN_BASE_URL="$SIM/" EEN_USERNAME=demo@een.com \
            EEN_PASSWORD=bettercloud STORE_URL="redis://127.0.0.1:$REDIS_PORT/0" \
            DATA_DIR="$WORK/data-$n-$i" BIND="127.0.0.1:$port" RUST_LOG=warn \
            "$BIN" >"$WORK/gallery-$n-$i.log" 2>&1 &
        pid=$!
        PIDS+=("$pid")
        await "replica $i of $n" "$pid" curl -sf "http://127.0.0.1:$port/readyz"
        ports+=("$port")
        upstreams+="    server 127.0.0.1:$port;"$'\n'
    done
    nginx_port=$(free_port)
    mkdir -p "$WORK/nginx-$n"
    cat >"$WORK/nginx-$n/nginx.conf" <<EOF
daemon off;
master_process off;
worker_processes 1;
pid $WORK/nginx-$n/nginx.pid;
error_log $WORK/nginx-$n/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path $WORK/nginx-$n/body;
  proxy_temp_path $WORK/nginx-$n/proxy;
  fastcgi_temp_path $WORK/nginx-$n/fastcgi;
  uwsgi_temp_path $WORK/nginx-$n/uwsgi;
  scgi_temp_path $WORK/nginx-$n/scgi;
  upstream gallery {
$upstreams    keepalive 64;
  }
  server {
    listen 127.0.0.1:$nginx_port;
    location / {
      proxy_pass http://gallery;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
    }
  }
}
EOF
    "$NGINX" -p "$WORK/nginx-$n" -c "$WORK/nginx-$n/nginx.conf" -e "$WORK/nginx-$n/error.log" &
    pid=$!
    PIDS+=("$pid")
    local front=http://127.0.0.1:$nginx_port
    await "nginx" "$pid" curl -sf "$front/healthz"

    # The same 8 cameras each run: the first ones of the account's list.
    curl -sf "$front/cameras" | grep -o 'data-esn="[0-9a-f]*"' | head -n "$CAMERAS" \
        | sed "s|data-esn=\"\\(.*\\)\"|$front/cameras/\\1|" >"$WORK/urls"
    [[ $(wc -l <"$WORK/urls") -eq $CAMERAS ]] || die "found fewer than $CAMERAS cameras"
    local before after calls
    before=$(snapshot)
    oha -z "${SECONDS_PER_RUN}s" -c "$CLIENTS" --no-tui --output-format json \
        --urls-from-file "$WORK/urls" >"$WORK/oha-$n.json"
    after=$(snapshot)
    calls=$(calls_between "$before" "$after")
    local views rps p50 total images lists
    views=$(jq '.statusCodeDistribution["200"] // 0' "$WORK/oha-$n.json")
    rps=$(jq '.summary.requestsPerSec | round' "$WORK/oha-$n.json")
    p50=$(jq '.latencyPercentiles.p50 * 1000 * 10 | round / 10' "$WORK/oha-$n.json")
    total=$(jq '[.[]] | add // 0' <<<"$calls")
    images=$(jq '.asset_image // 0' <<<"$calls")
    lists=$(jq '.list_image // 0' <<<"$calls")
    [[ $views -gt 0 ]] || die "no page answered 200 with $n replicas"
    log "$n replica(s): $views views, $rps pages/s, p50 $p50 ms, EEN calls $total ($calls)"
    ROWS+=("| $n | $views | $rps | $p50 | $total | $(jq -n "$total / $views * 1000 | round / 1000") | $images | $lists |")
    for pid in "${PIDS[@]:2}"; do kill "$pid" 2>/dev/null || true; done
    for pid in "${PIDS[@]:2}"; do wait "$pid" 2>/dev/null || true; done
    PIDS=("${PIDS[@]:0:2}")
}

run 1
run 2

TABLE=$(
    cat <<EOF
<!-- replicas:begin -->
### Replicas behind nginx, sharing one Redis

\`bash scripts/bench-replicas.sh\` ($(date -u +%Y-%m-%d), $(nproc) cores, API v1, AUTH=none): nginx
round-robin in front of the replicas, one redis-server (STORE_URL), the simulator at 50 ms + up
to 5 ms per call; oha with $CLIENTS clients for ${SECONDS_PER_RUN} s on the pages of the same
$CAMERAS cameras, starting with empty caches (Redis flushed, new processes).

| replicas | views | pages/s | p50 ms | EEN calls | per view | image calls | list calls |
|---|---|---|---|---|---|---|---|
$(printf '%s\n' "${ROWS[@]}")

Images, listings and latest previews are asked of EEN about once for both replicas (the
shared store): two replicas cost EEN what one does. On 2 cores both replicas and nginx share
the same CPUs, so pages/s shows the overhead of the extra hop more than the gain of a second machine.
<!-- replicas:end -->
EOF
)
printf '%s\n' "$TABLE"
if [[ $SMOKE -eq 0 ]]; then
    doc=docs/BENCHMARKS.md
    if grep -q 'replicas:begin' "$doc"; then
        awk -v table="$TABLE" '
            /replicas:begin/ { print table; skip = 1; next }
            /replicas:end/ { skip = 0; next }
            !skip { print }' "$doc" >"$WORK/doc" && cp "$WORK/doc" "$doc"
    else
        printf '\n%s\n' "$TABLE" >>"$doc"
    fi
    log "wrote the table into $doc"
fi
