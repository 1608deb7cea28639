#!/usr/bin/env bash
# The een-gallery benchmark: the release binary on EEN API v1, then on API v3, against one
# standalone simulator with injected EEN latency (and a second one that rate-limits), driven by
# oha (load), curl (single timed views) and examples/half_open.rs (slow clients); the figures of
# both side by side, against the floor EEN sets. Writes docs/BENCHMARKS.md. See
# docs/BENCHMARKS.md for what each scenario measures.
#
#   scripts/bench.sh                 full run (release build, ~5 minutes per API), writes
#                                    docs/BENCHMARKS.md
#   scripts/bench.sh --smoke         seconds, debug build, tiny counts; proves the harness runs
#                                    on each API (fails if a process does not start or a
#                                    request errors)
#
# Options: --api v1|v3|both (both), --latency-ms N (50), --jitter-ms N (5),
#          --duration SECS per load run (10), --cache-mib N (64),
#          --out FILE (docs/BENCHMARKS.md; "-" writes no file).
# A missed goal is reported as MISS, never as a failing exit status.
set -euo pipefail

cd "$(dirname "$0")/.."
COMMAND="scripts/bench.sh${*:+ $*}"

SMOKE=0
API=both
LATENCY_MS=50
JITTER_MS=5
DURATION=10
CACHE_MIB=64
OUT=docs/BENCHMARKS.md
while (($#)); do
    case "$1" in
        --smoke) SMOKE=1 ;;
        --api) API=${2-}; shift ;;
        --latency-ms) LATENCY_MS=${2-}; shift ;;
        --jitter-ms) JITTER_MS=${2-}; shift ;;
        --duration) DURATION=${2-}; shift ;;
        --cache-mib) CACHE_MIB=${2-}; shift ;;
        --out) OUT=${2-}; shift ;;
        -h | --help) awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "$0"; exit 0 ;;
        *) echo "bench: unknown option $1 (see --help)" >&2; exit 2 ;;
    esac
    shift
done
for n in "$LATENCY_MS" "$JITTER_MS" "$DURATION" "$CACHE_MIB"; do
    [[ $n =~ ^[0-9]+$ ]] || { echo "bench: not a whole number: $n" >&2; exit 2; }
done
case $API in
    v1 | v3) APIS=("$API") ;;
    both) APIS=(v1 v3) ;;
    *) echo "bench: --api is v1, v3 or both (got $API)" >&2; exit 2 ;;
esac

if ((SMOKE)); then
    # Tiny and fast: figures are printed but not judged, and nothing is written.
    LATENCY_MS=5 JITTER_MS=1 OUT=-
    COLD_CAMERAS=3 COLD_DEPTH=1
    BURSTS=1 BURST_CLIENTS=8
    WARM_VIEWS=2 WARM_INTERVAL=1
    GRID_CLIENTS=(1 4) LOAD=(-n 40)
    IMAGE_CLIENTS=8
    FILL=0
    CAMERA_CLIENTS=(4 16) SHORT_LOAD=(-z 2s -w)
    HALF_OPEN_WANTED=100
else
    COLD_CAMERAS=1000 COLD_DEPTH=3
    BURSTS=4 BURST_CLIENTS=64
    WARM_VIEWS=10 WARM_INTERVAL=3
    GRID_CLIENTS=(1 16 64 256) LOAD=(-z "${DURATION}s" -w)
    IMAGE_CLIENTS=64
    FILL=1
    CAMERA_CLIENTS=(16 64) SHORT_LOAD=("${LOAD[@]}")
    HALF_OPEN_WANTED=5000
fi
# The rate-limited EEN of scenario 7 (requests per second per session or token) and its load.
RATE_LIMIT=10 RATE_CLIENTS=16
# Scenario 8's clients: the load while the half-open connections are held.
SLOW_CLIENTS=16

log() { printf '==> %s\n' "$*" >&2; }
# Every request of the harness is bounded in time, so a hung server fails the run.
curl() { command curl --max-time 30 "$@"; }
die() { printf 'bench: FAILED: %s\n' "$*" >&2; exit 1; }

for tool in curl jq awk cargo; do
    command -v "$tool" >/dev/null || die "$tool is needed (apt-get install $tool)"
done
if ! command -v oha >/dev/null; then
    log "oha is missing: cargo install oha --locked (a few minutes, once)"
    cargo install oha --locked
    command -v oha >/dev/null || die "oha is not on PATH after cargo install (add ~/.cargo/bin)"
fi

# ---------------------------------------------------------------------------------------------
# Build, then start the simulator (loopback only).

if ((SMOKE)); then
    log "building (debug: the smoke run judges nothing)"
    cargo build --locked --quiet
    PROFILE=debug
else
    log "building the release binary"
    cargo build --release --locked --quiet
    PROFILE=release
fi
# The slow-client tool is built as a debug example in both modes: it only holds sockets, and
# an example's build brings in the dev-dependencies' features, which a debug build shares
# with `cargo test` while a release one would compile the dependency tree a third time.
log "building examples/half_open.rs"
cargo build --locked --quiet --example half_open
TARGET_DIR=$(cargo metadata --format-version 1 --no-deps | jq -r .target_directory)
BIN=$TARGET_DIR/$PROFILE/een-gallery
HALF_OPEN=$TARGET_DIR/debug/examples/half_open
[[ -x $BIN ]] || die "no binary at $BIN"
[[ -x $HALF_OPEN ]] || die "no half_open tool at $HALF_OPEN"

# Scenario 8 holds thousands of sockets: raise the open-file limit where the hard limit
# allows (the gallery raises its own to the hard limit) and hold what fits in both, with room
# for the gallery's other files and EEN connections and for the load's clients.
ulimit -n 20000 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
fd_soft=$(ulimit -n) fd_hard=$(ulimit -Hn)
[[ $fd_soft == unlimited ]] && fd_soft=1048576
[[ $fd_hard == unlimited ]] && fd_hard=1048576
HALF_OPEN_COUNT=$HALF_OPEN_WANTED
((HALF_OPEN_COUNT <= fd_soft - 64)) || HALF_OPEN_COUNT=$((fd_soft - 64))
((HALF_OPEN_COUNT <= fd_hard - 512)) || HALF_OPEN_COUNT=$((fd_hard - 512))
((HALF_OPEN_COUNT > 0)) || die "the open-file limit ($fd_soft, hard $fd_hard) leaves no room for scenario 8"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/een-bench.XXXXXX")
SIM_PID='' GALLERY_PID='' LIMITED_PID='' HALF_PID='' STARTED_PID=''

stop() { # pid: SIGTERM, up to 5 s to finish, then SIGKILL
    local pid=$1
    [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null || return 0
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 50); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
}

cleanup() {
    local status=$? f
    stop "$HALF_PID"
    stop "$GALLERY_PID"
    stop "$SIM_PID"
    stop "$LIMITED_PID"
    stop "$STARTED_PID"
    if ((status != 0)); then
        for f in sim.log gallery-v1.log gallery-v3.log sim-limited.log gallery-v1-limited.log \
            gallery-v3-limited.log half_open.err; do
            [[ -s $WORK/$f ]] && { echo "--- last lines of $f" >&2; tail -n 20 "$WORK/$f" >&2; }
        done
    fi
    rm -rf "$WORK"
    exit "$status"
}
trap cleanup EXIT
trap 'echo "bench: FAILED at line $LINENO: $BASH_COMMAND" >&2' ERR
trap 'exit 130' INT
trap 'exit 143' TERM

# Waits until a command prints something (a server announcing its address), at most 30 s.
await() { # what pid command...
    local what=$1 pid=$2 out
    shift 2
    for _ in $(seq 300); do
        kill -0 "$pid" 2>/dev/null || die "$what exited during start-up"
        out=$("$@" || true)
        [[ -n $out ]] && { printf '%s' "$out"; return 0; }
        sleep 0.1
    done
    die "$what did not start within 30 s"
}

alive() {
    kill -0 "$SIM_PID" 2>/dev/null || die "the simulator died"
    kill -0 "$GALLERY_PID" 2>/dev/null || die "the $API gallery died"
}

