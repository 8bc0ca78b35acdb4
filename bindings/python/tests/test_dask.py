"""Tests of dedup.dask: clustering as tasks on a dask.distributed cluster of two
workers gives, document for document, what dedup.cluster gives in memory and
what the dedup tool prints, whatever the number of partitions, in both
cluster modes, with boilerplate statistics on and off; on bags of records,
on dataframes and on series; bad input raises as dedup.cluster does.

The tool is $DEDUP, the sample corpus $DEDUP_SAMPLE and the corpus generator
$DEDUP_GEN (bench/gen; set by meson test); tests that need one of them are
skipped without it, and every test is skipped without dask.distributed."""

import json
import os
import subprocess
import sys

import pytest

import dedup

distributed = pytest.importorskip("distributed")
# Debian's tornado, under distributed 2022.12
pytestmark = pytest.mark.filterwarnings("ignore:make_current is deprecated:DeprecationWarning")
db = pytest.importorskip("dask.bag")
import dedup.dask  # noqa: E402

DEDUP = os.environ.get("DEDUP")
SAMPLE = os.environ.get("DEDUP_SAMPLE")
GEN = os.environ.get("DEDUP_GEN")
if not GEN and DEDUP:
    GEN = os.path.join(os.path.dirname(os.path.dirname(DEDUP)), "bench", "gen")


@pytest.fixture(scope="module")
def client():
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                                  dashboard_address=None) as cluster, \
            distributed.Client(cluster) as c:
        yield c


def sample():
    with open(SAMPLE, encoding="utf-8") as f:
        return [json.loads(line) for line in f]


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    if not GEN or not os.path.exists(GEN):
        pytest.skip("needs $DEDUP_GEN (bench/gen)")
    # pages wrapped in site furniture, so that the boilerplate pass changes
    # the clusters and the runs below show it reaching every task
    path = tmp_path_factory.mktemp("gen") / "mixed.jsonl"
    subprocess.run([GEN, "--docs", "3000", "--seed", "11", "--lang", "mixed", "--kind",
                    "boilerplate", "--out", str(path)], check=True, capture_output=True)
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f]


@pytest.mark.skipif(not (DEDUP and SAMPLE), reason="needs $DEDUP and $DEDUP_SAMPLE")
def test_sample_same_as_the_tool_and_in_memory(client):
    docs = sample()
    out = subprocess.run([DEDUP, "cluster", "-q", SAMPLE], check=True, capture_output=True,
                         text=True).stdout
    tool = [line.split("\t")[1] for line in out.splitlines()]
    ids = [d["id"] for d in docs]
    want = dedup.cluster(docs, threads=2)
    assert [ids[r] for r in want] == tool
    for parts in (1, 2, 3, 7):
        labels = dedup.dask.cluster(db.from_sequence(docs, npartitions=parts), client=client)
        assert len(labels) == 240
        assert labels == want, "%d partitions" % parts
        assert [ids[r] for r in labels] == tool
    assert 20 < len(set(want)) < 240
    # read from the file in blocks, as a corpus larger than memory would be
    lines = db.read_text(SAMPLE, blocksize=100_000).map(json.loads)
    assert lines.npartitions > 2
    assert dedup.dask.cluster(lines, npartitions=2) == want


@pytest.mark.parametrize("mode", [0, 1])
@pytest.mark.parametrize("boilerplate", [0, dedup.BOILERPLATE_DEFAULT])
def test_generated_any_partitions(client, generated, mode, boilerplate):
    want = dedup.cluster(generated, threads=2, cluster_mode=mode, boilerplate=boilerplate)
    assert sum(r != i for i, r in enumerate(want)) > 1000   # duplicates to find
    for parts in (1, 2, 3, 7):
        bag = db.from_sequence(generated, npartitions=parts)
        got = dedup.dask.cluster(bag, cluster_mode=mode, boilerplate=boilerplate)
        assert got == want, "%d partitions" % parts
    # other parts for the pairs and assignment than the input's partitions
    bag = db.from_sequence(generated, npartitions=3)
    assert dedup.dask.cluster(bag, npartitions=5, cluster_mode=mode, boilerplate=boilerplate,
                              threads=2) == want


def test_generated_settings_matter(client, generated):
    """The settings the runs above compare change the clusters: each run
    checks what it claims to."""
    bag = db.from_sequence(generated, npartitions=2)
    runs = {}
    for mode in (0, 1):
        for b in (0, dedup.BOILERPLATE_DEFAULT):
            runs[mode, b] = dedup.dask.cluster(bag, cluster_mode=mode, boilerplate=b)
            assert runs[mode, b] == dedup.cluster(generated, cluster_mode=mode, boilerplate=b)
    assert runs[0, 0] != runs[1, 0] and runs[0, 20] != runs[1, 20]
    assert runs[1, 0] != runs[1, 20]
    # parameters reach every task: a stricter threshold finds fewer duplicates
    strict = dedup.dask.cluster(bag, threshold=0.9)
    assert strict == dedup.cluster(generated, threshold=0.9)
    assert len(set(strict)) > len(set(runs[1, 20]))


