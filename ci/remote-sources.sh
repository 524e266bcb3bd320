#!/usr/bin/env bash
# End-to-end tests of the registry and daemon sources against real servers the tests start
# themselves: Debian's docker-registry (plain HTTP, TLS with htpasswd, bearer tokens from an
# in-process token server), a fault-injecting proxy, and podman's Docker-compatible service.
#
#   ci/remote-sources.sh IMAGES_DIR
#
# IMAGES_DIR is what tests/real-images/build.sh made (the images pushed and loaded). Installs the
# servers' packages when missing (apt-get, as root); every server is stopped when its test ends.
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf 'remote-sources: %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 2; }

[[ $# -eq 1 && -f $1/images.json ]] || die "usage: $0 IMAGES_DIR (made by tests/real-images/build.sh)"

# shellcheck source=ci/lib.sh
source ci/lib.sh

declare -a pkgs=()
for tool in docker-registry:docker-registry skopeo:skopeo podman:podman htpasswd:apache2-utils \
            openssl:openssl curl:curl unshare:util-linux; do
  command -v "${tool%%:*}" >/dev/null || pkgs+=("${tool#*:}")
done
[[ ${#pkgs[@]} -eq 0 ]] || apt_install "${pkgs[@]}"

# Two at a time: each test starts its own servers on free ports; podman's vfs store and the
# pushes are I/O-heavy, more in parallel only thrash two cores.
IMGAUDIT_REAL_IMAGES="$1" cargo test -p imgaudit --locked --test harness --test remote \
  -- --ignored --test-threads 2