# Starts a simulator; sets STARTED_URL and STARTED_PID. API v3 names its API host in the token
# answer, and a token for a loopback auth host may only go to a loopback API host: the
# simulator must know its own port before it binds, so it gets a port that nothing answers on
# now, and another one should the bind still lose a race.
start_sim() { # log-name extra-flags...
    local name=$1 port
    shift
    STARTED_URL='' STARTED_PID=''
    for _ in $(seq 10); do
        port=$((20000 + RANDOM % 40000))
        (: <"/dev/tcp/127.0.0.1/$port") 2>/dev/null && continue # taken
        "$BIN" sim --bind "127.0.0.1:$port" --v3-api-host "127.0.0.1:$port" --v3-auto-approve \
            --latency-ms "$LATENCY_MS" --jitter-ms "$JITTER_MS" --no-cookie-domain "$@" >"$WORK/$name.log" 2>&1 &
        STARTED_PID=$!
        for _ in $(seq 300); do
            grep -q "listening on http://127\.0\.0\.1:$port/" "$WORK/$name.log" && { STARTED_URL=http://127.0.0.1:$port; break; }
            kill -0 "$STARTED_PID" 2>/dev/null || break
            sleep 0.1
        done
        [[ -n $STARTED_URL ]] && return 0
        kill -0 "$STARTED_PID" 2>/dev/null && die "the simulator ($name) did not start within 30 s"
        wait "$STARTED_PID" 2>/dev/null || true
        STARTED_PID=''
        grep -q 'Address already in use' "$WORK/$name.log" || die "the simulator ($name) exited during start-up"
    done
    die "found no free port for the simulator ($name) in 10 tries"
}
log "starting the simulator (latency ${LATENCY_MS} ms + jitter up to ${JITTER_MS} ms per request)"
start_sim sim
SIM=$STARTED_URL SIM_PID=$STARTED_PID

# The simulator's demo account and v3 demo client (public: `een-gallery sim` prints them).
DEMO_USERNAME=demo@een.com DEMO_PASSWORD=bettercloud
V3_CLIENT_ID=een-gallery-demo V3_CLIENT_SECRET=demo-client-secret
V3_REDIRECT=http://127.0.0.1:3333

# A v1 session of our own (for the v1 probe and camera list).
sim_session() {
    local token
    token=$(curl -sf "$SIM/g/aaa/authenticate" \
        --data-urlencode "username=$DEMO_USERNAME" --data-urlencode "password=$DEMO_PASSWORD" |
        jq -r .token)
    curl -sf -c "$WORK/cookies" "$SIM/g/aaa/authorize" --data-urlencode "token=$token" >/dev/null
}
sim_session || die "cannot log in to the simulator"

# A v3 token pair (JSON) as an operator's approval gets it: authorize (auto-approved: the
# code comes in the redirect's Location), then the code exchange. Never printed.
v3_tokens() {
    local location code
    location=$(curl -s -o /dev/null -w '%{redirect_url}' \
        "$SIM/oauth2/authorize?scope=vms.all&response_type=code&client_id=$V3_CLIENT_ID&redirect_uri=$(jq -rn --arg u "$V3_REDIRECT" '$u | @uri')")
    code=$(sed -n 's/.*[?&]code=\([^&]*\).*/\1/p' <<<"$location")
    [[ -n $code ]] || return 1
    curl -sf -u "$V3_CLIENT_ID:$V3_CLIENT_SECRET" "$SIM/oauth2/token" \
        -d grant_type=authorization_code -d scope=vms.all \
        --data-urlencode "code=$code" --data-urlencode "redirect_uri=$V3_REDIRECT" |
        jq -ce 'select(.access_token and .refresh_token and .httpsBaseUrl.hostname)'
}
# A bearer header of our own in a file (mode 0600), so the token is on no command line.
(umask 077 && v3_tokens | jq -r '"Authorization: Bearer \(.access_token)"' >"$WORK/v3.auth") ||
    die "cannot get a v3 token from the simulator"

# The cameras each API shows, straight from the simulator (before any counter is read, so it
# costs the measured runs nothing): v1's attached cameras of the device list, v3's /cameras
# (the same account, but the lists may differ: the simulator's v3 /cameras leaves out v1's
# multiview camera).
curl -sf -b "$WORK/cookies" "$SIM/g/device/list" |
    jq -r '.[] | select(.[5] == "ATTD" and (.[3] == "camera" or .[3] == "multiview_camera")) | .[1]' \
        >"$WORK/cameras-v1" || die "cannot read the simulator's device list"
curl -sf -H "@$WORK/v3.auth" "$SIM/api/v3.0/cameras?pageSize=500" |
    jq -r 'if (.nextPageToken // "") != "" then error("more than 500 cameras") else .results[].id end' \
        >"$WORK/cameras-v3" || die "cannot read the simulator's v3 camera list"
# Both APIs visit the cameras in v1's order, so the burst and warm runs pick the same cameras.
{ grep -Fx -f "$WORK/cameras-v3" "$WORK/cameras-v1" || true; grep -Fxv -f "$WORK/cameras-v1" "$WORK/cameras-v3" || true; } \
    >"$WORK/cameras-v3.ordered"
mv "$WORK/cameras-v3.ordered" "$WORK/cameras-v3"
for API in "${APIS[@]}"; do
    [[ -s $WORK/cameras-$API ]] || die "the simulator lists no $API cameras"
done

# Other gallery settings keep their defaults unless set in the environment (for experiments,
# e.g. LATEST_PREVIEW_MAX_AGE_SECS=3600); the report names any that are.
OVERRIDES=$(env | grep -E '^(CAMERA_LIST_TTL_SECS|PAGE_DEADLINE_MS|LATEST_PREVIEW_MAX_AGE_SECS|EEN_CONNECT_TIMEOUT_SECS|EEN_REQUEST_TIMEOUT_SECS|EEN_MAX_IN_FLIGHT|SHUTDOWN_TIMEOUT_SECS|LOG_FORMAT|HTTP_HEADER_TIMEOUT_SECS|MAX_CONNECTIONS|MAX_HEADER_BYTES)=' |
    sort | paste -sd' ' || true)

# Starts the gallery on $API against $SIM: v1 logged in with the demo account; v3 with a
# connection file written as `een-gallery connect` would (a fresh token pair), so it serves
# at once. $RUN names its log and data (scenario 7's gallery, against its own simulator).
# AUTH=none: the load generators sign in nowhere (a signed-in request costs one session
# lookup more; the sign-in tests prove the guard, this measures the gallery behind it).
RUN=''
start_gallery() {
    local api_env=() data=$WORK/data-$API$RUN
    case $API in
        v1) api_env=(EEN_BASE_URL="$SIM/" EEN_USERNAME="$DEMO_USERNAME" EEN_PASSWORD="$DEMO_PASSWORD") ;;
        v3)
            mkdir -p "$data"
            (umask 077 && printf '%s' "$V3_CLIENT_SECRET" >"$WORK/v3.secret")
            (umask 077 && v3_tokens | jq -e --argjson now "$(date -u +%s)" \
                '{version: 1, access_token, refresh_token, expires_at: ($now + .expires_in | todate),
                  api_host: .httpsBaseUrl.hostname, api_port: .httpsBaseUrl.port}' \
                >"$data/een-connection.json") || die "cannot connect a v3 account at the simulator"
            api_env=(EEN_CLIENT_ID="$V3_CLIENT_ID" EEN_CLIENT_SECRET_FILE="$WORK/v3.secret"
                EEN_REDIRECT_URL=http://127.0.0.1:8080/een/callback
                EEN_AUTH_URL="$SIM/" EEN_API_URL="$SIM/" DATA_DIR="$data")
            ;;
    esac
    log "starting the gallery on API $API (image cache budget ${CACHE_MIB} MiB${OVERRIDES:+; from the environment: $OVERRIDES})"
    env -u RUST_LOG -u EEN_API -u EEN_BASE_URL -u EEN_USERNAME -u EEN_PASSWORD -u EEN_PASSWORD_FILE \
        -u EEN_CLIENT_ID -u EEN_CLIENT_SECRET -u EEN_CLIENT_SECRET_FILE -u EEN_REDIRECT_URL \
        -u EEN_AUTH_URL -u EEN_API_URL -u DATA_DIR -u AUTH_USERS_FILE -u METRICS_TOKEN \
        "${api_env[@]}" AUTH=none BIND=127.0.0.1:0 IMAGE_CACHE_MIB="$CACHE_MIB" \
        "$BIN" >"$WORK/gallery-$API$RUN.log" 2>&1 &
    GALLERY_PID=$!
    cp "$WORK/cameras-$API" "$WORK/cameras"
    GALLERY=$(await "the $API gallery" "$GALLERY_PID" \
        sh -c "grep 'serving the gallery' '$WORK/gallery-$API$RUN.log' | grep -o '127\.0\.0\.1:[0-9]*' | head -n 1")
    GALLERY=http://$GALLERY
    await "the $API gallery's readiness" "$GALLERY_PID" \
        sh -c "curl -sf --max-time 2 -o /dev/null -w ok '$GALLERY/readyz'" >/dev/null
}

