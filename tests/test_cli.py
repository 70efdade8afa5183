"""`clf classify`: formats, stdin, and errors that do not stop a batch."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys

from typer.testing import CliRunner

from clf.classifier import BATCH_PAGES
from clf.cli import app
from tests.conftest import EXAMPLES

runner = CliRunner()
HTML = str(EXAMPLES / "harbour.html")
TXT = str(EXAMPLES / "harbour.txt")


def test_jsonl_has_one_object_per_segment():
    res = runner.invoke(app, ["classify", "--format", "jsonl", TXT])
    assert res.exit_code == 0, res.output
    rows = [json.loads(line) for line in res.stdout.splitlines()]
    *rows, record = rows
    n_lines = sum(1 for line in open(TXT, encoding="utf-8") if line.strip())
    assert len(rows) == n_lines
    assert set(rows[0]) == {"page", "index", "line", "label", "score", "text"}
    assert record["record"] == "page" and record["page"] == TXT and record["segments"] == n_lines
    assert set(record["quality"]["shares"]) == {"article", "clutter", "noise"}
    assert rows[0]["page"] == TXT and rows[0]["line"] == 1
    assert {r["label"] for r in rows} <= {"article", "clutter", "noise"}


def test_html_jsonl_has_no_line_numbers():
    res = runner.invoke(app, ["classify", "-f", "jsonl", HTML])
    rows = [json.loads(line) for line in res.stdout.splitlines()][:-1]
    assert res.exit_code == 0 and rows and all("line" not in r for r in rows)


def test_text_format_prints_the_article_only():
    res = runner.invoke(app, ["classify", "--format", "text", HTML])
    assert res.exit_code == 0
    assert "The town council voted eleven to two" in res.stdout
    assert "Privacy policy" not in res.stdout


def test_human_format_shows_labels_and_scores():
    res = runner.invoke(app, ["classify", HTML])
    assert res.exit_code == 0
    assert "harbour.html" in res.stdout and "article" in res.stdout and "clutter" in res.stdout


def test_a_gzipped_page_file_is_read_like_the_page(tmp_path):
    packed = tmp_path / "harbour.html.gz"
    packed.write_bytes(gzip.compress(open(HTML, "rb").read()))
    plain, unpacked = (
        runner.invoke(app, ["classify", "-f", "text", p]) for p in (HTML, str(packed))
    )
    assert unpacked.exit_code == 0 and unpacked.stdout == plain.stdout
    assert "The town council voted eleven to two" in unpacked.stdout


def test_stdin_and_forced_kind():
    html = open(HTML, encoding="utf-8").read()
    res = runner.invoke(app, ["classify", "-f", "jsonl", "--kind", "text", "-"], input=html)
    rows = [json.loads(line) for line in res.stdout.splitlines()]
    assert res.exit_code == 0
    assert rows[0]["page"] == "-" and rows[0]["text"] == "<!DOCTYPE html>"


def test_missing_file_is_one_line_error_exit_2_and_others_still_processed(tmp_path):
    missing = str(tmp_path / "missing.html")
    proc = subprocess.run(
        [sys.executable, "-m", "clf.cli", "classify", "-f", "jsonl", missing, TXT],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 2
    assert proc.stderr.strip().count("\n") == 0 and "missing.html" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert all(json.loads(line)["page"] == TXT for line in proc.stdout.splitlines())
    assert proc.stdout.strip()


def test_many_pages_in_groups_equal_one_page_at_a_time(tmp_path):
    """The model runs over groups of pages (BATCH_PAGES); across a group boundary, with a
    missing and a binary file among them, each page's output is what it is alone, in order."""
    alone = {}
    for src in (HTML, TXT):
        res = runner.invoke(app, ["classify", "-f", "jsonl", src])
        alone[src] = [json.loads(line) for line in res.stdout.splitlines()]
    names, expected = [], []
    for i in range(BATCH_PAGES + 3):
        if i == 5:
            names.append(str(tmp_path / "missing.html"))
            continue
        path = tmp_path / f"p{i}.{'html' if i % 2 else 'txt'}"
        if i == BATCH_PAGES:
            path.write_bytes(b"\x89PNG\r\n" + bytes(200))
            names.append(str(path))
            continue
        src = HTML if i % 2 else TXT
        path.write_bytes(open(src, "rb").read())
        names.append(str(path))
        expected += [{**row, "page": str(path)} for row in alone[src]]
    res = runner.invoke(app, ["classify", "-f", "jsonl", *names])
    assert res.exit_code == 2
    assert [json.loads(line) for line in res.stdout.splitlines()] == expected
    errors = [line for line in res.stderr.splitlines() if line]
    assert len(errors) == 2 and "missing.html" in errors[0] and "PNG image" in errors[1]


def test_bad_model_path_is_a_clean_error(tmp_path):
    res = runner.invoke(app, ["classify", "--model", str(tmp_path / "m.joblib"), TXT])
    assert res.exit_code == 2 and "model file not found" in res.output


def test_help_lists_options():
    res = runner.invoke(app, ["classify", "--help"])
    assert res.exit_code == 0
    for opt in ("--format", "--kind", "--model"):
        assert opt in res.stdout


def test_closed_pipe_stops_quietly():
    """`clf classify … | head`: the reader leaving is not an error worth a message, and the
    status is a shell's for a tool a closed pipe stopped, as for `cat`."""
    for fmt in ("jsonl", "human"):
        proc = subprocess.Popen(
            [sys.executable, "-m", "clf.cli", "classify", "-f", fmt, HTML, TXT],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        proc.stdout.close()  # before clf writes anything: its first write meets a closed pipe
        err = proc.stderr.read().decode()
        assert proc.wait(timeout=120) == 141, err
        assert err == ""


def test_first_run_says_it_is_compiling(monkeypatch):
    """Before numba's cache holds clf's kernels, the CLI says why the first page is slow."""
    import clf.cli
    from clf.jit import compiled_before
    from clf.stage1 import stage1_pass

    assert compiled_before(stage1_pass)  # the test session compiled it (tests/conftest.py)
    monkeypatch.setattr(clf.cli, "compiled_before", lambda kernel: False)
    res = runner.invoke(app, ["classify", "-f", "jsonl", TXT])
    assert res.exit_code == 0 and json.loads(res.stdout.splitlines()[0])["page"] == TXT
    assert res.stderr == "clf: compiling clf's kernels for this machine, once (about 35 s)\n"


def test_compiled_before_reads_numba_s_cache_index(tmp_path):
    from types import SimpleNamespace

    from clf.jit import compiled_before

    def kernel(index):
        return SimpleNamespace(
            _cache=SimpleNamespace(_cache_file=SimpleNamespace(_index_path=index))
        )

    (tmp_path / "k.nbi").write_bytes(b"")
    assert compiled_before(kernel(str(tmp_path / "k.nbi")))
    assert not compiled_before(kernel(str(tmp_path / "missing.nbi")))
    assert compiled_before(object())  # cannot tell: say nothing
