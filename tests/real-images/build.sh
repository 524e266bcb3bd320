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
#      KEEP_STORAGE=1 keeps OUT_DIR/.storage and OUT_DIR/.work for debugging
#      (the vfs store only with IMGAUDIT_VFS_ON_DISK=1, a tmpfs dies with the run);
#      IMGAUDIT_VFS_ON_DISK=1 keeps the vfs store off tmpfs;
#      CI=true skips the cache check (CI passes a fresh directory).
set -Eeuo pipefail
umask 022

SUITE=bookworm
NS=imgaudit-test                 # repository namespace of every tag
LOCAL=localhost/$NS              # names inside the private container storage
# Docker's default domain, only for reference normalization (the name Docker 25
# records in io.containerd.image.name); nothing ever contacts it.
DOCKER_DOMAIN=docker.io
PATH_ENV=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

log() { printf '[real-images %(%H:%M:%S)T] %s\n' -1 "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }
trap 'rc=$?; log "ERROR: command failed (exit $rc) at line $LINENO: $BASH_COMMAND"; exit $rc' ERR

[[ $# -eq 1 && -n $1 ]] || { echo "usage: $0 OUT_DIR" >&2; exit 2; }
[[ $(id -u) -eq 0 ]] || die "must run as root (debootstrap, buildah mount, umoci unpack)"
mkdir -p "$1"
OUT=$(cd "$1" && pwd)
SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SCRIPT=$SCRIPT_DIR/$(basename "${BASH_SOURCE[0]}")

# Re-run in a private mount namespace: every mount made below (buildah,
# debootstrap) dies with it, and skopeo/buildah get an empty private
# blob-info cache (see private_blob_cache) instead of the host's.
if [[ -z ${IMGAUDIT_REAL_IMAGES_NS:-} ]]; then
  command -v unshare >/dev/null || die "unshare (util-linux) not found"
  IMGAUDIT_REAL_IMAGES_NS=1 exec unshare --mount --propagation private -- bash "$SCRIPT" "$OUT"
fi
WORK=$OUT/.work
STORE=$OUT/.storage
OVL_ROOT=$STORE/overlay/root VFS_ROOT=$STORE/vfs/root
# Run roots hold only this run's locks and mount state, and podman refuses one longer than 50
# characters (a CI temp dir is longer): keep them in a short temporary directory.
RUNROOTS=$(mktemp -d "${TMPDIR:-/tmp}/ia-run.XXXXXX")
OVL_RUN=$RUNROOTS/overlay VFS_RUN=$RUNROOTS/vfs
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
  local store m
  for store in "overlay $OVL_ROOT $OVL_RUN" "vfs $VFS_ROOT $VFS_RUN"; do
    set -- $store
    [[ -d $2 ]] || continue
    local -a b=(buildah --root "$2" --runroot "$3" --storage-driver "$1")
    "${b[@]}" rm --all >/dev/null 2>&1 || true
    "${b[@]}" umount --all >/dev/null 2>&1 || true
  done
  for m in $(mounts_under "$OUT"); do umount "$m" 2>/dev/null || umount -l "$m" || true; done
  [[ -z $(mounts_under "$OUT") ]] || die "mounts left under $OUT: $(mounts_under "$OUT" | tr '\n' ' ')"
}

on_exit() {
  local rc=$?
  set +e; trap - ERR   # best effort from here on; the ERR trap would exit early
  local pid
  for pid in ${ARM_PID:-} ${VFS_PID:-}; do   # our own background jobs, by pid
    pkill -TERM -P "$pid" 2>/dev/null; kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null
  done
  release_storage 2>/dev/null
  safe_rm "$RUNROOTS" 2>/dev/null
  [[ $rc -eq 0 ]] || log "FAILED (exit $rc); work files kept in $WORK"
}

# --------------------------------------------------------------- phases --

# containers/image records blob digests and compressed variants in
# /var/lib/containers/cache and later reuses them (e.g. swaps in gzip blobs
# when pushing zstd ones). A tmpfs over it, visible only in this mount
# namespace, keeps the host's cache untouched and ours from being polluted.
private_blob_cache() {
  local c=/var/lib/containers/cache
  mkdir -p "$c"
  mount -t tmpfs -o size=64m,mode=0700 imgaudit-blob-cache "$c"
}

inputs_hash() {   # this script and every file next to it (the Dockerfiles)
  (cd "$SCRIPT_DIR" && find . -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum) \
    | sha256sum | cut -d' ' -f1
}

ensure_tools() {
  local -a missing=()
  local t
  for t in debootstrap skopeo buildah umoci podman jq zstd pigz tar awk sha256sum ssh-keygen openssl git; do
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
    apache2-utils pigz zstd jq python3-pip openssh-client openssl git
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
# Like Debian's -slim images, drop locales, man and info pages (a fifth of the
# size and of the files, so every export and unpack is faster); /usr/share/doc
# stays, the hygiene image needs it.
clean_rootfs() {
  local r=$1 d e
  [[ -z $(mounts_under "$r") ]] || die "debootstrap left mounts in $r: $(mounts_under "$r" | tr '\n' ' ')"
  for d in proc sys; do
    if [[ -L $r/$d ]]; then rm -f -- "${r:?}/$d"; mkdir -m 0555 "$r/$d"; fi
  done
  for d in dev proc sys tmp var/cache/apt var/lib/apt/lists run debootstrap \
           usr/share/locale usr/share/man usr/share/info; do
    [[ -d $r/$d && ! -L $r/$d ]] || continue
    for e in "$r/$d"/* "$r/$d"/.[!.]*; do
      [[ -e $e || -L $e ]] || continue
      [[ $d == var/lib/apt/lists && $(basename "$e") == partial ]] && continue
      [[ $d == var/cache/apt && $(basename "$e") == archives ]] && { safe_rm "$e"; mkdir -p "$e/partial"; continue; }
      safe_rm "$e"
    done
  done
  [[ -d $r/debootstrap ]] && rmdir "$r/debootstrap"
  rm -f "$r/etc/dpkg/dpkg.cfg.d/imgaudit-unsafe-io"
  return 0
}

debootstrap_both() {
  local mirror; mirror=$(debian_mirror)
  log "Debian mirror: $mirror"
  mkdir -p "$WORK"
  # arm64 --foreign only unpacks packages (no arm64 code runs); it runs in the
  # background while the amd64 tree is built.
  log "debootstrap --foreign arm64 (background) -> $WORK/rootfs-arm64"
  debootstrap --foreign --arch=arm64 --variant=minbase "$SUITE" "$WORK/rootfs-arm64" "$mirror" \
    >"$WORK/debootstrap-arm64.log" 2>&1 &
  ARM_PID=$!
  log "debootstrap amd64 minbase + python3 -> $WORK/rootfs-amd64"
  # dpkg in the target without fsync per file (as Docker's Debian images
  # build); removed again in clean_rootfs.
  mkdir -p "$WORK/rootfs-amd64/etc/dpkg/dpkg.cfg.d"
  echo force-unsafe-io >"$WORK/rootfs-amd64/etc/dpkg/dpkg.cfg.d/imgaudit-unsafe-io"
  if ! debootstrap --variant=minbase --include=python3,python3-pip,python3-venv \
       "$SUITE" "$WORK/rootfs-amd64" "$mirror" >"$WORK/debootstrap-amd64.log" 2>&1; then
    tail -n 30 "$WORK/debootstrap-amd64.log" >&2
    die "debootstrap amd64 failed (log: $WORK/debootstrap-amd64.log)"
  fi
  if ! wait "$ARM_PID"; then
    ARM_PID=""
    tail -n 30 "$WORK/debootstrap-arm64.log" >&2
    die "debootstrap --foreign arm64 failed (log: $WORK/debootstrap-arm64.log)"
  fi
  ARM_PID=""
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

# The Python rule fixtures: two versions of one wheel (a user-site copy that
# shadows another), fetched on the host like the hygiene wheels.
PYTHON_FIXTURES=(python-rules python-traps)
build_python_fixtures() {
  local wheels=$WORK/python-wheels name ctx
  safe_rm "$wheels"; mkdir -p "$wheels"
  python3 -m pip download --quiet --no-deps --only-binary=:all: -d "$wheels" six==1.16.0 \
    || die "pip download of six 1.16.0 failed"
  python3 -m pip download --quiet --no-deps --only-binary=:all: -d "$wheels" six==1.15.0 \
    || die "pip download of six 1.15.0 failed"
  for name in "${PYTHON_FIXTURES[@]}"; do
    ctx=$WORK/$name-ctx
    safe_rm "$ctx"; mkdir -p "$ctx"
    cp -a "$SCRIPT_DIR/$name/." "$ctx/"
    cp -a "$wheels" "$ctx/wheels"
    bah bud --isolation chroot --network host --layers --format oci \
      -f "$ctx/Dockerfile" -t "$LOCAL/$name:test" "$ctx" >&2
  done
}

export_python_fixtures() {
  local name
  for name in "${PYTHON_FIXTURES[@]}"; do
    safe_rm "$OUT/$name"; mkdir -p "$OUT/$name"
    log "$name: oci-gzip"
    sko copy --quiet "$(cs_ovl "$LOCAL/$name:test")" "oci:$OUT/$name/oci:test"
  done
}

# The Python-tools fixtures: real uv, poetry and pipenv releases from PyPI (pinned: the newest when
# the fixtures were written), downloaded on the host with their dependencies.
TOOL_FIXTURES=(python-tools python-tools-traps)
TOOL_RELEASES=(uv==0.13.9 poetry==2.5.1 pipenv==2026.10.3)
build_tool_fixtures() {
  local wheels=$WORK/tool-wheels name ctx
  safe_rm "$wheels"; mkdir -p "$wheels"
  python3 -m pip download --quiet --only-binary=:all: -d "$wheels" "${TOOL_RELEASES[@]}" \
    || die "pip download of ${TOOL_RELEASES[*]} failed"
  for name in "${TOOL_FIXTURES[@]}"; do
    ctx=$WORK/$name-ctx
    safe_rm "$ctx"; mkdir -p "$ctx"
    cp -a "$SCRIPT_DIR/$name/." "$ctx/"
    cp -a "$wheels" "$ctx/wheels"
    bah bud --isolation chroot --network host --layers --format oci \
      -f "$ctx/Dockerfile" -t "$LOCAL/$name:test" "$ctx" >&2
  done
}

export_tool_fixtures() {
  local name
  for name in "${TOOL_FIXTURES[@]}"; do
    safe_rm "$OUT/$name"; mkdir -p "$OUT/$name"
    log "$name: oci-gzip"
    sko copy --quiet "$(cs_ovl "$LOCAL/$name:test")" "oci:$OUT/$name/oci:test"
  done
}

# The hygiene and secrets pack's fixtures (secrets-hygiene: every rule fires once, beside its
# traps; hygiene-clean: nothing fires). What must not be committed is made here, on the host, into
# the build context: private keys, certificates and public keys (fresh each build, by ssh-keygen
# and openssl), the .git directory of the copied app, and the six sdist and wheel from pip.
PACK_FIXTURES=(secrets-hygiene hygiene-clean)
# A fake GitLab token (glpat- and 20 characters) the build passes as a build argument.
FIXTURE_BUILD_ARG_TOKEN=glpat-FixtureBuildArgTok01

make_fixture_keys() {  # DIR
  local d=$1 tmp
  tmp=$(mktemp -d "$WORK/keys.XXXXXX")
  mkdir -p "$d/ssh" "$d/tls" "$d/deploy"
  ssh-keygen -q -t rsa -b 2048 -N '' -C imgaudit-fixture -f "$d/ssh/id_rsa"
  openssl genpkey -quiet -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$d/tls/server.key"
  openssl req -x509 -new -key "$d/tls/server.key" -subj /CN=fixture.internal.example -days 3650 \
    -out "$d/tls/server.crt" 2>/dev/null
  local n
  for n in 1 2; do
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -noenc \
      -keyout "$tmp/ca$n.key" -subj "/CN=imgaudit fixture CA $n" -days 3650 -out "$tmp/ca$n.crt" 2>/dev/null
  done
  cat "$tmp/ca1.crt" "$tmp/ca2.crt" >"$d/tls/ca-bundle.crt"
  openssl genpkey -algorithm ed25519 -out "$tmp/signing.key"
  openssl pkey -in "$tmp/signing.key" -pubout -out "$d/tls/signing.pub.pem"
  openssl ecparam -name prime256v1 -genkey -noout -out "$d/deploy/deploy_key"
  safe_rm "$tmp"
  chmod 0700 "$d/ssh"
  chmod 0600 "$d/ssh/id_rsa" "$d/tls/server.key" "$d/deploy/deploy_key"
  grep -q '^-----BEGIN OPENSSH PRIVATE KEY-----$' "$d/ssh/id_rsa" || die "ssh-keygen wrote no OpenSSH key"
  grep -q '^-----BEGIN PRIVATE KEY-----$' "$d/tls/server.key" || die "openssl wrote no PKCS#8 key"
  grep -q '^-----BEGIN EC PRIVATE KEY-----$' "$d/deploy/deploy_key" || die "openssl wrote no SEC1 EC key"
}

build_pack_fixtures() {
  local dl=$WORK/pack-downloads name ctx
  safe_rm "$dl"; mkdir -p "$dl/sdists" "$dl/wheels"
  python3 -m pip download --quiet --no-deps --no-binary=:all: -d "$dl/sdists" six==1.16.0 \
    || die "pip download of the six 1.16.0 sdist failed"
  python3 -m pip download --quiet --no-deps --only-binary=:all: -d "$dl/wheels" six==1.16.0 \
    || die "pip download of the six 1.16.0 wheel failed"
  [[ -f $dl/sdists/six-1.16.0.tar.gz ]] || die "no six-1.16.0.tar.gz in $dl/sdists"

  ctx=$WORK/secrets-hygiene-ctx
  safe_rm "$ctx"; mkdir -p "$ctx"
  cp -a "$SCRIPT_DIR/secrets-hygiene/." "$ctx/"
  cp -a "$dl/sdists" "$ctx/sdists"
  make_fixture_keys "$ctx/keys"
  # An empty repository (no hook samples) is all FILE003 needs.
  git init --quiet --template= "$ctx/app" >/dev/null
  bah bud --isolation chroot --network host --layers --format oci \
    --build-arg "TOKEN=$FIXTURE_BUILD_ARG_TOKEN" \
    -f "$ctx/Dockerfile" -t "$LOCAL/secrets-hygiene:test" "$ctx" >&2
  # The tests check that no key leaks into any output: they read the keys from here.
  safe_rm "$OUT/secrets-hygiene"; mkdir -p "$OUT/secrets-hygiene"
  cp -a "$ctx/keys" "$OUT/secrets-hygiene/keys"

  ctx=$WORK/hygiene-clean-ctx
  safe_rm "$ctx"; mkdir -p "$ctx"
  cp -a "$SCRIPT_DIR/hygiene-clean/." "$ctx/"
  cp -a "$dl/wheels" "$ctx/wheels"
  bah bud --isolation chroot --network host --layers --format oci \
    -f "$ctx/Dockerfile" -t "$LOCAL/hygiene-clean:test" "$ctx" >&2
}

export_pack_fixtures() {
  local name
  for name in "${PACK_FIXTURES[@]}"; do
    mkdir -p "$OUT/$name"; safe_rm "$OUT/$name/oci"
    log "$name: oci-gzip"
    sko copy --quiet "$(cs_ovl "$LOCAL/$name:test")" "oci:$OUT/$name/oci:test"
  done
}

# What the pack's tests rely on from buildah: the build argument recorded in the history of the
# RUN after its ARG (`|1 TOKEN=...`), not in the one before it, and the runtime user.
verify_pack_fixtures() {
  local config
  config=$(sko inspect --config "oci:$OUT/secrets-hygiene/oci:test")
  jq -e '.config.User == "toor"' <<<"$config" >/dev/null || die "secrets-hygiene: User is not toor"
  jq -e --arg t "$FIXTURE_BUILD_ARG_TOKEN" '[.history[].created_by | select(startswith("|1 TOKEN=" + $t + " "))]
      | length == 1' <<<"$config" >/dev/null \
    || die "secrets-hygiene: not exactly one history step records |1 TOKEN=..."
  jq -e '.config.User == "app"' <(sko inspect --config "oci:$OUT/hygiene-clean/oci:test") >/dev/null \
    || die "hygiene-clean: User is not app"
}

# The vfs store holds a full rootfs copy per layer (~1.5 GB). On this kind of
# disk, writing it is the slowest build step and deleting it takes a minute,
# so it goes on a tmpfs (in our private mount namespace) when RAM allows.
# IMGAUDIT_VFS_ON_DISK=1 forces the disk.
maybe_vfs_tmpfs() {
  local avail_kb; avail_kb=$(awk '/^MemAvailable:/ { print $2 }' /proc/meminfo)
  if [[ ${IMGAUDIT_VFS_ON_DISK:-} != 1 ]] && (( avail_kb > 6 * 1024 * 1024 )); then
    mkdir -p "$STORE/vfs"
    mount -t tmpfs -o size=4g,mode=0700 imgaudit-vfs-store "$STORE/vfs"
    log "vfs store on tmpfs ($((avail_kb / 1024 / 1024)) GB RAM available)"
  else
    log "vfs store on disk"
  fi
}

# Free a store as soon as everything is exported from it, to keep the peak
# disk use down.
drop_store() {  # overlay|vfs
  [[ ${KEEP_STORAGE:-} == 1 ]] && return 0
  buildah --root "$STORE/$1/root" --runroot "$RUNROOTS/$1" --storage-driver "$1" rm --all >/dev/null
  buildah --root "$STORE/$1/root" --runroot "$RUNROOTS/$1" --storage-driver "$1" umount --all >/dev/null
  if mountpoint -q "$STORE/$1"; then umount "$STORE/$1"; fi   # the tmpfs, if any
  [[ -z $(mounts_under "$STORE/$1") ]] || die "$1 store still mounted: $(mounts_under "$STORE/$1" | tr '\n' ' ')"
  safe_rm "$STORE/$1"
}

ARM_PID="" VFS_PID=""
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
    -f "$CTX/Dockerfile" -t "$LOCAL/hygiene:test" "$CTX" >&2
}

# Same Dockerfile on the vfs driver, in its own store (seeded with base in the
# foreground, so the overlay store is not read by the background job).
seed_vfs_store() { sko copy --quiet "$(cs_ovl "$LOCAL/base:test")" "$(cs_vfs "$LOCAL/base:test")"; }
build_hygiene_vfs() {
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
    --arg name "$DOCKER_DOMAIN/$repo:$tag" --arg tag "$tag" '
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

# Every format for one image held in containers-storage. Storage is read once
# (into the uncompressed layout, which has exactly the storage's layer
# tars); the other formats are copied from there so no layer is re-tarred,
# and oci-archive from the gzip layout so nothing is compressed twice.
export_image() {  # NAME SOURCE_REF
  local name=$1 src=$2 d=$OUT/$1
  safe_rm "$d"; mkdir -p "$d"
  local plain=oci:$d/oci-plain:test
  log "$name: oci-plain";       sko copy --quiet --dest-oci-accept-uncompressed-layers "$src" "$plain"
  log "$name: oci-gzip";        sko copy --quiet "$plain" "oci:$d/oci-gzip:test"
  log "$name: oci-zstd";        sko copy --quiet --dest-compress-format zstd "$plain" "oci:$d/oci-zstd:test"
  log "$name: oci-archive";     sko copy --quiet "oci:$d/oci-gzip:test" "oci-archive:$d/oci-archive.tar:test"
  log "$name: docker-archive";  sko copy --quiet "$plain" "docker-archive:$d/docker-archive.tar:$NS/$name:test"
  log "$name: docker25";        make_docker25 "$d/oci-plain" "$d/docker25.tar" "$NS/$name" test
  log "$name: umoci unpack";    umoci unpack --image "$d/oci-gzip:test" "$d/umoci-rootfs" >/dev/null
}

# umoci repack of an edited bundle: the new layer has `.wh.` entries without
# their ancestor directories (and, for opt/venv/bin, without the parent).
build_umoci_edit() {
  local d=$OUT/umoci-edit b=$WORK/umoci-edit-bundle
  safe_rm "$d" "$b"; mkdir -p "$d"
  cp -a "$OUT/hygiene/oci-gzip" "$d/oci"
  umoci unpack --image "$d/oci:test" "$b" >/dev/null
  rm -r "$b/rootfs/usr/share/doc/imgaudit"          # a whole directory
  rm "$b/rootfs/etc/os-release.hard"                 # one name of a hard link pair
  # A file whose directory then gets its old mtime back: umoci sees the
  # directory unchanged and writes the whiteout with no parent entry at all.
  local t; t=$(stat -c %Y "$b/rootfs/opt/venv/bin")
  rm "$b/rootfs/opt/venv/bin/activate"
  touch -m -d "@$t" "$b/rootfs/opt/venv/bin"
  rm "$b/rootfs/usr/lib/python3.11/os.py"            # a file from the base layer
  echo "added by umoci repack" >"$b/rootfs/opt/umoci-added"
  umoci repack --image "$d/oci:umoci" "$b" >/dev/null
  umoci unpack --image "$d/oci:umoci" "$d/umoci-rootfs" >/dev/null
  safe_rm "$b"
}

# Multi-platform OCI index: linux/amd64 (hygiene) + linux/arm64/v8 (foreign
# base). Images are added from gzip OCI layouts so push --all only copies blobs.
build_multiarch() {
  local list=$LOCAL/multiarch:test d=$OUT/multiarch arm=$WORK/base-arm64-oci
  safe_rm "$d" "$arm"; mkdir -p "$d"
  sko copy --quiet "$(cs_ovl "$LOCAL/base-arm64:test")" "oci:$arm:test"
  bah manifest rm "$list" >/dev/null 2>&1 || true
  bah manifest create "$list" >/dev/null
  bah manifest add "$list" "oci:$OUT/hygiene/oci-gzip:test" >/dev/null
  bah manifest add --arch arm64 --variant v8 "$list" "oci:$arm:test" >/dev/null
  bah manifest push --quiet --all --format oci "$list" "oci:$d/oci:test" >&2
  bah manifest rm "$list" >/dev/null
  safe_rm "$arm"
}

# One docker-archive with two images (podman save -m, as `docker save a b`).
build_multi_image_archive() {
  local f=$OUT/multi-image.docker-archive.tar
  rm -f "$f"
  # Docker-domain tags, so RepoTags read docker.io/imgaudit-test/NAME:test (the
  # containers/image writer records fully qualified names, docker save the
  # familiar imgaudit-test/NAME:test).
  bah tag "$LOCAL/base:test" "$DOCKER_DOMAIN/$NS/base:test"
  bah tag "$LOCAL/hygiene:test" "$DOCKER_DOMAIN/$NS/hygiene:test"
  mkdir -p "$WORK/podman-tmp"
  podman --root "$OVL_ROOT" --runroot "$OVL_RUN" --storage-driver overlay \
    --tmpdir "$WORK/podman-tmp" --cgroup-manager cgroupfs --events-backend none \
    save --quiet --multi-image-archive --format docker-archive -o "$f" \
    "$DOCKER_DOMAIN/$NS/base:test" "$DOCKER_DOMAIN/$NS/hygiene:test"
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
    # docker25.tar must read both as an OCI layout archive and as a docker save tarball.
    sko inspect --raw "oci-archive:$OUT/$n/docker25.tar:test" | jq -e '.schemaVersion == 2' >/dev/null \
      || die "$n/docker25.tar: unreadable as oci-archive"
    sko inspect "docker-archive:$OUT/$n/docker25.tar" | jq -e '.Architecture == "amd64"' >/dev/null \
      || die "$n/docker25.tar: unreadable as docker-archive"
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
  grep -qx 'opt/venv/bin/\.wh\.activate' "$umo"     || die "umoci repack layer lacks opt/venv/bin/.wh.activate"
  ! grep -qxE 'usr/|usr/share/|opt/venv/|opt/venv/bin/' "$umo" \
    || die "umoci repack layer unexpectedly lists ancestors of its whiteouts"

  {
    whiteout_report hygiene "$OUT/hygiene/oci-plain" test
    whiteout_report hygiene-vfs "$OUT/hygiene-vfs/oci-plain" test
    # shellcheck disable=SC2086
    whiteout_report umoci-edit "$OUT/umoci-edit/oci" umoci | tail -n 1
  } | tee "$OUT/whiteouts.txt" >&2
}

repo_tags() { tar -xOf "$1" manifest.json | jq -c '[.[].RepoTags[]]'; }

# docker_tag is the familiar name; archive_repo_tags is what each archive's
# manifest.json records (skopeo/podman write docker.io/..., Docker 25 does not).
write_images_json() {
  local n
  {
    for n in base hygiene hygiene-vfs; do
      jq -n --arg n "$n" --arg s "$([[ $n == hygiene-vfs ]] && echo vfs || echo overlay)" --arg ns "$NS" \
        --argjson da "$(repo_tags "$OUT/$n/docker-archive.tar")" --argjson d25 "$(repo_tags "$OUT/$n/docker25.tar")" '
        {name: $n, storage: $s,
         formats: {"oci-gzip": "\($n)/oci-gzip", "oci-zstd": "\($n)/oci-zstd", "oci-plain": "\($n)/oci-plain",
                   "oci-archive": "\($n)/oci-archive.tar", "docker-archive": "\($n)/docker-archive.tar",
                   "docker25": "\($n)/docker25.tar"},
         ref: "test", docker_tag: "\($ns)/\($n):test",
         archive_repo_tags: {"docker-archive": $da, "docker25": $d25},
         umoci_rootfs: "\($n)/umoci-rootfs/rootfs"}'
    done
    jq -n '{name: "umoci-edit", storage: "umoci", formats: {"oci-gzip": "umoci-edit/oci"},
            ref: "umoci", docker_tag: null, umoci_rootfs: "umoci-edit/umoci-rootfs/rootfs"}'
  } | jq -s --arg ns "$NS" --argjson mt "$(repo_tags "$OUT/multi-image.docker-archive.tar")" '{images: .,
      multiarch: {oci: "multiarch/oci", ref: "test", platforms: ["linux/amd64", "linux/arm64/v8"]},
      python_fixtures: {"python-rules": "python-rules/oci:test", "python-traps": "python-traps/oci:test"},
      tool_fixtures: {"python-tools": {oci: "python-tools/oci:test",
                                       dockerfile: "tests/real-images/python-tools/Dockerfile"},
                      "python-tools-traps": {oci: "python-tools-traps/oci:test",
                                             dockerfile: "tests/real-images/python-tools-traps/Dockerfile"}},
      pack_fixtures: {"secrets-hygiene": {oci: "secrets-hygiene/oci:test", keys: "secrets-hygiene/keys",
                                          dockerfile: "tests/real-images/secrets-hygiene/Dockerfile"},
                      "hygiene-clean": {oci: "hygiene-clean/oci:test",
                                        dockerfile: "tests/real-images/hygiene-clean/Dockerfile"}},
      multi_image_archive: {path: "multi-image.docker-archive.tar",
                            tags: ["\($ns)/base:test", "\($ns)/hygiene:test"], archive_repo_tags: $mt}}' >"$OUT/images.json"
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
  private_blob_cache
  # Start clean: a half-finished earlier run must not look cached.
  rm -f "$OUT/images.json" "$OUT/.inputs-hash"
  release_storage
  safe_rm "$WORK" "$STORE" "$OUT"/{base,hygiene,hygiene-vfs,umoci-edit,multiarch,python-rules,python-traps,python-tools,python-tools-traps,secrets-hygiene,hygiene-clean} \
    "$OUT/multi-image.docker-archive.tar" "$OUT/whiteouts.txt"
  mkdir -p "$WORK" "$STORE"
  printf '%s\n' '{"default": [{"type": "insecureAcceptAnything"}]}' >"$POLICY"

  phase debootstrap;         debootstrap_both
  phase import-bases;        import_bases
  phase build-hygiene;       prepare_context; build_hygiene_overlay
  # vfs copies the whole rootfs for every step (I/O bound, ~1.5 min): run it
  # in the background while the overlay images are exported.
  maybe_vfs_tmpfs
  seed_vfs_store
  log "hygiene-vfs: building in the background (log: $WORK/hygiene-vfs.log)"
  build_hygiene_vfs >"$WORK/hygiene-vfs.log" 2>&1 &
  VFS_PID=$!
  phase export-overlay;      export_image base "$(cs_ovl "$LOCAL/base:test")"
                             export_image hygiene "$(cs_ovl "$LOCAL/hygiene:test")"
  phase python-fixtures;     build_python_fixtures; export_python_fixtures
  phase pack-fixtures;       build_pack_fixtures; export_pack_fixtures
  phase tool-fixtures;       build_tool_fixtures; export_tool_fixtures
  phase umoci-edit;          build_umoci_edit
  phase multiarch;           build_multiarch
  phase multi-image-archive; build_multi_image_archive
                             drop_store overlay
  phase wait-hygiene-vfs;    wait_hygiene_vfs
  phase export-vfs;          export_image hygiene-vfs "$(cs_vfs "$LOCAL/hygiene-vfs:test")"
                             drop_store vfs
  phase verify;              verify; verify_pack_fixtures; write_images_json
  phase cleanup
  release_storage
  [[ ${KEEP_STORAGE:-} == 1 ]] || safe_rm "$STORE" "$WORK"
  phase ""

  echo "$hash" >"$OUT/.inputs-hash"
  log "timings:"; printf '  %s\n' "${TIMINGS[@]}" >&2
  log "done: $OUT ($(du -sh "$OUT" | cut -f1))"
}

main
