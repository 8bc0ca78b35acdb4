"""Batch clustering as dask tasks: dedup.dask.cluster.

    import dask.bag as db
    import dedup.dask
    docs = db.read_text("news-*.jsonl").map(json.loads)
    labels = dedup.dask.cluster(docs)          # on the current dask scheduler

The result is the one dedup.cluster gives for the same documents in the same
order, document for document, whatever the number of partitions: for each
document, the position of its cluster's first document in the collection.
Importing dedup does not import dask; this module does (dask.delayed, and
dask.distributed when a client is given).

The work follows the library's stages of batch clustering (dedup.h, section
6), one group of tasks each:

    texts     each partition's documents as cluster() reads them;
    lines     (boilerplate on) each partition's line hashes, then the line
              statistics built by adding the partitions' hashes in document
              order, one partition after the other: the counts of one pass;
    sign      each partition signed into document records, numbered by
              their place in the whole collection, and band records split
              into npartitions parts (dedup_band_partition);
    keep      per part, the band values two or more documents share, and
              the numbers of those documents;
    select    each partition's records of the documents the parts need;
    pairs     per part, the verified pairs;
    links     the components of every part's pairs, merged in a tree;
    route     pairs and (in representative mode) the records of their
              documents to the part that assigns their component;
    assign    per part, the clusters of its components' documents;
    labels    each document's cluster, the result.

Between tasks, records travel as bytes objects of flat fixed-size records in
the host's byte order (the formats are described in _dedup.c, "stages"): the
workers must share the byte order, the version of dedup and, since every
task is given them, the parameters. Only band records, the records of
documents that share a band value, pairs and component links cross between
partitions; texts never leave the worker that read them.
"""

from __future__ import annotations

import math
import sys
from typing import Optional, Sequence

from . import BOILERPLATE_DEFAULT, ParamError, _dedup, _fields_of, _site, site_of

__all__ = ["cluster"]

# Component links merged this many at a time, up a tree.
_FAN_IN = 4


def _field(value):
    """A dataframe cell as a field: missing values (NaN, NA, NaT) are None."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, float) and math.isnan(value):
        return None
    if type(value).__name__ in ("NAType", "NaTType"):
        return None
    return value


def _texts(part, text_fields, site_field):
    """A partition's documents as dedup.cluster takes them, and their sites
    (None when no document has one). A pandas DataFrame gives, per row, its
    text_fields columns as fields (a column it lacks is None, as a record
    without the key) and its site_field column as the site; anything else is
    iterated, its items being str, sequences of fields or dicts."""
    columns = getattr(part, "columns", None)
    if columns is None:
        part = list(part)
        docs = [_fields_of(d, text_fields) for d in part]
        sites = [_site(d, site_field) for d in part]
    else:
        n = len(part)
        cols = [[_field(v) for v in part[f]] if f in columns else [None] * n
                for f in text_fields]
        docs = [list(row) for row in zip(*cols)] if cols else [[] for _ in range(n)]
        sites = [None] * n
        if site_field and site_field in columns:
            sites = [site_of(v) if isinstance(v, str) and v else None
                     for v in (_field(v) for v in part[site_field])]
    return docs, (sites if any(sites) else None)


def _starts(counts):
    """Each partition's first document number, then the number of documents."""
    starts = [0]
    for c in counts:
        starts.append(starts[-1] + c)
    return starts


def _sign(texts, sites, starts, i, stats, nparts, **kw):
    """Partition i signed: (its document records, its band records in nparts
    parts)."""
    records, bands = _dedup.stage_sign(texts, starts[i], stats, sites=sites, **kw)
    return records, _dedup.stage_split(bands, nparts)


def _labels(starts, assignments):
    return _dedup.stage_labels(starts[-1], assignments)


def _partitions(collection):
    """The partitions of a dask bag, dataframe or series, as Delayed objects."""
    kinds = []
    bag = sys.modules.get("dask.bag")
    if bag is not None:
        kinds.append(bag.Bag)
    frame = sys.modules.get("dask.dataframe")
    if frame is not None:
        kinds += [frame.DataFrame, frame.Series]
    if not kinds or not isinstance(collection, tuple(kinds)):
        raise TypeError("dedup.dask.cluster takes a dask.bag.Bag or a dask.dataframe.DataFrame")
    return list(collection.to_delayed())


class _Graph:
    """The tasks of one clustering, named dedup-STAGE-TOKEN (one key per
    partition or part)."""

    def __init__(self, token):
        from dask import delayed

        self._delayed = delayed
        self._token = token

    def task(self, stage, i, fn, *args, nout=None, **kw):
        name = "dedup-%s-%s" % (stage, self._token)
        key = name if i is None else (name, i)
        return self._delayed(fn, nout=nout, pure=True)(*args, dask_key_name=key, **kw)


