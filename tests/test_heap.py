"""`keep_freed_memory`: a batch's freed memory stays in the process for the next batch."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

ROUNDS = """
import json, resource, sys
import numpy as np
import clf
applied = clf.keep_freed_memory() if sys.argv[1] == "keep" else None
faults = []
for _ in range(5):  # a batch's worth of blocks, touched, then all freed
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    blocks = [np.ones(10 << 17) for _ in range(4)]  # 4 x 10 MB
    del blocks
    faults.append(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
print(json.dumps({"applied": applied, "faults": faults}))
"""


def _rounds(mode: str) -> dict:
    out = subprocess.run([sys.executable, "-c", ROUNDS, mode], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's malloc only")
def test_freed_blocks_are_not_faulted_in_again():
    default, kept = _rounds("default"), _rounds("keep")
    assert kept["applied"] is True
    # glibc's default hands the freed 40 MB back, and every round faults it in again
    assert min(default["faults"][1:]) > 500
    assert max(kept["faults"][1:]) < 50
