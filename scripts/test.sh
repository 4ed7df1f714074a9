#!/usr/bin/env bash
# Runs every test: formatting and lints, unit tests, and the integration suite (API, mail
# over real SMTP, portal in headless Chromium, authorization matrix, crash safety) on SQLite
# and again on PostgreSQL; then API fuzzing (schemathesis), the contract check (OpenAPI validator and
# a generated client) and the cargo-fuzz targets.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh

echo "== format and lints"
cargo fmt --all -- --check
cargo clippy --all-targets --locked -- -D warnings
# Without the tests' `test-door` feature: proves no module outside `app` names `app::store`.
cargo clippy --lib --bins --locked -- -D warnings

echo "== build"
cargo test --locked --no-run

echo "== unit tests and integration suite on SQLite"
cargo test --locked

echo "== integration suite on PostgreSQL"
scripts/with-postgres.sh cargo test --locked --test suite

echo "== API fuzzing: schemathesis against a demo server"
scripts/fuzz-api.sh

echo "== the public contract: OpenAPI validation and a generated client"
scripts/contract.sh

echo "== fuzz targets (cargo-fuzz)"
scripts/fuzz.sh
