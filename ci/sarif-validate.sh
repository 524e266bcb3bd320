#!/usr/bin/env bash
# Validate SARIF files the way GitHub code scanning will judge them: the SARIF 2.1.0 schema and
# rules plus GitHub's ingestion rules (Microsoft's SARIF Multitool, `--rule-kind "Sarif;Gh"`).
#
#   ci/sarif-validate.sh FILE.sarif...
#
# Prints every error and warning (rule id, message, line:column in the file) and exits 1 when any
# file has an error, 2 when the validation itself could not run, 0 otherwise (warnings alone do
# not fail). The Multitool reports its findings in a SARIF log of its own and always exits 0, so
# that log is what is read here.
#
# Installs what it needs when missing: jq, node/npm (apt-get, as root), the Multitool from npm
# (into ${IMGAUDIT_TOOLS:-${XDG_CACHE_HOME:-$HOME/.cache}/imgaudit/tools}/sarif-multitool-VERSION,
# never globally; npm's own configuration chooses the registry), and the ICU library .NET needs
# (apt-get; where apt is unavailable .NET runs in globalization-invariant mode instead, which the
# validation does not need).
#
# Env: SARIF_MULTITOOL_VERSION (default 5.7.0), IMGAUDIT_TOOLS (the tools directory).
set -euo pipefail

VERSION=${SARIF_MULTITOOL_VERSION:-5.7.0}
TOOLS=${IMGAUDIT_TOOLS:-${XDG_CACHE_HOME:-$HOME/.cache}/imgaudit/tools}
PKG_DIR=$TOOLS/sarif-multitool-$VERSION
MULTITOOL=$PKG_DIR/node_modules/@microsoft/sarif-multitool-linux/Sarif.Multitool

