"""Metrics per dataset and category, and the project's quality targets: what ``moderation evaluate`` prints and
``moderation train`` writes into the model card.

Everything is measured through the facade (``Assessor``), the same path the
service uses: rules and model together for verdicts, the model's calibrated
scores for ROC AUC and PR AUC.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn.metrics import average_precision_score, f1_score, roc_auc_score

from moderation.classifier.assessor import Assessor
from moderation.classifier.types import CATEGORIES, Span
from moderation.classifier.verdicts import flagged_categories

from . import thresholds as th
from .datasets import Example
from .splits import evaluation_weights, healthy_news, label_matrix, toxic_news


@dataclass
class Scored:
    """Examples with their scores and what the policy flagged."""

    examples: list[Example]
    scores: np.ndarray  # (n, len(CATEGORIES)) calibrated probabilities
    flagged: np.ndarray  # (n, len(CATEGORIES)) bool: the category is among the verdict's reasons
    verdicts: list[str]
    spans: list[list[Span]]
    rule_levels: np.ndarray  # (n,) 2 a block rule hit, 1 only review rules, 0 none

    @property
    def labels(self) -> np.ndarray:
        """Return (n, len(CATEGORIES)) labels, -1 unknown."""
        return label_matrix(self.examples)

    def __add__(self, other: Scored) -> Scored:
        """Return both sets of rows, these first."""
        return Scored(
            self.examples + other.examples,
            np.vstack([self.scores, other.scores]),
            np.vstack([self.flagged, other.flagged]),
            self.verdicts + other.verdicts,
            self.spans + other.spans,
            np.r_[self.rule_levels, other.rule_levels],
        )

    def subset(self, rows: np.ndarray) -> Scored:
        """Return the rows ``rows``."""
        return Scored(
            [self.examples[i] for i in rows],
            self.scores[rows],
            self.flagged[rows],
            [self.verdicts[i] for i in rows],
            [self.spans[i] for i in rows],
            self.rule_levels[rows],
        )


def score_examples(assessor: Assessor, examples: list[Example]) -> Scored:
    """Assess every example through the facade."""
    results = assessor.assess_many([e.text for e in examples])
    scores = np.array([[r.scores[c] for c in CATEGORIES] for r in results]).reshape(-1, len(CATEGORIES))
    flagged = np.array([[c in flagged_categories(r.reasons) for c in CATEGORIES] for r in results], dtype=bool)
    return Scored(
        examples,
        scores,
        flagged.reshape(-1, len(CATEGORIES)),
        [r.verdict for r in results],
        [r.spans for r in results],
        th.rule_levels([r.rule_hits for r in results]),
    )


def category_metrics(y: np.ndarray, score: np.ndarray, flagged: np.ndarray, review: float, reject: float) -> dict:
    """Return ROC AUC, PR AUC and precision/recall at the thresholds and for the policy."""
    out: dict = {"n": len(y), "positives": int(y.sum())}
    if 0 < y.sum() < len(y):
        out["roc_auc"] = round(float(roc_auc_score(y, score)), 4)
        out["pr_auc"] = round(float(average_precision_score(y, score)), 4)
    for name, predicted in (
        ("review_threshold", score >= review),
        ("reject_threshold", score >= reject),
        ("policy", flagged),
    ):
        tp = int((predicted & (y == 1)).sum())
        out[name] = {
            "precision": round(tp / predicted.sum(), 4) if predicted.sum() else None,
            "recall": round(tp / y.sum(), 4) if y.sum() else None,
            "flagged_rate": round(float(predicted.mean()), 4) if len(y) else None,
        }
    if 0 < y.sum() < len(y):
        out["policy"]["f1"] = round(float(f1_score(y, flagged)), 4)
    return out


def metrics_by_group(scored: Scored, thresholds: dict) -> dict:
    """Return {group: {category: metrics}} for every labelled (group, category)."""
    Y = scored.labels
    groups = np.array([e.group for e in scored.examples])
    out: dict = {}
    for group in sorted(set(groups)):
        rows = groups == group
        for k, category in enumerate(CATEGORIES):
            known = rows & (Y[:, k] >= 0)
            if not known.any():
                continue
            t = thresholds[category]
            out.setdefault(group, {})[category] = category_metrics(
                Y[known, k], scored.scores[known, k], scored.flagged[known, k], t["review"], t["reject"]
            )
    return out


def evidence_f1(scored: Scored) -> dict | None:
    """Return how well abuse/attack evidence matches annotated spans (ToxicSpans).

    Per comment with annotated spans: F1 between the characters our abuse and
    attack spans cover and the characters the annotators' majority marked
    (spaces ignored), averaged over comments as in SemEval-2021 Task 5.
    ``span_f1`` averages over the comments the service flags for abuse or
    attack (the ones that show evidence); ``span_f1_all`` over every annotated
    comment, an unflagged one counting 0.
    """
    values, annotated = [], 0
    a, t = CATEGORIES.index("abuse"), CATEGORIES.index("attack")
    for example, spans, flagged in zip(scored.examples, scored.spans, scored.flagged):
        if not example.spans:
            continue
        annotated += 1
        if not (flagged[a] or flagged[t]):
            continue
        text = example.text
        gold = {i for x, y, _ in example.spans for i in range(x, y) if not text[i].isspace()}
        pred = {i for s in spans if s.category in ("abuse", "attack") for i in range(s.start, s.end) if not text[i].isspace()}
        overlap = len(gold & pred)
        values.append(2 * overlap / (len(gold) + len(pred)) if overlap else 0.0)
    if not annotated:
        return None
    return {
        "annotated": annotated,
        "flagged": round(len(values) / annotated, 4),
        "span_f1": round(float(np.mean(values)), 4) if values else None,
        "span_f1_all": round(float(np.sum(values)) / annotated, 4),
    }


def _news_arrays(scored: Scored) -> dict:
    return {
        "scores": scored.scores,
        "rules": scored.rule_levels,
        "healthy": healthy_news(scored.examples),
        "toxic": toxic_news(scored.examples),
    }


def operating_curve(validation: Scored, test: Scored) -> list[dict]:
    """Return the news-comment operating curve: thresholds chosen on validation per review budget, rates on test."""
    valid = _news_arrays(validation)
    W = evaluation_weights(validation.examples)
    if (W > 0).any():
        W = W / W[W > 0].mean()
    base = th.precision_thresholds(validation.scores, validation.labels, W, valid["healthy"])
    return th.operating_curve(valid, _news_arrays(test), base, th.precision_check(validation.scores, validation.labels, W))


def format_curve(curve: list[dict]) -> str:
    """Return the operating curve as a text table."""
    lines = [
        "operating points for news comments (thresholds chosen on validation and C3's threshold half; judged on the test",
        "split and C3's evaluation half: healthy = UCC and C3 healthy, toxic = ToxicSpans and C3 rated toxic;",
        "budget none = no abuse/attack review threshold: rules, promotion and the reject thresholds alone)",
        f"{'review budget':>13s} {'abuse at':>9s} {'attack at':>9s} {'healthy rejected':>17s} {'healthy reviewed':>17s} {'toxic flagged':>14s}",
    ]
    for point in curve:
        t = point["test"]
        budget = "none" if point["review_budget"] is None else f"{100 * point['review_budget']:.0f}%"
        lines.append(
            f"{budget:>13s} {point['thresholds']['abuse']:9.3f} {point['thresholds']['attack']:9.3f} "
            f"{100 * t['healthy_rejected']:16.1f}% {100 * t['healthy_reviewed']:16.1f}% {100 * t['toxic_flagged']:13.1f}%"
        )
    return "\n".join(lines)


def news_rates(scored: Scored, thresholds: dict) -> dict[str, float]:
    """Return the news-comment operating point: healthy news (UCC, C3) rejected/reviewed, ToxicSpans flagged/rejected."""
    healthy = healthy_news(scored.examples)
    toxic = toxic_news(scored.examples, c3=False)
    out = th.rates(scored.scores, scored.rule_levels, thresholds, healthy, toxic)
    Y = scored.labels
    for category in ("abuse", "attack"):
        k = CATEGORIES.index(category)
        rows = toxic & (Y[:, k] == 1)
        if rows.any():
            out[f"toxic_{category}_flagged_for_{category}"] = float(scored.flagged[rows, k].mean())
    return {key: round(v, 4) for key, v in out.items()}


TARGETS = {
    "attack_roc_auc_impermium_test": (">=", 0.85),
    "offensive_roc_auc_olid_heldout": (">=", 0.85),
    "promotion_f1_youtube_heldout_videos": (">=", 0.92),
    # issue 22: on held-out news comments, UCC's test split and C3's evaluation half
    "healthy_news_rejected": ("<=", 0.01),
    "healthy_news_reviewed": ("<=", 0.05),
    "toxic_news_flagged": (">=", 0.90),
}


def c3_metrics(scored: Scored) -> dict:
    """Return what C3 (never trained on) says of a model: ROC AUC of attack and abuse against the raters' votes, of
    max(abuse, attack) against the crowd's toxicity level (2 or more against 1), and the verdicts on its comments."""
    Y = scored.labels
    out: dict = {"n": len(scored.examples)}
    for category in ("attack", "abuse"):
        k = CATEGORIES.index(category)
        known = Y[:, k] >= 0
        if known.any() and 0 < Y[known, k].sum() < known.sum():
            out[f"{category}_roc_auc"] = round(float(roc_auc_score(Y[known, k], scored.scores[known, k])), 4)
            out[f"{category}_positives"] = int(Y[known, k].sum())
    offensive = scored.scores[:, [CATEGORIES.index("abuse"), CATEGORIES.index("attack")]].max(axis=1)
    healthy, toxic = healthy_news(scored.examples), toxic_news(scored.examples)
    rows = healthy | toxic
    if healthy.any() and toxic.any():
        out["toxicity_roc_auc"] = round(float(roc_auc_score(toxic[rows].astype(int), offensive[rows])), 4)
    verdicts = np.array(scored.verdicts)
    if healthy.any():
        out["healthy_rejected"] = round(float(np.mean(verdicts[healthy] == "reject")), 4)
        out["healthy_reviewed"] = round(float(np.mean(verdicts[healthy] == "review")), 4)
    if toxic.any():
        out["toxic_flagged"] = round(float(np.mean(verdicts[toxic] != "approve")), 4)
    return out


