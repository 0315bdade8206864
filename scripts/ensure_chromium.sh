#!/bin/sh
# Debian's chromium for the browser tests, when it is missing and we can install it. Otherwise
# the browser tests skip with that reason instead of failing on a missing binary.
browser="${LSTM_LENS_CHROMIUM:-/usr/bin/chromium}"
[ -x "$browser" ] && exit 0
exec sh "$(dirname "$0")/apt_install.sh" chromium "the browser tests" "browser tests will be skipped"
