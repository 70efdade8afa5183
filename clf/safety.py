"""Guards for untrusted input: page size, binary payloads, characters a parser chokes on, and
model files that must be verified before they are unpickled (a pickle can run code)."""

from __future__ import annotations

import hashlib
import json
import re
import zlib
from pathlib import Path

import brotli
import numpy as np
from numba import njit

try:
    from compression import zstd  # Python 3.14
except ImportError:
    from backports import zstd

MAX_PAGE_BYTES = 20 * 2**20  # larger inputs are refused: no news article is 20 MB of HTML
_MAGIC = (
    (b"\x89PNG", "PNG image"),
    (b"%PDF", "PDF document"),
    (b"\x1f\x8b", "gzip data inside gzip data"),  # what `gunzipped` leaves
    (b"PK\x03\x04", "zip archive"),
    (b"\xff\xd8\xff", "JPEG image"),
    (b"GIF8", "GIF image"),
    (b"RIFF", "RIFF media"),
    (b"\x7fELF", "ELF executable"),
    (b"BZh", "bzip2 data"),
    (b"\xfd7zXZ", "xz data"),
)
# C0 controls except tab/newline/CR, DEL, and lone surrogates: no page text needs them, and
# lone surrogates cannot even be encoded for the parser.
_CONTROL_BYTES = bytes([*range(0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0x7F])
# Text in ISO-2022 (Japanese, Korean) shifts with ESC, SO and SI; these sequences start it.
_ISO2022_ESCAPE = re.compile(rb"\x1b[$(]")
_UNPARSABLE = re.compile(f"[{re.escape(_CONTROL_BYTES.decode('ascii'))}\ud800-\udfff]")


@njit(cache=True, nogil=True)
def control_bytes(data: np.ndarray) -> int:
    """How many of the bytes are `_CONTROL_BYTES`, counted without stopping at the first, so
    that the loop vectorises: a third of the time of `bytes.translate`, which copies."""
    n = 0
    for i in range(len(data)):
        b = data[i]
        n += ((b < 0x20) & (b != 0x09) & (b != 0x0A) & (b != 0x0D)) | (b == 0x7F)
    return n


class PageError(ValueError):
    """The input is not a page clf can classify; the message says why."""


def readable_page(data: str | bytes, max_bytes: int = MAX_PAGE_BYTES) -> str | bytes:
    """The page as clf reads it: a compressed body unpacked (`unpacked`), and a `PageError`
    for what is not a page (`check_page`)."""
    if isinstance(data, bytes):
        data = unpacked(data, max_bytes)
    check_page(data, max_bytes)
    return data


def unpacked(data: bytes, max_bytes: int = MAX_PAGE_BYTES) -> bytes:
    """A compressed body unpacked: a `.html.gz` file, or a page saved with its
    Content-Encoding (gzip, deflate with or without zlib's header, brotli, zstd) not undone;
    other bytes as they are. At most `max_bytes` + 1 bytes are unpacked, so a bomb stops there.

    gzip and zstd have a magic number and zlib a checked header; raw deflate and brotli have
    neither, so they are tried only on bytes too full of control bytes to be a page
    (`_control_heavy`), and kept only if the whole of it is one stream that unpacks to
    something else."""
    if data.startswith(b"\x1f\x8b"):
        page = _inflate(data, 16 + zlib.MAX_WBITS, "gzip", max_bytes)
        if page is None:
            raise PageError("gzip data that does not unpack or is cut off, not a page")
        return page
    if data.startswith(b"\x28\xb5\x2f\xfd"):
        return _unzstd(data, max_bytes)
    if len(data) > 2 and data[0] == 0x78 and int.from_bytes(data[:2], "big") % 31 == 0:
        page = _inflate(data, zlib.MAX_WBITS, "deflate", max_bytes, whole=True)  # or "x^" text
    elif _control_heavy(data[:4096]):
        page = _inflate(data, -zlib.MAX_WBITS, "deflate", max_bytes, whole=True)
        if page is None:
            page = _unbrotli(data, max_bytes)
        if page is not None and _control_heavy(page[:4096]):  # random bytes can inflate
            page = None
    else:
        return data
    return data if page is None else page


def _unzstd(data: bytes, max_bytes: int) -> bytes:
    """`data`'s zstd frame unpacked (a PageError if it does not unpack or is cut off before
    any byte; a cut-off body keeps what it unpacked, as gzip's does)."""
    unpack = zstd.ZstdDecompressor()
    try:
        page = unpack.decompress(data, max_bytes + 1)
    except zstd.ZstdError as exc:
        raise PageError(f"zstd data that does not unpack ({exc}), not a page") from None
    if not page and not unpack.eof:
        raise PageError("zstd data cut off before any page, not a page")
    if len(page) > max_bytes:
        raise PageError(f"zstd data unpacking to over the {max_bytes / 2**20:.0f} MB limit")
    return page


def _unbrotli(data: bytes, max_bytes: int) -> bytes | None:
    """`data` unpacked as one whole brotli stream, or None."""
    unpack = brotli.Decompressor()
    try:
        page = unpack.process(data, output_buffer_limit=max_bytes + 1)
    except brotli.error:  # not brotli, or bytes after the stream's end
        return None
    if len(page) > max_bytes:
        raise PageError(f"brotli data unpacking to over the {max_bytes / 2**20:.0f} MB limit")
    return page if unpack.is_finished() else None


def _inflate(
    data: bytes, wbits: int, what: str, max_bytes: int, whole: bool = False
) -> bytes | None:
    """`data` unpacked, or None if it does not unpack, or is cut off before any byte. If it
    must be `whole` (a deflate body is tried on a guess, and random bytes can unpack to a few
    bytes of garbage), also None unless it is one stream, ending where `data` ends."""
    unpack = zlib.decompressobj(wbits=wbits)
    try:
        page = unpack.decompress(data, max_bytes + 1)
    except zlib.error:
        return None
    if len(page) <= max_bytes:
        if whole and (not unpack.eof or unpack.unused_data):
            return None
        if not page and not unpack.eof:
            return None
    if len(page) > max_bytes:
        raise PageError(f"{what} data unpacking to over the {max_bytes / 2**20:.0f} MB limit")
    return page


def _control_heavy(sample: bytes) -> bool:
    """Control bytes in over 2 % of `sample` (the ESC, SO and SI that ISO-2022 text shifts
    with not counted): compressed data has 8 % or more, and of the shared data's 4,636 pages
    one has any, 0.15 % (`training.control_share`)."""
    limit = max(16, len(sample) // 50)
    controls = control_bytes(np.frombuffer(sample, dtype=np.uint8))
    if controls > limit and _ISO2022_ESCAPE.search(sample):
        controls -= sample.count(0x1B) + sample.count(0x0E) + sample.count(0x0F)
    return controls > limit


def check_page(data: str | bytes, max_bytes: int = MAX_PAGE_BYTES) -> None:
    """Refuse inputs over the size limit and binary payloads handed in as pages: known magic
    numbers, many NULs, or too many control bytes (`_control_heavy`: a brotli body a scraper
    forgot to decode has no magic number)."""
    size = len(data)
    if isinstance(data, str) and size > max_bytes // 4:  # a str may hold up to 4 bytes a char
        size = len(data.encode("utf-8", "surrogatepass"))
    if size > max_bytes:
        raise PageError(f"page is {size / 2**20:.1f} MB, over the {max_bytes / 2**20:.0f} MB limit")
    if isinstance(data, bytes):
        head = data[:16]
        for magic, what in _MAGIC:
            if head.startswith(magic):
                raise PageError(f"binary data ({what}), not a page")
        sample = data[:4096]
        if sample.startswith((b"\xff\xfe", b"\xfe\xff")):  # UTF-16/32: NULs and 0x01s are text
            return
        if sample.count(0) > len(sample) // 10:
            raise PageError("binary data (NUL bytes), not a page")
        if _control_heavy(sample):
            raise PageError(
                "binary data (control bytes: a compressed body saved undecoded?), not a page"
            )


def sanitize(text: str) -> str:
    """Drop control characters and lone surrogates, which carry no text and break parsers."""
    return sanitize_utf8(text)[0]


def sanitize_utf8(text: str) -> tuple[str, bytes | None]:
    """`sanitize`, and the text's UTF-8 bytes when nothing was dropped (None otherwise), for
    the HTML parser: handed bytes, lexbor does not encode the page again.

    Almost no page has any, so first look for them in the UTF-8 bytes (a control character
    is one byte there, never part of another character's bytes): a C-level scan three times
    faster than the regex, which then runs only on pages that need it.
    """
    try:
        raw = text.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate
        return _UNPARSABLE.sub("", text), None
    if control_bytes(np.frombuffer(raw, dtype=np.uint8)) == 0:
        return text, raw
    return _UNPARSABLE.sub("", text), None


# ------------------------------------------------------------------ model integrity
def manifest_path(model: Path) -> Path:
    return model.with_name(model.name + ".sha256.json")


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def write_manifest(model: Path) -> Path:
    """Record the model file's SHA-256 next to it (done by training, never by loading)."""
    out = manifest_path(model)
    out.write_text(json.dumps({"file": model.name, "sha256": sha256_of(model)}, indent=1) + "\n")
    return out


def verify(model: Path) -> None:
    """Raise unless the manifest next to `model` exists and matches its bytes."""
    man = manifest_path(model)
    if not man.is_file():
        raise ValueError(f"no manifest {man.name} next to {model}: refusing to unpickle it")
    try:
        expected = json.loads(man.read_text())["sha256"]
    except (ValueError, KeyError, TypeError) as exc:
        raise ValueError(f"unreadable manifest {man}: {exc}") from None
    actual = sha256_of(model)
    if actual != expected:
        raise ValueError(
            f"{model} does not match its manifest (sha256 {actual[:12]}… ≠ {expected[:12]}…): refusing to unpickle it"
        )
