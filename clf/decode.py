"""Bytes → str for scraped pages, which often lie about (or omit) their encoding."""

from __future__ import annotations

import codecs
import re

from charset_normalizer import from_bytes

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_META_CHARSET = re.compile(rb"""<meta[^>]{0,200}?charset\s*=\s*["']?\s*([a-zA-Z0-9_.:-]+)""", re.I)
_XML_ENCODING = re.compile(rb"""<\?xml[^>]{0,100}?encoding\s*=\s*["']([a-zA-Z0-9_.:-]+)""", re.I)
# Declared labels that browsers (WHATWG) read as a wider superset.
_SUPERSETS = {
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "x-gbk": "gb18030",
    "big5": "big5hkscs",
    "iso-8859-1": "cp1252",
    "latin1": "cp1252",
    "latin-1": "cp1252",
    "ascii": "cp1252",
    "us-ascii": "cp1252",
    "shift_jis": "cp932",
    "euc-kr": "cp949",
}
# ISO-2022 text is 7-bit, so it passes as UTF-8 with its escape sequences left in as garbage
# (and `clf.safety` does not take its ESC, SO and SI for binary data).
ISO2022_ESCAPE = re.compile(rb"\x1b(?:\$[@AB(]|\$\)C|\([BJI])")
_ISO2022_CODECS = ("iso2022_kr", "iso2022_jp_2", "iso2022_jp_ext")


def declared_encoding(data: bytes) -> str | None:
    """The charset a page declares in `<meta>` or `<?xml?>`, widened to what browsers use."""
    head = data[:4096]
    m = _META_CHARSET.search(head) or _XML_ENCODING.search(head)
    if not m:
        return None
    name = m.group(1).decode("ascii", "ignore").lower()
    name = _SUPERSETS.get(name, name)
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def decode(data: bytes) -> str:
    """Decode page bytes: BOM, then ISO-2022 escapes, then strict UTF-8, then the declared
    charset, then a detector."""
    for bom, enc in _BOMS:
        if data.startswith(bom):
            return data.decode(enc, errors="replace")
    if b"\x1b" in data and ISO2022_ESCAPE.search(data, 0, 200_000):
        text = _iso2022(data)
        if text is not None:
            return text
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    declared = declared_encoding(data)
    if declared and declared not in ("utf-8", "utf_8"):
        try:
            return data.decode(declared)
        except UnicodeDecodeError:
            pass
    best = from_bytes(data[:200_000]).best()
    if best is not None and best.encoding:
        return data.decode(best.encoding, errors="replace")
    return data.decode("cp1252", errors="replace")


def _iso2022(data: bytes) -> str | None:
    """The page read as the ISO-2022 variant it declares, else the first that reads it whole."""
    declared = declared_encoding(data)
    tried = (declared,) if declared and declared.startswith("iso2022") else ()
    for enc in (*tried, *_ISO2022_CODECS):
        try:
            return data.decode(enc)
        except UnicodeDecodeError:
            continue
    return None
