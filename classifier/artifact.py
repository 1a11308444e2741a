"""One versioned model file: the fitted pipeline (skops, no pickle) plus its model card.

The artifact is a zip archive holding ``pipeline.skops`` and ``card.json``. The
card records the SHA-256 of the pipeline bytes, the library versions that made
it, what trained it and how well it did. ``load`` refuses an artifact whose
pipeline does not match its card (tampered or mixed up), or that was made with
another scikit-learn version (whose estimators may not behave the same), and
loads the pipeline with skops restricted to an explicit list of trusted types,
so a model file cannot run code.
"""

from __future__ import annotations

import hashlib
import io
import json
import platform
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import scipy
import sklearn
import skops
import skops.io as sio

PIPELINE_NAME = "pipeline.skops"
CARD_NAME = "card.json"
DEFAULT_MODEL = Path(__file__).with_name("models") / "default.model"

#: The only types a model file may contain besides NumPy arrays and builtins.
TRUSTED_TYPES = [
    "moderation.classifier.features.HashedTfidf",
    "moderation.classifier.model.CategoryModel",
    "moderation.classifier.model.CommentFeatures",
    "moderation.classifier.model.TextNormalizer",
    "sklearn.pipeline.Pipeline",
]

#: How files made before the packages were installed under ``moderation`` (0.3) name this package's types.
_UNNAMESPACED = re.compile(rb'"__module__": "classifier\.')


#: What the version covers: 1 = the first stage's parameters only (older files);
#: 2 = those plus the card's thresholds and second stage, so that a retrain that
#: changes only the encoder heads or the thresholds gets a new version.
VERSION_SCHEME = 2


def sha256_file(path: Path) -> str:
    """Return the hex SHA-256 of a file (model files, the encoder's, datasets)."""
    with open(path, "rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


class ArtifactError(ValueError):
    """A model file that cannot or must not be loaded."""


def model_version(pipeline: object, card: dict, scheme: int = VERSION_SCHEME) -> str:
    """Return the version of a model: a short hash of what decides its verdicts."""
    from .model import digest

    first = digest(pipeline)
    if scheme == 1:
        return first[:12]
    rest = json.dumps({"thresholds": card.get("thresholds"), "second_stage": card.get("second_stage")}, sort_keys=True)
    return hashlib.sha256(f"{first}\x00{rest}".encode()).hexdigest()[:12]


def library_versions() -> dict[str, str]:
    """Return the versions that decide whether a saved pipeline behaves the same."""
    return {
        "python": platform.python_version(),
        "scikit-learn": sklearn.__version__,
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "skops": skops.__version__,
    }


@dataclass
class Artifact:
    """A loaded (or about to be saved) pipeline with its card."""

    pipeline: object
    card: dict

    @property
    def version(self) -> str:
        """Return the model version (a hash of the fitted parameters)."""
        return self.card["version"]

    def save(self, path: Path | str) -> Path:
        """Write the artifact to ``path`` atomically and return the path."""
        path = Path(path)
        data = sio.dumps(self.pipeline, compression=zipfile.ZIP_DEFLATED, compresslevel=9)
        card = dict(self.card, pipeline_sha256=hashlib.sha256(data).hexdigest(), libraries=library_versions())
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_STORED) as zf:
            zf.writestr(zipfile.ZipInfo(CARD_NAME, date_time=(1980, 1, 1, 0, 0, 0)), json.dumps(card, indent=2, sort_keys=True))
            zf.writestr(zipfile.ZipInfo(PIPELINE_NAME, date_time=(1980, 1, 1, 0, 0, 0)), data)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_bytes(buffer.getvalue())
        tmp.replace(path)
        self.card = card
        return path


def _namespaced(data: bytes) -> bytes:
    """Return skops bytes whose types of this package are named as installed (``moderation.classifier.model``):
    a file made before 0.3 names them ``classifier.model``. Only the module names of its schema change, after the
    card's SHA-256 was checked; the trusted types stay the same list."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            schema = zf.read("schema.json")
            if not _UNNAMESPACED.search(schema):
                return data
            out = io.BytesIO()
            with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as renamed:
                for info in zf.infolist():
                    body = zf.read(info)
                    if info.filename == "schema.json":
                        body = _UNNAMESPACED.sub(b'"__module__": "moderation.classifier.', body)
                    renamed.writestr(info, body)
    except (KeyError, zipfile.BadZipFile):
        return data  # not a skops file: skops says so below
    return out.getvalue()


def read_card(path: Path | str) -> dict:
    """Return the card of an artifact without loading its pipeline."""
    try:
        with zipfile.ZipFile(path) as zf:
            return json.loads(zf.read(CARD_NAME))
    except (OSError, KeyError, zipfile.BadZipFile, json.JSONDecodeError) as exc:
        raise ArtifactError(f"{path}: not a model artifact ({exc})") from None


def load(path: Path | str | None = None) -> Artifact:
    """Load and check an artifact (the shipped default model when ``path`` is None)."""
    path = Path(path) if path else DEFAULT_MODEL
    try:
        with zipfile.ZipFile(path) as zf:
            card = json.loads(zf.read(CARD_NAME))
            data = zf.read(PIPELINE_NAME)
    except FileNotFoundError:
        raise ArtifactError(f"{path}: no such model file") from None
    except (OSError, KeyError, zipfile.BadZipFile, json.JSONDecodeError) as exc:
        raise ArtifactError(f"{path}: not a model artifact ({exc})") from None
    if hashlib.sha256(data).hexdigest() != card.get("pipeline_sha256"):
        raise ArtifactError(f"{path}: the pipeline does not match its card (file altered or corrupted)")
    made_with = card.get("libraries", {}).get("scikit-learn")
    if made_with != sklearn.__version__:
        raise ArtifactError(
            f"{path}: made with scikit-learn {made_with}, this environment has {sklearn.__version__}; "
            "install the version the model was trained with or retrain it"
        )
    data = _namespaced(data)
    untrusted = [t for t in sio.get_untrusted_types(data=data) if t not in TRUSTED_TYPES]
    if untrusted:
        raise ArtifactError(f"{path}: the model file contains types that are not trusted: {untrusted}")
    try:
        pipeline = sio.loads(data, trusted=TRUSTED_TYPES)
    except Exception as exc:  # noqa: BLE001 - skops raises many kinds on malformed input
        raise ArtifactError(f"{path}: cannot load the pipeline ({type(exc).__name__}: {exc})") from None
    from sklearn.pipeline import Pipeline

    if not isinstance(pipeline, Pipeline) or list(pipeline.named_steps) != ["normalize", "features", "model"]:
        raise ArtifactError(f"{path}: not a moderation pipeline")
    if model_version(pipeline, card, card.get("version_scheme", 1)) != card.get("version"):
        raise ArtifactError(f"{path}: the model's parameters do not match the card's version")
    return Artifact(pipeline, card)
