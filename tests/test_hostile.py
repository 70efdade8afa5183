"""Hostile input and safe loading: nothing crashes, nothing is lost, no code runs from a model.

Fuzzing: `CLF_FUZZ_EXAMPLES` cases per strategy (default 150 in the normal suite). The dedicated
run, 3 strategies × 3,400 = 10,200 cases:

    CLF_FUZZ_EXAMPLES=3400 python3 -m pytest -q tests/test_hostile.py -k fuzz
"""

from __future__ import annotations

import gzip
import json
import os
import random
import shutil
import subprocess
import sys
import time
import tracemalloc
import zlib
from pathlib import Path

import brotli
import joblib
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import clf
from clf.classifier import default_model_path
from clf.safety import manifest_path, write_manifest
from clf.unpack import zstd
from training.control_share import deflated  # raw deflate, no zlib header

EXAMPLES = int(os.environ.get("CLF_FUZZ_EXAMPLES", "150"))
STATS = {"cases": 0, "errors": 0, "slowest_s": 0.0, "slowest_input": ""}
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def _check(model: clf.Classifier, data: str | bytes) -> None:
    """The property: a Page with valid labels, or a PageError saying why, and nothing else."""
    t = time.perf_counter()
    try:
        page = model.classify(data)
    except clf.PageError as exc:
        assert str(exc)
        STATS["errors"] += 1
    else:
        assert all(s.label in clf.LABELS for s in page.segments)
        assert page.quality is not None and 0.0 <= page.quality.quality <= 1.0
        assert isinstance(page.article, str)
    took = time.perf_counter() - t
    STATS["cases"] += 1
    if took > STATS["slowest_s"]:
        STATS["slowest_s"] = took
        STATS["slowest_input"] = f"{type(data).__name__} of length {len(data)}"


TAGS = [
    "div",
    "p",
    "a",
    "span",
    "li",
    "ul",
    "table",
    "td",
    "tr",
    "script",
    "style",
    "title",
    "h1",
    "br",
    "img",
    "iframe",
    "svg",
    "noscript",
    "x-custom",
    "template",
    "body",
    "html",
]
ATTRS = ["class", "id", "style", "hidden", "href", "aria-hidden", "onload"]
ANY_CHAR = st.characters(exclude_categories=())  # includes lone surrogates and NUL


def _render(tag: str, attrs: list[tuple[str, str]], kids: list[str], close: bool) -> str:
    attr = "".join(f' {k}="{v}"' for k, v in attrs)
    return f"<{tag}{attr}>{''.join(kids)}" + (f"</{tag}>" if close else "")


HTML = st.recursive(
    st.text(ANY_CHAR, max_size=40)
    | st.sampled_from(["<", "</", "<!--", "-->", "&#0;", "<![endif]-->", "\x00"]),
    lambda kids: st.builds(
        _render,
        st.sampled_from(TAGS),
        st.lists(st.tuples(st.sampled_from(ATTRS), st.text(ANY_CHAR, max_size=30)), max_size=3),
        st.lists(kids, max_size=5),
        st.booleans(),
    ),
    max_leaves=40,
)


@FUZZ
@given(data=st.binary(max_size=6000))
def test_fuzz_random_bytes(model, data):
    _check(model, data)


@FUZZ
@given(text=st.text(ANY_CHAR, max_size=3000))
def test_fuzz_random_text(model, text):
    _check(model, text)


@FUZZ
@given(page=HTML, encoding=st.sampled_from(["str", "utf-8", "gbk", "cp1252", "utf-16"]))
def test_fuzz_mangled_html(model, page, encoding):
    if encoding == "str":
        _check(model, page)
    else:
        _check(
            model,
            page.encode(encoding, errors="replace")
            if encoding != "utf-16"
            else page.encode("utf-16", "surrogatepass"),
        )


# ------------------------------------------------------------------ named cases
PARA = "<p>The council voted to rebuild the pier after the storm tore it apart last winter.</p>"
NOISE = random.Random(0).randbytes(8192)  # what a brotli body looks like: no header, no pattern


@pytest.mark.parametrize("data", [b"", b"   \n\t \n", ""])
def test_empty_and_whitespace_pages_give_an_empty_result(model, data):
    page = model.classify(data)
    assert page.segments == [] and page.article == "" and not page.quality.spam


