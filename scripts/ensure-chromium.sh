#!/bin/sh
# Makes sure Debian's Chromium is at /usr/bin/chromium for `npm run test:browser`
# (scripts/browser-check.mjs drives it through playwright-core; no browser is downloaded).
# Installs the `chromium` package with apt-get when it is missing; run as root or with sudo
# available. Usage in CI, before the browser check:
#   sh scripts/ensure-chromium.sh && npm run test:browser
set -eu

CHROMIUM=/usr/bin/chromium

if [ -x "$CHROMIUM" ]; then
  echo "ensure-chromium: $("$CHROMIUM" --version 2>/dev/null || echo "$CHROMIUM") already installed"
  exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
  echo "ensure-chromium: $CHROMIUM is missing and apt-get is not available: install Debian's chromium package" >&2
  exit 1
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then
    SUDO="sudo"
  else
    echo "ensure-chromium: installing chromium needs root (or sudo)" >&2
    exit 1
  fi
fi

echo "ensure-chromium: $CHROMIUM is missing: installing Debian's chromium package"
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -q
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium

if [ ! -x "$CHROMIUM" ]; then
  echo "ensure-chromium: apt-get installed chromium but $CHROMIUM is still missing" >&2
  exit 1
fi
echo "ensure-chromium: installed $("$CHROMIUM" --version 2>/dev/null || echo "$CHROMIUM")"