# ---------------------------------------------------------------------------------------------
# Helpers: simulator counters, timed views, oha runs, percentiles, process figures, results.

# The EEN endpoints (as /_sim/stats names them) that serve a camera page's images and a
# camera's latest preview, per API. A v3 page's frames come with the walk that finds them.
declare -A IMAGE_EPS=([v1]=asset_image [v3]="v3_recorded_image v3_live_image")
declare -A PREVIEW_EPS=([v1]=prev_image [v3]=v3_live_image)

# The simulator's counters, per endpoint (all statuses summed).
snapshot() {
    curl -sf "$SIM/_sim/stats" | jq -c '.requests | map_values([.[]] | add)' ||
        die "cannot read the simulator's counters"
}

# EEN calls between two snapshots, per endpoint (the counters endpoint itself left out).
calls_between() { # before after
    jq -cn --argjson a "$1" --argjson b "$2" \
        '$b | to_entries | map(select(.key != "stats") | {key, value: (.value - ($a[.key] // 0))})
         | map(select(.value > 0)) | from_entries'
}
total() { jq '[.[]] | add // 0' <<<"$1"; }
endpoints() { jq --arg e "$2" '[($e | split(" "))[] as $k | .[$k] // 0] | add' <<<"$1"; } # calls "names"
by_endpoint() { # calls views: "name n, name n" per view
    jq -r --argjson n "$2" 'to_entries | sort_by(-.value)
        | map("\(.key) \(.value / $n * 100 | round / 100)") | join(", ") | if . == "" then "-" else . end' <<<"$1"
}

# One view, timed by curl; keeps the page in $WORK/page. Prints seconds.
view() { # path
    local out code time
    out=$(curl -s -o "$WORK/page" -w '%{http_code} %{time_total}' "$GALLERY$1") ||
        die "GET $1 failed"
    read -r code time <<<"$out"
    [[ $code == 200 ]] || die "GET $1 answered $code"
    printf '%s' "$time"
}
ready_images() { { grep -o 'data-state="ready"' "$WORK/page" || true; } | wc -l; }
page_images() { { grep -o "/cameras/[0-9a-f]*/images/[0-9.]*\.jpg" "$WORK/page" || true; } | awk '!seen[$0]++'; }
# The page's Older link (`id="older"`; from a second page on, Newer comes first).
older_link() {
    { grep -o 'id="older" href="/cameras/[0-9a-f]*?before=[0-9.]*' "$WORK/page" || true; } |
        sed -n '1s/.*href="//p'
}

# An oha run; leaves its JSON in $WORK/oha.json and fails on any error or non-200 answer.
# With ALLOW_503=1 (the burst, in a full run), answers 503 (the gallery's page deadline passed
# before EEN answered) are counted by the caller instead; with LENIENT=1 (scenario 8 in a full
# run, whose goal is "no errors"), so are errors and every other status.
load() { # clients url oha-args...
    local clients=$1 url=$2
    shift 2
    oha --no-tui --output-format json -t 30s -c "$clients" "$@" "$url" >"$WORK/oha.json" ||
        die "oha failed on $url"
    ((${LENIENT:-0})) && return 0
    jq -e --argjson allowed "$( ((${ALLOW_503:-0})) && echo '["503"]' || echo '[]')" \
        '(.errorDistribution | length) == 0 and ((.statusCodeDistribution | keys) - ["200"] - $allowed) == []' \
        "$WORK/oha.json" >/dev/null ||
        die "$url: errors or non-200 answers: $(jq -c '{statusCodeDistribution, errorDistribution}' "$WORK/oha.json")"
}
oha_field() { jq -r "$1" "$WORK/oha.json"; }
oha_ms() { jq -r "$1 * 1000 | . * 10 | round / 10" "$WORK/oha.json"; }
oha_codes() { # the answers by status: "200 n, 503 n"
    jq -r '.statusCodeDistribution | to_entries | sort_by(.key) | map("\(.key) \(.value)")
        | join(", ") | if . == "" then "-" else . end' "$WORK/oha.json"
}
oha_errors() { jq '[.errorDistribution[]] | add // 0' "$WORK/oha.json"; }
oha_not_200() { jq '[.statusCodeDistribution | to_entries[] | select(.key != "200") | .value] | add // 0' "$WORK/oha.json"; }

