"""The corpus builder, its labelling rules, the site split and a small train-and-evaluate run."""

from __future__ import annotations

import argparse
import json
import pickle
from dataclasses import replace

import joblib
import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.linear_model import SGDClassifier

import clf
from clf.context import softmax_linear
from clf.features import LEGACY_CHAR_INPUT, CharInput, Featurizer
from clf.fit import NOISE_BIASES, _fit_stage1, _stage2, choose_noise_bias, folded_stage2
from clf.model import Linear, SegmentModel
from clf.safety import write_manifest
from clf.segment import Segment
from tests.conftest import EXAMPLES, SHARED, needs_data
from training import article_rules, train_and_evaluate
from training.corpus import LabelledPage
from training.data import is_test_site, registered_domain, site_of
from training.labels import (
    RULES,
    Gold,
    byline_or_date,
    furniture_and_feeds,
    furniture_or_feed,
    label_segments,
)
from training.train_and_evaluate import join_cards, validation_split


def _seg(text: str, tokens: tuple[str, ...] = (), tag: str = "li", linked: bool = True) -> Segment:
    return Segment(
        index=0, text=text, tag=tag, tokens=tokens, link_chars=len(text) if linked else 0
    )


def test_feed_items_are_noise_and_their_heading_clutter():
    assert (
        furniture_or_feed(_seg("Ferry timetable changes announced for spring", ("most", "read")))
        == "noise"
    )
    assert (
        furniture_or_feed(_seg("Most read", ("most", "read"), tag="h3", linked=False)) == "clutter"
    )
    assert furniture_or_feed(_seg("3", ("popular",), linked=False)) == "noise"  # rank number


def test_related_items_menus_and_comments_are_clutter():
    assert (
        furniture_or_feed(_seg("Pier rebuild: what the council said last year", ("related",)))
        == "clutter"
    )
    assert furniture_or_feed(_seg("Sport", ("main", "nav"))) == "clutter"
    assert (
        furniture_or_feed(_seg("Leave a reply to this story", ("comments",), linked=False))
        == "clutter"
    )


def test_unmarked_blocks_fall_back_to_text_shape():
    assert furniture_or_feed(_seg("School governors back plans for a new sports hall")) == "noise"
    assert furniture_or_feed(_seg("Privacy policy")) == "clutter"
    assert (
        furniture_or_feed(_seg("A snippet of some other story that was cut …", linked=False))
        == "noise"
    )


def test_prompts_are_clutter_and_the_next_story_noise():
    assert furniture_or_feed(_seg("Continue reading the main story")) == "clutter"
    assert furniture_or_feed(_seg("Sign in / Sign up")) == "clutter"
    assert furniture_or_feed(_seg("Home | World | Sport | Weather | Travel")) == "clutter"
    assert (
        furniture_or_feed(_seg("Mayor opens the rebuilt pier after two years", ("nav", "box")))
        == "clutter"
    )
    assert (  # previous / next story: noise, even in a "nav" box
        furniture_or_feed(_seg("Mayor opens the rebuilt pier after two years", ("nav", "next")))
        == "noise"
    )


def _feed_page() -> list[Segment]:
    """A story, a "Latest" widget of short items each with an author and a snippet, a menu."""
    rows = [("The council voted to rebuild the pier", "p", ("body",), False)]
    rows.append(("Latest", "h3", ("latest", "box"), False))
    for n, head in enumerate(["Keeper capers", "Quiz night", "Crossword", "Roy returns"]):
        rows.append((head, "h4", ("teaser", "box"), True))
        rows.append(
            (f"What happened at the {head.lower()} this week, and why", "p", ("dek",), False)
        )
        rows.append((f"Writer {n}", "p", ("author", "teaser"), True))
    rows += [(word, "li", ("menu", "site"), True) for word in ("Home", "News", "Sport")]
    return [
        Segment(index=i, text=t, tag=tag, tokens=tok, link_chars=len(t) if linked else 0)
        for i, (t, tag, tok, linked) in enumerate(rows)
    ]


def test_a_feed_is_noise_as_a_whole_its_heading_and_the_menu_clutter():
    segs = _feed_page()
    labels = furniture_and_feeds(segs, ["article"] + [RULES] * (len(segs) - 1))
    # Alone, the short items and their author lines look like furniture …
    assert furniture_or_feed(segs[2]) == "clutter" and furniture_or_feed(segs[4]) == "clutter"
    # … in a run of items each followed by a snippet they are a feed: items, snippets, authors.
    assert labels[2:14] == ["noise"] * 12
    assert labels[:2] == ["article", "clutter"]  # the story; the widget heading
    assert labels[14:] == ["clutter"] * 3  # the menu: short items, no snippets


