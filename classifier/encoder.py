"""The second stage: a fine-tuned sentence encoder and the heads stacked on the n-gram model.

The n-gram model knows only the rows it trained on. A pretrained sentence
encoder (all-MiniLM-L6-v2, Apache-2.0, shipped as an int8 ONNX file in
``classifier/models/encoder/`` with its tokenizer, NOTICE and licence) knows
how English is used far beyond them. It runs through ONNX Runtime; torch is
only needed to export it again (``training/export_encoder.py``).

``SecondStage`` holds what training learned on top of it, per category with a
head (abuse and attack): a logistic regression on the 384-d embedding, then a
blend ``sigmoid(a * first_logit + b * head_logit + c)`` fitted on the
validation split, which is also the second stage's calibration. Those few
hundred numbers live in the model card (``card["second_stage"]``), so the
artifact stays one pickle-free file.

Modes (``MODERATION_ENCODER``): ``off`` scores with the n-gram model alone;
``uncertain`` runs the encoder only for comments whose first-stage
max(abuse, attack) score falls in the band training chose (where the encoder
can change a verdict); ``all`` runs it for every comment. Each mode has its own
thresholds, chosen on validation data for that mode.
"""

from __future__ import annotations

import functools
import json
import threading
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .artifact import sha256_file
from .types import CATEGORIES

ENCODER_DIR = Path(__file__).with_name("models") / "encoder"
MODES = ("off", "uncertain", "all")


class EncoderError(RuntimeError):
    """The encoder files are missing, altered or cannot be run."""


