# shellcheck shell=bash
# Helpers shared by the CI scripts; source it after defining `log` and `die`.

# apt_install PACKAGE...: installs Debian packages (root only), running `apt-get update` once.
APT_UPDATED=""
apt_install() {
  command -v apt-get >/dev/null || die "apt-get not found; install: $*"
  [[ $(id -u) -eq 0 ]] || die "not root; install as root: apt-get install $*"
  log "installing with apt-get: $*"
  if [[ -z $APT_UPDATED ]]; then apt-get update -q >&2 || die "apt-get update failed"; APT_UPDATED=1; fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$@" >&2 \
    || die "apt-get install $* failed"
}
