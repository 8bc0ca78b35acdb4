#!/usr/bin/env bash
# test-bench-tools.sh - checks the benchmark tools: the corpus generator
# (bench/gen) and the accuracy scorer (bench/score). Prints TAP.
#
#   test-bench-tools.sh GEN SCORE [FLOOR RUN-ACCURACY RUN-SPEED]
#
# Generator: same seed gives identical bytes and another seed different
# ones; the shipped sample corpus is what it says it is; every line is a JSON object with the required fields; the truth
# file covers exactly the ids; each language uses its script; briefs stay
# under 60 words; a base corpus is republished; bad input is refused.
# Scorer: perfect, all-singleton and one-cluster clusterings give the
# values computed independently here (in Python, by enumerating pairs);
# a hand-made example counts merged same-event pairs; mismatched ids and
# malformed lines fail with file:line messages.
# Harness scripts (when given): run end to end with a stand-in for
# `dedup cluster` that puts every document in its own cluster, so the
# expected table values are known (precision 1, recall 0).
set -u

GEN=${1:?usage: test-bench-tools.sh GEN SCORE}
SCORE=${2:?usage: test-bench-tools.sh GEN SCORE}
PY=${PYTHON:-python3}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

n=0
failed=0
report() { # status description
    n=$((n + 1))
    if [ "$1" -eq 0 ]; then
        echo "ok $n - $2"
    else
        echo "not ok $n - $2"
        failed=$((failed + 1))
        [ -s "$tmp/err" ] && sed 's/^/# /' "$tmp/err" | head -20
    fi
    : >"$tmp/err"
}
check() { # description command...
    local d=$1
    shift
    "$@" >"$tmp/out" 2>"$tmp/err"
    report $? "$d"
}
py() { # description python-source args...
    local d=$1 src=$2
    shift 2
    "$PY" -c "$src" "$@" >"$tmp/out" 2>"$tmp/err"
    report $? "$d"
}

# ------------------------------------------------------------- generator

"$GEN" --docs 400 --seed 7 --out "$tmp/a.jsonl" --truth "$tmp/a.tsv" 2>"$tmp/err"
report $? "gen writes 400 English documents"
"$GEN" --docs 400 --seed 7 --out "$tmp/b.jsonl" --truth "$tmp/b.tsv" 2>"$tmp/err"
check "same seed gives identical corpus" cmp "$tmp/a.jsonl" "$tmp/b.jsonl"
check "same seed gives identical truth" cmp "$tmp/a.tsv" "$tmp/b.tsv"
data=$(cd "$(dirname "$0")/data" && pwd)
"$GEN" --docs 240 --seed 7 --lang mixed --out "$tmp/sample.jsonl" --truth "$tmp/sample.tsv" \
    2>"$tmp/err"
check "tests/data/sample.jsonl is gen --docs 240 --seed 7 --lang mixed" \
    cmp "$tmp/sample.jsonl" "$data/sample.jsonl"
check "tests/data/sample-truth.tsv is its truth" cmp "$tmp/sample.tsv" "$data/sample-truth.tsv"
"$GEN" --docs 400 --seed 8 --out "$tmp/c.jsonl" --truth "$tmp/c.tsv" 2>"$tmp/err"
check "another seed gives another corpus" bash -c '! cmp -s "$1" "$2"' _ "$tmp/a.jsonl" "$tmp/c.jsonl"
"$GEN" --docs 400 --seed 7 >"$tmp/stdout.jsonl" 2>"$tmp/err"
check "stdout output equals --out output" cmp "$tmp/a.jsonl" "$tmp/stdout.jsonl"

VALID='
import json, re, sys
corpus, truth, want = sys.argv[1], sys.argv[2], int(sys.argv[3])
ids = []
for i, line in enumerate(open(corpus, encoding="utf-8"), 1):
    d = json.loads(line)
    assert isinstance(d, dict), f"line {i}: not an object"
    for k in ("id", "title", "text", "date", "site"):
        assert isinstance(d.get(k), str) and d[k], f"line {i}: field {k}"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", d["date"]), d["date"]
    assert "\ufffd" not in d["text"], f"line {i}: replacement character"
    ids.append(d["id"])
