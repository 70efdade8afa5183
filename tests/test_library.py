"""`import clf`: load once, classify many, from threads and worker processes."""

from __future__ import annotations

import pickle
from concurrent.futures import ThreadPoolExecutor

import pytest

import clf
from clf import classifier
from clf.clean import clean_article
from clf.quality import assess
from clf.segment import Segments
from clf.spark import classify_values
from tests.conftest import SHARED


def _labels(page: clf.Page) -> list[tuple[str, str | None]]:
    return [(s.text, s.label) for s in page.segments]


def test_classify_html_returns_labelled_segments_and_article(model, harbour_html):
    page = model.classify(harbour_html)
    assert page.kind == "html"
    assert all(s.label in clf.LABELS for s in page.segments)
    assert all(0.0 <= s.score <= 1.0 for s in page.segments)
    by_text = dict(_labels(page))
    assert by_text["Harbour town votes to rebuild its storm-damaged pier"] == "article"
    assert by_text["Home"] == "clutter"
    assert by_text["© 2026 The Coastal Gazette. All rights reserved."] == "clutter"
    assert "The town council voted eleven to two" in page.article
    assert "Privacy policy" not in page.article
    article_texts = [s.text for s in page.segments if s.label == "article"]
    lines = page.article.splitlines()
    assert set(lines) <= set(article_texts) and len(lines) == len(set(lines))
    # the <h1> repeats the <title> line (headline + site name): the cleaner keeps the first copy
    assert "Harbour town votes to rebuild its storm-damaged pier" not in lines
    assert page.quality is not None and not page.quality.spam
    assert page.quality.shares["article"] > 0.4


def test_classify_text_keeps_line_numbers(model, harbour_txt):
    page = model.classify(harbour_txt)
    assert page.kind == "text"
    assert [s.line for s in page.segments][:3] == [1, 2, 3]
    assert "Engineers told the meeting" in page.article


def test_str_and_bytes_give_the_same_result(model, harbour_html):
    assert _labels(model.classify(harbour_html)) == _labels(model.classify(harbour_html.decode()))


def test_thread_safe(model, harbour_html, harbour_txt):
    pages = [harbour_html, harbour_txt] * 8
    expected = [_labels(model.classify(p)) for p in pages]
    with ThreadPoolExecutor(max_workers=4) as ex:
        got = list(ex.map(lambda p: _labels(model.classify(p)), pages))
    assert got == expected


def test_classifying_from_threads_leaves_the_process_blas_setting_alone(model, harbour_html):
    """No process-wide BLAS thread limit is set and restored per page (threads doing that at
    once can leave each other's setting behind): the small products are compiled."""
    from threadpoolctl import threadpool_info, threadpool_limits

    def blas_threads() -> list[int]:
        return [p["num_threads"] for p in threadpool_info() if p["user_api"] == "blas"]

    with threadpool_limits(limits=2, user_api="blas"):
        before = blas_threads()
        with ThreadPoolExecutor(max_workers=4) as ex:
            list(ex.map(lambda _: model.classify(harbour_html), range(32)))
        assert blas_threads() == before


def test_model_pickles_to_workers(model, harbour_html):
    clone = pickle.loads(pickle.dumps(model))
    assert _labels(clone.classify(harbour_html)) == _labels(model.classify(harbour_html))


def test_segment_objects_are_made_only_when_read_and_then_are_what_readers_see(model, harbour_html):
    """Classifying, the article, the quality and the JSONL rows read the segments' columns;
    the `Segment` objects are made once, on first access, and carry the same labels."""
    page = model.classify(harbour_html)
    segs = page.segments
    assert isinstance(segs, Segments) and segs._made is None
    rows = page.segment_rows()
    assert page.article and page.records() and segs._made is None
    with ThreadPoolExecutor(max_workers=4) as ex:  # concurrent first reads: one set of objects
        made = list(ex.map(lambda _: segs[0], range(8)))
    assert all(s is made[0] for s in made) and segs._made is not None
    assert [
        {"index": s.index, "line": s.line, "label": s.label, "score": round(s.score, 4),
         "text": s.text}
        for s in segs
    ] == rows  # fmt: skip
    assert all(s.probs[s.label] == round(s.score, 4) for s in segs)
    assert segs[1:3] == list(segs)[1:3] and type(segs[1:3]) is list
    # an edit to a made segment is seen by everything that reads the page's segments again
    first = next(s for s in segs if s.label == "article")
    first.label = "clutter"
    assert Segments.of(segs).labels[first.index] == "clutter"
    assert first.text not in clean_article(segs).text.splitlines()


def test_empty_page_has_no_segments(model):
    page = model.classify(b"")
    assert page.segments == [] and page.article == ""


