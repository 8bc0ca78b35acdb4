#!/usr/bin/env python3
"""score-real.py - score a clustering of the labeled real news set.

usage: score-real.py DOCS.jsonl LABELS.tsv CLUSTERS.tsv [--errors FILE] [--chains TSV]
                    [--name NAME]
       score-real.py DOCS.jsonl LABELS.tsv --dups DUPS.jsonl [--errors FILE] [--name NAME]

DOCS.jsonl    the set's documents (id, url, lang, text), as its assemble.py writes them
LABELS.tsv    id, copy, rewrite, event, note (header line first)
CLUSTERS.tsv  `dedup cluster` output: id<TAB>cluster, one line per document
DUPS.jsonl    `dedup filter --dups` output instead: each dropped document with the id
              of the kept document it duplicates ("duplicate_of"); a kept document
              and the documents dropped as its duplicates form one cluster

Prints one line per language and one for all documents:
  copy recall        share of copy pairs (same `copy` label) put in one cluster
  lenient precision  share of predicted pairs whose documents share a `rewrite` label
  same-event merges  predicted pairs of one `event` but different `rewrite` clusters
  other merges       predicted pairs of different events
  ARI                adjusted Rand index against the `copy` clustering
With --errors, writes every missed copy pair and every false merge with the
longest passages the two texts share (runs of 8 or more words, or 12 or more
characters in text written without spaces), so that failures can be read.
With --chains TSV as well (the clusters of `dedup cluster --mode transitive`),
each missed pair also says whether a chain of pairs at or above the threshold
joins the two documents: a miss of the cluster rule rather than of the
similarity.
"""
import collections
import json
import re
import sys


def comb2(n):
    return n * (n - 1) // 2


def ari(truth, pred, ids):
    """Adjusted Rand index of two labelings restricted to ids."""
    n = len(ids)
    if n < 2:
        return 1.0
    cont = collections.Counter((truth[i], pred[i]) for i in ids)
    a = collections.Counter(truth[i] for i in ids)
    b = collections.Counter(pred[i] for i in ids)
    index = sum(comb2(v) for v in cont.values())
    sa = sum(comb2(v) for v in a.values())
    sb = sum(comb2(v) for v in b.values())
    expected = sa * sb / comb2(n)
    maximum = (sa + sb) / 2
    if maximum == expected:
        return 1.0
    return (index - expected) / (maximum - expected)


def pairs_of(groups):
    out = set()
    for members in groups.values():
        members = sorted(members)
        for i in range(len(members)):
            for j in range(i + 1, len(members)):
                out.add((members[i], members[j]))
    return out


CJK = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af\uf900-\ufaff]")


def tokens(text):
    """Words in lower case; one token per character in CJK runs."""
    out = []
    for w in re.findall(r"\w+", text.lower()):
        if CJK.search(w):
            out.extend(w)
        else:
            out.append(w)
    return out


def shared_passages(a, b, min_words=8, min_chars=12):
    """Maximal common token runs of a and b, longest first."""
    ta, tb = tokens(a), tokens(b)
    cjk = sum(1 for t in ta if len(t) == 1 and CJK.match(t)) > len(ta) / 2
    n = min_chars if cjk else min_words
    if len(ta) < n or len(tb) < n:
        return []
    grams = collections.defaultdict(list)
    for j in range(len(tb) - n + 1):
        grams[tuple(tb[j:j + n])].append(j)
    runs, covered = [], set()
    i = 0
    while i <= len(ta) - n:
        best = None
        for j in grams.get(tuple(ta[i:i + n]), ()):
            k = n
            while i + k < len(ta) and j + k < len(tb) and ta[i + k] == tb[j + k]:
                k += 1
            if best is None or k > best[1]:
                best = (j, k)
        if best:
            sep = "" if cjk else " "
            runs.append((best[1], sep.join(ta[i:i + best[1]])))
            i += best[1]
        else:
            i += 1
    runs.sort(key=lambda r: -r[0])
    return runs