assert len(ids) == want, f"{len(ids)} documents, wanted {want}"
assert len(set(ids)) == len(ids), "duplicate ids"
rows = [l.rstrip("\n").split("\t") for l in open(truth, encoding="utf-8")]
assert all(len(r) == 3 and all(r) for r in rows), "truth rows need 3 fields"
tid = [r[0] for r in rows]
assert len(set(tid)) == len(tid), "duplicate truth ids"
assert set(tid) == set(ids), "truth ids differ from corpus ids"
ev = {}
for _, s, e in rows:
    assert ev.setdefault(s, e) == e, f"story {s} in two events"
'
py "every line is JSON with id/title/text/date/site; truth covers ids" "$VALID" \
    "$tmp/a.jsonl" "$tmp/a.tsv" 400

py "copies, singletons and multi-story events are all present" '
import sys, collections
rows = [l.split() for l in open(sys.argv[1])]
size = collections.Counter(s for _, s, _ in rows)
ev = collections.defaultdict(set)
for _, s, e in rows: ev[e].add(s)
assert any(v == 1 for v in size.values()), "no singleton story"
assert any(v >= 3 for v in size.values()), "no story with 2+ copies"
multi = sum(len(v) for v in ev.values() if len(v) > 1)
assert multi / len(size) > 0.10, f"only {multi} of {len(size)} stories share an event"
' "$tmp/a.tsv"

for lang in ko ja zh mixed; do
    "$GEN" --docs 150 --seed 3 --lang $lang --out "$tmp/$lang.jsonl" \
        --truth "$tmp/$lang.tsv" 2>"$tmp/err"
    report $? "gen --lang $lang runs"
    py "gen --lang $lang output is valid" "$VALID" "$tmp/$lang.jsonl" "$tmp/$lang.tsv" 150
done
py "Korean documents contain Hangul" '
import json, re, sys
for line in open(sys.argv[1], encoding="utf-8"):
    d = json.loads(line)
    assert len(re.findall("[\uac00-\ud7a3]", d["text"])) > 100, d["id"]
' "$tmp/ko.jsonl"
py "Japanese documents contain kana and kanji" '
import json, re, sys
for line in open(sys.argv[1], encoding="utf-8"):
    d = json.loads(line)
    assert re.search("[\u3040-\u30ff]", d["text"]), d["id"]
    assert re.search("[\u4e00-\u9fff]", d["text"]), d["id"]
' "$tmp/ja.jsonl"
py "Chinese sentences have no ASCII spaces and no kana" '
import json, re, sys
sentences = 0
for line in open(sys.argv[1], encoding="utf-8"):
    d = json.loads(line)
    assert not re.search("[\u3040-\u30ff\uac00-\ud7a3]", d["text"]), d["id"]
    for para in d["text"].split("\n"):
        for s in re.findall("[^。]*。", para):
            sentences += 1
            assert " " not in s, (d["id"], s)
assert sentences > 1000, sentences
' "$tmp/zh.jsonl"
py "mixed corpus holds all four languages" '
import json, re, sys
seen = set()
for line in open(sys.argv[1], encoding="utf-8"):
    t = json.loads(line)["text"]
    if re.search("[\uac00-\ud7a3]", t): seen.add("ko")
    elif re.search("[\u3040-\u30ff]", t): seen.add("ja")
    elif re.search("[\u4e00-\u9fff]", t): seen.add("zh")
    elif re.search(r"\b(the|said)\b", t): seen.add("en")
assert seen == {"en", "ko", "ja", "zh"}, seen
' "$tmp/mixed.jsonl"

"$GEN" --docs 500 --seed 11 --kind briefs --out "$tmp/br.jsonl" --truth "$tmp/br.tsv" 2>"$tmp/err"
report $? "gen --kind briefs runs"
py "briefs are under 60 words" '
import json, sys
longest = max(len(json.loads(l)["text"].split()) for l in open(sys.argv[1]))
assert longest < 60, longest
' "$tmp/br.jsonl"

