"""The scikit-learn pipeline: normalise -> features -> one linear model per category.

``build_pipeline`` returns an ordinary ``sklearn.pipeline.Pipeline`` whose
``predict_proba`` maps raw comment texts to an (n, 3) array of calibrated
probabilities, one column per category in ``CATEGORIES`` order. Features are
hashed TF-IDF word and character n-grams plus the number of rule hits of each
category and severity (the rule lists carry knowledge, obfuscated spellings
included, that the training data has too few examples of).

A dataset labels only some categories, so ``CategoryModel.fit`` takes a label
matrix with -1 for "unknown" and trains each category's logistic regression on
the rows that know it. Probabilities are calibrated afterwards with Platt
scaling on held-out data (``calibrate``), so a score of 0.8 means about 80% of
comments scored so were positive on the validation mix.

For the facade there is a faster path than the pipeline: ``scores_and_evidence``
featurises a batch once, scores it with one weighted sum per category, and
for the comments that need it attributes each category's logit to character
ranges of the normalised text (coefficient x feature value per n-gram
occurrence), which the facade turns into evidence spans.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, ClassifierMixin, TransformerMixin, clone
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline

from .features import HashedTfidf, HashTable, Occurrences, chunks, occurrences
from .normalize import Lexicon, Normalized, Normalizer
from .rules import HIT_KINDS, RuleSet, hit_counts
from .types import CATEGORIES, RuleHit

UNKNOWN = -1
_LETTERS = re.compile("[a-z]+")


class TextNormalizer(TransformerMixin, BaseEstimator):
    """Pipeline step: raw text -> normalised text (see ``classifier.normalize``).

    ``words`` and ``stems`` are the lexicon the normaliser uses to settle
    ambiguous obfuscation, ``allowed`` the allowlist's words it keeps whole; ``fit`` learns the vocabulary of ordinary words
    (letters only, at least 3 of them, in at least ``min_df`` training
    comments), which recovers obfuscated words the lists do not name and
    keeps ordinary words from being joined. All of it is stored with the
    model, so that serving normalises exactly as training did.
    """

    def __init__(self, words=(), stems=(), min_df=20, allowed=()):
        self.words = words
        self.stems = stems
        self.min_df = min_df
        self.allowed = allowed

    def fit(self, X, y=None):
        """Learn the vocabulary of ordinary words from raw texts (None: no vocabulary)."""
        counts: Counter[str] = Counter()
        for text in X if X is not None else ():
            counts.update(set(_LETTERS.findall(text.lower())))
        # One newline-separated string: a handful of bytes per word in the model file.
        self.vocabulary_ = "\n".join(sorted(w for w, c in counts.items() if c >= self.min_df and len(w) >= 3))
        self.n_features_in_ = 1
        return self

    @property
    def normalizer(self) -> Normalizer:
        """Return the (cached) normaliser built from the lexicon and the vocabulary."""
        cached = self.__dict__.get("_normalizer")
        if cached is None:
            vocabulary = getattr(self, "vocabulary_", "")
            words = vocabulary.split("\n") if vocabulary else ()
            lexicon = Lexicon(self.words, self.stems, words, getattr(self, "allowed", ()))
            cached = self.__dict__["_normalizer"] = Normalizer(lexicon)
        return cached

    def __getstate__(self):
        state = dict(self.__dict__)
        state.pop("_normalizer", None)
        return state

    def transform(self, X) -> list[Normalized]:
        """Return the normalised texts (with their offset maps)."""
        normalize = self.normalizer.normalize
        return [normalize(t) for t in X]


def rule_features(hits: list[list[RuleHit]]) -> np.ndarray:
    """Return log(1 + count) of each rule-hit kind (``HIT_KINDS``) per comment."""
    return np.log1p(np.array([hit_counts(h) for h in hits], dtype=np.float64).reshape(-1, len(HIT_KINDS)))


class CommentFeatures(TransformerMixin, BaseEstimator):
    """Pipeline step: normalised comments -> [TF-IDF n-grams | rule-hit counts].

    ``rule_texts`` holds the rule lists the model was trained with, as
    (name, text) pairs, so that the pipeline alone reproduces training.
    """

    def __init__(self, tfidf=None, rule_texts=()):
        self.tfidf = tfidf
        self.rule_texts = rule_texts

    @property
    def rules(self) -> RuleSet:
        """Return the (cached) rule set built from ``rule_texts``."""
        cached = self.__dict__.get("_rules")
        if cached is None:
            cached = self.__dict__["_rules"] = RuleSet.from_texts(dict(self.rule_texts), "<model>")
        return cached

    def __getstate__(self):
        state = dict(self.__dict__)
        state.pop("_rules", None)
        return state

    def fit(self, X, y=None):
        """Fit the TF-IDF vocabulary on the normalised texts."""
        self.tfidf_ = clone(self.tfidf if self.tfidf is not None else HashedTfidf()).fit([n.text for n in X])
        self.n_features_in_ = 1
        return self

    @property
    def n_tfidf(self) -> int:
        """Return the number of n-gram columns (rule columns follow)."""
        return self.tfidf_.n_features

    def transform(self, X, hits: list[list[RuleHit]] | None = None):
        """Return the feature matrix (CSR); ``hits`` reuses rule hits already found."""
        X = list(X)
        if hits is None:
            rules = self.rules
            hits = [rules.match(n) for n in X]
        grams = self.tfidf_.transform([n.text for n in X])
        return sp.hstack([grams, sp.csr_matrix(rule_features(hits))], format="csr")


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(z, -40, 40)))


class CategoryModel(ClassifierMixin, BaseEstimator):
    """One L2-regularised logistic regression per category, Platt-calibrated.

    ``C`` is one inverse regularisation strength per category. ``fit`` takes
    ``Y`` of shape (n, len(CATEGORIES)) with 1, 0 or -1 (unknown) and an
    optional ``sample_weight`` of the same shape.

    ``shared`` optionally labels a broader target every row may know even when
    it does not know a category ("offensive": abusive or attacking, as most
    toxicity datasets label it). A logistic regression on it is fitted first;
    its out-of-fold logit then joins the features of the ``shared_categories``
    heads, so that abuse and attack learn from each other's examples without
    a row ever being given a label it does not have. Because everything is
    linear, the shared head folds into each category's coefficients after
    fitting: serving still computes one weighted sum per category.
    """

    def __init__(
        self, C=(1.0, 1.0, 1.0), max_iter=2000, tol=1e-4, random_state=0, shared_categories=("abuse", "attack"), shared_folds=3
    ):
        self.C = C
        self.max_iter = max_iter
        self.tol = tol
        self.random_state = random_state
        self.shared_categories = shared_categories
        self.shared_folds = shared_folds

    def _logistic(self, C: float) -> LogisticRegression:
        return LogisticRegression(C=C, solver="liblinear", max_iter=self.max_iter, tol=self.tol, random_state=self.random_state)

    def _fit_shared(self, X, shared: np.ndarray, weight: np.ndarray):
        """Return (out-of-fold logits for every row, coefficients, intercept) of the shared head."""
        rows = np.flatnonzero(shared != UNKNOWN)
        if len(rows) == 0 or len(np.unique(shared[rows])) < 2:
            raise ValueError("the shared target needs positive and negative examples")
        fold = np.empty(X.shape[0], dtype=np.int64)
        fold[np.random.RandomState(self.random_state).permutation(X.shape[0])] = np.arange(X.shape[0]) % self.shared_folds
        oof = np.zeros(X.shape[0])
        for f in range(self.shared_folds):
            fit_rows = rows[fold[rows] != f]
            lr = self._logistic(1.0).fit(X[fit_rows], shared[fit_rows], sample_weight=weight[fit_rows])
            oof[fold == f] = lr.decision_function(X[fold == f])
        full = self._logistic(1.0).fit(X[rows], shared[rows], sample_weight=weight[rows])
        return oof, full.coef_[0], full.intercept_[0]

    def fit(self, X, Y, sample_weight=None, shared=None, shared_weight=None):
        """Fit each category on the rows that know its label (see the class docstring for ``shared``)."""
        Y = np.asarray(Y)
        if Y.ndim != 2 or Y.shape[1] != len(CATEGORIES):
            raise ValueError(f"Y must have shape (n, {len(CATEGORIES)})")
        weights = np.ones(Y.shape, dtype=float) if sample_weight is None else np.asarray(sample_weight, dtype=float)
        use_shared = shared is not None and self.shared_folds > 1
        if use_shared:
            shared = np.asarray(shared)
            shared_w = np.ones(len(shared)) if shared_weight is None else np.asarray(shared_weight, dtype=float)
            oof, shared_coef, shared_intercept = self._fit_shared(X, shared, shared_w)
            X_shared = sp.hstack([sp.csr_matrix(X), sp.csr_matrix(oof[:, None])], format="csr")
        coef = np.zeros((X.shape[1], len(CATEGORIES)))
        intercept = np.zeros(len(CATEGORIES))
        self.shared_beta_ = np.zeros(len(CATEGORIES))
        for k, category in enumerate(CATEGORIES):
            rows = np.flatnonzero(Y[:, k] != UNKNOWN)
            if len(rows) == 0 or len(np.unique(Y[rows, k])) < 2:
                raise ValueError(f"category {category!r} needs positive and negative examples")
            lr = self._logistic(self.C[k])
            if use_shared and category in self.shared_categories:
                lr.fit(X_shared[rows], Y[rows, k], sample_weight=weights[rows, k])
                beta = lr.coef_[0, -1]
                coef[:, k] = lr.coef_[0, :-1] + beta * shared_coef
                intercept[k] = lr.intercept_[0] + beta * shared_intercept
                self.shared_beta_[k] = beta
            else:
                lr.fit(X[rows], Y[rows, k], sample_weight=weights[rows, k])
                coef[:, k] = lr.coef_[0]
                intercept[k] = lr.intercept_[0]
        self.coef_ = coef.astype(np.float32)
        self.intercept_ = intercept
        self.calibration_ = np.tile([1.0, 0.0], (len(CATEGORIES), 1))
        self.classes_ = np.arange(len(CATEGORIES))
        self.n_features_in_ = X.shape[1]
        return self

    def calibrate(self, logits: np.ndarray, Y: np.ndarray, sample_weight=None) -> CategoryModel:
        """Fit Platt scaling (p = sigmoid(a * logit + b)) per category on held-out logits."""
        weights = np.ones(Y.shape) if sample_weight is None else np.asarray(sample_weight, dtype=float)
        for k in range(len(CATEGORIES)):
            rows = np.flatnonzero(Y[:, k] != UNKNOWN)
            if len(rows) < 2 or len(np.unique(Y[rows, k])) < 2:
                continue
            platt = LogisticRegression(C=1e4, solver="lbfgs", max_iter=1000)
            platt.fit(logits[rows, k : k + 1], Y[rows, k], sample_weight=weights[rows, k])
            self.calibration_[k] = [platt.coef_[0, 0], platt.intercept_[0]]
        return self

    def decision_function(self, X) -> np.ndarray:
        """Return the uncalibrated logits, shape (n, len(CATEGORIES))."""
        return np.asarray(X @ self.coef_.astype(np.float64)) + self.intercept_

    def probabilities(self, logits: np.ndarray) -> np.ndarray:
        """Return calibrated probabilities for logits."""
        return _sigmoid(logits * self.calibration_[:, 0] + self.calibration_[:, 1])

    def predict_proba(self, X) -> np.ndarray:
        """Return calibrated probabilities, shape (n, len(CATEGORIES))."""
        return self.probabilities(self.decision_function(X))

    def predict(self, X) -> np.ndarray:
        """Return 0/1 per category at probability 0.5."""
        return (self.predict_proba(X) >= 0.5).astype(int)


def build_pipeline(
    rules: RuleSet, *, C=(1.0, 1.0, 1.0), char_ngrams=(2, 5), word_ngrams=(1, 2), min_df=2, max_features=400_000
) -> Pipeline:
    """Return an unfitted pipeline: raw text -> calibrated probabilities per category."""
    lexicon = rules.lexicon()
    tfidf = HashedTfidf(char_ngrams=tuple(char_ngrams), word_ngrams=tuple(word_ngrams), min_df=min_df, max_features=max_features)
    return Pipeline(
        [
            ("normalize", TextNormalizer(tuple(sorted(lexicon.words)), tuple(lexicon.stems), allowed=lexicon.allowlist())),
            ("features", CommentFeatures(tfidf, tuple(sorted(rules.texts.items())))),
            ("model", CategoryModel(C=tuple(C))),
        ]
    )


def digest(pipeline: Pipeline) -> str:
    """Return a stable hash of the fitted pipeline's parameters and arrays (the model version)."""
    h = hashlib.sha256()
    features, model = pipeline.named_steps["features"], pipeline.named_steps["model"]
    tfidf = features.tfidf_
    norm = pipeline.named_steps["normalize"]
    h.update(repr((sorted(norm.words), sorted(norm.stems), features.rule_texts)).encode())
    h.update(getattr(norm, "vocabulary_", "").encode())
    h.update(repr(sorted(tfidf.get_params().items())).encode())
    h.update(repr(sorted(model.get_params().items())).encode())
    for array in (tfidf.vocabulary_, tfidf.idf_, model.coef_, model.intercept_, model.calibration_):
        h.update(np.ascontiguousarray(array).tobytes())
    return h.hexdigest()


