#!/bin/sh
# Install Debian's chromium when it is missing and we can (root, apt-get). Otherwise say so:
# the browser tests then skip with that reason instead of failing on a missing binary.
browser="${LSTM_LENS_CHROMIUM:-/usr/bin/chromium}"
if [ -x "$browser" ]; then
  exit 0
fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "Installing chromium (Debian package) for the browser tests..."
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null \
    && exit 0
  echo "Could not install chromium; browser tests will be skipped." >&2
  exit 0
fi
echo "chromium is not installed and cannot be installed here (needs root and apt-get);" \
     "browser tests will be skipped. Install it with: sudo apt-get install chromium" >&2
