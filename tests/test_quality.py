"""Spam signals and the cleaner, on hand-made pages (including traps for naive rules)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from clf.clean import clean_article, find_glosses, strip_glosses
from clf.cli import app
from clf.quality import assess
from clf.segment import Segment, segment_html

PARAS = [
    "The council voted eleven to two in favour of rebuilding the pier after the winter storm.",
    "Engineers said the remaining iron columns were sound enough to carry a brand new deck.",
    "The plan relies on a heritage grant that the council has not yet managed to secure.",
    "Local traders welcomed the decision, saying their takings had fallen since it closed.",
    "Work on the first phase is expected to begin in the autumn once the season has ended.",
]


def _page(texts: list[str], labels: list[str] | None = None) -> list[Segment]:
    labels = labels or ["article"] * len(texts)
    return [Segment(index=i, text=t, label=lab) for i, (t, lab) in enumerate(zip(texts, labels))]


def _quality(texts, labels=None):
    segs = _page(texts, labels)
    return assess(segs, clean_article(segs))


def test_body_pasted_twice_is_removed_and_flagged():
    segs = _page(["Pier to be rebuilt"] + PARAS + PARAS)
    cleaned = clean_article(segs)
    assert cleaned.text.splitlines() == ["Pier to be rebuilt"] + PARAS
    assert cleaned.duplicates == list(range(6, 11))
    q = assess(segs, cleaned)
    assert q.duplicate_share > 0.45 and q.spam and "duplicate_share" in q.reasons


def test_copy_with_different_line_breaks_is_still_a_copy():
    merged = [PARAS[0] + " " + PARAS[1], PARAS[2] + " " + PARAS[3] + " " + PARAS[4]]
    cleaned = clean_article(_page(PARAS + merged))
    assert cleaned.text.splitlines() == PARAS


def test_headline_repeated_and_glued_to_the_standfirst():
    head = "Harbour town votes to rebuild its pier"
    segs = _page([head, head, head + " Councillors approved a two-year plan on Tuesday."] + PARAS)
    lines = clean_article(segs).text.splitlines()
    assert lines[:2] == [head, "Councillors approved a two-year plan on Tuesday."]
    assert lines.count(head) == 1


@pytest.mark.parametrize("tag", ["iframe", "noembed", "noframes"])
def test_fallback_markup_is_its_own_block_and_never_article_text(tag):
    """What a page puts inside <iframe>, <noembed> or <noframes> for browsers without frames
    or plugins is kept as text by the parser but never shown; it is a block of its own (not
    run into the paragraphs around it) and, labelled article or not, stays out of the
    article."""
    ad = "<SCRIPT language='JavaScript1.1' SRC=\"http://ad.doubleclick.net/adj/N3271\"></SCRIPT>"
    html = f"<html><body><p>{PARAS[0]}</p><{tag}>{ad}</{tag}><p>{PARAS[1]}</p></body></html>"
    segs = segment_html(html)
    assert [s.tag for s in segs] == ["p", tag, "p"] and segs[1].text == ad
    for s in segs:
        s.label = "article"
    cleaned = clean_article(segs)
    assert cleaned.text.splitlines() == PARAS[:2]
    assert assess(segs, cleaned).article_chars == len("\n".join(PARAS[:2]))


def test_a_quotation_repeated_once_is_not_spam():
    quote = '"We are not going to be the council that lets it go," said the leader.'
    q = _quality(PARAS[:3] + [quote] + PARAS[3:] + [quote])
    assert not q.spam and q.duplicate_share < 0.2


def test_pinyin_glosses_are_found_and_removed():
    text = "数据(shùjù)是大(dà)(dà)模型(móxíng)持续进化的(de)燃料"
    assert len(find_glosses(text)) == 4
    assert strip_glosses(text) == "数据是大模型持续进化的燃料"
    body = [text * 3, "在激烈的(de)竞争中(zhōng),公司(gōngsī)会出现又消失(xiāoshī)。" * 3]
    q = _quality(body)
    assert q.gloss_count >= 10 and q.spam and "gloss_rate" in q.reasons


def test_legitimate_parentheses_stay():
    text = (
        "目标直指通用人工智能(AGI)。公众号(id:taimeiti)报道,2025年(2025)营收增长(约30%),"
        "名字源于“Scaling Law”(规模定律),模型(Llama 4)。"
    )
    assert find_glosses(text) == []
    assert strip_glosses(text) == text
    assert strip_glosses("The fund (founded in 1998) grew (see table 2).") == (
        "The fund (founded in 1998) grew (see table 2)."
    )
    q = _quality([text] + PARAS)
    assert q.gloss_count == 0 and not q.spam


def test_cleaning_steps_can_be_turned_off():
    segs = _page(["数据(shùjù)很重要。" + PARAS[0], "数据(shùjù)很重要。" + PARAS[0]])
    assert clean_article(segs, dedupe=False).text.count("很重要") == 2
    assert "(shùjù)" in clean_article(segs, remove_glosses=False).text


def test_keyword_stuffing_fires_repetition():
    stuffed = " ".join(["cheap pier tickets buy now best price"] * 12)
    q = _quality([stuffed] + PARAS[:1])
    assert q.repeated_ngram_share > 0.5 and "repeated_ngram_share" in q.reasons
    assert _quality(PARAS).repeated_ngram_share == 0.0


def test_teaser_list_page_and_empty_article():
    teasers = [f"Another story number {i} about something else entirely..." for i in range(12)]
    q = _quality(teasers, ["noise"] * 12)
    assert q.spam and "article_chars" in q.reasons and q.shares["noise"] == 1.0
    q = _quality(teasers)  # the teasers were taken for the article
    assert q.spam and "ellipsis_share" in q.reasons
    q = _quality(PARAS + teasers, ["article"] * len(PARAS) + ["noise"] * 12)
    assert not q.spam  # a real story with a teaser feed under it


def test_numbers_heavy_but_real_article_is_not_spam():
    table = ["Results (2024): 1,204 votes (51.2%) to 1,148 (47.7%), turnout 63%."] * 1
    q = _quality(PARAS + table)
    assert not q.spam and q.quality > 0.5


LANGUAGES = json.loads((Path(__file__).parent / "news_in_seven_scripts.json").read_text("utf-8"))


def test_a_hindi_article_is_letters_not_spam():
    """Devanagari's vowel signs and viramas are combining marks, outside `\\w`: counted as
    letters, or a plain Hindi story falls under the letter-share bar (it was 0.49)."""
    q = _quality(LANGUAGES["hi"][1:])  # the story's paragraphs
    assert not q.spam and q.letter_share > 0.7


@pytest.mark.parametrize("lang", sorted(LANGUAGES))
def test_a_plain_story_in_any_script_is_article_and_not_spam(model, lang):
    """Headline and four paragraphs (ja, ko, ru, ar, th, hi, vi: written for this test, not
    from the training data) under a menu: the story is the article, and the page is not spam."""
    head, *paras = LANGUAGES[lang]
    menu = "<nav><ul><li><a href=/>Home</a></li><li><a href=/w>World</a></li></ul></nav>"
    body = "".join(f"<p>{p}</p>" for p in paras)
    html = (
        f"<html><head><title>{head}</title></head><body>{menu}<h1>{head}</h1>{body}</body></html>"
    )
    for page in (model.classify(html), model.classify("\n".join([head, *paras]))):
        assert all(p in page.article for p in paras) and head in page.article
        assert not page.quality.spam, page.quality.reasons


def test_cli_quality_summary_and_filter_mode(tmp_path):
    good = tmp_path / "good.txt"
    good.write_text("Pier to be rebuilt\n" + "\n".join(PARAS) + "\n", encoding="utf-8")
    spam = tmp_path / "spam.txt"
    glossed = "数据(shùjù)是大(dà)模型(móxíng)持续进化升级的(de)“燃料”,大模型厂商(chǎngshāng)对于高质量标注数据(shùjù)有着持续、强烈的需求(xūqiú)。"
    spam.write_text("\n".join(["大模型的燃料"] + [glossed] * 6) + "\n", encoding="utf-8")
    runner = CliRunner()
    res = runner.invoke(app, ["classify", "--quality", str(good), str(spam)])
    assert res.exit_code == 0 and "SPAM" in res.stdout and len(res.stdout.splitlines()) == 2
    res = runner.invoke(
        app, ["classify", "-f", "jsonl", "--min-quality", "0.5", str(good), str(spam)]
    )
    assert res.exit_code == 0
    pages = {json.loads(line)["page"] for line in res.stdout.splitlines()}
    assert pages == {str(good)}
    assert "dropped 1 of 2 pages" in res.stderr
    record = [json.loads(line) for line in res.stdout.splitlines()][-1]
    assert record["record"] == "page" and record["quality"]["spam"] is False


def test_what_cleaning_hands_to_the_quality_signals_is_what_they_would_compute():
    """`cleaned_article` cleans as `clean_article` does, and its `Article` (the rows and texts
    it read, what a page keeps for its first `quality` read) gives `assess` what it computes
    without one: copies, trimmed parts, a capital sigma in a trimmed text, 'İ' (whose lower
    case is longer), a NUL, glosses, nothing kept."""
    from clf.clean import cleaned_article
    from clf.segment import Segments

    head = "Harbour town votes to rebuild its pier"
    pages = [
        ["Pier to be rebuilt"] + PARAS + PARAS,
        [head, head, head + " Councillors approved a two-year plan on Tuesday."] + PARAS,
        ["ΚΑΛΗΜΕΡΑ", "ΚΑΛΗΜΕΡΑ.Σ και άλλα"] + PARAS[:2],
        ["İstanbul Büyükşehir Belediyesi", "Istanbul"] + PARAS[:2],
        ["a\0b text here", PARAS[0]],
        ["数据(shùjù)很(hěn)重要", "数据很重要"] + PARAS[:1],
        [],
        ["Ó", "ó"],
        ["Pier to be rebuilt"] + PARAS * 3,
        [head, head + " " + PARAS[0]] + PARAS * 2,
    ]
    for texts in pages:
        segs = Segments.of(_page(texts))
        for dedupe in (True, False):
            cleaned, article = cleaned_article(segs, dedupe)
            assert cleaned == clean_article(list(segs), dedupe)
            assert assess(segs, cleaned, article) == assess(list(segs), cleaned)


def test_glosses_are_only_looked_for_after_a_han_character_or_a_closing_quote():
    from clf.clean import may_gloss

    for text in ["数据(shùjù)", "“引语”(yǐnyǔ)", "(a)(ma)", "x（shì）", "词（cí）"]:
        assert may_gloss(text) == bool(find_glosses(text)), text
    assert not may_gloss("(shùjù) at the start") and not may_gloss("no parenthesis")