# Nearest-rank percentile (0-100) of numbers on stdin; "-" when there are none.
percentile() {
    sort -g | awk -v q="$1" '{ v[NR] = $1 } END {
        if (NR == 0) { print "-"; exit }
        i = int(q / 100 * NR); if (i < q / 100 * NR) i++; if (i < 1) i = 1
        print v[i] }'
}
ms() { awk '{ if ($1 == "-") print "-"; else printf "%.1f\n", $1 * 1000 }'; }
fmt() { awk "BEGIN { printf \"%.${2:-1}f\", ($1) }"; } # expression [decimals]: numbers only
le() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a != "-" && a + 0 <= b + 0) }'; }
verdict() { # ok? -> MET/MISS (or "not judged" in smoke mode)
    if ((SMOKE)); then echo "not judged"; elif "$@"; then echo MET; else echo MISS; fi
}
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
CLK_TCK=$(getconf CLK_TCK)
status_kib() { awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status"; }
metric() { curl -sf "$GALLERY/metrics" | awk -v m="$1" '$1 == m { print $2 }'; }
# The gallery's own count of one kind of EEN call (ok and failed), e.g. list_previews: a v3
# "list" is a walk of several image calls, so this is what compares across the APIs.
een_calls() {
    curl -sf "$GALLERY/metrics" |
        awk -v c="call=\"$1\"" 'index($1, "een_gallery_een_calls_total{") == 1 && index($1, c) { n += $2 }
            END { print n + 0 }'
}
# Requests the simulator answered with a status, over all endpoints but its counters.
sim_status() { # status
    curl -sf "$SIM/_sim/stats" | jq --arg s "$1" '[.requests | to_entries[] | select(.key != "stats") | .value[$s] // 0] | add // 0' ||
        die "cannot read the simulator's counters"
}

# The results, per API and figure: R[api.figure].
declare -A R=()
put() { R[$API.$1]=$2; } # figure value, for the API being measured
get() { printf '%s' "${R[$1.$2]:--}"; } # api figure

# The injected EEN latency per call: the fixed part plus the mean of the uniform jitter.
MEAN_L=$(fmt "$LATENCY_MS + $JITTER_MS / 2")
LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
UPTIME_START=$(uptime)
STARTED=$(date -u '+%Y-%m-%d %H:%M UTC')

# ---------------------------------------------------------------------------------------------
# 0. EEN's round trip L as a client sees it: the injected latency plus the simulator's own
# work (it renders each frame). Timed straight against the simulator, one call at a time on
# one connection, in our own session or token, for each API: 5 calls that find a frame (v1:
# a list call; v3: the recorded image before a time) and 20 image calls, in windows hours old
# that nothing else asks for (v1 5 hours ago, v3 6).

log "0. the simulated EEN's round trip"
probe_list() { # esn seconds-ago: the v1 list call of 20 frames before then
    printf '%s/asset/list/image?id=%s&start_timestamp=%s.000&count=-20&asset_class=pre' "$SIM" "$1" \
        "$(date -u -d "@$(($(date -u '+%s') - $2))" '+%Y%m%d%H%M%S')"
}
v3_time() { # seconds-ago or a v1 timestamp: the v3 query value (+00:00, URL-encoded)
    local t=$1
    [[ $t == *.* ]] || t=$(date -u -d "@$(($(date -u '+%s') - t))" '+%Y%m%d%H%M%S').000
    printf '%s-%s-%sT%s%%3A%s%%3A%s%%2B00%%3A00' "${t:0:4}" "${t:4:2}" "${t:6:2}" "${t:8:2}" "${t:10:2}" "${t:12:6}"
}
V1_AGO=$((5 * 3600)) V3_AGO=$((6 * 3600))
probe_esn=''
while read -r esn; do
    curl -sf -b "$WORK/cookies" -o "$WORK/probe-v1.json" "$(probe_list "$esn" "$V1_AGO")" || continue
    curl -sf -b "$WORK/cookies" -o "$WORK/probe-v3.json" "$(probe_list "$esn" "$V3_AGO")" || continue
    if (($(jq 'length' "$WORK/probe-v1.json") == 20 && $(jq 'length' "$WORK/probe-v3.json") == 20)); then
        probe_esn=$esn
        break
    fi
done < <(grep -Fx -f "$WORK/cameras-v3" "$WORK/cameras-v1")
[[ -n $probe_esn ]] || die "no camera has 20 frames five and six hours ago"
probe() { # api: prints "first image" means in ms
    local args=() k ts auth=()
    for k in 1 2 3 4 5; do
        case $1 in
            v1) args+=(-o /dev/null "$(probe_list "$probe_esn" $((V1_AGO + 60 * k)))") ;;
            v3) args+=(-o /dev/null "$SIM/api/v3.0/media/recordedImage.jpeg?deviceId=$probe_esn&type=preview&timestamp__lt=$(v3_time $((V3_AGO + 60 * k)))") ;;
        esac
    done
    for ts in $(jq -r '.[].s' "$WORK/probe-$1.json"); do
        case $1 in
            v1) args+=(-o /dev/null "$SIM/asset/asset/image.jpeg?id=$probe_esn&timestamp=$ts&asset_class=pre") ;;
            v3) args+=(-o /dev/null "$SIM/api/v3.0/media/recordedImage.jpeg?deviceId=$probe_esn&type=preview&timestamp=$(v3_time "$ts")") ;;
        esac
    done
    case $1 in v1) auth=(-b "$WORK/cookies") ;; v3) auth=(-H "@$WORK/v3.auth") ;; esac
    curl -s "${auth[@]}" -w '%{http_code} %{time_total}\n' "${args[@]}" >"$WORK/probe.times" ||
        die "cannot time the simulator on $1"
    [[ $(awk '$1 != 200' "$WORK/probe.times") == '' ]] || die "the simulator answered an error on $1"
    awk 'NR <= 5 { f += $2 } NR > 5 { i += $2; n++ } END { printf "%.1f %.1f", f / 5 * 1000, i / n * 1000 }' \
        "$WORK/probe.times"
}
for API in "${APIS[@]}"; do
    read -r l_first l_image <<<"$(probe "$API")"
    put l_first "$l_first"
    put l_image "$l_image"
    put cold_floor "$(fmt "$l_first + 4 * $l_image")"
    put warm_floor "$(fmt "$l_first + $l_image")"
done

# ---------------------------------------------------------------------------------------------
# 1. Cold camera pages: distinct cameras, then their older pages (disjoint windows of 20).

cold_pages() {
    log "$API 1. cold camera pages"
    local views=0 images=0 partial=0 depth path t n newest b a before after calls floor goal p50
    head -n "$COLD_CAMERAS" "$WORK/cameras" | sed 's|^|/cameras/|' >"$WORK/next"
    : >"$WORK/cold.times"
    : >"$WORK/cold.times.newest"
    : >"$WORK/cold.times.older"
    : >"$WORK/cold.calls"
    : >"$WORK/recent"
    before=$(snapshot)
    for depth in $(seq "$COLD_DEPTH"); do
        : >"$WORK/next2"
        while read -r path; do
            b=$(snapshot)
            t=$(view "$path")
            a=$(snapshot)
            total "$(calls_between "$b" "$a")" >>"$WORK/cold.calls"
            views=$((views + 1))
            n=$(ready_images)
            images=$((images + n))
            if ((n < 20)); then
                partial=$((partial + 1))
            elif ((depth == 1)); then
                echo "$t" | tee -a "$WORK/cold.times" >>"$WORK/cold.times.newest"
            else
                echo "$t" | tee -a "$WORK/cold.times" >>"$WORK/cold.times.older"
            fi
            # Cameras whose newest frame is recent are online: used by the burst and warm runs.
            if ((depth == 1)) && ((n > 0)); then
                newest=$(page_images | sed -n 1p | sed 's|.*/images/||; s|\.jpg$||')
                [[ $newest > $(date -u -d '-10 minutes' '+%Y%m%d%H%M%S') ]] &&
                    echo "${path#/cameras/}" >>"$WORK/recent"
            fi
            older_link >>"$WORK/next2"
        done <"$WORK/next"
        mv "$WORK/next2" "$WORK/next"
    done
    after=$(snapshot)
    alive
    calls=$(calls_between "$before" "$after")
    floor=$(get "$API" cold_floor)
    goal=$(fmt "1.1 * $floor")
    p50=$(percentile 50 <"$WORK/cold.times" | ms)
    put cold_views "$views"
    put cold_timed "$(wc -l <"$WORK/cold.times")"
    put cold_p50 "$p50"
    put cold_p90 "$(percentile 90 <"$WORK/cold.times" | ms)"
    put cold_p99 "$(percentile 99 <"$WORK/cold.times" | ms)"
    put cold_p50_newest "$(percentile 50 <"$WORK/cold.times.newest" | ms)"
    put cold_p50_older "$(percentile 50 <"$WORK/cold.times.older" | ms)"
    put cold_goal "$goal"
    put cold_calls "$(fmt "$(total "$calls") / $views")"
    put cold_by_endpoint "$(by_endpoint "$calls" "$views")"
    put cold_max_calls "$(percentile 100 <"$WORK/cold.calls")"
    put cold_image_calls "$(endpoints "$calls" "${IMAGE_EPS[$API]}")"
    put cold_images "$images"
    put goal_cold "$p50 ≤ $goal ms: $(verdict le "$p50" "$goal")"
    put goal_cold_images "$(get "$API" cold_image_calls) for $images: $(verdict le "$(get "$API" cold_image_calls)" "$images")"
    put goal_cold_max "at most $(get "$API" cold_max_calls): $(verdict le "$(get "$API" cold_max_calls)" 25)"
    ((partial == 0)) || log "   ($partial pages had fewer than 20 images: left out of the percentiles)"
}

# ---------------------------------------------------------------------------------------------
# 1b. Many viewers open the same cold page at once: the images are fetched once.

