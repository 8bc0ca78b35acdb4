#!/bin/sh
# Set up a Debian 12 machine for libdedup and build it: installs the
# packages the build and the tests need (as root, or through sudo), then
# configures and builds in ./build. Safe to run again; does only what is
# missing. Usage: tools/bootstrap.sh [BUILD_DIR] [extra meson options...]
set -eu
cd "$(dirname "$0")/.."
build=${1:-build}
[ $# -gt 0 ] && shift

packages="build-essential g++ pkg-config meson ninja-build python3 libxxhash-dev
libutf8proc-dev unicode-data zlib1g-dev libzstd-dev zstd gzip libsimdjson-dev
libjansson-dev libcjson-dev python3-dev python3-pytest python3-mesonpy python3-pip
python3-venv patchelf libopenmpi-dev openmpi-bin python3-distributed python3-pandas"
missing=""
for p in $packages; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
        missing="$missing $p"
done
if [ -n "$missing" ]; then
    if [ "$(id -u)" -eq 0 ]; then sudo=""; else sudo="sudo"; fi
    echo "bootstrap: installing:$missing" >&2
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    # shellcheck disable=SC2086
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi

if [ ! -f "$build/build.ninja" ]; then
    meson setup "$build" "$@" >/dev/null
fi
ninja -C "$build" >/dev/null
