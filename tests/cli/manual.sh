#!/bin/bash
# The manual and the help agree: every long option a command's --help
# names is described in tools/dedup.1, and every option the manual names
# is one a command's --help names.
MAN=$(cd "$(dirname "$0")/../../tools" && pwd)/dedup.1
. "$(dirname "$0")/lib.sh"

# The manual's options (roff writes \-\-name), but those of the MPI
# launchers its examples run.
grep -v 'mpirun\|srun' "$MAN" | sed 's/\\-/-/g' | grep -o -- '--[a-z][a-z0-9-]*' | sort -u > man.txt
ok "$([ "$(wc -l < man.txt)" -ge 30 ] && echo 0 || echo 1)" \
    "the manual names options ($(wc -l < man.txt))"

: > all.txt
for cmd in cluster filter index shingles explain; do
    "$DEDUP" $cmd --help > help.txt 2>&1
    st=$?
    grep -o -- '--[a-z][a-z0-9-]*' help.txt | sort -u > opts.txt
    cat opts.txt >> all.txt
    ok "$([ $st -eq 0 ] && [ "$(wc -l < opts.txt)" -ge 3 ] && echo 0 || echo 1)" \
        "'$cmd --help' exits 0 and names options ($(wc -l < opts.txt))"
    missing=$(comm -23 opts.txt man.txt | tr '\n' ' ')
    is "$missing" "" "every option of '$cmd --help' is in the manual"
done

# Each option the manual names is one some command's --help names (those
# lists are what the parsers take, the checks above keep them complete),
# or the program's own --version.
echo --version >> all.txt
sort -u all.txt -o all.txt
is "$(comm -23 man.txt all.txt | tr '\n' ' ')" "" "every option in the manual is a command's"

done_testing