"$GEN" --docs 500 --seed 11 --kind cuts --out "$tmp/cu.jsonl" --truth "$tmp/cu.tsv" 2>"$tmp/err"
report $? "gen --kind cuts runs"
py "cuts: half the copies keep at most half of their story" '
import json, sys
docs = {json.loads(l)["id"]: json.loads(l)["text"] for l in open(sys.argv[1])}
story = dict(l.split("\t")[:2] for l in open(sys.argv[2]))
sizes = {}
for d in docs:
    sizes.setdefault(story[d], []).append(len(docs[d]))
ratios = []                         # each copy against the longest of its story
for v in sizes.values():
    ratios += sorted(x / max(v) for x in v)[:-1]
short = [r for r in ratios if r <= 0.55]
assert len(short) >= 0.4 * len(ratios), (len(short), len(ratios))
assert min(ratios) <= 0.2, min(ratios)
' "$tmp/cu.jsonl" "$tmp/cu.tsv"

"$GEN" --docs 200 --seed 11 --kind boilerplate --out "$tmp/bp.jsonl" --truth "$tmp/bp.tsv" 2>"$tmp/err"
report $? "gen --kind boilerplate runs"
py "boilerplate pages are longer than standard ones" '
import json, sys
def mean(p):
    v = [len(json.loads(l)["text"]) for l in open(p)]
    return sum(v) / len(v)
a, b = mean(sys.argv[1]), mean(sys.argv[2])
assert b > 1.4 * a, (a, b)
' "$tmp/a.jsonl" "$tmp/bp.jsonl"

# A small base corpus written for this test.
cat >"$tmp/base.jsonl" <<'EOF'
{"id": "x1", "title": "Harbour crane order", "text": "The port board ordered four new cranes on Monday.\nDelivery is planned for the spring, a board member said.\nThe cranes replace machines bought in 1988.", "extra": [1, {"a": null}]}
{"id": "x2", "text": "Rainfall in the valley was twice the seasonal average.\nFarmers expect a late harvest of \"winter\" wheat."}
{"id": "x3", "title": "\u5c0f\u3055\u306a\u753a", "text": "\u753a\u306e\u56f3\u66f8\u9928\u304c\u6539\u88c5\u3055\u308c\u305f\u3002\n\u5229\u7528\u8005\u306f\u5897\u3048\u3066\u3044\u308b\u3002"}
EOF
"$GEN" --base "$tmp/base.jsonl" --seed 2 --out "$tmp/base-out.jsonl" --truth "$tmp/base-out.tsv" 2>"$tmp/err"
report $? "gen --base runs"
py "--base republishes every base article" '
import json, sys
docs = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8")]
rows = [l.split() for l in open(sys.argv[2])]
assert len({s for _, s, _ in rows}) == 3, rows
for needle in ("ordered four new cranes", "twice the seasonal average", "\u753a\u306e\u56f3\u66f8\u9928"):
    assert any(needle in d["text"] for d in docs), needle
' "$tmp/base-out.jsonl" "$tmp/base-out.tsv"
# Natural duplicates of a base corpus: an exact copy and a version cut to
# its last 24 words (all its shingles inside the long one, Jaccard 0.36)
# join the long article's story; an article sharing its first half (46%
# of its shingles inside, Jaccard 0.30) and an unrelated one do not.
"$PY" -c '
import json
a = ["word%d" % i for i in range(60)]
for i, words in enumerate([a, a, a[36:], a[:30] + ["other%d" % i for i in range(30)],
                           ["zeta%d" % i for i in range(40)]]):
    print(json.dumps({"id": "n%d" % i, "title": "t%d" % i, "text": " ".join(words)}))
' >"$tmp/natural.jsonl"
"$GEN" --base "$tmp/natural.jsonl" --stats --out "$tmp/natural-out.jsonl" \
    --truth "$tmp/natural-out.tsv" 2>"$tmp/natural-stats"
