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
   comments (UCC and C3's thresholds half) it sends, at most ``MAX_BAND_SHARE``;
   then that mode's own thresholds.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
from sklearn.isotonic import IsotonicRegression
from sklearn.linear_model import LogisticRegression

from moderation.classifier.encoder import ENCODER_DIR, SecondStage, band_mask, shared_encoder
from moderation.classifier.types import CATEGORIES

from . import thresholds as th

HEADS = ("abuse", "attack")
#: At most this share of validation verdicts may differ between "uncertain" and "all".
BAND_DISAGREEMENT = 0.005
#: The band never sends more than this share of news comments to the encoder (the cost's bound). At 0.4 no band met
#: BAND_DISAGREEMENT (0.55% at 37%); at 0.5 the rule chooses (41%, 0.48%), within the latency budget (docs/MODEL.md).
MAX_BAND_SHARE = 0.5

_CACHE: dict[tuple[str, str], np.ndarray] = {}
_LOADED: set[str] = set()  # encoder files whose disk cache this process has read
#: A folder where embeddings are also kept between processes (per encoder file), for experiments that train many
#: times on the same comments (``--leave-one-out``, design comparisons); unset: in memory only.
CACHE_DIR_VARIABLE = "MODERATION_EMBEDDING_CACHE"


def _disk(sha256: str) -> Path | None:
    folder = os.environ.get(CACHE_DIR_VARIABLE)
    return Path(folder) / f"{sha256}.npz" if folder else None


def _load_disk(sha256: str) -> None:
    path = _disk(sha256)
    if path is None or not path.exists() or sha256 in _LOADED:
        return
    with np.load(path) as data:
        for key, vector in zip(data["keys"], data["vectors"]):
            _CACHE.setdefault((sha256, str(key)), vector)
    _LOADED.add(sha256)


def _save_disk(sha256: str) -> None:
    path = _disk(sha256)
    if path is None:
        return
    items = [(k[1], v) for k, v in _CACHE.items() if k[0] == sha256]
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez(path.with_suffix(".tmp.npz"), keys=np.array([k for k, _ in items]), vectors=np.array([v for _, v in items]))
    os.replace(path.with_suffix(".tmp.npz"), path)


def _encoder(encoder_dir: str | None):
    """The encoder with every core this process may use (training is alone on the machine; the service uses one)."""
    return shared_encoder(encoder_dir or ENCODER_DIR, len(os.sched_getaffinity(0)))


def embed(texts: list[str], progress=lambda _m: None, encoder_dir: str | None = None) -> np.ndarray:
    """Return the encoder's embeddings of ``texts`` (cached per process and encoder file, and on disk with
    ``MODERATION_EMBEDDING_CACHE``)."""
    encoder = _encoder(encoder_dir)
    _load_disk(encoder.sha256)
    missing = sorted({t for t in texts if (encoder.sha256, t) not in _CACHE})
    if missing:
        progress(f"embedding {len(missing)} comments with the sentence encoder")
        for start in range(0, len(missing), 2048):
            part = missing[start : start + 2048]
            for text, vector in zip(part, encoder.embed(part)):
                _CACHE[(encoder.sha256, text)] = vector
        _save_disk(encoder.sha256)
    return np.array([_CACHE[(encoder.sha256, t)] for t in texts], dtype=np.float32).reshape(-1, encoder.dimension)


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


#: Knots kept of each category's map for comments outside the band.
OUTSIDE_KNOTS = 64


def fit_outside(first: np.ndarray, stacked: np.ndarray, rows: np.ndarray) -> dict[str, list[list[float]]]:
    """Return, per headed category, a monotone map from first-stage scores to the stacked scores that validation
    comments outside the band had (isotonic regression, read at ``OUTSIDE_KNOTS`` quantiles of the first-stage scores):
    in "uncertain" mode a comment the encoder does not see then ranks with those it does."""
    out = {}
    if rows.sum() < 20:
        return out
    for category in HEADS:
        k = CATEGORIES.index(category)
        x, y = first[rows, k], stacked[rows, k]
        iso = IsotonicRegression(increasing=True, out_of_bounds="clip", y_min=0.0, y_max=1.0).fit(x, y)
        knots = np.unique(np.r_[0.0, np.quantile(x, np.linspace(0, 1, OUTSIDE_KNOTS)), 1.0])
        out[category] = [np.round(knots, 6).tolist(), np.round(iso.predict(knots), 6).tolist()]
    return out


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
    fit_rows: int | None = None,
    W_fit: np.ndarray | None = None,
    encoder_dir: str | None = None,
) -> tuple[SecondStage, dict]:
    """Fit heads, blends, thresholds and band; return the second stage and a report for the card.

    The "validation" arrays are the rows thresholds are chosen on; the blends are fitted on the first ``fit_rows``
    of them only (the validation split: the rest, C3's threshold half, never fits a parameter), weighted by
    ``W_fit`` (default: ``W_valid``'s rows). ``row_weight`` scales those rows' weights (the examples' ``weight``).
    """
    n_fit = len(norm_valid) if fit_rows is None else fit_rows
    W_blend = W_valid[:n_fit] if W_fit is None else W_fit
    E_train, E_valid = embed(norm_train, progress, encoder_dir), embed(norm_valid, progress, encoder_dir)
    heads = {}
    for category in HEADS:
        k = CATEGORIES.index(category)
        rows = Y_train[:, k] >= 0
        head = LogisticRegression(C=C, max_iter=3000).fit(E_train[rows], Y_train[rows, k], sample_weight=W_train[rows, k])
        z = head.decision_function(E_valid[:n_fit])
        known = Y_valid[:n_fit, k] >= 0
        w = W_blend[:, k] if row_weight is None else W_blend[:, k] * row_weight[:n_fit]
        blend = LogisticRegression(C=1e4, max_iter=1000).fit(
            np.column_stack([logits_valid[:n_fit][known, k], z[known]]), Y_valid[:n_fit][known, k], sample_weight=w[known]
        )
        heads[category] = {
            "coef": np.round(head.coef_[0], 6).tolist(),
            "intercept": round(float(head.intercept_[0]), 6),
            "blend": [round(float(x), 6) for x in (*blend.coef_[0], blend.intercept_[0])],
        }
    stage = SecondStage(_encoder(encoder_dir).sha256, heads, (0.0, 1.0))
    stacked = stage.combine(logits_valid, first_valid, E_valid)
    t_all = th.choose(stacked, Y_valid, W_valid, healthy, toxic, rules_valid)
    band, band_stats = choose_band(first_valid, stacked, rules_valid, t_all, news)
    inside = band_mask(first_valid, band)
    outside = fit_outside(first_valid[:n_fit], stacked[:n_fit], ~inside[:n_fit])
    stage = SecondStage(stage.encoder_sha256, heads, band, outside=outside)
    cascade = np.where(inside[:, None], stacked, stage.map_outside(first_valid))
    t_uncertain = th.choose(cascade, Y_valid, W_valid, healthy, toxic, rules_valid)
    stage.thresholds = {"all": t_all, "uncertain": t_uncertain}
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
