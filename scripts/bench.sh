#!/usr/bin/env bash
# The een-gallery benchmark: the release binary against the standalone simulator with injected
# EEN latency, driven by oha (load) and curl (single timed views), figures against the floor
# EEN sets. Writes docs/BENCHMARKS.md. See docs/BENCHMARKS.md for what each scenario measures.
#
#   scripts/bench.sh                 full run (release build, ~3 minutes), writes docs/BENCHMARKS.md
#   scripts/bench.sh --smoke         seconds, debug build, tiny counts; proves the harness runs
#                                    (fails if a process does not start or a request errors)
#
# Options: --latency-ms N (50), --jitter-ms N (5), --duration SECS per load run (10),
#          --cache-mib N (64), --out FILE (docs/BENCHMARKS.md; "-" writes no file).
# A missed goal is reported as MISS, never as a failing exit status.
set -euo pipefail

cd "$(dirname "$0")/.."
COMMAND="scripts/bench.sh${*:+ $*}"

SMOKE=0
LATENCY_MS=50
JITTER_MS=5
DURATION=10
CACHE_MIB=64
OUT=docs/BENCHMARKS.md
while (($#)); do
    case "$1" in
        --smoke) SMOKE=1 ;;
        --latency-ms) LATENCY_MS=$2; shift ;;
        --jitter-ms) JITTER_MS=$2; shift ;;
        --duration) DURATION=$2; shift ;;
        --cache-mib) CACHE_MIB=$2; shift ;;
        --out) OUT=$2; shift ;;
        -h | --help) sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "bench: unknown option $1 (see --help)" >&2; exit 2 ;;
    esac
    shift
done
for n in "$LATENCY_MS" "$JITTER_MS" "$DURATION" "$CACHE_MIB"; do
    [[ $n =~ ^[0-9]+$ ]] || { echo "bench: not a whole number: $n" >&2; exit 2; }
done

if ((SMOKE)); then
    # Tiny and fast: figures are printed but not judged, and nothing is written.
    LATENCY_MS=5 JITTER_MS=1 OUT=-
    COLD_CAMERAS=3 COLD_DEPTH=1
    BURSTS=1 BURST_CLIENTS=8
    WARM_VIEWS=2 WARM_INTERVAL=1
    GRID_CLIENTS=(1 4) LOAD=(-n 40)
    IMAGE_CLIENTS=8
    FILL=0
else
    COLD_CAMERAS=1000 COLD_DEPTH=3
    BURSTS=4 BURST_CLIENTS=64
    WARM_VIEWS=10 WARM_INTERVAL=3
    GRID_CLIENTS=(1 16 64 256) LOAD=(-z "${DURATION}s" -w)
    IMAGE_CLIENTS=64
    FILL=1
fi

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
# Build, then start the simulator and the gallery (loopback only, ports picked by the kernel).

if ((SMOKE)); then
    log "building (debug: the smoke run judges nothing)"
    cargo build --locked --quiet
    PROFILE=debug
else
    log "building the release binary"
    cargo build --release --locked --quiet
    PROFILE=release
fi
TARGET_DIR=$(cargo metadata --format-version 1 --no-deps | jq -r .target_directory)
BIN=$TARGET_DIR/$PROFILE/een-gallery
[[ -x $BIN ]] || die "no binary at $BIN"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/een-bench.XXXXXX")
SIM_PID='' GALLERY_PID=''

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
    local status=$?
    stop "$GALLERY_PID"
    stop "$SIM_PID"
    if ((status != 0)); then
        for f in sim.log gallery.log; do
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
    kill -0 "$GALLERY_PID" 2>/dev/null || die "the gallery died"
}

log "starting the simulator (latency ${LATENCY_MS} ms + jitter up to ${JITTER_MS} ms per request)"
"$BIN" sim --bind 127.0.0.1:0 --latency-ms "$LATENCY_MS" --jitter-ms "$JITTER_MS" \
    --no-cookie-domain >"$WORK/sim.log" 2>&1 &
SIM_PID=$!
SIM=$(await simulator "$SIM_PID" \
    sh -c "grep -o 'listening on http://127\.0\.0\.1:[0-9]*' '$WORK/sim.log' | head -n 1")