def _lines(g, texts, threads):
    """The line statistics of the whole collection, and each partition's
    number of documents."""
    hashed = [g.task("line-hashes", i, _dedup.line_hashes, t[0], threads=threads, sites=t[1],
                     nout=3)
              for i, t in enumerate(texts)]
    total = g.task("text-bytes", None, sum, [h[1] for h in hashed])
    stats = None
    for i, h in enumerate(hashed):
        stats = g.task("line-stats", i, _dedup.linestats_add, stats, h[2], total)
    return stats, [h[0] for h in hashed]


def _links(g, edges):
    """The components of every part's edges: links merged up a tree."""
    level = [g.task("links", j, _dedup.stage_components, None, e) for j, e in enumerate(edges)]
    depth = 0
    while len(level) > 1:
        level = [g.task("merge%d" % depth, k, _dedup.stage_components,
                        level[k * _FAN_IN:(k + 1) * _FAN_IN])
                 for k in range((len(level) + _FAN_IN - 1) // _FAN_IN)]
        depth += 1
    return level[0]


def _graph(g, parts, text_fields, site_field, nparts, info, threads, boilerplate, params):
    """The Delayed labels of the documents of parts."""
    texts = [g.task("texts", i, _texts, p, text_fields, site_field, nout=2)
             for i, p in enumerate(parts)]
    if boilerplate:
        stats, counts = _lines(g, texts, threads)
    else:
        stats, counts = None, [g.task("count", i, len, t[0]) for i, t in enumerate(texts)]
    starts = g.task("starts", None, _starts, counts)
    signed = [g.task("sign", i, _sign, t[0], t[1], starts, i, stats, nparts, nout=2,
                     threads=threads, boilerplate=boilerplate, **params)
              for i, t in enumerate(texts)]
    records = [s[0] for s in signed]
    kept = [g.task("keep", j, _dedup.stage_keep, [s[1][j] for s in signed], nout=2)
            for j in range(nparts)]
    picked = [g.task("select", i, _dedup.stage_select, r, [k[1] for k in kept], **params)
              for i, r in enumerate(records)]
    # Every part's unsure records, few, go to every part: each pair is then
    # compared once, in the first band that proposes it.
    unsure = [g.task("unsure", j, _dedup.stage_unsure, kept[j][0], **params)
              for j in range(nparts)]
    edges = [g.task("pairs", j, _dedup.stage_pairs, kept[j][0], [p[j] for p in picked],
                    unsure, **params) for j in range(nparts)]
    links = _links(g, edges)
    to_e = [g.task("route-edges", j, _dedup.stage_route_edges, e, links, nparts)
            for j, e in enumerate(edges)]
    to_r = [g.task("route-records", i, _dedup.stage_route_records, r, links, nparts, **params)
            for i, r in enumerate(records)] if info["representative"] else []
    assigned = [g.task("assign", k, _dedup.stage_assign, [e[k] for e in to_e],
                       [r[k] for r in to_r], **params) for k in range(nparts)]
    return g.task("labels", None, _labels, starts, assigned)


def cluster(collection, *, threads: int = 1, boilerplate: int = BOILERPLATE_DEFAULT,
            text_fields: Sequence[str] = ("title", "text"), site_field: Optional[str] = "url",
            npartitions: Optional[int] = None, client=None, **params) -> list:
    """Cluster the documents of a dask collection as dedup.cluster clusters them
    in memory: for each document, in the collection's order, the position of
    its cluster's first document.

    collection: a dask.bag.Bag whose items are what dedup.cluster takes (str,
    sequences of fields, dicts whose text_fields are joined), or a
    dask.dataframe.DataFrame whose text_fields columns are the fields (missing
    values and absent columns are None), or a dask.dataframe.Series of str.
    site_field: the field (or column) naming each document's site, read as
    dedup.cluster reads it (site_of; None: none).
    boilerplate: lines found in that many documents or more are left out, as
    dedup.cluster counts them over the whole collection (0: off). npartitions:
    the parts the pair and assignment stages run in (default: the
    collection's partitions); it changes the work's shape, never the result.
    threads: threads each hashing and signing task uses (0: every processor),
    on top of the workers' own. client: a dask.distributed Client to run on;
    by default dask's current scheduler (the default client, if any).
    **params: the library's parameters, as dedup.cluster takes them; they are
    checked before any task runs (ParamError, TypeError).

    A document that is not text raises in its task what dedup.cluster raises
    (TypeError), and the computation stops."""
    info = _dedup.stage_info(threads=threads, boilerplate=boilerplate, **params)
    parts = _partitions(collection)
    if npartitions is None:
        npartitions = len(parts)
    if isinstance(npartitions, bool) or not isinstance(npartitions, int) or npartitions < 1:
        raise ParamError("npartitions: a number of parts, 1 or more")
    if not parts:
        return []
    from dask.base import tokenize

    token = tokenize([p.key for p in parts], list(text_fields), site_field, npartitions,
                     threads, boilerplate, sorted(params.items()))
    labels = _graph(_Graph(token), parts, list(text_fields), site_field, npartitions, info,
                    threads, info["boilerplate"], params)
    if client is not None:
        return client.compute(labels).result()
    return labels.compute()
