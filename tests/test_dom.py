"""The walk over lexbor's tree (clf.dom) against the walk over its serialised markup
(clf.markup): the same segments, contexts and structure columns."""

from __future__ import annotations

import gzip
import json
import threading
from itertools import islice

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import clf.dom
import clf.segment
from clf.safety import sanitize_utf8
from clf.segment import segment_html
from tests.conftest import EXAMPLES, SHARED, needs_data


def _walked(page: str, walker: str) -> list:
    segs = segment_html(*sanitize_utf8(page), walker=walker)
    columns = [c.tolist() for c in segs.structure] if segs.structure else None
    return [(s.text, s.tag, s.path, s.tokens, s.link_chars, s.depth) for s in segs] + [columns]


def _same(page: str) -> None:
    tree = _walked(page, "tree")
    assert tree == _walked(page, "markup")


def test_the_tree_walk_is_there_on_this_platform():
    """selectolax's Linux wheels export lexbor's functions: CI walks the tree, not the markup."""
    assert clf.dom.available()


TRICKY = [
    "<html><head><title>Pier &amp;amp; x &lt;b&gt;</title></head><body><p>a</p></body></html>",
    "<div class='ab&amp;cd' id=\"x&quot;yz\"><p>5 &lt; 6 &amp;&nbsp;7</p></div>",
    "<p>seen<script>if (a<b) {}</script>joined</p><p>x<style>p{}</style>y</p>",
    "<p>before<script><!-- document.write('<script>x</script>'); --></script>after</p>",
    "<p style='DISPLAY : None'>gone</p><p aria-hidden='true'>gone</p><p hidden>gone</p>"
    "<p aria-hidden='false'>kept</p><p style='display:\u00a0none'>kept (escaped)</p>",
    "<iframe>raw <b>frame</b></iframe><xmp>a<b>b</xmp><noembed>n</noembed>",
    "<p>a<span> </span>b<span class='x'>c</span><a href=#>link <b>bold</b></a></p>",
    "<ul class='most-read'><li><a class='Teaser Link' href=x>one</a></li><li>two</li></ul>",
    "<svg><title>svg title</title><foreignObject class=Q><p>in svg</p></foreignObject></svg>",
    "<table><tr><td>cell</td>stray text<td>two</td></tr></table><b><p>misnested</b>x</p>",
    "<p>Ünïcödé <ruby>漢<rt>kan</rt></ruby> 😀 \u2028 line</p><my-élément class=ü>x</my-élément>",
    "<div id=a><div id=b><div class='c d'>" + "<span>deep</span>" * 3 + "</div></div></div>",
    "<p>a</p><!-- comment <p>not</p> --><?xml-ish pi?><p>b</p><plaintext>x<b>y",
    "<p>tab\tand\nnewline  and&#x20;&#32;entities &copy; &NotNestedGreaterGreater;</p>",
    "<title></title><title>second</title><p>x</p>",
    "<p class=\"\" id=''>empty attributes</p><p class>no value</p>",
    "<b<div id=main><p>&amp;</p><a&b\u00a0c>odd tag names</a&b\u00a0c>",  # hypothesis found it
    "<a\u00a0>no link</a\u00a0><p cl\u00a0ass=x id\u00a0=y>odd attribute names</p>",
]


@pytest.mark.parametrize("page", TRICKY)
def test_tree_and_markup_walks_agree(page):
    _same(page)


def test_agree_on_the_example_and_where_the_walk_needs_more_room(monkeypatch):
    _same((EXAMPLES / "harbour.html").read_text(encoding="utf-8"))
    scales = []
    walk_tree = clf.dom.walk_tree

    def counted(fns, doc, n_bytes, keys, flags, scale):
        scales.append(scale)
        return walk_tree(fns, doc, n_bytes, keys, flags, scale)

    monkeypatch.setattr(clf.dom, "walk_tree", counted)
    needs_more = [
        "<div>" * 300 + "deep" + "</div>" * 300,  # the open-element stack
        "".join(f"<p class='c{i}'>para {i}</p>" for i in range(5000)),  # contexts, segments
        "<div class='" + "<" * 1000 + "'>q</div>",  # escaped values longer than the page
    ]
    for page in needs_more:
        scales.clear()
        _same(page)
        assert scales == [1, 8]  # walked again, with more room
    _same("<p>" + "long words " * 2000 + "</p>")  # one long text node
    _same("<p>" + "&amp;" * 500 + "</p><div class='" + "&quot;" * 400 + "x'>q</div>")