@pytest.mark.parametrize(
    "data,what",
    [
        (b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4, "PNG image"),
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", "PDF document"),
        (gzip.compress(gzip.compress(b"<html><body>hi</body></html>")), "gzip data inside"),
        (b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff not deflate", "does not unpack"),
        (gzip.compress(b"<p>cut</p>")[:10], "is cut off"),
        (bytes(1000), "NUL bytes"),
        (b"\x28\xb5\x2f\xfd" + bytes(range(256)), "zstd data that does not unpack"),
        (zstd.compress(b"<p>cut</p>" * 50)[:12], "zstd data cut off"),
        (NOISE, "control bytes"),  # a brotli body saved undecoded: no magic number
    ],
    ids=[
        "png",
        "pdf",
        "gzip-twice",
        "gzip-broken",
        "gzip-cut",
        "nul",
        "zstd-broken",
        "zstd-cut",
        "noise",
    ],
)
def test_binary_handed_in_as_a_page_is_refused(model, data, what):
    with pytest.raises(clf.PageError, match=what):
        model.classify(data)


@pytest.mark.parametrize(
    "pack", [gzip.compress, zlib.compress, deflated, brotli.compress, zstd.compress]
)
def test_a_compressed_page_is_unpacked(model, harbour_html, pack):
    packed = model.classify(pack(harbour_html))
    plain = model.classify(harbour_html)
    assert packed.article == plain.article and packed.quality == plain.quality


def test_text_that_starts_like_a_zlib_header_is_read_as_it_is(model):
    text = "x^2 grows faster than x, the minister told parliament on Tuesday.\n" * 3
    assert int.from_bytes(b"x^", "big") % 31 == 0  # zlib's header check passes
    assert "the minister told parliament" in model.classify(text.encode(), kind="text").article


@pytest.mark.parametrize(
    "pack", [gzip.compress, lambda data: brotli.compress(data, quality=1), zstd.compress]
)
def test_a_bomb_is_refused_at_the_size_limit(model, pack):
    # 200 MB in a small body; the random start makes a brotli body look binary, as real ones do
    bomb = pack(random.Random(0).randbytes(8192) + b"a" * (200 * 2**20))
    tracemalloc.start()
    with pytest.raises(clf.PageError, match="unpacking to over the 20 MB limit"):
        model.classify(bomb)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 64 * 2**20  # unpacked as far as the limit (20 MB, buffers twice that), not whole


def test_a_few_control_bytes_do_not_make_a_page_binary(model):
    """Form feeds and escapes in a real page are dropped, and the page classified."""
    second = "<p>Work on the new pier starts in spring and should take two years to finish.</p>"
    page = ("<html><body>" + PARA + "\x0c\x1b" * 8 + second + "</body></html>").encode()
    article = model.classify(page).article
    assert "rebuild the pier" in article and "two years to finish" in article


def test_an_iso2022_page_full_of_escapes_is_read_not_refused(model):
    """ISO-2022-JP shifts with ESC several times a line: not the control bytes of binary data."""
    line = "<p>東京都は{}日、新しい交通計画を発表した。市民の意見を聞きながら段階的に実施する。</p>"
    body = "".join(line.format(day) for day in ("一", "三", "五", "七", "九") * 8)
    page = f"<html><head><title>交通計画</title></head><body>{body}</body></html>"
    assert "新しい交通計画" in model.classify(page.encode("iso2022_jp")).article


def test_50_mb_page_is_refused_quickly(model):
    page = b"<html><body>" + PARA.encode() * (50 * 2**20 // len(PARA)) + b"</body></html>"
    t = time.perf_counter()
    with pytest.raises(clf.PageError, match="over the 20 MB limit"):
        model.classify(page)
    assert time.perf_counter() - t < 5  # refused before any parsing (not a speed target)


def test_a_large_page_under_the_limit_is_classified(model):
    page = "<html><body>" + PARA * 40_000 + "</body></html>"  # ≈ 3.5 MB, 40,000 blocks
    result = model.classify(page)
    assert len(result.segments) == 40_000
    assert result.quality.duplicate_share > 0.9  # the same paragraph 40,000 times


def test_100000_deep_nesting(model):
    page = (
        "<html><body>"
        + "<div>" * 100_000
        + "deep text here"
        + "</div>" * 100_000
        + "</body></html>"
    )
    result = model.classify(page)
    assert all(s.label in clf.LABELS for s in result.segments)


@pytest.mark.parametrize("kind", ["text", "html"])
def test_one_5_mb_line(model, kind):
    line = ("word " * (5 * 2**20 // 5)).strip()
    page = line if kind == "text" else f"<html><body><p>{line}</p></body></html>"
    result = model.classify(page)
    assert len(result.segments) == 1 and len(result.segments[0].text) == len(line)


@pytest.mark.parametrize("encoding", ["gbk", "big5"])
def test_chinese_pages_without_charset(model, encoding):
    body = "為嚴厲打擊侵犯知識產權違法犯罪行為，切實維護版權市場秩序和群眾合法權益，近日公安局破獲一起案件。"
    html = (
        f"<html><head><title>破獲案件</title></head><body><p>{body}</p><p>{body}</p></body></html>"
    )
    page = model.classify(html.encode(encoding))
    assert body in " ".join(s.text for s in page.segments)


def test_utf16_page_with_bom(model):
    page = model.classify(("<html><body>" + PARA + "</body></html>").encode("utf-16"))
    assert "council voted" in page.segments[0].text


def test_xml_entities_are_not_expanded_and_nothing_is_fetched(model, tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-CONTENT")
    page = f"""<?xml version="1.0"?>
<!DOCTYPE html [
  <!ENTITY lol "lollollollollollollollollollol">
  <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
  <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
  <!ENTITY xxe SYSTEM "file://{secret}">
  <!ENTITY net SYSTEM "http://127.0.0.1:9/never">
]>
<html><body><p>a &lol3; b &xxe; c &net; d</p></body></html>"""
    text = " ".join(s.text for s in model.classify(page).segments)
    assert "TOP-SECRET" not in text and "lollollol" not in text


def test_cli_reports_bad_inputs_in_one_line_each_and_goes_on(tmp_path):
    png = tmp_path / "image.png"
    png.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(100))
    good = tmp_path / "good.html"
    good.write_text(f"<html><body>{PARA}</body></html>")
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "clf.cli",
            "classify",
            "-f",
            "jsonl",
            str(png),
            str(tmp_path),
            str(good),
        ],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    errors = proc.stderr.strip().splitlines()
    assert len(errors) == 2
    assert "image.png: binary data (PNG image)" in errors[0] and str(tmp_path) in errors[1]
    assert {json.loads(line)["page"] for line in proc.stdout.splitlines()} == {str(good)}


# ------------------------------------------------------------------ safe model loading
class _Exploit:
    """Unpickling this writes a file: proof that code ran."""

    def __init__(self, target: Path) -> None:
        self.target = target

    def __reduce__(self):
        return (Path.write_text, (self.target, "pwned"))


def test_a_pickle_without_manifest_is_never_unpickled(tmp_path):
    target = tmp_path / "pwned.txt"
    bad = tmp_path / "evil.joblib"
    joblib.dump(_Exploit(target), bad)
    with pytest.raises(clf.ModelError, match="no manifest"):
        clf.load(bad)
    assert not target.exists()


def test_a_tampered_model_is_refused(tmp_path):
    target = tmp_path / "pwned.txt"
    model = tmp_path / "clf-model.joblib"
    shutil.copy(default_model_path(), model)
    write_manifest(model)
    joblib.dump(_Exploit(target), model)  # swapped after the manifest was written
    with pytest.raises(clf.ModelError, match="does not match its manifest"):
        clf.load(model)
    assert not target.exists()


def test_a_genuine_copy_with_its_manifest_loads(tmp_path):
    model = tmp_path / "m.joblib"
    shutil.copy(default_model_path(), model)
    shutil.copy(manifest_path(default_model_path()), manifest_path(model))
    assert clf.load(model).classify(PARA).segments


def test_sanitize_fast_path_matches_the_regex_below_u3000_and_around_the_surrogates():
    from clf.safety import _UNPARSABLE, sanitize

    for c in [*range(0x3000), *range(0xD7F0, 0xE010)]:
        for text in (chr(c), f"a{chr(c)}ü", f"中{chr(c)}"):
            assert sanitize(text) == _UNPARSABLE.sub("", text), hex(c)
    for text in ("a\ud800b", "ok \udfff\x00", "\U0001f600\x7f", "plain ü 中文 \t\n\r"):
        assert sanitize(text) == _UNPARSABLE.sub("", text)


def test_sanitize_hands_over_utf8_only_when_nothing_was_dropped():
    from clf.safety import sanitize_utf8

    assert sanitize_utf8("plain ü 中文 \t\n") == ("plain ü 中文 \t\n", "plain ü 中文 \t\n".encode())
    assert sanitize_utf8("a\x01b") == ("ab", None)
    assert sanitize_utf8("a\ud800b") == ("ab", None)


def test_lexbor_fed_bytes_segments_as_fed_text(harbour_html):
    """The classifier hands lexbor the page's UTF-8 bytes; lexbor_input drops them wherever it
    changes the text itself (NULs, an XML declaration)."""
    from clf.decode import decode
    from clf.safety import sanitize_utf8
    from clf.segment import segment

    pages = [
        decode(harbour_html),
        '<?xml version="1.0"?><html><body><p>after the declaration</p></body></html>',
        "<p>a\x00b</p><p>ünï “quoted” 中文</p>",
        '<meta charset="gbk"><p>中文 declared GBK, handed as UTF-8</p>',
    ]
    for page in pages:
        text, utf8 = sanitize_utf8(page)
        a, b = segment(text, "html")[1], segment(text, "html", utf8)[1]
        assert a.texts == b.texts and a.tags == b.tags and a.texts
