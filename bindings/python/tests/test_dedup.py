"""Tests of the dedup Python package: the same answers as the dedup tool on
the sample corpus, the index by key (saved, loaded, as bytes), errors as
exceptions, and threads querying one index.

The tool is $DEDUP and the corpus $DEDUP_SAMPLE (set by meson test); the
comparisons with the tool are skipped without them."""

import json
import os
import subprocess
import shutil
import threading

import pytest

import dedup

DEDUP = os.environ.get("DEDUP")
SAMPLE = os.environ.get("DEDUP_SAMPLE")
need_tool = pytest.mark.skipif(not (DEDUP and SAMPLE), reason="needs $DEDUP and $DEDUP_SAMPLE")

STORY = ("The harbour authority approved a new container terminal on Tuesday after two "
         "years of hearings, and construction is due to begin next spring with the first "
         "ships expected to dock there in the autumn of the following year.")
OTHER = ("Heavy rain closed three mountain passes overnight and the regional council asked "
         "drivers to avoid the northern valley roads until the weekend, when crews expect "
         "to have cleared the landslides that blocked them.")


def sample():
    with open(SAMPLE, encoding="utf-8") as f:
        return [json.loads(line) for line in f]


@need_tool
def test_cluster_same_as_the_tool():
    docs = sample()
    out = subprocess.run([DEDUP, "cluster", "-q", SAMPLE], check=True, capture_output=True,
                         text=True).stdout
    tool = [line.split("\t")[1] for line in out.splitlines()]
    ids = [d["id"] for d in docs]
    labels = dedup.cluster(docs, threads=2)
    mine = [ids[r] for r in labels]
    assert len(mine) == len(tool) == 240
    assert mine == tool
    # one thread, the same
    assert dedup.cluster(docs, threads=1) == labels


@need_tool
def test_index_same_as_filter():
    docs = sample()
    out = subprocess.run([DEDUP, "filter", "-q", "-j1", SAMPLE], check=True,
                         capture_output=True, text=True).stdout
    kept_tool = [json.loads(line)["id"] for line in out.splitlines()]
    idx = dedup.Index()
    kept = [d["id"] for d in docs
            if idx.add_unique(d["id"], (d.get("title"), d.get("text"))) is None]
    assert 20 < len(kept) < 240
    assert kept == kept_tool
    assert list(idx) == kept


def test_index_by_key(tmp_path):
    idx = dedup.Index()
    assert idx.boilerplate == dedup.BOILERPLATE_DEFAULT
    assert idx.add_unique("a", ("Terminal approved", STORY), time=10) is None
    m = idx.add_unique("b", ("Harbour terminal", STORY), time=11)
    assert isinstance(m, dedup.Match) and m.key == "a" and m.similarity >= 0.45
    assert idx.add_unique("c", OTHER) is None
    assert len(idx) == 2 and list(idx) == ["a", "c"] and "a" in idx and "b" not in idx
    assert idx.time_of("a") == 10 and idx.time_of("c") == 11   # after the latest
    assert [x.key for x in idx.query(STORY)] == ["a"]
    assert idx.query("nothing like it at all, a few words") == []
    with pytest.raises(dedup.KeyError):
        idx.add_unique("a", OTHER)
    idx.add("d", STORY, time=30)                                  # stored whatever it is
    assert {x.key for x in idx.query(STORY)} == {"a", "d"}

    path = str(tmp_path / "seen.idx")
    idx.save(path)
    for other in (dedup.Index.load(path), dedup.Index.from_bytes(idx.to_bytes())):
        assert list(other) == list(idx) and other.boilerplate == idx.boilerplate
        assert other.params == idx.params
        assert other.add_unique("e", STORY) == idx.add_unique("e", STORY)
    assert idx.expire(11) == 1 and list(idx) == ["c", "d"]
    idx.remove("c")
    with pytest.raises(dedup.KeyError):
        idx.remove("c")
    assert list(idx) == ["d"]