cold_burst() {
    log "$API 1b. cold page, $BURST_CLIENTS viewers at once"
    local day_ago images=0 views=0 esn before after calls='{}' image_calls bursts late=0 code
    day_ago=$(date -u -d '-1 day' '+%Y%m%d%H%M%S.000')
    : >"$WORK/burst.p50"
    : >"$WORK/burst.p99"
    for esn in $(head -n "$BURSTS" "$WORK/recent"); do
        before=$(snapshot)
        # A full run reports late pages (a MISS) rather than stopping; the smoke run fails.
        ALLOW_503=$((!SMOKE)) load "$BURST_CLIENTS" "$GALLERY/cameras/$esn?before=$day_ago" -n "$BURST_CLIENTS"
        late=$((late + $(oha_field '.statusCodeDistribution["503"] // 0')))
        after=$(snapshot)
        calls=$(jq -cn --argjson s "$calls" --argjson c "$(calls_between "$before" "$after")" \
            '$s + ($c | with_entries(.value += ($s[.key] // 0)))')
        views=$((views + BURST_CLIENTS))
        oha_ms .latencyPercentiles.p50 >>"$WORK/burst.p50"
        oha_ms .latencyPercentiles.p99 >>"$WORK/burst.p99"
        # What the viewers saw (not counted); late too when EEN is still busy with the burst.
        code=$(curl -s -o "$WORK/page" -w '%{http_code}' "$GALLERY/cameras/$esn?before=$day_ago") ||
            die "GET /cameras/$esn failed"
        if [[ $code == 200 ]]; then
            images=$((images + $(ready_images)))
        elif [[ $code != 503 ]] || ((SMOKE)); then
            die "GET /cameras/$esn?before=$day_ago answered $code"
        fi
    done
    alive
    bursts=$(wc -l <"$WORK/burst.p50")
    ((bursts > 0)) || die "no camera has recent images"
    image_calls=$(endpoints "$calls" "${IMAGE_EPS[$API]}")
    put burst_cameras "$bursts"
    put burst_views "$views"
    put burst_p50 "$(fmt "$(percentile 50 <"$WORK/burst.p50")")"
    put burst_p99 "$(fmt "$(percentile 100 <"$WORK/burst.p99")")"
    put burst_calls "$(fmt "$(total "$calls") / $views" 2)"
    put burst_by_endpoint "$(by_endpoint "$calls" "$views")"
    put burst_image_calls "$image_calls"
    put burst_images "$images"
    put burst_late "$late"
    put goal_burst "$image_calls for $images: $(verdict le "$image_calls" "$images")"
    put goal_burst_late "$late of $views late: $(verdict test "$late" -eq 0)"
}

# ---------------------------------------------------------------------------------------------
# 2. Warm camera page: the same camera again every few seconds; only new images are fetched.

warm_page() {
    log "$API 2. warm camera page, every ${WARM_INTERVAL} s"
    local esn t new calls before after floor goal p50 new_total=0 image_calls=0 min=999 max=0
    local sum='{}'
    esn=$(head -n 1 "$WORK/recent")
    view "/cameras/$esn" >/dev/null # the views below each follow one a few seconds older
    page_images >"$WORK/seen"
    : >"$WORK/warm.times"
    : >"$WORK/warm.all"
    for _ in $(seq "$WARM_VIEWS"); do
        sleep "$WARM_INTERVAL"
        before=$(snapshot)
        t=$(view "/cameras/$esn")
        after=$(snapshot)
        page_images >"$WORK/shown"
        new=$(grep -cvxF -f "$WORK/seen" "$WORK/shown" || true)
        mv "$WORK/shown" "$WORK/seen"
        calls=$(calls_between "$before" "$after")
        sum=$(jq -cn --argjson s "$sum" --argjson c "$calls" \
            '$s + ($c | with_entries(.value += ($s[.key] // 0)))')
        new_total=$((new_total + new))
        image_calls=$((image_calls + $(endpoints "$calls" "${IMAGE_EPS[$API]}")))
        ((new < min)) && min=$new
        ((new > max)) && max=$new
        echo "$t" >>"$WORK/warm.all"
        ((new <= 5)) && echo "$t" >>"$WORK/warm.times"
    done
    alive
    floor=$(get "$API" warm_floor)
    goal=$(fmt "1.1 * $floor")
    p50=$(percentile 50 <"$WORK/warm.times" | ms)
    put warm_views "$WARM_VIEWS"
    put warm_new "$min–$max"
    put warm_timed "$(wc -l <"$WORK/warm.times")"
    put warm_p50 "$p50"
    put warm_p90 "$(percentile 90 <"$WORK/warm.times" | ms)"
    put warm_p99 "$(percentile 99 <"$WORK/warm.all" | ms)"
    put warm_goal "$goal"
    put warm_calls "$(fmt "$(total "$sum") / $WARM_VIEWS")"
    put warm_by_endpoint "$(by_endpoint "$sum" "$WARM_VIEWS")"
    put warm_image_calls "$image_calls"
    put warm_new_total "$new_total"
    put goal_warm "$p50 ≤ $goal ms: $(verdict le "$p50" "$goal")"
    put goal_warm_images "$image_calls for $new_total: $(verdict le "$image_calls" "$new_total")"
}

# ---------------------------------------------------------------------------------------------
# Fill the image cache past its budget with older pages, so the memory figure means something
# and the load runs below meet a full cache.

fill_cache() {
    local avg pages hours_ago i recent bad
    # The mean size of the warm page's images (cached: this costs no EEN call).
    avg=$(page_images | while read -r img; do
        curl -sf -o /dev/null -w '%{size_download}\n' "$GALLERY$img"
    done | awk '{ s += $1 } END { printf "%.0f", NR ? s / NR : 0 }')
    ((avg > 0)) || die "cannot size the images"
    pages=$(fmt "1.5 * $CACHE_MIB * 1048576 / (20 * $avg)" 0)
    log "$API filling the image cache: $pages older pages (images average $avg bytes)"
    hours_ago=$(date -u -d '-2 hours' '+%s')
    recent=$(wc -l <"$WORK/recent")
    i=0
    while ((i < pages)); do
        while read -r esn && ((i < pages)); do
            # Windows 10 minutes apart never share a frame (a camera makes one every 16 s or
            # more often: 20 frames span at most 320 s).
            echo "/cameras/$esn?before=$(date -u -d "@$((hours_ago - 600 * (i / recent)))" '+%Y%m%d%H%M%S').000"
            i=$((i + 1))
        done <"$WORK/recent"
    done >"$WORK/fill"
    xargs -P 8 -I{} curl -s --max-time 30 -o /dev/null -w '%{http_code}\n' "$GALLERY{}" <"$WORK/fill" >"$WORK/fill.codes"
    bad=$(grep -cvx 200 "$WORK/fill.codes" || true)
    ((bad == 0)) || die "$bad cache-filling pages did not answer 200"
    alive
}

# ---------------------------------------------------------------------------------------------
# 3. The grid at rising concurrency.

grid() {
    log "$API 3. grid"
    # A camera's latest preview is reused for this long: one EEN call per camera per lifetime.
    local max_age=${LATEST_PREVIEW_MAX_AGE_SECS:-5} cameras clients before after cpu0 cpu1
    local views calls preview_calls bound over=''
    cameras=$(wc -l <"$WORK/cameras")
    for clients in "${GRID_CLIENTS[@]}"; do
        before=$(snapshot)
        cpu0=$(cpu_ticks "$GALLERY_PID")
        load "$clients" "$GALLERY/" "${LOAD[@]}"
        cpu1=$(cpu_ticks "$GALLERY_PID")
        after=$(snapshot)
        views=$(oha_field '.statusCodeDistribution["200"]')
        calls=$(calls_between "$before" "$after")
        preview_calls=$(endpoints "$calls" "${PREVIEW_EPS[$API]}")
        bound=$(fmt "$cameras * (int($(oha_field .summary.total) / $max_age) + 1)" 0)
        le "$preview_calls" "$bound" || over+="${over:+, }$preview_calls > $bound at $clients clients"
        put "grid_rps_$clients" "$(fmt "$(oha_field .summary.requestsPerSec)" 0)"
        put "grid_lat_$clients" "$(oha_ms .latencyPercentiles.p50) / $(oha_ms .latencyPercentiles.p99)"
        put "grid_calls_$clients" "$(fmt "$(total "$calls") / $views" 3)"
        put "grid_previews_$clients" "$preview_calls ≤ $bound"
        put "grid_cpu_$clients" "$(fmt "($cpu1 - $cpu0) * 1000000 / $CLK_TCK / $views" 0)"
        alive
    done
    [[ -n ${R[$API.grid_rps_64]-} ]] &&
        put goal_grid "$(get "$API" grid_rps_64) ≥ 5000: $(verdict le 5000 "$(get "$API" grid_rps_64)")"
    put goal_grid_previews "${over:-every run within}: $(verdict test -z "$over")"
}

# ---------------------------------------------------------------------------------------------
# 4. One cached image by timestamp, many clients.

