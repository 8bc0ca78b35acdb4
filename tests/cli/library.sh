#!/bin/bash
# The library's document calls and the tool give the same answers: the same
# documents through dedup_index_add_text (tests/lib-filter.c) and through
# `dedup filter -j1` keep the same lines. Usage: library.sh DEDUP LIB-FILTER
LIB=${2:?usage: library.sh DEDUP LIB-FILTER}
LIB=$(cd "$(dirname "$LIB")" && pwd)/$(basename "$LIB")
. "$(dirname "$0")/lib.sh"

python3 - <<'PY'
import random
rnd = random.Random(17)
vocab = ["w%04d" % i for i in range(5000)]
stories = [[rnd.choice(vocab) for _ in range(rnd.randrange(20, 120))] for _ in range(400)]
furniture = ["Subscribe to our newsletter for the latest news",
             "All rights reserved. Reproduction without permission is prohibited",
             "Follow us on social media"]
with open("docs.txt", "w") as f:
    for i in range(3000):
        r = rnd.random()
        if r < 0.06:
            f.write(rnd.choice(furniture) + "\n")          # a line repeated often
        else:
            w = list(rnd.choice(stories))
            for _ in range(rnd.randrange(0, 6)):           # an edited copy
                w[rnd.randrange(len(w))] = rnd.choice(vocab)
            if rnd.random() < 0.3:
                w = w[: len(w) * 2 // 3]                    # cut short
            f.write(" ".join(w) + "\n")
PY

"$DEDUP" filter -q -j1 --input-format lines docs.txt > tool.txt
ok $? "the tool filters the corpus"
"$LIB" < docs.txt > lib.txt
ok $? "the library's add_text filters it"
n=$(wc -l < tool.txt)
ok "$([ "$n" -gt 300 ] && [ "$n" -lt 2900 ] && echo 0 || echo 1)" \
    "the tool keeps some and drops some ($n of 3000)"
cmp -s tool.txt lib.txt
ok $? "both keep exactly the same lines ($(wc -l < lib.txt) and $n)"

done_testing
