"""`clf batch`: directories, JSONL and WARC in; exactly one record per input page; resumable."""

from __future__ import annotations

import io
import json
from pathlib import Path

import brotli
import pytest
from typer.testing import CliRunner

from clf.batch import run_batch
from clf.cli import app
from clf.unpack import zstd
from tests.conftest import EXAMPLES

PARA = "<p>The council voted to rebuild the pier after the storm tore it apart last winter.</p>"


def _records(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


@pytest.fixture()
def pages_dir(tmp_path: Path) -> Path:
    d = tmp_path / "crawl"
    (d / "sub").mkdir(parents=True)
    (d / "a.html").write_bytes((EXAMPLES / "harbour.html").read_bytes())
    (d / "sub" / "b.txt").write_text((EXAMPLES / "harbour.txt").read_text(encoding="utf-8"))
    (d / "sub" / "c.html").write_text(f"<html><body>{PARA}</body></html>")
    (d / "logo.png").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(64))
    return d


def test_directory_one_record_per_file_errors_included(pages_dir, tmp_path):
    out = tmp_path / "out.jsonl"
    summary = run_batch([str(pages_dir)], out, jobs=1)
    recs = _records(out)
    assert (summary.inputs, summary.outputs, summary.errors) == (4, 4, 1)
    by_id = {Path(r["id"]).name: r for r in recs}
    assert set(by_id) == {"a.html", "b.txt", "c.html", "logo.png"}
    assert "binary data (PNG image)" in by_id["logo.png"]["error"]
    assert "council voted eleven to two" in by_id["a.html"]["article"]
    assert by_id["b.txt"]["segments"][0]["line"] == 1
    assert by_id["a.html"]["quality"]["spam"] is False


def test_two_workers_give_the_same_records_as_one(pages_dir, tmp_path):
    one, two = tmp_path / "one.jsonl", tmp_path / "two.jsonl"
    run_batch([str(pages_dir)], one, jobs=1)
    run_batch([str(pages_dir)], two, jobs=2)
    assert _records(one) == _records(two)


def test_jsonl_input_with_bad_lines(tmp_path):
    src = tmp_path / "pages.jsonl"
    src.write_text(
        "\n".join(
            [
                json.dumps(
                    {"id": "p1", "url": "http://example.org/1", "html": f"<body>{PARA}</body>"}
                ),
                json.dumps(
                    {"id": "p2", "text": "Headline\nFirst line of the story, long enough to read."}
                ),
                "{not json",
                json.dumps({"id": "p4", "url": "http://example.org/4"}),
            ]
        )
        + "\n"
    )
    out = tmp_path / "out.jsonl"
    summary = run_batch([str(src)], out, jobs=1)
    recs = _records(out)
    assert summary.inputs == summary.outputs == 4 and summary.errors == 2
    assert [r["id"] for r in recs][:2] == ["p1", "p2"] and recs[0]["url"] == "http://example.org/1"
    assert "bad JSON line" in recs[2]["error"] and "no 'html' or 'text'" in recs[3]["error"]


def test_warc_responses_with_html(tmp_path):
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    harbour = (EXAMPLES / "harbour.html").read_bytes()
    path = tmp_path / "crawl.warc.gz"
    with path.open("wb") as f:
        writer = WARCWriter(f, gzip=True)
        for i, (ctype, body, encoding) in enumerate(
            [
                ("text/html; charset=utf-8", f"<html><body>{PARA}</body></html>".encode(), ""),
                ("image/png", b"\x89PNG....", ""),
                ("text/html", harbour, ""),
                ("text/html", brotli.compress(harbour), "br"),  # warcio unpacks it with brotli
                ("text/html", brotli.compress(b"a" * (30 * 2**20), quality=1), "br"),  # a bomb
                ("text/html", zstd.compress(harbour), "zstd"),  # warcio leaves it: clf unpacks it
            ]
        ):
            fields = [("Content-Type", ctype)] + (
                [("Content-Encoding", encoding)] if encoding else []
            )
            headers = StatusAndHeaders("200 OK", fields, protocol="HTTP/1.1")
            rec = writer.create_warc_record(
                f"http://example.org/{i}",
                "response",
                payload=io.BytesIO(body),
                http_headers=headers,
            )
            writer.write_record(rec)
    out = tmp_path / "out.jsonl"
    summary = run_batch([str(path)], out, jobs=1)
    recs = _records(out)
    assert summary.inputs == 5 and [r["url"] for r in recs] == [
        f"http://example.org/{i}" for i in (0, 2, 3, 4, 5)
    ]
    assert all("error" not in r for r in recs[:3]) and "error" not in recs[4]
    assert recs[2]["article"] == recs[1]["article"] == recs[4]["article"]
    assert "rebuild" in recs[1]["article"]
    assert "over the 20 MB limit" in recs[3]["error"]  # unpacked only that far


