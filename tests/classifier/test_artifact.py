"""Model files: round trip, and refusal of tampered, mismatched or untrusted ones."""

from __future__ import annotations

import hashlib
import json
import zipfile

import numpy as np
import pytest
import skops.io as sio

from moderation.classifier import artifact
from moderation.classifier.artifact import Artifact, ArtifactError
from moderation.classifier.assessor import Assessor

TEXTS = ["you are a clown", "The budget looks promising.", "visit cheapdeals.com"]


def rewrite(path, card=None, pipeline_bytes=None):
    """Rewrite an artifact's members (to simulate tampering)."""
    with zipfile.ZipFile(path) as zf:
        old_card, old_data = json.loads(zf.read("card.json")), zf.read("pipeline.skops")
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("card.json", json.dumps(card if card is not None else old_card))
        zf.writestr("pipeline.skops", pipeline_bytes if pipeline_bytes is not None else old_data)


@pytest.fixture
def saved(tiny_artifact, tmp_path):
    return Artifact(tiny_artifact.pipeline, dict(tiny_artifact.card)).save(tmp_path / "m.model")


def test_round_trip_gives_the_same_model(tiny_artifact, saved):
    loaded = artifact.load(saved)
    assert loaded.version == tiny_artifact.version
    assert np.array_equal(loaded.pipeline.predict_proba(TEXTS), tiny_artifact.pipeline.predict_proba(TEXTS))
    card = artifact.read_card(saved)
    assert card["libraries"]["scikit-learn"] == __import__("sklearn").__version__
    assert len(card["pipeline_sha256"]) == 64


def test_a_tampered_pipeline_is_refused(saved):
    with zipfile.ZipFile(saved) as zf:
        data = bytearray(zf.read("pipeline.skops"))
    data[len(data) // 2] ^= 0xFF
    rewrite(saved, pipeline_bytes=bytes(data))
    with pytest.raises(ArtifactError, match="does not match its card"):
        artifact.load(saved)


def test_a_card_that_lies_about_the_version_is_refused(saved):
    card = artifact.read_card(saved)
    rewrite(saved, card=dict(card, version="0" * 12))
    with pytest.raises(ArtifactError, match="version"):
        artifact.load(saved)


@pytest.mark.parametrize(
    "change",
    [
        lambda card: {**card, "thresholds": {**card["thresholds"], "abuse": {"review": 0.01, "reject": 0.02}}},
        lambda card: {**card, "second_stage": {"heads": {}, "band": [0.1, 0.9]}},
    ],
    ids=["thresholds", "second stage"],
)
def test_the_version_covers_thresholds_and_second_stage(saved, change):
    card = artifact.read_card(saved)
    changed = change(card)
    rewrite(saved, card=changed)
    with pytest.raises(ArtifactError, match="version"):
        artifact.load(saved)


def test_files_of_the_older_version_scheme_still_load(tiny_artifact, tmp_path):
    from moderation.classifier.model import digest

    card = {k: v for k, v in tiny_artifact.card.items() if k != "version_scheme"}
    card["version"] = digest(tiny_artifact.pipeline)[:12]  # scheme 1: the first stage alone
    path = Artifact(tiny_artifact.pipeline, card).save(tmp_path / "old.model")
    assert artifact.load(path).version == card["version"]
    rewrite(path, card=dict(artifact.read_card(path), version="0" * 12))
    with pytest.raises(ArtifactError, match="version"):
        artifact.load(path)


def test_another_scikit_learn_version_is_refused(saved):
    card = artifact.read_card(saved)
    rewrite(saved, card=dict(card, libraries=dict(card["libraries"], **{"scikit-learn": "1.0.2"})))
    with pytest.raises(ArtifactError, match="scikit-learn 1.0.2"):
        artifact.load(saved)


class Stranger:
    """A type no model file may contain."""

    def __init__(self):
        self.payload = "anything"


@pytest.mark.parametrize(
    ("obj", "message"),
    [
        (Stranger(), "not trusted"),
        (__import__("sklearn.preprocessing").preprocessing.StandardScaler(), "not a moderation pipeline"),
    ],
)
def test_unexpected_contents_are_refused(saved, obj, message):
    data = sio.dumps(obj)
    card = artifact.read_card(saved)
    rewrite(saved, card=dict(card, pipeline_sha256=hashlib.sha256(data).hexdigest()), pipeline_bytes=data)
    with pytest.raises(ArtifactError, match=message):
        artifact.load(saved)


@pytest.mark.parametrize("content", [b"", b"not a zip file", b"PK\x03\x04garbage"])
def test_garbage_is_refused(tmp_path, content):
    path = tmp_path / "bad.model"
    path.write_bytes(content)
    with pytest.raises(ArtifactError):
        artifact.load(path)


def test_a_missing_file_is_refused(tmp_path):
    with pytest.raises(ArtifactError, match="no such model file"):
        artifact.load(tmp_path / "missing.model")


def test_no_pickle_in_the_shipped_model():
    with zipfile.ZipFile(artifact.DEFAULT_MODEL) as zf:
        data = zf.read("pipeline.skops")
    untrusted = sio.get_untrusted_types(data=artifact._namespaced(data))
    assert set(untrusted) <= set(artifact.TRUSTED_TYPES)
    with zipfile.ZipFile(__import__("io").BytesIO(data)) as inner:
        assert not any(name.endswith((".pkl", ".pickle")) for name in inner.namelist())


def test_the_shipped_model_is_small_and_loads(assessor: Assessor):
    assert artifact.DEFAULT_MODEL.stat().st_size <= 15 * 1024 * 1024
    card = assessor.artifact.card
    assert card["version"] == assessor.version
    for entry in card["training"]["files"]:
        assert len(entry["sha256"]) == 64 and entry["citation"] and entry["licence"]


def test_a_file_made_before_the_namespace_loads_with_the_same_types(tmp_path):
    """Files made before 0.3 (the shipped one among them) name the package's types classifier.*: they load as
    moderation.classifier.*, and a file whose schema names them so is left as it is."""
    with zipfile.ZipFile(artifact.DEFAULT_MODEL) as zf:
        data = zf.read("pipeline.skops")
    before = sio.get_untrusted_types(data=data)
    after = sio.get_untrusted_types(data=artifact._namespaced(data))
    assert sorted(after) == sorted(t if t.startswith("sklearn.") else f"moderation.{t}" for t in before)
    assert artifact._namespaced(artifact._namespaced(data)) == artifact._namespaced(data)
    assert type(artifact.load().pipeline.named_steps["model"]).__module__ == "moderation.classifier.model"
