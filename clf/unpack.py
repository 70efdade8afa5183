"""Compressed bodies unpacked before decoding: a `.html.gz` file, or a page saved with its
Content-Encoding (gzip, deflate with or without zlib's header, brotli, zstd) not undone.

At most the page size limit + 1 bytes are unpacked, so a bomb stops there and is refused
for its size. gzip and zstd have a magic number and zlib a checked header; raw deflate and
brotli have neither, so they are tried only on bytes too full of control bytes to be a page
(`clf.safety.control_heavy`), and kept only if the whole input is one stream that unpacks to
something else (`python3 -m training.control_share` counts how that does on real pages and
on random bytes).
"""

from __future__ import annotations

import zlib

import brotli

from clf.safety import MAX_PAGE_BYTES, ControlBytesError, PageError, check_page, control_heavy

try:
    from compression import zstd  # Python 3.14
except ImportError:
    from backports import zstd

_GZIP, _ZSTD = b"\x1f\x8b", b"\x28\xb5\x2f\xfd"


def readable_page(data: str | bytes, max_bytes: int = MAX_PAGE_BYTES) -> str | bytes:
    """The page as clf reads it: unpacked (`unpacked`), or a `PageError` for what is not a
    page (`clf.safety.check_page`). Bytes refused for their control bytes are tried as raw
    deflate and brotli, so a plain page's control bytes are counted once."""
    if isinstance(data, bytes):
        data = unpacked(data, max_bytes)
    try:
        check_page(data, max_bytes)
    except ControlBytesError:
        page = _headerless(data, max_bytes)  # data is bytes: a str has no control check
        if page is None:
            raise
        check_page(page, max_bytes)
        return page
    return data


def unpacked(data: bytes, max_bytes: int = MAX_PAGE_BYTES) -> bytes:
    """`data` unpacked if it is a compressed body with a magic number or header (see the
    module), else as it is."""
    if data.startswith(_GZIP):
        page = _inflate(data, 16 + zlib.MAX_WBITS, "gzip", max_bytes)
        if page is None:
            raise PageError("gzip data that does not unpack or is cut off, not a page")
        return page
    if data.startswith(_ZSTD):
        return _unzstd(data, max_bytes)
    if len(data) > 2 and data[0] == 0x78 and int.from_bytes(data[:2], "big") % 31 == 0:
        page = _inflate(data, zlib.MAX_WBITS, "deflate", max_bytes, whole=True)  # or "x^" text
        return data if page is None else page
    return data  # raw deflate and brotli: `readable_page`, on bytes refused for control bytes


def _headerless(data: bytes, max_bytes: int) -> bytes | None:
    """`data` as one whole raw deflate or brotli stream unpacked, or None (also if what it
    unpacks to is as full of control bytes: random bytes can unpack)."""
    page = _inflate(data, -zlib.MAX_WBITS, "deflate", max_bytes, whole=True)
    if page is None:
        page = _unbrotli(data, max_bytes)
    return None if page is None or control_heavy(page[:4096]) else page


def _too_large(what: str, max_bytes: int) -> PageError:
    return PageError(f"{what} data unpacking to over the {max_bytes / 2**20:.0f} MB limit")


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
    if len(page) > max_bytes:
        raise _too_large(what, max_bytes)
    if not unpack.eof and (whole or not page):
        return None
    return None if whole and unpack.unused_data else page


def _unzstd(data: bytes, max_bytes: int) -> bytes:
    """`data`'s zstd frame unpacked (a PageError if it does not unpack or is cut off before
    any byte; a cut-off body keeps what it unpacked, as gzip's does)."""
    unpack = zstd.ZstdDecompressor()
    try:
        page = unpack.decompress(data, max_bytes + 1)
    except zstd.ZstdError as exc:
        raise PageError(f"zstd data that does not unpack ({exc}), not a page") from None
    if len(page) > max_bytes:
        raise _too_large("zstd", max_bytes)
    if not page and not unpack.eof:
        raise PageError("zstd data cut off before any page, not a page")
    return page


def _unbrotli(data: bytes, max_bytes: int) -> bytes | None:
    """`data` unpacked as one whole brotli stream, or None."""
    unpack = brotli.Decompressor()
    try:
        page = unpack.process(data, output_buffer_limit=max_bytes + 1)
    except brotli.error:  # not brotli, or bytes after the stream's end
        return None
    if len(page) > max_bytes:
        raise _too_large("brotli", max_bytes)
    return page if unpack.is_finished() else None


class WarcioBrotli:
    """warcio's decoder of `Content-Encoding: br` records (`clf.batch`): warcio calls
    `decompress` and reads `unused_data`, which brotli 1.2's Decompressor has not (warcio 1.8's
    own wrapper fails on it: every br record came out unreadable). Unpacks at most the page
    size limit + 1 bytes, so a brotli bomb stops there; what comes after is dropped."""

    unused_data = b""

    def __init__(self) -> None:
        self._unpack = brotli.Decompressor()

    def decompress(self, data: bytes) -> bytes:
        if not self._unpack.can_accept_more_data():  # the limit was reached
            return b""
        return self._unpack.process(data, output_buffer_limit=MAX_PAGE_BYTES + 1)