def main():
    args = sys.argv[1:]
    errors = None
    name = "news-real"
    if "--errors" in args:
        k = args.index("--errors")
        errors = args[k + 1]
        del args[k:k + 2]
    chains = None
    if "--chains" in args:
        k = args.index("--chains")
        chains = {}
        for line in open(args[k + 1], encoding="utf-8"):
            r = line.rstrip("\n").split("\t")
            if len(r) >= 2:
                chains[r[0]] = r[1]
        del args[k:k + 2]
    dups = None
    if "--dups" in args:
        k = args.index("--dups")
        dups = args[k + 1]
        del args[k:k + 2]
    if "--name" in args:
        k = args.index("--name")
        name = args[k + 1]
        del args[k:k + 2]
    if len(args) != (2 if dups else 3):
        sys.stderr.write(__doc__)
        return 2
    docs = {}
    for line in open(args[0], encoding="utf-8"):
        d = json.loads(line)
        docs[d["id"]] = d
    copy, rewrite, event, note = {}, {}, {}, {}
    with open(args[1], encoding="utf-8") as f:
        next(f)
        for line in f:
            r = line.rstrip("\n").split("\t")
            copy[r[0]], rewrite[r[0]], event[r[0]] = r[1], r[2], r[3]
            note[r[0]] = r[4] if len(r) > 4 else ""
    pred = {}
    if dups:
        pred = {i: i for i in docs}
        for line in open(dups, encoding="utf-8"):
            d = json.loads(line)
            if d.get("id") in docs:
                pred[d["id"]] = str(d["duplicate_of"])
    else:
        for line in open(args[2], encoding="utf-8"):
            r = line.rstrip("\n").split("\t")
            if len(r) >= 2 and r[0] in docs:
                pred[r[0]] = r[1]
    missing = [i for i in docs if i not in pred]
    if missing:
        sys.stderr.write("score-real.py: %d documents have no cluster (first: %s)\n"
                         % (len(missing), missing[0]))
        return 1
    ids = sorted(docs)
    lang = {i: docs[i]["lang"] for i in ids}

    def groups(labels, sub):
        g = collections.defaultdict(list)
        for i in sub:
            g[labels[i]].append(i)
        return g

    predicted = pairs_of(groups(pred, ids))
    copies = pairs_of(groups(copy, ids))
    rows = []
    langs = sorted(set(lang.values()))
    for lg in langs + ["all"]:
        sub = [i for i in ids if lg == "all" or lang[i] == lg]
        s = set(sub)
        pp = {p for p in predicted if p[0] in s and p[1] in s}
        cp = {p for p in copies if p[0] in s and p[1] in s}
        found = len(pp & cp)
        lenient = sum(1 for a, b in pp if rewrite[a] == rewrite[b])
        same_event = sum(1 for a, b in pp if rewrite[a] != rewrite[b] and event[a] == event[b])
        other = sum(1 for a, b in pp if event[a] != event[b])
        rows.append((lg, len(sub), len(cp), found, len(pp), lenient, same_event, other,
                     ari(copy, pred, sub)))
    print("# %s: %d documents, %d copy pairs" % (name, len(ids), len(copies)))
    print("%-14s %5s %6s %7s %9s %6s %6s %6s %6s" % ("lang", "docs", "copies", "recall",
                                                     "precision", "pairs", "event", "other",
                                                     "ARI"))
    for lg, n, ncp, found, npp, lenient, same_event, other, a in rows:
        print("%-14s %5d %6d %7.4f %9.4f %6d %6d %6d %6.4f" % (
            name + "-" + lg if lg != "all" else name, n, ncp,
            found / ncp if ncp else 1.0, lenient / npp if npp else 1.0, npp, same_event,
            other, a))
    if errors:
        with open(errors, "w", encoding="utf-8") as f:
            def show(kind, a, b):
                f.write("== %s %s %s (copy %s/%s, rewrite %s/%s, event %s/%s; clusters %s/%s)\n"
                        % (kind, a, b, copy[a], copy[b], rewrite[a], rewrite[b], event[a],
                           event[b], pred[a], pred[b]))
                for i in (a, b):
                    f.write("   %s %s %d chars: %s\n" % (i, docs[i]["url"], len(docs[i]["text"]),
                                                       note[i]))
                if chains is not None and kind == "MISSED":
                    f.write("   joined by a chain of pairs over the threshold: %s\n"
                            % ("yes" if chains.get(a) is not None and chains.get(a) == chains.get(b)
                               else "no"))
                runs = shared_passages(docs[a]["text"], docs[b]["text"])
                total = sum(r[0] for r in runs)
                f.write("   shared: %d runs, %d tokens\n" % (len(runs), total))
                for k, text in runs[:6]:
                    f.write("   [%d] %s\n" % (k, text[:300]))
            for a, b in sorted(copies - predicted):
                show("MISSED", a, b)
            for a, b in sorted(predicted):
                if rewrite[a] != rewrite[b]:
                    show("SAME-EVENT" if event[a] == event[b] else "FALSE", a, b)
    return 0


if __name__ == "__main__":
    sys.exit(main())