cached_image() {
    log "$API 4. cached image"
    local image before after cpu0 cpu1 views rps calls image_calls
    image=$(page_images | sed -n 1p)
    view "$image" >/dev/null # make sure it is cached (the fill may have evicted it)
    before=$(snapshot)
    cpu0=$(cpu_ticks "$GALLERY_PID")
    load "$IMAGE_CLIENTS" "$GALLERY$image" "${LOAD[@]}"
    cpu1=$(cpu_ticks "$GALLERY_PID")
    after=$(snapshot)
    alive
    views=$(oha_field '.statusCodeDistribution["200"]')
    rps=$(fmt "$(oha_field .summary.requestsPerSec)" 0)
    calls=$(calls_between "$before" "$after")
    image_calls=$(endpoints "$calls" "${IMAGE_EPS[$API]}")
    put image_requests "$views"
    put image_rps "$rps"
    put image_lat "$(oha_ms .latencyPercentiles.p50) / $(oha_ms .latencyPercentiles.p99)"
    put image_cpu "$(fmt "($cpu1 - $cpu0) * 1000000 / $CLK_TCK / $views" 0)"
    put image_calls "$(fmt "$(total "$calls") / $views" 3)"
    put goal_image "$rps ≥ 20000: $(verdict le 20000 "$rps")"
    put goal_image_calls "$image_calls for $views requests: $(verdict le "$image_calls" 0)"
}

# ---------------------------------------------------------------------------------------------
# 5. One online camera's newest page under load: viewers share its listing, which is reused
# for the latest-preview lifetime, so EEN list calls grow with cameras viewed, not viewers.

camera_load() {
    local esn clients before after l0 l1 cpu0 cpu1 secs pages answered lists worst=0 calls first
    esn=$(head -n 1 "$WORK/recent")
    log "$API 5. camera page under load (/cameras/$esn)"
    view "/cameras/$esn" >/dev/null
    for clients in "${CAMERA_CLIENTS[@]}"; do
        before=$(snapshot)
        l0=$(een_calls list_previews)
        cpu0=$(cpu_ticks "$GALLERY_PID")
        # A full run reports late pages (503) rather than stopping; the smoke run fails.
        ALLOW_503=$((!SMOKE)) load "$clients" "$GALLERY/cameras/$esn" "${LOAD[@]}"
        cpu1=$(cpu_ticks "$GALLERY_PID")
        l1=$(een_calls list_previews)
        after=$(snapshot)
        secs=$(oha_field .summary.total)
        pages=$(oha_field '.statusCodeDistribution["200"] // 0')
        answered=$(jq '[.statusCodeDistribution[]] | add // 0' "$WORK/oha.json")
        calls=$(calls_between "$before" "$after")
        lists=$(fmt "($l1 - $l0) / $secs" 2)
        le "$lists" "$worst" || worst=$lists
        put "camera_rps_$clients" "$(fmt "$pages / $secs" 0)"
        put "camera_lat_$clients" "$(oha_ms .latencyPercentiles.p50) / $(oha_ms .latencyPercentiles.p99)"
        put "camera_late_$clients" "$(oha_field '.statusCodeDistribution["503"] // 0') of $answered"
        put "camera_lists_$clients" "$lists ($((l1 - l0)) in $(fmt "$secs") s)"
        put "camera_een_$clients" "$(fmt "$(total "$calls") / $secs")"
        put "camera_by_endpoint_$clients" "$(by_endpoint "$calls" "$secs")"
        put "camera_cpu_$clients" "$(fmt "($cpu1 - $cpu0) * 1000000 / $CLK_TCK / ($answered > 0 ? $answered : 1)" 0)"
        alive
    done
    first=${CAMERA_CLIENTS[0]}
    put goal_camera "$(get "$API" "camera_rps_$first") ≥ 10000: $(verdict le 10000 "$(get "$API" "camera_rps_$first")")"
    put goal_camera_lists "at most $worst: $(verdict le "$worst" 2)"
}

# ---------------------------------------------------------------------------------------------
# 6. Peak resident memory of the gallery over sections 1-5.

memory() {
    local hwm
    hwm=$(fmt "$(status_kib "$GALLERY_PID" VmHWM) / 1024")
    put mem_hwm "$hwm"
    put mem_rss "$(fmt "$(status_kib "$GALLERY_PID" VmRSS) / 1024")"
    put mem_cache "$(fmt "$(metric een_gallery_image_cache_bytes) / 1048576")"
    put goal_mem "$hwm ≤ $((CACHE_MIB + 40)) MiB: $(verdict le "$hwm" $((CACHE_MIB + 40)))$( ((FILL)) || echo ' (cache not filled)')"
}

# ---------------------------------------------------------------------------------------------
# 7. A rate-limited EEN: a simulator of its own allowing RATE_LIMIT requests per second per
# session (v1) or token (v3), a fresh gallery against it, and a mix of pages that wants far
# more: grids of random cameras and camera pages of old windows (21 EEN calls each, cold).

rate_limited() {
    # Everything called from here (start_gallery, snapshot, sim_status, alive) meets the
    # rate-limited simulator: bash's locals are seen by the functions a function calls.
    local SIM=$LIMITED_URL SIM_PID=$LIMITED_PID RUN=-limited
    local before after r0 r1 secs calls n refused rate bound share poller burst_429 burst_n
    log "$API 7. rate-limited EEN ($RATE_LIMIT requests/s), $RATE_CLIENTS clients"
    start_gallery
    # Distinct windows, hours to 6 days old, none shared with another page of the list.
    jq -rn --rawfile cams "$WORK/cameras" --arg g "$GALLERY" --argjson now "$(date -u +%s)" '
        ($cams | split("\n") | map(select(. != ""))) as $c
        | range(2000) as $i
        | if $i % 2 == 0 then "\($g)/?seed=\($i * 7919 + 1)"
          else "\($g)/cameras/\($c[$i % ($c | length)])?before=\(($now - 3600 - ($i * 15013) % 518400)
              | strftime("%Y%m%d%H%M%S")).000" end' >"$WORK/limited.urls"
    before=$(snapshot)
    r0=$(sim_status 429)
    # The first burst apart: the requests in flight when EEN first refuses are refused
    # together, before any answer can teach the gallery the limit. One second after the
    # first 429, the 429s and requests so far are noted; what follows is the paced part.
    (
        until (($(sim_status 429) > r0)); do sleep 0.05; done
        sleep 1
        echo "$(sim_status 429) $(total "$(calls_between "$before" "$(snapshot)")")"
    ) >"$WORK/limited.burst" 2>/dev/null &
    poller=$!
    # Pages that say EEN is busy (503) are what the gallery should answer here.
    ALLOW_503=1 load "$RATE_CLIENTS" "$WORK/limited.urls" --urls-from-file "${SHORT_LOAD[@]}"
    r1=$(sim_status 429)
    after=$(snapshot)
    kill "$poller" 2>/dev/null || true
    wait "$poller" 2>/dev/null || true
    alive
    secs=$(oha_field .summary.total)
    calls=$(calls_between "$before" "$after")
    n=$(total "$calls")
    # No line: no 429 came, or it came in the load's last second (all of them the burst).
    read -r burst_429 burst_n <"$WORK/limited.burst" || { burst_429=$r1 burst_n=$n; }
    refused=$((r1 - r0))
    rate=$(fmt "$n / $secs")
    bound=$(fmt "1.2 * $RATE_LIMIT")
    share=$(fmt "100 * $refused / ($n > 0 ? $n : 1)")
    put limited_calls "$n in $(fmt "$secs") s"
    put limited_rate "$rate"
    put limited_by_endpoint "$(by_endpoint "$calls" "$secs")"
    put limited_429 "$refused ($share %)"
    local after_429=$((r1 - burst_429)) after_n=$((n - burst_n)) after_share
    after_share=$(fmt "100 * $after_429 / ($after_n > 0 ? $after_n : 1)")
    put limited_429_burst "$((burst_429 - r0)) of $burst_n"
    put limited_429_after "$after_429 of $after_n ($after_share %)"
    put limited_pages "$(fmt "$(oha_field .summary.requestsPerSec)" 0)"
    put limited_codes "$(oha_codes)"
    put limited_lat "$(oha_ms .latencyPercentiles.p50) / $(oha_ms .latencyPercentiles.p99)"
    put limited_pace_rate "$(metric een_gallery_een_pace_rate)"
    put limited_pace_waits "$(metric een_gallery_een_pace_waits_total) ($(metric een_gallery_een_pace_wait_seconds_total) s)"
    put limited_pace_429 "$(metric een_gallery_een_rate_limited_total)"
    put limited_pace_refused "$(metric een_gallery_een_pace_refused_total)"
    put goal_limited "$rate/s ≤ $bound/s: $(verdict le "$rate" "$bound")"
    put goal_limited_429 "$after_429 of $after_n ($after_share %): $(verdict le "$after_share" 5)"
    stop "$GALLERY_PID"
    GALLERY_PID=''
}

