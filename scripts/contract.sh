#!/usr/bin/env bash
# The public contract, from the outside: validates /v1/openapi.json of a demo server with
# openapi-spec-validator, generates a Python client from it with openapi-python-client, and runs
# scripts/contract/generated_client.py with that client (list customers, follow a continuation,
# create a customer), then drives the server with Microsoft's generated partner-center SDK
# (scripts/contract/sdk_check.py, PyPI partnercenterservices) and checks an OpenID Connect id
# token with PyJWT against the JWKS (scripts/contract/oidc_check.py). Everything comes from PyPI
# into a throwaway venv.
#   PARTNERHUB_BIN the binary (default target/debug/partnerhub)
set -euo pipefail
cd "$(dirname "$0")/.."

bin=$(realpath "${PARTNERHUB_BIN:-target/debug/partnerhub}")
venv=${CONTRACT_VENV:-$PWD/target/contract-venv}
# The marker names what is installed; a venv copied from elsewhere (its scripts point at
# another path) or an older one is made again.
want="openapi-spec-validator>=0.7,<1 openapi-python-client>=0.21,<1 partnercenterservices==0.1.2 PyJWT[crypto]==2.10.1 requests==2.32.3"
if [ "$(cat "$venv/.contract-deps" 2>/dev/null)" != "$want" ] || ! "$venv/bin/python" -c 'import sys' 2>/dev/null \
  || ! head -1 "$venv/bin/openapi-spec-validator" 2>/dev/null | grep -qF "$venv/"; then
  rm -rf "$venv"
  python3 -m venv "$venv"
  # shellcheck disable=SC2086
  "$venv/bin/python" -m pip install --quiet $want
  echo "$want" >"$venv/.contract-deps"
fi

export PATH="$venv/bin:$PATH" # the generator formats its output with the venv's ruff
dir=$(mktemp -d /tmp/partnerhub-contract.XXXXXX)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
base="http://127.0.0.1:$port"
PARTNERHUB_LOG=warn PARTNERHUB_RATE_LIMIT_PER_MINUTE=1000000 \
  "$bin" demo --listen "127.0.0.1:$port" --database-url "sqlite:$dir/contract.db" >"$dir/server.log" 2>&1 &
server=$!
cleanup() { kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; rm -rf "$dir"; }
trap cleanup EXIT
for _ in $(seq 1 300); do
  curl -fsS "$base/readyz" >/dev/null 2>&1 && break
  sleep 0.1
done

curl -fsS "$base/v1/openapi.json" -o "$dir/openapi.json"
echo "-- openapi-spec-validator"
"$venv/bin/openapi-spec-validator" "$dir/openapi.json"

echo "-- openapi-python-client"
(cd "$dir" && "$venv/bin/openapi-python-client" generate --path openapi.json \
  --output-path "$dir/client" --meta none)

echo "-- the generated client against the server"
PYTHONPATH="$dir/client/.." PARTNERHUB_URL="$base" CLIENT_PACKAGE="$(basename "$dir/client")" \
  "$venv/bin/python" scripts/contract/generated_client.py

echo "-- an OpenID Connect sign-in, the id token checked with PyJWT"
PARTNERHUB_URL="$base" "$venv/bin/python" scripts/contract/oidc_check.py

echo "-- the partnercenterservices SDK against the server"
PARTNERHUB_URL="$base" "$venv/bin/python" scripts/contract/sdk_check.py
