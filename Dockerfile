# Images of the operator and the runtime, from one build context (the workspace root):
#   docker build --target operator -t ghcr.io/augur-dev/augur-operator:0.1.0 .
#   docker build --target runtime  -t ghcr.io/augur-dev/augur-runtime:0.1.0 .
# Both build with the committed Cargo.lock (--locked) and run as the unprivileged uid/gid 65532, which is also what
# the chart and the operator's runtime pods ask for (runAsNonRoot with a read-only root filesystem). The cache mounts
# need BuildKit, Docker's default builder.

# Shared build stage: the Rust toolchain plus what librdkafka's own configure build needs (gcc, make and perl come
# with the image; pkg-config, OpenSSL headers for TLS, zlib headers for compression). No cmake, no curl.
FROM rust:1.95-bookworm AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends libssl-dev pkg-config zlib1g-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .

FROM build AS build-operator
# The caches speed up rebuilds; the binary is copied out of the cached target directory in the same step.
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --locked --release -p augur-operator \
 && install -D target/release/augur-operator /out/augur-operator

FROM build AS build-runtime
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --locked --release -p augur-runtime \
 && install -D target/release/augur /out/augur

# The operator: a glibc binary with rustls, so distroless/cc (libc, libgcc, CA certificates; no shell) is enough.
FROM gcr.io/distroless/cc-debian12:nonroot AS operator
COPY --from=build-operator /out/augur-operator /usr/local/bin/augur-operator
USER 65532:65532
EXPOSE 8080
ENTRYPOINT ["/usr/local/bin/augur-operator"]
CMD ["run"]

# The runtime links librdkafka statically but OpenSSL dynamically: Debian slim with libssl3 and CA certificates.
# The operator starts it with `run --config /etc/augur/...`, so the entrypoint is the binary itself.
FROM debian:bookworm-slim AS runtime
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates libssl3 \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --gid 65532 augur \
 && useradd --uid 65532 --gid 65532 --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin augur
COPY --from=build-runtime /out/augur /usr/local/bin/augur
USER 65532:65532
EXPOSE 9090
ENTRYPOINT ["/usr/local/bin/augur"]
