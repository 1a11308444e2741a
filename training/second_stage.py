"""Fit the second stage (``classifier/encoder.py``) on top of a fitted first stage.

1. Embed the normalised training and validation comments with the shipped
   encoder (about 200 comments a second on one core; embeddings are cached
   per process by text, so ``--leave-one-out`` embeds each comment once).
2. Per category with a head (abuse, attack): a logistic regression on the
   embeddings of the training rows that know the label, with the training
   weights of the first stage.
3. Blend: on the validation split, ``sigmoid(a * first_logit + b * head_logit
   + c)`` fitted per category (this is also the calibration), each row
   weighted as in training (``Example.weight``: a ToxicSpans post without a
   marked span is a weak negative here too; at full weight the blend learned
   to push toxic news comments down, and mode ``all`` flagged 73% of them at
   the budget instead of 76%).
4. Thresholds for mode ``all`` (``training/thresholds.py`` on the blended
   validation scores); then the band for mode ``uncertain``: the narrowest
   range of first-stage max(abuse, attack) scores such that sending only
   those comments to the encoder changes at most ``BAND_DISAGREEMENT`` of the
   validation verdicts against ``all``, measured as the share of news
   comments (UCC) it sends; then that mode's own thresholds.
"""

from __future__ import annotations

import numpy as np
from sklearn.linear_model import LogisticRegression

from classifier.encoder import SecondStage, band_mask, shared_encoder
from classifier.types import CATEGORIES

from . import thresholds as th

HEADS = ("abuse", "attack")
#: At most this share of validation verdicts may differ between "uncertain" and "all".
BAND_DISAGREEMENT = 0.01
#: The band never sends more than this share of news comments to the encoder (the bulk speed target).
MAX_BAND_SHARE = 0.25

_CACHE: dict[str, np.ndarray] = {}


def embed(texts: list[str], progress=lambda _m: None) -> np.ndarray:
    """Return the encoder's embeddings of ``texts`` (cached per process)."""
    encoder = shared_encoder()
    missing = sorted({t for t in texts if t not in _CACHE})
    if missing:
        progress(f"embedding {len(missing)} comments with the sentence encoder")
        for start in range(0, len(missing), 2048):
            part = missing[start : start + 2048]
            for text, vector in zip(part, encoder.embed(part)):
                _CACHE[text] = vector
    return np.array([_CACHE[t] for t in texts], dtype=np.float32).reshape(-1, encoder.dimension)


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, 1e-7, 1 - 1e-7)
    return np.log(p / (1 - p))


def choose_band(
    first: np.ndarray, stacked: np.ndarray, rules: np.ndarray, thresholds: dict, news: np.ndarray
) -> tuple[tuple[float, float], dict]:
    """Return the band of first-stage scores to send to the encoder, and what it costs and changes."""
    offensive = first[:, [CATEGORIES.index(c) for c in HEADS]].max(axis=1)
    target = th.verdict_levels(stacked, rules, thresholds)
    lows = np.unique(np.round(np.quantile(offensive, np.linspace(0, 0.95, 40)), 4))
    highs = np.unique(np.round(np.quantile(offensive, np.linspace(0.5, 1.0, 26)), 4))
    best, best_key = (0.0, 1.0), None
    for lo in lows:
        for hi in highs[highs >= lo]:
            band = (offensive >= lo) & (offensive <= hi)
            mixed = np.where(band[:, None], stacked, first)
            disagreement = float(np.mean(th.verdict_levels(mixed, rules, thresholds) != target))
            share = float(band[news].mean()) if news.any() else float(band.mean())
            if share > MAX_BAND_SHARE:
                continue
            ok = disagreement <= BAND_DISAGREEMENT
            key = (ok, -share if ok else -disagreement)
            if best_key is None or key > best_key:
                best_key, best = key, (float(lo), float(hi))
                stats = {"disagreement_with_all": round(disagreement, 4), "news_share": round(share, 4)}
    return best, stats


def fit(
    norm_train: list[str],
    norm_valid: list[str],
    Y_train: np.ndarray,
    W_train: np.ndarray,
    Y_valid: np.ndarray,
    W_valid: np.ndarray,
    first_valid: np.ndarray,
    logits_valid: np.ndarray,
    rules_valid: np.ndarray,
    healthy: np.ndarray,
    toxic: np.ndarray,
    news: np.ndarray,
    C: float = 1.0,
    progress=lambda _m: None,
    row_weight: np.ndarray | None = None,
) -> tuple[SecondStage, dict]:
    """Fit heads, blends, thresholds and band; return the second stage and a report for the card.

    ``row_weight`` scales the validation rows' weights in the blends (the examples' ``weight``).
    """
    E_train, E_valid = embed(norm_train, progress), embed(norm_valid, progress)
    heads = {}
    for category in HEADS:
        k = CATEGORIES.index(category)
        rows = Y_train[:, k] >= 0
        head = LogisticRegression(C=C, max_iter=3000).fit(E_train[rows], Y_train[rows, k], sample_weight=W_train[rows, k])
        z = head.decision_function(E_valid)
        known = Y_valid[:, k] >= 0
        w = W_valid[:, k] if row_weight is None else W_valid[:, k] * row_weight
        blend = LogisticRegression(C=1e4, max_iter=1000).fit(
            np.column_stack([logits_valid[known, k], z[known]]), Y_valid[known, k], sample_weight=w[known]
        )
        heads[category] = {
            "coef": np.round(head.coef_[0], 6).tolist(),
            "intercept": round(float(head.intercept_[0]), 6),
            "blend": [round(float(x), 6) for x in (*blend.coef_[0], blend.intercept_[0])],
        }
    stage = SecondStage(shared_encoder().sha256, heads, (0.0, 1.0))
    stacked = stage.combine(logits_valid, first_valid, E_valid)
    t_all = th.choose(stacked, Y_valid, W_valid, healthy, toxic, rules_valid)
    band, band_stats = choose_band(first_valid, stacked, rules_valid, t_all, news)
    cascade = np.where(band_mask(first_valid, band)[:, None], stacked, first_valid)
    t_uncertain = th.choose(cascade, Y_valid, W_valid, healthy, toxic, rules_valid)
    stage = SecondStage(stage.encoder_sha256, heads, band, {"all": t_all, "uncertain": t_uncertain})
    report = {
        "band": list(band),
        **band_stats,
        "validation_news": {
            "off": th.rates(
                first_valid, rules_valid, th.choose(first_valid, Y_valid, W_valid, healthy, toxic, rules_valid), healthy, toxic
            ),
            "uncertain": th.rates(cascade, rules_valid, t_uncertain, healthy, toxic),
            "all": th.rates(stacked, rules_valid, t_all, healthy, toxic),
        },
    }
    return stage, report
