#!/usr/bin/env bash
# Installs the pinned npm axe-core into target/npm/ for the accessibility browser test
# (tests/suite/accessibility.rs reads target/npm/node_modules/axe-core/axe.min.js, or AXE_JS).
set -euo pipefail
AXE_VERSION=4.14.1
root="$(cd "$(dirname "$0")/.." && pwd)"
dir="$root/target/npm"
file="$dir/node_modules/axe-core/axe.min.js"
if [ -f "$file" ] && grep -q "\"version\": \"$AXE_VERSION\"" "$dir/node_modules/axe-core/package.json"; then
  exit 0
fi
command -v npm >/dev/null 2>&1 || {
  sudo_cmd=""; [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends npm >/dev/null
}
echo "installing: axe-core@$AXE_VERSION (npm) into target/npm"
mkdir -p "$dir"
npm install --prefix "$dir" --no-save --no-audit --no-fund --silent "axe-core@$AXE_VERSION"
test -f "$file"
