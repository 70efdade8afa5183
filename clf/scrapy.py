"""A Scrapy item pipeline that adds clf's clean article, segment labels and quality to items.

    ITEM_PIPELINES = {"clf.scrapy.CleanPipeline": 300}
    CLF_HTML_FIELD = "html"            # item field holding the page (HTML or text)
    CLF_ARTICLE_FIELD = "article"      # where the clean article goes
    CLF_LABELS_FIELD = "clf_labels"    # [{"label", "score", "text"}, ...]
    CLF_QUALITY_FIELD = "clf_quality"  # the quality dict (spam verdict, shares, reasons, ...)
    CLF_DROP_SPAM = False              # True: drop items whose quality is below CLF_MIN_QUALITY
    CLF_MIN_QUALITY = 0.5
    CLF_MODEL = None                   # model file (default: the shipped model)

Needs the `scrapy` extra.
"""

from __future__ import annotations

from typing import Any

from itemadapter import ItemAdapter
from scrapy.exceptions import DropItem

from clf.classifier import Classifier, load
from clf.safety import PageError


class CleanPipeline:
    def __init__(
        self,
        html_field: str = "html",
        article_field: str = "article",
        labels_field: str = "clf_labels",
        quality_field: str = "clf_quality",
        drop_spam: bool = False,
        min_quality: float = 0.5,
        model_path: str | None = None,
    ) -> None:
        self.html_field = html_field
        self.article_field = article_field
        self.labels_field = labels_field
        self.quality_field = quality_field
        self.drop_spam = drop_spam
        self.min_quality = min_quality
        self.model_path = model_path
        self.model: Classifier | None = None

    @classmethod
    def from_crawler(cls, crawler) -> CleanPipeline:
        s = crawler.settings
        return cls(
            html_field=s.get("CLF_HTML_FIELD", "html"),
            article_field=s.get("CLF_ARTICLE_FIELD", "article"),
            labels_field=s.get("CLF_LABELS_FIELD", "clf_labels"),
            quality_field=s.get("CLF_QUALITY_FIELD", "clf_quality"),
            drop_spam=s.getbool("CLF_DROP_SPAM", False),
            min_quality=s.getfloat("CLF_MIN_QUALITY", 0.5),
            model_path=s.get("CLF_MODEL"),
        )

    def open_spider(self, spider=None) -> None:
        self.model = load(self.model_path)  # once per crawl

    def process_item(self, item: Any, spider=None) -> Any:
        adapter = ItemAdapter(item)
        page_input = adapter.get(self.html_field)
        if page_input is None:
            return item
        if self.model is None:
            self.open_spider()
        try:
            page = self.model.classify(page_input)
        except PageError as exc:
            raise DropItem(f"clf: not a page: {exc}") from None
        if self.drop_spam and not page.keep(self.min_quality):
            raise DropItem(f"clf: spam ({', '.join(page.quality.reasons)})")
        adapter[self.article_field] = page.article
        adapter[self.labels_field] = [
            {"label": r["label"], "score": r["score"], "text": r["text"]}
            for r in page.segment_rows()
        ]
        adapter[self.quality_field] = page.quality.as_dict() if page.quality else None
        return item
