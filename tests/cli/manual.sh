#!/bin/bash
# The manual and the help agree: every long option a command's --help
# names is described in tools/dedup.1, and every option the manual gives
# a command is one its --help names or its parser takes.
MAN=$(cd "$(dirname "$0")/../../tools" && pwd)/dedup.1
. "$(dirname "$0")/lib.sh"

# The manual's options (roff writes \-\-name), but those of the MPI
# launchers its examples run.
grep -v 'mpirun\|srun' "$MAN" | sed 's/\\-/-/g' | grep -o -- '--[a-z][a-z0-9-]*' | sort -u > man.txt
ok "$([ "$(wc -l < man.txt)" -ge 30 ] && echo 0 || echo 1)" \
    "the manual names options ($(wc -l < man.txt))"

for cmd in cluster filter index shingles explain; do
    "$DEDUP" $cmd --help > help.txt 2>&1
    grep -o -- '--[a-z][a-z0-9-]*' help.txt | sort -u > opts.txt
    missing=$(comm -23 opts.txt man.txt | tr '\n' ' ')
    is "$missing" "" "every option of '$cmd --help' is in the manual"
done

# Each option the manual names is taken by some command: it is not an
# unknown option (exit 2 with "unrecognized" or "unknown") for all of them.
unknown=""
while read -r opt; do
    taken=0
    [ "$opt" = --version ] && "$DEDUP" --version > /dev/null && taken=1
    for cmd in cluster filter "index build" shingles explain; do
        out=$("$DEDUP" $cmd "$opt" < /dev/null 2>&1 >/dev/null)
        case "$out" in
            *unrecognized*|*"unknown option"*|*"invalid option"*) ;;
            *) taken=1; break ;;
        esac
    done
    [ "$taken" -eq 1 ] || unknown="$unknown $opt"
done < man.txt
is "$unknown" "" "every option in the manual is taken by a command"

done_testing
