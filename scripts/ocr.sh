#!/usr/bin/env bash
# Installs the programs prodline-textin runs to read PDFs, scans and photos:
# poppler's pdftotext and pdftoppm, tesseract with its English and
# orientation (OSD) data. Installs only what is missing (Debian packages,
# through apt-get); safe to run again. Says what it found and what it did.
set -euo pipefail

fail() {
    echo "ocr.sh: $*" >&2
    exit 1
}

missing=()

have_tool() {
    command -v "$1" >/dev/null 2>&1
}

have_language() {
    have_tool tesseract && tesseract --list-langs 2>/dev/null | grep -qx "$1"
}

check() {
    local what=$1 package=$2 test=$3
    if $test "$what"; then
        echo "ocr.sh: $what found"
    else
        echo "ocr.sh: $what missing (package $package)"
        case " ${missing[*]:-} " in *" $package "*) ;; *) missing+=("$package") ;; esac
    fi
}

check pdftotext poppler-utils have_tool
check pdftoppm poppler-utils have_tool
check tesseract tesseract-ocr have_tool
check eng tesseract-ocr-eng have_language
check osd tesseract-ocr-osd have_language

if [ "${#missing[@]}" -eq 0 ]; then
    echo "ocr.sh: nothing to install"
    exit 0
fi

have_tool apt-get || fail "apt-get not found: install ${missing[*]} (or their equivalents) by hand"
sudo=()
if [ "$(id -u)" -ne 0 ]; then
    have_tool sudo || fail "not root and no sudo: install ${missing[*]} as root"
    sudo=(sudo)
fi
echo "ocr.sh: installing ${missing[*]}"
"${sudo[@]}" apt-get update -qq || fail "apt-get update failed"
DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" \
    || fail "apt-get install ${missing[*]} failed"

for tool in pdftotext pdftoppm tesseract; do
    have_tool "$tool" || fail "$tool still missing after installing ${missing[*]}"
done
for language in eng osd; do
    have_language "$language" || fail "tesseract has no '$language' data after installing ${missing[*]}"
done
echo "ocr.sh: installed ${missing[*]}"
