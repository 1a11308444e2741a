"""Deterministic train/validation/test splits that keep sources apart, and sample weights.

Whole groups go to one side where a dataset has groups (a YouTube video, the
Impermium test file); within a single-source dataset, rows are assigned by a
hash of their text, so a split never depends on row order or on a random
generator, and duplicated texts always land on the same side.
"""

from __future__ import annotations

import hashlib
from collections import Counter, defaultdict

import numpy as np

from moderation.classifier.types import CATEGORIES

from .datasets import Example

TRAIN, VALIDATION, TEST = "train", "validation", "test"
#: C3 (``training/datasets.load_c3``) never trains and never calibrates: half of its articles choose thresholds
#: (with the validation split's news comments), the other half judge designs.
C3_THRESHOLDS, C3_EVALUATION = "c3-thresholds", "c3-evaluation"
C3_SPLITS = (C3_THRESHOLDS, C3_EVALUATION)

# Groups held out entirely. The YouTube videos held out for testing and for
# validation are different videos from those trained on.
GROUP_SPLITS = {
    "impermium/test_with_solutions": TEST,
    "youtube-spam/Youtube04-Eminem": TEST,
    "youtube-spam/pilot-Psy_9bZkp7q19f0": TEST,
    "youtube-spam/Youtube03-LMFAO": VALIDATION,
}

# (validation share, test share) of rows for sources split by row.
ROW_SPLITS = {
    "impermium": (0.15, 0.0),
    "olid": (0.10, 0.20),
    "davidson": (0.10, 0.0),
    # a quarter of the ToxicSpans posts never trains: the toxic news comments the operating point is judged on
    "toxic-spans": (0.15, 0.25),
    "sms-spam": (0.15, 0.0),
    "ucc": (0.30, 0.40),
    "youtube-spam": (0.0, 0.0),
    "jigsaw-wikipedia": (0.15, 0.15),
    "fox-news": (0.15, 0.15),
    "stormfront": (0.10, 0.10),
    "extra": (0.15, 0.0),
    # moderator labels in `moderation retrain` all train; it judges on the newest decisions it holds out itself
    "moderators": (0.0, 0.0),
}


