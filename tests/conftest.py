from __future__ import annotations

from pathlib import Path

import pytest

import clf

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
SHARED = ROOT.parent / "shared"
needs_data = pytest.mark.skipif(not (SHARED / "data").is_dir(), reason="../shared/data not present")


@pytest.fixture(scope="session")
def model() -> clf.Classifier:
    """The shipped model, loaded once for the whole run (as a scraper would)."""
    return clf.load()


@pytest.fixture(scope="session", autouse=True)
def compiled(model: clf.Classifier) -> None:
    """clf's kernels compiled (and cached) before any test: the CLI notes a first run on
    stderr, which tests that read stderr do not expect (tests/test_cli.py checks the note)."""
    model.classify((EXAMPLES / "harbour.html").read_bytes())


@pytest.fixture(scope="session")
def harbour_html() -> bytes:
    return (EXAMPLES / "harbour.html").read_bytes()


@pytest.fixture(scope="session")
def harbour_txt() -> str:
    return (EXAMPLES / "harbour.txt").read_text(encoding="utf-8")


def pytest_terminal_summary(terminalreporter):
    """After a fuzz run: how many cases, how many crashes, the slowest case."""
    import sys

    mod = sys.modules.get("tests.test_hostile") or sys.modules.get("test_hostile")
    if mod is None or not mod.STATS["cases"]:
        return
    s = mod.STATS
    failed = sum(
        "test_hostile" in r.nodeid and "fuzz" in r.nodeid
        for r in terminalreporter.stats.get("failed", [])
    )
    terminalreporter.write_line(
        f"fuzz: {s['cases']} cases, {failed} failing fuzz tests (crashes), "
        f"{s['errors']} refused with PageError, slowest {s['slowest_s'] * 1000:.0f} ms "
        f"({s['slowest_input']})"
    )
