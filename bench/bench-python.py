#!/usr/bin/env python3
"""bench-python.py - the Python package next to the dedup tool, in one run.

    PYTHONPATH=build/bindings/python/src python3 bench/bench-python.py CORPUS.jsonl \
        [--dedup build/tools/dedup] [--threads N] [--sign-docs N]

1. Clustering: dedup.cluster on the corpus's records (title and text), with
   --threads threads (default 2), against `dedup cluster -q -jN` on the same
   file: seconds each, documents per second, the ratio, and whether the
   clusters are the same. The Python time counts reading and parsing the
   JSON lines too, as the tool's does; the call alone is printed as well.
2. Signing: Hasher.signature over the first --sign-docs records (default
   20000) in one thread, documents per second and MB/s of text.

Prints "name value unit" lines."""

import argparse
import json
import os
import subprocess
import time

import dedup


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("corpus")
    ap.add_argument("--dedup", default=os.path.join(os.path.dirname(__file__), "..", "build",
                                                    "tools", "dedup"))
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--sign-docs", type=int, default=20000)
    a = ap.parse_args()

    t0 = time.perf_counter()
    out = subprocess.run([a.dedup, "cluster", "-q", "-j%d" % a.threads, a.corpus],
                         check=True, capture_output=True, text=True).stdout
    t_tool = time.perf_counter() - t0
    tool = [line.split("\t")[1] for line in out.splitlines()]

    t0 = time.perf_counter()
    with open(a.corpus, encoding="utf-8") as f:
        records = [json.loads(line) for line in f]
    t_json = time.perf_counter() - t0
    labels = dedup.cluster(records, threads=a.threads)
    t_py = time.perf_counter() - t0
    ids = [str(r["id"]) for r in records]
    same = [ids[x] for x in labels] == tool
    n = len(records)
    print("documents %d docs" % n)
    print("cluster_tool %.2f s (%.0f docs/s)" % (t_tool, n / t_tool))
    print("cluster_python %.2f s (%.0f docs/s)" % (t_py, n / t_py))
    print("cluster_python_vs_tool %.2f of the tool's speed" % (t_tool / t_py))
    print("cluster_python_json %.2f s of it reading the records with the json module"
          % t_json)
    print("cluster_call_vs_tool %.2f: dedup.cluster on the records in memory against the "
          "tool's whole run" % (t_tool / (t_py - t_json)))
    print("cluster_same_clusters %s" % ("yes" if same else "NO"))

    # The same from the file with dedup.read_jsonl, which makes only the
    # wanted fields Python objects: as str, then as UTF-8 bytes (raw=True,
    # no str made and encoded back).
    for raw, name in ((False, "read_jsonl"), (True, "read_jsonl_raw")):
        t0 = time.perf_counter()
        rids, rdocs = dedup.read_jsonl(a.corpus, raw=raw)
        t_read = time.perf_counter() - t0
        rlabels = dedup.cluster(rdocs, threads=a.threads)
        t_rj = time.perf_counter() - t0
        rsame = [str(rids[x]) for x in rlabels] == tool
        print("cluster_python_%s %.2f s (%.0f docs/s), %.2f s of it reading"
              % (name, t_rj, n / t_rj, t_read))
        print("cluster_python_%s_vs_tool %.2f of the tool's speed" % (name, t_tool / t_rj))
        print("cluster_%s_same_clusters %s" % (name, "yes" if rsame else "NO"))

    docs = [(r.get("title"), r.get("text")) for r in records[: a.sign_docs]]
    size = sum(len((t or "").encode()) + len((b or "").encode()) for t, b in docs)
    h = dedup.Hasher()
    t0 = time.perf_counter()
    for d in docs:
        h.signature(d)
    t_sign = time.perf_counter() - t0
    print("sign_python_one_thread %.0f docs/s (%.1f MB/s, %d bytes per document)"
          % (len(docs) / t_sign, size / t_sign / 1e6, size // max(1, len(docs))))


if __name__ == "__main__":
    main()
