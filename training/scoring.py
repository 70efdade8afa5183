"""Scores: segment-label metrics, and token-level article precision/recall against gold text."""

from __future__ import annotations

import re
from collections import Counter

import numpy as np
from sklearn.metrics import confusion_matrix, precision_recall_fscore_support

from clf.model import LABELS

# The token scoring: a CJK character alone, else a run of letters and digits. A
# combining mark ends a run (`\w` has none), so Indic words are scored in pieces, the same
# for every tool; no held-out page is Indic. Kept as it is so the committed runs reproduce.
TOKENS = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]|[^\W_]+", re.UNICODE)


def tokens(text: str) -> Counter[str]:
    """Words for alphabetic scripts, single characters for CJK (no segmenter needed)."""
    return Counter(t.lower() for t in TOKENS.findall(text))


def token_prf(predicted: str, gold: str) -> tuple[float, float, float]:
    """Bag-of-tokens precision, recall, F1 of one extraction against one gold text."""
    p, g = tokens(predicted), tokens(gold)
    overlap = sum((p & g).values())
    prec = overlap / sum(p.values()) if p else (1.0 if not g else 0.0)
    rec = overlap / sum(g.values()) if g else 1.0
    f1 = 2 * prec * rec / (prec + rec) if prec + rec else 0.0
    return prec, rec, f1


def mean_prf(rows: list[tuple[float, float, float]]) -> dict[str, float]:
    """Per-page scores averaged over pages; F1 of the means, as article-extraction-benchmark does."""
    if not rows:
        return {"pages": 0}
    p = float(np.mean([r[0] for r in rows]))
    r = float(np.mean([r[1] for r in rows]))
    f = 2 * p * r / (p + r) if p + r else 0.0
    return {"pages": len(rows), "precision": round(p, 4), "recall": round(r, 4), "f1": round(f, 4)}


def resampled_counts(groups: list, rounds: int = 2000, seed: int = 0) -> np.ndarray:
    """How often each item is drawn in each of `rounds` resamplings of its groups with
    replacement (rounds × items): a drawn group brings all its items, so an interval from
    these rows respects how items cluster (the pages of one site). Give each item a group of
    its own to resample items."""
    names, which = np.unique(np.asarray(groups), return_inverse=True)
    n = len(names)
    draws = np.random.default_rng(seed).integers(0, n, (rounds, n))
    rows = (draws + n * np.arange(rounds)[:, None]).ravel()
    return np.bincount(rows, minlength=rounds * n).reshape(rounds, n)[:, which]


def label_report(y_true: list[str], y_pred: list[str]) -> dict:
    """Per-label precision/recall/F1, macro-F1 and the confusion matrix (rows = truth)."""
    if not y_true:
        return {"segments": 0}
    p, r, f, n = precision_recall_fscore_support(
        y_true, y_pred, labels=list(LABELS), zero_division=0
    )
    per = {
        lab: {
            "precision": round(float(p[i]), 4),
            "recall": round(float(r[i]), 4),
            "f1": round(float(f[i]), 4),
            "support": int(n[i]),
        }
        for i, lab in enumerate(LABELS)
    }
    present = [i for i in range(len(LABELS)) if n[i] > 0]
    return {
        "segments": len(y_true),
        "labels": per,
        "macro_f1": round(float(np.mean([f[i] for i in present])), 4),
        "confusion": {
            "labels": list(LABELS),
            "matrix": confusion_matrix(y_true, y_pred, labels=list(LABELS)).tolist(),
        },
    }
