#!/usr/bin/env bash
# Run the CI templates' commands for real: the build and audit steps of ci/github/imgaudit.yml
# (step ids `build` and `imgaudit`) and the script of the `imgaudit` job of
# ci/gitlab/imgaudit.gitlab-ci.yml, in a copy of the sample project ci/templates/sample, with
# podman standing in for Docker, then check what they produced.
#
#   ci/templates/test.sh IMAGES_DIR IMGAUDIT_BIN
#
# IMAGES_DIR is the output of tests/real-images/build.sh (its images.json names the `base`
# image the sample is built on); IMGAUDIT_BIN is the imgaudit binary the templates call.
# Runs as root on Debian 12 and installs what it uses with apt-get (podman, jq, yq, busybox).
# Nothing touches the host's container storage: a `docker` shim first on PATH runs podman on a
# private vfs store in a temporary directory (chroot isolation, no cgroups), inside a private mount
# namespace; everything mounted under it is unmounted at exit.
#
# Checks: the YAML parses and the upload/report paths are the ones the audit writes; the GitHub
# audit exits 1 (the sample has high findings) and the upload still runs on failure; two runs
# with different GITHUB_SHA (a genuine rebuild: the first image and its build cache are removed)
# give SARIF that passes ci/sarif-validate.sh with the same automationDetails.id and the same
# (ruleId, partialFingerprints) pairs, with results located on the sample Dockerfile's matching
# instruction lines; the GitLab script writes a non-empty Code Quality report and the SARIF it
# keeps; the sample's planted index credential appears in no output of imgaudit.
#
# Env: KEEP_WORK=1 keeps the work directory (and the store) for debugging.
# shellcheck disable=SC2016  # jq/yq filters and ${{ }} are meant literally
set -Eeuo pipefail
umask 022

