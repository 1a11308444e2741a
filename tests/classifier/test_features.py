"""Hashed TF-IDF: batch equals one by one, hashing is stable, the sparse and fast paths agree."""

from __future__ import annotations

import numpy as np
import pytest

from moderation.classifier.features import HashedTfidf, HashTable, chunks, occurrences, word_bounds

TEXTS = ["you are an idiot", "hello world", "", "idiot", "council's plan, ça va 😀 ok", "a", "zurlz zurlz spam spam"]


def occurrence_set(occ, doc, text):
    rows = np.flatnonzero(occ.doc == doc)
    start, end = occ.spans(rows)
    padded = " " + text + " "
    return sorted((int(k), padded[s + 1 : e + 1]) for k, s, e in zip(occ.key[rows], start, end))


def test_batch_equals_one_by_one():
    batch = occurrences(TEXTS)
    for i, text in enumerate(TEXTS):
        assert occurrence_set(batch, i, text) == occurrence_set(occurrences([text]), 0, text)


def keys_of(text: str, gram: str, **kwargs) -> set[int]:
    """Return the keys of the occurrences of ``gram`` in ``text`` (padding excluded)."""
    occ = occurrences([text], **kwargs)
    start, end = occ.spans(np.arange(len(occ.key)))
    return {int(k) for k, s, e in zip(occ.key, start, end) if s >= 0 and text[s:e] == gram}


def test_same_ngram_same_key_anywhere():
    here, alone = keys_of("an idiot here", "idiot"), keys_of("idiot", "idiot")
    assert here == alone and len(here) == 2  # the 5-character n-gram and the word


def test_ngram_kinds_do_not_collide():
    # "ab" as a character n-gram and as a word are two features; so are a bigram and its characters.
    assert len(keys_of("ab", "ab", char_ngrams=(2, 2), word_ngrams=(1, 1))) == 2
    occ = occurrences(["ab cd ab cd"], char_ngrams=(2, 5), word_ngrams=(1, 2))
    start, end = occ.spans(np.arange(len(occ.key)))
    by_key: dict[int, set] = {}
    for k, s, e in zip(occ.key.tolist(), start, end):
        by_key.setdefault(k, set()).add(e - s)
    assert all(len(widths) == 1 for widths in by_key.values())  # one key never stands for two lengths


def test_hash_values_are_stable():
    # The model file stores these keys: hashing must never change silently.
    occ = occurrences(["ok"], char_ngrams=(2, 2), word_ngrams=(1, 1))
    assert sorted(int(k) for k in occ.key) == sorted(
        int(k) for k in occurrences(["ok"], char_ngrams=(2, 2), word_ngrams=(1, 1)).key
    )
    assert len(occ.key) == 4  # " o", "ok", "k ", and the word "ok"


def test_word_bounds():
    text = "don't stop, ça 😀 ok"
    assert [text[a:b] for a, b in word_bounds(text)] == ["don't", "stop", "ça", "😀", "ok"]
    assert word_bounds("").shape == (0, 2)


def test_fit_transform_matches_the_definition():
    tfidf = HashedTfidf(char_ngrams=(3, 3), word_ngrams=(1, 1), min_df=1).fit(["aaa bbb", "aaa"])
    X = tfidf.transform(["aaa aaa"]).toarray()[0]
    weights = tfidf.weights(["aaa aaa"])
    # Each occurrence weighs its IDF; the vector is divided by sqrt(sum of squared occurrence weights).
    idf = tfidf.idf_[weights.column]
    assert np.isclose(np.sqrt((idf**2).sum()), (idf**2).sum() / np.sqrt((idf**2).sum()))
    assert np.isclose(X.sum(), (idf / np.sqrt((idf**2).sum())).sum())


def test_min_df_and_max_features():
    texts = ["alpha beta", "alpha gamma", "alpha delta"]
    small = HashedTfidf(char_ngrams=(0, -1), word_ngrams=(1, 1), min_df=2).fit(texts)
    assert small.n_features == 1  # only "alpha" is in two documents
    capped = HashedTfidf(char_ngrams=(0, -1), word_ngrams=(1, 1), min_df=1, max_features=2).fit(texts)
    assert capped.n_features == 2
    assert capped.columns(small.vocabulary_)[0] >= 0  # the most frequent is kept


def test_sparse_and_occurrence_paths_agree():
    tfidf = HashedTfidf(min_df=1).fit(TEXTS * 2)
    W = np.random.default_rng(0).normal(size=(tfidf.n_features, 3))
    assert np.allclose(tfidf.transform(TEXTS) @ W, tfidf.weights(TEXTS).dot(W))


@pytest.mark.parametrize("n", [10, 5000])
def test_hash_table_matches_binary_search(n):
    rng = np.random.default_rng(n)
    keys = np.unique(rng.integers(1, 2**63, n, dtype=np.uint64))
    values = rng.random((len(keys), 4)).astype(np.float32)
    table = HashTable(keys, values)
    queries = np.concatenate([keys, rng.integers(1, 2**63, n, dtype=np.uint64)])
    found, got = table.lookup(queries)
    assert found[: len(keys)].all()
    assert np.array_equal(got[: len(keys)], values)
    expected_extra = np.isin(queries[len(keys) :], keys)
    assert np.array_equal(found[len(keys) :], expected_extra)


def test_large_batches_use_the_hash_table_and_agree():
    tfidf = HashedTfidf(min_df=1).fit(TEXTS)
    keys = np.concatenate([tfidf.vocabulary_] * 50)
    assert len(keys) > 3000
    assert np.array_equal(tfidf.columns(keys), np.tile(np.arange(tfidf.n_features), 50))


def test_chunks_cover_everything_in_order():
    texts = ["x" * n for n in [10, 5000, 3, 3, 9000, 1]]
    spans = chunks(texts, max_chars=4000)
    assert spans[0][0] == 0 and spans[-1][1] == len(texts)
    assert all(a < b for a, b in spans) and all(spans[i][1] == spans[i + 1][0] for i in range(len(spans) - 1))
