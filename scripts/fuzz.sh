#!/usr/bin/env bash
# cargo-fuzz targets (fuzz/): continuation tokens, the customer filter parameter, webhook
# signature verification. Each runs FUZZ_SECONDS (default 20); raise it for a long run by
# hand. Needs cargo-fuzz (installed from crates.io when missing) and a nightly toolchain, or
# stable with RUSTC_BOOTSTRAP=1, which lets it accept the -Z flags cargo-fuzz passes.
set -euo pipefail
cd "$(dirname "$0")/../fuzz"

seconds=${FUZZ_SECONDS:-20}
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked --quiet
if rustup toolchain list 2>/dev/null | grep -q '^nightly'; then
  toolchain=(+nightly)
else
  toolchain=()
  export RUSTC_BOOTSTRAP=1
fi
# No sanitizer: the code under test is safe Rust, and an uninstrumented standard library
# builds on stable too. Debug assertions stay on, so overflows are found.
cargo "${toolchain[@]}" fuzz build --sanitizer none --debug-assertions -O
for target in continuation_token customer_filter webhook_signature; do
  echo "== fuzz $target for ${seconds}s"
  mkdir -p "corpus/$target"
  cargo "${toolchain[@]}" fuzz run --sanitizer none --debug-assertions -O "$target" "corpus/$target" -- \
    -max_total_time="$seconds" -print_final_stats=1 2>&1 | grep -E "^(#|Done|stat::number_of_executed_units|==|thread|panicked|ERROR|SUMMARY)" | tail -4
  test "${PIPESTATUS[0]}" -eq 0
done