SECRET=planted-secret-token-1234567890
log() { printf '[templates %(%H:%M:%S)T] %s\n' -1 "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }
# shellcheck source=ci/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
trap 'rc=$?; log "ERROR: command failed (exit $rc) at line $LINENO: $BASH_COMMAND"; exit $rc' ERR

[[ $# -eq 2 && -n $1 && -n $2 ]] || { echo "usage: $0 IMAGES_DIR IMGAUDIT_BIN" >&2; exit 2; }
[[ $(id -u) -eq 0 ]] || die "must run as root (podman with a private store, mount namespace)"
[[ -f $1/images.json ]] || die "$1/images.json not found (run tests/real-images/build.sh $1)"
[[ -f $2 && -x $2 ]] || die "$2: not an executable file"
IMAGES=$(cd "$1" && pwd)
IMGAUDIT_BIN=$(cd "$(dirname "$2")" && pwd)/$(basename "$2")
SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$SCRIPT_DIR/../.." && pwd)
GITHUB_YML=$REPO/ci/github/imgaudit.yml
GITLAB_YML=$REPO/ci/gitlab/imgaudit.gitlab-ci.yml
SAMPLE=$SCRIPT_DIR/sample

# Every mount made below dies with a private mount namespace.
if [[ -z ${IMGAUDIT_TEMPLATES_NS:-} ]]; then
  command -v unshare >/dev/null || die "unshare (util-linux) not found"
  IMGAUDIT_TEMPLATES_NS=1 exec unshare --mount --propagation private -- \
    bash "$SCRIPT_DIR/$(basename "${BASH_SOURCE[0]}")" "$IMAGES" "$IMGAUDIT_BIN"
fi

# ------------------------------------------------------------------ tools --

ensure_tools() {
  local -a pkgs=()
  command -v podman >/dev/null || pkgs+=(podman)
  [[ -f /etc/containers/policy.json ]] || pkgs+=(golang-github-containers-common)
  command -v jq >/dev/null || pkgs+=(jq)
  command -v yq >/dev/null || pkgs+=(yq)
  command -v busybox >/dev/null || pkgs+=(busybox)
  [[ ${#pkgs[@]} -eq 0 ]] || apt_install "${pkgs[@]}"
  # Debian's yq is the jq wrapper (jq syntax); another yq on PATH would read these filters wrongly.
  grep -q 'jq wrapper' <<<"$(yq --help 2>&1)" || die "yq on PATH is not Debian's jq-wrapper yq (package yq)"
}

# ---------------------------------------------------------------- storage --

mounts_under() {   # mount points at or below $1, deepest first
  awk -v p="$1" '{ m = $5; gsub(/\\040/, " ", m); if (m == p || index(m, p "/") == 1) print m }' \
    /proc/self/mountinfo | sort -r
}

WORK="" RUNROOT=""
cleanup() {
  local rc=$? m
  set +e; trap - ERR
  if [[ -n $WORK && -d $WORK/bin ]]; then
    "$WORK/bin/docker" rm --all --force >/dev/null 2>&1
    "$WORK/bin/docker" image rm --all --force >/dev/null 2>&1
  fi
  for d in "$WORK" "$RUNROOT"; do
    [[ -n $d ]] || continue
    for m in $(mounts_under "$d"); do umount "$m" 2>/dev/null || umount -l "$m"; done
    [[ -z $(mounts_under "$d") ]] || log "WARNING: still mounted under $d: $(mounts_under "$d" | tr '\n' ' ')"
  done
  if [[ ${KEEP_WORK:-} == 1 && -n $WORK ]]; then
    log "work directory kept: $WORK"
  else
    [[ -n $WORK ]] && rm -rf --one-file-system -- "$WORK"
  fi
  [[ -n $RUNROOT ]] && rm -rf --one-file-system -- "$RUNROOT"
  [[ $rc -eq 0 ]] || log "FAILED (exit $rc)"
}

setup_storage() {
  WORK=$(mktemp -d "${TMPDIR:-/tmp}/imgaudit-templates.XXXXXX")
  # podman refuses a run root longer than 50 characters.
  RUNROOT=$(mktemp -d "${TMPDIR:-/tmp}/ia-tpl.XXXXXX")
  trap cleanup EXIT
  mkdir -p "$WORK/storage" "$WORK/tmp" "$WORK/bin" "$WORK/logs"
  # vfs copies the whole tree for every layer: on a tmpfs when memory allows.
  local avail_kb; avail_kb=$(awk '/^MemAvailable:/ { print $2 }' /proc/meminfo)
  if (( avail_kb > 6 * 1024 * 1024 )); then
    mount -t tmpfs -o size=4g,mode=0700 imgaudit-templates "$WORK/storage"
  fi
  cat >"$WORK/bin/docker" <<EOF
#!/bin/sh
# docker -> podman on the private store of ci/templates/test.sh
export BUILDAH_ISOLATION=chroot
# Image copies (save, load, build) spool to TMPDIR, /var/tmp by default: keep them in the work dir.
export TMPDIR='$WORK/tmp'
exec podman --root '$WORK/storage/root' --runroot '$RUNROOT' --storage-driver vfs \\
  --cgroup-manager cgroupfs --events-backend none --tmpdir '$WORK/tmp' "\$@"
EOF
  chmod +x "$WORK/bin/docker"
  ln -s "$IMGAUDIT_BIN" "$WORK/bin/imgaudit"
  export PATH=$WORK/bin:$PATH
}

load_base() {
  local archive tag
  archive=$(jq -r '.images[] | select(.name == "base") | .formats["docker-archive"] // empty' "$IMAGES/images.json")
  tag=$(jq -r '.images[] | select(.name == "base") | .docker_tag // empty' "$IMAGES/images.json")
  [[ -n $archive && -f $IMAGES/$archive ]] || die "images.json names no base docker-archive (or it is missing)"
  [[ -n $tag ]] || die "images.json names no docker_tag for base"
  log "loading $IMAGES/$archive ($tag)"
  docker load --quiet -i "$IMAGES/$archive" >"$WORK/logs/load.log" 2>&1 \
    || { cat "$WORK/logs/load.log" >&2; die "docker load (podman) of the base image failed"; }
  # The sample's FROM names it in the local namespace, as podman does.
  docker tag "$tag" "localhost/$tag"
  docker image exists "localhost/$tag" || die "localhost/$tag not in the private store"
}

# ------------------------------------------------------------------- YAML --

yget() { yq -r "$1" "$2"; }   # FILTER FILE

# The value of `--output FORMAT=PATH` in a command line.
output_path() {  # FORMAT COMMAND
  sed -nE "s/.*--output[ =]['\"]?$1=([^ '\"]+).*/\\1/p" <<<"$2"
}

GH_JOB="" GH_SHELL="" GH_BUILD="" GH_AUDIT="" GH_SARIF=""
GL_SARIF="" GL_CQ=""
declare -a GL_SCRIPT=()

check_github_yaml() {
  local f=$GITHUB_YML upload
  yq -e . "$f" >/dev/null || die "$f does not parse"
  GH_JOB=$(yget '[.jobs | to_entries[] | select(any(.value.steps[]?; .id == "imgaudit")) | .key][0] // empty' "$f")
  [[ -n $GH_JOB ]] || die "$f: no job has a step with id: imgaudit"
  log "GitHub: job $GH_JOB"
  yq -e --arg j "$GH_JOB" '(.jobs[$j].permissions // .permissions) as $p
      | $p["security-events"] == "write" and $p.contents == "read"' "$f" >/dev/null \
    || die "$f: permissions must grant security-events: write and contents: read"
  GH_BUILD=$(yq -r --arg j "$GH_JOB" '.jobs[$j].steps[] | select(.id == "build") | .run // empty' "$f")
  GH_AUDIT=$(yq -r --arg j "$GH_JOB" '.jobs[$j].steps[] | select(.id == "imgaudit") | .run // empty' "$f")
  [[ -n $GH_BUILD ]] || die "$f: no step with id: build and a run command"
  [[ -n $GH_AUDIT ]] || die "$f: the step with id: imgaudit has no run command"
  # Plain shell only: an expression would need the Actions runner to evaluate it.
  ! grep -q '\${{' <<<"$GH_BUILD$GH_AUDIT" || die "$f: the build/audit commands use \${{ }} expressions"
  yq -e --arg j "$GH_JOB" '[.env, .jobs[$j].env, (.jobs[$j].steps[] | select(.id == "build" or .id == "imgaudit") | .env)]
      | map(select(. != null)) | length == 0' "$f" >/dev/null \
    || die "$f: the build/audit steps use env: maps; they must use only variables the CI provides"
  GH_SHELL=$(yq -r --arg j "$GH_JOB" '(.jobs[$j].steps[] | select(.id == "imgaudit") | .shell)
      // .jobs[$j].defaults.run.shell // .defaults.run.shell // "default"' "$f")
  case $GH_SHELL in
    bash) GH_SHELL_CMD=(bash --noprofile --norc -eo pipefail) ;;
    default) GH_SHELL_CMD=(bash -e) ;;
    *) die "$f: unsupported shell '$GH_SHELL' for the audit step" ;;
  esac
  upload=$(yq -c --arg j "$GH_JOB" '[.jobs[$j].steps[] | select((.uses // "") | startswith("github/codeql-action/upload-sarif@"))][0] // empty' "$f")
  [[ -n $upload ]] || die "$f: no github/codeql-action/upload-sarif step"
  jq -e '(.uses | test("@v[3-9]")) ' <<<"$upload" >/dev/null || die "$f: upload-sarif must be v3 or later: $(jq -r .uses <<<"$upload")"
  jq -e '(.if // "") | gsub("[ ${}]"; "") | . == "success()||failure()" or . == "always()" or . == "failure()||success()"' \
    <<<"$upload" >/dev/null || die "$f: the upload must run when the audit fails (if: success() || failure())"
  GH_SARIF=$(output_path sarif "$GH_AUDIT")
  [[ -n $GH_SARIF ]] || die "$f: the audit command writes no --output sarif=PATH"
  jq -e --arg p "$GH_SARIF" '.with.sarif_file == $p' <<<"$upload" >/dev/null \
    || die "$f: upload-sarif's sarif_file ($(jq -r '.with.sarif_file' <<<"$upload")) is not the SARIF the audit writes ($GH_SARIF)"
  jq -e '.with.category == null' <<<"$upload" >/dev/null \
    || log "note: upload-sarif sets a category; imgaudit's automationDetails.id takes precedence"
  log "GitHub: build: $GH_BUILD"
  log "GitHub: audit ($GH_SHELL shell): $(tr '\n' ' ' <<<"$GH_AUDIT")"
}

check_gitlab_yaml() {
  local f=$GITLAB_YML line
  yq -e . "$f" >/dev/null || die "$f does not parse"
  yq -e '.imgaudit.script | type == "array" and length > 0' "$f" >/dev/null || die "$f: no imgaudit job with a script"
  mapfile -t GL_SCRIPT < <(yq -r '.imgaudit.script[]' "$f")
  for line in "${GL_SCRIPT[@]}"; do
    ! grep -q '\$\[\[' <<<"$line" || die "$f: the script uses \$[[ ]] inputs"
    if grep -q 'imgaudit ' <<<"$line"; then
      [[ -z $GL_SARIF ]] || die "$f: more than one script line runs imgaudit"
      GL_SARIF=$(output_path sarif "$line")
      GL_CQ=$(output_path codequality "$line")
    fi
  done
  [[ -n $GL_CQ ]] || die "$f: the imgaudit job writes no --output codequality=PATH"
  [[ -n $GL_SARIF ]] || die "$f: the imgaudit job writes no --output sarif=PATH"
  yq -e '.imgaudit.artifacts.when == "always"' "$f" >/dev/null || die "$f: artifacts need when: always"
  yq -e --arg p "$GL_CQ" '.imgaudit.artifacts.reports.codequality | if type == "array" then index($p) != null else . == $p end' "$f" >/dev/null \
    || die "$f: reports: codequality is not the report the job writes ($GL_CQ)"
  yq -e --arg p "$GL_SARIF" '.imgaudit.artifacts.paths // [] | index($p) != null' "$f" >/dev/null \
    || die "$f: the SARIF the job writes ($GL_SARIF) is not in artifacts: paths"
  log "GitLab: script: $(printf '%s; ' "${GL_SCRIPT[@]}")"
}

# -------------------------------------------------------------------- runs --

hex() { head -c 64 /dev/urandom | sha1sum | cut -c1-"$1"; }

new_workspace() {  # NAME -> a fresh copy of the sample project
  local ws=$WORK/$1
  mkdir -p "$ws"
  cp -a "$SAMPLE/." "$ws/"
  echo "$ws"
}

image_id() { docker image inspect --format '{{.Id}}' "$1"; }

# Drop an image and the build cache it left (intermediate images), so the next build is a
# genuine rebuild as on a fresh CI runner.
forget_build() {
  docker image rm --force "$1" >/dev/null
  docker image prune --force >/dev/null
}

declare -a AUDIT_LOGS=() SARIFS=()
github_run() {  # N
  local n=$1 sha ws rc=0 env_
  sha=$(hex 40)
  ws=$(new_workspace "github-$n")
  mkdir -p "$WORK/runner-temp-$n"
  env_=(GITHUB_SHA="$sha" GITHUB_WORKSPACE="$ws" GITHUB_ACTIONS=true CI=true RUNNER_TEMP="$WORK/runner-temp-$n")
  log "GitHub run $n (GITHUB_SHA=$sha): build"
  (cd "$ws" && env "${env_[@]}" "${GH_SHELL_CMD[@]}" -c "$GH_BUILD") >"$WORK/logs/github-$n.build.log" 2>&1 \
    || { tail -n 30 "$WORK/logs/github-$n.build.log" >&2; die "GitHub run $n: the build step failed"; }
  GH_IMAGE_IDS+=("$(image_id "app:$sha")")
  # The credential must really be in the image, or its absence from the reports proves nothing.
  grep -qF "$SECRET" <<<"$(docker image inspect --format '{{json .Config.Env}}' "app:$sha")" \
    || die "GitHub run $n: the built image does not hold the planted credential"
  log "GitHub run $n: audit"
  (cd "$ws" && env "${env_[@]}" "${GH_SHELL_CMD[@]}" -c "$GH_AUDIT") \
    >"$WORK/logs/github-$n.audit.stdout" 2>"$WORK/logs/github-$n.audit.stderr" || rc=$?
  AUDIT_LOGS+=("$WORK/logs/github-$n.audit.stdout" "$WORK/logs/github-$n.audit.stderr")
  if [[ $rc -ne 1 ]]; then
    cat "$WORK/logs/github-$n.audit.stdout" "$WORK/logs/github-$n.audit.stderr" >&2
    die "GitHub run $n: the audit step exited $rc, expected 1 (the sample has high findings)"
  fi
  log "GitHub run $n: audit exited 1 as expected; upload-sarif runs on failure() too"
  [[ -s $ws/$GH_SARIF ]] || die "GitHub run $n: $GH_SARIF not written"
  [[ -s $WORK/logs/github-$n.audit.stdout ]] || die "GitHub run $n: no text report on stdout (--output text=-)"
  SARIFS+=("$ws/$GH_SARIF")
  forget_build "app:$sha"
}

gitlab_run() {
  local sha ws i=0 line rc out
  sha=$(hex 8)
  ws=$(new_workspace gitlab)
  log "GitLab run (CI_COMMIT_SHORT_SHA=$sha)"
  # The job's image (docker) runs its script with BusyBox sh; the runner stops at the first
  # failing line.
  for line in "${GL_SCRIPT[@]}"; do
    i=$((i + 1)) rc=0
    out=$WORK/logs/gitlab-$i
    (cd "$ws" && env CI_COMMIT_SHORT_SHA="$sha" CI_COMMIT_SHA="$sha$(hex 32)" CI_PROJECT_DIR="$ws" \
        CI=true GITLAB_CI=true busybox sh -e -c "$line") >"$out.stdout" 2>"$out.stderr" || rc=$?
    if grep -q 'imgaudit ' <<<"$line"; then
      AUDIT_LOGS+=("$out.stdout" "$out.stderr")
      if [[ $rc -ne 1 ]]; then
        cat "$out.stdout" "$out.stderr" >&2
        die "GitLab script line $i exited $rc, expected 1: $line"
      fi
      log "GitLab line $i (audit) exited 1 as expected; artifacts are kept (when: always)"
      break
    elif [[ $rc -ne 0 ]]; then
      tail -n 30 "$out.stdout" "$out.stderr" >&2
      die "GitLab script line $i exited $rc: $line"
    fi
  done
  [[ -s $ws/$GL_SARIF ]] || die "GitLab: $GL_SARIF not written"
  [[ -s $ws/$GL_CQ ]] || die "GitLab: $GL_CQ not written"
  SARIFS+=("$ws/$GL_SARIF")
  GL_CQ_FILE=$ws/$GL_CQ
  forget_build "app:$sha"
}

# ------------------------------------------------------------------ checks --

pairs() {  # SARIF -> sorted unique (ruleId, partialFingerprints) pairs, one JSON per line
  jq -c '[.runs[].results[] | [.ruleId, (.partialFingerprints // {})]] | unique | .[]' "$1"
}

check_sarif() {
  local a=${SARIFS[0]} s id0 id
  log "validating ${#SARIFS[@]} SARIF files"
  "$REPO/ci/sarif-validate.sh" "${SARIFS[@]}" || die "SARIF validation failed"
  id0=$(jq -r '[.runs[].automationDetails.id] | unique | if length == 1 then .[0] else error("runs disagree") end' "$a")
  [[ -n $id0 && $id0 != null ]] || die "$a: no automationDetails.id"
  jq -e '[.runs[].results[]] | length > 0' "$a" >/dev/null || die "$a: no results"
  jq -e 'all(.runs[].results[]; .partialFingerprints["imgaudit/v1"] | type == "string" and length > 0)' "$a" >/dev/null \
    || die "$a: a result lacks the imgaudit/v1 partial fingerprint"
  for s in "${SARIFS[@]:1}"; do
    id=$(jq -r '[.runs[].automationDetails.id] | unique | .[0]' "$s")
    [[ $id == "$id0" ]] || die "automationDetails.id differs: '$id0' ($a) vs '$id' ($s)"
    if ! diff <(pairs "$a") <(pairs "$s") >"$WORK/logs/pairs.diff"; then
      cat "$WORK/logs/pairs.diff" >&2
      die "the (ruleId, partialFingerprints) pairs differ between $a and $s"
    fi
  done
  log "SARIF: ${#SARIFS[@]} files, automationDetails.id '$id0', $(pairs "$a" | wc -l) identical (ruleId, fingerprint) pairs"
  [[ ${GH_IMAGE_IDS[0]} != "${GH_IMAGE_IDS[1]}" ]] \
    || die "the two GitHub runs built the same image (${GH_IMAGE_IDS[0]}): not a genuine rebuild"
}

# Results located in the sample's Dockerfile must sit on the instruction that caused them.
check_dockerfile_lines() {
  local df=$SAMPLE/Dockerfile l_index l_nouser l_rm l_conf s located=0 rule line
  l_index=$(grep -n '^ENV PIP_INDEX_URL=' "$df" | cut -d: -f1)
  l_nouser=$(grep -n '^ENV PIP_NO_USER=' "$df" | cut -d: -f1)
  l_rm=$(grep -n '^RUN rm .*EXTERNALLY-MANAGED' "$df" | cut -d: -f1)
  l_conf=$(grep -n '^RUN .*pip\.conf' "$df" | cut -d: -f1)
  [[ -n $l_index && -n $l_nouser && -n $l_rm && -n $l_conf ]] || die "$df: a planted instruction is missing"
  for s in "${SARIFS[@]}"; do
    while read -r rule line; do
      located=$((located + 1))
      local want
      case $rule in
        PIP004) want=" $l_index " ;;
        PY001)  want=" $l_rm " ;;
        PIP001) want=" $l_nouser $l_conf " ;;
        *)      want=" $(grep -nE '^[A-Z]+ ' "$df" | cut -d: -f1 | tr '\n' ' ') " ;;
      esac
      [[ $want == *" $line "* ]] || die "$s: $rule located at Dockerfile:$line, expected one of lines${want% }"
    done < <(jq -r '.runs[].results[] | .ruleId as $r | .locations[]?.physicalLocation
        | select(.artifactLocation.uri == "Dockerfile" or .artifactLocation.uri == "./Dockerfile")
        | "\($r) \(.region.startLine)"' "$s")
  done
  [[ $located -gt 0 ]] || die "no result is located in the sample Dockerfile"
  # The sample plants these; a missing one means the sample or the audit went wrong.
  for rule in PIP004 PIP001 PY001; do
    jq -e --arg r "$rule" 'any(.runs[].results[]; .ruleId == $r)' "${SARIFS[0]}" >/dev/null \
      || die "${SARIFS[0]}: no $rule result, though the sample plants one"
  done
  log "Dockerfile: $located located results, each on its instruction's line" \
    "(PIP004 -> $l_index, PIP001 -> $l_nouser/$l_conf, PY001 -> $l_rm)"
  jq -r '.runs[].results[] | .ruleId as $r | [.locations[]?.physicalLocation
      | "\(.artifactLocation.uri):\(.region.startLine // "-")"] | "  \($r) \(join(" "))"' "${SARIFS[0]}" >&2
}