class SentenceEncoder:
    """all-MiniLM-L6-v2 (int8 ONNX): texts -> L2-normalised 384-d embeddings.

    One comment per run: the int8 model quantises activations per run, so a
    comment's embedding would otherwise depend on what shares its batch (and on
    one core a batch is no faster). Files are checked against ``manifest.json``
    before they are used.
    """

    def __init__(self, directory: Path | str = ENCODER_DIR, threads: int = 1):
        import onnxruntime as ort
        from tokenizers import Tokenizer

        directory = Path(directory)
        try:
            self.manifest = json.loads((directory / "manifest.json").read_text(encoding="utf-8"))
            for name, info in self.manifest["files"].items():
                if sha256_file(directory / name) != info["sha256"]:
                    raise EncoderError(f"{directory / name} does not match its SHA-256 in manifest.json")
        except (OSError, KeyError, ValueError) as exc:
            raise EncoderError(f"cannot read the encoder in {directory}: {exc}") from None
        self.sha256 = self.manifest["files"]["encoder.int8.onnx"]["sha256"]
        self.dimension = int(self.manifest["dimension"])
        self.tokenizer = Tokenizer.from_file(str(directory / "tokenizer.json"))
        self.tokenizer.enable_truncation(max_length=int(self.manifest["max_length"]))
        self.tokenizer.no_padding()
        options = ort.SessionOptions()
        # One core per run: a comment is too small a matrix for two cores to share well (measured: 4.4 ms a run on
        # two cores against 6 on one), so with several threads, several comments run at once instead (``embed``).
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        options.log_severity_level = 3
        self.session = ort.InferenceSession(
            str(directory / "encoder.int8.onnx"), sess_options=options, providers=["CPUExecutionProvider"]
        )
        self._type_ids = "token_type_ids" in {i.name for i in self.session.get_inputs()}
        self._output = self.session.get_outputs()[0].name
        self.threads = max(1, threads)
        # ONNX Runtime lets go of the GIL during a run, and a session may run in several threads at once.
        self._pool = ThreadPoolExecutor(self.threads, thread_name_prefix="encoder") if self.threads > 1 else None

    def _run(self, ids: list[int]) -> np.ndarray:
        array = np.asarray([ids], dtype=np.int64)
        feed = {"input_ids": array, "attention_mask": np.ones_like(array)}
        if self._type_ids:
            feed["token_type_ids"] = np.zeros_like(array)
        return self.session.run([self._output], feed)[0][0]

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Return (len(texts), 384) float32 unit vectors (one run per comment, ``threads`` of them at once)."""
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        ids = [encoding.ids for encoding in self.tokenizer.encode_batch(list(texts))]
        rows = self._pool.map(self._run, ids) if self._pool is not None and len(ids) > 1 else map(self._run, ids)
        for i, row in enumerate(rows):
            out[i] = row
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.maximum(norms, 1e-12)


def band_mask(probabilities: np.ndarray, band: tuple[float, float]) -> np.ndarray:
    """Return which rows have a first-stage max(abuse, attack) score inside ``band``."""
    offensive = probabilities[:, [CATEGORIES.index("abuse"), CATEGORIES.index("attack")]].max(axis=1)
    return (offensive >= band[0]) & (offensive <= band[1])


_shared_lock = threading.Lock()


@functools.cache
def _shared(directory: str, threads: int) -> SentenceEncoder:
    return SentenceEncoder(directory, threads)


def shared_encoder(directory: Path | str = ENCODER_DIR, threads: int = 1) -> SentenceEncoder:
    """Return the process's encoder (loaded once per folder and thread count; ONNX Runtime sessions are thread-safe).

    One intra-op thread in the service (a gunicorn worker per core); a command alone on the machine
    (``moderation score``) takes every core."""
    with _shared_lock:
        return _shared(str(directory), max(1, threads))


@dataclass
class SecondStage:
    """The heads on the encoder and the blends with the first stage, per category that has one."""

    encoder_sha256: str
    heads: dict[str, dict]  # category -> {"coef": [384], "intercept": x, "blend": [a, b, c]}
    band: tuple[float, float]  # first-stage max(abuse, attack) scores sent to the encoder in "uncertain" mode
    thresholds: dict[str, dict] = field(default_factory=dict)  # mode -> {category: {"review", "reject"}}
    default_mode: str = "uncertain"
    #: category -> [knots, values]: in "uncertain" mode, a comment outside the band gets, per headed category, the
    #: stacked score that comments of its first-stage score had on the validation split (a monotone map, read by
    #: linear interpolation), so that its score ranks with the stacked scores of the comments inside the band.
    #: Empty (cards before issue 22): the first stage's own score.
    outside: dict[str, list[list[float]]] = field(default_factory=dict)
    _coef: np.ndarray = field(init=False, repr=False)
    _cols: list[int] = field(init=False, repr=False)

    def __post_init__(self):
        self._cols = [CATEGORIES.index(c) for c in self.heads]
        self._coef = np.array([self.heads[c]["coef"] for c in self.heads], dtype=np.float64).T.reshape(-1, len(self._cols))
        self._intercept = np.array([self.heads[c]["intercept"] for c in self.heads], dtype=np.float64)
        self._blend = np.array([self.heads[c]["blend"] for c in self.heads], dtype=np.float64).reshape(-1, 3)

    @classmethod
    def from_card(cls, raw: Mapping | None) -> SecondStage | None:
        """Return the second stage described in a model card, or None."""
        if not raw:
            return None
        return cls(
            raw["encoder_sha256"],
            {c: dict(v) for c, v in raw["heads"].items()},
            (float(raw["band"][0]), float(raw["band"][1])),
            {m: dict(t) for m, t in raw.get("thresholds", {}).items()},
            raw.get("default_mode", "uncertain"),
            {c: [list(map(float, xy[0])), list(map(float, xy[1]))] for c, xy in raw.get("outside", {}).items()},
        )

    def to_card(self) -> dict:
        """Return the JSON form kept in the model card."""
        return {
            "encoder": "all-MiniLM-L6-v2 int8 ONNX (classifier/models/encoder)",
            "encoder_sha256": self.encoder_sha256,
            "heads": self.heads,
            "band": list(self.band),
            "thresholds": self.thresholds,
            "default_mode": self.default_mode,
            **({"outside": self.outside} if self.outside else {}),
        }

    def in_band(self, probabilities: np.ndarray) -> np.ndarray:
        """Return which rows go to the encoder in "uncertain" mode."""
        return band_mask(probabilities, self.band)

    def map_outside(self, probabilities: np.ndarray) -> np.ndarray:
        """Return first-stage ``probabilities`` of comments outside the band with the headed categories mapped to the
        scale of the stacked scores (``outside``); unchanged without a map."""
        if not self.outside:
            return probabilities
        out = probabilities.copy()
        for category, (knots, values) in self.outside.items():
            k = CATEGORIES.index(category)
            out[:, k] = np.interp(probabilities[:, k], knots, values)
        return out

    def head_logits(self, embeddings: np.ndarray) -> np.ndarray:
        """Return (n, heads) logits of the encoder heads."""
        # Row by row: the same sums for a comment alone as in a batch, so assess() and assess_many() agree to the bit.
        rows = [row @ self._coef for row in embeddings.astype(np.float64)]
        return np.array(rows).reshape(-1, len(self._cols)) + self._intercept

    def combine(self, first_logits: np.ndarray, probabilities: np.ndarray, embeddings: np.ndarray) -> np.ndarray:
        """Return ``probabilities`` with the headed categories replaced by the blend of both stages."""
        out = probabilities.copy()
        z = self.head_logits(embeddings)
        for j, k in enumerate(self._cols):
            a, b, c = self._blend[j]
            out[:, k] = 1.0 / (1.0 + np.exp(-np.clip(a * first_logits[:, k] + b * z[:, j] + c, -40, 40)))
        return out
