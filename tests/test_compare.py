"""The peer comparison script: its scoring rules and a small run on held-out pages."""

from __future__ import annotations

import json

import pytest

from tests.conftest import SHARED, needs_data
from training import compare


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
def test_small_run_scores_held_out_pages_only(tmp_path):
    out = tmp_path / "cmp.json"
    compare.main(["--limit", "2", "--mode", "html", "--out", str(out)])
    report = json.loads(out.read_text())
    (run,) = report["runs"]
    ours = run["results"]["clf"]
    pages = compare.held_out_pages(SHARED / "data", 2)
    assert run["pages"] == len(pages) == ours["scores"]["all"]["pages"]
    assert ours["pages_per_s"] > 0
    assert 0.5 < ours["scores"]["all"]["f1"] <= 1.0  # a real extraction, not an empty one
    langs = {p["lang"] for p in pages}
    assert {f"lang:{x}" for x in langs} <= set(ours["scores"])
    pooled = [p for p in pages if p["lang"] not in compare.TARGET_LANGS]
    got = ours["scores"].get(compare.OTHER_LANGS, {}).get("pages", 0)
    assert got == len(pooled)
