#!/bin/sh
# sanitize.sh - run the test suite under the compiler's sanitizers, in a
# build folder of its own next to the normal one.
#
#   tests/sanitize.sh asan [BUILD_DIR] [meson test arguments...]
#       AddressSanitizer (with LeakSanitizer) and UndefinedBehaviorSanitizer
#       over the default suite. Every UBSan report is fatal
#       (-fno-sanitize-recover=all), as is every leak. Default folder:
#       build-asan.
#   tests/sanitize.sh tsan [BUILD_DIR] [meson test arguments...]
#       ThreadSanitizer over the default suite, whose batch clustering tests
#       run with nthreads > 1 (the other tests run single-threaded and only
#       cost a little time). Default folder: build-tsan.
#
# Extra arguments go to `meson test`, for example `--suite slow` to run the
# slow adversarial tests as well, or a test name. The compiler is $CC, or
# clang when it is installed (its runtimes are the better tested ones), or
# gcc. Both modes take well under ten minutes on two cores; see the README
# section on reliability for the figures. Exit status: that of meson test,
# or 77 when the compiler cannot link the sanitizer at all.
set -eu
cd "$(dirname "$0")/.."

mode=${1:-asan}
[ $# -gt 0 ] && shift
case "$mode" in
asan | tsan) ;;
*)
    echo "usage: $0 asan|tsan [BUILD_DIR] [meson test arguments...]" >&2
    exit 2
    ;;
esac
build=build-$mode
if [ $# -gt 0 ] && [ "${1#-}" = "$1" ]; then
    build=$1
    shift
fi

if [ -z "${CC:-}" ]; then
    if command -v clang >/dev/null 2>&1; then
        CC=clang
        command -v clang++ >/dev/null 2>&1 && CXX=clang++ && export CXX
    else
        CC=cc
    fi
fi
export CC

if [ "$mode" = asan ]; then
    sanitize=address,undefined
    flags="-fno-sanitize-recover=all -fno-omit-frame-pointer"
else
    sanitize=thread
    flags="-fno-omit-frame-pointer"
fi

# Can this compiler link the runtime? (Debian: clang needs
# libclang-rt-14-dev, gcc needs libasan8/libubsan1/libtsan2.)
probe=$(mktemp -d)
trap 'rm -rf "$probe"' EXIT
printf 'int main(void) { return 0; }\n' >"$probe/p.c"
if ! $CC -fsanitize=$sanitize $flags "$probe/p.c" -o "$probe/p" 2>/dev/null; then
    echo "sanitize.sh: $CC cannot link -fsanitize=$sanitize; skipping" >&2
    exit 77
fi

if [ ! -f "$build/build.ninja" ]; then
    # b_lundef=false: the sanitizer runtime is linked into executables only,
    # so the shared library has undefined references to it. The benchmark
    # programs are built so that the bench-tools test runs the corpus
    # generator and the scorer under the sanitizers too (none of the timed
    # benchmarks is a test).
    meson setup "$build" \
        -Db_sanitize=$sanitize -Db_lundef=false \
        -Dbuildtype=debugoptimized -Dbench=true \
        -Dc_args="$flags" -Dcpp_args="$flags" \
        -Dc_link_args="$flags" -Dcpp_link_args="$flags" \
        -Dpython=disabled -Dmpi=disabled >/dev/null
else
    # The Python extension is left out: an instrumented module cannot load
    # into the uninstrumented interpreter.
    meson setup --reconfigure "$build" -Dpython=disabled -Dmpi=disabled >/dev/null
fi
ninja -C "$build" >/dev/null

# Fatal on the first report, with a stack; meson would otherwise pick its
# own defaults. detect_leaks is on by default on x86-64 Linux but not on
# every platform, hence explicit.
export ASAN_OPTIONS="detect_leaks=1:halt_on_error=1:abort_on_error=1:print_summary=1\
:strict_string_checks=1:detect_stack_use_after_return=1:check_initialization_order=1"
export UBSAN_OPTIONS="halt_on_error=1:abort_on_error=1:print_stacktrace=1:print_summary=1"
export TSAN_OPTIONS="halt_on_error=1:abort_on_error=1:second_deadlock_stack=1"
# Sanitized code runs several times slower; the time limits scale with it.
mult=${DEDUP_SANITIZE_TIMEOUT_MULTIPLIER:-4}

run_tests() {
    # ThreadSanitizer in clang 14 maps memory at fixed addresses that recent
    # kernels' larger mmap randomization can collide with ("unexpected
    # memory mapping"); running without address randomization avoids it.
    if [ "$mode" = tsan ] && command -v setarch >/dev/null 2>&1 &&
        setarch "$(uname -m)" -R true 2>/dev/null; then
        setarch "$(uname -m)" -R meson test -C "$build" --print-errorlogs \
            --timeout-multiplier "$mult" "$@"
    else
        meson test -C "$build" --print-errorlogs --timeout-multiplier "$mult" "$@"
    fi
}

run_tests "$@"
