#!/usr/bin/env bash
# Build real container images with real tools (debootstrap, buildah, skopeo,
# umoci, podman) and export each in every format imgaudit must read.
#
#   tests/real-images/build.sh OUT_DIR
#
# Writes OUT_DIR/images.json (paths relative to OUT_DIR) for the integration
# tests. Runs as root on Debian 12; installs missing tools with apt-get.
# All container storage is private to OUT_DIR/.storage, the host's is untouched.
# Reruns with unchanged inputs (this script + Dockerfiles) exit at once.
#
# Env: IMGAUDIT_DEBIAN_MIRROR overrides the mirror read from apt sources;
#      KEEP_STORAGE=1 keeps OUT_DIR/.storage and OUT_DIR/.work for debugging;
#      CI=true skips the cache check (CI passes a fresh directory).
set -Eeuo pipefail
umask 022

SUITE=bookworm
NS=imgaudit-test                 # repository namespace of every tag
LOCAL=localhost/$NS              # names inside the private container storage
PATH_ENV=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

log() { printf '[real-images %(%H:%M:%S)T] %s\n' -1 "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }
trap 'rc=$?; log "ERROR: command failed (exit $rc) at line $LINENO: $BASH_COMMAND"; exit $rc' ERR

[[ $# -eq 1 && -n $1 ]] || { echo "usage: $0 OUT_DIR" >&2; exit 2; }
[[ $(id -u) -eq 0 ]] || die "must run as root (debootstrap, buildah mount, umoci unpack)"
mkdir -p "$1"
OUT=$(cd "$1" && pwd)
SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
WORK=$OUT/.work
STORE=$OUT/.storage
OVL_ROOT=$STORE/overlay/root OVL_RUN=$STORE/overlay/run
VFS_ROOT=$STORE/vfs/root VFS_RUN=$STORE/vfs/run
POLICY=$STORE/policy.json

# ---------------------------------------------------------------- helpers --

declare -a TIMINGS=()
PHASE="" PHASE_T0=0
phase() {   # phase NAME: end the running phase (recording its time), start NAME
  local now; now=$(date +%s)
  [[ -n $PHASE ]] && TIMINGS+=("$(printf '%-22s %4ss' "$PHASE" $((now - PHASE_T0)))")
  PHASE=$1 PHASE_T0=$now
  [[ -n $PHASE ]] && log "=== phase: $PHASE"
  return 0
}

# buildah / skopeo / podman on the private stores only.
bah()     { buildah --root "$OVL_ROOT" --runroot "$OVL_RUN" --storage-driver overlay "$@"; }
bah_vfs() { buildah --root "$VFS_ROOT" --runroot "$VFS_RUN" --storage-driver vfs "$@"; }
sko()     { skopeo --policy "$POLICY" "$@"; }
cs_ovl()  { printf 'containers-storage:[overlay@%s+%s]%s' "$OVL_ROOT" "$OVL_RUN" "$1"; }
cs_vfs()  { printf 'containers-storage:[vfs@%s+%s]%s' "$VFS_ROOT" "$VFS_RUN" "$1"; }

# Mount points at or below $1, deepest first (octal escapes of mountinfo decoded).
mounts_under() {
  awk -v p="$1" '{ m = $5; gsub(/\\040/, " ", m); if (m == p || index(m, p "/") == 1) print m }' \
    /proc/self/mountinfo | sort -r
}

# rm -rf that never leaves the file system it starts on and refuses to run
# while anything is mounted below (debootstrap may leave /proc mounts behind).
safe_rm() {
  local p
  for p in "$@"; do
    [[ -e $p || -L $p ]] || continue
    [[ -z $(mounts_under "$p") ]] || die "refusing to delete $p: still mounted: $(mounts_under "$p" | tr '\n' ' ')"
    rm -rf --one-file-system -- "$p"
  done
}

# Unmount what our private stores left mounted, then check nothing is left.
release_storage() {
  local root m
  for root in "$OVL_ROOT" "$VFS_ROOT"; do
    [[ -d $root ]] || continue
    local -a b=(buildah --root "${root}" --runroot "${root%/root}/run" --storage-driver "$(basename "${root%/root}")")
    "${b[@]}" rm --all >/dev/null 2>&1 || true
    "${b[@]}" umount --all >/dev/null 2>&1 || true
  done
  for m in $(mounts_under "$OUT"); do umount "$m" 2>/dev/null || umount -l "$m" || true; done
  [[ -z $(mounts_under "$OUT") ]] || die "mounts left under $OUT: $(mounts_under "$OUT" | tr '\n' ' ')"
}

on_exit() {
  local rc=$?
  set +e
  if [[ -n ${VFS_PID:-} ]]; then   # our background vfs build, by pid
    pkill -TERM -P "$VFS_PID" 2>/dev/null; kill "$VFS_PID" 2>/dev/null; wait "$VFS_PID" 2>/dev/null
  fi
  release_storage 2>/dev/null
  [[ $rc -eq 0 ]] || log "FAILED (exit $rc); work files kept in $WORK"
}

# --------------------------------------------------------------- phases --

inputs_hash() {   # this script and every file next to it (the Dockerfiles)
  (cd "$SCRIPT_DIR" && find . -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum) \
    | sha256sum | cut -d' ' -f1
}

ensure_tools() {
  local -a missing=()
  local t
  for t in debootstrap skopeo buildah umoci podman jq zstd pigz tar awk sha256sum; do
    command -v "$t" >/dev/null || missing+=("$t")
  done
  python3 -m pip --version >/dev/null 2>&1 || missing+=(pip)
  [[ ${#missing[@]} -eq 0 ]] && return 0
  log "missing tools: ${missing[*]}; installing with apt-get"
  command -v apt-get >/dev/null || die "apt-get not found; install: ${missing[*]}"
  apt-get update
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
    debootstrap skopeo umoci buildah podman docker-registry runc crun fuse-overlayfs uidmap \
    containers-storage golang-github-containers-common catatonit slirp4netns conmon \
    apache2-utils pigz zstd jq python3-pip
}

# The Debian mirror this machine's apt uses: deb822 .sources first (a stanza
# with a plain suite such as "bookworm", not -security/-updates), then
# one-line sources.list.
debian_mirror() {
  local f uri=""
  if [[ -n ${IMGAUDIT_DEBIAN_MIRROR:-} ]]; then echo "$IMGAUDIT_DEBIAN_MIRROR"; return; fi
  for f in /etc/apt/sources.list.d/*.sources; do
    [[ -f $f ]] || continue
    uri=$(awk 'BEGIN { RS = ""; FS = "\n" }
      {
        types = ""; uris = ""; suites = ""; enabled = "yes"
        for (i = 1; i <= NF; i++) {
          if ($i ~ /^Types:/)   types = substr($i, 7)
          if ($i ~ /^URIs:/)    uris = substr($i, 6)
          if ($i ~ /^Suites:/)  suites = substr($i, 8)
          if ($i ~ /^Enabled:/) enabled = substr($i, 9)
        }
        if (types !~ /(^|[ \t])deb([ \t]|$)/ || enabled ~ /no/) next
        n = split(suites, s, /[ \t]+/)
        for (j = 1; j <= n; j++) if (s[j] != "" && s[j] !~ /[-\/]/) {
          split(uris, u, /[ \t]+/); if (u[1] == "") print u[2]; else print u[1]; exit
        }
      }' "$f")
    [[ -n $uri ]] && break
  done
  if [[ -z $uri && -f /etc/apt/sources.list ]]; then
    uri=$(awk '$1 == "deb" {
        i = 2; if ($i ~ /^\[/) { while ($i !~ /\]$/ && i < NF) i++; i++ }
        if ($(i + 1) !~ /[-\/]/) { print $i; exit } }' /etc/apt/sources.list)
  fi
  [[ -n $uri ]] || die "no Debian mirror found in apt sources (set IMGAUDIT_DEBIAN_MIRROR)"
  echo "$uri"
}

# Make a debootstrap tree safe and small. /proc may be a symlink to the HOST's
# /proc (debootstrap thinks it runs in Docker because of /.dockerenv): replace
# such links by empty directories, never delete through them.
clean_rootfs() {
  local r=$1 d e
  [[ -z $(mounts_under "$r") ]] || die "debootstrap left mounts in $r: $(mounts_under "$r" | tr '\n' ' ')"
  for d in proc sys; do
    if [[ -L $r/$d ]]; then rm -f -- "${r:?}/$d"; mkdir -m 0555 "$r/$d"; fi
  done
  for d in dev proc sys tmp var/cache/apt var/lib/apt/lists run debootstrap; do
    [[ -d $r/$d && ! -L $r/$d ]] || continue
    for e in "$r/$d"/* "$r/$d"/.[!.]*; do
      [[ -e $e || -L $e ]] || continue
      [[ $d == var/lib/apt/lists && $(basename "$e") == partial ]] && continue
      [[ $d == var/cache/apt && $(basename "$e") == archives ]] && { safe_rm "$e"; mkdir -p "$e/partial"; continue; }
      safe_rm "$e"
    done
  done
  [[ -d $r/debootstrap ]] && rmdir "$r/debootstrap"
  return 0
}

debootstrap_both() {
  local mirror; mirror=$(debian_mirror)
  log "Debian mirror (from apt sources): $mirror"
  mkdir -p "$WORK"
  # arm64 --foreign only unpacks packages (no arm64 code runs); it runs in the
  # background while the amd64 tree is built.
  log "debootstrap --foreign arm64 (background) -> $WORK/rootfs-arm64"
  debootstrap --foreign --arch=arm64 --variant=minbase "$SUITE" "$WORK/rootfs-arm64" "$mirror" \
    >"$WORK/debootstrap-arm64.log" 2>&1 &
  local arm_pid=$!
  log "debootstrap amd64 minbase + python3 -> $WORK/rootfs-amd64"
  if ! debootstrap --variant=minbase --include=python3,python3-pip,python3-venv \
       "$SUITE" "$WORK/rootfs-amd64" "$mirror" >"$WORK/debootstrap-amd64.log" 2>&1; then
    tail -n 30 "$WORK/debootstrap-amd64.log" >&2; wait "$arm_pid" || true
    die "debootstrap amd64 failed (log: $WORK/debootstrap-amd64.log)"
  fi
  if ! wait "$arm_pid"; then
    tail -n 30 "$WORK/debootstrap-arm64.log" >&2
    die "debootstrap --foreign arm64 failed (log: $WORK/debootstrap-arm64.log)"
  fi
  [[ -f $WORK/rootfs-amd64/usr/lib/python3.11/EXTERNALLY-MANAGED ]] \
    || die "debootstrap tree lacks usr/lib/python3.11/EXTERNALLY-MANAGED"
  clean_rootfs "$WORK/rootfs-amd64"
  clean_rootfs "$WORK/rootfs-arm64"
}

# Import a rootfs as a one-layer image. tar --numeric-owner keeps owners
# (`buildah copy DIR` would reset them to root).
import_rootfs() {  # ROOTFS NAME ARCH [VARIANT]
  local rootfs=$1 name=$2 arch=$3 variant=${4:-} ctr mnt
  ctr=$(bah from --quiet --arch "$arch" --os linux ${variant:+--variant "$variant"} scratch)
  mnt=$(bah mount "$ctr")
  tar -C "$rootfs" --numeric-owner --xattrs --xattrs-include='security.capability' -cf - . \
    | tar -C "$mnt" --numeric-owner --xattrs --xattrs-include='security.capability' -xpf -
  bah umount "$ctr" >/dev/null
  bah config --env "PATH=$PATH_ENV" --cmd /bin/bash --os linux --arch "$arch" \
    ${variant:+--variant "$variant"} --label "io.imgaudit.fixture=$name" "$ctr"
  bah commit --quiet --format oci --rm "$ctr" "$LOCAL/$name:test" >/dev/null
  log "imported $LOCAL/$name:test ($arch${variant:+/$variant})"
}

import_bases() {
  import_rootfs "$WORK/rootfs-amd64" base amd64
  import_rootfs "$WORK/rootfs-arm64" base-arm64 arm64 v8
  [[ ${KEEP_STORAGE:-} == 1 ]] || safe_rm "$WORK/rootfs-amd64" "$WORK/rootfs-arm64"
}

# Build context = the Dockerfile dir plus wheels fetched on the host by pip
# (pip's own configuration knows the index; nothing is fetched inside RUN).
prepare_context() {
  CTX=$WORK/hygiene-ctx
  safe_rm "$CTX"
  mkdir -p "$CTX/wheels"
  cp -a "$SCRIPT_DIR/hygiene/." "$CTX/"
  python3 -m pip download --quiet --no-deps --only-binary=:all: -d "$CTX/wheels" six \
    || die "pip download of the six wheel failed"
  log "wheels: $(cd "$CTX/wheels" && echo *.whl)"
}

VFS_PID=""
wait_hygiene_vfs() {
  local t0 rc=0; t0=$(date +%s)
  wait "$VFS_PID" || rc=$?
  VFS_PID=""
  if [[ $rc -ne 0 ]]; then
    tail -n 30 "$WORK/hygiene-vfs.log" >&2
    die "vfs build failed (exit $rc; log: $WORK/hygiene-vfs.log)"
  fi
  log "hygiene-vfs: built (waited $(($(date +%s) - t0))s for it)"
}

build_hygiene_overlay() {
  bah bud --isolation chroot --network host --layers --format oci \
    -f "$CTX/Dockerfile" -t "$LOCAL/hygiene:test" "$CTX"
}

# Same Dockerfile on the vfs driver, in its own store, seeded with base.
build_hygiene_vfs() {
  sko copy --quiet "$(cs_ovl "$LOCAL/base:test")" "$(cs_vfs "$LOCAL/base:test")"
  bah_vfs bud --isolation chroot --network host --layers --format oci \
    -f "$CTX/Dockerfile" -t "$LOCAL/hygiene-vfs:test" "$CTX"
}

# Docker 25+ `docker save` layout, assembled the way moby's
# image/tarexport/save.go writes it: uncompressed layers named by their diff
# ID, the config named by the image ID, an OCI manifest whose config
# descriptor carries the platform, unreferenced legacy v1 layer JSON blobs,
# index.json annotated with the containerd image name and ref name,
# oci-layout, manifest.json and repositories, all in one tar.
make_docker25() {  # OCI_PLAIN_DIR OUT_TAR REPO TAG
  local src=$1 out=$2 repo=$3 tag=$4 stage mdig man cfg cfgfile platform
  stage=$(mktemp -d "$WORK/docker25.XXXXXX")
  mdig=$(jq -r --arg t "$tag" \
    '[.manifests[] | select(.annotations["org.opencontainers.image.ref.name"] == $t)][0].digest' "$src/index.json")
  man=$src/blobs/sha256/${mdig#sha256:}
  cfg=$(jq -r .config.digest "$man")
  cfgfile=$src/blobs/sha256/${cfg#sha256:}
  jq -e 'all(.layers[]; .mediaType == "application/vnd.oci.image.layer.v1.tar")' "$man" >/dev/null \
    || die "$src has compressed layers; docker25 needs uncompressed ones"
  # Uncompressed layer digests must equal the config's diff IDs.
  [[ "$(jq -c '[.layers[].digest]' "$man")" == "$(jq -c '.rootfs.diff_ids' "$cfgfile")" ]] \
    || die "$src: layer digests differ from rootfs.diff_ids"

  mkdir -p "$stage/blobs/sha256"
  ln "$cfgfile" "$stage/blobs/sha256/${cfg#sha256:}"
  local d chain="" parent="" v1id v1 n i=0
  n=$(jq '.layers | length' "$man")
  for d in $(jq -r '.layers[].digest' "$man"); do
    i=$((i + 1))
    [[ -e $stage/blobs/sha256/${d#sha256:} ]] || ln "$src/blobs/sha256/${d#sha256:}" "$stage/blobs/sha256/${d#sha256:}"
    # Legacy v1 layer JSON (Docker still writes one per layer; nothing references it).
    if [[ -z $chain ]]; then chain=$d; else chain=sha256:$(printf '%s %s' "$chain" "$d" | sha256sum | cut -d' ' -f1); fi
    v1id=$(printf '%s %s' "$chain" "$parent" | sha256sum | cut -d' ' -f1)
    if [[ $i -eq $n ]]; then
      v1=$(jq -cj --arg id "$v1id" --arg p "$parent" \
        '{id: $id} + (if $p != "" then {parent: $p} else {} end)
         + {created, container_config: {}, config, architecture, os}' "$cfgfile")
    else
      v1=$(jq -ncj --arg id "$v1id" --arg p "$parent" \
        '{id: $id} + (if $p != "" then {parent: $p} else {} end)
         + {created: "1970-01-01T00:00:00Z", container_config: {}, os: "linux"}')
    fi
    printf '%s' "$v1" >"$stage/blobs/sha256/$(printf '%s' "$v1" | sha256sum | cut -d' ' -f1)"
    parent=$v1id
  done

  platform=$(jq -c '{architecture, os} + (if .variant then {variant} else {} end)' "$cfgfile")
  local mjson mdigest
  mjson=$(jq -cj --argjson plat "$platform" --arg cfg "$cfg" --argjson cfgsize "$(stat -c %s "$cfgfile")" '
    {schemaVersion: 2, mediaType: "application/vnd.oci.image.manifest.v1+json",
     config: {mediaType: "application/vnd.oci.image.config.v1+json", digest: $cfg, size: $cfgsize, platform: $plat},
     layers: [.layers[] | {mediaType, digest, size}]}' "$man")
  mdigest=$(printf '%s' "$mjson" | sha256sum | cut -d' ' -f1)
  printf '%s' "$mjson" >"$stage/blobs/sha256/$mdigest"
  jq -ncj --argjson plat "$platform" --arg d "sha256:$mdigest" --argjson size "${#mjson}" \
    --arg name "docker.io/$repo:$tag" --arg tag "$tag" '
    {schemaVersion: 2, mediaType: "application/vnd.oci.image.index.v1+json",
     manifests: [{mediaType: "application/vnd.oci.image.manifest.v1+json", digest: $d, size: $size,
                  annotations: {"io.containerd.image.name": $name, "org.opencontainers.image.ref.name": $tag},
                  platform: $plat}]}' >"$stage/index.json"
  jq -c --arg cfg "blobs/sha256/${cfg#sha256:}" --arg rt "$repo:$tag" \
    '[{Config: $cfg, RepoTags: [$rt], Layers: [.layers[].digest | "blobs/sha256/" + ltrimstr("sha256:")]}]' \
    "$man" >"$stage/manifest.json"
  jq -nc --arg repo "$repo" --arg tag "$tag" --arg top "$(jq -r '.layers[-1].digest | ltrimstr("sha256:")' "$man")" \
    '{($repo): {($tag): $top}}' >"$stage/repositories"
  printf '%s' '{"imageLayoutVersion": "1.0.0"}' >"$stage/oci-layout"
  touch -d @0 "$stage/manifest.json" "$stage/repositories" "$stage/oci-layout"
  tar -C "$stage" --sort=name --owner=0 --group=0 --numeric-owner -cf "$out" \
    blobs index.json manifest.json oci-layout repositories
  safe_rm "$stage"
}

# Every format for one image held in containers-storage.
export_image() {  # NAME SOURCE_REF
  local name=$1 src=$2 d=$OUT/$1
  safe_rm "$d"; mkdir -p "$d"
  log "$name: oci-gzip";        sko copy --quiet "$src" "oci:$d/oci-gzip:test"
  log "$name: oci-zstd";        sko copy --quiet --dest-compress-format zstd "$src" "oci:$d/oci-zstd:test"
  log "$name: oci-plain";       sko copy --quiet --dest-oci-accept-uncompressed-layers "$src" "oci:$d/oci-plain:test"
  # From the gzip layout: same compressed blobs, no second compression pass.
  log "$name: oci-archive";     sko copy --quiet "oci:$d/oci-gzip:test" "oci-archive:$d/oci-archive.tar:test"
  log "$name: docker-archive";  sko copy --quiet "$src" "docker-archive:$d/docker-archive.tar:$NS/$name:test"
  log "$name: docker25";        make_docker25 "$d/oci-plain" "$d/docker25.tar" "$NS/$name" test
  log "$name: umoci unpack";    umoci unpack --image "$d/oci-gzip:test" "$d/umoci-rootfs" >/dev/null
}

# umoci repack of an edited bundle: the new layer has `.wh.` entries without
# their parent directories.
build_umoci_edit() {
  local d=$OUT/umoci-edit b=$WORK/umoci-edit-bundle
  safe_rm "$d" "$b"; mkdir -p "$d"
  cp -a "$OUT/hygiene/oci-gzip" "$d/oci"
  umoci unpack --image "$d/oci:test" "$b" >/dev/null
  rm -r "$b/rootfs/usr/share/doc/imgaudit"          # a whole directory
  rm "$b/rootfs/etc/os-release.hard"                 # one name of a hard link pair
  rm "$b/rootfs/opt/venv/bin/activate"               # a file in an otherwise unchanged dir
  rm "$b/rootfs/usr/lib/python3.11/os.py"            # a file from the base layer
  echo "added by umoci repack" >"$b/rootfs/opt/umoci-added"
  umoci repack --image "$d/oci:umoci" "$b" >/dev/null
  umoci unpack --image "$d/oci:umoci" "$d/umoci-rootfs" >/dev/null
  safe_rm "$b"
}

# Multi-platform OCI index: linux/amd64 (hygiene) + linux/arm64/v8 (foreign base).
build_multiarch() {
  local list=$LOCAL/multiarch:test d=$OUT/multiarch
  safe_rm "$d"; mkdir -p "$d"
  bah manifest rm "$list" >/dev/null 2>&1 || true
  bah manifest create "$list" >/dev/null
  bah manifest add "$list" "containers-storage:$LOCAL/hygiene:test" >/dev/null
  bah manifest add --arch arm64 --variant v8 "$list" "containers-storage:$LOCAL/base-arm64:test" >/dev/null
  bah manifest push --quiet --all --format oci "$list" "oci:$d/oci:test"
}

# One docker-archive with two images (podman save -m, as `docker save a b`).
build_multi_image_archive() {
  local f=$OUT/multi-image.docker-archive.tar
  rm -f "$f"
  # Tags under docker.io so the archive's RepoTags read imgaudit-test/NAME:test.
  bah tag "$LOCAL/base:test" "docker.io/$NS/base:test"
  bah tag "$LOCAL/hygiene:test" "docker.io/$NS/hygiene:test"
  mkdir -p "$WORK/podman-tmp"
  podman --root "$OVL_ROOT" --runroot "$OVL_RUN" --storage-driver overlay \
    --tmpdir "$WORK/podman-tmp" --cgroup-manager cgroupfs --events-backend none \
    save --quiet --multi-image-archive --format docker-archive -o "$f" \
    "docker.io/$NS/base:test" "docker.io/$NS/hygiene:test"
}

# ------------------------------------------------------------ verification --

layer_list() {  # OCI_DIR REF -> one line per layer: digest mediaType
  local dir=$1 ref=$2 mdig
  mdig=$(jq -r --arg t "$ref" \
    '[.manifests[] | select(.annotations["org.opencontainers.image.ref.name"] == $t)][0].digest' "$dir/index.json")
  jq -r '.layers[] | "\(.digest) \(.mediaType)"' "$dir/blobs/sha256/${mdig#sha256:}"
}

layer_entries() {  # OCI_DIR DIGEST MEDIATYPE -> tar -t listing
  local blob=$1/blobs/sha256/${2#sha256:}
  case $3 in
    *+gzip) tar -tzf "$blob" ;;
    *+zstd) zstd -dc "$blob" | tar -tf - ;;
    *)      tar -tf "$blob" ;;
  esac
}

whiteout_report() {  # NAME OCI_DIR REF: per layer "entries / opaque / whiteouts"
  local name=$1 dir=$2 ref=$3 dg mt i=0 list
  while read -r dg mt; do
    i=$((i + 1))
    list=$(layer_entries "$dir" "$dg" "$mt")
    printf '%s layer %d %s: %d entries, %d opaque (.wh..wh..opq), %d whiteouts (.wh.NAME)\n' \
      "$name" "$i" "${dg:7:12}" "$(wc -l <<<"$list")" \
      "$(grep -c '/\.wh\.\.wh\.\.opq$' <<<"$list" || true)" \
      "$(grep -E '(^|/)\.wh\.' <<<"$list" | grep -vc '\.wh\.\.wh\.' || true)"
  done < <(layer_list "$dir" "$ref")
}

all_entries() { local dg mt; while read -r dg mt; do layer_entries "$1" "$dg" "$mt"; done < <(layer_list "$1" "$2"); }

verify() {
  local n f
  for n in base hygiene hygiene-vfs; do
    for f in oci-gzip oci-zstd oci-plain; do
      sko inspect --raw "oci:$OUT/$n/$f:test" | jq -e '.schemaVersion == 2' >/dev/null \
        || die "$n/$f: bad manifest"
    done
    sko inspect --raw "oci-archive:$OUT/$n/oci-archive.tar:test" | jq -e '.schemaVersion == 2' >/dev/null
    sko inspect --raw "docker-archive:$OUT/$n/docker-archive.tar" | jq -e '.schemaVersion == 2' >/dev/null
    tar -xOf "$OUT/$n/docker25.tar" manifest.json | jq -e --arg t "$NS/$n:test" '.[0].RepoTags == [$t]' >/dev/null \
      || die "$n/docker25.tar: bad manifest.json"
    [[ -f $OUT/$n/umoci-rootfs/rootfs/etc/debian_version ]] || die "$n: umoci rootfs incomplete"
  done
  sko inspect --raw "oci:$OUT/umoci-edit/oci:umoci" | jq -e '.schemaVersion == 2' >/dev/null
  sko inspect --raw "oci:$OUT/multiarch/oci:test" \
    | jq -e '[.manifests[].platform | "\(.os)/\(.architecture)\(if .variant then "/" + .variant else "" end)"]
             == ["linux/amd64", "linux/arm64/v8"]' >/dev/null || die "multiarch: unexpected platforms"
  jq -e 'length == 2' <(tar -xOf "$OUT/multi-image.docker-archive.tar" manifest.json) >/dev/null \
    || die "multi-image archive does not hold two images"

  [[ -f $OUT/base/umoci-rootfs/rootfs/usr/lib/python3.11/EXTERNALLY-MANAGED ]] || die "base lost EXTERNALLY-MANAGED"
  [[ ! -e $OUT/hygiene/umoci-rootfs/rootfs/usr/lib/python3.11/EXTERNALLY-MANAGED ]] || die "hygiene kept EXTERNALLY-MANAGED"

  # The whiteout styles the tests rely on (listings go to files: `producer |
  # grep -q` would fail under pipefail when grep stops reading early).
  local ovl=$WORK/hygiene.entries vfs=$WORK/hygiene-vfs.entries umo=$WORK/umoci-top.entries top
  all_entries "$OUT/hygiene/oci-plain" test >"$ovl"
  all_entries "$OUT/hygiene-vfs/oci-plain" test >"$vfs"
  top=$(layer_list "$OUT/umoci-edit/oci" umoci | tail -n 1)
  # shellcheck disable=SC2086
  layer_entries "$OUT/umoci-edit/oci" $top >"$umo"
  grep -qx 'usr/share/doc/\.wh\.\.wh\.\.opq' "$ovl" || die "overlay build has no opaque marker for usr/share/doc"
  ! grep -q '\.wh\.\.wh\.\.opq' "$vfs"            || die "vfs build unexpectedly has opaque markers"
  grep -q '^usr/share/doc/\.wh\.[^.]' "$vfs"        || die "vfs build has no per-file whiteouts in usr/share/doc"
  grep -qx 'usr/share/doc/\.wh\.imgaudit' "$umo"    || die "umoci repack layer lacks usr/share/doc/.wh.imgaudit"
  ! grep -qx 'usr/share/doc/' "$umo"                 || die "umoci repack layer unexpectedly lists usr/share/doc/"

  {
    whiteout_report hygiene "$OUT/hygiene/oci-plain" test
    whiteout_report hygiene-vfs "$OUT/hygiene-vfs/oci-plain" test
    # shellcheck disable=SC2086
    whiteout_report umoci-edit "$OUT/umoci-edit/oci" umoci | tail -n 1
  } | tee "$OUT/whiteouts.txt" >&2
}

write_images_json() {
  local n
  {
    for n in base hygiene hygiene-vfs; do
      jq -n --arg n "$n" --arg s "$([[ $n == hygiene-vfs ]] && echo vfs || echo overlay)" --arg ns "$NS" '
        {name: $n, storage: $s,
         formats: {"oci-gzip": "\($n)/oci-gzip", "oci-zstd": "\($n)/oci-zstd", "oci-plain": "\($n)/oci-plain",
                   "oci-archive": "\($n)/oci-archive.tar", "docker-archive": "\($n)/docker-archive.tar",
                   "docker25": "\($n)/docker25.tar"},
         ref: "test", docker_tag: "\($ns)/\($n):test", umoci_rootfs: "\($n)/umoci-rootfs/rootfs"}'
    done
    jq -n '{name: "umoci-edit", storage: "umoci", formats: {"oci-gzip": "umoci-edit/oci"},
            ref: "umoci", docker_tag: null, umoci_rootfs: "umoci-edit/umoci-rootfs/rootfs"}'
  } | jq -s --arg ns "$NS" '{images: .,
      multiarch: {oci: "multiarch/oci", ref: "test", platforms: ["linux/amd64", "linux/arm64/v8"]},
      multi_image_archive: {path: "multi-image.docker-archive.tar",
                            tags: ["\($ns)/base:test", "\($ns)/hygiene:test"]}}' >"$OUT/images.json"
}

# ------------------------------------------------------------------- main --

main() {
  local hash; hash=$(inputs_hash)
  if [[ ${CI:-} != true && -f $OUT/images.json && -f $OUT/.inputs-hash && $(<"$OUT/.inputs-hash") == "$hash" ]]; then
    log "up to date: $OUT (inputs hash $hash)"
    return 0
  fi
  trap on_exit EXIT

  phase setup
  ensure_tools
  # Start clean: a half-finished earlier run must not look cached.
  rm -f "$OUT/images.json" "$OUT/.inputs-hash"
  release_storage
  safe_rm "$WORK" "$STORE" "$OUT"/{base,hygiene,hygiene-vfs,umoci-edit,multiarch} \
    "$OUT/multi-image.docker-archive.tar" "$OUT/whiteouts.txt"
  mkdir -p "$WORK" "$STORE"
  printf '%s\n' '{"default": [{"type": "insecureAcceptAnything"}]}' >"$POLICY"

  phase debootstrap;         debootstrap_both
  phase import-bases;        import_bases
  phase build-hygiene;       prepare_context; build_hygiene_overlay
  # vfs copies the whole rootfs for every step (I/O bound, ~1.5 min): run it
  # in the background while the overlay images are exported.
  log "hygiene-vfs: building in the background (log: $WORK/hygiene-vfs.log)"
  build_hygiene_vfs >"$WORK/hygiene-vfs.log" 2>&1 &
  VFS_PID=$!
  phase export-overlay;      export_image base "$(cs_ovl "$LOCAL/base:test")"
                             export_image hygiene "$(cs_ovl "$LOCAL/hygiene:test")"
  phase umoci-edit;          build_umoci_edit
  phase multiarch;           build_multiarch
  phase multi-image-archive; build_multi_image_archive
  phase wait-hygiene-vfs;    wait_hygiene_vfs
  phase export-vfs;          export_image hygiene-vfs "$(cs_vfs "$LOCAL/hygiene-vfs:test")"
  phase verify;              verify; write_images_json
  phase cleanup
  release_storage
  [[ ${KEEP_STORAGE:-} == 1 ]] || safe_rm "$STORE" "$WORK"
  phase ""

  echo "$hash" >"$OUT/.inputs-hash"
  log "timings:"; printf '  %s\n' "${TIMINGS[@]}" >&2
  log "done: $OUT ($(du -sh "$OUT" | cut -f1))"
}

main