def _fraction(text: str, salt: str) -> float:
    digest = hashlib.sha256((salt + "\x00" + text).encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def split_of(example: Example) -> str:
    """Return the split of one example."""
    if example.source == "c3":  # by article, so that no article is on both sides
        return C3_THRESHOLDS if _fraction(example.group, "c3") < 0.5 else C3_EVALUATION
    if example.group in GROUP_SPLITS:
        return GROUP_SPLITS[example.group]
    validation, test = ROW_SPLITS.get(example.source, (0.15, 0.0))
    x = _fraction(example.key or example.text, example.source)
    if x < test:
        return TEST
    if x < test + validation:
        return VALIDATION
    return TRAIN


def split(examples: list[Example]) -> dict[str, list[Example]]:
    """Return the examples of each split."""
    out: dict[str, list[Example]] = {TRAIN: [], VALIDATION: [], TEST: [], C3_THRESHOLDS: [], C3_EVALUATION: []}
    for ex in examples:
        out[split_of(ex)].append(ex)
    return out


def healthy_news(examples: list[Example]) -> np.ndarray:
    """Return which examples are healthy news comments: UCC's healthy ones, and C3's that every rater called not
    toxic (crowd level 1). The service's budget of healthy comments flagged is counted on them."""
    return np.array(
        [(e.source == "ucc" and e.labels["abuse"] == 0) or (e.source == "c3" and e.level == 1.0) for e in examples],
        dtype=bool,
    )


def toxic_news(examples: list[Example], c3: bool = True) -> np.ndarray:
    """Return which examples are toxic news comments: ToxicSpans posts (all rated toxic by Civil Comments raters)
    and, with ``c3``, C3's rated toxic on average (crowd level 2 or more of 4)."""
    return np.array(
        [e.source == "toxic-spans" or (c3 and e.source == "c3" and e.level is not None and e.level >= 2.0) for e in examples],
        dtype=bool,
    )


def news_traffic(examples: list[Example]) -> np.ndarray:
    """Return which examples are news comments as a site sends them (UCC and C3: mostly healthy)."""
    return np.array([e.source in ("ucc", "c3") for e in examples], dtype=bool)


def label_matrix(examples: list[Example]) -> np.ndarray:
    """Return (n, len(CATEGORIES)) labels with -1 for unknown."""
    return np.array(
        [[(-1 if ex.labels[c] is None else ex.labels[c]) for c in CATEGORIES] for ex in examples], dtype=np.int64
    ).reshape(-1, len(CATEGORIES))


def offensive_labels(examples: list[Example]) -> np.ndarray:
    """Return the shared "offensive" target: 1 abusive or attacking, 0 neither, -1 unknown.

    A row is offensive when it is labelled abuse or attack. ToxicSpans posts
    were all rated toxic, so they are offensive even where the annotators'
    majority marked no span (and their categories are weak negatives). A row is not offensive when it is labelled
    negative for a category and positive for none: the toxicity datasets label
    what they consider offensive, so their negatives are clean comments.
    """
    out = np.full(len(examples), -1, dtype=np.int64)
    for i, ex in enumerate(examples):
        known = [ex.labels[c] for c in ("abuse", "attack") if ex.labels[c] is not None]
        if 1 in known or ex.source == "toxic-spans":
            out[i] = 1
        elif known:
            out[i] = 0
    return out


# Relative weight of each source in training (a number, or per category with
# "*" for the rest). Sources in a comment register (news sites, forums,
# YouTube) count more than tweets and text messages, since the service scores
# news comments.
SOURCE_WEIGHT: dict[str, float | dict[str, float]] = {
    "impermium": 1.0,
    # News comments, the register the service serves: held-out toxic news flagged 72% -> 76% at the same
    # healthy budget (validation). Healthy news as promotion negatives at 2 cost 0.01 ROC AUC on YouTube and
    # SMS left out (docs/MODEL.md), so promotion keeps weight 1 there.
    "toxic-spans": 2.0,
    "ucc": {"*": 2.0, "promotion": 1.0},
    "youtube-spam": 1.0,
    "olid": 2.0,
    "davidson": 0.5,
    "sms-spam": 0.5,
    # talk-page comments: a comment register, and many healthy comments with links and markup
    "jigsaw-wikipedia": 1.0,
    # news comments, but labelled for group hate only (abuse), their other comments weak negatives
    "fox-news": 1.0,
    # forum sentences, not whole comments
    "stormfront": 0.5,
    "extra": 1.5,
    # the site's own moderators, on the site's own comments: the register the service serves
    "moderators": 2.0,
}


def source_weight(source: str, category: str | None = None) -> float:
    """Return ``source``'s weight for ``category`` (None: a target of its own, such as "offensive")."""
    weight = SOURCE_WEIGHT.get(source, 1.0)
    return weight.get(category, weight["*"]) if isinstance(weight, dict) else weight


def training_weights(examples: list[Example], balance: float = 1.0, Y: np.ndarray | None = None) -> np.ndarray:
    """Return (n, len(CATEGORIES)) sample weights.

    For each category, each source gets a total weight proportional to
    ``SOURCE_WEIGHT`` times the square root of its number of labelled rows (so
    a large source does not drown the others), and inside a source the
    positive and the negative rows share it in proportions moved from their
    natural ratio towards half and half by ``balance`` (1.0: exactly half).
    Balancing inside each source means that the source, and with it its
    register (tweets, SMS, news), cannot predict the label by itself. ``Y``
    gives other labels than the examples' own (one column per target); the
    examples' own labels are further scaled by each row's ``weight``.
    """
    own = Y is None
    row_weight = np.array([ex.weight for ex in examples]) if own else None
    Y = label_matrix(examples) if Y is None else Y.reshape(len(examples), -1)
    W = np.zeros(Y.shape)
    sources = np.array([ex.source for ex in examples])
    for k in range(Y.shape[1]):
        for source in np.unique(sources):
            rows = np.flatnonzero((sources == source) & (Y[:, k] >= 0))
            if not len(rows):
                continue
            total = source_weight(source, CATEGORIES[k] if own else None) * np.sqrt(len(rows))
            pos = rows[Y[rows, k] == 1]
            neg = rows[Y[rows, k] == 0]
            for part, other in ((pos, neg), (neg, pos)):
                if not len(part):
                    continue
                natural = len(part) / len(rows)
                share = natural if not len(other) else (1 - balance) * natural + balance * 0.5
                W[part, k] = total * share / len(part)
            if row_weight is not None:  # a weak label (Example.weight) is weak for the examples' own categories only
                W[rows, k] *= row_weight[rows]
        # Mean weight 1 over the labelled rows keeps C comparable across categories.
        known = Y[:, k] >= 0
        if known.any():
            W[known, k] /= W[known, k].mean()
    return W


def evaluation_weights(examples: list[Example]) -> np.ndarray:
    """Return weights that give every source the same total per category, labels in natural ratio."""
    Y = label_matrix(examples)
    W = np.zeros(Y.shape)
    counts: dict[tuple[int, str], int] = Counter()
    for i, ex in enumerate(examples):
        for k in range(len(CATEGORIES)):
            if Y[i, k] >= 0:
                counts[(k, ex.source)] += 1
    for i, ex in enumerate(examples):
        for k in range(len(CATEGORIES)):
            if Y[i, k] >= 0:
                W[i, k] = 1.0 / counts[(k, ex.source)]
    return W


def describe(parts: dict[str, list[Example]]) -> dict[str, dict[str, int]]:
    """Return row counts per split and source."""
    out: dict[str, dict[str, int]] = defaultdict(dict)
    for name, rows in parts.items():
        for source, n in sorted(Counter(ex.source for ex in rows).items()):
            out[name][source] = n
    return dict(out)