def test_a_related_widget_stays_clutter_however_it_repeats():
    segs = _feed_page()
    for s in segs[2:14]:
        s._tokens = ("related",) + s.tokens
    labels = furniture_and_feeds(segs, ["article"] + [RULES] * (len(segs) - 1))
    assert "noise" not in labels[2:14:3]


def test_a_teaser_card_becomes_one_line_of_its_label():
    segs = [
        Segment(0, "Story body."),
        Segment(1, "Other story", tag="h3", link_chars=11),
        Segment(2, "Its snippet", tag="p"),
        Segment(3, "Menu", tag="a", link_chars=4),
        Segment(4, "Article again", tag="p"),
        Segment(5, "Trailing link", tag="a", link_chars=13),
    ]
    labels = ["article", "noise", "noise", "clutter", "article", "noise"]
    joined, labs = join_cards(segs, labels)
    assert [s.text for s in joined] == [
        "Story body.",
        "Other story Its snippet",
        "Menu",  # the next block has another label: not a card
        "Article again",
        "Trailing link",
    ]
    assert labs == ["article", "noise", "clutter", "article", "noise"]
    assert joined[1].index == 1 and joined[1].tag == "h3"


def test_snippet_gold_labels_link_rows_menus_and_the_text_between_its_sentences():
    """Snippet gold names a few sentences; menus and link rows are furniture wherever they
    are, unlinked text between the first and last named sentence is the story, and what is
    outside that stretch and shows no sign stays unknown."""
    body = [f"Paragraph {i} of the story about the harbour and its new pier." for i in range(4)]
    segs = [
        Segment(0, "Home", tag="a", link_chars=4),
        Segment(1, "An unmarked line before the story", tag="div"),
        Segment(2, body[0], tag="p"),
        Segment(3, body[1], tag="p"),
        Segment(4, body[2], tag="p"),
        Segment(5, "Read the council's statement", tag="p", link_chars=28),
        Segment(6, body[3], tag="p"),
        Segment(7, "Contact us", tag="li", tokens=("footer",)),
        Segment(8, "An unmarked line after the story", tag="div"),
    ]
    gold = {"kind": "snippets", "with": [body[0], body[3]], "without": []}
    labels = label_segments({"gold": gold}, segs)
    assert labels[2:5] + labels[6:7] == ["article"] * 4  # named, or between named sentences
    assert labels[0] == labels[5] == labels[7] == "clutter"  # menu entry, link, footer
    assert labels[1] is None and labels[8] is None


def test_bylines_and_dates():
    assert byline_or_date("By Maria Jensen") and byline_or_date("2025-06-15 08:26:58")
    assert byline_or_date("作者:林白")
    assert not byline_or_date("Byzantium was the eastern capital for a thousand years.")


def test_gold_alignment_ignores_markup_and_catches_partial_blocks():
    gold = Gold(["The council voted to rebuild the pier.\nFunding still to be found"])
    assert gold.share("The council  voted to rebuild the pier!") == 1.0
    assert gold.share("Funding still to be found") == 1.0
    assert gold.share("Subscribe to our newsletter today") == 0.0
    assert (
        0.0 < gold.share("The council voted to rebuild the pier. Other unrelated words here") < 1.0
    )


def test_site_split_is_by_site_and_stable():
    assert registered_domain("https://www.bbc.co.uk/news/x") == "bbc.co.uk"
    assert registered_domain("http://web.archive.org/web/2005/http://www.cnn.com/a") == "cnn.com"
    page = {"dataset": "l3s-gn1", "id": "x", "url": "http://news.example.com/a", "html": ""}
    assert site_of(page) == "example.com"
    assert is_test_site("example.com") == is_test_site("example.com")
    assert not is_test_site("163.com", zh=True)  # pinned to train, documented in data.py


