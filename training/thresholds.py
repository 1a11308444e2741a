"""Choose the policy's thresholds where the product runs: on news comments.

Two steps, both on the validation split:

1. **Precision.** Per category, the reject threshold is the lowest score whose
   precision (sources weighted equally) reaches 0.90 and the review threshold
   the lowest reaching 0.70, each within a small budget of healthy news
   comments (UCC) that the category's score alone may flag. This is what a
   category's score means everywhere (tweets, SMS, YouTube, news).
2. **Operating point.** The abuse and attack review thresholds are then moved
   together to flag as many toxic news comments (ToxicSpans posts, all rated
   toxic by Civil Comments raters) as possible while the *verdict* (rules and
   all three scores, as the service computes it) sends at most
   ``HEALTHY_BUDGET["review"]`` of healthy news comments to review and rejects
   at most ``HEALTHY_BUDGET["reject"]``. Precision on the validation mix may
   only fall to ``MIN_REVIEW_PRECISION`` on the way.

``operating_curve`` repeats step 2 for a range of review budgets on the
validation split and measures each point on the test split: the curve in
docs/MODEL.md, from which a site can pick its own point (site policy).
"""

from __future__ import annotations

import numpy as np

from moderation.classifier.types import CATEGORIES

#: Step 1: precision targets and per-category healthy budgets.
PRECISION_POLICY = {
    "reject": {"precision": 0.90, "healthy_budget": {"abuse": 0.003, "attack": 0.003, "promotion": 0.003}},
    # Promotion's score may flag 1.5% of healthy news comments (2% before): the rules catch most news spam,
    # and every healthy comment its score holds is one that abuse and attack cannot flag within the
    # verdict's budget. At 1% the threshold jumps to 0.885 and YouTube promotion F1 falls to 0.79.
    "review": {"precision": 0.70, "healthy_budget": {"abuse": 0.007, "attack": 0.007, "promotion": 0.015}},
}
#: Step 2: shares of healthy news comments the verdict may reject and send to review.
HEALTHY_BUDGET = {"reject": 0.01, "review": 0.05}
#: Step 2 never takes a review threshold whose validation precision is below this.
MIN_REVIEW_PRECISION = 0.5
FALLBACK = {"review": 0.5, "reject": 0.9}

_A, _T = CATEGORIES.index("abuse"), CATEGORIES.index("attack")
REJECT, REVIEW, APPROVE = 2, 1, 0


def rule_levels(hits_per_comment) -> np.ndarray:
    """Return, per comment, 2 if a block rule hit, 1 if only review rules hit, else 0."""
    return np.array(
        [max((REJECT if h.severity == "block" else REVIEW for h in hits), default=APPROVE) for hits in hits_per_comment],
        dtype=np.int8,
    )


def verdict_levels(scores: np.ndarray, rules: np.ndarray, thresholds: dict[str, dict[str, float]]) -> np.ndarray:
    """Return the policy's verdict per comment as 2 reject, 1 review, 0 approve (``classifier.verdicts.verdict_for``)."""
    level = rules.astype(np.int8).copy()
    for k, c in enumerate(CATEGORIES):
        level = np.maximum(level, np.where(scores[:, k] >= thresholds[c]["reject"], REJECT, 0))
        level = np.maximum(level, np.where(scores[:, k] >= thresholds[c]["review"], REVIEW, 0))
    return level


def _weighted_precision(y: np.ndarray, s: np.ndarray, w: np.ndarray, t: float) -> float:
    picked = s >= t
    total = w[picked].sum()
    return float(w[picked & (y == 1)].sum() / total) if total > 0 else 0.0


def precision_thresholds(scores: np.ndarray, Y: np.ndarray, W: np.ndarray, healthy: np.ndarray) -> dict[str, dict[str, float]]:
    """Step 1: per category, the lowest thresholds reaching the precision targets within their healthy budgets."""
    grid = np.round(np.arange(0.05, 0.995, 0.005), 3)
    chosen: dict[str, dict[str, float]] = {}
    for k, category in enumerate(CATEGORIES):
        rows = Y[:, k] >= 0
        y, s, w = Y[rows, k], scores[rows, k], W[rows, k]
        if y.sum() == 0 or y.sum() == len(y):
            chosen[category] = dict(FALLBACK)
            continue
        found = {}
        for level, rule in PRECISION_POLICY.items():
            ok = [
                t
                for t in grid
                if _weighted_precision(y, s, w, t) >= rule["precision"]
                and (not healthy.any() or np.mean(scores[healthy, k] >= t) <= rule["healthy_budget"][category])
            ]
            found[level] = float(ok[0]) if ok else FALLBACK[level]
        found["review"] = min(found["review"], found["reject"])
        chosen[category] = found
    return chosen


def _candidates(scores: np.ndarray, k: int, rows: np.ndarray, low: float, high: float) -> np.ndarray:
    values = np.quantile(scores[rows, k], np.linspace(0, 1, 161)) if rows.any() else np.array([])
    grid = np.unique(np.round(np.concatenate([values, [high]]), 4))
    return grid[(grid >= low) & (grid <= high)]


