#!/usr/bin/env bash
# API fuzzing: runs schemathesis (from PyPI, in a throwaway venv) against /v1/openapi.json of a
# demo server, signed in as the demo provider's admin agent, for every operation. Fails on any
# 5xx, any response that contradicts the documented schema, and any undocumented content type.
#   FUZZ_EXAMPLES  examples per operation (default 10; raise it for a longer run by hand)
#   PARTNERHUB_BIN the binary (default target/debug/partnerhub)
set -euo pipefail
cd "$(dirname "$0")/.."

bin=${PARTNERHUB_BIN:-target/debug/partnerhub}
examples=${FUZZ_EXAMPLES:-10}
venv=${SCHEMATHESIS_VENV:-target/schemathesis-venv}
if [ ! -x "$venv/bin/schemathesis" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet 'schemathesis>=4,<5'
fi

dir=$(mktemp -d /tmp/partnerhub-fuzz.XXXXXX)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
base="http://127.0.0.1:$port"
PARTNERHUB_LOG=warn PARTNERHUB_RATE_LIMIT_PER_MINUTE=1000000 \
  "$bin" demo --listen "127.0.0.1:$port" --database-url "sqlite:$dir/fuzz.db" >"$dir/server.log" 2>&1 &
server=$!
cleanup() { kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; rm -rf "$dir"; }
trap cleanup EXIT
for _ in $(seq 1 200); do
  curl -fsS "$base/readyz" >/dev/null 2>&1 && break
  sleep 0.1
done

token=$(curl -fsS -X POST "$base/oauth2/token" -d grant_type=password \
  -d username=admin@northwind.example -d password=Demo-Password-1 |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')

set +e
"$venv/bin/schemathesis" run "$base/v1/openapi.json" \
  --header "Authorization: Bearer $token" \
  --checks not_a_server_error,response_schema_conformance,content_type_conformance \
  --phases examples,coverage,fuzzing \
  --max-examples "$examples" --seed "${FUZZ_SEED:-20261124}" \
  --no-color --suppress-health-check all 2>&1 | tee "$dir/report.txt"
status=${PIPESTATUS[0]}
set -e
if grep -q "panicked\|internal error" "$dir/server.log"; then
  echo "the server logged a panic or an internal error:"; grep -n "panicked\|internal error" "$dir/server.log" | head -20
  status=1
fi
exit "$status"
