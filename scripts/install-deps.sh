#!/usr/bin/env bash
# Installs what the test suite needs and the machine lacks: Chromium and its driver,
# PostgreSQL (server binaries only; clusters are made per run), nginx (the multi-node test
# starts its own), and aiosmtpd.
set -euo pipefail

need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v chromedriver >/dev/null 2>&1 || need+=(chromium-driver)
compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null || need+=(postgresql)
[ -x /usr/sbin/nginx ] || command -v nginx >/dev/null 2>&1 || need+=(nginx)
command -v python3 >/dev/null 2>&1 || need+=(python3 python3-pip)
# Korean text in browser screenshots (scripts/screenshots.sh).
fc-list 2>/dev/null | grep -qi nanum || need+=(fonts-nanum)

if [ ${#need[@]} -gt 0 ]; then
  echo "installing: ${need[*]}"
  sudo_cmd=""
  [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

if ! python3 -c 'import aiosmtpd' >/dev/null 2>&1; then
  echo "installing: aiosmtpd (PyPI)"
  python3 -m pip install --quiet --disable-pip-version-check aiosmtpd 2>/dev/null \
    || python3 -m pip install --quiet --disable-pip-version-check --break-system-packages aiosmtpd
fi

"$(dirname "$0")/install-axe.sh"
