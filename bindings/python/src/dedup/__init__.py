"""Near-duplicate detection and clustering of news articles.

Python bindings of libdedup. Texts are str, or sequences of fields (str or
None: a title, a body...) joined with line breaks as the dedup tool joins a
record's title and text. Parameters are keyword arguments named as the
library names them (threshold, num_hashes, shingle_size, measure, ...; see
param_names()); a value out of bounds raises ParamError.

    import dedup
    seen = dedup.Index()                      # boilerplate=20: site furniture left out
    for url, title, body in feed:
        match = seen.add_unique(url, (title, body), time=unix_time)
        if match:
            print(url, "duplicates", match.key, match.similarity)
    seen.save("seen.idx")

    labels = dedup.cluster([doc["text"] for doc in corpus], threads=4)

Errors are dedup.Error and its subclasses (ParamError, FormatError,
KeyError, IOError, MismatchError), with the library's message. Work on text
runs without the GIL; an Index may be queried from many threads at once
while changes wait for each other.

dedup.dask.cluster (import dedup.dask, which imports dask) clusters a dask
bag or dataframe as dask tasks, with the result cluster() gives.
"""

from __future__ import annotations

import datetime as _dt
import gzip as _gzip
import os as _os
from typing import Iterable, Iterator, NamedTuple, Optional, Sequence, Union

from . import _dedup
from ._dedup import (  # noqa: F401
    BOILERPLATE_DEFAULT,
    Error,
    FormatError,
    IOError,
    KeyError,
    MismatchError,
    ParamError,
    Signature,
    library_version,
)

__all__ = [
    "BOILERPLATE_DEFAULT", "Error", "FormatError", "Hasher", "Index", "IOError", "KeyError",
    "Match", "MismatchError", "ParamError", "Signature", "cluster", "explain", "param_names",
    "read_jsonl", "signature", "similarity", "library_version",
]

__version__ = "0.1.0"

Text = Union[str, bytes, Sequence[Union[str, bytes, None]]]


class Match(NamedTuple):
    """A stored document that a text duplicates."""

    key: Optional[str]
    similarity: float
    id: int


def _stamp(time):
    if time is None or isinstance(time, int):
        return time
    if isinstance(time, _dt.datetime):
        if time.tzinfo is None:
            time = time.replace(tzinfo=_dt.timezone.utc)
        return int(time.timestamp())
    raise TypeError("time is an int (e.g. Unix seconds) or a datetime")


def param_names() -> dict:
    """Each parameter's name -> (type, lowest, highest)."""
    return _dedup.param_names()


class Hasher(_dedup.Hasher):
    """Hasher(**params): turns texts into signatures."""

    def signature(self, text: Text) -> Signature:
        """The signature of text (a str, or a sequence of fields)."""
        return super().signature(text)


def signature(text: Text, **params) -> Signature:
    """The signature of text with the given parameters."""
    return Hasher(**params).signature(text)


def similarity(a: Text, b: Text, **params) -> float:
    """The similarity of two texts as clustering measures it (containment by
    default: a trimmed copy inside a longer page scores high)."""
    return _dedup.similarity(a, b, **params)


def explain(a: Text, b: Text, passages: int = 10, **params) -> dict:
    """Why two texts are, or are not, near-duplicates, as `dedup explain` shows it
    (without line statistics, which need a corpus): the similarity and the
    threshold, "duplicates", the shingles both hold, the passages of the shorter
    one ("passages_of": "a" or "b") that the other also holds, as (tokens,
    normalized text) longest first (at most `passages`), and per document its
    tokens, shingles, tokens shared and what the comparison left out of it, as
    ("line" or "quotation", text)."""
    return _dedup.explain(a, b, passages=passages, **params)


def read_jsonl(source, text_fields: Sequence[str] = ("title", "text"),
               id_field: str = "id", raw: bool = False) -> tuple:
    """The records of a JSON-lines file (a path, or the bytes themselves) as
    `dedup cluster` reads them: (ids, docs), where docs[i] is the tuple of
    record i's text_fields (None where absent) for dedup.cluster and the
    index, and ids[i] its id_field (a str, an int, or the line number when
    absent). With raw=True the text fields are bytes (UTF-8), which the
    package takes as texts too, without decoding them into str and encoding
    them back. gzip and zstd files are read as they are. A bad line raises
    FormatError with the file and line. Far faster than the json module:
    only the wanted fields become Python objects."""
    if isinstance(source, (bytes, bytearray, memoryview)):
        data, name = bytes(source), "(bytes)"
    else:
        name = _os.fspath(source)
        with open(name, "rb") as f:
            data = f.read()
    if data[:2] == b"\x1f\x8b":
        data = _gzip.decompress(data)
    elif data[:4] == b"\x28\xb5\x2f\xfd" or (data[:1] and (data[0] & 0xF0) == 0x50
                                             and data[1:4] == b"\x2a\x4d\x18"):
        # a zstd frame, or a skippable frame before one (as pzstd writes)
        if not hasattr(_dedup, "zstd_decompress"):
            raise FormatError("%s: zstd-compressed, and this build has no zstd; "
                              "decompress it first" % name)
        try:
            data = _dedup.zstd_decompress(data)
        except ValueError as e:
            raise FormatError("%s: %s" % (name, e)) from None
    return _dedup.read_jsonl(data, tuple(text_fields), id_field, str(name), raw)


