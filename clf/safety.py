"""Guards for untrusted input: page size, binary payloads, characters a parser chokes on, and
model files that must be verified before they are unpickled (a pickle can run code)."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import numpy as np
from numba import njit

from clf.decode import ISO2022_ESCAPE

MAX_PAGE_BYTES = 20 * 2**20  # larger inputs are refused: no news article is 20 MB of HTML
_MAGIC = (
    (b"\x89PNG", "PNG image"),
    (b"%PDF", "PDF document"),
    (b"\x1f\x8b", "gzip data inside gzip data"),  # what `clf.unpack.unpacked` leaves
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


class ControlBytesError(PageError):
    """Bytes too full of control bytes to be a page: `clf.unpack` tries them as a body
    compressed without a header before giving up."""


def control_heavy(sample: bytes) -> bool:
    """Control bytes in over 2 % of `sample` (the ESC, SO and SI that ISO-2022 text shifts
    with not counted): compressed data has 8 % or more, and of the shared data's 4,636 pages
    one has any, 0.15 % (`training.control_share`)."""
    limit = max(16, len(sample) // 50)
    controls = control_bytes(np.frombuffer(sample, dtype=np.uint8))
    if controls > limit and ISO2022_ESCAPE.search(sample):
        controls -= sample.count(0x1B) + sample.count(0x0E) + sample.count(0x0F)
    return controls > limit


def check_page(data: str | bytes, max_bytes: int = MAX_PAGE_BYTES) -> None:
    """Refuse inputs over the size limit and binary payloads handed in as pages: known magic
    numbers, many NULs, or too many control bytes (`control_heavy`): what `clf.unpack`
    could not unpack."""
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
        if control_heavy(sample):
            raise ControlBytesError("binary data (control bytes), not a page")


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
