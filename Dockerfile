# syntax=docker/dockerfile:1.7
#
# Vigie's container images: one target per binary.
#
#   docker build --target queue-service    -t vigie/queue-service:0.1.0 .
#   docker build --target students-service -t vigie/students-service:0.1.0 .
#   docker build --target alerter          -t vigie/alerter:0.1.0 .
#
# compose/observability.yml builds them itself. The build stages compile in the
# official Rust image with BuildKit cache mounts (the cargo registry and
# target/), so a rebuild after a source change recompiles the workspace crates
# only. The runtime is distroless `cc` (glibc, libgcc, CA certificates; no
# shell, no package manager), run as the fixed non-root user 65532. The binary
# is PID 1 (exec-form ENTRYPOINT): it receives SIGTERM itself and drains.
#
# Base images are pinned (tag, and digest for the runtime, whose tag moves);
# docs/compose.md says how to refresh them. `cargo xtask check-compose` checks
# this file (stages, user, entrypoint, health check, labels, pins).

ARG RUST_IMAGE=rust:1.95.0-bookworm
ARG RUNTIME_IMAGE=gcr.io/distroless/cc-debian12:nonroot@sha256:9dac0a79194e45a7da0158a9c6da57b217585af0786db3845d1f0ec1a0dd182f

# ---- build ------------------------------------------------------------------

FROM ${RUST_IMAGE} AS source
WORKDIR /src
COPY . .

# Each target builds only its own binary; the shared target/ cache means the
# dependencies they have in common are compiled once.
FROM source AS build-queue-service
RUN --mount=type=cache,id=vigie-cargo-registry,target=/usr/local/cargo/registry,sharing=locked \
    --mount=type=cache,id=vigie-target,target=/src/target,sharing=locked \
    cargo build --release --locked --package queue-service --bin queue-service \
    && install -D -m 0755 target/release/queue-service /out/queue-service

FROM source AS build-students-service
RUN --mount=type=cache,id=vigie-cargo-registry,target=/usr/local/cargo/registry,sharing=locked \
    --mount=type=cache,id=vigie-target,target=/src/target,sharing=locked \
    cargo build --release --locked --package students-service --bin students-service \
    && install -D -m 0755 target/release/students-service /out/students-service

FROM source AS build-alerter
RUN --mount=type=cache,id=vigie-cargo-registry,target=/usr/local/cargo/registry,sharing=locked \
    --mount=type=cache,id=vigie-target,target=/src/target,sharing=locked \
    cargo build --release --locked --package alerter --bin alerter \
    && install -D -m 0755 target/release/alerter /out/alerter \
    && install -d -m 0750 /out/data

# ---- runtime ----------------------------------------------------------------

FROM ${RUNTIME_IMAGE} AS runtime
ARG VERSION=0.1.0
ARG REVISION=unknown
LABEL org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.source="https://github.com/vigie-platform/vigie" \
      org.opencontainers.image.licenses="MIT OR Apache-2.0" \
      org.opencontainers.image.vendor="Vigie"
# Numeric, so that an orchestrator can verify it is not root (runAsNonRoot).
USER 65532:65532
ENV LOG_FORMAT=json

FROM runtime AS queue-service
LABEL org.opencontainers.image.title="queue-service" \
      org.opencontainers.image.description="Vigie ticket queue: one process serves one Redis-backed queue"
COPY --from=build-queue-service /out/queue-service /usr/local/bin/queue-service
EXPOSE 8000 9464
HEALTHCHECK --interval=10s --timeout=5s --start-period=10s --retries=3 \
    CMD ["/usr/local/bin/queue-service", "healthcheck"]
ENTRYPOINT ["/usr/local/bin/queue-service"]

FROM runtime AS students-service
LABEL org.opencontainers.image.title="students-service" \
      org.opencontainers.image.description="Vigie students API: PostgreSQL rows and a Redis view counter"
COPY --from=build-students-service /out/students-service /usr/local/bin/students-service
EXPOSE 8000 9464
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=3 \
    CMD ["/usr/local/bin/students-service", "healthcheck"]
ENTRYPOINT ["/usr/local/bin/students-service"]

FROM runtime AS alerter
LABEL org.opencontainers.image.title="alerter" \
      org.opencontainers.image.description="Vigie alerter: Alertmanager webhooks to e-mail and Matrix, stored first"
COPY --from=build-alerter /out/alerter /usr/local/bin/alerter
# The outbox's directory, owned by the runtime user: a named volume mounted
# here starts with this ownership, so the SQLite file can be created. It is
# also the working directory, where the default outbox (alerter.db) lives.
COPY --from=build-alerter --chown=65532:65532 /out/data /data
WORKDIR /data
EXPOSE 9095 9464
HEALTHCHECK --interval=10s --timeout=5s --start-period=10s --retries=3 \
    CMD ["/usr/local/bin/alerter", "healthcheck"]
ENTRYPOINT ["/usr/local/bin/alerter"]
