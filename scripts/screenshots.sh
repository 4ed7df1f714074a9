#!/usr/bin/env bash
# Regenerates docs/screenshots/: a demo server with the demo world, each kind of user signed
# in, the main pages in en-US and ko-KR at 1280x800 (tests/suite/screenshots.rs).
set -euo pipefail
cd "$(dirname "$0")/.."
"$(dirname "$0")/install-deps.sh"
PARTNERHUB_SCREENSHOTS_DIR="$PWD/docs/screenshots" \
  cargo test --test suite screenshots_of_the_main_pages -- --nocapture --test-threads=1
ls docs/screenshots/*.png | wc -l