log() { printf 'sarif-validate: %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 2; }

[[ $# -ge 1 ]] || { echo "usage: $0 FILE.sarif..." >&2; exit 2; }

# shellcheck source=ci/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

ensure_commands() {
  local -a pkgs=()
  command -v jq >/dev/null || pkgs+=(jq)
  command -v flock >/dev/null || pkgs+=(util-linux)
  # npm only to install the Multitool.
  if [[ ! -f $MULTITOOL ]] && ! command -v npm >/dev/null; then
    command -v node >/dev/null || pkgs+=(nodejs)
    pkgs+=(npm)
  fi
  [[ ${#pkgs[@]} -eq 0 ]] || apt_install "${pkgs[@]}"
  local c
  for c in jq flock; do command -v "$c" >/dev/null || die "$c still missing after installation"; done
}

ensure_multitool() {
  [[ $(uname -s)/$(uname -m) == Linux/x86_64 ]] \
    || die "the SARIF Multitool's Linux package is built for x86_64 only (this is $(uname -s)/$(uname -m))"
  mkdir -p "$TOOLS"
  # One installer at a time (parallel CI jobs share the cache).
  exec 9>"$TOOLS/.sarif-multitool.lock"
  flock 9
  if [[ ! -f $MULTITOOL ]]; then
    command -v npm >/dev/null || die "npm not found (needed to install @microsoft/sarif-multitool)"
    log "installing @microsoft/sarif-multitool $VERSION with npm into $PKG_DIR"
    rm -rf -- "$PKG_DIR"
    mkdir -p "$PKG_DIR"
    # The Linux package is named explicitly: it is only an optional dependency of the wrapper, and
    # an npm configured to omit optional dependencies would otherwise skip the binary.
    npm install --prefix "$PKG_DIR" --no-audit --no-fund --no-save --loglevel=error \
      "@microsoft/sarif-multitool@$VERSION" "@microsoft/sarif-multitool-linux@$VERSION" >&2 \
      || { rm -rf -- "$PKG_DIR"; die "npm install of @microsoft/sarif-multitool@$VERSION failed"; }
    [[ -f $MULTITOOL ]] || { rm -rf -- "$PKG_DIR"; die "npm installed no $MULTITOOL"; }
  fi
  # npm 11 skips install scripts not explicitly allowed, among them the package's own
  # `chmod u+x Sarif.Multitool`.
  [[ -x $MULTITOOL ]] || chmod 0755 "$MULTITOOL"
  flock -u 9
}

# .NET aborts at start-up without ICU ("Couldn't find a valid ICU package"): a minimal Debian has
# none. Install it; without apt, or when asked to, run in invariant mode (culture data is not used
# by the validation).
ensure_icu() {
  [[ ${DOTNET_SYSTEM_GLOBALIZATION_INVARIANT:-} =~ ^(1|true)$ ]] && return 0
  ldconfig -p 2>/dev/null | grep -q 'libicuuc\.so\.[0-9]' && return 0
  if command -v apt-get >/dev/null && [[ $(id -u) -eq 0 ]]; then
    local pkg
    [[ -n $APT_UPDATED ]] || { apt-get update -q >&2 || die "apt-get update failed"; APT_UPDATED=1; }
    pkg=$(apt-cache pkgnames libicu | grep -E '^libicu[0-9]+$' | sort -V | tail -n 1 || true)
    [[ -n $pkg ]] || die "no libicuNN package in the apt sources (or set DOTNET_SYSTEM_GLOBALIZATION_INVARIANT=1)"
    apt_install "$pkg"
    ldconfig -p | grep -q 'libicuuc\.so\.[0-9]' || die "$pkg installed but libicuuc is still not found"
  else
    log "no ICU library and no apt-get as root: running .NET in globalization-invariant mode"
    export DOTNET_SYSTEM_GLOBALIZATION_INVARIANT=1
  fi
}

# The Multitool's log gives most messages as a message id plus arguments; the text templates are
# in the messageStrings of the rule that produced the result.
# shellcheck disable=SC2016
JQ_REPORT='
  def rule($run): . as $r | ($run.tool.driver.rules // []) as $rules
    | if ($r.ruleIndex // -1) >= 0 then $rules[$r.ruleIndex] else ($rules | map(select(.id == $r.ruleId)) | first) end;
  def text($run): if .message.text then .message.text
    else (.message.arguments // []) as $args
      | (rule($run).messageStrings[.message.id].text // .message.id // "(no message)") as $t
      | reduce range(0; $args | length) as $k ($t; split("{\($k)}") | join($args[$k] | tostring))
    end;
  def where: (.locations // [])[0].physicalLocation.region // {}
    | if .startLine then ":\(.startLine)" + (if .startColumn then ":\(.startColumn)" else "" end) else "" end;
  [.runs[] as $run | ($run.results // [])[]
    | {level: (.level // rule($run).defaultConfiguration.level // "warning"), ruleId: (.ruleId // "?"),
       where: where, text: text($run)}]
  + [.runs[].invocations[]? | (.toolExecutionNotifications // []) + (.toolConfigurationNotifications // [])
     | .[] | select(.level == "error")
     | {level: "tool-error", ruleId: (.descriptor.id // "?"), where: "", text: (.message.text // "?")}]
  + [.runs[].invocations[]? | select(.executionSuccessful == false)
     | {level: "tool-error", ruleId: "-", where: "", text: "the Multitool reports an unsuccessful run"}]
  | .[] | [.level, .ruleId, .text, .where] | @tsv'

ensure_commands
ensure_multitool
ensure_icu

WORKDIR=$(mktemp -d -t sarif-validate.XXXXXX)
trap 'rm -rf -- "$WORKDIR"' EXIT

total_errors=0 total_warnings=0 broken=0 i=0
for f in "$@"; do
  i=$((i + 1))
  if [[ ! -f $f || ! -r $f ]]; then log "$f: no such readable file"; broken=1; continue; fi
  out=$WORKDIR/$i.out.sarif
  if ! "$MULTITOOL" validate "$f" --rule-kind "Sarif;Gh" -o "$out" --log ForceOverwrite \
       >"$WORKDIR/$i.log" 2>&1; then
    cat "$WORKDIR/$i.log" >&2
    log "$f: the Multitool failed (its output is above)"; broken=1; continue
  fi
  if ! jq -e '.runs | type == "array"' "$out" >/dev/null 2>&1; then
    cat "$WORKDIR/$i.log" >&2
    log "$f: the Multitool wrote no readable log (its output is above)"; broken=1; continue
  fi
  if ! report=$(jq -r "$JQ_REPORT" "$out"); then
    log "$f: could not read the Multitool's log"; broken=1; continue
  fi
  errors=0 warnings=0 notes=0
  # Fields: level, rule id, message, location (the only one that may be empty, hence last: read
  # merges adjacent tabs).
  while IFS=$'\t' read -r level rule text where; do
    [[ -n $level ]] || continue
    case $level in
      error)      errors=$((errors + 1));     printf '%s%s: error %s: %s\n' "$f" "$where" "$rule" "$text" ;;
      warning)    warnings=$((warnings + 1)); printf '%s%s: warning %s: %s\n' "$f" "$where" "$rule" "$text" ;;
      tool-error) broken=1;                   printf '%s: Multitool error %s: %s\n' "$f" "$rule" "$text" ;;
      *)          notes=$((notes + 1)) ;;
    esac
  done <<<"$report"
  printf '%s: %d error(s), %d warning(s), %d note(s)\n' "$f" "$errors" "$warnings" "$notes"
  total_errors=$((total_errors + errors)) total_warnings=$((total_warnings + warnings))
done

[[ $broken -eq 0 ]] || die "some files could not be validated"
if [[ $total_errors -gt 0 ]]; then
  log "FAILED: $total_errors error(s) in $# file(s)"
  exit 1
fi
log "OK: $# file(s) valid ($total_warnings warning(s))"