# ---------------------------------------------------------------------------------------------
# 8. Slow connections: HALF_OPEN_COUNT connections that send part of a request head and then
# nothing (examples/half_open.rs, which opens a new one for each the server closes), while
# normal clients are served; the server must close each after the header timeout.

slow_connections() {
    local timeout=${HTTP_HEADER_TIMEOUT_SECS:-5} out p99 p99_fresh bad held_max ok
    log "$API 8. slow connections: $HALF_OPEN_COUNT half-open, then the grid and /healthz"
    "$HALF_OPEN" "${GALLERY#http://}" "$HALF_OPEN_COUNT" $((timeout + 2)) \
        >"$WORK/half_open.out" 2>"$WORK/half_open.err" &
    HALF_PID=$!
    await "the half-open client" "$HALF_PID" grep -m 1 '^held' "$WORK/half_open.out" >/dev/null
    # A full run reports errors (a MISS) rather than stopping; the smoke run fails.
    LENIENT=$((!SMOKE)) load "$SLOW_CLIENTS" "$GALLERY/" "${SHORT_LOAD[@]}"
    p99=$(oha_ms .latencyPercentiles.p99)
    bad=$(($(oha_errors) + $(oha_not_200)))
    put slow_rps "$(fmt "$(oha_field .summary.requestsPerSec)" 0)"
    put slow_lat "$(oha_ms .latencyPercentiles.p50) / $p99"
    put slow_bad "$(oha_errors) errors; $(oha_codes)"
    put slow_rss "$(fmt "$(status_kib "$GALLERY_PID" VmRSS) / 1024")"
    # New connections too, one request each: a visitor who arrives during the attack.
    LENIENT=$((!SMOKE)) load 4 "$GALLERY/healthz" -n $((SMOKE ? 20 : 500)) --disable-keepalive
    p99_fresh=$(oha_ms .latencyPercentiles.p99)
    bad=$((bad + $(oha_errors) + $(oha_not_200)))
    put slow_fresh_lat "$(oha_ms .latencyPercentiles.p50) / $p99_fresh"
    put slow_fresh_bad "$(oha_errors) errors; $(oha_codes)"
    alive
    # Stopped, the tool waits up to timeout + 2 s for the server to close the last round.
    kill -TERM "$HALF_PID" 2>/dev/null || true # if it died, `wait` below says how
    for _ in $(seq $(((timeout + 10) * 10))); do
        kill -0 "$HALF_PID" 2>/dev/null || break
        sleep 0.1
    done
    kill -0 "$HALF_PID" 2>/dev/null && die "the half-open client did not stop"
    wait "$HALF_PID" || die "the half-open client failed: $(cat "$WORK/half_open.err")"
    HALF_PID=''
    out=$(grep '^opened=' "$WORK/half_open.out") || die "the half-open client reported nothing"
    field() { sed -n "s/.* $1=\([0-9]*\).*/\1/p" <<<" $out"; } # name: from the tool's last line
    held_max=$(fmt "$(field held_max_ms) / 1000")
    put slow_count "$HALF_OPEN_COUNT (of $HALF_OPEN_WANTED wanted; open-file limit $fd_soft)"
    put slow_opened "$(field opened)"
    put slow_closed "$(field closed)"
    put slow_held "$(fmt "$(field held_min_ms) / 1000") – $held_max"
    put slow_open_after "$(field still_open)"
    put slow_reopen_errors "$(field errors)"
    ok=0
    le "$p99" 100 && le "$p99_fresh" 100 && ((bad == 0)) && ok=1
    put goal_slow "p99 $p99 / $p99_fresh ≤ 100 ms, $bad failed: $(verdict test "$ok" -eq 1)"
    ok=0
    (($(field still_open) == 0)) && le "$held_max" $((timeout + 2)) && ok=1
    put goal_slow_closed "$(field still_open) of $(field opened) left, longest held $held_max s: $(verdict test "$ok" -eq 1)"
}

for API in "${APIS[@]}"; do
    start_gallery
    cold_pages
    cold_burst
    warm_page
    ((FILL)) && fill_cache
    grid
    cached_image
    camera_load
    memory
    slow_connections
    stop "$GALLERY_PID"
    GALLERY_PID=''
done

log "starting the rate-limited simulator ($RATE_LIMIT requests/s per session or token)"
start_sim sim-limited --rate-limit "$RATE_LIMIT"
LIMITED_URL=$STARTED_URL LIMITED_PID=$STARTED_PID
for API in "${APIS[@]}"; do
    rate_limited
done
stop "$LIMITED_PID"
LIMITED_PID=''

LOAD_END=$(cut -d' ' -f1-3 /proc/loadavg)
UPTIME_END=$(uptime)

# ---------------------------------------------------------------------------------------------
# The report: one table per scenario, a column per API.

