#!/usr/bin/env bash
# The whole test suite, as CI runs it: formatting, lints, a check that the crates that only read
# images link no network stack (cargo tree), unit and end-to-end tests (the latter
# twice: again with a throw-away rule that fires on every image, which no test may notice), then
# the integration tests on real images built with buildah, exported with skopeo and unpacked by
# umoci (tests/real-images/build.sh installs those tools when they are missing); every parser of
# untrusted input fuzzed for a few seconds (ci/fuzz.sh, seeded from those images); every SARIF
# file those tests wrote goes through the Microsoft SARIF Multitool with GitHub's rules; the CI
# templates' commands run for real; the registry and daemon sources are tested against a real
# registry and podman's Docker API; the fleet-sharding examples run as concurrent shards on one
# layer cache; the Dockerfiles are linted. Each script installs what it uses.
#
# Real images are cached between local runs in ${IMGAUDIT_REAL_IMAGES:-~/.cache/imgaudit/
# test-images}; under CI=true they are built from scratch in a temporary directory.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n== %s\n' "$*" >&2; }
log() { printf 'test: %s\n' "$*" >&2; }
die() { printf 'test: %s\n' "$*" >&2; exit 1; }
# shellcheck source=ci/lib.sh
source ci/lib.sh

# The end-to-end snapshots are insta's: in CI none is ever written, and a missing or changed one
# fails (insta's default under CI=true, said here whatever else the environment says).
if [[ "${CI:-}" == "true" ]]; then
  export INSTA_UPDATE=no
  unset INSTA_FORCE_PASS INSTA_FORCE_UPDATE INSTA_FORCE_UPDATE_SNAPSHOTS
fi

step "cargo fmt --check"
cargo fmt --all -- --check

step "cargo clippy -D warnings"
cargo clippy --workspace --all-targets --locked -- -D warnings

step "what only reads an image links no network stack"
tree=$(cargo tree -p imgaudit-facts -e normal --locked --prefix none)
[[ $tree == imgaudit-facts* ]] || { echo "cargo tree printed no tree for imgaudit-facts" >&2; exit 1; }
network=$(grep -E '^(tokio|hyper|reqwest|rustls|oci-client) ' <<<"$tree" | sort -u || true)
if [[ -n $network ]]; then
  echo "imgaudit-facts depends on a network stack:" >&2
  echo "$network" >&2
  exit 1
fi

step "unit and end-to-end tests"
# The image crate's tests copy images with the real skopeo (and make FIFOs and device nodes with
# coreutils' mkfifo and mknod, as root).
command -v skopeo >/dev/null || apt_install skopeo
cargo test --workspace --locked

step "end-to-end tests again, with a throw-away rule that fires on every image"
# A test that breaks here depends on rules outside the pack it is about: it should --select
# that pack. These are the targets that run without --ignored.
IMGAUDIT_TEST_EXTRA_POLICY="$PWD/crates/imgaudit/tests/data/throwaway-policy" \
  cargo test -p imgaudit --locked --test rules --test reports --test cli --test cache --test links --test secrets \
    --test hygiene_accounts --test hygiene_files --test secret_files \
    --test uv_rules --test poetry_rules --test pipenv_rules --test pip_index_rules

step "real images (buildah, skopeo, umoci)"
reports=$(mktemp -d -t imgaudit-reports.XXXXXX)
cleanup() { rm -rf --one-file-system "$reports"; [[ -n ${fresh_images:-} ]] && rm -rf --one-file-system "$fresh_images"; return 0; }
trap cleanup EXIT
if [[ "${CI:-}" == "true" ]]; then
  fresh_images=$(mktemp -d -t imgaudit-real-images.XXXXXX)
  images=$fresh_images
else
  images=${IMGAUDIT_REAL_IMAGES:-${XDG_CACHE_HOME:-$HOME/.cache}/imgaudit/test-images}
fi
tests/real-images/build.sh "$images"
IMGAUDIT_REAL_IMAGES="$images" IMGAUDIT_REPORTS_OUT="$reports" \
  cargo test -p imgaudit --test real_images --locked -- --ignored

step "fuzzing: every parser of untrusted input, briefly (cargo-fuzz, libFuzzer)"
# Seeds from the committed corpus and from the real images just built; any crash, timeout or
# out-of-memory fails the run. The same script with --seconds or --until is the long campaign.
ci/fuzz.sh --images "$images"

step "registry and daemon sources against real servers (docker-registry, a token server, podman)"
ci/remote-sources.sh "$images"

step "SARIF Multitool with GitHub's rules, on every SARIF the end-to-end tests wrote"
shopt -s nullglob
# The snapshots' SARIF content files (insta's NAME.snap.sarif; never a pending .snap.new.sarif).
sarif_files=("$reports"/*.sarif crates/imgaudit/tests/snapshots/*.snap.sarif crates/imgaudit/tests/snapshots/real-images/*.snap.sarif)
(( ${#sarif_files[@]} >= 16 )) || { echo "only ${#sarif_files[@]} SARIF files to validate" >&2; exit 1; }
ci/sarif-validate.sh "${sarif_files[@]}"

step "CI templates, their commands run for real (podman standing in for Docker)"
cargo build -p imgaudit --locked
ci/templates/test.sh "$images" target/debug/imgaudit

step "fleet sharding: the Kubernetes Indexed Job, GitHub matrix and GitLab parallel commands on a shared cache"
ci/fleet/test.sh "$images" target/debug/imgaudit

step "Dockerfiles linted (hadolint)"
ci/lint-dockerfile.sh
