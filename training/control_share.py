"""How much of a page's first 4 kB is C0 control bytes: real pages against compressed bodies.

    python -m training.control_share --data ../shared/data

`clf.unpack` tries raw deflate and brotli on bytes whose first 4 kB hold control bytes in
over 2 % (neither has a magic number), and `clf.safety` refuses them if they do not unpack.
This prints the share on every page of the shared data (UTF-8 encoded, as a scraper would
save them) and on the same pages deflated, so the threshold can be read against both; how
many of the pages, raw-deflated and brotli-packed, `clf.unpack.readable_page` gives back
exactly; and how many of 5,000 random byte strings (20 bytes to 6 kB, seed 1) it takes for
deflate or brotli.
"""

from __future__ import annotations

import argparse
import random
import zlib
from pathlib import Path

import brotli
import numpy as np

from clf.safety import PageError, control_bytes
from clf.unpack import readable_page
from training.data import DATASETS, DEFAULT_DATA, pages

SAMPLE = 4096  # what clf.safety looks at


def share(data: bytes) -> float:
    """Control bytes in the first `SAMPLE` bytes, as a share of them."""
    head = data[:SAMPLE]
    return control_bytes(np.frombuffer(head, dtype=np.uint8)) / len(head) if head else 0.0


def deflated(data: bytes) -> bytes:
    """Raw deflate, as an HTTP body with `Content-Encoding: deflate` may carry it."""
    packer = zlib.compressobj(6, zlib.DEFLATED, -15)
    return packer.compress(data) + packer.flush()


def _taken(data: bytes) -> bool:
    """Whether random bytes came back unpacked (not refused, not kept as they are)."""
    try:
        return readable_page(data) is not data
    except PageError:
        return False


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    args = ap.parse_args()
    real, packed, back, back_br = [], [], 0, 0
    for name in DATASETS:
        for page in pages(args.data, name):
            raw = page["html"].encode("utf-8", "surrogatepass")
            packed_page = deflated(raw)
            if len(raw) >= SAMPLE:  # short bodies are left out of the deflated side
                packed.append(share(packed_page))
            try:
                back += readable_page(packed_page) == raw
                back_br += readable_page(brotli.compress(raw, quality=5)) == raw
            except PageError:
                pass
            real.append(share(raw))
    real_a, packed_a = np.array(real), np.array(packed)
    print(
        f"{len(real_a)} pages: {np.count_nonzero(real_a)} with any control byte, max {real_a.max():.4f}"
    )
    print(
        f"{len(packed_a)} of them deflated: min {packed_a.min():.4f}, median {np.median(packed_a):.4f}"
    )
    print(f"deflated pages clf.unpack.readable_page gives back exactly: {back} of {len(real_a)}")
    print(f"brotli-packed (quality 5) pages it gives back exactly: {back_br} of {len(real_a)}")
    rng = random.Random(1)
    noise = [rng.randbytes(rng.randint(20, 6000)) for _ in range(5000)]
    taken = sum(_taken(data) for data in noise)
    print(f"random byte strings it takes for deflate or brotli: {taken} of {len(noise)}")


if __name__ == "__main__":
    main()