def target_values(test: Scored, c3: Scored | None = None) -> dict[str, float]:
    """Compute the quality targets on the test split (held out by source) and C3's evaluation half."""
    values: dict[str, float] = {}
    groups = np.array([e.group for e in test.examples])
    Y = test.labels
    a, k_att, p = CATEGORIES.index("abuse"), CATEGORIES.index("attack"), CATEGORIES.index("promotion")
    rows = groups == "impermium/test_with_solutions"
    if rows.any():
        values["attack_roc_auc_impermium_test"] = float(roc_auc_score(Y[rows, k_att], test.scores[rows, k_att]))
    rows = groups == "olid"
    if rows.any():
        offensive = ((Y[rows, a] == 1) | (Y[rows, k_att] == 1)).astype(int)
        values["offensive_roc_auc_olid_heldout"] = float(
            roc_auc_score(offensive, np.maximum(test.scores[rows, a], test.scores[rows, k_att]))
        )
    rows = np.array([g.startswith("youtube-spam/") for g in groups], dtype=bool)
    if rows.any():
        values["promotion_f1_youtube_heldout_videos"] = float(f1_score(Y[rows, p], test.flagged[rows, p]))
    verdicts = np.array(test.verdicts + (c3.verdicts if c3 is not None else []))
    healthy = np.r_[healthy_news(test.examples), healthy_news(c3.examples) if c3 is not None else np.zeros(0, bool)]
    if healthy.any():
        values["healthy_news_rejected"] = float(np.mean(verdicts[healthy] == "reject"))
        values["healthy_news_reviewed"] = float(np.mean(verdicts[healthy] == "review"))
    rows = toxic_news(test.examples, c3=False)
    if rows.any():
        values["toxic_news_flagged"] = float(np.mean(np.array(test.verdicts)[rows] != "approve"))
    return values