py "natural duplicates: an exact copy and a cut version join, half a text does not" '
import sys
stats = dict(l.split() for l in open(sys.argv[1]) if len(l.split()) == 2)
stories = {l.split()[1] for l in open(sys.argv[2])}
assert stats["base_duplicates"] == "2", stats
assert len(stories) == 3, stories
' "$tmp/natural-stats" "$tmp/natural-out.tsv"
printf '{"id": "ok", "text": "fine"}\n{"id": "bad", "text": "unterminated}\n' >"$tmp/badbase.jsonl"
"$GEN" --base "$tmp/badbase.jsonl" --out "$tmp/x.jsonl" >/dev/null 2>"$tmp/msg"
st=$?
grep -q 'badbase.jsonl:2:' "$tmp/msg"
report $(( st != 0 && $? == 0 ? 0 : 1 )) "malformed base line is refused with file:line"
"$GEN" --docs 10 --lang xx >/dev/null 2>"$tmp/msg"
report $(( $? != 0 ? 0 : 1 )) "unknown language is refused"

# ---------------------------------------------------------------- scorer

BRUTE='
import sys, json, itertools
truth = [l.rstrip("\n").split("\t") for l in open(sys.argv[1])]
cl = dict(l.rstrip("\n").split("\t") for l in open(sys.argv[2]))
got = json.loads(open(sys.argv[3]).read())
tp = fp = fn = tn = se = sem = 0
for (a, sa, ea), (b, sb, eb) in itertools.combinations(truth, 2):
    t, p = sa == sb, cl[a] == cl[b]
    tp += t and p; fp += p and not t; fn += t and not p; tn += not t and not p
    if ea == eb and sa != sb:
        se += 1; sem += p
prec = tp / (tp + fp) if tp + fp else 1.0
rec = tp / (tp + fn) if tp + fn else 1.0
n = tp + fp + fn + tn
exp = (tp + fn) * (tp + fp) / n
mx = ((tp + fn) + (tp + fp)) / 2
ari = (tp - exp) / (mx - exp) if mx != exp else 1.0
want = dict(precision=prec, recall=rec, ari=ari, same_event_pairs=se,
            same_event_merged=sem, true_pairs=tp + fn, predicted_pairs=tp + fp)
for k, v in want.items():
    assert abs(got[k] - v) < 1e-6, f"{k}: score says {got[k]}, pairs say {v}"
'
scored() { # truth clusters -> $tmp/score.json
    "$SCORE" --json --truth "$1" "$2" >"$tmp/score.json" 2>"$tmp/err"
}

cut -f1,2 "$tmp/a.tsv" >"$tmp/perfect.tsv"
scored "$tmp/a.tsv" "$tmp/perfect.tsv"
report $? "score runs on a perfect clustering"
py "perfect clustering: P = R = F1 = ARI = 1" '
import json, sys
g = json.load(open(sys.argv[1]))
for k in ("precision", "recall", "f1", "ari"):
    assert g[k] == 1.0, (k, g[k])
assert g["same_event_merged"] == 0
' "$tmp/score.json"

awk -F'\t' '{print $1 "\t" $1}' "$tmp/a.tsv" >"$tmp/single.tsv"
scored "$tmp/a.tsv" "$tmp/single.tsv"
py "all singletons: recall 0, no predicted pairs" '
import json, sys
g = json.load(open(sys.argv[1]))
assert g["recall"] == 0.0 and g["predicted_pairs"] == 0, g
' "$tmp/score.json"

