#!/bin/bash
# The library's document calls and the tool give the same answers: the same
# documents through dedup_index_add_text (tests/lib-filter.c) and through
# `dedup filter -j1` keep the same lines. And an index the tool saved is the
# library's: its documents are found by their ids as keys, strings as they
# are and numbers after a 0x00 byte, with its line statistics and numbers
# (tests/lib-keys.c). Usage: library.sh DEDUP LIB-FILTER LIB-KEYS
LIB=${2:?usage: library.sh DEDUP LIB-FILTER LIB-KEYS}
LIB=$(cd "$(dirname "$LIB")" && pwd)/$(basename "$LIB")
KEYS=${3:?usage: library.sh DEDUP LIB-FILTER LIB-KEYS}
KEYS=$(cd "$(dirname "$KEYS")" && pwd)/$(basename "$KEYS")
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

# Ids of both kinds, as the tool stores them.
python3 - <<'PY'
import json, random
rnd = random.Random(3)
vocab = ["w%04d" % i for i in range(5000)]
menu = "Home | World | Sport\nSubscribe to our newsletter"
ids = ["https://example.com/2024/05/harbour?utm=rss", 42, "42", 1.5, "plain id", -7]
with open("ids.jsonl", "w") as f:
    for i in ids:
        text = menu + "\n" + " ".join(rnd.choice(vocab) for _ in range(80))
        f.write('{"id": %s, "text": %s}\n' % (repr(i) if isinstance(i, float) else json.dumps(i),
                                               json.dumps(text)))
for name, n in (("more", 3), ("new", 2)):
    with open(name + "-ids.jsonl", "w") as f:
        for k in range(n):
            text = menu + "\n" + " ".join(rnd.choice(vocab) for _ in range(80))
            f.write(json.dumps({"id": "%s-%d" % (name, k), "text": text}) + "\n")
PY
"$DEDUP" index build -q ids.jsonl -o ids.idx
"$KEYS" ids.idx 's:https://example.com/2024/05/harbour?utm=rss' n:42 s:42 n:1.5 's:plain id' \
    n:-7 s:-7 n:43 > found.txt
ok $? "the library loads an index the tool built"
is "$(tr '\t\n' ' ;' < found.txt)" \
    "s:https://example.com/2024/05/harbour?utm=rss 1;n:42 2;s:42 3;n:1.5 4;s:plain id 5;n:-7 6;s:-7 absent;n:43 absent;" \
    "it finds each document by its id, strings as they are, numbers after a 0x00 byte"
"$KEYS" ids.idx > info.txt
is "$(head -n 4 info.txt | tr '\n' ';')" "documents 6;next 7;boilerplate 20;line documents 6;" \
    "with the tool's numbers, its boilerplate threshold and its line statistics"
is "$(tail -n +5 info.txt | cut -f1,2 | tr '\t\n' ' ;')" "1 1;2 2;3 3;4 4;5 5;6 6;" \
    "documents numbered and stamped in order of arrival"
is "$(tail -n +5 info.txt | cut -f3 | tr '\n' ';')" \
    "https://example.com/2024/05/harbour?utm=rss;\\042;42;\\01.5;plain id;\\0-7;" \
    "each with its key"
"$DEDUP" index add -q ids.idx more-ids.jsonl
"$KEYS" ids.idx s:more-2 > found.txt
is "$(head -n 4 found.txt | tr '\t\n' ' ;')" "s:more-2 9;" "index add names its documents too"
is "$("$KEYS" ids.idx | sed -n 4p)" "line documents 9" "and counts their lines into the index"
# Each new document expires those more than 4 behind it: 1 to 6 go.
"$DEDUP" filter -q --index ids.idx --window 4 new-ids.jsonl > /dev/null
is "$("$KEYS" ids.idx | head -n 2 | tr '\n' ';')" "documents 5;next 12;" \
    "a filter's expiry drops documents, the numbers go on"
"$KEYS" ids.idx 's:plain id' n:-7 s:more-0 s:new-1 > found.txt
is "$(tr '\t\n' ' ;' < found.txt)" "s:plain id absent;n:-7 absent;s:more-0 7;s:new-1 11;" \
    "the keys of expired documents go with them, the others are found"

done_testing