@pytest.mark.skipif(not SAMPLE, reason="needs $DEDUP_SAMPLE")
def test_dataframe_and_series(client):
    pd = pytest.importorskip("pandas")
    dd = pytest.importorskip("dask.dataframe")
    docs = sample()
    for i in range(0, len(docs), 7):      # records without a title
        docs[i] = {k: v for k, v in docs[i].items() if k != "title"}
    pandas_frame = pd.DataFrame(docs)
    assert pandas_frame["title"].isna().sum() > 30
    frame = dd.from_pandas(pandas_frame, npartitions=4)
    assert frame.npartitions == 4
    want = dedup.cluster(docs)
    assert dedup.dask.cluster(frame) == want
    assert dedup.dask.cluster(frame, text_fields=("text",)) == dedup.cluster(
        [d["text"] for d in docs])
    assert dedup.dask.cluster(frame["text"]) == dedup.cluster([d["text"] for d in docs])
    # a column the frame lacks is None, as a key a record lacks
    assert dedup.dask.cluster(frame, text_fields=("headline", "text")) == dedup.cluster(
        docs, text_fields=("headline", "text"))


def test_sites(client):
    """Records that name their site by url: the same clusters in any number
    of partitions, from a bag and from a dataframe, as dedup.cluster gives,
    and the site's furniture matters."""
    pd = pytest.importorskip("pandas")
    dd = pytest.importorskip("dask.dataframe")
    menu = "\n".join("Section %d | Weather | Markets | Sport" % i for i in range(25))
    words = ["alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta"]
    docs = []
    for i in range(12):   # 8 stories, 4 pages on each of 3 sites
        story = " ".join(words[(i + j) % 8] + str((i % 8) * 97 + j) for j in range(60))
        site = "news-%d.example" % (i % 3)
        docs.append({"url": "https://www.%s/%d" % (site, i), "text": menu + "\n" + story})
    want = dedup.cluster(docs)
    assert len(set(want)) == 8 and want[8:] == [0, 1, 2, 3]
    assert set(dedup.cluster(docs, site_field=None)) == {0}   # the menu joins them all
    for n in (1, 3, 5):
        assert dedup.dask.cluster(db.from_sequence(docs, npartitions=n)) == want
    frame = dd.from_pandas(pd.DataFrame(docs), npartitions=4)
    assert dedup.dask.cluster(frame) == want
    assert dedup.dask.cluster(frame, site_field=None) == dedup.cluster(docs, site_field=None)


def test_bad_input(client):
    texts = ["first story about the harbour terminal", "second story, on the weather"] * 5
    with pytest.raises(TypeError) as mem:
        dedup.cluster(texts[:7] + [42] + texts[7:])
    with pytest.raises(TypeError) as tasks:
        dedup.dask.cluster(db.from_sequence(texts[:7] + [42] + texts[7:], npartitions=3))
    assert str(tasks.value) == str(mem.value)
    with pytest.raises(TypeError):
        dedup.dask.cluster(db.from_sequence(texts[:3] + [("title", 7)], npartitions=2),
                           boilerplate=0)
    # parameters are checked before any task runs
    with pytest.raises(dedup.ParamError, match="threshold"):
        dedup.dask.cluster(db.from_sequence(texts), threshold=1.5)
    with pytest.raises(TypeError, match="unknown parameter"):
        dedup.dask.cluster(db.from_sequence(texts), thresh=0.5)
    with pytest.raises(dedup.ParamError):
        dedup.dask.cluster(db.from_sequence(texts), boilerplate=1)
    with pytest.raises(dedup.ParamError):
        dedup.dask.cluster(db.from_sequence(texts), npartitions=0)
    with pytest.raises(TypeError):
        dedup.dask.cluster(texts)
    # the kernels refuse records of the wrong size
    from dedup import _dedup
    with pytest.raises(dedup.FormatError):
        _dedup.stage_keep(b"\0" * 15)
    with pytest.raises(dedup.FormatError):
        _dedup.linestats_add(None, (5).to_bytes(8, "little"))


def test_small_collections(client):
    assert dedup.dask.cluster(db.from_sequence([], npartitions=1)) == []
    story = ("The harbour authority approved a new container terminal on Tuesday after two "
             "years of hearings, and construction is due to begin next spring.")
    texts = ["", story, "unrelated words about rain in the northern valleys", story, ""]
    want = dedup.cluster(texts)
    assert want[3] == 1
    assert dedup.dask.cluster(db.from_sequence(texts, npartitions=5), npartitions=3) == want


def test_import_dedup_leaves_dask_alone():
    code = "import sys, dedup; assert 'dask' not in sys.modules; import dedup.dask"
    subprocess.run([sys.executable, "-c", code], check=True)
