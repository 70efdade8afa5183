"""The error-analysis notebook runs top to bottom on a small sample of the test split."""

from __future__ import annotations

import pytest

from tests.conftest import ROOT, needs_data

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")


@needs_data
def test_error_analysis_notebook_executes(monkeypatch):
    monkeypatch.setenv("CLF_NB_LIMIT", "4")
    nb = nbformat.read(ROOT / "notebooks" / "error_analysis.ipynb", as_version=4)
    nbclient.NotebookClient(
        nb,
        timeout=600,
        kernel_name="python3",
        resources={"metadata": {"path": str(ROOT / "notebooks")}},
    ).execute()
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    assert not [o for o in outputs if o.get("output_type") == "error"]
    images = [o for o in outputs if "image/png" in o.get("data", {})]
    assert len(images) >= 3  # confusion matrices, F1 bars, calibration
    text = "".join(o.get("text", "") for o in outputs)
    assert "held-out pages" in text and "words:" in text and "token P" in text
