#!/bin/sh
# apt_install.sh PACKAGE PURPOSE WITHOUT: install a missing Debian package when we can (root,
# apt-get). Otherwise say so and still exit 0, so `make test` goes on: WITHOUT says what then
# happens instead (tests skip, a fallback runs). The ensure_*.sh scripts check first, then call this.
package="$1" purpose="$2" without="$3"
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "Installing $package (Debian package) for $purpose..."
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$package" >/dev/null \
    && exit 0
  echo "Could not install $package; $without." >&2
  exit 0
fi
echo "$package is not installed and cannot be installed here (needs root and apt-get); $without." \
     "Install it with: sudo apt-get install $package" >&2
