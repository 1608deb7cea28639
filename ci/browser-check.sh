#!/usr/bin/env bash
# Browser stage of CI: installs Debian's Chromium and chromedriver, and nginx for the walk on a
# subpath (if missing), then runs the end-to-end browser tests (tests/browser/) and fails if any
# scenario fails.
#
# Idempotent: a machine that already has both packages skips the install. The tests start the
# gallery in-process in demo mode; set EEN_GALLERY_URL=http://host:port to test a running one
# (e.g. the container) instead. CHROMIUM and CHROMEDRIVER override the binaries' paths.
# Screenshots of every page are left in target/screenshots/.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> %s\n' "$*"; }
now() { date +%s; }
started=$(now)

as_root() {
  if [ "$(id -u)" -eq 0 ]; then
    "$@"
  elif command -v sudo >/dev/null 2>&1; then
    sudo "$@"
  else
    echo "browser-check: installing packages needs root (or sudo)" >&2
    exit 1
  fi
}

installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }

step "Chromium, chromedriver and nginx"
t=$(now)
missing=()
for package in chromium chromium-driver nginx; do
  installed "$package" || missing+=("$package")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "already installed"
else
  export DEBIAN_FRONTEND=noninteractive
  as_root apt-get update
  as_root apt-get install -y "${missing[@]}"
fi
chromium --version 2>/dev/null || { echo "browser-check: chromium does not run" >&2; exit 1; }
chromedriver --version
/usr/sbin/nginx -v
# Installed here, so the subpath walk fails rather than skips without it.
export EEN_GALLERY_REQUIRE_NGINX=1
install_s=$(( $(now) - t ))

step "compile the browser tests"
t=$(now)
cargo test --locked --test browser --no-run
compile_s=$(( $(now) - t ))

step "run the browser tests${EEN_GALLERY_URL:+ against $EEN_GALLERY_URL}"
target_dir=${CARGO_TARGET_DIR:-target}
rm -rf "$target_dir/screenshots"
t=$(now)
status=0
# Two at a time: each scenario has its own chromedriver, Chromium and gallery.
cargo test --locked --test browser -- --ignored --test-threads=2 || status=$?
run_s=$(( $(now) - t ))

# Every session is closed and every chromedriver killed by the tests, even after a failure;
# make sure of it. Only processes using this run's own profile directories are looked for.
leftovers=$(pgrep -f -- "$(cd "$target_dir" && pwd)/tmp/chromium-profile-" || true)
if [ -n "$leftovers" ]; then
  echo "browser-check: Chromium processes left behind by the tests: $leftovers" >&2
  # shellcheck disable=SC2086 # one pid per word
  kill $leftovers 2>/dev/null || true
  status=1
fi

echo
echo "screenshots: $target_dir/screenshots/"
echo "browser stage: install ${install_s}s, compile ${compile_s}s, run ${run_s}s, total $(( $(now) - started ))s"
exit "$status"
