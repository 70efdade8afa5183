from __future__ import annotations

from pathlib import Path

import pytest

import clf

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
SHARED = ROOT.parent / "shared"


@pytest.fixture(scope="session")
def model() -> clf.Classifier:
    """The shipped model, loaded once for the whole run (as a scraper would)."""
    return clf.load()


@pytest.fixture(scope="session")
def harbour_html() -> bytes:
    return (EXAMPLES / "harbour.html").read_bytes()


@pytest.fixture(scope="session")
def harbour_txt() -> str:
    return (EXAMPLES / "harbour.txt").read_text(encoding="utf-8")