@needs_data
def test_small_train_run_writes_a_working_model(tmp_path):
    metrics = train_and_evaluate.main(
        [
            "--data",
            str(SHARED / "data"),
            "--out",
            str(tmp_path),
            "--limit",
            "12",
            "--datasets",
            "l3s-gn1",
            "cleaneval",
            "cx-extractor-netease",
            "trafilatura-eval",
            "--jobs",
            "1",
            "--noise-offset",
            "--char-input",
            "14,2,3,120,40",  # not the default: the model must carry what its n-grams read
        ]
    )
    written = json.loads((tmp_path / "metrics.json").read_text())
    assert written["test"]["html"]["segments"]["segments"] > 0
    assert set(written["test"]["html"]["segments"]["labels"]) == {"article", "clutter", "noise"}
    assert written["trained_on"]["pages"] > 0 and metrics["test_pages"]["pages"] > 0
    model = clf.load(tmp_path / "clf-model.joblib")
    assert model.model.noise_bias in NOISE_BIASES
    assert isinstance(model.model.stage2_text, Linear)  # training has text views: their own
    page = model.classify((EXAMPLES / "harbour.html").read_bytes())
    assert page.segments and {s.label for s in page.segments} <= set(clf.LABELS)
    fz = model.model.featurizer
    assert fz.char == CharInput(14, (2, 3), 120, 40) and len(fz.idf["char"]) == 2**14
    cols = fz.featurize([page.segments]).families["char"][1]
    assert 0 <= cols.min() and cols.max() < 2**14
    # "aaaaaaaa" in 2- and 3-grams, each also touching one end: aa, _a, a_, aaa, _aa, aa_
    assert len(fz.featurize([[Segment(0, "a" * 8, tag="p")]]).families["char"][1]) == 6
    again = train_and_evaluate.main(  # evaluation only: the same model scores the same
        ["--data", str(SHARED / "data"), "--out", str(tmp_path / "eval"), "--limit", "12",
         "--datasets", "l3s-gn1", "cleaneval", "cx-extractor-netease", "trafilatura-eval",
         "--jobs", "1", "--model", str(tmp_path / "clf-model.joblib")]
    )  # fmt: skip
    assert again["test"] == metrics["test"] and again["seeds"] == metrics["seeds"]
    assert not (tmp_path / "eval" / "clf-model.joblib").exists()


def _page(site: str, test: bool) -> LabelledPage:
    return LabelledPage("d", site, "en", site, test, [], [], None)


def test_validation_split_never_includes_test_sites_and_keeps_sites_whole():
    corpus = [_page(f"site{i}.com", test=i % 5 == 0) for i in range(400)]
    corpus += [replace(p, id=p.id + "/2") for p in corpus]  # a second page per site
    val = validation_split(corpus)
    assert len(val) == 2 * 320 and all(p.site not in {f"site{i}.com" for i in range(0, 400, 5)}
                                       for p in val)  # fmt: skip
    by_site: dict[str, set[bool]] = {}
    for p in val:
        by_site.setdefault(p.site, set()).add(p.test)
    assert all(len(v) == 1 for v in by_site.values())  # a site is on one side only
    share = sum(p.test for p in val) / len(val)
    assert 0.15 < share < 0.35  # about VALIDATION_SHARE


def test_article_rules_main_run_keeps_the_run_with_most_text():
    segs = [Segment(index=i, text=t) for i, t in enumerate(["a" * 500, "x", "x", "b" * 50])]
    art = np.array([[0.9, 0.05, 0.05], [0.1, 0.8, 0.1], [0.1, 0.8, 0.1], [0.8, 0.1, 0.1]])
    assert article_rules.main_run(2)(art, segs).tolist() == [True, False, False, False]
    assert article_rules.main_run(3)(art, segs).tolist() == [True, False, False, True]
    assert article_rules.threshold(0.85)(art, segs).tolist() == [True, False, False, False]


def test_noise_bias_is_raised_where_a_plain_argmax_under_calls_rare_noise():
    rng = np.random.default_rng(0)
    sizes, centres = (900, 300, 100), (0.0, -3.0, 1.2)  # noise: rare, overlapping article
    x = np.concatenate([rng.normal(c, 1.0, n) for c, n in zip(centres, sizes)])[:, None]
    y = np.repeat([0, 1, 2], sizes)
    site = np.array([f"site{i}" for i in rng.integers(0, 40, len(y))])
    bias = choose_noise_bias(x, y, site)
    assert bias in NOISE_BIASES and bias > 0
    assert choose_noise_bias(x, y, np.full(len(y), "one-site")) == 0.0  # nothing to hold in


def test_folded_stage2_is_the_fitted_pipeline():
    """Stage 2 ships as one linear layer with the scaler folded in; it must predict what the
    fitted StandardScaler + LogisticRegression predicts, including badly scaled inputs."""
    rng = np.random.default_rng(1)
    x = rng.normal(0, 1, (600, 5)) * np.array([1e-3, 1.0, 50.0, 1.0, 7.0]) + 3.0
    y = np.digitize(x[:, 1] + x[:, 2] / 50 - x[:, 4] / 7 + rng.normal(0, 0.5, 600), [2.5, 3.5])
    assert set(y) == {0, 1, 2}
    pipe = _stage2().fit(x, y)
    layer = folded_stage2(pipe)
    assert isinstance(layer, Linear) and layer.coef.flags.c_contiguous
    got = softmax_linear(x, layer.coef, layer.intercept)
    np.testing.assert_allclose(got, pipe.predict_proba(x), rtol=1e-9, atol=1e-12)


