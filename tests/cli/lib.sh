# lib.sh - TAP helpers and generated corpora for the shell tests of the
# dedup tool. Sourced by each test with the path of the dedup executable
# as $1. Every test works in its own temporary folder, removed at exit.
set -u
DEDUP=${1:?usage: test.sh PATH-TO-DEDUP}
DEDUP=$(cd "$(dirname "$DEDUP")" && pwd)/$(basename "$DEDUP")
# The committed test data (tests/data).
DATA=$(cd "$(dirname "${BASH_SOURCE[0]}")/../data" && pwd)
T=$(mktemp -d "${TMPDIR:-/tmp}/dedup-cli.XXXXXX")
trap 'rm -rf "$T"' EXIT
cd "$T" || exit 99
tap_n=0
tap_failed=0

# ok CONDITION-EXIT-STATUS DESCRIPTION: use as `cmd; ok $? "what"`
ok() {
    tap_n=$((tap_n + 1))
    if [ "$1" -eq 0 ]; then
        echo "ok $tap_n - $2"
    else
        echo "not ok $tap_n - $2"
        tap_failed=$((tap_failed + 1))
    fi
}

# is GOT WANT DESCRIPTION
is() {
    if [ "$1" = "$2" ]; then ok 0 "$3"; else
        ok 1 "$3"
        printf '#   got:      %s\n#   expected: %s\n' "$1" "$2" | head -20
    fi
}

# contains FILE TEXT DESCRIPTION: FILE contains TEXT (fixed string)
contains() {
    if grep -qF -- "$2" "$1"; then ok 0 "$3"; else
        ok 1 "$3"
        echo "#   '$2' not found in:"; sed 's/^/#   /' "$1" | head -10
    fi
}

done_testing() {
    echo "1..$tap_n"
    [ "$tap_failed" -eq 0 ]
    exit $?
}

# make_corpus FILE STORIES COPIES: JSON lines of STORIES independent
# stories of about 120 words from a fixed seed, each followed by COPIES
# republished copies that add a site's boilerplate and change one word.
# Record i of story s has id "s<s>-c<i>"; copy 0 is the original. The
# records of the stories are interleaved: s0-c0, s1-c0, ..., s0-c1, ...
make_corpus() {
    python3 - "$@" <<'PY'
import json, random, sys
out, stories, copies = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
rnd = random.Random(20240501)
vocab = ["w%03d" % i for i in range(2000)]
texts = [[rnd.choice(vocab) for _ in range(120)] for _ in range(stories)]
with open(out, "w") as f:
    for c in range(copies + 1):
        for s in range(stories):
            words = list(texts[s])
            title = " ".join(words[:6])
            if c:
                words[rnd.randrange(len(words))] = "edited"
                words += ["ALSO", "READ:", "site%d" % c, "headlines"]
            rec = {"id": "s%d-c%d" % (s, c), "title": title, "text": " ".join(words)}
            f.write(json.dumps(rec, ensure_ascii=False) + "\n")
PY
}

# expected_clusters FILE STORIES COPIES: the TSV cluster output expected
# for make_corpus: every record's cluster is its story's original.
expected_clusters() {
    python3 - "$@" <<'PY'
import sys
out, stories, copies = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
with open(out, "w") as f:
    for c in range(copies + 1):
        for s in range(stories):
            f.write("s%d-c%d\ts%d-c0\n" % (s, c, s))
PY
}
