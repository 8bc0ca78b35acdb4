#!/bin/bash
# End-to-end tests of site furniture: pages that name their site (the
# host of a "url" field, or --site-field) leave out lines repeated on a
# few pages of that site, in `dedup cluster`, `dedup filter` and
# `dedup explain`.
. "$(dirname "$0")/lib.sh"

# Three stories. Pages a1 and a2 carry two different stories under the
# same long menu of one site (its host written two ways: in two cases, the
# second with a user, a port and the root's trailing dot); b1 is story 1
# on another site, with a menu of its own; c1 is story 3 on a third site.
python3 - <<'PY'
import json, random
rng = random.Random(7)
vocab = ["w%d" % i for i in range(4000)]
def story():
    return " ".join(rng.choice(vocab) for _ in range(70)) + "."
s1, s2, s3 = story(), story(), story()
menu = "\n".join("Section %d | Weather | Markets | Sport | Video" % i for i in range(25))
other = "\n".join("Rubrique %d | Meteo | Bourse" % i for i in range(5))
pages = [
    ("a1", "https://WWW.News-A.example/world/1", menu + "\n" + s1),
    ("a2", "http://reader@news-a.example.:8080/politics/2?ref=rss", menu + "\n" + s2),
    ("b1", "https://news-b.example/1", other + "\n" + s1),
    ("c1", "https://news-c.example/9", s3),
]
with open("pages.jsonl", "w") as f:
    for id_, url, text in pages:
        f.write(json.dumps({"id": id_, "url": url, "text": text}) + "\n")
with open("later.jsonl", "w") as f:
    f.write(json.dumps({"id": "a3", "url": "https://news-a.example/3",
                        "text": menu + "\n" + story()}) + "\n")
with open("named.jsonl", "w") as f:
    for id_, url, text in pages:
        f.write(json.dumps({"id": id_, "outlet": url.split("/")[2].split(":")[0]
                            .split("@")[-1].lower().rstrip(".").removeprefix("www."),
                            "text": text}) + "\n")
PY

"$DEDUP" cluster -q pages.jsonl > got.tsv
ok $? "cluster exits 0"
is "$(cut -f2 got.tsv | tr '\n' ' ')" "a1 a2 a1 c1 " \
    "the host of url: the menu is furniture of its site, a2 stands alone, b1 copies a1"
"$DEDUP" cluster -q --site-field '' pages.jsonl > off.tsv
is "$(cut -f2 off.tsv | tr '\n' ' ')" "a1 a1 a1 c1 " \
    "with no site field the menu makes a2 a copy of a1"
"$DEDUP" cluster -q --site-field outlet named.jsonl > named.tsv
cmp -s named.tsv got.tsv
ok $? "--site-field naming the site: the same clusters"
"$DEDUP" cluster -q -j1 pages.jsonl > j1.tsv && cmp -s j1.tsv got.tsv
ok $? "-j1: the same clusters"

"$DEDUP" filter -q pages.jsonl > kept.jsonl
is "$(python3 -c 'import json,sys; print(" ".join(json.loads(l)["id"] for l in sys.stdin))' \
    < kept.jsonl)" "a1 a2 c1" "filter keeps a2, drops b1"
"$DEDUP" filter -q --site-field '' pages.jsonl > kept0.jsonl
is "$(wc -l < kept0.jsonl | tr -d ' ')" "2" "filter without sites drops a2 too"
"$DEDUP" filter -q --index idx.bin pages.jsonl > kept1.jsonl && cmp -s kept1.jsonl kept.jsonl
ok $? "filter with a saved index: the same"
"$DEDUP" filter -q --index idx.bin later.jsonl > later.out
is "$(wc -l < later.out | tr -d ' ')" "1" \
    "after a restart, the site's counts loaded: a new story under its menu is kept"
"$DEDUP" filter -q --site-field '' --index idx0.bin pages.jsonl > /dev/null &&
    "$DEDUP" filter -q --site-field '' --index idx0.bin later.jsonl > later0.out
is "$(wc -l < later0.out | tr -d ' ')" "0" "(without sites it is dropped)"

"$DEDUP" explain a1 a2 pages.jsonl > ex.txt
contains ex.txt "not near-duplicates" "explain: a1 and a2 are no copies"
contains ex.txt "left out of A, line: Section 3 | Weather" "and the menu is what was left out"

"$DEDUP" cluster -q --site-field 'a,b' pages.jsonl 2> err.txt
is "$?" "2" "two names for --site-field: usage error"
contains err.txt "invalid --site-field" "with a message"

done_testing
