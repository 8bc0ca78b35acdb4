#!/bin/sh
# run.sh - run the libFuzzer targets for a bounded time each.
#
#   tests/fuzz/run.sh [SECONDS] [TARGET...]
#
# Builds the targets with clang, libFuzzer, AddressSanitizer and
# UndefinedBehaviorSanitizer in build-fuzz (or $FUZZ_BUILD), then runs each
# target (all of them by default) for SECONDS seconds (default 60), one
# after the other, starting from its seed corpus tests/fuzz/corpus/TARGET.
# The seed corpus is only read: inputs libFuzzer finds go to
# build-fuzz/fuzz-work/TARGET, and crashing inputs to
# build-fuzz/fuzz-findings/ as TARGET-crash-*, -timeout-*, -oom-*.
# To keep a finding, fix the bug and copy the input into
# tests/fuzz/corpus/TARGET/ under a name saying what it was: from then on
# the ordinary test suite replays it.
#
# Total time: about SECONDS per target plus a build of under two minutes on
# two cores. Exit status: 0 when no target found anything, 1 otherwise, 77
# when clang with libFuzzer is not installed (Debian: clang and
# libclang-rt-14-dev).
#
# To fuzz longer, raise SECONDS and, on a machine with cores to spare, pass
# libFuzzer options through FUZZ_ARGS, e.g. FUZZ_ARGS="-jobs=8 -workers=8".
set -eu
cd "$(dirname "$0")/../.."

secs=${1:-60}
[ $# -gt 0 ] && shift
build=${FUZZ_BUILD:-build-fuzz}
cc=${FUZZ_CC:-clang}

probe=$(mktemp -d)
trap 'rm -rf "$probe"' EXIT
cat >"$probe/p.c" <<'EOF'
#include <stddef.h>
#include <stdint.h>
int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);
int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) { (void)d; (void)n; return 0; }
EOF
if ! command -v "$cc" >/dev/null 2>&1 ||
    ! "$cc" -fsanitize=fuzzer,address "$probe/p.c" -o "$probe/p" 2>/dev/null; then
    echo "run.sh: $cc cannot build libFuzzer targets; skipping" >&2
    exit 77
fi

flags="-fsanitize=fuzzer-no-link -fno-sanitize-recover=all -fno-omit-frame-pointer -g"
if [ ! -f "$build/build.ninja" ]; then
    # The whole library is instrumented for coverage (fuzzer-no-link); only
    # the fuzz-* executables link libFuzzer itself. The benchmarks are not
    # needed; the tool is, for its JSON reader.
    CC=$cc CXX=${FUZZ_CXX:-clang++} meson setup "$build" \
        -Dfuzzing=true -Dbench=false \
        -Db_sanitize=address,undefined -Db_lundef=false \
        -Dbuildtype=debugoptimized \
        -Dc_args="$flags" -Dcpp_args="$flags" \
        -Dpython=disabled -Dmpi=disabled >/dev/null
else
    # The Python extension is left out: an instrumented module cannot load
    # into the uninstrumented interpreter.
    meson setup --reconfigure "$build" -Dpython=disabled -Dmpi=disabled >/dev/null
fi
ninja -C "$build" >/dev/null

if [ $# -eq 0 ]; then
    # shellcheck disable=SC2046
    set -- $(find "$build/tests/fuzz" -maxdepth 1 -type f -name "fuzz-*" -perm -u+x |
        sed "s|.*/fuzz-||" | sort)
fi

export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1:symbolize=1"
export UBSAN_OPTIONS="halt_on_error=1:abort_on_error=1:print_stacktrace=1"
findings="$build/fuzz-findings"
mkdir -p "$findings"
status=0
for t in "$@"; do
    exe="$build/tests/fuzz/fuzz-$t"
    seeds="tests/fuzz/corpus/$t"
    if [ ! -x "$exe" ] || [ ! -d "$seeds" ]; then
        echo "run.sh: no target $t" >&2
        status=1
        continue
    fi
    work="$build/fuzz-work/$t"
    mkdir -p "$work"
    dict=""
    [ -f "tests/fuzz/$t.dict" ] && dict="-dict=tests/fuzz/$t.dict"
    # Inputs up to 64 KiB: long enough for articles with boilerplate, short
    # enough for many runs per second. rss_limit catches runaway memory
    # (a document must not make memory grow by more than a small multiple of
    # its size); timeout catches quadratic work.
    echo "== fuzz-$t: ${secs}s"
    # shellcheck disable=SC2086
    if ! "$exe" -max_total_time="$secs" -max_len=65536 -timeout=20 -rss_limit_mb=2048 \
        -malloc_limit_mb=1024 -print_final_stats=1 \
        -artifact_prefix="$findings/$t-" $dict ${FUZZ_ARGS:-} "$work" "$seeds" \
        >"$build/fuzz-$t.log" 2>&1; then
        status=1
        echo "fuzz-$t: FOUND A FAILURE; log: $build/fuzz-$t.log; inputs:"
        ls "$findings" | grep "^$t-" | sed 's/^/  /'
        grep -E '^(==[0-9]+==ERROR|SUMMARY|.*check failed|.*returned)' "$build/fuzz-$t.log" |
            head -5 | sed 's/^/  /'
    else
        grep -E '^stat::number_of_executed_units|^stat::peak_rss_mb|^#[0-9]+.*DONE' \
            "$build/fuzz-$t.log" | sed "s/^/  /"
    fi
done
exit $status
