#!/usr/bin/env bash
# Coverage-guided fuzzing of every parser of untrusted input (tests/fuzz): builds the fuzz
# targets with cargo-fuzz and libFuzzer, then runs each for a while, starting from the committed
# corpus (tests/fuzz/corpus), plus seeds cut from real images when --images is given. Any crash,
# panic, timeout or out-of-memory fails the script, naming the target and the input that did it.
#
#   ci/fuzz.sh [--seconds N] [--images DIR] [--out DIR] [--until TIME] [TARGET...]
#
#   --seconds N   how long each target runs per round (default 12: all ten targets, build
#                 included, in about six minutes on two cores)
#   --images DIR  a directory tests/real-images/build.sh filled: tests/fuzz/make-seeds.py cuts
#                 larger seeds from it (whole small images, every layer under 256 KB)
#   --out DIR     where the grown corpora, the crashing inputs (DIR/artifacts/TARGET/) and the
#                 logs go, kept between runs (default: a temporary directory, removed unless
#                 something was found)
#   --until TIME  rotate over the targets, round after round, until TIME (`date -d` syntax):
#                 a long campaign
#   TARGET...     only these targets (default: all of them, `cargo fuzz list`)
#
# The targets are built in release mode with debug assertions and overflow checks on, without
# a sanitizer: the workspace forbids `unsafe`, so AddressSanitizer would only watch the C of
# zstd, at three times the cost, and `-Zsanitizer` needs a nightly compiler (or RUSTC_BOOTSTRAP)
# where this build needs none. Each input gets 10 seconds and 2 GB.
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf 'fuzz: %s\n' "$*" >&2; }
die() { printf 'fuzz: %s\n' "$*" >&2; exit 1; }
# shellcheck source=ci/lib.sh
source ci/lib.sh

seconds=12
images=""
out=""
until=""
targets=()
while (($#)); do
  case $1 in
    --seconds) seconds=${2:?--seconds needs a number}; shift 2 ;;
    --images) images=${2:?--images needs a directory}; shift 2 ;;
    --out) out=${2:?--out needs a directory}; shift 2 ;;
    --until) until=${2:?--until needs a time}; shift 2 ;;
    -h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    -*) die "unknown option $1 (see --help)" ;;
    *) targets+=("$1"); shift ;;
  esac
done
[[ $seconds =~ ^[1-9][0-9]*$ ]] || die "--seconds takes a whole number of seconds, not $seconds"
if [[ -n $until ]]; then
  deadline=$(date -d "$until" +%s) || die "--until: \`$until\` is not a time date understands"
fi

fuzz_dir=tests/fuzz
# libFuzzer and the instrumented build never share the workspace's target directory.
export CARGO_TARGET_DIR=${IMGAUDIT_FUZZ_TARGET_DIR:-$fuzz_dir/target}
build_flags=(--fuzz-dir "$fuzz_dir" --sanitizer none --debug-assertions --release)

if ! cargo fuzz --version >/dev/null 2>&1; then
  log "installing cargo-fuzz (cargo install)"
  cargo install cargo-fuzz --locked >&2 || die "cargo install cargo-fuzz failed"
fi
command -v c++ >/dev/null || apt_install g++  # libfuzzer-sys compiles libFuzzer itself
command -v python3 >/dev/null || apt_install python3  # tests/fuzz/make-seeds.py

# The fuzz crate's own Cargo.lock is committed: refuse to build if it is out of date.
cargo metadata --locked --format-version 1 --manifest-path "$fuzz_dir/Cargo.toml" >/dev/null \
  || die "$fuzz_dir/Cargo.lock is out of date: run cargo update -w --manifest-path $fuzz_dir/Cargo.toml"
if ((${#targets[@]} == 0)); then
  mapfile -t targets < <(cargo fuzz list --fuzz-dir "$fuzz_dir")
fi
((${#targets[@]} > 0)) || die "no fuzz targets found in $fuzz_dir"

start=$(date +%s)
log "building the fuzz targets; running ${targets[*]} for ${seconds} s each"
cargo fuzz build "${build_flags[@]}" >&2 || die "cargo fuzz build failed"
log "built in $(($(date +%s) - start)) s"

if [[ -z $out ]]; then
  out=$(mktemp -d -t imgaudit-fuzz.XXXXXX)
  scratch_out=1
else
  mkdir -p "$out"
  out=$(cd "$out" && pwd)
  scratch_out=""
fi
mkdir -p "$out/tmp"
# The archive and config targets write their input to a file under TMPDIR.
export TMPDIR="$out/tmp"

seed_dirs() { # the read-only corpora of target $1
  local from=$1
  # Archives read as files and as streams are the same bytes: one set of seeds for both.
  [[ $from == archive ]] && from=save_stream
  [[ -d $fuzz_dir/corpus/$from ]] && printf '%s\n' "$fuzz_dir/corpus/$from"
  [[ -d $out/seeds/$from ]] && printf '%s\n' "$out/seeds/$from"
  return 0
}
if [[ -n $images ]]; then
  rm -rf "$out/seeds"
  python3 "$fuzz_dir/make-seeds.py" "$out/seeds" --images "$images" \
    || die "make-seeds.py failed on $images"
fi

failed=()
run_target() { # target seconds round
  local target=$1 time=$2 round=$3
  local corpus=$out/corpus/$target artifacts=$out/artifacts/$target/
  local logfile=$out/logs/$target.$round.log
  mkdir -p "$corpus" "$artifacts" "$out/logs"
  local dicts=() extra
  [[ -f $fuzz_dir/dict/$target.dict ]] && dicts=("-dict=$fuzz_dir/dict/$target.dict")
  mapfile -t extra < <(seed_dirs "$target")
  local status=0
  # The first corpus directory receives what the fuzzer finds; the others are only read.
  cargo fuzz run "${build_flags[@]}" "$target" "$corpus" "${extra[@]}" -- \
    -max_total_time="$time" -timeout=10 -rss_limit_mb=2048 -malloc_limit_mb=2048 \
    -artifact_prefix="$artifacts" -print_final_stats=1 "${dicts[@]}" \
    >"$logfile" 2>&1 || status=$?
  local stats
  stats=$(sed -n 's/^stat::\(number_of_executed_units\|new_units_added\|peak_rss_mb\): *\([0-9]*\)$/\1=\2/p' \
    "$logfile" | tr '\n' ' ')
  if ((status != 0)); then
    failed+=("$target")
    log "$target FAILED (exit $status): log $logfile"
    grep -E 'panicked at|ERROR: libFuzzer|SUMMARY|Test unit written to|==[0-9]+==' "$logfile" \
      | head -20 >&2 || true
    local input
    for input in "$artifacts"*; do
      [[ -f $input ]] && log "  input: $input ($(stat -c %s "$input") bytes)"
    done
  else
    log "$target: ok in ${time}s: ${stats:-no stats}(corpus $(find "$corpus" -type f | wc -l) inputs found so far)"
  fi
}

round=1
while :; do
  for target in "${targets[@]}"; do
    run_target "$target" "$seconds" "$round"
    if [[ -n $until ]] && (($(date +%s) + seconds > deadline)); then break 2; fi
  done
  [[ -n $until ]] || break
  round=$((round + 1))
done

log "done in $(($(date +%s) - start)) s, build included"
if ((${#failed[@]})); then
  die "crashes, timeouts or out-of-memory in: ${failed[*]} (inputs under $out/artifacts; each becomes a regression test in the crate that owns the parser)"
fi
if [[ -n $scratch_out ]]; then
  rm -rf --one-file-system "$out"
else
  log "corpora, logs and inputs in $out"
fi
