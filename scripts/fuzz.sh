#!/usr/bin/env bash
# Runs the cargo-fuzz targets in fuzz/ (continuation tokens, the customer filter parameter,
# webhook signature verification) for FUZZ_SECONDS each (default 10): a smoke run for CI.
#
# CI does not install cargo-fuzz: this builds the same libFuzzer binaries with the
# instrumentation flags cargo-fuzz passes (coverage counters and comparison tracing, no
# sanitizer, debug assertions on so overflows are found), which stable rustc accepts. For a
# long run by hand use cargo-fuzz itself (`cargo install cargo-fuzz`, nightly toolchain):
#   cd fuzz && cargo +nightly fuzz run webhook_signature -- -max_total_time=600
set -euo pipefail
cd "$(dirname "$0")/../fuzz"

seconds=${FUZZ_SECONDS:-10}
target=$(rustc -vV | sed -n 's/^host: //p')
export RUSTFLAGS="-Cpasses=sancov-module -Cllvm-args=-sanitizer-coverage-level=4 \
-Cllvm-args=-sanitizer-coverage-inline-8bit-counters -Cllvm-args=-sanitizer-coverage-pc-table \
-Cllvm-args=-sanitizer-coverage-trace-compares --cfg fuzzing -Cdebug-assertions"
# --target keeps build scripts and proc macros uninstrumented, as cargo-fuzz does.
cargo build --quiet --target "$target" --bins
for name in continuation_token customer_filter webhook_signature; do
  mkdir -p "corpus/$name" "artifacts/$name"
  echo "== fuzz $name for ${seconds}s"
  "${CARGO_TARGET_DIR:-target}/$target/debug/$name" "corpus/$name" -artifact_prefix="artifacts/$name/" \
    -max_total_time="$seconds" -print_final_stats=1 2>"artifacts/$name.log" || {
    tail -40 "artifacts/$name.log"
    exit 1
  }
  grep -E "^Done|stat::number_of_executed_units" "artifacts/$name.log"
done
