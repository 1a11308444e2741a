"""The facade: load a model once, then ``assess(text)`` / ``assess_many(texts)``.

One pass per comment, in one direction: normalise -> rule hits -> model scores
(the rule hits are model features too) -> the encoder's second stage where the
mode asks for it (``classifier/encoder.py``) -> policy -> evidence spans mapped
back to the original text.

Repetition is never a strike on its own: a comment with nothing promotional in it
(``verdicts.promotional``) is held for review at most for ``promotion``, and for
``abuse`` or ``attack`` when the model would not reject it with its repeated words
and phrases said once (``verdicts.collapse_repeats``, scored again).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from pathlib import Path

import numpy as np

from . import artifact as artifact_mod
from .artifact import Artifact
from .encoder import ENCODER_DIR, MODES, SecondStage, shared_encoder
from .features import word_bounds
from .model import FastScorer, rule_features
from .normalize import Normalized
from .rules import RuleSet
from .site_words import SiteWordLists
from .types import CATEGORIES, Assessment, Span
from .verdicts import Thresholds, collapse_repeats, parse_thresholds, promotional, verdict_for

log = logging.getLogger(__name__)

#: At most this many words per category are model evidence, each carrying at
#: least EVIDENCE_SHARE of the top word's weight. Chosen on the ToxicSpans
#: validation split (span F1, see training/metrics.py).
MAX_MODEL_SPANS = 3
EVIDENCE_SHARE = 0.7
_BATCH = 512


class Assessor:
    """Assess comments with one loaded model, one rule set and one set of thresholds."""

    def __init__(
        self,
        model: Artifact,
        rules: RuleSet | None = None,
        thresholds: Mapping[str, Thresholds] | None = None,
        allowed_domains: Iterable[str] = (),
        encoder: str | None = None,
        encoder_dir: str | None = None,
        encoder_threads: int = 1,
    ):
        """``encoder_dir``: the sentence encoder's folder (default: the shipped one; another only in experiments,
        such as a leave-one-out fold's own fine-tuned encoder); ``encoder_threads``: its intra-op threads (1 in the
        service, a worker per core)."""
        self.artifact = model
        self.pipeline = model.pipeline
        self.normalizer = self.pipeline.named_steps["normalize"].normalizer
        self.rules = rules if rules is not None else self.pipeline.named_steps["features"].rules
        trained_with = model.card.get("training", {}).get("rules_fingerprint")
        if trained_with and trained_with != self.rules.fingerprint:
            log.warning("rule lists differ from those the model was trained with; retrain to re-weight them")
        self.second_stage = SecondStage.from_card(model.card.get("second_stage"))
        mode = encoder or (self.second_stage.default_mode if self.second_stage else "off")
        if mode not in MODES:
            raise ValueError(f"encoder mode must be one of {MODES}, not {mode!r}")
        if self.second_stage is None:
            mode = "off"  # a model trained without the encoder has nothing to stack
        self.encoder_mode = mode
        self.encoder = None
        if mode != "off":
            self.encoder = shared_encoder(encoder_dir or ENCODER_DIR, encoder_threads)
            if self.encoder.sha256 != self.second_stage.encoder_sha256:
                raise ValueError("the model was trained with another encoder file; retrain it or set the encoder mode to off")
        card_thresholds = model.card["thresholds"]
        if mode != "off" and mode in self.second_stage.thresholds:
            card_thresholds = self.second_stage.thresholds[mode]
        self.thresholds = dict(thresholds) if thresholds else parse_thresholds(card_thresholds)
        self.allowed_domains = frozenset(d.lower() for d in allowed_domains)
        self.scorer = FastScorer(self.pipeline)

    @classmethod
    def load(
        cls,
        model_path: Path | str | None = None,
        rules_dir: Path | str | None = None,
        thresholds: Mapping[str, Mapping[str, float]] | None = None,
        allowed_domains: Iterable[str] = (),
        encoder: str | None = None,
        encoder_threads: int = 1,
    ) -> Assessor:
        """Load a model file (default: the shipped model) and, optionally, other rule lists, an encoder mode and the
        encoder's threads."""
        model = artifact_mod.load(model_path)
        rules = RuleSet.load(rules_dir) if rules_dir else RuleSet.load()
        return cls(
            model,
            rules,
            parse_thresholds(thresholds) if thresholds else None,
            allowed_domains,
            encoder,
            encoder_threads=encoder_threads,
        )

    @property
    def version(self) -> str:
        """Return the model version."""
        return self.artifact.version

    def assess(
        self,
        text: str,
        allowed_domains: Iterable[str] | None = None,
        thresholds: Mapping[str, Mapping[str, float]] | None = None,
        site: SiteWordLists | None = None,
    ) -> Assessment:
        """Assess one comment."""
        return self.assess_many([text], allowed_domains, thresholds, site)[0]

    def assess_many(
        self,
        texts: list[str],
        allowed_domains: Iterable[str] | None = None,
        thresholds: Mapping[str, Mapping[str, float]] | None = None,
        site: SiteWordLists | None = None,
    ) -> list[Assessment]:
        """Assess comments in bulk (same results as ``assess`` one by one).

        ``thresholds`` overrides some of the model's (``{category: {"review": p, "reject": p}}``, either
        key may be left out): a site's own operating point. ``site``: the site's own word lists
        (``classifier/site_words.py``): the text is normalised so that their words are recovered too, their
        allowed words and domains silence the packaged rules, and their hits count in the verdict (never in
        the model's features).
        """
        allowed = self.allowed_domains if allowed_domains is None else frozenset(d.lower() for d in allowed_domains)
        if site is not None and not len(site):
            site = None
        if site is not None:
            allowed = allowed | site.allowed_domains
        cuts = self.thresholds_for(thresholds)
        out: list[Assessment] = []
        for start in range(0, len(texts), _BATCH):
            out.extend(self._assess_batch(texts[start : start + _BATCH], allowed, cuts, site))
        return out

    def thresholds_for(self, overrides: Mapping[str, Mapping[str, float]] | None) -> Mapping[str, Thresholds]:
        """Return the review and reject thresholds in force: the model's, with a site's ``overrides`` on top."""
        if not overrides:
            return self.thresholds
        merged = dict(self.thresholds)
        for category, cuts in overrides.items():
            own = merged[category]
            review, reject = float(cuts.get("review", own.review)), float(cuts.get("reject", own.reject))
            if review > reject:  # only one side overridden, past the model's other side: the site's side wins
                review, reject = (review, review) if "review" in cuts else (reject, reject)
            merged[category] = Thresholds(review, reject)
        return merged

    def _assess_batch(
        self, texts: list[str], allowed: frozenset[str], cuts: Mapping[str, Thresholds], site: SiteWordLists | None = None
    ) -> list[Assessment]:
        normalizer = self.normalizer if site is None else site.normalizer_for(self.normalizer)
        norms = [normalizer.normalize(t) for t in texts]
        allow = site.allow if site is not None else None
        hits = [self.rules.match(n, allowed, allow=allow) for n in norms]
        batch, probabilities = self._score(norms, hits)  # the packaged lists' hits only
        if site is not None:
            hits = [own + site.match(n, allowed) for own, n in zip(hits, norms)]
        capped = self._capped(norms, hits, probabilities, cuts, normalizer, allowed, allow)
        results = []
        for i, (norm, rule_hits) in enumerate(zip(norms, hits)):
            scores = {c: float(probabilities[i, k]) for k, c in enumerate(CATEGORIES)}
            verdict, reasons = verdict_for(rule_hits, scores, cuts, capped[i])
            spans = [Span(h.start, h.end, h.category, h.source) for h in rule_hits]
            flagged = [k for k, c in enumerate(CATEGORIES) if scores[c] >= cuts[c].review]
            if flagged:
                bounds = word_bounds(norm.text)
                for k in flagged:
                    if len(bounds):
                        weights = self.scorer.token_weights(batch, i, k, bounds)
                        spans.extend(_model_spans(norm, bounds, weights, CATEGORIES[k]))
            spans = sorted(set(spans), key=lambda s: (s.start, s.end, s.category, s.source))
            results.append(Assessment(verdict, scores, reasons, spans, rule_hits, self.version, norm.text))
        return results


    def _score(self, norms: list[Normalized], hits: list) -> tuple:
        """Return (first-stage batch, probabilities with the second stage where the mode asks for it)."""
        batch = self.scorer.score([n.text for n in norms], rule_features(hits))
        probabilities = batch.probabilities
        if self.encoder is not None:
            inside = np.ones(len(norms), bool) if self.encoder_mode == "all" else self.second_stage.in_band(probabilities)
            rows = np.flatnonzero(inside)
            probabilities = probabilities.copy()
            if not inside.all():  # "uncertain": the rest mapped onto the stacked scale
                probabilities[~inside] = self.second_stage.map_outside(probabilities[~inside])
            if len(rows):
                embeddings = self.encoder.embed([norms[i].text for i in rows])
                probabilities[rows] = self.second_stage.combine(batch.logits[rows], batch.probabilities[rows], embeddings)
        return batch, probabilities

    def _capped(self, norms, hits, probabilities, cuts, normalizer, allowed, allow) -> list[frozenset[str]]:
        """Return, per comment, the categories whose model score may hold it for review but not reject it.

        Nothing promotional in the text: ``promotion`` always, and ``abuse`` or ``attack`` where the model rejects
        the comment as written but not with its repeated words and phrases said once (repetition alone).
        """
        capped = [frozenset()] * len(norms)
        again: list[tuple[int, list[str], str]] = []
        for i, (norm, rule_hits) in enumerate(zip(norms, hits)):
            rejecting = [c for k, c in enumerate(CATEGORIES) if probabilities[i, k] >= cuts[c].reject]
            if not rejecting or promotional(norm, rule_hits):
                continue  # (a cap changes nothing where the model rejects nothing: most comments stop here)
            capped[i] = frozenset({"promotion"})
            rejected = [c for c in rejecting if c != "promotion"]
            collapsed = collapse_repeats(norm.text) if rejected else None
            if collapsed:
                again.append((i, rejected, collapsed))
        if again:
            short = [normalizer.normalize(text) for _, _, text in again]
            _, scores = self._score(short, [self.rules.match(n, allowed, allow=allow) for n in short])
            for row, (i, rejected, _) in enumerate(again):
                by_repetition = {c for c in rejected if scores[row, CATEGORIES.index(c)] < cuts[c].reject}
                capped[i] = capped[i] | by_repetition
        return capped


def _model_spans(norm: Normalized, bounds: np.ndarray, weight: np.ndarray, category: str) -> list[Span]:
    """Return the words that raised ``category``'s score most, as original-text spans.

    At most ``MAX_MODEL_SPANS`` words, each carrying at least ``EVIDENCE_SHARE``
    of the top word's weight; adjacent words make one span.
    """
    top = weight.max()
    if top <= 0:
        return []
    chosen = sorted(j for j in np.argsort(-weight)[:MAX_MODEL_SPANS] if weight[j] >= EVIDENCE_SHARE * top)
    spans: list[Span] = []
    run_start = None
    for pos, j in enumerate(chosen):
        if run_start is None:
            run_start = j
        if pos + 1 < len(chosen) and chosen[pos + 1] == j + 1:
            continue
        a, b = norm.span(int(bounds[run_start, 0]), int(bounds[j, 1]))
        spans.append(Span(a, b, category, "model"))
        run_start = None
    return spans
