#!/usr/bin/env bash
# The whole test suite, as CI runs it: formatting, lints, unit and end-to-end tests, then the
# integration tests on real images built with buildah, exported with skopeo and unpacked by
# umoci (tests/real-images/build.sh installs those tools when they are missing).
#
# Real images are cached between local runs in ${IMGAUDIT_REAL_IMAGES:-~/.cache/imgaudit/
# test-images}; under CI=true they are built from scratch in a temporary directory.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n== %s\n' "$*" >&2; }

step "cargo fmt --check"
cargo fmt --all -- --check

step "cargo clippy -D warnings"
cargo clippy --workspace --all-targets --locked -- -D warnings

step "unit and end-to-end tests"
cargo test --workspace --locked

step "real images (buildah, skopeo, umoci)"
if [[ "${CI:-}" == "true" ]]; then
  images=$(mktemp -d -t imgaudit-real-images.XXXXXX)
  trap 'rm -rf --one-file-system "$images"' EXIT
else
  images=${IMGAUDIT_REAL_IMAGES:-${XDG_CACHE_HOME:-$HOME/.cache}/imgaudit/test-images}
fi
tests/real-images/build.sh "$images"
IMGAUDIT_REAL_IMAGES="$images" cargo test -p imgaudit --test real_images --locked -- --ignored