def test_the_seed_decides_stage_1s_weights():
    """`--seed` exists because SGD's final iterate depends on the order of its epochs: the
    same seed must give the same weights, another seed other weights."""
    rng = np.random.default_rng(2)
    x = sp.csr_matrix(rng.normal(0, 1, (300, 8)))
    y = np.argmax(x.toarray()[:, :3] + rng.normal(0, 1, (300, 3)), axis=1)
    first, again, other = (_fit_stage1(x, y, [seed]).coef_ for seed in (0, 0, 1))
    np.testing.assert_array_equal(first, again)
    assert not np.allclose(first, other)
    mean = _fit_stage1(x, y, [0, 1])  # `--orders 2`: the mean of both orders' weights
    np.testing.assert_allclose(mean.coef_, (first + other) / 2)
    single = [_fit_stage1(x, y, [s]) for s in (0, 1)]
    scores = np.mean([f.decision_function(x) for f in single], axis=0)
    np.testing.assert_allclose(mean.decision_function(x), scores)


def test_text_pages_get_the_text_stage_2_and_html_pages_the_other(model, harbour_html, harbour_txt):
    """`stage2_text` serves text pages only; a model without one (before 0.4) serves both
    views with `stage2`. A text layer that can only say noise shows which layer ran."""
    m = model.model
    only_noise = Linear(np.zeros_like(m.stage2.coef), np.array([0.0, 0.0, 50.0]))
    routed = clf.Classifier(SegmentModel(m.featurizer, m.stage1, m.stage2, 0.0, only_noise))
    assert set(routed.classify(harbour_txt).segments.labels) == {"noise"}
    html = routed.classify(harbour_html).segments.labels
    assert html == model.classify(harbour_html).segments.labels and "article" in html
    old = SegmentModel.__new__(SegmentModel)
    old.__dict__.update(featurizer=m.featurizer, stage1=m.stage1, stage2=m.stage2, noise_bias=0.0)
    both = clf.Classifier(SegmentModel(m.featurizer, m.stage1, m.stage2, 0.0, m.stage2))
    np.testing.assert_array_equal(
        clf.Classifier(old).classify(harbour_txt).segments.probs,
        both.classify(harbour_txt).segments.probs,
    )


def test_a_model_made_before_plain_arrays_is_refused_with_a_clear_error(tmp_path, model):
    """A pre-0.2 model file (scikit-learn estimators inside) must not load half-working."""
    old = SegmentModel.__new__(SegmentModel)
    old.__dict__.update(featurizer=model.model.featurizer, stage1=SGDClassifier(), stage2=None)
    path = tmp_path / "old.joblib"
    joblib.dump(old, path)
    write_manifest(path)
    with pytest.raises(clf.ModelError, match="older clf"):
        clf.load(path)


def test_a_model_made_before_char_input_was_recorded_reads_what_it_was_trained_on():
    """Models pickled before clf 0.5 carry no `char`: their n-grams were 1-4 characters of
    the first 300 and last 100, in 2**18 columns, whatever a new model reads."""
    fz = Featurizer(CharInput(12, (2, 2), 50, 10))
    del fz.__dict__["char"]
    old = pickle.loads(pickle.dumps(fz))
    assert old.char == LEGACY_CHAR_INPUT == CharInput(18, (1, 4), 300, 100)
    # one pickled before `other_lo` read every n-gram from its shortest length on
    char = CharInput(16, (1, 3), 150, 50)
    del char.__dict__["other_lo"]
    assert pickle.loads(pickle.dumps(char)).other_lo == 0


def test_char_input_takes_an_optional_shortest_length_for_letters():
    from training.train_and_evaluate import _char_input, _char_spec

    assert _char_input("14,1,3,150,50,3") == CharInput(14, (1, 3), 150, 50, 3)
    assert _char_input("16,1,3,150,50") == CharInput(16, (1, 3), 150, 50, 0)
    for spec in ("14,1,3,150,50,3", "16,1,3,150,50"):
        assert _char_spec(_char_input(spec)) == spec
    for bad in ("14,1,3,150,50,4", "14,1,3", "14,1,3,150,50,3,1", "a,b"):
        with pytest.raises(argparse.ArgumentTypeError):
            _char_input(bad)


def test_a_model_with_other_shallow_features_is_refused_with_a_clear_error(tmp_path, model):
    """A model trained when clf made a different number of shallow features would fail deep
    inside numpy on the first page; it must be refused when loaded, saying what to do."""
    fz = Featurizer()
    fz.idf = model.model.featurizer.idf
    fz.mean, fz.scale = model.model.featurizer.mean[:-5], model.model.featurizer.scale[:-5]
    other = SegmentModel(fz, model.model.stage1, model.model.stage2)
    path = tmp_path / "other.joblib"
    joblib.dump(other, path)
    write_manifest(path)
    with pytest.raises(clf.ModelError, match="another clf version.*rebuild it"):
        clf.load(path)