SIM=${SIM#listening on }

# The simulator's demo account (public: `een-gallery sim` prints it; sim::DEMO_USERNAME).
DEMO_USERNAME=demo@een.com DEMO_PASSWORD=bettercloud

# The attached cameras, straight from the simulator in a session of our own (before any
# counter is read, so it costs the measured runs nothing).
sim_session() {
    local token
    token=$(curl -sf "$SIM/g/aaa/authenticate" \
        --data-urlencode "username=$DEMO_USERNAME" --data-urlencode "password=$DEMO_PASSWORD" |
        jq -r .token)
    curl -sf -c "$WORK/cookies" "$SIM/g/aaa/authorize" --data-urlencode "token=$token" >/dev/null
}
sim_session || die "cannot log in to the simulator"
curl -sf -b "$WORK/cookies" "$SIM/g/device/list" |
    jq -r '.[] | select(.[5] == "ATTD" and (.[3] == "camera" or .[3] == "multiview_camera")) | .[1]' \
        >"$WORK/cameras" || die "cannot read the simulator's device list"
[[ -s $WORK/cameras ]] || die "the simulator lists no attached cameras"

# Other gallery settings keep their defaults unless set in the environment (for experiments,
# e.g. LATEST_PREVIEW_MAX_AGE_SECS=3600); the report names any that are.
OVERRIDES=$(env | grep -E '^(CAMERA_LIST_TTL_SECS|PAGE_DEADLINE_MS|LATEST_PREVIEW_MAX_AGE_SECS|EEN_CONNECT_TIMEOUT_SECS|EEN_REQUEST_TIMEOUT_SECS|EEN_MAX_IN_FLIGHT|SHUTDOWN_TIMEOUT_SECS|LOG_FORMAT)=' |
    sort | paste -sd' ' || true)
log "starting the gallery (image cache budget ${CACHE_MIB} MiB${OVERRIDES:+; from the environment: $OVERRIDES})"
env -u EEN_PASSWORD_FILE -u RUST_LOG \
    EEN_BASE_URL="$SIM/" EEN_USERNAME="$DEMO_USERNAME" EEN_PASSWORD="$DEMO_PASSWORD" \
    BIND=127.0.0.1:0 IMAGE_CACHE_MIB="$CACHE_MIB" \
    "$BIN" >"$WORK/gallery.log" 2>&1 &
GALLERY_PID=$!
GALLERY=$(await gallery "$GALLERY_PID" \
    sh -c "grep 'serving the gallery' '$WORK/gallery.log' | grep -o '127\.0\.0\.1:[0-9]*' | head -n 1")
GALLERY=http://$GALLERY
await "gallery readiness" "$GALLERY_PID" \
    sh -c "curl -sf --max-time 2 -o /dev/null -w ok '$GALLERY/readyz'" >/dev/null

# ---------------------------------------------------------------------------------------------
# Helpers: simulator counters, timed views, oha runs, percentiles, process figures.

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
endpoint() { jq --arg e "$2" '.[$e] // 0' <<<"$1"; }

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
older_link() { { grep -o "/cameras/[0-9a-f]*?before=[0-9.]*" "$WORK/page" || true; } | sed -n 1p; }

# An oha run; leaves its JSON in $WORK/oha.json and fails on any error or non-200 answer.
load() { # clients url oha-args...
    local clients=$1 url=$2
    shift 2
    oha --no-tui --output-format json -t 30s -c "$clients" "$@" "$url" >"$WORK/oha.json" ||
        die "oha failed on $url"
    jq -e '(.errorDistribution | length) == 0 and (.statusCodeDistribution | keys) == ["200"]' \
        "$WORK/oha.json" >/dev/null ||
        die "$url: errors or non-200 answers: $(jq -c '{statusCodeDistribution, errorDistribution}' "$WORK/oha.json")"
}
oha_field() { jq -r "$1" "$WORK/oha.json"; }
oha_ms() { jq -r "$1 * 1000 | . * 10 | round / 10" "$WORK/oha.json"; }

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
verdict() { # ok? -> PASS/MISS (or "not judged" in smoke mode)
    if ((SMOKE)); then echo "not judged"; elif "$@"; then echo PASS; else echo MISS; fi
}
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
CLK_TCK=$(getconf CLK_TCK)
status_kib() { awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status"; }
metric() { curl -sf "$GALLERY/metrics" | awk -v m="$1" '$1 == m { print $2 }'; }

# Rows of the results table and the goals, filled in as scenarios run.
ROWS=()
GOALS=()
row() {
    local IFS='|'
    local cells="$*"
    ROWS+=("| ${cells//|/ | } |")
}

# The injected EEN latency per call: the fixed part plus the mean of the uniform jitter.
MEAN_L=$(fmt "$LATENCY_MS + $JITTER_MS / 2")
LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
STARTED=$(date -u '+%Y-%m-%d %H:%M UTC')

# ---------------------------------------------------------------------------------------------
# 0. EEN's round trip L as a client sees it: the injected latency plus the simulator's own
# work (it renders each frame). Timed straight against the simulator, one call at a time on
# one connection, in our own session: 5 list calls and 20 image calls of a window 5 hours old.

log "0. the simulated EEN's round trip"
five_hours_ago=$(date -u -d '-5 hours' '+%s')
probe_list() { # esn k: the list call of window k
    printf '%s/asset/list/image?id=%s&start_timestamp=%s.000&count=-20&asset_class=pre' "$SIM" "$1" \
        "$(date -u -d "@$((five_hours_ago - 60 * $2))" '+%Y%m%d%H%M%S')"
}
probe_esn=''
while read -r esn; do
    curl -sf -b "$WORK/cookies" -o "$WORK/probe.json" "$(probe_list "$esn" 0)" || continue
    if (($(jq 'length' "$WORK/probe.json") == 20)); then probe_esn=$esn; break; fi
done <"$WORK/cameras"
[[ -n $probe_esn ]] || die "no camera has 20 frames five hours ago"
probe_args=()
for k in 1 2 3 4 5; do probe_args+=(-o /dev/null "$(probe_list "$probe_esn" "$k")"); done
for ts in $(jq -r '.[].s' "$WORK/probe.json"); do
    probe_args+=(-o /dev/null "$SIM/asset/asset/image.jpeg?id=$probe_esn&timestamp=$ts&asset_class=pre")
done
curl -s -b "$WORK/cookies" -w '%{http_code} %{time_total}\n' "${probe_args[@]}" >"$WORK/probe.times" ||
    die "cannot time the simulator"
[[ $(awk '$1 != 200' "$WORK/probe.times") == '' ]] || die "the simulator answered an error"
L_LIST=$(awk 'NR <= 5 { s += $2 } END { printf "%.1f", s / 5 * 1000 }' "$WORK/probe.times")
L_IMAGE=$(awk 'NR > 5 { s += $2; n++ } END { printf "%.1f", s / n * 1000 }' "$WORK/probe.times")

# ---------------------------------------------------------------------------------------------
# 1. Cold camera pages: distinct cameras, then their older pages (disjoint windows of 20).

log "1. cold camera pages"
head -n "$COLD_CAMERAS" "$WORK/cameras" | sed 's|^|/cameras/|' >"$WORK/next"
: >"$WORK/cold.times"
: >"$WORK/recent"
cold_views=0 cold_images=0 cold_partial=0
before=$(snapshot)
for depth in $(seq "$COLD_DEPTH"); do
    : >"$WORK/next2"
    while read -r path; do
        t=$(view "$path")
        cold_views=$((cold_views + 1))
        n=$(ready_images)
        cold_images=$((cold_images + n))
        if ((n == 20)); then echo "$t" >>"$WORK/cold.times"; else cold_partial=$((cold_partial + 1)); fi
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
cold_calls=$(calls_between "$before" "$after")
cold_image_calls=$(endpoint "$cold_calls" asset_image)
cold_n=$(wc -l <"$WORK/cold.times")
cold_p50=$(percentile 50 <"$WORK/cold.times" | ms)
cold_p99=$(percentile 99 <"$WORK/cold.times" | ms)
cold_floor=$(fmt "$L_LIST + 4 * $L_IMAGE")
cold_goal=$(fmt "1.1 * $cold_floor")
cold_per_view=$(fmt "$(total "$cold_calls") / $cold_views")
row "1. Cold camera page, distinct camera windows" 1 "$cold_n" - "$cold_p50" "$cold_p99" \
    "$cold_per_view" "p50 ≤ $cold_goal ms (floor $L_LIST + 4 × $L_IMAGE = $cold_floor)" \
    "$(verdict le "$cold_p50" "$cold_goal")"
GOALS+=("Cold page p50 $cold_p50 ms ≤ 1.1 × floor $cold_floor ms = $cold_goal ms: $(verdict le "$cold_p50" "$cold_goal")")
GOALS+=("Cold pages: $cold_image_calls EEN image calls for $cold_images distinct images shown: $(verdict le "$cold_image_calls" "$cold_images")")
((cold_partial == 0)) || log "   ($cold_partial pages had fewer than 20 images: left out of the percentiles)"

# ---------------------------------------------------------------------------------------------
# 1b. Many viewers open the same cold page at once: the images are fetched once.

log "1b. cold page, $BURST_CLIENTS viewers at once"
day_ago=$(date -u -d '-1 day' '+%Y%m%d%H%M%S.000')
burst_images=0 burst_views=0
: >"$WORK/burst.p50"
: >"$WORK/burst.p99"
before=$(snapshot)
for esn in $(head -n "$BURSTS" "$WORK/recent"); do
    load "$BURST_CLIENTS" "$GALLERY/cameras/$esn?before=$day_ago" -n "$BURST_CLIENTS"
    burst_views=$((burst_views + BURST_CLIENTS))
    oha_ms .latencyPercentiles.p50 >>"$WORK/burst.p50"
    oha_ms .latencyPercentiles.p99 >>"$WORK/burst.p99"
    view "/cameras/$esn?before=$day_ago" >/dev/null # what the viewers saw, now from the cache
    burst_images=$((burst_images + $(ready_images)))
done
after=$(snapshot)
alive
burst_calls=$(calls_between "$before" "$after")
# The extra view per camera above made one more list call each and no image call.
burst_image_calls=$(endpoint "$burst_calls" asset_image)
bursts=$(wc -l <"$WORK/burst.p50")
((bursts > 0)) || die "no camera has recent images"
row "1b. Cold page, $BURST_CLIENTS viewers at once (×$bursts cameras)" "$BURST_CLIENTS" "$burst_views" - \
    "$(fmt "$(percentile 50 <"$WORK/burst.p50")")" "$(fmt "$(percentile 100 <"$WORK/burst.p99")")" \
    "$(fmt "($(total "$burst_calls") - $bursts) / $burst_views" 2)" \
    "$burst_image_calls image calls for $burst_images images" \
    "$(verdict le "$burst_image_calls" "$burst_images")"
GOALS+=("$BURST_CLIENTS simultaneous viewers of a cold page: $burst_image_calls EEN image calls for $burst_images images: $(verdict le "$burst_image_calls" "$burst_images")")

# ---------------------------------------------------------------------------------------------
# 2. Warm camera page: the same camera again every few seconds; only new images are fetched.

log "2. warm camera page, every ${WARM_INTERVAL} s"
warm_esn=$(head -n 1 "$WORK/recent")
view "/cameras/$warm_esn" >/dev/null # the views below each follow one a few seconds older
page_images >"$WORK/seen"
: >"$WORK/warm.times"
: >"$WORK/warm.all"
warm_new_total=0 warm_image_calls=0 warm_calls_total=0 warm_new_min=999 warm_new_max=0
for _ in $(seq "$WARM_VIEWS"); do
    sleep "$WARM_INTERVAL"
    before=$(snapshot)
    t=$(view "/cameras/$warm_esn")
    after=$(snapshot)
    page_images >"$WORK/shown"
    new=$(grep -cvxF -f "$WORK/seen" "$WORK/shown" || true)
    mv "$WORK/shown" "$WORK/seen"
    calls=$(calls_between "$before" "$after")
    warm_new_total=$((warm_new_total + new))
    warm_image_calls=$((warm_image_calls + $(endpoint "$calls" asset_image)))
    warm_calls_total=$((warm_calls_total + $(total "$calls")))
    ((new < warm_new_min)) && warm_new_min=$new
    ((new > warm_new_max)) && warm_new_max=$new
    echo "$t" >>"$WORK/warm.all"
    ((new <= 5)) && echo "$t" >>"$WORK/warm.times"
done
alive
warm_p50=$(percentile 50 <"$WORK/warm.times" | ms)
warm_p99=$(percentile 99 <"$WORK/warm.all" | ms)
warm_floor=$(fmt "$L_LIST + $L_IMAGE")
warm_goal=$(fmt "1.1 * $warm_floor")
row "2. Warm camera page ($warm_new_min–$warm_new_max new images per view)" 1 "$WARM_VIEWS" - \
    "$warm_p50" "$warm_p99" "$(fmt "$warm_calls_total / $WARM_VIEWS")" \
    "p50 ≤ $warm_goal ms (floor $L_LIST + $L_IMAGE = $warm_floor)" \
    "$(verdict le "$warm_p50" "$warm_goal")"
GOALS+=("Warm page (≤ 5 new images) p50 $warm_p50 ms ≤ 1.1 × floor $warm_floor ms = $warm_goal ms: $(verdict le "$warm_p50" "$warm_goal")")
GOALS+=("Warm pages: $warm_image_calls EEN image calls for $warm_new_total new images: $(verdict le "$warm_image_calls" "$warm_new_total")")

# ---------------------------------------------------------------------------------------------
# Fill the image cache past its budget with older pages, so the memory figure means something
# and the load runs below meet a full cache.

if ((FILL)); then
    # The mean size of the warm page's images (cached: this costs no EEN call).
    avg=$(page_images | while read -r img; do
        curl -sf -o /dev/null -w '%{size_download}\n' "$GALLERY$img"
    done | awk '{ s += $1 } END { printf "%.0f", NR ? s / NR : 0 }')
    ((avg > 0)) || die "cannot size the images"
    pages=$(fmt "1.5 * $CACHE_MIB * 1048576 / (20 * $avg)" 0)
    log "filling the image cache: $pages older pages (images average $avg bytes)"
    hours_ago=$(date -u -d '-2 hours' '+%s')
    i=0
    while ((i < pages)); do
        while read -r esn && ((i < pages)); do
            # Windows 30 s apart never share a frame (frames come once a second).
            echo "/cameras/$esn?before=$(date -u -d "@$((hours_ago - 30 * (i / $(wc -l <"$WORK/recent"))))" '+%Y%m%d%H%M%S').000"
            i=$((i + 1))
        done <"$WORK/recent"
    done >"$WORK/fill"
    xargs -P 8 -I{} curl -s --max-time 30 -o /dev/null -w '%{http_code}\n' "$GALLERY{}" <"$WORK/fill" >"$WORK/fill.codes"
    bad=$(grep -cvx 200 "$WORK/fill.codes" || true)
    ((bad == 0)) || die "$bad cache-filling pages did not answer 200"
    alive
fi

# ---------------------------------------------------------------------------------------------
# 3. The grid at rising concurrency.

log "3. grid"
GRID_64=''
# A camera's latest preview is reused for this long: one EEN call per camera per lifetime at most.
max_age=${LATEST_PREVIEW_MAX_AGE_SECS:-5}
camera_count=$(wc -l <"$WORK/cameras")
preview_calls_total=0 preview_over=''
for clients in "${GRID_CLIENTS[@]}"; do
    before=$(snapshot)
    cpu0=$(cpu_ticks "$GALLERY_PID")
    load "$clients" "$GALLERY/" "${LOAD[@]}"
    cpu1=$(cpu_ticks "$GALLERY_PID")
    after=$(snapshot)
    views=$(oha_field '.statusCodeDistribution["200"]')
    rps=$(fmt "$(oha_field .summary.requestsPerSec)" 0)
    calls=$(calls_between "$before" "$after")
    cpu_us=$(fmt "($cpu1 - $cpu0) * 1000000 / $CLK_TCK / $views" 0)
    preview_calls=$(endpoint "$calls" prev_image)
    preview_bound=$(fmt "$camera_count * (int($(oha_field .summary.total) / $max_age) + 1)" 0)
    preview_calls_total=$((preview_calls_total + preview_calls))
    le "$preview_calls" "$preview_bound" ||
        preview_over+="${preview_over:+, }$preview_calls calls (≤ $preview_bound due) at $clients clients"
    ((clients == 64)) && GRID_64=$rps
    row "3. Grid page ($preview_calls preview calls, ≤ $preview_bound due; gallery CPU ${cpu_us} µs/view)" \
        "$clients" "$views" "$rps" \
        "$(oha_ms .latencyPercentiles.p50)" "$(oha_ms .latencyPercentiles.p99)" \
        "$(fmt "$(total "$calls") / $views" 3)" "$( ((clients == 64)) && echo '≥ 5,000 req/s')" \
        "$( ((clients == 64)) && verdict le 5000 "$rps")"
    alive
done
[[ -n $GRID_64 ]] && GOALS+=("Grid at 64 clients $GRID_64 req/s ≥ 5,000: $(verdict le 5000 "$GRID_64")")
GOALS+=("Grid: at most one latest-preview EEN call per camera per ${max_age} s preview lifetime ($camera_count cameras): ${preview_over:-every run within}: $(verdict test -z "$preview_over")")

# ---------------------------------------------------------------------------------------------
# 4. One cached image by timestamp, many clients.

log "4. cached image"
image=$(page_images | sed -n 1p)
view "$image" >/dev/null # make sure it is cached (the fill may have evicted it)
before=$(snapshot)
cpu0=$(cpu_ticks "$GALLERY_PID")
load "$IMAGE_CLIENTS" "$GALLERY$image" "${LOAD[@]}"
cpu1=$(cpu_ticks "$GALLERY_PID")
after=$(snapshot)
alive
views=$(oha_field '.statusCodeDistribution["200"]')
image_rps=$(fmt "$(oha_field .summary.requestsPerSec)" 0)
image_een=$(calls_between "$before" "$after")
image_calls=$(endpoint "$image_een" asset_image)
row "4. Cached image by timestamp (gallery CPU $(fmt "($cpu1 - $cpu0) * 1000000 / $CLK_TCK / $views" 0) µs/request)" \
    "$IMAGE_CLIENTS" "$views" "$image_rps" \
    "$(oha_ms .latencyPercentiles.p50)" "$(oha_ms .latencyPercentiles.p99)" \
    "$(fmt "$(total "$image_een") / $views" 3)" "≥ 20,000 req/s" "$(verdict le 20000 "$image_rps")"
GOALS+=("Cached image $image_rps req/s ≥ 20,000: $(verdict le 20000 "$image_rps")")
GOALS+=("Cached image: $image_calls EEN image calls for $views requests of it: $(verdict le "$image_calls" 0)")

# ---------------------------------------------------------------------------------------------
# 5. Peak resident memory of the gallery over the whole run.

hwm_mib=$(fmt "$(status_kib "$GALLERY_PID" VmHWM) / 1024")
rss_mib=$(fmt "$(status_kib "$GALLERY_PID" VmRSS) / 1024")
cache_mib=$(fmt "$(metric een_gallery_image_cache_bytes) / 1048576")
mem_goal=$((CACHE_MIB + 40))
row "5. Peak memory (VmHWM; now $rss_mib MiB, cache holds $cache_mib MiB)" - - - - - - \
    "$hwm_mib MiB ≤ $CACHE_MIB + 40 MiB" "$(verdict le "$hwm_mib" "$mem_goal")"
GOALS+=("Peak memory $hwm_mib MiB ≤ cache budget $CACHE_MIB MiB + 40 MiB: $(verdict le "$hwm_mib" "$mem_goal")$( ((FILL)) || echo ' (cache not filled in smoke mode)')")

LOAD_END=$(cut -d' ' -f1-3 /proc/loadavg)

# ---------------------------------------------------------------------------------------------
# The report.

{
    echo "| Scenario | Clients | Views | req/s | p50 ms | p99 ms | EEN calls/view | Goal | Verdict |"
    echo "|---|---:|---:|---:|---:|---:|---:|---|---|"
    printf '%s\n' "${ROWS[@]}"
} >"$WORK/table"
{
    printf -- '- %s\n' "${GOALS[@]}"
} >"$WORK/goals"

echo
cat "$WORK/table"
echo
cat "$WORK/goals"
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
    echo "- Command: \`$COMMAND\` (commit $commit$dirty, $PROFILE build)"
    echo "- Machine: $(nproc) CPUs ($cpu), $mem memory, $(uname -sr)"
    echo "- Load average (1, 5, 15 min): $LOAD_START at the start, $LOAD_END at the end"
    echo "- Simulated EEN: ${LATENCY_MS} ms + uniform jitter of 0–${JITTER_MS} ms per request" \
        "(mean $MEAN_L ms); measured round trip L: $L_LIST ms for a list call, $L_IMAGE ms for an image" \
        "(one at a time, straight to the simulator: injected latency plus its frame rendering);" \
        "load runs ${DURATION} s each"
    echo "- Gallery: defaults (see README), image cache budget ${CACHE_MIB} MiB${OVERRIDES:+; from the environment: \`$OVERRIDES\`}"
    echo
    cat "$WORK/table"
    echo
    echo "Goals:"
    echo
    cat "$WORK/goals"
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