def operating_point(
    scores: np.ndarray,
    rules: np.ndarray,
    base: dict[str, dict[str, float]],
    healthy: np.ndarray,
    toxic: np.ndarray,
    precision_ok=None,
    budget: dict[str, float] | None = None,
    strict: bool = False,
) -> dict[str, dict[str, float]] | None:
    """Step 2: the abuse and attack review thresholds that flag the most toxic news comments within the budget.

    ``precision_ok(k, t)`` tells whether review threshold ``t`` keeps category
    ``k``'s precision acceptable (None: any threshold). Returns ``base`` with
    the two review thresholds replaced (or unchanged without healthy or toxic
    rows, or when no pair of thresholds keeps the budget; ``strict``: None then).
    """
    budget = dict(HEALTHY_BUDGET, **(budget or {}))
    if not healthy.any() or not toxic.any():
        return base
    rows = healthy | toxic
    sub_scores, sub_rules = scores[rows], rules[rows]
    is_healthy, is_toxic = healthy[rows], toxic[rows]
    # Everything but the two review thresholds is fixed: compute its verdict once.
    fixed = dict(base)
    fixed["abuse"] = {"review": 1.0, "reject": base["abuse"]["reject"]}
    fixed["attack"] = {"review": 1.0, "reject": base["attack"]["reject"]}
    fixed_level = verdict_levels(sub_scores, sub_rules, fixed)
    if np.mean(fixed_level[is_healthy] == REJECT) > budget["reject"] + 1e-12:
        return None if strict else base  # the rules and reject thresholds alone spend the reject budget
    grids = []
    for k, c in ((_A, "abuse"), (_T, "attack")):
        grid = _candidates(sub_scores, k, np.ones(len(sub_scores), bool), 0.02, base[c]["reject"])
        if precision_ok is not None:
            grid = np.array([t for t in grid if precision_ok(k, t)] or [base[c]["reject"]])
        grids.append(grid)
    best, best_key = (None if strict else base), None
    abuse_flags = sub_scores[:, _A][:, None] >= grids[0][None, :]  # (n, len(grid a))
    for t_attack in grids[1]:
        flagged_other = (fixed_level >= REVIEW) | (sub_scores[:, _T] >= t_attack)
        flagged = flagged_other[:, None] | abuse_flags
        review_healthy = (flagged[is_healthy] & (fixed_level[is_healthy] < REJECT)[:, None]).mean(axis=0)
        recall = flagged[is_toxic].mean(axis=0)
        ok = np.flatnonzero(review_healthy <= budget["review"] + 1e-12)
        for j in ok:
            key = (round(float(recall[j]), 6), -float(review_healthy[j]))
            if best_key is None or key > best_key:
                best_key = key
                best = {
                    **base,
                    "abuse": {"review": float(grids[0][j]), "reject": base["abuse"]["reject"]},
                    "attack": {"review": float(t_attack), "reject": base["attack"]["reject"]},
                }
    return best


def precision_check(scores: np.ndarray, Y: np.ndarray, W: np.ndarray, floor: float = MIN_REVIEW_PRECISION):
    """Return ``precision_ok(k, t)``: category ``k``'s weighted validation precision at ``t`` is at least ``floor``."""

    def ok(k: int, t: float) -> bool:
        rows = Y[:, k] >= 0
        return _weighted_precision(Y[rows, k], scores[rows, k], W[rows, k], t) >= floor

    return ok


def choose(
    scores: np.ndarray, Y: np.ndarray, W: np.ndarray, healthy: np.ndarray, toxic: np.ndarray, rules: np.ndarray
) -> dict[str, dict[str, float]]:
    """Return the thresholds of both steps, chosen on validation data."""
    base = precision_thresholds(scores, Y, W, healthy)
    return operating_point(scores, rules, base, healthy, toxic, precision_check(scores, Y, W))


def rates(scores: np.ndarray, rules: np.ndarray, thresholds: dict, healthy: np.ndarray, toxic: np.ndarray) -> dict[str, float]:
    """Return healthy rejected / reviewed and toxic flagged / rejected shares under ``thresholds`` (where there are such rows)."""
    level = verdict_levels(scores, rules, thresholds)
    out = {}
    if healthy.any():
        out["healthy_rejected"] = round(float(np.mean(level[healthy] == REJECT)), 4)
        out["healthy_reviewed"] = round(float(np.mean(level[healthy] == REVIEW)), 4)
    if toxic.any():
        out["toxic_flagged"] = round(float(np.mean(level[toxic] >= REVIEW)), 4)
        out["toxic_rejected"] = round(float(np.mean(level[toxic] == REJECT)), 4)
    return out


def operating_curve(validation: dict, test: dict, base: dict, precision_ok=None, budgets=None) -> list[dict]:
    """Return, per review budget, thresholds chosen on ``validation`` and their rates on ``test``.

    ``validation`` and ``test`` are dicts with ``scores``, ``rules``, ``healthy`` and ``toxic`` arrays.
    """
    # The floor: no abuse or attack review threshold at all (rules, promotion and the reject thresholds only).
    floor = {**base, **{c: {"review": base[c]["reject"], "reject": base[c]["reject"]} for c in ("abuse", "attack")}}
    points = [(None, floor)]
    for review in budgets or (0.03, 0.04, 0.05, 0.06, 0.08, 0.10, 0.15, 0.20):
        chosen = operating_point(
            validation["scores"],
            validation["rules"],
            base,
            validation["healthy"],
            validation["toxic"],
            precision_ok,
            {"review": review},
            strict=True,
        )
        if chosen is not None:  # below the floor no thresholds keep the budget
            points.append((review, chosen))
    out = []
    for review, chosen in points:
        out.append(
            {
                "review_budget": review,
                "thresholds": {c: chosen[c]["review"] for c in ("abuse", "attack")},
                "validation": rates(
                    validation["scores"], validation["rules"], chosen, validation["healthy"], validation["toxic"]
                ),
                "test": rates(test["scores"], test["rules"], chosen, test["healthy"], test["toxic"]),
            }
        )
    return out
