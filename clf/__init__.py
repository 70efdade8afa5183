"""clf: label the segments of scraped news pages as article / clutter / noise.

import clf
model = clf.load()             # once
page = model.classify(html)    # many times, from any thread
page.article, page.segments
"""

from clf.classifier import Classifier, ModelError, load
from clf.heap import keep_freed_memory
from clf.model import LABELS
from clf.page import Page
from clf.safety import PageError
from clf.segment import Segment

__all__ = [
    "LABELS",
    "Classifier",
    "ModelError",
    "Page",
    "PageError",
    "Segment",
    "keep_freed_memory",
    "load",
]
__version__ = "0.6.0"
