#!/bin/bash
# SIGKILL during `dedup filter --index` at random moments: after each kill
# the saved index loads, and holds the state of an earlier save or a newer
# one (its document count never goes back); a final uninterrupted run ends
# in the same state as one that was never killed.
. "$(dirname "$0")/lib.sh"

python3 - <<'PY'
import json, random
rnd = random.Random(7)
vocab = ["w%03d" % i for i in range(2000)]
texts = [[rnd.choice(vocab) for _ in range(120)] for _ in range(3000)]
with open("feed.jsonl", "w") as f:
    for c in range(4):
        for s in range(3000):
            w = list(texts[s])
            if c:
                w[rnd.randrange(len(w))] = "edited"
            f.write(json.dumps({"id": "s%d-c%d" % (s, c), "text": " ".join(w)}) + "\n")
PY

count() { "$DEDUP" index stats idx 2>/dev/null | awk '$1 == "documents" {print $2}'; }

RANDOM=11
prev=0
present=0
loads=0
monotone=0
for i in $(seq 1 20); do
    "$DEDUP" filter -q --index idx --save-every 150 feed.jsonl > /dev/null 2>&1 &
    pid=$!
    # The first run is killed once it has saved (under a sanitizer the
    # start alone can outlast the random delays); later runs at random.
    if [ "$i" -eq 1 ]; then
        for _ in $(seq 600); do [ -e idx ] && break; sleep 0.1; done
    fi
    sleep "0.$(printf '%02d' $((RANDOM % 40 + 1)))"
    kill -KILL $pid 2>/dev/null
    wait $pid 2>/dev/null
    [ -e idx ] || continue
    present=$((present + 1))
    n=$(count)
    if [ -n "$n" ]; then
        loads=$((loads + 1))
        [ "$n" -ge "$prev" ] && [ "$n" -le 3000 ] && monotone=$((monotone + 1))
        prev=$n
    fi
done
ok "$([ "$present" -ge 15 ] && echo 0 || echo 1)" \
    "most kills came after a first save ($present of 20)"
is "$loads" "$present" "after every kill the saved index loads"
is "$monotone" "$loads" "each load holds an earlier save's state or a newer one, never less"
"$DEDUP" filter -q --index idx feed.jsonl > rest.jsonl
ok $? "a final run from the saved state finishes"
is "$(count)" 3000 "it ends with every story kept once, as an uninterrupted run does"
"$DEDUP" filter -q feed.jsonl > once.jsonl
is "$(wc -l < once.jsonl)" 3000 "an uninterrupted run keeps 3000 documents too"

done_testing
