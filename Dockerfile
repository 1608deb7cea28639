# een-gallery container image.
#
# Two stages: `build` compiles a release binary in an official Rust image; the final stage is
# Debian slim with CA certificates and that one binary, running as an unprivileged user.
#
#   docker build -t een-gallery .
#   podman build --format docker -t een-gallery .    # docker format keeps the HEALTHCHECK
#
# Behind a TLS-intercepting proxy, hand cargo the proxy's CA as a build secret; it is never
# written into a layer, and without it the build works as on any normal machine:
#   podman build --format docker --secret id=cacert,src=/etc/ssl/certs/ca-certificates.crt -t een-gallery .

ARG RUST_IMAGE=rust:1.96-slim-bookworm
ARG RUNTIME_IMAGE=debian:bookworm-slim

# The crate's shape without its code: the manifest, the lockfile, an empty src/lib.rs and a
# `fn main() {}` for every file that can be a target (the binary, tests, benches, examples and
# any `path = "*.rs"` in the manifest: Cargo refuses a manifest whose declared targets are
# missing), all with fixed timestamps. Module files are left out, so this tree changes only when
# the manifest, the lockfile or the set of targets does.
FROM ${RUST_IMAGE} AS skeleton
WORKDIR /src
COPY . .
RUN mkdir /skeleton \
 && cp Cargo.toml Cargo.lock /skeleton/ \
 && for f in src/main.rs src/bin/*.rs src/bin/*/main.rs tests/*.rs tests/*/main.rs \
             benches/*.rs benches/*/main.rs examples/*.rs examples/*/main.rs \
             $(sed -n 's/^ *path *= *"\([^"]*\.rs\)".*/\1/p' Cargo.toml); do \
        if [ -f "$f" ]; then mkdir -p "/skeleton/$(dirname "$f")" && echo 'fn main() {}' > "/skeleton/$f"; fi; \
    done \
 && if [ -f src/lib.rs ]; then mkdir -p /skeleton/src && : > /skeleton/src/lib.rs; fi \
 && find /skeleton -exec touch -h -d @0 {} +

FROM ${RUST_IMAGE} AS build
WORKDIR /src

# Dependencies first, built against the skeleton: this layer is reused until the skeleton changes,
# so a change to the gallery's own code recompiles one crate instead of all of them. The stub's
# own artifacts are deleted so the real sources below are always rebuilt, whatever their mtimes.
COPY --from=skeleton /skeleton ./
RUN --mount=type=secret,id=cacert \
    if [ -s /run/secrets/cacert ]; then export CARGO_HTTP_CAINFO=/run/secrets/cacert; fi \
 && cargo build --release --locked \
 && rm -rf target/release/een-gallery* target/release/.fingerprint/een-gallery-* \
           target/release/deps/een_gallery-* target/release/deps/libeen_gallery-*

# The real sources over the skeleton (tests and benches stay stubs: only the binary is built).
# askama compiles templates/ (configured by askama.toml) into the binary and static/ is
# embedded too: the binary is self-contained, so only the build stage sees these files.
COPY askama.toml ./
COPY src ./src
COPY templates ./templates
COPY static ./static
RUN cargo build --release --locked --offline \
 && install -D -m 0755 target/release/een-gallery /out/een-gallery

FROM ${RUNTIME_IMAGE}
# ca-certificates: the EEN client verifies the cloud's TLS certificates against the system store.
# A fixed numeric uid/gid lets Kubernetes' runAsNonRoot verify the user without /etc/passwd.
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --gid 10001 een-gallery \
 && useradd --uid 10001 --gid een-gallery --no-create-home --home-dir /nonexistent \
            --shell /usr/sbin/nologin een-gallery \
 && install -d -m 0700 -o 10001 -g 10001 /data

COPY --from=build /out/een-gallery /usr/local/bin/een-gallery

USER 10001:10001
# Listen on all interfaces of the container. Its log is no terminal: no ANSI colours in text
# logs (LOG_FORMAT=json gives one JSON object per line).
# DATA_DIR holds the EEN v3 connection (its rotating tokens, mode 0600): mount a volume there
# so the connection survives a new container. Demo mode writes nothing.
ENV BIND=0.0.0.0:8080 \
    DATA_DIR=/data \
    NO_COLOR=1
VOLUME ["/data"]
EXPOSE 8080
# The binary probes its own /healthz: no curl or shell needed in the image.
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 \
    CMD ["een-gallery", "healthcheck"]
# Exec form: the server is PID 1 and receives SIGTERM itself, drains, and exits.
ENTRYPOINT ["/usr/local/bin/een-gallery"]

# Last, so a new revision only rewrites metadata and never re-runs the apt layer above.
ARG VERSION=dev
ARG REVISION=unknown
LABEL org.opencontainers.image.title="een-gallery" \
      org.opencontainers.image.description="A fast, small web gallery for Eagle Eye Networks cloud cameras, with a built-in EEN simulator (demo mode)" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.source="https://github.com/een-gallery/een-gallery" \
      org.opencontainers.image.licenses="MIT OR Apache-2.0"
