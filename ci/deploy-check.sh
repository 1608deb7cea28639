#!/usr/bin/env bash
# Checks the deployment files (issue 16) with real tools, then runs them for real on loopback:
#
# 1. compose.yaml through podman-compose (`config` for no profile and for `replicas`, and a
#    dry run of `--profile replicas up -d nginx`), and how the replicas profile hangs together
#    with deploy/compose/nginx.conf (ci/deploy_check.py compose);
# 2. deploy/kubernetes and deploy/kubernetes/replicas rendered as kustomize renders them,
#    validated against the Kubernetes schemas and checked for selectors, ports, volumes,
#    Secrets, hardening and the store (ci/deploy_check.py kubernetes);
# 3. both run for real inside a network, mount and PID namespace of their own (nothing in it
#    reaches out, and everything started in it ends with it), each service in a network
#    namespace of its own, bridged as compose.yaml's networks are: redis-server for Valkey,
#    two release replicas and Debian's nginx with the real nginx.conf, then the overlay's pod
#    and its password-protected Valkey (ci/deploy_live.py). No container registry is
#    reachable here, so the images' processes run directly, each configured from the files
#    under test.
#
# Runs as root on Debian; installs what it needs (Debian: nginx, redis-server, python3-venv;
# PyPI, pinned: podman-compose, kubernetes-validate, jsonpatch, PyYAML) and is idempotent: the
# venv is reused, and the namespace takes everything it started with it.
#
#   bash ci/deploy-check.sh
#
# Environment:
#   EEN_GALLERY_BIN     the release binary to run (default target/release/een-gallery, built
#                       with `cargo build --release --locked` when missing)
#   DEPLOY_CHECK_STATE  where the venv lives (default /var/tmp/een-gallery-ci)
set -euo pipefail
cd "$(dirname "$0")/.."

export PYTHONDONTWRITEBYTECODE=1
readonly STATE=${DEPLOY_CHECK_STATE:-/var/tmp/een-gallery-ci}
readonly VENV=$STATE/deploy-venv
readonly CACERT=/etc/ssl/certs/ca-certificates.crt
# Pinned, so a new release cannot turn CI red on its own.
readonly PYTHON_PACKAGES=(podman-compose==1.6.0 kubernetes-validate==1.37.0 jsonpatch==1.33 PyYAML==6.0.3)

step() { printf '\n==> %s\n' "$*"; }
fail() { printf 'deploy-check: FAIL: %s\n' "$*" >&2; exit 1; }

started=$(date +%s)
step "install nginx, redis-server and python3-venv from Debian (only what is missing)"
missing=()
for p in nginx redis-server redis-tools python3-venv iproute2 util-linux; do
    [ "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null)" = "install ok installed" ] || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
    echo "installing: ${missing[*]}"
    # Their system services are not wanted (and have no init system to run under here).
    policy_added=""
    if [ ! -e /usr/sbin/policy-rc.d ]; then
        printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
        chmod 755 /usr/sbin/policy-rc.d
        policy_added=1
    fi
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    if [ -n "$policy_added" ]; then rm -f /usr/sbin/policy-rc.d; fi
fi

step "python venv with ${PYTHON_PACKAGES[*]}"
mkdir -p "$STATE"
have=$("$VENV/bin/pip" freeze 2>/dev/null || true)
for package in "${PYTHON_PACKAGES[@]}"; do
    if ! grep -qix "$package" <<<"$have"; then
        rm -rf "$VENV"
        /usr/bin/python3 -m venv "$VENV"
        # Outbound TLS may go through an intercepting proxy that only the system CA store trusts.
        PIP_CERT=$CACERT "$VENV/bin/pip" install --quiet --disable-pip-version-check "${PYTHON_PACKAGES[@]}"
        break
    fi
done
py=$VENV/bin/python

step "compose.yaml and deploy/compose/nginx.conf (podman-compose config and a dry run)"
"$py" ci/deploy_check.py compose --podman-compose "$VENV/bin/podman-compose"

step "deploy/kubernetes and its replicas overlay (rendered, kubernetes-validate --strict, cross-checks)"
"$py" ci/deploy_check.py kubernetes --kubernetes-validate "$VENV/bin/kubernetes-validate"

step "both for real, in network namespaces of their own"
bin=${EEN_GALLERY_BIN:-target/release/een-gallery}
if [ ! -x "$bin" ]; then
    echo "building the release binary"
    cargo build --release --locked
fi
work=$(mktemp -d /var/tmp/een-gallery-deploy.XXXXXX)
trap 'rm -rf "$work"' EXIT
# --pid --fork: the check is PID 1 of its namespace, so whatever it started ends with it.
unshare --net --mount --pid --fork --mount-proc -- \
    "$py" ci/deploy_live.py --bin "$bin" --podman-compose "$VENV/bin/podman-compose" \
    --redis "$(command -v redis-server)" --nginx "$(command -v nginx || echo /usr/sbin/nginx)" \
    --work "$work" || fail "the live run failed"

step "deploy check passed in $(( $(date +%s) - started )) s"