TAGS = ["p", "div", "span", "a", "b", "li", "ul", "h1", "br", "img", "script", "title", "td"]
piece = st.one_of(
    st.sampled_from([f"<{t}>" for t in TAGS] + [f"</{t}>" for t in TAGS]),
    st.sampled_from(["<p class='x y'>", "<div id=main>", "<a href=#>", "<p hidden>", "&amp;"]),
    st.text(alphabet="ab c\u00a0é漢<>&;\"'=\n", max_size=12),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(piece, max_size=40))
def test_agree_on_generated_markup(pieces):
    _same("".join(pieces))


def test_where_the_tree_is_right_and_the_markup_walk_was_not():
    """Two known differences, both where the tree walk follows the page as a browser shows it.
    A <template>'s content is not in the tree (nor on screen), so its block tags no longer
    split the text around it; and the serialiser writes no end tag for four old void elements
    (basefont, bgsound, frame, keygen), which the markup walk took for open ones."""
    template = "<p>foo<template><div>x</div></template>bar</p>"
    assert [s.text for s in segment_html(template, walker="tree")] == ["foobar"]
    assert [s.text for s in segment_html(template, walker="markup")] == ["foo", "bar"]
    void = "<div>a<bgsound class='big one'>b<p>c</p></div>"
    assert segment_html(void, walker="tree")[1].path == ("html", "body", "div", "p")
    assert segment_html(void, walker="markup")[1].tokens == ("big", "one")


def test_without_lexbor_functions_the_markup_walk_is_used(monkeypatch):
    monkeypatch.setattr(clf.segment, "lexbor", lambda: None)
    page = TRICKY[7]
    assert segment_html(page) == segment_html(page, walker="markup")
    with pytest.raises(RuntimeError, match="lexbor functions"):
        segment_html(page, walker="tree")


def test_the_probe_refuses_another_layout(monkeypatch):
    """If a text node's bytes were elsewhere, the lengths read there would not match: the probe
    says no before it reads through any pointer."""
    lex = clf.dom.lexbor()
    assert lex is not None and clf.dom._probe_ok(lex)
    monkeypatch.setattr(clf.dom, "TEXT_DATA", clf.dom.TEXT_DATA - 8)
    assert not clf.dom._probe_ok(lex)


def test_threads_walking_at_once_get_their_own_pages():
    pages = [f"<div class='p{i}'><h1>Title {i}</h1><p>{'word ' * i}</p></div>" for i in range(40)]
    want = [_walked(p, "tree") for p in pages]
    got: dict[int, list] = {}

    def work(k: int) -> None:
        for _ in range(5):
            for i in range(k, len(pages), 4):
                assert _walked(pages[i], "tree") == want[i]
        got[k] = want

    threads = [threading.Thread(target=work, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(got) == [0, 1, 2, 3]


@needs_data
@pytest.mark.parametrize(
    "dataset", ["dragnet", "cleaneval", "trafilatura-eval", "gne", "cx-extractor-netease"]
)
def test_agree_on_shared_data_pages(dataset):
    """The first 120 pages of five datasets (all 4,564 pages of the data agreed when the tree
    walk was written; /training/EXPERIMENTS.md, speed step 11)."""
    path = SHARED / "data" / f"{dataset}.jsonl.gz"
    with gzip.open(path, "rt", encoding="utf-8") as f:
        pages = [json.loads(line)["html"] for line in islice(f, 120)]
    differing = [i for i, p in enumerate(pages) if _walked(p, "tree") != _walked(p, "markup")]
    assert differing == []
    assert np.mean([len(_walked(p, "tree")) for p in pages]) > 5  # real pages, not empty ones
