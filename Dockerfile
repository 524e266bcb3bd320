# syntax=docker/dockerfile:1
# imgaudit as a container image: one static binary (musl) on an empty base, run as an
# unprivileged user. For CI systems that run every step in a container:
#
#   docker build -t imgaudit .
#   docker save app:ci | docker run -i --rm imgaudit -
#   docker save app:ci | docker run -i --rm -v "$PWD:/src:ro" imgaudit - --format sarif >imgaudit.sarif
#
# The working directory is /src: mount the project there and its Dockerfile (and imgaudit.toml)
# are found as they are on a workstation. Needs BuildKit (Docker 23+ by default, buildah, podman)
# for the cache mounts.

FROM rust:1-bookworm AS build
# musl-gcc compiles the C code of dependencies (zstd-sys, ring) for the musl target.
# hadolint ignore=DL3008
RUN apt-get update \
 && apt-get install -y --no-install-recommends musl-tools \
 && rm -rf /var/lib/apt/lists/* \
 && rustup target add "$(uname -m)-unknown-linux-musl"
WORKDIR /src
COPY . .
# The registry and the target directory live in BuildKit caches, so a rebuild after a source
# change recompiles only the workspace crates; the binary is copied out of the cache in the same
# step. It must be static: the check fails the build on any dynamic dependency.
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/usr/local/cargo/git \
    --mount=type=cache,target=/src/target \
    triple="$(uname -m)-unknown-linux-musl" \
 && cargo build --release --locked -p imgaudit --target "$triple" \
 && mkdir -p /out/etc/ssl/certs /out/tmp /out/src \
 && cp "target/$triple/release/imgaudit" /out/imgaudit \
 && readelf -lW -d /out/imgaudit >/tmp/elf.txt \
 && if grep -E 'INTERP|\(NEEDED\)' /tmp/elf.txt; then echo "imgaudit is not a static binary" >&2; exit 1; fi \
 && /out/imgaudit rules >/dev/null \
 && cp /etc/ssl/certs/ca-certificates.crt /out/etc/ssl/certs/ \
 && chmod 1777 /out/tmp \
 && printf 'root:x:0:0:root:/:/sbin/nologin\nimgaudit:x:65532:65532:imgaudit:/src:/sbin/nologin\n' >/out/etc/passwd \
 && printf 'root:x:0:\nimgaudit:x:65532:\n' >/out/etc/group

FROM scratch
COPY --from=build /out/ /
LABEL org.opencontainers.image.title="imgaudit" \
      org.opencontainers.image.description="Audits container images at build time" \
      org.opencontainers.image.licenses="Apache-2.0"
ENV SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt
WORKDIR /src
# imgaudit never executes anything from the images it reads; it needs no privileges.
USER 65532:65532
ENTRYPOINT ["/imgaudit"]
CMD ["--help"]