@need_tool
def test_index_built_by_the_tool(tmp_path):
    """An index `dedup index build` saved is found by key from Python: a
    string id is its key as it is, a number id a 0x00 byte and its text."""
    url = "https://example.com/2024/05/harbour?utm=rss"
    docs = [(url, STORY), (42, OTHER), ("42", "A third story about a local election and turnout "
                                              "figures that surprised the candidates themselves.")]
    corpus = tmp_path / "docs.jsonl"
    corpus.write_text("".join(json.dumps({"id": i, "text": t}) + "\n" for i, t in docs))
    path = str(tmp_path / "built.idx")
    subprocess.run([DEDUP, "index", "build", "-q", str(corpus), "-o", path], check=True)
    assert not os.path.exists(path + ".ids") and not os.path.exists(path + ".lines")
    idx = dedup.Index.load(path)
    assert len(idx) == 3
    assert url in idx and "\x0042" in idx and "42" in idx
    assert "\x0043" not in idx and "https://example.com/" not in idx
    assert idx.keys() == [url, "\x0042", "42"]                # in order of arrival
    assert [idx.time_of(k) for k in idx.keys()] == [1, 2, 3]   # stamped 1, 2, 3
    assert idx.boilerplate == dedup.BOILERPLATE_DEFAULT        # its line statistics
    assert [m.key for m in idx.query(STORY)] == [url]
    assert idx.query(OTHER)[0].key == "\x0042"
    # and what Python adds, the tool finds under the same ids
    idx.add("https://example.com/new", "Completely new words about a bridge that opened "
            "to traffic ahead of schedule after three years of work on the river crossing.")
    idx.save(path)
    query = tmp_path / "q.jsonl"
    query.write_text(json.dumps({"id": "q", "text": STORY}) + "\n")
    out = subprocess.run([DEDUP, "index", "query", path, str(query)], check=True,
                         capture_output=True, text=True).stdout
    assert out.split("\t")[:2] == ["q", url]
    out = subprocess.run([DEDUP, "index", "stats", path], check=True, capture_output=True,
                         text=True).stdout
    assert "documents        4\n" in out


def test_parameters_and_errors(tmp_path):
    with pytest.raises(dedup.ParamError, match="threshold"):
        dedup.Index(threshold=1.5)
    with pytest.raises(ValueError):                 # ParamError is a ValueError too
        dedup.Hasher(num_hashes=4)
    with pytest.raises(TypeError, match="unknown parameter 'thresh'"):
        dedup.signature("x", thresh=0.5)
    with pytest.raises(dedup.ParamError):
        dedup.Index(boilerplate=1)
    with pytest.raises(TypeError):
        dedup.Index().add_unique("k", 42)
    with pytest.raises(TypeError):
        dedup.Index().query([STORY, 3])
    with pytest.raises(dedup.FormatError) as e:
        dedup.Index.from_bytes(b"DEDUPIDX" + b"\0" * 100)
    assert e.value.status < 0
    good = dedup.Index()
    good.add_unique("a", STORY)
    data = bytearray(good.to_bytes())
    data[-3] ^= 1
    with pytest.raises(dedup.FormatError):
        dedup.Index.from_bytes(bytes(data))
    with pytest.raises(dedup.FormatError):
        dedup.Index.from_bytes(bytes(data[:-1]))
    with pytest.raises(dedup.IOError):
        dedup.Index.load(str(tmp_path / "missing.idx"))
    with pytest.raises(dedup.MismatchError):
        dedup.signature(STORY).similarity(dedup.signature(STORY, num_hashes=64))
    idx = dedup.Index(threshold=0.8, num_hashes=64, boilerplate=0)
    assert idx.params["threshold"] == 0.8 and idx.params["num_hashes"] == 64
    assert idx.boilerplate == 0


def test_signatures_and_similarity():
    h = dedup.Hasher(num_hashes=64)
    s = h.signature(("Terminal approved", STORY))
    assert len(s) == 64 and s.set_size > 10
    assert dedup.Signature.from_bytes(s.to_bytes()).values() == s.values()
    assert s.similarity(h.signature(("Terminal approved", STORY))) == 1.0
    assert dedup.similarity(STORY, OTHER) < 0.2
    # a story inside a longer page: containment, the default measure
    page = STORY + " " + OTHER
    assert dedup.similarity(STORY, page) > 0.8
    assert dedup.similarity(STORY, page, measure=0) < 0.7