def _fields_of(doc, text_fields):
    if isinstance(doc, str):
        return doc
    if isinstance(doc, dict):
        return [doc.get(f) for f in text_fields]
    return doc


def site_of(value: str) -> str:
    """The site a record's site field names, as `dedup --site-field` reads it
    (the library's dedup_site_of): a URL's host without user, port, a
    trailing dot and a leading "www.", in lower case; anything else as it
    is (sites compare without regard to ASCII case)."""
    return _dedup.site_of(value)


def _site(doc, site_field):
    if not site_field or not isinstance(doc, dict):
        return None
    v = doc.get(site_field)
    return site_of(v) if isinstance(v, str) and v else None


def cluster(texts: Iterable, threads: int = 0, boilerplate: int = BOILERPLATE_DEFAULT,
            text_fields: Sequence[str] = ("title", "text"), site_field: Optional[str] = "url",
            **params) -> list:
    """Cluster a corpus as `dedup cluster` does: for each document, the position
    of its cluster's representative (its first document). Documents are str,
    sequences of fields, or dicts (records) whose text_fields are joined.
    Lines found in `boilerplate` or more documents are left out (0: off), and
    so is the furniture of a record's site (site_of(record[site_field]): a
    menu or a headline on two pages of the site, any short line on three).
    threads: 0 uses every processor."""
    texts = list(texts)
    docs = [_fields_of(d, text_fields) for d in texts]
    sites = [_site(d, site_field) for d in texts]
    if not any(sites):
        sites = None
    return _dedup.cluster(docs, threads=threads, boilerplate=boilerplate, sites=sites, **params)


class Index(_dedup.Index):
    """Index(boilerplate=20, **params): documents by key, kept to find the
    duplicates of later ones; saved to a file or to bytes with its keys and
    line statistics.

    add_unique(key, text, time) is the crawler's call: it returns None when the
    document was new (and stores it), or the Match it duplicates. time is an
    int (Unix seconds, or any ordered number) or a datetime; by default one
    more than the latest stored. Documents older than a time are forgotten
    with expire(before)."""

    def add_unique(self, key: str, text: Text, time=None,
                   site: Optional[str] = None) -> Optional[Match]:
        """Store text under key unless it duplicates a stored document; return
        None (stored) or the best Match. KeyError if key is stored already.
        site names the page's site (the host of its URL, say): its lines are
        also counted for that site, and the site's furniture (a menu or a
        headline on two of its pages, any short line on three) is left out."""
        m = super().add_unique(key, text, _stamp(time), site)
        return None if m is None else Match(*m)

    def add(self, key: str, text: Text, time=None, site: Optional[str] = None) -> None:
        """Store text under key whatever it duplicates (signed as a page of
        site, if given)."""
        super().add(key, text, _stamp(time), site)

    def query(self, text: Text, limit: int = 100) -> list:
        """The stored documents text duplicates, best first (at most limit)."""
        return [Match(*m) for m in super().query(text, limit)]

    def explain(self, a: Text, b: Text, passages: int = 10) -> dict:
        """dedup.explain as this index compares a and b: with its parameters
        and the line statistics it learned (add_unique counts each document's
        lines), so that site furniture it has seen in many documents is left
        out ("line" in each document's left_out)."""
        return super().explain(a, b, passages)

    def remove(self, key: str) -> None:
        """Forget the document stored under key (KeyError if absent)."""
        super().remove(key)

    def expire(self, before) -> int:
        """Forget every document stored with a time before `before`; returns how
        many."""
        return super().expire(_stamp(before))

    def time_of(self, key: str) -> int:
        """The time the document under key was stored with."""
        return super().stamp(key)

    def __iter__(self) -> Iterator[str]:
        """The keys, in the order the documents were stored."""
        return iter(self.keys())

    def save(self, path) -> None:
        """Save atomically to path (a temporary file renamed over it)."""
        super().save(path)

    @classmethod
    def load(cls, path) -> "Index":
        """An index saved with save()."""
        return super().load(path)

    def to_bytes(self) -> bytes:
        """The bytes save() writes."""
        return super().to_bytes()

    @classmethod
    def from_bytes(cls, data: bytes) -> "Index":
        """An index from to_bytes()."""
        return super().from_bytes(data)
