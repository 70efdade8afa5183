"""clf on a local Spark session (local[2]): same results as the single-process library."""

from __future__ import annotations

import json

import pytest

import clf
from clf.spark import classify_dataframe
from tests.conftest import EXAMPLES, SHARED

pyspark = pytest.importorskip("pyspark")
pytest.importorskip("pandas")
pytest.importorskip("pyarrow")


@pytest.fixture(scope="module")
def spark():
    from pyspark.sql import SparkSession

    session = (
        SparkSession.builder.master("local[2]")
        .appName("clf-test")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        .getOrCreate()
    )
    yield session
    session.stop()


def _real_pages() -> list[tuple[str, str]]:
    rows = [
        ("harbour.html", (EXAMPLES / "harbour.html").read_text(encoding="utf-8")),
        ("harbour.txt", (EXAMPLES / "harbour.txt").read_text(encoding="utf-8")),
    ]
    seeds = SHARED / "seeds"
    if seeds.is_dir():
        rows += [(p.name, p.read_text(encoding="utf-8")) for p in sorted(seeds.glob("*.txt"))]
    if (SHARED / "data").is_dir():
        from training.data import split_pages

        rows += [
            (p["id"], p["html"]) for p, _, test in split_pages(SHARED / "data", limit=3) if test
        ][:12]
    return rows


def test_spark_results_equal_single_process(spark):
    rows = _real_pages() + [("empty", "")]
    df = spark.createDataFrame(rows, "id string, html string").repartition(2)
    out = {r["id"]: r for r in classify_dataframe(df, "html").collect()}
    assert set(out) == {r[0] for r in rows}
    model = clf.load()
    for rid, html in rows:
        page = model.classify(html)
        got = out[rid]
        assert got["error"] is None
        assert got["article"] == page.article
        assert list(got["labels"]) == [s.label for s in page.segments]
        assert json.loads(got["quality"])["spam"] == page.quality.spam
