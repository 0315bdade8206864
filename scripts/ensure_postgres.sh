#!/bin/sh
# Debian's PostgreSQL server for the run store's tests (they start a throwaway server
# themselves), when it is missing and we can install it. Otherwise those tests skip.
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 && exit 0
exec sh "$(dirname "$0")/apt_install.sh" postgresql "the run store's tests" \
  "the PostgreSQL run store tests will be skipped"
