#!/bin/sh
# Install Debian's PostgreSQL server when it is missing and we can (root, apt-get), for the run
# store's tests (they start a throwaway server themselves). Otherwise say why: those tests skip.
if ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  exit 0
fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "Installing postgresql (Debian package) for the run store's tests..."
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null \
    && exit 0
  echo "Could not install postgresql; the PostgreSQL run store tests will be skipped." >&2
  exit 0
fi
echo "postgresql is not installed and cannot be installed here (needs root and apt-get);" \
     "the PostgreSQL run store tests will be skipped. Install it with: sudo apt-get install postgresql" >&2