@dataclass
class _Chunk:
    """The known n-gram occurrences of one chunk of a batch, for evidence."""

    occ: Occurrences
    index: np.ndarray  # positions of the known occurrences in ``occ``
    doc: np.ndarray  # their document (within the chunk)
    contrib: np.ndarray  # (n, len(CATEGORIES)): coefficient x weight, per occurrence

    def rows(self, doc: int) -> np.ndarray:
        """Return the positions (in ``index``) of document ``doc``'s occurrences."""
        order = self.__dict__.get("_order")
        if order is None:
            order = self.__dict__["_order"] = np.argsort(self.doc, kind="stable")
            self.__dict__["_bounds"] = np.searchsorted(self.doc[order], np.arange(self.doc.max(initial=-1) + 2))
        bounds = self.__dict__["_bounds"]
        if doc + 1 >= len(bounds):
            return order[:0]
        return order[bounds[doc] : bounds[doc + 1]]


@dataclass
class BatchScores:
    """Scores of a batch of normalised texts, with what evidence needs."""

    logits: np.ndarray  # (n, len(CATEGORIES))
    probabilities: np.ndarray  # (n, len(CATEGORIES))
    chunks: list[_Chunk]
    chunk_of: list[tuple[int, int]]  # (chunk index, row within the chunk) per text


