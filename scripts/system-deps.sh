#!/bin/sh
# The Debian packages convenios needs besides Python: Pango for WeasyPrint (PDF rendering); with
# `test`, also what the test suite uses: curl (the README's walkthrough runs in the suite) and
# libfaketime (the date-sensitive tests run again with the machine's clock moved), and Chromium
# (the signing and verification pages are tested in a real browser), and Redis (the task
# queue's tests publish to it); with `sample`,
# poppler-utils (`make sample` draws a page of each sample convenio).
# Installs them when missing (as root, with apt-get); otherwise says what to install.
set -eu
packages="libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0"
if [ "${1:-}" = test ]; then
    packages="$packages curl faketime chromium redis-server"
elif [ "${1:-}" = sample ]; then
    packages="$packages poppler-utils"
fi
missing=""
for package in $packages; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" \
        || missing="$missing $package"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "Installing Debian packages:$missing" >&2
    apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing >&2
else
    echo "convenios needs these Debian packages:$missing" >&2
    echo "Install them with: sudo apt-get install$missing" >&2
    exit 1
fi