def test_resume_after_an_interrupted_run(pages_dir, tmp_path):
    out = tmp_path / "out.jsonl"
    run_batch([str(pages_dir)], out, jobs=1)
    lines = out.read_text(encoding="utf-8").splitlines(keepends=True)
    out.write_text(lines[0] + lines[1][: len(lines[1]) // 2], encoding="utf-8")  # killed mid-line
    summary = run_batch([str(pages_dir)], out, jobs=1, resume=True)
    recs = _records(out)
    assert summary.skipped == 1 and summary.outputs == 3
    assert len(recs) == 4 and len({r["id"] for r in recs}) == 4


def test_parquet_output(pages_dir, tmp_path):
    pq = pytest.importorskip("pyarrow.parquet")
    out = tmp_path / "out.parquet"
    run_batch([str(pages_dir)], out, fmt="parquet", jobs=1)
    table = pq.read_table(out)
    assert table.num_rows == 4 and set(table.column_names) >= {"id", "article", "segments", "error"}


def test_cli_batch_summary_and_exit_codes(pages_dir, tmp_path):
    out = tmp_path / "out.jsonl"
    res = CliRunner().invoke(app, ["batch", str(pages_dir), "--out", str(out), "--jobs", "1"])
    assert res.exit_code == 1  # one page (the PNG) became an error record
    assert "4 inputs, 4 records written" in res.stderr and "1 errors" in res.stderr
    ok = tmp_path / "ok"
    ok.mkdir()
    (ok / "c.html").write_text(f"<html><body>{PARA}</body></html>")
    res = CliRunner().invoke(app, ["batch", str(ok), "-o", str(tmp_path / "ok.jsonl"), "-j", "1"])
    assert res.exit_code == 0


def test_warc_is_streamed_not_read_whole(tmp_path, monkeypatch):
    """The first page comes out after reading only the start of the file."""
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    from clf.batch import iter_inputs

    path = tmp_path / "big.warc.gz"
    body = (EXAMPLES / "harbour.html").read_bytes()
    with path.open("wb") as f:
        writer = WARCWriter(f, gzip=True)
        for i in range(400):
            headers = StatusAndHeaders(
                "200 OK", [("Content-Type", "text/html")], protocol="HTTP/1.1"
            )
            payload = io.BytesIO(body + f"<!-- {i} {'x' * 2000} -->".encode())
            record = writer.create_warc_record(
                f"http://example.org/{i}", "response", payload=payload, http_headers=headers
            )
            writer.write_record(record)
    opened = []
    real_open = Path.open

    def spy(self, *args, **kwargs):
        fh = real_open(self, *args, **kwargs)
        opened.append(fh)
        return fh

    monkeypatch.setattr(Path, "open", spy)
    items = iter_inputs([str(path)])
    first = next(items)
    assert first.url == "http://example.org/0"
    assert opened and opened[0].tell() < path.stat().st_size / 4
    items.close()


def test_an_unexpected_failure_costs_only_the_page_that_caused_it(pages_dir, tmp_path, monkeypatch):
    """Pages go through the model in runs; when something unforeseen breaks a run, its pages
    are classified one by one, so only the culprit becomes an error record."""
    from clf import classifier

    real = classifier.segment

    def breaks_on_c(text, *args):
        if "council voted to rebuild the pier after the storm" in text:
            raise RuntimeError("boom")
        return real(text, *args)

    monkeypatch.setattr(classifier, "segment", breaks_on_c)
    out = tmp_path / "out.jsonl"
    summary = run_batch([str(pages_dir)], out, jobs=1)
    by_id = {Path(r["id"]).name: r for r in _records(out)}
    assert (summary.outputs, summary.errors) == (4, 2)
    assert by_id["c.html"]["error"] == "unexpected RuntimeError: boom"
    assert "council voted eleven to two" in by_id["a.html"]["article"]
    assert by_id["b.txt"]["segments"][0]["line"] == 1