class FastScorer:
    """Score normalised texts with a fitted pipeline, without building matrices.

    The vocabulary, IDF and coefficients are packed into one hash table
    (key -> idf and one coefficient per category), so each n-gram occurrence
    costs one memory access; a linear model's logit is then a weighted sum per
    document. Gives the pipeline's numbers (``tests/classifier/test_model.py``).
    """

    def __init__(self, pipeline: Pipeline):
        features: CommentFeatures = pipeline.named_steps["features"]
        self.tfidf: HashedTfidf = features.tfidf_
        self.model: CategoryModel = pipeline.named_steps["model"]
        coef = self.model.coef_.astype(np.float64)
        n = features.n_tfidf
        self._rule_coef = coef[n:]
        # float32 halves the table (coefficients are stored as float32 anyway).
        packed = np.column_stack([self.tfidf.idf_, coef[:n]]).astype(np.float32)
        self.table = HashTable(self.tfidf.vocabulary_, packed)

    def score(self, texts: list[str], rule_matrix: np.ndarray) -> BatchScores:
        """Return logits and calibrated probabilities for normalised ``texts``.

        ``rule_matrix`` is ``rule_features`` of the texts' rule hits.
        """
        logits = rule_matrix @ self._rule_coef + self.model.intercept_
        parts, chunk_of = [], []
        char_ngrams, word_ngrams = tuple(self.tfidf.char_ngrams), tuple(self.tfidf.word_ngrams)
        for number, (a, b) in enumerate(chunks(texts)):
            occ = occurrences(texts[a:b], char_ngrams, word_ngrams, exact=False)
            found, values = self.table.lookup(occ.key)
            index = np.flatnonzero(found)
            values = values[index]
            idf = values[:, 0].astype(np.float64)
            # The same sums for one comment as for many, so assess() and
            # assess_many() agree to the last bit.
            doc = occ.doc[index]
            norm = np.sqrt(np.bincount(doc, weights=idf * idf, minlength=b - a))
            contrib = values[:, 1:] * (idf / norm[doc])[:, None]
            for k in range(contrib.shape[1]):
                logits[a:b, k] += np.bincount(doc, weights=contrib[:, k], minlength=b - a)
            parts.append(_Chunk(occ, index, doc, contrib))
            chunk_of.extend((number, row) for row in range(b - a))
        return BatchScores(logits, self.model.probabilities(logits), parts, chunk_of)

    def token_weights(self, scores: BatchScores, i: int, category: int, bounds: np.ndarray) -> np.ndarray:
        """Return how much each token [start, end) of text ``i`` raised ``category``'s logit.

        Each n-gram occurrence's contribution (coefficient x weight) is spread
        evenly over its characters; a token gets what falls on its characters.
        """
        number, row = scores.chunk_of[i]
        chunk = scores.chunks[number]
        mine = chunk.rows(row)
        length = int(bounds[-1, 1]) if len(bounds) else 0
        start, end = chunk.occ.spans(chunk.index[mine])
        start = np.minimum(np.maximum(start, 0), length)
        end = np.minimum(np.maximum(end, 0), length)
        per_char = chunk.contrib[mine, category] / np.maximum(end - start, 1)
        steps = np.bincount(start, per_char, minlength=length + 1) - np.bincount(end, per_char, minlength=length + 1)
        cumulative = np.concatenate([[0.0], np.cumsum(np.cumsum(steps))])
        return cumulative[bounds[:, 1]] - cumulative[bounds[:, 0]]
