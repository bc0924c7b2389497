#!/usr/bin/env bash
# Installs what the web UI's browser tests drive (crates/web/tests/it/browser.rs):
# Debian's chromium and its chromedriver (/usr/bin/chromium, /usr/bin/chromedriver).
# Installs only what is missing, through apt-get; safe to run again. Says what
# it found and what it did.
set -euo pipefail

fail() {
    echo "browser.sh: $*" >&2
    exit 1
}

missing=()

check() {
    local path=$1 package=$2
    if [ -x "$path" ]; then
        echo "browser.sh: $path found"
    else
        echo "browser.sh: $path missing (package $package)"
        missing+=("$package")
    fi
}

check /usr/bin/chromium chromium
check /usr/bin/chromedriver chromium-driver

if [ "${#missing[@]}" -eq 0 ]; then
    echo "browser.sh: nothing to install"
    exit 0
fi

command -v apt-get >/dev/null 2>&1 || fail "apt-get not found: install ${missing[*]} (or their equivalents) by hand"
sudo=()
if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null 2>&1 || fail "not root and no sudo: install ${missing[*]} as root"
    sudo=(sudo)
fi
echo "browser.sh: installing ${missing[*]}"
"${sudo[@]}" apt-get update -qq || fail "apt-get update failed"
DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" \
    || fail "apt-get install ${missing[*]} failed"

for path in /usr/bin/chromium /usr/bin/chromedriver; do
    [ -x "$path" ] || fail "$path still missing after installing ${missing[*]}"
done
echo "browser.sh: installed ${missing[*]} ($(/usr/bin/chromedriver --version 2>/dev/null | head -n 1))"
