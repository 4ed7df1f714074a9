#!/usr/bin/env bash
# Fails when a test-only dependency switches on a feature of a crate the product also uses:
# `cargo test` would then compile that crate, and everything above it, a second time after
# `cargo build` (on a clean checkout that was several minutes of CI). The fix is to pin the
# feature in Cargo.toml's [dependencies] (see the comment there).
set -euo pipefail
cd "$(dirname "$0")/.."

tree() { cargo tree --locked --prefix none -f '{p} [{f}]' "$@" | sed 's/ (\*)$//' | sort -u; }
product=$(tree -e no-dev)
tests=$(tree)
# Crates whose feature set differs: in the test build with features the product build of the
# same crate and version lacks. Crates only the tests use, and this crate itself (its
# `test-door` feature is the point of the test build), are fine.
differs=$(comm -13 <(echo "$product") <(echo "$tests") | while read -r name version rest; do
  [ "$name" = partnerhub ] && continue
  if grep -q "^$name $version " <<<"$product"; then
    echo "  $name $version: tests $rest; product $(grep "^$name $version " <<<"$product" | cut -d' ' -f3- | tr '\n' ' ')"
  fi
done)
if [ -n "$differs" ]; then
  echo "test-only dependencies change features of crates the product uses; pin them in Cargo.toml:"
  echo "$differs"
  exit 1
fi
echo "every dependency the product uses builds once for the product and the tests"
