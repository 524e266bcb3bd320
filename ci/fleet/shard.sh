#!/usr/bin/env bash
# One shard of a fleet audit: picks this shard's images from a list and audits them with one
# batch `imgaudit scan`, the layer cache on a volume every shard shares. The engine that starts
# the shards (a Kubernetes Indexed Job, a CI matrix) is the scheduler; this script only chooses.
# See ci/fleet/README.md.
set -euo pipefail

usage() {
  cat <<'EOF'
usage: shard.sh [--index I --count N] [--out DIR] [--cache-dir DIR] LIST [-- SCAN_ARGS...]

Audits this shard's images of LIST (one image per line; `#` starts a comment; blank lines are
skipped; `-` reads standard input) with one `imgaudit scan` batch. The K-th image line
(counting from 0, comments and blank lines not counted) belongs to shard K mod N.

The shard, first match wins:
  --index I --count N                  explicit, I from 0 (a GitHub Actions matrix passes these)
  JOB_COMPLETION_INDEX, SHARD_COUNT    a Kubernetes Indexed Job (SHARD_COUNT = completions)
  CI_NODE_INDEX, CI_NODE_TOTAL         a GitLab `parallel:` job (CI_NODE_INDEX counts from 1)

Options:
  --out DIR         reports go to DIR/shard-I/: {image}.sarif, {image}.json and images.txt
                    (this shard's list); the reports of an earlier attempt there are removed
                    first [default: $IMGAUDIT_REPORTS, else imgaudit-reports]
  --cache-dir DIR   the shared layer cache [default: $IMGAUDIT_CACHE_DIR, else imgaudit's
                    default in the home directory, which is not shared]
  -h, --help        this text
  -- SCAN_ARGS...   passed to `imgaudit scan` (--fail-on, --parallel-images, --memory-budget...)

Env: IMGAUDIT, the imgaudit binary [default: imgaudit on PATH].
Exit status: imgaudit's (0 all passed, 1 an image fails --fail-on, 2 an image could not be
audited); 0 for a shard without images; 2 for a usage error.
EOF
}

log() { printf '[shard %s] %s\n' "${SHARD:-?}" "$*" >&2; }
die() { log "ERROR: $*"; exit 2; }

index="" count="" out=${IMGAUDIT_REPORTS:-imgaudit-reports} cache_dir=${IMGAUDIT_CACHE_DIR:-}
list="" have_list=""
while [[ $# -gt 0 ]]; do
  case $1 in
    -h | --help) usage; exit 0 ;;
    --index | --count | --out | --cache-dir)
      [[ $# -ge 2 ]] || die "$1 needs a value"
      case $1 in
        --index) index=$2 ;;
        --count) count=$2 ;;
        --out) out=$2 ;;
        --cache-dir) cache_dir=$2 ;;
      esac
      shift 2 ;;
    --) shift; break ;;
    -?*) die "unknown option $1 (imgaudit's options go after --; see --help)" ;;
    *) [[ -z $have_list ]] || die "one list only (got $list and $1)"
       list=$1 have_list=1; shift ;;
  esac
done
scan_args=("$@")
[[ -n $have_list ]] || { usage >&2; exit 2; }

# The engine's own variables, so that its manifest needs no per-shard arguments.
if [[ -n $index || -n $count ]]; then
  [[ -n $index && -n $count ]] || die "--index and --count go together"
elif [[ -n ${JOB_COMPLETION_INDEX:-} ]]; then
  [[ -n ${SHARD_COUNT:-} ]] || die "JOB_COMPLETION_INDEX is set but SHARD_COUNT is not (set it to the Job's completions)"
  index=$JOB_COMPLETION_INDEX count=$SHARD_COUNT
elif [[ -n ${CI_NODE_INDEX:-} ]]; then
  [[ -n ${CI_NODE_TOTAL:-} ]] || die "CI_NODE_INDEX is set but CI_NODE_TOTAL is not"
  [[ $CI_NODE_INDEX =~ ^[1-9][0-9]*$ ]] || die "CI_NODE_INDEX=$CI_NODE_INDEX: GitLab counts from 1"
  index=$((CI_NODE_INDEX - 1)) count=$CI_NODE_TOTAL
elif [[ ${CI_NODE_TOTAL:-} == 1 ]]; then
  # GitLab sets CI_NODE_TOTAL=1 (and no CI_NODE_INDEX) on a job without `parallel:`.
  index=0 count=1
else
  die "no shard given: --index/--count, JOB_COMPLETION_INDEX/SHARD_COUNT or CI_NODE_INDEX/CI_NODE_TOTAL"
fi
[[ $count =~ ^[1-9][0-9]*$ ]] || die "shard count '$count' is not a positive integer"
[[ $index =~ ^(0|[1-9][0-9]*)$ ]] || die "shard index '$index' is not an integer from 0"
(( index < count )) || die "shard index $index is not below the count $count"
SHARD="$index/$count"

[[ $list == - || -r $list ]] || die "$list: cannot read the image list"
# Read once: `-` (standard input) cannot be read twice.
content=$(cat -- "$list") || die "cannot read $list"

# Round-robin on the image lines: stable while lines are appended, and shards stay within one
# image of each other. Comments and CRs (lists edited on Windows) are stripped as imgaudit would.
pick() {  # [FILE]: prints the count of images and of duplicates; writes this shard's lines to FILE
  awk -v i="$index" -v n="$count" -v out="${1:-}" '
    { sub(/\r$/, ""); sub(/#.*/, ""); gsub(/^[ \t]+|[ \t]+$/, "") }
    $0 == "" { next }
    { if (seen[$0]++) d++; if (out != "" && k % n == i) print > out; k++ }
    END { print k + 0, d + 0 }' <<<"$content"
}
read -r total dups < <(pick)
(( total > 0 )) || die "$list lists no image"
(( dups == 0 )) || log "warning: $dups duplicate line(s) in $list: those images are audited more than once"

dir=$out/shard-$index
mkdir -p -- "$dir" || die "cannot create $dir"
# A retried pod or job writes into the same directory: what is there must be this attempt's.
rm -f -- "$dir"/*.sarif "$dir"/*.json "$dir/images.txt"
shard_list=$dir/images.txt
: >"$shard_list"
pick "$shard_list" >/dev/null
mine=$(wc -l <"$shard_list")
if (( mine == 0 )); then
  log "no image for this shard ($total in the list, $count shards): nothing to do"
  exit 0
fi

imgaudit=${IMGAUDIT:-imgaudit}
cache_args=()
if [[ -n $cache_dir ]]; then
  cache_args=(--cache-dir "$cache_dir")
else
  log "warning: no --cache-dir or IMGAUDIT_CACHE_DIR: the cache is not shared with other shards"
fi
log "auditing $mine of $total images, reports in $dir${cache_dir:+, cache $cache_dir}"
# exec: the engine's stop signal reaches imgaudit, and its exit status is the shard's.
exec "$imgaudit" scan --images-from "$shard_list" \
  --output "sarif=$dir/{image}.sarif" --output "json=$dir/{image}.json" \
  "${cache_args[@]}" "${scan_args[@]}"
