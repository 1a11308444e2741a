"""TF-IDF over word and character n-grams, computed with NumPy.

scikit-learn's ``TfidfVectorizer`` builds n-grams one Python string at a time;
for one 300-character comment that costs about a millisecond. Here every
n-gram is identified by a 64-bit polynomial hash of its characters, computed
for every position of a batch at once from prefix sums, so featurising costs a
few dozen NumPy calls whatever the batch size. The vocabulary is the sorted
array of kept hashes (collisions between 64-bit hashes are negligible).

Weighting: each occurrence of a kept n-gram weighs its IDF; a document's
vector is the sum of its occurrences, divided by the square root of the sum of
their squared weights. When no n-gram repeats this is exactly L2-normalised
TF-IDF; a repeated n-gram grows with the square root of its count rather than
swamping the rest. Because the norm needs no per-document counting, a linear
model's score is a plain weighted sum over occurrences (``OccurrenceWeights``),
which is what makes bulk scoring fast; ``transform`` builds the same numbers as
a CSR matrix for scikit-learn.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, TransformerMixin

_U64 = np.uint64
_P = 0x9E3779B97F4A7C15  # odd, so invertible modulo 2**64
_Q = pow(_P, -1, 1 << 64)
# Each kind of n-gram gets its own salt, XORed into the raw hash: a plain
# "raw + width" let " i" (width 2) and "\0 h" (width 3) collide.
_SALT_CHAR = [_U64(0x2545F4914F6CDD1D * (w + 1) % (1 << 64) ^ 0x9E6C63D0676A9A99) for w in range(64)]
_SALT_WORD = _U64(0x5851F42D4C957F2D)
_SALT_BIGRAM = _U64(0x14057B7EF767814F)
_BIGRAM_MUL = _U64(0xD6E8FEB86659FD93)
# Batches are featurised a few thousand characters at a time: the arrays then
# stay small enough for malloc to reuse memory instead of mapping fresh pages
# for every call, which made large batches three times slower per comment.
_CHUNK_CHARS = 4000
_SMALL_LOOKUP = 3_000  # below this many keys, binary search beats the hash table


def _powers(base: int, n: int) -> np.ndarray:
    """Return base**k mod 2**64 for k in range(n)."""
    out = np.empty(n, dtype=_U64)
    out[0] = 1
    block = 1
    with np.errstate(over="ignore"):
        while block < n:  # out[block:2*block] = out[:block] * base**block
            end = min(2 * block, n)
            np.multiply(out[: end - block], _U64(pow(base, block, 1 << 64)), out=out[block:end])
            block = end
    return out


class _Powers:
    """P**k and Q**k modulo 2**64 for k < len, grown on demand."""

    p = np.ones(1, dtype=_U64)
    q = np.ones(1, dtype=_U64)

    @classmethod
    def ensure(cls, n: int) -> None:
        if len(cls.p) < n:
            size = max(n, 2 * len(cls.p), 1 << 14)
            cls.p, cls.q = _powers(_P, size), _powers(_Q, size)


def _mix(h: np.ndarray) -> np.ndarray:
    """Finalise hashes (SplitMix64), so that all their bits are well spread."""
    with np.errstate(over="ignore"):
        h = h ^ (h >> _U64(30))
        h *= _U64(0xBF58476D1CE4E5B9)
        h ^= h >> _U64(27)
        h *= _U64(0x94D049BB133111EB)
        h ^= h >> _U64(31)
    return h


# Word characters: ASCII letters and digits, and every non-ASCII character
# (the normaliser has already turned non-ASCII spaces into spaces, folded
# look-alikes and dropped format characters); an apostrophe between two word
# characters joins them.
_IS_WORD = np.zeros(0x110000, dtype=bool)
for _c in "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789":
    _IS_WORD[ord(_c)] = True
_IS_WORD[0xA1:] = True


def _word_edges(codes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return word starts and ends in ``codes`` (which must start and end with a non-word)."""
    word = np.take(_IS_WORD, codes)
    word[1:-1] |= (codes[1:-1] == 39) & word[:-2] & word[2:]
    rise = word[1:] & ~word[:-1]
    fall = word[:-1] & ~word[1:]
    return np.flatnonzero(rise) + 1, np.flatnonzero(fall) + 1


def word_bounds(text: str) -> np.ndarray:
    """Return the (start, end) of every word of ``text``, as the n-gram features see words."""
    codes = np.frombuffer((" " + text + " ").encode("utf-32-le"), dtype=np.uint32)
    starts, ends = _word_edges(codes)
    return np.stack([starts - 1, ends - 1], axis=1)


