#!/bin/sh
# Part of `npm test`: the browser tests drive Debian's Chromium at /usr/bin/chromium through
# playwright-core (which never downloads a browser of its own). Install it when this machine
# can (root with apt-get); otherwise stop at once with one line saying what to install, rather
# than letting two test files fail later with "executable doesn't exist".
set -eu
CHROMIUM=/usr/bin/chromium
[ -x "$CHROMIUM" ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "npm test: $CHROMIUM is missing; installing Debian's chromium (apt-get)…" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq chromium >/dev/null
  [ -x "$CHROMIUM" ] && exit 0
  echo "npm test: apt-get installed chromium but $CHROMIUM is still missing" >&2
  exit 1
fi
echo "npm test needs Chromium at $CHROMIUM: install Debian's package (sudo apt-get install chromium), then run npm test again" >&2
exit 1
