"""The second stage: the shipped sentence encoder, its checks, and the cascade through the facade."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from moderation.classifier.assessor import Assessor
from moderation.classifier.encoder import ENCODER_DIR, EncoderError, SecondStage, SentenceEncoder, shared_encoder
from moderation.classifier.types import CATEGORIES


@pytest.fixture(scope="module")
def encoder() -> SentenceEncoder:
    return shared_encoder()


def test_the_shipped_encoder_is_fine_tuned_from_the_published_model_and_verified(encoder):
    from moderation.training.export_encoder import EXPECTED_WEIGHTS_SHA256

    manifest = encoder.manifest
    assert manifest["config"] == {
        "num_hidden_layers": 6,
        "hidden_size": 384,
        "num_attention_heads": 12,
        "intermediate_size": 1536,
        "vocab_size": 30522,
        "max_position_embeddings": 512,
    }
    assert encoder.tokenizer.get_vocab_size() == 30522
    assert manifest["weights_sha256"] == EXPECTED_WEIGHTS_SHA256  # the published all-MiniLM-L6-v2 it started from
    assert manifest["fine_tuned"]["epochs"] >= 1 and manifest["fine_tuned"]["seed"] == 0
    assert {"olid", "toxic-spans", "jigsaw-wikipedia"} <= {f["dataset"] for f in manifest["training_files"]}
    assert "c3" not in {f["dataset"] for f in manifest["training_files"]}  # C3 never trains (its licence note)
    checks = manifest["verification"]["validation_roc_auc"]
    assert set(checks) == {"abuse", "attack", "promotion"}
    assert all(c["int8_minus_fp32"] >= -manifest["verification"]["max_int8_auc_loss"] for c in checks.values())
    # what it was tuned for: two insults are closer to each other than either is to a civil remark
    insult, other, civil = encoder.embed(
        ["You are a pathetic idiot.", "What a stupid clown you are.", "The council meets on Tuesday about the budget."]
    )
    assert insult @ other > max(insult @ civil, other @ civil)


def test_embeddings_are_unit_vectors_independent_of_their_batch(encoder):
    texts = ["You are an idiot.", "The council meets on Tuesday to discuss the budget.", "x" * 3000, ""]
    together = encoder.embed(texts)
    assert together.shape == (4, 384) and together.dtype == np.float32
    assert np.allclose(np.linalg.norm(together[:3], axis=1), 1.0, atol=1e-5)
    for i, text in enumerate(texts):
        assert np.array_equal(encoder.embed([text])[0], together[i])


def test_an_altered_encoder_file_is_refused(tmp_path):
    copy = tmp_path / "encoder"
    shutil.copytree(ENCODER_DIR, copy)
    data = bytearray((copy / "tokenizer.json").read_bytes())
    data[100] ^= 1
    (copy / "tokenizer.json").write_bytes(bytes(data))
    with pytest.raises(EncoderError, match="SHA-256"):
        SentenceEncoder(copy)
    (copy / "manifest.json").unlink()
    with pytest.raises(EncoderError, match="cannot read"):
        SentenceEncoder(copy)


def test_outside_the_band_scores_follow_the_map_in_the_card():
    heads = {c: {"coef": [0.0] * 384, "intercept": 0.0, "blend": [1.0, 0.0, 0.0]} for c in ("abuse", "attack")}
    outside = {"abuse": [[0.0, 0.1, 1.0], [0.0, 0.02, 0.5]], "attack": [[0.0, 1.0], [0.1, 0.3]]}
    stage = SecondStage.from_card(SecondStage("sha", heads, (0.1, 0.9), {}, outside=outside).to_card())
    p = np.array([[0.05, 0.5, 0.7], [0.55, 0.0, 0.2]])
    mapped = stage.map_outside(p)
    assert np.allclose(mapped[:, 0], [0.01, 0.26]) and np.allclose(mapped[:, 1], [0.2, 0.1])
    assert np.array_equal(mapped[:, 2], p[:, 2])  # promotion has no head: as it was
    plain = SecondStage("sha", heads, (0.1, 0.9))
    assert plain.map_outside(p) is p and "outside" not in plain.to_card()  # cards before issue 22


def test_second_stage_blends_both_stages_as_written_in_the_card():
    rng = np.random.default_rng(0)
    heads = {
        "abuse": {"coef": rng.normal(size=384).tolist(), "intercept": -1.0, "blend": [0.5, 2.0, 0.1]},
        "attack": {"coef": rng.normal(size=384).tolist(), "intercept": 0.5, "blend": [1.0, 0.0, -0.2]},
    }
    stage = SecondStage.from_card(SecondStage("sha", heads, (0.1, 0.9), {"all": {}}).to_card())
    embeddings = rng.normal(size=(2, 384)).astype(np.float32)
    logits = rng.normal(size=(2, 3))
    first = np.full((2, 3), 0.3)
    out = stage.combine(logits, first, embeddings)
    z = embeddings.astype(np.float64) @ np.array(heads["abuse"]["coef"]) - 1.0
    expected = 1 / (1 + np.exp(-(0.5 * logits[:, 0] + 2.0 * z + 0.1)))
    assert np.allclose(out[:, 0], expected)
    assert np.allclose(out[:, 1], 1 / (1 + np.exp(-(logits[:, 1] - 0.2))))
    assert np.array_equal(out[:, 2], first[:, 2])  # promotion has no head: the first stage's score stays
    assert stage.in_band(np.array([[0.05, 0.0, 0.9], [0.2, 0.95, 0.0], [0.5, 0.2, 0.0]])).tolist() == [False, False, True]


@pytest.fixture(scope="module")
def modes() -> dict[str, Assessor]:
    shipped = Assessor.load(encoder="off")
    if shipped.second_stage is None:
        pytest.fail("the shipped model has no second stage")
    return {mode: Assessor(shipped.artifact, shipped.rules, encoder=mode) for mode in ("off", "uncertain", "all")}


COMMENTS = [
    "Thanks for the thorough reporting on the transit budget.",
    "People like you are the reason this country is going down the drain.",
    "What a pathetic excuse for a journalist, go back to school.",
    "You are a complete idiot.",
    "I disagree: the numbers in paragraph three do not add up.",
    "Only a fool would believe this nonsense.",
]


def test_each_mode_has_its_own_thresholds_and_agrees_with_itself_one_by_one(modes):
    stage = modes["off"].second_stage
    assert modes["off"].thresholds == Assessor(modes["off"].artifact, modes["off"].rules, encoder="off").thresholds
    for mode in ("uncertain", "all"):
        assert {c: modes[mode].thresholds[c].to_dict() for c in CATEGORIES} == {
            c: {"review": stage.thresholds[mode][c]["review"], "reject": stage.thresholds[mode][c]["reject"]} for c in CATEGORIES
        }
    for mode, assessor in modes.items():
        bulk = assessor.assess_many(COMMENTS)
        for text, result in zip(COMMENTS, bulk):
            assert assessor.assess(text).scores == result.scores, mode


def test_uncertain_mode_runs_the_encoder_only_inside_the_band(modes, monkeypatch):
    off, uncertain, everything = modes["off"], modes["uncertain"], modes["all"]
    first = np.array([[r.scores[c] for c in CATEGORIES] for r in off.assess_many(COMMENTS)])
    inside = uncertain.second_stage.in_band(first)
    calls = []
    real = uncertain.encoder.embed
    monkeypatch.setattr(uncertain.encoder, "embed", lambda texts: calls.append(list(texts)) or real(texts))
    results = uncertain.assess_many(COMMENTS)
    assert sum(len(c) for c in calls) == int(inside.sum())
    # inside the band: the stacked scores of mode "all"; outside: the first stage's, mapped onto the stacked scale
    mapped = uncertain.second_stage.map_outside(first)
    assert uncertain.second_stage.outside and not np.allclose(mapped, first)
    for i, result in enumerate(results):
        for category in ("abuse", "attack"):
            k = CATEGORIES.index(category)
            expected = everything.assess(COMMENTS[i]).scores[category] if inside[i] else mapped[i, k]
            assert result.scores[category] == pytest.approx(expected, abs=1e-12)


def test_a_model_trained_with_another_encoder_is_refused(modes):
    shipped = modes["off"].artifact
    card = dict(shipped.card, second_stage=dict(shipped.card["second_stage"], encoder_sha256="0" * 64))
    other = type(shipped)(shipped.pipeline, card)
    with pytest.raises(ValueError, match="another encoder"):
        Assessor(other, modes["off"].rules, encoder="all")
    assert Assessor(other, modes["off"].rules, encoder="off").encoder is None
