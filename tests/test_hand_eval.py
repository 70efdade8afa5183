"""The hand-labelled held-out evaluation: page choice, label files, and its committed numbers."""

from __future__ import annotations

import json

import pytest

from clf.classifier import default_model_path
from tests.conftest import SHARED, needs_data
from training import hand_eval
from training.data import is_validation_site, split_pages


def _page(dataset: str, lang: str, k: int) -> dict:
    return {"dataset": dataset, "lang": lang, "id": f"{dataset}-{lang}-{k}"}


def test_pages_are_picked_per_language_quota_size_and_dataset():
    candidates = [(_page(d, "en", k), 50) for d in ("a", "b") for k in range(30)]
    candidates += [(_page("a", "de", k), n) for k, n in enumerate([5, 50, 900] * 10)]
    candidates += [(_page("c", "fr", k), 60) for k in range(3)]  # fewer than the quota
    picked = [candidates[i][0] for i in hand_eval.pick_pages(candidates, seed=1)]
    assert picked == [candidates[i][0] for i in hand_eval.pick_pages(candidates, seed=1)]
    by_lang = {
        g: [p for p in picked if hand_eval.lang_group(p["lang"]) == g] for g in hand_eval.QUOTA
    }
    assert len(by_lang["en"]) == hand_eval.QUOTA["en"]
    assert {p["dataset"] for p in by_lang["en"]} == {"a", "b"}  # both datasets, alternately
    assert abs(sum(p["dataset"] == "a" for p in by_lang["en"]) - len(by_lang["en"]) / 2) <= 1
    sizes = {p["id"]: n for p, n in candidates}
    assert len(by_lang["de"]) == hand_eval.QUOTA["de"]
    assert all(sizes[p["id"]] == 50 for p in by_lang["de"])  # too small and too large left out
    assert len(by_lang["other"]) == 3 and by_lang["zh"] == []
    assert len({p["id"] for p in picked}) == len(picked)


def test_labeller_files_must_use_the_three_labels(tmp_path):
    good = tmp_path / "labels_01.tsv"
    good.write_text("# a note\n0\tarticle\n1\tclutter\tbyline\n2\tnoise\n", encoding="utf-8")
    assert hand_eval._read_labeller(good) == {0: "article", 1: "clutter", 2: "noise"}
    bad = tmp_path / "labels_02.tsv"
    bad.write_text("0\tarticle\n1\tmenu\n", encoding="utf-8")
    with pytest.raises(ValueError, match="menu"):
        hand_eval._read_labeller(bad)


@pytest.mark.parametrize("hand", [hand_eval.HAND, hand_eval.DEV, hand_eval.UNSEEN_ZH])
def test_hand_files_hold_no_page_text(hand):
    rows = [r for r in hand.read_text(encoding="utf-8").splitlines() if not r.startswith("#")]
    assert len(rows) > 1000
    for row in rows:
        dataset, page_id, index, label, key = row.split("\t")
        assert index.isdigit() and label in hand_eval.LABELS
        assert len(key) == 8 and int(key, 16) >= 0


@needs_data
def test_changed_segments_are_refused(tmp_path):
    hand = tmp_path / "hand.tsv"
    rows = hand_eval.HAND.read_text(encoding="utf-8").splitlines()
    first = next(r for r in rows if not r.startswith("#")).split("\t")
    page = [r for r in rows if r.startswith(f"{first[0]}\t{first[1]}\t")]
    page[0] = "\t".join(first[:4] + ["00000000"])  # the labelled text no longer matches
    hand.write_text("\n".join(page) + "\n", encoding="utf-8")
    with pytest.raises(ValueError, match="segments differ"):
        hand_eval.labelled_pages(SHARED / "data", hand)


@needs_data
@pytest.mark.parametrize("which", ["test", "training"])
def test_committed_numbers_come_from_the_right_split_and_reproduce(which):
    """The evaluation set is all test-site pages (never trained on), the set for working on
    the rules all training-site pages; every segment is labelled, and scoring again gives the
    committed results file (model and rules on the first, rules only on the second)."""
    hand, results = hand_eval._FILES[which]
    test = which == "test"
    split = {(p["dataset"], p["id"]): t for p, _, t in split_pages(SHARED / "data")}
    wanted = hand_eval.read_hand(hand)
    assert wanted and all(split[key] == test for key in wanted)
    result = hand_eval.score(SHARED / "data", hand=hand, split=which)
    assert result["pages"] == len(wanted)
    assert result["segments"] == sum(len(rows) for rows in wanted.values())
    assert ("model, HTML input" in result["scores"]) == test
    assert result == json.loads(results.read_text(encoding="utf-8"))


@needs_data
def test_a_validate_model_is_scored_on_validation_sites_only_and_writes_nothing(
    capsys, monkeypatch
):
    """`score --training-sites --model M` is how a `--validate` model meets people: only on
    the training-site pages of validation sites (which it never read), and without
    overwriting the committed results, which are the rules' alone."""
    committed = hand_eval.DEV_RESULTS.read_text(encoding="utf-8")
    results, score = [], hand_eval.score
    monkeypatch.setattr(hand_eval, "score", lambda *a: results.append(score(*a)) or results[-1])
    hand_eval.main(["score", "--training-sites", "--model", str(default_model_path())])
    assert hand_eval.DEV_RESULTS.read_text(encoding="utf-8") == committed
    assert "wrote" not in capsys.readouterr().out
    (result,) = results
    pages = hand_eval.labelled_pages(SHARED / "data", hand_eval.DEV, "training")
    on_validation = [segs for _, site, segs, _ in pages if is_validation_site(site)]
    assert 0 < len(on_validation) < len(pages)
    scored = result["scores"]["model, HTML input (validation sites)"]["all"]["segments"]
    assert scored == sum(map(len, on_validation))


def test_unseen_sites_get_one_labellable_page_per_folder():
    sizes = {"tests/a/1": 10, "tests/a/2": 40, "tests/a/3": 50, "tests/b/1": 400, "x/b/2": 30}
    candidates = [({"id": i}, n) for i, n in sizes.items()]
    picked = [candidates[k][0]["id"] for k in hand_eval.pick_unseen(candidates)]
    assert picked == ["tests/a/2", "x/b/2"]  # too small, too large, one per folder


@needs_data
def test_unseen_zh_set_is_chinese_pages_of_sites_with_no_usable_page():
    """Its pages have no gold and their sites no page any model trains on; every segment is
    labelled, and scoring again gives the committed results (the model only: no gold, so no
    training labels)."""
    usable_sites = {site for _, site, _ in split_pages(SHARED / "data")}
    pages = hand_eval.labelled_pages(SHARED / "data", hand_eval.UNSEEN_ZH, "unseen-zh")
    assert len(pages) == len(hand_eval.read_hand(hand_eval.UNSEEN_ZH)) >= 20
    for p, site, _, _ in pages:
        assert p["lang"] == "zh" and p["gold"] is None and site not in usable_sites
    result = hand_eval.score(SHARED / "data", hand=hand_eval.UNSEEN_ZH, split="unseen-zh")
    assert set(result["scores"]) == {"model, HTML input", "model, text input"}
    assert result == json.loads(hand_eval.UNSEEN_ZH_RESULTS.read_text(encoding="utf-8"))


def test_a_misspelt_set_is_refused():
    with pytest.raises(ValueError, match="unknown set 'tests'"):
        hand_eval._split(SHARED / "data", "tests")
