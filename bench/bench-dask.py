#!/usr/bin/env python3
"""bench-dask.py - dedup.dask.cluster on a local dask.distributed cluster next
to dedup.cluster in memory, on one corpus.

    build/bench/gen --docs 100000 --seed 1 --lang mixed --out /tmp/mixed.jsonl
    PYTHONPATH=build/bindings/python/src /usr/bin/python3 bench/bench-dask.py \
        /tmp/mixed.jsonl [--partitions N] [--threads N] [--repeat N]

The records are read once; then dedup.cluster runs on them with --threads
threads (default 2), and dedup.dask.cluster on a bag of them cut into
--partitions partitions (default 8) on a LocalCluster of 1, then 2 workers of
one thread each, in this process (processes=False: the stages run without the
GIL). The bag is persisted on the workers before the clock starts, as the
records are in memory for dedup.cluster; the cluster's start is not counted.
Each time is the best of --repeat runs (default 1). Prints "name value"
lines: seconds and documents per second of each, and whether the clusters
are the same."""

import argparse
import json
import time

import dask.bag as db
import distributed

import dedup
import dedup.dask


def best(repeat, fn):
    """The shortest time of repeat calls of fn, and its result."""
    times = []
    for _ in range(max(1, repeat)):
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    return min(times), result


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("corpus")
    ap.add_argument("--partitions", type=int, default=8)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--repeat", type=int, default=1)
    a = ap.parse_args()
    with open(a.corpus, encoding="utf-8") as f:
        records = [json.loads(line) for line in f]
    n = len(records)
    print("documents %d" % n)

    t, want = best(a.repeat, lambda: dedup.cluster(records, threads=a.threads))
    print("cluster_memory_threads %d" % a.threads)
    print("cluster_memory_s %.2f" % t)
    print("cluster_memory_docs_per_s %.0f" % (n / t))

    for workers in (1, 2):
        with distributed.LocalCluster(n_workers=workers, threads_per_worker=1,
                                      processes=False, dashboard_address=None) as cluster, \
                distributed.Client(cluster) as client:
            # the records in the workers' memory first, as they are in this
            # process's for dedup.cluster
            bag = client.persist(db.from_sequence(records, npartitions=a.partitions))
            distributed.wait(bag)
            t, got = best(a.repeat, lambda: dedup.dask.cluster(bag, client=client))
        name = "dask_%d_worker%s" % (workers, "s" if workers > 1 else "")
        print("%s_s %.2f" % (name, t))
        print("%s_docs_per_s %.0f" % (name, n / t))
        print("%s_same_clusters %s" % (name, "yes" if got == want else "NO"))


if __name__ == "__main__":
    main()