def test_threads_query_one_index():
    idx = dedup.Index(boilerplate=0)
    words = OTHER.split()
    texts = []
    for i in range(300):
        t = " ".join(words[(i * 7 + j) % len(words)] + str((i * 31 + j) % 97)
                     for j in range(40))
        texts.append(t)
        idx.add_unique("k%d" % i, t)
    want = [idx.query(t) for t in texts]
    errors = []

    def run():
        try:
            for _ in range(3):
                got = [idx.query(t) for t in texts]
                if got != want:
                    errors.append("different answers")
        except Exception as e:  # noqa: BLE001
            errors.append(repr(e))

    threads = [threading.Thread(target=run) for _ in range(4)]
    for t in threads:
        t.start()
    # a writer meanwhile: changes wait for the queries, never corrupt them
    for i in range(50):
        idx.add("w%d" % i, "a different text number %d with some words" % i)
    for t in threads:
        t.join()
    assert errors == []


def test_explain():
    page = ("Top stories\n- Storm closes rail line\n- Markets today\n" + STORY +
            ' "We waited long enough," the mayor said.')
    e = dedup.explain(STORY[:150], page)
    assert e["duplicates"] and e["similarity"] >= e["threshold"]
    assert e["passages_of"] == "a" and e["passages"][0][0] >= 20
    assert e["passages"][0][1].startswith("the harbour authority approved")
    left = e["documents"][1]["left_out"]
    assert ("quotation", '"We waited long enough,"') in left
    assert ("line", "- Markets today") in left
    assert e["documents"][0]["left_out"] == []
    other = dedup.explain(STORY, OTHER, passages=0)
    assert not other["duplicates"] and other["passages"] == []
    with pytest.raises(dedup.ParamError):
        dedup.explain(STORY, OTHER, threshold=2)