def test_missing_or_foreign_model_file_is_refused(tmp_path):
    with pytest.raises(clf.ModelError, match="not found"):
        clf.load(tmp_path / "nope.joblib")
    junk = tmp_path / "junk.joblib"
    junk.write_bytes(b"this is not a model")
    with pytest.raises(clf.ModelError):
        clf.load(junk)


def test_quality_is_worked_out_on_first_read_as_an_eager_assess_would(model, harbour_html):
    """`classify` leaves the quality signals for the first read of `page.quality`; what that
    read gives, from threads at once, after pickling, with the article left uncleaned, or
    after the segments were edited, is what `assess` gives for the classified segments."""
    spam = (SHARED / "seeds" / "001_6593d74dea1255fa.txt").read_text(encoding="utf-8")
    for raw in (harbour_html, spam):
        page = model.classify(raw)
        assert page._quality is None and page._unassessed is not None  # not worked out yet
        expected = assess(page.segments, clean_article(page.segments))
        unread = pickle.loads(pickle.dumps(page))
        with ThreadPoolExecutor(max_workers=4) as ex:
            got = list(ex.map(lambda p: p.quality, [page] * 8))
        assert all(q == expected for q in got) and page._unassessed is None
        assert unread.quality == expected
        assert model.classify(raw, dedupe=False, remove_glosses=False).quality == expected
        edited = model.classify(raw)
        for seg in edited.segments:  # a caller relabels and rewrites before reading quality
            seg.label, seg.text = "noise", seg.text + " extra"
        assert edited.quality == expected
    assert expected.spam and expected.duplicate_share > 0.45  # the spam seed: a real verdict


def _page_outputs(page: clf.Page) -> tuple:
    segs = Segments.of(page.segments)
    probs = None if segs.probs is None else segs.probs.tolist()
    return page.kind, page.source, page.article, page.quality, page.segment_rows(), probs


def test_classify_many_gives_exactly_what_one_call_per_page_gives(
    model, harbour_html, harbour_txt, monkeypatch
):
    """The model runs over batches of pages at once; every output, to the last bit of every
    probability, is the same as classifying the pages one by one, across batch boundaries."""
    seeds = sorted((SHARED / "seeds").glob("*.txt"))
    pages = [harbour_html, harbour_txt, b"", *(p.read_text(encoding="utf-8") for p in seeds)]
    pages += [harbour_html.replace(b"pier", b"jetty"), "Just one line."]
    sources = [f"p{i}" for i in range(len(pages))]
    one_by_one = [_page_outputs(model.classify(p, source=s)) for p, s in zip(pages, sources)]
    for batch_pages, batch_segments in [(32, 6_000), (2, 6_000), (32, 50)]:
        monkeypatch.setattr(classifier, "BATCH_PAGES", batch_pages)
        monkeypatch.setattr(classifier, "BATCH_SEGMENTS", batch_segments)
        many = model.classify_many(pages, sources=sources)
        assert [_page_outputs(p) for p in many] == one_by_one
    kept = model.classify_many(pages, dedupe=False, remove_glosses=False)
    assert [p.article for p in kept] == [
        model.classify(p, dedupe=False, remove_glosses=False).article for p in pages
    ]


def test_classify_many_can_put_a_bad_page_s_error_in_its_place(model, harbour_html, harbour_txt):
    png = b"\x89PNG\r\n\x1a\n" + bytes(64)
    got = model.classify_many([harbour_html, png, harbour_txt], return_errors=True)
    assert isinstance(got[1], clf.PageError) and "PNG" in str(got[1])
    assert [_labels(got[0]), _labels(got[2])] == [
        _labels(model.classify(harbour_html)),
        _labels(model.classify(harbour_txt)),
    ]
    with pytest.raises(clf.PageError, match="PNG"):
        model.classify_many([harbour_html, png])
    with pytest.raises(ValueError, match="2 pages but 1 sources"):
        model.classify_many([harbour_html, harbour_txt], sources=["a"])
    assert model.classify_many([]) == []


def test_spark_rows_keep_their_order_and_their_own_errors(model, harbour_html):
    """The Spark rows of a partition go through the model together; a missing or bad row
    gets its own error and the rows around it their results."""
    png = b"\x89PNG\r\n\x1a\n" + bytes(64)
    rows = classify_values(model, [harbour_html, None, png, harbour_html])
    assert [r["error"] for r in rows] == [
        None,
        "no page",
        "binary data (PNG image), not a page",
        None,
    ]
    page = model.classify(harbour_html)
    for r in (rows[0], rows[3]):
        assert r["article"] == page.article
        assert r["labels"] == [s.label for s in page.segments]
    assert rows[1]["article"] is None and rows[2]["labels"] is None