def chunks(texts: list[str], max_chars: int = _CHUNK_CHARS) -> list[tuple[int, int]]:
    """Split ``texts`` into consecutive [start, end) ranges of about ``max_chars`` characters."""
    out, start, size = [], 0, 0
    for i, text in enumerate(texts):
        size += len(text) + 3
        if size >= max_chars:
            out.append((start, i + 1))
            start, size = i + 1, 0
    if start < len(texts):
        out.append((start, len(texts)))
    return out


class Occurrences:
    """Every n-gram occurrence of a batch: feature key, document, and (on demand) where it is.

    Positions are kept as parts: a run of every position of one character
    n-gram width (``count``, ``width``) or explicit arrays (filtered runs,
    words, bigrams), and only turned into arrays when evidence needs them.
    """

    def __init__(self, key: np.ndarray, parts: list, doc_of: np.ndarray, base: np.ndarray, single: bool):
        self.key = key  # uint64, n-gram hash
        self.parts = parts  # ("run", count, width) or ("at", lo, hi)
        self.doc_of = doc_of  # per position of the padded string: its document
        self.base = base  # per document: where its text starts in the padded string
        self.single = single
        self._lo = self._hi = self._doc = None

    @property
    def lo(self) -> np.ndarray:
        """Return where every occurrence starts in the batch's padded string."""
        if self._lo is None:
            self._lo = np.concatenate([np.arange(p[1]) if p[0] == "run" else p[1] for p in self.parts] or [np.zeros(0, np.int64)])
        return self._lo

    @property
    def hi(self) -> np.ndarray:
        """Return where every occurrence ends (exclusive) in the batch's padded string."""
        if self._hi is None:
            self._hi = np.concatenate(
                [np.arange(p[2], p[1] + p[2]) if p[0] == "run" else p[2] for p in self.parts] or [np.zeros(0, np.int64)]
            )
        return self._hi

    @property
    def doc(self) -> np.ndarray:
        """Return the document of every occurrence."""
        if self._doc is None:
            if self.single:
                self._doc = np.zeros(len(self.key), dtype=np.int64)
            else:
                pieces = [self.doc_of[: p[1]] if p[0] == "run" else np.take(self.doc_of, p[1]) for p in self.parts]
                self._doc = np.concatenate(pieces).astype(np.int64) if pieces else np.zeros(0, np.int64)
        return self._doc

    def spans(self, index: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Return (start, end) of occurrences ``index`` relative to their document's text.

        Character n-grams that include a padding space reach -1 or len(text) + 1.
        """
        base = self.base[self.doc[index]] if not self.single else self.base[0]
        return self.lo[index] - base, self.hi[index] - base


def occurrences(
    texts: list[str], char_ngrams: tuple[int, int] = (2, 5), word_ngrams: tuple[int, int] = (1, 2), exact: bool = True
) -> Occurrences:
    """Return all character and word n-gram occurrences of ``texts``.

    Each text is padded with one space on each side and the texts are joined
    by NUL; character n-grams run across word boundaries (so "u id" carries
    context). With ``exact`` False, character n-grams that cross from one text
    into the next are kept: they contain NUL, which no vocabulary holds (fit
    uses exact occurrences), so scoring may skip the filtering. Texts must not
    contain NUL (normalised text never does).

    Character n-gram hashes of one width are computed with slices of the
    prefix sums (no gathers), which keeps a single comment to a few dozen
    cheap NumPy calls.
    """
    padded = "\x00".join(" " + t + " " for t in texts)
    codes = np.frombuffer(padded.encode("utf-32-le"), dtype=np.uint32)
    n = len(codes)
    _Powers.ensure(n + 1)
    p, q = _Powers.p, _Powers.q
    single = len(texts) == 1
    separators = codes == 0
    doc_of = np.cumsum(separators)  # a separator belongs to the next document
    keys, parts = [], []
    with np.errstate(over="ignore"):
        prefix = np.empty(n + 1, dtype=_U64)
        prefix[0] = 0
        np.cumsum(codes * q[:n], out=prefix[1:])
        for width in range(char_ngrams[0], char_ngrams[1] + 1):
            count = n - width + 1
            if count <= 0:
                break
            raw = p[width - 1 : n] * (prefix[width : n + 1] - prefix[:count])
            raw ^= _SALT_CHAR[width]
            if exact and not single:
                keep = np.flatnonzero((doc_of[:count] == doc_of[width - 1 :]) & ~separators[:count])
                keys.append(raw[keep])
                parts.append(("at", keep, keep + width))
            else:
                keys.append(raw)
                parts.append(("run", count, width))
        if word_ngrams[1] >= 1:
            w_lo, w_hi = _word_edges(codes)
            w_raw = np.take(p, w_hi - 1) * (np.take(prefix, w_hi) - np.take(prefix, w_lo))
            if word_ngrams[0] <= 1:
                keys.append(w_raw ^ _SALT_WORD)
                parts.append(("at", w_lo, w_hi))
            if word_ngrams[1] >= 2 and len(w_lo) > 1:
                if single:
                    keys.append((w_raw[:-1] * _BIGRAM_MUL + w_raw[1:]) ^ _SALT_BIGRAM)
                    parts.append(("at", w_lo[:-1], w_hi[1:]))
                else:
                    pair = np.flatnonzero(doc_of[w_lo[:-1]] == doc_of[w_lo[1:]])
                    keys.append((w_raw[pair] * _BIGRAM_MUL + w_raw[pair + 1]) ^ _SALT_BIGRAM)
                    parts.append(("at", w_lo[pair], w_hi[pair + 1]))
    key = _mix(np.concatenate(keys)) if keys else np.zeros(0, dtype=_U64)
    base = np.zeros(len(texts), dtype=np.int64)
    if not single:
        base[1:] = np.flatnonzero(separators) + 1
    base += 1  # the padding space
    return Occurrences(key, parts, doc_of, base, single)


@dataclass
class OccurrenceWeights:
    """The known n-gram occurrences of a batch with their normalised weights, grouped by document."""

    n_docs: int
    doc: np.ndarray  # int64, non-decreasing
    column: np.ndarray  # int64, vocabulary column
    weight: np.ndarray  # float64, IDF / document norm
    index: np.ndarray  # int64, position in the Occurrences the row came from

    def rows(self, doc: int) -> slice:
        """Return the slice of the arrays that belongs to document ``doc``."""
        bounds = self.__dict__.get("_bounds")
        if bounds is None:
            bounds = self.__dict__["_bounds"] = np.searchsorted(self.doc, np.arange(self.n_docs + 1))
        return slice(int(bounds[doc]), int(bounds[doc + 1]))

    def dot(self, coef: np.ndarray) -> np.ndarray:
        """Return (n_docs, k) = X @ coef for a (n_features, k) matrix."""
        out = np.zeros((self.n_docs, coef.shape[1]))
        if not len(self.doc):
            return out
        # np.take: fancy indexing of a 2-D array is several times slower.
        contrib = np.take(coef, self.column, axis=0) * self.weight[:, None]
        present = np.flatnonzero(np.diff(self.doc, prepend=-1))  # first row of each document
        out[self.doc[present]] = np.add.reduceat(contrib, present, axis=0)
        return out

    def to_csr(self, n_features: int) -> sp.csr_matrix:
        """Return the batch as a CSR matrix (duplicates summed)."""
        m = sp.csr_matrix((self.weight, (self.doc, self.column)), shape=(self.n_docs, n_features))
        m.sum_duplicates()
        return m


class HashedTfidf(TransformerMixin, BaseEstimator):
    """TF-IDF over hashed word and character n-grams (a scikit-learn transformer).

    ``min_df`` and ``max_features`` (the most frequent n-grams are kept) work as
    in ``TfidfVectorizer``; IDF is smoothed. Input is already-normalised text.
    """

    def __init__(self, char_ngrams=(2, 5), word_ngrams=(1, 2), min_df=2, max_features=400_000):
        self.char_ngrams = char_ngrams
        self.word_ngrams = word_ngrams
        self.min_df = min_df
        self.max_features = max_features

    def fit(self, X, y=None):
        """Learn the vocabulary (kept n-gram hashes) and their IDF."""
        texts = list(X)
        per_chunk = []
        for a, b in chunks(texts):
            occ = self.occurrences(texts[a:b])
            order = np.lexsort((occ.key, occ.doc))
            doc, key = occ.doc[order], occ.key[order]
            first = np.ones(len(key), dtype=bool)
            first[1:] = (key[1:] != key[:-1]) | (doc[1:] != doc[:-1])
            per_chunk.append(key[first])  # each key once per document
        all_keys = np.concatenate(per_chunk) if per_chunk else np.zeros(0, dtype=_U64)
        keys, df = np.unique(all_keys, return_counts=True)
        keep = (df >= self.min_df) & (keys != 0)  # key 0 marks empty hash-table slots
        keys, df = keys[keep], df[keep]
        if self.max_features and len(keys) > self.max_features:
            # Highest document frequency first, ties by key: deterministic.
            order = np.sort(np.lexsort((keys, -df))[: self.max_features])
            keys, df = keys[order], df[order]
        self.vocabulary_ = keys
        self.idf_ = np.log((1 + len(texts)) / (1 + df)) + 1.0
        self.n_features_in_ = 1
        return self

    @property
    def n_features(self) -> int:
        """Return the number of kept n-grams."""
        return len(self.vocabulary_)

    def occurrences(self, texts: list[str]) -> Occurrences:
        """Return the n-gram occurrences of ``texts`` with this vectorizer's settings."""
        return occurrences(texts, tuple(self.char_ngrams), tuple(self.word_ngrams))

    def columns(self, keys: np.ndarray) -> np.ndarray:
        """Return the vocabulary column of each key, or -1 when it is not kept."""
        vocab = self.vocabulary_
        if len(vocab) == 0:
            return np.full(len(keys), -1, dtype=np.int64)
        if len(keys) < _SMALL_LOOKUP:
            idx = np.searchsorted(vocab, keys)
            idx[idx == len(vocab)] = 0
            return np.where(vocab[idx] == keys, idx, -1)
        table = self.__dict__.get("_hash_table")
        if table is None or table.n != len(vocab):
            table = self.__dict__["_hash_table"] = HashTable(vocab, np.arange(len(vocab), dtype=np.int64))
        found, cols = table.lookup(keys)
        return np.where(found, cols[:, 0], -1)

    def __getstate__(self):
        state = dict(self.__dict__)
        state.pop("_hash_table", None)  # derived from the vocabulary; rebuilt on demand
        return state

    def weights(self, texts: list[str], occ: Occurrences | None = None) -> OccurrenceWeights:
        """Return the weighted known occurrences of ``texts``."""
        occ = occ if occ is not None else self.occurrences(texts)
        cols = self.columns(occ.key)
        index = np.flatnonzero(cols >= 0)
        if len(texts) > 1:
            index = index[np.argsort(occ.doc[index], kind="stable")]
        doc, col = occ.doc[index], cols[index]
        idf = self.idf_[col]
        norm = np.sqrt(np.bincount(doc, weights=idf * idf, minlength=len(texts)))
        return OccurrenceWeights(len(texts), doc, col, idf / norm[doc], index)

    def transform(self, X):
        """Return the TF-IDF matrix (CSR) of already-normalised texts."""
        texts = list(X)
        blocks = [self.weights(texts[a:b]).to_csr(len(self.vocabulary_)) for a, b in chunks(texts)]
        if not blocks:
            return sp.csr_matrix((0, len(self.vocabulary_)))
        return sp.vstack(blocks, format="csr")


class HashTable:
    """Open-addressing table from 64-bit keys to rows of values, for looking up many keys at once.

    Keys and values sit side by side in one structured array (load factor
    under 0.4), so a lookup costs one memory access per key in the common
    case. Keys not settled after two probes (long linear-probing chains) are
    looked up by binary search in the sorted keys instead of probing on: that
    bounds the number of passes over the batch. Key 0 marks an empty slot;
    vocabularies never contain it (``HashedTfidf.fit`` drops it).
    """

    def __init__(self, keys: np.ndarray, values: np.ndarray):
        values = values.reshape(len(keys), -1)
        order = np.argsort(keys)
        self.sorted_keys, self.sorted_values = keys[order], values[order]
        self.n = len(keys)
        bits = max(10, int(np.ceil(np.log2(max(1, self.n) / 0.4))))
        self.shift = _U64(64 - bits)
        self.mask = (1 << bits) - 1
        self.table = np.zeros(1 << bits, dtype=[("key", _U64), ("value", values.dtype, (values.shape[1],))])
        pending = np.arange(self.n)
        slot = (keys >> self.shift).astype(np.int64)
        while len(pending):
            free = self.table["key"][slot[pending]] == 0
            claim, at = pending[free], slot[pending][free]
            _, first = np.unique(at, return_index=True)
            winners = claim[first]
            self.table["key"][at[first]] = keys[winners]
            self.table["value"][at[first]] = values[winners]
            placed = np.zeros(self.n, dtype=bool)
            placed[winners] = True
            pending = pending[~placed[pending]]
            slot[pending] = (slot[pending] + 1) & self.mask

    def lookup(self, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Return (found, values): whether each key is present, and its values (meaningless where not)."""
        slot = (keys >> self.shift).astype(np.int64)
        rec = np.take(self.table, slot)
        found = rec["key"] == keys
        values = rec["value"]
        todo = np.flatnonzero(~found & (rec["key"] != 0))
        if len(todo):
            rec = np.take(self.table, (slot[todo] + 1) & self.mask)
            hit = rec["key"] == keys[todo]
            found[todo[hit]] = True
            values[todo[hit]] = rec["value"][hit]
            todo = todo[~hit & (rec["key"] != 0)]
        if len(todo) and self.n:
            at = np.minimum(np.searchsorted(self.sorted_keys, keys[todo]), self.n - 1)
            hit = self.sorted_keys[at] == keys[todo]
            found[todo[hit]] = True
            values[todo[hit]] = self.sorted_values[at[hit]]
        return found, values
