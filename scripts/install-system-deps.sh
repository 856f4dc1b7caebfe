#!/usr/bin/env bash
# System packages the test suite needs: Debian's Chromium (driven by Playwright; we never let a
# test tool download its own browser), PostgreSQL (the multi-instance deployment test) and the
# DejaVu fonts (Unicode text in PDF reports; the PDF golden files are rendered with them), and
# espeak-ng, whose native German and Spanish voices are the other-language speech the voice tests
# feed the language check (the shipped Piper voice speaks English only).
set -euo pipefail
need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium)
[ -x /usr/lib/postgresql/15/bin/postgres ] || ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1 || need+=(postgresql)
[ -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || need+=(fonts-dejavu-core)
command -v espeak-ng >/dev/null 2>&1 || need+=(espeak-ng)
[ ${#need[@]} -eq 0 ] && exit 0
echo "[system-deps] installing: ${need[*]}"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null 2>&1 || { echo "need root (or sudo) to apt-get install ${need[*]}" >&2; exit 1; }
  SUDO="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
