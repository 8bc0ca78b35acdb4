#!/bin/bash
# Tests of `dedup explain`: the verdict agrees with `dedup cluster`, the
# shared passages and what was left out are shown, and bad calls fail with
# a message and the documented exit status.
. "$(dirname "$0")/lib.sh"

python3 - <<'PY'
import json
story = ("The regional council approved the new harbour budget on Monday after a debate "
         "that lasted most of the night. Construction of the northern pier will begin next "
         "spring and take three years, according to the plan presented by the port authority. "
         "Opposition members said the cost had doubled since the first estimate.")
other = ("Heavy rain closed the coastal road for a second day as engineers inspected the "
         "damaged bridge near the old quarry. Residents were told to expect delays until the "
         "end of the week, and the rail company added extra trains to the morning timetable.")
docs = [
    {"id": "a", "title": "Harbour budget approved",
     "text": story + "\n\u201cWe will not let the harbour decay,\u201d the mayor said.\n"
             "Most read\n- Storm closes the coast road\n- Rail fares to rise in May"},
    {"id": "b", "title": "Council backs harbour plan",
     "text": "ALSO READ: other news\n" + story + "\n\u201cThis is a waste of money,\u201d a critic said."},
    {"id": "c", "title": "Coast road closed", "text": other},
]
with open("docs.jsonl", "w") as f:
    for d in docs:
        f.write(json.dumps(d) + "\n")
PY

"$DEDUP" explain a b docs.jsonl > ab.txt
ok $? "explain exits 0"
contains ab.txt "near-duplicates" "copies: near-duplicates"
grep -q "not near-duplicates" ab.txt
ok $((! $?)) "copies: not called different"
contains ab.txt "the regional council approved the new harbour budget" \
    "the shared passage is shown, normalized"
contains ab.txt "left out of A, quotation: “We will not let the harbour decay,”" \
    "the quotation left out of A is shown"
contains ab.txt "left out of A, line: Most read" "the heading of the list of links is shown"
contains ab.txt "left out of A, line: - Storm closes the coast road" "the list's items are shown"
contains ab.txt "left out of B, quotation: “This is a waste of money,”" \
    "the quotation left out of B is shown"

"$DEDUP" explain a c docs.jsonl > ac.txt
ok $? "explain of different stories exits 0"
contains ac.txt "not near-duplicates" "different stories: not near-duplicates"

# A quotation holding a full stop, and one at the start of a line, are
# shown whole.
printf '%s\n' '{"id":"q","text":"He said \"Stop. Now. All of you\". The council approved the harbour budget on Monday after a long debate.\n\"A lot of text and more text\" and more text here"}' \
    '{"id":"r","text":"The council approved the harbour budget on Monday after a long debate."}' > q.jsonl
"$DEDUP" explain q r q.jsonl > qr.txt
contains qr.txt 'left out of A, quotation: "Stop. Now. All of you"' "a quotation with a full stop"
contains qr.txt 'left out of A, quotation: "A lot of text and more text"' "a quotation opening its line"

# The verdict is the one dedup cluster reaches.
"$DEDUP" cluster docs.jsonl > clusters.tsv
is "$(cut -f2 clusters.tsv | tr '\n' ' ')" "a a c " "cluster joins a and b, not c"

# JSON output.
"$DEDUP" explain --output json a b docs.jsonl > ab.json
ok $? "--output json exits 0"
python3 - ab.json <<'PY'
import json, sys
o = json.load(open(sys.argv[1]))
assert o["duplicates"] is True and o["measure"] == "containment", o
assert 0.45 <= o["similarity"] <= 1.0, o
assert [d["id"] for d in o["documents"]] == ["a", "b"], o
kinds = [l["kind"] for l in o["documents"][0]["left_out"]]
assert kinds.count("quotation") == 1 and kinds.count("line") == 3, kinds
assert o["passages"] and o["passages"][0]["tokens"] >= 40, o["passages"]
assert o["documents"][0]["file"] == "docs.jsonl" and o["documents"][1]["line"] == 2, o
PY
ok $? "JSON: verdict, ids, left-out pieces and passages"

# --passages bounds the list.
"$DEDUP" explain --passages 0 a b docs.jsonl > p0.txt
is "$(grep -c '^ *[0-9][0-9]*  ' p0.txt)" 0 "--passages 0 lists none"

# dedup cluster --explain: the same pieces in each JSONL record.
"$DEDUP" cluster -q --output jsonl --explain docs.jsonl > ex.jsonl
ok $? "cluster --output jsonl --explain exits 0"
python3 - ex.jsonl <<'PY'
import json, sys
r = {o["id"]: o for o in map(json.loads, open(sys.argv[1]))}
a, b, c = r["a"]["explain"], r["b"]["explain"], r["c"]["explain"]
assert r["b"]["duplicate_of"] == "a" and r["c"]["duplicate_of"] is None, r
assert [l["kind"] for l in a["left_out"]].count("line") == 3, a
assert "passages" not in a and "passages" not in c and c["left_out"] == [], (a, c)
assert b["left_out"][0]["kind"] == "quotation", b
assert b["passages"] and b["passages"][0]["tokens"] >= 40, b
assert 0 < b["shared_tokens"] <= b["tokens"], b
assert "the regional council approved" in b["passages"][0]["text"], b
PY
ok $? "--explain: left-out pieces for all, shared passages for the duplicate"
"$DEDUP" cluster -q --explain docs.jsonl > /dev/null 2> err.txt
is $? 2 "--explain without --output jsonl: usage error"
contains err.txt "--explain goes with --output jsonl" "the message says why"

# Errors.
"$DEDUP" explain a zz docs.jsonl > /dev/null 2> err.txt
is $? 1 "a missing id: exit 1"
contains err.txt "no document with id 'zz'" "the message names the missing id"
"$DEDUP" explain a > /dev/null 2> err.txt
is $? 2 "one id only: usage error"
"$DEDUP" explain --output xml a b docs.jsonl > /dev/null 2> err.txt
is $? 2 "a bad --output: usage error"
"$DEDUP" explain a b no-such-file.jsonl > /dev/null 2> err.txt
is $? 3 "a missing file: exit 3"

done_testing