section() { # heading first-column-title: a blank line, the heading, the table's head
    printf '\n### %s\n\n' "$1"
    thead "$2"
}
thead() { # first-column title
    local line="| $1 |" rule='|---|' api
    for api in "${APIS[@]}"; do line+=" $api |" rule+='---:|'; done
    printf '%s\n%s\n' "$line" "$rule"
}
trow() { # label figure
    local line="| $1 |" api
    for api in "${APIS[@]}"; do line+=" $(get "$api" "$2") |"; done
    printf '%s\n' "$line"
}
{
    if [[ -n ${R[v3.goal_cold]-} ]]; then
        printf -- '**Goal (issue 12): v3 cold page p50 ≤ 1.1 × (L + 4 L): %s ms ≤ 1.1 × (%s + 4 × %s) = %s ms: %s**\n\n' \
            "$(get v3 cold_p50)" "$(get v3 l_first)" "$(get v3 l_image)" "$(get v3 cold_goal)" \
            "$(verdict le "$(get v3 cold_p50)" "$(get v3 cold_goal)")"
    fi
    printf '### Goals\n\n'
    thead Goal
    trow "Cold page p50 ≤ 1.1 × floor (L + 4 L)" goal_cold
    trow "Cold pages: EEN image calls ≤ distinct images shown" goal_cold_images
    trow "Cold pages: at most 25 EEN calls per view" goal_cold_max
    trow "$BURST_CLIENTS viewers of one cold page: EEN image calls ≤ images shown" goal_burst
    trow "$BURST_CLIENTS viewers of one cold page: every one gets the page (no 503)" goal_burst_late
    trow "Warm page (≤ 5 new images) p50 ≤ 1.1 × floor (L + L)" goal_warm
    trow "Warm pages: EEN image calls ≤ new images" goal_warm_images
    trow "Grid at 64 clients ≥ 5,000 req/s" goal_grid
    trow "Grid: ≤ 1 latest-preview EEN call per camera per ${LATEST_PREVIEW_MAX_AGE_SECS:-5} s" goal_grid_previews
    trow "Cached image ≥ 20,000 req/s" goal_image
    trow "Cached image: no EEN image call" goal_image_calls
    trow "Camera page at ${CAMERA_CLIENTS[0]} clients ≥ 10,000 pages/s" goal_camera
    trow "Camera page: ≤ 2 EEN list calls per camera per second" goal_camera_lists
    trow "Peak memory ≤ cache budget + 40 MiB" goal_mem
    trow "Rate-limited EEN: EEN requests ≤ 1.2 × allowed" goal_limited
    trow "Rate-limited EEN: after the first burst, ≤ 5 % of EEN requests answered 429" goal_limited_429
    trow "$HALF_OPEN_COUNT half-open connections held: served p99 ≤ 100 ms, none failed" goal_slow
    trow "Half-open connections: all closed by the server after the header timeout" goal_slow_closed
    section "0. EEN's round trip L (straight to the simulator, one call at a time)" "ms"
    trow "L, a call that finds a frame (v1: list of 20; v3: recorded image before a time)" l_first
    trow "L, an image" l_image
    trow "Cold page floor, L + 4 L (find the frames, 4 rounds of 5 images)" cold_floor
    trow "Warm page floor, L + L" warm_floor
    section "1. Cold camera page, distinct windows of 20, one viewer" ""
    trow "Views" cold_views
    trow "… of which with 20 images (in the percentiles)" cold_timed
    trow "p50 ms" cold_p50
    trow "p90 ms" cold_p90
    trow "p99 ms" cold_p99
    trow "p50 ms, newest pages (a camera's first view)" cold_p50_newest
    trow "p50 ms, older pages (the camera seen before)" cold_p50_older
    trow "Goal: p50 ≤ 1.1 × floor, ms" cold_goal
    trow "EEN calls per view" cold_calls
    trow "… by endpoint" cold_by_endpoint
    trow "… most in one view" cold_max_calls
    trow "EEN image calls" cold_image_calls
    trow "Images shown" cold_images
    section "1b. Cold page, $BURST_CLIENTS viewers at once (a day-old window)" ""
    trow "Cameras (one burst each)" burst_cameras
    trow "Views" burst_views
    trow "p50 ms (median of the bursts)" burst_p50
    trow "p99 ms (worst burst)" burst_p99
    trow "EEN calls per view" burst_calls
    trow "… by endpoint" burst_by_endpoint
    trow "Views answered 503 (the page deadline passed first)" burst_late
    trow "EEN image calls" burst_image_calls
    trow "Images shown" burst_images
    section "2. Warm camera page, the same camera every ${WARM_INTERVAL} s" ""
    trow "Views" warm_views
    trow "New images per view" warm_new
    trow "Views with ≤ 5 new images (in p50, p90)" warm_timed
    trow "p50 ms" warm_p50
    trow "p90 ms" warm_p90
    trow "p99 ms (all views)" warm_p99
    trow "Goal: p50 ≤ 1.1 × floor, ms" warm_goal
    trow "EEN calls per view" warm_calls
    trow "… by endpoint" warm_by_endpoint
    trow "EEN image calls" warm_image_calls
    trow "New images" warm_new_total
    section "3. Grid page (9 random cameras with their latest previews)" "Clients"
    for clients in "${GRID_CLIENTS[@]}"; do
        trow "$clients: req/s" "grid_rps_$clients"
        trow "$clients: p50 / p99 ms" "grid_lat_$clients"
        trow "$clients: EEN calls per view" "grid_calls_$clients"
        trow "$clients: latest-preview EEN calls ≤ due" "grid_previews_$clients"
        trow "$clients: gallery CPU µs per view" "grid_cpu_$clients"
    done
    section "4. Cached image by timestamp, $IMAGE_CLIENTS clients" ""
    trow "Requests" image_requests
    trow "req/s" image_rps
    trow "p50 / p99 ms" image_lat
    trow "EEN calls per request" image_calls
    trow "Gallery CPU µs per request" image_cpu
    section "5. Camera page under load: one online camera's newest page" "Clients"
    for clients in "${CAMERA_CLIENTS[@]}"; do
        trow "$clients: pages/s (200)" "camera_rps_$clients"
        trow "$clients: p50 / p99 ms" "camera_lat_$clients"
        trow "$clients: answered 503" "camera_late_$clients"
        trow "$clients: EEN list calls per second (the gallery's count; v3: walks)" "camera_lists_$clients"
        trow "$clients: EEN requests per second (the simulator's count)" "camera_een_$clients"
        trow "$clients: … by endpoint, per second" "camera_by_endpoint_$clients"
        trow "$clients: gallery CPU µs per page" "camera_cpu_$clients"
    done
    section "6. Memory of the gallery after sections 1–5" "MiB"
    trow "Peak resident (VmHWM)" mem_hwm
    trow "Resident now (VmRSS)" mem_rss
    trow "Image cache holds" mem_cache
    section "7. Rate-limited EEN ($RATE_LIMIT requests/s allowed), $RATE_CLIENTS clients on grids and old camera pages" ""
    trow "EEN requests" limited_calls
    trow "EEN requests per second (allowed: $RATE_LIMIT)" limited_rate
    trow "… by endpoint, per second" limited_by_endpoint
    trow "EEN requests answered 429" limited_429
    trow "… up to 1 s after the first 429 (the burst in flight)" limited_429_burst
    trow "… after it" limited_429_after
    trow "Pages per second" limited_pages
    trow "Pages by status (200, or 503: EEN is busy)" limited_codes
    trow "p50 / p99 ms" limited_lat
    trow "Pace at the end: requests/s (een_gallery_een_pace_rate)" limited_pace_rate
    trow "Pace waits (een_gallery_een_pace_waits_total, wait_seconds_total)" limited_pace_waits
    trow "429s seen by the gallery (een_gallery_een_rate_limited_total)" limited_pace_429
    trow "Requests not sent: turn after deadline (een_gallery_een_pace_refused_total)" limited_pace_refused
    section "8. Slow connections: half-open connections held while clients are served" ""
    trow "Half-open connections held" slow_count
    trow "Grid, $SLOW_CLIENTS clients (keep-alive): req/s" slow_rps
    trow "… p50 / p99 ms" slow_lat
    trow "… failed" slow_bad
    trow "/healthz, 4 clients, a new connection each: p50 / p99 ms" slow_fresh_lat
    trow "… failed" slow_fresh_bad
    trow "Gallery resident while held (VmRSS), MiB" slow_rss
    trow "Half-open connections opened (the tool reopens each one closed)" slow_opened
    trow "… closed by the server" slow_closed
    trow "… held before the server closed them, s (min – max)" slow_held
    trow "… still open ${HTTP_HEADER_TIMEOUT_SECS:-5} + 2 s after the tool stopped reopening" slow_open_after
    trow "… reopen failures" slow_reopen_errors
} >"$WORK/tables"

echo
cat "$WORK/tables"
echo
echo "load average (1, 5, 15 min): $LOAD_START at the start, $LOAD_END at the end"
[[ -n $OVERRIDES ]] && echo "gallery settings from the environment: $OVERRIDES"

[[ $OUT == - ]] && exit 0

cpu=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
mem=$(awk '/^MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)
commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
dirty=''
# Changes to the report itself do not count.
[[ -n $(git status --porcelain --untracked-files=no -- . ":(exclude)$OUT" 2>/dev/null) ]] &&
    dirty=' (with local changes)'
{
    echo "<!-- bench:begin (written by scripts/bench.sh; edit outside these markers) -->"
    echo "## Latest run"
    echo
    echo "- Date: $STARTED"
    echo "- Command: \`$COMMAND\` (commit $commit$dirty, $PROFILE build), APIs: ${APIS[*]}, one after the other"
    echo "- Machine: $(nproc) CPUs ($cpu), $mem memory, $(uname -sr)"
    echo "- Load: \`${UPTIME_START# }\` at the start, \`${UPTIME_END# }\` at the end" \
        "(the 2 cores are shared with other work: throughput figures taken under load understate the gallery)"
    echo "- Simulated EEN: ${LATENCY_MS} ms + uniform jitter of 0–${JITTER_MS} ms per request" \
        "(mean $MEAN_L ms), one simulator for both APIs; L measured per API (table 0); load runs ${DURATION} s each"
    echo "- Gallery: defaults (see README), image cache budget ${CACHE_MIB} MiB${OVERRIDES:+; from the environment: \`$OVERRIDES\`}"
    echo
    cat "$WORK/tables"
    echo "<!-- bench:end -->"
} >"$WORK/generated"

if [[ -f $OUT ]] && grep -q '^<!-- bench:begin' "$OUT" && grep -q '^<!-- bench:end' "$OUT"; then
    awk -v gen="$WORK/generated" '
        /^<!-- bench:begin/ { while ((getline line < gen) > 0) print line; skip = 1; next }
        /^<!-- bench:end/ { skip = 0; next }
        !skip' "$OUT" >"$WORK/out"
    cat "$WORK/out" >"$OUT"
else
    mkdir -p "$(dirname "$OUT")"
    { echo "# Benchmarks"; echo; cat "$WORK/generated"; } >"$OUT"
fi
log "wrote $OUT"