awk -F'\t' '{print $1 "\tall"}' "$tmp/a.tsv" >"$tmp/one.tsv"
scored "$tmp/a.tsv" "$tmp/one.tsv"
py "one cluster: precision = share of true pairs, recall 1" '
import json, sys, collections
g = json.load(open(sys.argv[1]))
sizes = collections.Counter(l.split("\t")[1] for l in open(sys.argv[2]))
n = sum(sizes.values())
want = sum(k * (k - 1) // 2 for k in sizes.values()) / (n * (n - 1) // 2)
assert abs(g["precision"] - want) < 1e-9, (g["precision"], want)
assert g["recall"] == 1.0
assert g["same_event_merged_fraction"] == 1.0
' "$tmp/score.json" "$tmp/a.tsv"

# Clusters that split and merge stories: compare with pair enumeration.
awk -F'\t' 'BEGIN{srand(5)} {c=$2; if (rand() < 0.2) c=$1; else if (rand() < 0.3) c=$3; print $1 "\t" c}' \
    "$tmp/a.tsv" >"$tmp/noisy.tsv"
scored "$tmp/a.tsv" "$tmp/noisy.tsv"
py "noisy clustering: all figures match pair enumeration" "$BRUTE" \
    "$tmp/a.tsv" "$tmp/noisy.tsv" "$tmp/score.json"

printf 'a\ts1\te1\nb\ts1\te1\nc\ts2\te1\nd\ts3\te1\ne\ts4\te2\nf\ts4\te2\n' >"$tmp/tiny-truth.tsv"
printf 'a\tX\nb\tX\nc\tX\nd\tY\ne\tZ\nf\tW\n' >"$tmp/tiny-cl.tsv"
scored "$tmp/tiny-truth.tsv" "$tmp/tiny-cl.tsv"
py "hand example: 2 of 5 same-event pairs merged, P = 1/3, R = 1/2" '
import json, sys
g = json.load(open(sys.argv[1]))
assert g["same_event_pairs"] == 5 and g["same_event_merged"] == 2, g
assert abs(g["same_event_merged_fraction"] - 0.4) < 1e-9
assert abs(g["precision"] - 1 / 3) < 1e-6 and abs(g["recall"] - 0.5) < 1e-6, g
' "$tmp/score.json"
py "hand example: all figures match pair enumeration" "$BRUTE" \
    "$tmp/tiny-truth.tsv" "$tmp/tiny-cl.tsv" "$tmp/score.json"

"$SCORE" --truth "$tmp/a.tsv" "$tmp/score.json" >/dev/null 2>"$tmp/msg"
report $(( $? == 2 ? 0 : 1 )) "malformed clusters file exits 2"
head -n 5 "$tmp/perfect.tsv" >"$tmp/short.tsv"
printf 'z-not-there\tQ\n' >>"$tmp/short.tsv"
"$SCORE" --truth "$tmp/a.tsv" "$tmp/short.tsv" >/dev/null 2>"$tmp/msg"
st=$?
grep -q "not in the truth" "$tmp/msg" && grep -q "has no cluster" "$tmp/msg"
report $(( st == 1 && $? == 0 ? 0 : 1 )) "ids missing on either side are reported, exit 1"
printf 'a\tX\nb\tX\nc X\n' >"$tmp/bad.tsv"
"$SCORE" --truth "$tmp/tiny-truth.tsv" "$tmp/bad.tsv" >/dev/null 2>"$tmp/msg"
st=$?
grep -q 'bad.tsv:3:' "$tmp/msg"
report $(( st == 2 && $? == 0 ? 0 : 1 )) "line without a tab: file:line error"
printf 'a\ts1\te1\na\ts1\te1\n' >"$tmp/dup.tsv"
"$SCORE" --truth "$tmp/dup.tsv" "$tmp/tiny-cl.tsv" >/dev/null 2>"$tmp/msg"
st=$?
grep -q 'dup.tsv:2: duplicate id' "$tmp/msg"
report $(( st == 2 && $? == 0 ? 0 : 1 )) "duplicate id in truth: file:line error"

# --------------------------------------------------------------- scripts

if [ $# -ge 5 ]; then
    FLOOR=$3 RUNACC=$4 RUNSPEED=$5
    printf 'abcdefgh%.0s' $(seq 1000) >"$tmp/floor-in"
    "$FLOOR" "$tmp/floor-in" >"$tmp/floor.txt" 2>"$tmp/err"
    report $? "floor runs"
    check "floor counts every byte" grep -qx 'bytes 8000' "$tmp/floor.txt"

    cat >"$tmp/fake-dedup" <<'EOF'
#!/usr/bin/env python3
# Stand-in for `dedup cluster`: every document in its own cluster.
import json, os, sys
args = sys.argv[1:]
with open(os.environ["FAKE_LOG"], "a") as log:
    print(" ".join(args), file=log)
assert args and args[0] in ("cluster", "filter"), args
files, i = [], 1
while i < len(args):
    if args[i] in ("--threshold", "--text-field", "-j", "--window"):
        i += 2
        continue
    if not args[i].startswith("-"):
        files.append(args[i])
    i += 1
n = 0
for f in files:
    for line in open(f, encoding="utf-8"):
        doc_id = json.loads(line)["id"]
        if args[0] == "cluster":
            print(doc_id + "\t" + doc_id)
        else:
            sys.stdout.write(line)
        n += 1
if "--stats" in args:
    print(f"docs {n}", file=sys.stderr)
    print(f"kept {n}", file=sys.stderr)
EOF
    chmod +x "$tmp/fake-dedup"
    export FAKE_LOG=$tmp/fake.log
    DEDUP=$tmp/fake-dedup GEN=$GEN SCORE=$SCORE NEWS_REAL=$tmp/no-such-set \
        bash "$RUNACC" --docs 120 --seed 4 --threshold 0.6 >"$tmp/acc.txt" 2>"$tmp/err"
    report $? "run-accuracy.sh runs end to end"
    py "accuracy table: a row per corpus with P = 1, R = 0" '
import sys
rows = {l.split()[0]: l.split() for l in open(sys.argv[1]) if not l.startswith("#")}
for name in ("en-standard", "multilingual", "boilerplate", "briefs", "cuts", "ja-briefs",
             "ja-cuts", "ko-briefs", "ko-cuts", "zh-briefs", "zh-cuts"):
    r = rows[name]
    assert r[1] == "120" and r[2] == "1.0000" and r[3] == "0.0000", r
base = rows["reuters-base"]
assert base[1:3] == ["skipped:", "not"] or base[3] == "0.0000", base
' "$tmp/acc.txt"
    check "run-accuracy.sh passes --threshold to dedup cluster" \
        grep -q -- '--threshold 0.6' "$FAKE_LOG"
    DEDUP=$tmp/fake-dedup GEN=$GEN FLOOR=$FLOOR \
        bash "$RUNSPEED" --sizes "100 300" >"$tmp/speed.txt" 2>"$tmp/err"
    report $? "run-speed.sh runs end to end"
    py "speed tables: -j1 and -j2 rows for each size, with figures" '
import sys
text = open(sys.argv[1]).read()
cluster, filt = text.split("# dedup filter")
rows = [l.split() for l in cluster.splitlines() if l[:1] != "#" and l.split()[0].isdigit()]
assert [(r[0], r[2]) for r in rows] == [("100", "1"), ("100", "2"), ("300", "1"), ("300", "2")], rows
for r in rows:
    assert len(r) == 8, r
    mb, secs, rate, floor, ratio, peak = map(float, (r[1], r[3], r[4], r[5], r[6], r[7]))
    assert mb > 0.1 and floor > 0 and peak > 1, r
rows = [l.split() for l in filt.splitlines() if l.split() and l.split()[0].isdigit()]
assert [(r[0], r[1]) for r in rows] == [("100", "1"), ("100", "2"), ("300", "1"), ("300", "2")], rows
for r in rows:
    assert len(r) == 6 and r[4] == r[0] and float(r[3]) > 0, r
' "$tmp/speed.txt"
    check "run-speed.sh passes -j and --stats" grep -q -- '-j2 --stats' "$FAKE_LOG"
    check "run-speed.sh runs dedup filter with a 1M window" \
        grep -q -- 'filter -q -j2 --window 1000000 --stats' "$FAKE_LOG"
fi

# Two writers of one index, with the real tool.
if [ $# -ge 7 ]; then
    GEN=$1 DEDUP=$7 bash "$6" --rounds 2 --docs 100 >"$tmp/writers.txt" 2>"$tmp/err"
    report $? "run-writers.sh runs end to end"
    check "run-writers.sh: each round refuses one writer with the message and loses nothing" \
        grep -q 'one writer refused with the message in 2, the index holds every kept document in 2' \
        "$tmp/writers.txt"
fi

echo "1..$n"
[ "$failed" -eq 0 ]

