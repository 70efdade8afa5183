"""A real Scrapy crawl against a local HTTP server (127.0.0.1) with clf's item pipeline."""

from __future__ import annotations

import html
import json
import subprocess
import sys
import threading
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.conftest import EXAMPLES, SHARED

pytest.importorskip("scrapy")

SPIDER = """
import scrapy


class Pages(scrapy.Spider):
    name = "pages"

    def __init__(self, start="", **kw):
        super().__init__(**kw)
        self.start_urls = [start]

    def parse(self, response):
        for href in response.css("a::attr(href)").getall():
            yield response.follow(href, self.page)

    def page(self, response):
        yield {"url": response.url, "html": response.text}
"""


def _render(text: str, title: str) -> str:
    lines = [line for line in text.splitlines() if line.strip()]
    body = "".join(f"<p>{html.escape(line)}</p>" for line in lines)
    return f"<html><head><meta charset='utf-8'><title>{html.escape(title)}</title></head><body>{body}</body></html>"


@pytest.fixture()
def site(tmp_path: Path):
    root = tmp_path / "site"
    root.mkdir()
    names = []
    seeds = SHARED / "seeds"
    for seed in sorted(seeds.glob("*.txt")) if seeds.is_dir() else []:
        text = seed.read_text(encoding="utf-8")
        (root / f"{seed.stem}.html").write_text(
            _render(text, text.splitlines()[0]), encoding="utf-8"
        )
        names.append(f"{seed.stem}.html")
    (root / "harbour.html").write_bytes((EXAMPLES / "harbour.html").read_bytes())
    names.append("harbour.html")
    links = "".join(f'<a href="{n}">{n}</a>' for n in names)
    (root / "index.html").write_text(f"<html><body>{links}</body></html>")
    server = ThreadingHTTPServer(
        ("127.0.0.1", 0), partial(SimpleHTTPRequestHandler, directory=str(root))
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/index.html", names
    server.shutdown()


def test_crawl_with_clean_pipeline_drops_spam_and_adds_fields(site, tmp_path):
    start, names = site
    spider = tmp_path / "spider.py"
    spider.write_text(SPIDER)
    items_path = tmp_path / "items.jsonl"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "scrapy",
            "runspider",
            str(spider),
            "-a",
            f"start={start}",
            "-O",
            str(items_path),
            "-s",
            'ITEM_PIPELINES={"clf.scrapy.CleanPipeline": 300}',
            "-s",
            "CLF_DROP_SPAM=True",
            "-s",
            "CLF_ARTICLE_FIELD=clean_text",
            "-s",
            "LOG_LEVEL=INFO",
            "-s",
            "ROBOTSTXT_OBEY=False",
            "-s",
            "TELNETCONSOLE_ENABLED=False",
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    items = {
        Path(json.loads(line)["url"]).name: json.loads(line)
        for line in items_path.read_text().splitlines()
    }
    harbour = items["harbour.html"]
    assert "council voted eleven to two" in harbour["clean_text"]
    assert {x["label"] for x in harbour["clf_labels"]} <= {"article", "clutter", "noise"}
    assert harbour["clf_quality"]["spam"] is False
    spam_seed = "001_6593d74dea1255fa.html"
    if spam_seed in names:
        assert spam_seed not in items  # dropped as spam
        assert "clf: spam" in proc.stderr
        assert set(items) == set(names) - {spam_seed}