check_codequality() {
  local f=$GL_CQ_FILE
  jq -e 'type == "array" and length > 0' "$f" >/dev/null || die "$f: not a non-empty JSON array"
  jq -e 'all(.[]; (.description | type == "string") and (.check_name | type == "string")
          and (.fingerprint | type == "string" and length > 0)
          and (.severity | IN("info", "minor", "major", "critical", "blocker"))
          and (.location.path | type == "string" and length > 0)
          and (.location.lines.begin | type == "number" and . >= 1))' "$f" >/dev/null \
    || die "$f: an entry is not GitLab Code Quality (description, check_name, fingerprint, severity, location.path, location.lines.begin)"
  jq -e '[.[].fingerprint] | length == (unique | length)' "$f" >/dev/null || die "$f: duplicate fingerprints"
  log "Code Quality: $(jq length "$f") entries: $(jq -r '[.[] | "\(.check_name)@\(.location.path):\(.location.lines.begin)"] | join(", ")' "$f")"
}

check_no_secret() {
  local f hits=0
  for f in "${AUDIT_LOGS[@]}" "${SARIFS[@]}" "$GL_CQ_FILE"; do
    if grep -qF "$SECRET" "$f"; then log "the planted credential leaks in $f"; hits=1; fi
  done
  [[ $hits -eq 0 ]] || die "the planted index credential appears in imgaudit's output"
  log "the planted credential is in none of the ${#AUDIT_LOGS[@]} captured streams, ${#SARIFS[@]} SARIF files and the Code Quality report"
}

# -------------------------------------------------------------------- main --

main() {
  ensure_tools
  check_github_yaml
  check_gitlab_yaml
  setup_storage
  load_base
  GH_IMAGE_IDS=()
  github_run 1
  github_run 2
  gitlab_run
  check_sarif
  check_dockerfile_lines
  check_codequality
  check_no_secret
  log "OK: the GitHub and GitLab templates build, audit, fail the build and report as intended"
}

main
