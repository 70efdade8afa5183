"""The peer comparison script: its scoring rules and a small run on held-out pages."""

from __future__ import annotations

import json

import pytest

from tests.conftest import SHARED, needs_data
from training import compare, validation_scores
from training.data import is_validation_site, split_pages
from training.scoring import mean_prf


def test_snippets_score_as_trafilatura_evaluates_them():
    out = "The council approved the pier rebuild. Read more: ferry times"
    prec, rec, f1 = compare.snippet_prf(
        out, ["council approved the pier", "budget was cut"], ["read more", "cookie policy"]
    )
    # one must-appear found (TP), one missed (FN), one must-not-appear found (FP)
    assert (prec, rec) == (0.5, 0.5)
    assert f1 == pytest.approx(0.5)
    assert compare.snippet_prf("", [], []) == (1.0, 1.0, 1.0)  # nothing asked, nothing wrong


@needs_data
def test_unseen_zh_pages_are_scored_against_what_people_labelled_article(tmp_path):
    """Each page's gold is its hand-labelled article segments (not the <title> row), and a
    run over the set scores clf on exactly those pages."""
    from training.hand_eval import UNSEEN_ZH, labelled_pages

    pages = compare.unseen_zh_pages(SHARED / "data", 3)
    for p, (_, _, segs, labels) in zip(
        pages, labelled_pages(SHARED / "data", UNSEEN_ZH, "unseen-zh")
    ):
        gold = p["gold"]["text"]
        kept = [s.text for s, label in zip(segs, labels) if label == "article" and s.tag != "title"]
        assert kept and all(text in gold for text in kept)
        dropped = [s.text for s, label in zip(segs, labels) if label != "article"]
        assert not any(text in gold for text in dropped if len(text) > 40)
    out = tmp_path / "cmp.json"
    compare.main(["--pages", "unseen-zh", "--limit", "3", "--mode", "html", "--out", str(out)])
    (run,) = json.loads(out.read_text())["runs"]
    assert run["pages"] == 3 == run["results"]["clf"]["scores"]["lang:zh"]["pages"]


@needs_data
def test_small_run_scores_held_out_pages_only(tmp_path):
    out = tmp_path / "cmp.json"
    compare.main(["--limit", "2", "--mode", "html", "--out", str(out)])
    report = json.loads(out.read_text())
    (run,) = report["runs"]
    ours = run["results"]["clf"]
    pages = compare.held_out_pages(SHARED / "data", 2)
    assert run["pages"] == len(pages) == ours["scores"]["all"]["pages"]
    assert ours["pages_per_s"] > 0
    for other in (compare.BATCHED, compare.WITH_QUALITY):  # the same text (checked in run)
        timed = run["results"][other]  # classify_many; classify with the quality read
        assert timed["scores"] == ours["scores"] and timed["pages_per_s"] > 0
    assert 0.5 < ours["scores"]["all"]["f1"] <= 1.0  # a real extraction, not an empty one
    langs = {p["lang"] for p in pages}
    assert {f"lang:{x}" for x in langs} <= set(ours["scores"])
    pooled = [p for p in pages if p["lang"] not in compare.TARGET_LANGS]
    got = ours["scores"].get(compare.OTHER_LANGS, {}).get("pages", 0)
    assert got == len(pooled)


@needs_data
def test_validation_scores_read_validation_sites_only(monkeypatch, model):
    """Variant selection must never see the test split: every page scored is from a
    training site that the validation hash picks, and each is scored as HTML and as text."""
    scored = []

    def recording(p, output):
        scored.append((p["dataset"], p["id"]))
        return compare.score_page(p, output)

    monkeypatch.setattr(validation_scores, "score_page", recording)
    scores = validation_scores.validation_scores(model, SHARED / "data", limit=40)
    split = {
        (p["dataset"], p["id"]): (site, test)
        for p, site, test in split_pages(SHARED / "data", limit=40)
    }
    pages = set(scored)
    assert pages and sorted(scored) == sorted(list(pages) * 2)
    assert all(not split[k][1] and is_validation_site(split[k][0]) for k in pages)
    assert len({split[k][0] for k in pages}) > 1
    for kind in ("html", "text"):
        assert scores[kind]["all"]["pages"] == len(pages)
        assert 0.5 < scores[kind]["all"]["f1"] <= 1.0


def test_paired_difference_resamples_sites_for_both_models_alike():
    """The point difference is the all-pages F1 difference; a model against itself differs by
    exactly 0 in every resampling; a model better on every page has an interval above 0."""
    sites = [f"site{i % 7}" for i in range(30)]
    a = [(s, ("all",), {"html": (0.9, 0.8, 0.0)}) for s in sites]
    b = [(s, ("all",), {"html": (0.9 - 0.05 * (i % 3 + 1), 0.8, 0.0)}) for i, s in enumerate(sites)]
    f1 = [mean_prf([r[2]["html"] for r in rows])["f1"] for rows in (a, b)]
    diff, lo, hi = validation_scores.paired_difference(a, b, "html", rounds=200)
    assert diff == pytest.approx(f1[0] - f1[1], abs=1e-4)
    assert 0 < lo <= diff <= hi
    assert validation_scores.paired_difference(a, a, "html", rounds=200) == (0.0, 0.0, 0.0)


@needs_data
def test_a_candidate_model_is_checked_without_peers_and_writes_nothing(capsys):
    committed = (compare.RESULTS / "comparison.json").read_text()
    compare.main(["--limit", "1", "--mode", "text", "--no-peers"])
    out = capsys.readouterr().out
    assert "clf" in out and "wrote" not in out
    assert (compare.RESULTS / "comparison.json").read_text() == committed