@need_tool
def test_read_jsonl_as_the_tool_reads(tmp_path):
    """read_jsonl gives the json module's records, and clustering them gives
    the tool's clusters, from a plain, a gzip and a zstd file."""
    import gzip
    ids, docs = dedup.read_jsonl(SAMPLE)
    recs = sample()
    assert ids == [r["id"] for r in recs]
    assert docs == [(r.get("title"), r.get("text")) for r in recs]
    out = subprocess.run([DEDUP, "cluster", "-q", SAMPLE], check=True, capture_output=True,
                         text=True).stdout
    tool = [line.split("\t")[1] for line in out.splitlines()]
    assert [ids[x] for x in dedup.cluster(docs)] == tool
    gz = tmp_path / "s.jsonl.gz"
    gz.write_bytes(gzip.compress(open(SAMPLE, "rb").read()))
    assert dedup.read_jsonl(gz) == (ids, docs)
    if shutil.which("zstd") and hasattr(dedup._dedup, "zstd_decompress"):
        # Two frames, as `cat a.zst b.zst` makes them: both read.
        lines = open(SAMPLE, "rb").read().splitlines(keepends=True)
        half = len(lines) // 2
        zst = b"".join(subprocess.run(["zstd", "-q", "-c"], input=b"".join(part), check=True,
                                      capture_output=True).stdout
                       for part in (lines[:half], lines[half:]))
        (tmp_path / "s.jsonl.zst").write_bytes(zst)
        assert dedup.read_jsonl(tmp_path / "s.jsonl.zst") == (ids, docs)
        out = subprocess.run([DEDUP, "cluster", "-q", str(tmp_path / "s.jsonl.zst")],
                             check=True, capture_output=True, text=True).stdout
        assert [line.split("\t")[1] for line in out.splitlines()] == tool
        cut = tmp_path / "cut.jsonl.zst"
        cut.write_bytes(zst[:len(zst) // 3])
        with pytest.raises(dedup.FormatError, match="cut.jsonl.zst: corrupt zstd data"):
            dedup.read_jsonl(cut)


# Two zstd frames of one record each (zstd -c --no-check), and a skippable
# frame of four bytes, as pzstd writes one first.
ZST_A = bytes.fromhex("28b52ffd00584101007b226964223a202261222c202274657874223a2022666972"
                      "73742073746f72792074657874227d0a")
ZST_B = bytes.fromhex("28b52ffd00584901007b226964223a202262222c202274657874223a2022736563"
                      "6f6e642073746f72792074657874227d0a")
ZST_SKIP = b"\x50\x2a\x4d\x18\x04\x00\x00\x00abcd"
# A frame that states its content size (40 bytes), as `zstd FILE` writes.
ZST_C = bytes.fromhex("28b52ffd20284101007b226964223a202263222c202274657874223a2022746869"
                      "72642073746f72792074657874227d0a")


def test_read_jsonl_zstd(tmp_path):
    """zstd input: every frame read, skippable ones passed over, a cut or
    damaged file a FormatError naming it; a build without libzstd says so."""
    want = (["a", "b"], [(None, "first story text"), (None, "second story text")])
    p = tmp_path / "t.jsonl.zst"
    if not hasattr(dedup._dedup, "zstd_decompress"):
        p.write_bytes(ZST_A)
        with pytest.raises(dedup.FormatError, match="t.jsonl.zst: zstd-compressed"):
            dedup.read_jsonl(p)
        return
    for data in (ZST_A + ZST_B, ZST_SKIP + ZST_A + ZST_B, ZST_A + ZST_SKIP + ZST_B):
        p.write_bytes(data)
        assert dedup.read_jsonl(p) == want
    assert dedup.read_jsonl(ZST_A) == (["a"], [(None, "first story text")])
    third = (["c"], [(None, "third story text")])
    assert dedup.read_jsonl(ZST_C) == third
    assert dedup.read_jsonl(ZST_C + ZST_SKIP) == third
    assert dedup.read_jsonl(ZST_C + ZST_A) == (["c", "a"], third[1] + [(None, "first story text")])
    # A frame claiming more than it holds.
    assert ZST_C[5] == 0x28
    for claim in (0x29, 0xFF):
        with pytest.raises(dedup.FormatError, match="corrupt zstd data"):
            dedup.read_jsonl(ZST_C[:5] + bytes([claim]) + ZST_C[6:])
    for bad in (ZST_A[:20], ZST_A + ZST_B[:30], ZST_A[:4] + b"\xff" * 12, ZST_SKIP[:6]):
        p.write_bytes(bad)
        with pytest.raises(dedup.FormatError, match="t.jsonl.zst: corrupt zstd data"):
            dedup.read_jsonl(p)


def test_read_jsonl_values():
    data = (b'{"id": 7, "text": "a\\nb \\u00e9\\ud83d\\ude00 \\"q\\" \\\\ \\/", "x": [1, {"y": null}]}\n'
            b'\n'
            b'  {"title": null, "text": "no id", "id2": true}\r\n'
            b'{"id": -3.5e2, "title": "t", "text": "caf\xc3\xa9"}\n'
            b'{"id": "s", "text": "lone \\udc00 surrogate"}')
    ids, docs = dedup.read_jsonl(data)
    assert ids == [7, 3, "-3.5e2", "s"]  # a missing id is the line number
    assert docs[0] == (None, 'a\nb \u00e9\U0001F600 "q" \\ /')
    assert docs[1] == (None, "no id")
    assert docs[2] == ("t", "caf\u00e9")
    assert docs[3] == (None, "lone \ufffd surrogate")
    ids, docs = dedup.read_jsonl(data, text_fields=("text",), id_field="nothing")
    assert ids == [1, 3, 4, 5] and docs[1] == ("no id",)


@pytest.mark.parametrize("line, what", [
    (b'{"id": 1, "text": 5}', 'field "text" is not a string'),
    (b'{"id": [1], "text": "x"}', 'field "id" is not a string or a number'),
    (b'{"id": 1, "title": "x"', "',' or '}' is missing"),
    (b'{"id": 1}', "none of the text fields title,text is present"),
    (b'["text"]', "not a JSON object"),
    (b'{"text": "a\\qb"}', "bad escape"),
    (b'{"text": "abc', "unterminated string"),
    (b'{"text": "x", "n": tru}', "not a JSON value"),
    (b'{"text": "x"} extra', "text after the object"),
])
def test_read_jsonl_errors(line, what):
    data = b'{"id": 0, "text": "fine"}\n\n' + line + b"\n"
    with pytest.raises(dedup.FormatError) as e:
        dedup.read_jsonl(data)
    assert str(e.value).startswith("(bytes):3: ") and what in str(e.value)


def test_read_jsonl_files(tmp_path):
    p = tmp_path / "c.jsonl.zst"
    p.write_bytes(b"\x28\xb5\x2f\xfd" + b"\0" * 8)
    with pytest.raises(dedup.FormatError, match="zstd"):
        dedup.read_jsonl(p)
    with pytest.raises(FileNotFoundError):
        dedup.read_jsonl(tmp_path / "missing.jsonl")
    with pytest.raises(dedup.ParamError):
        dedup.read_jsonl(b"{}", text_fields=())


def test_index_explain_leaves_out_learned_furniture():
    """Index.explain compares as the index does: a line it has seen in many
    documents is left out; dedup.explain, with no corpus, keeps it."""
    furniture = "Subscribe to our newsletter for the latest headlines from the region"
    idx = dedup.Index(boilerplate=3)
    words = ["alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta"]
    for i in range(4):
        body = " ".join(words[(i + j) % 8] + str(i * 31 + j) for j in range(40))
        assert idx.add_unique("k%d" % i, furniture + "\n" + body) is None
    a = furniture + "\nThe council approved the new harbour plan on Tuesday after a long debate."
    b = furniture + "\nHeavy rain closed three mountain passes overnight in the north."
    with_stats = idx.explain(a, b)
    alone = dedup.explain(a, b)
    left = [kind for kind, text in with_stats["documents"][0]["left_out"] if text == furniture]
    assert left == ["line"]
    assert not any(text == furniture for _, text in alone["documents"][0]["left_out"])
    assert with_stats["shared_shingles"] < alone["shared_shingles"]
    assert with_stats["threshold"] == idx.params["threshold"]
    with pytest.raises(dedup.ParamError):
        idx.explain(a, b, passages=-1)


def test_index_site_furniture(tmp_path):
    """Pages that name their site: two different stories under one long menu
    of a site are no copies from the second page on; without the site they
    are. The site's counts are saved with the index."""
    menu = "\n".join("Section %d | Weather | Markets | Sport" % i for i in range(25))
    words = ["alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta"]
    pages = [menu + "\n" + " ".join(words[(i + j) % 8] + str(i * 97 + j) for j in range(60))
             for i in range(3)]
    with_site, without = dedup.Index(), dedup.Index()
    assert with_site.add_unique("a1", pages[0], site="news-a.example") is None
    assert without.add_unique("a1", pages[0]) is None
    assert with_site.add_unique("a2", pages[1], site="news-a.example") is None
    assert without.add_unique("a2", pages[1]).key == "a1"
    path = str(tmp_path / "sites.idx")
    with_site.save(path)
    back = dedup.Index.load(path)
    assert back.add_unique("a3", pages[2], site="news-a.example") is None
    # on another site the menu is kept, and makes the page a copy
    assert back.add_unique("b3", pages[2].replace("alpha", "omega"), site="b.example").key \
        in ("a1", "a3")
    with pytest.raises(TypeError):
        back.add_unique("x", "text", site=3)


def test_cluster_site_furniture(tmp_path):
    """cluster() takes each record's site from its url, as the tool does:
    two stories under one site's long menu stay apart, a copy on another
    site joins; the same clusters as `dedup cluster`."""
    menu = "\n".join("Section %d | Weather | Markets | Sport" % i for i in range(25))
    words = ["alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta"]
    s1, s2 = (" ".join(words[(i + j) % 8] + str(i * 97 + j) for j in range(60)) for i in (1, 2))
    recs = [{"id": "a1", "url": "https://www.news-a.example/1", "text": menu + "\n" + s1},
            {"id": "a2", "url": "http://news-a.example:8080/2?x=1", "text": menu + "\n" + s2},
            {"id": "b1", "url": "https://news-b.example/1", "text": s1}]
    assert dedup.site_of(recs[0]["url"]) == dedup.site_of(recs[1]["url"]) == "news-a.example"
    assert dedup.site_of("plain name") == "plain name"
    assert dedup.site_of("HTTPS://WWW.News-A.Example:443/X") == "news-a.example"
    # The library's reading (dedup_site_of), the tool's too.
    assert dedup.site_of("http://user@host@News-A.Example./x") == "news-a.example"
    assert dedup.site_of("http://[2001:DB8::1]:8080/x") == "[2001:db8::1]"
    assert dedup.site_of("file:///tmp/x.html") == ""
    assert dedup.cluster(recs) == [0, 1, 0]
    assert dedup.cluster(recs, site_field=None) == [0, 0, 0]
    corpus = tmp_path / "sites.jsonl"
    corpus.write_text("".join(json.dumps(r) + "\n" for r in recs))
    out = subprocess.run([DEDUP, "cluster", "-q", str(corpus)], check=True,
                         capture_output=True, text=True).stdout
    assert [line.split("\t")[1] for line in out.splitlines()] == ["a1", "a2", "a1"]
    with pytest.raises(ValueError):
        dedup._dedup.cluster(["x", "y"], sites=["a"])
    with pytest.raises(TypeError):
        dedup._dedup.cluster(["x"], sites=[3])


def test_read_jsonl_large_input():
    """A few MB of records with blank lines, escapes and non-ASCII text:
    records, line numbers (ids of records without one) and the first bad
    line (a later one is bad too) are the json module's and the file's."""
    lines = []
    for i in range(6000):
        rec = {"title": "t%d" % i, "text": ("w%d \u00e9 " % i) * 40 + "\n\"q\""}
        if i % 3:
            rec["id"] = "r%d" % i
        lines.append(json.dumps(rec))
        if i % 97 == 0:
            lines.append("")
    data = ("\n".join(lines) + "\n").encode()
    assert len(data) > 2 << 20
    ids, docs = dedup.read_jsonl(data)
    want_ids, want_docs, n = [], [], 0
    for line in data.decode().split("\n"):
        n += 1
        if line.strip():
            r = json.loads(line)
            want_ids.append(r.get("id", n))
            want_docs.append((r["title"], r["text"]))
    assert ids == want_ids and docs == want_docs
    bad = data.split(b"\n")
    bad[5000] = b'{"text": broken}'
    bad[5500] = b'{"id": 3}'
    with pytest.raises(dedup.FormatError) as e:
        dedup.read_jsonl(b"\n".join(bad))
    assert str(e.value).startswith("(bytes):5001: ")


@need_tool
def test_bytes_texts_and_raw_records():
    """bytes (UTF-8) are texts as str are: read_jsonl(raw=True) gives bytes
    fields, and clustering them gives the same clusters as str fields."""
    ids, docs = dedup.read_jsonl(SAMPLE)
    rids, rdocs = dedup.read_jsonl(SAMPLE, raw=True)
    assert rids == ids
    assert all(isinstance(f, bytes) for d in rdocs for f in d if f is not None)
    assert rdocs == [tuple(None if f is None else f.encode() for f in d) for d in docs]
    assert dedup.cluster(rdocs) == dedup.cluster(docs)
    a, b = docs[0][1], docs[1][1]
    assert dedup.similarity(a.encode(), b.encode()) == dedup.similarity(a, b)
    assert dedup.signature(a.encode()).values() == dedup.signature(a).values()
    with pytest.raises(TypeError):
        dedup.cluster([[1, 2]])