def check_targets(values: dict[str, float]) -> dict[str, dict]:
    """Return each target with its value, bound and whether it is met."""
    out = {}
    for name, (op, bound) in TARGETS.items():
        if name in values:
            v = values[name]
            out[name] = {"value": round(v, 4), "target": f"{op} {bound}", "met": v >= bound if op == ">=" else v <= bound}
    return out


def format_metrics(title: str, by_group: dict) -> str:
    """Return a text table of per-group, per-category metrics."""
    header = (
        f"{'dataset':40s} {'category':10s} {'n':>6s} {'pos':>6s} {'ROC AUC':>8s} {'PR AUC':>7s} "
        f"{'P@rev':>6s} {'R@rev':>6s} {'P@rej':>6s} {'R@rej':>6s} {'P pol':>6s} {'R pol':>6s} {'flag%':>6s}"
    )
    lines = [title, header]

    def f(x):
        return "-" if x is None else f"{x:.3f}"

    for group, cats in by_group.items():
        for category, m in cats.items():
            lines.append(
                f"{group:40s} {category:10s} {m['n']:6d} {m['positives']:6d} {f(m.get('roc_auc')):>8s} {f(m.get('pr_auc')):>7s} "
                f"{f(m['review_threshold']['precision']):>6s} {f(m['review_threshold']['recall']):>6s} "
                f"{f(m['reject_threshold']['precision']):>6s} {f(m['reject_threshold']['recall']):>6s} "
                f"{f(m['policy']['precision']):>6s} {f(m['policy']['recall']):>6s} "
                f"{100 * m['policy']['flagged_rate']:6.2f}"
            )
    return "\n".join(lines)


def format_targets(checked: dict) -> str:
    """Return a text list of targets."""
    lines = ["targets (test split, held out by source)"]
    for name, t in checked.items():
        lines.append(f"  {'ok  ' if t['met'] else 'MISS'} {name:40s} {t['value']:.4f}  (target {t['target']})")
    return "\n".join(lines)
