"""How to run the sentence encoder: truncation, threads, micro-batches (issue 22, item 3), measured on one core.

    .venv/bin/python -m benchmarks.encoder_options [--head build/finetune/head.pt] [--count 400] [--no-write]

1. **Truncation**: for 64, 96, 128, 192 and 256 tokens, the time to embed a comment (news comments as sites send
   them and the classifier benchmark's 300-character mix) and, with ``--head`` (the fine-tuning head
   ``training/finetune_encoder.py`` leaves in its working folder; torch needed only to read it), the head's ROC AUC
   per category on C3's evaluation half and the validation split: what each length costs and what it keeps.
2. **Threads**: ONNX Runtime's intra-op threads 1 and 2 for one comment (gunicorn runs a worker per core).
3. **Micro-batches**: two comments in one run (padded to the longer) against two runs; and whether a comment's
   embedding changes with what shares its batch (dynamic int8 quantisation scales activations per run).

Written to its section of docs/BENCHMARKS.md.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np

from benchmarks import harness
from benchmarks.harness import percentile

LENGTHS = (64, 96, 128, 192, 256)


def session(threads: int):
    import onnxruntime as ort

    from moderation.classifier.encoder import ENCODER_DIR

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.log_severity_level = 3
    return ort.InferenceSession(str(ENCODER_DIR / "encoder.int8.onnx"), sess_options=options, providers=["CPUExecutionProvider"])


def tokenizer(max_length: int):
    from tokenizers import Tokenizer

    from moderation.classifier.encoder import ENCODER_DIR

    tok = Tokenizer.from_file(str(ENCODER_DIR / "tokenizer.json"))
    tok.enable_truncation(max_length=max_length)
    tok.no_padding()
    return tok


def run(sess, ids_list: list[list[int]]) -> np.ndarray:
    longest = max(len(i) for i in ids_list)
    ids = np.zeros((len(ids_list), longest), dtype=np.int64)
    mask = np.zeros_like(ids)
    for j, i in enumerate(ids_list):
        ids[j, : len(i)] = i
        mask[j, : len(i)] = 1
    return sess.run(None, {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)})[0]


def ms_per_comment(sess, encoded: list[list[int]]) -> tuple[float, float]:
    for ids in encoded[:20]:
        run(sess, [ids])
    times = []
    for ids in encoded:
        started = time.perf_counter()
        run(sess, [ids])
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times), percentile(times, 99)


def main(argv: list[str] | None = None) -> int:
    parser = harness.parser(__doc__)
    parser.add_argument("--head", type=Path, help="the fine-tuning head (head.pt) for the quality columns")
    parser.add_argument("--count", type=int, default=400, help="comments timed per row (default 400)")
    parser.add_argument("--judged", type=int, help="comments the head judges per split (default: all)")
    args = parser.parse_args(argv)
    os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # one core, as a worker has

    from benchmarks.default_path import mix_texts, news_texts
    from moderation.classifier.model import build_pipeline
    from moderation.classifier.rules import RuleSet
    from moderation.classifier.types import CATEGORIES
    from moderation.training.splits import C3_EVALUATION, TRAIN, VALIDATION, label_matrix

    rules = RuleSet.load()
    parts = harness.splits()
    normalize = build_pipeline(rules).named_steps["normalize"]
    normalize.fit([e.text for e in parts[TRAIN]])
    news = [n.text for n in normalize.transform(news_texts()[: args.count])]
    mix = [n.text for n in normalize.transform(mix_texts(args.count))]
    head = None
    if args.head:
        import torch

        state = torch.load(args.head)
        from moderation.training.finetune_encoder import HEAD_SCALE

        head = (state["weight"].numpy().astype(np.float64) * HEAD_SCALE, state["bias"].numpy().astype(np.float64))
    judged = {name: parts[name][: args.judged] for name in (C3_EVALUATION, VALIDATION)}
    judged_texts = {name: [n.text for n in normalize.transform([e.text for e in rows])] for name, rows in judged.items()}
    one = session(1)
    lines = [
        "## Sentence encoder: truncation, threads, micro-batches",
        "",
        (
            f"Command: `.venv/bin/python -m benchmarks.encoder_options{' --head ' + str(args.head) if args.head else ''}`"
            f" ({time.strftime('%Y-%m-%d %H:%M')}; {harness.machine('one core')}; the shipped int8 encoder)."
            f" {args.count} comments a row."
        ),
        "",
        "| tokens at most | news: p50 / p99 ms | mix: p50 / p99 ms |"
        + (" head ROC AUC, C3 evaluation (attack / abuse) | head ROC AUC, validation (abuse / attack / promotion) |" if head else ""),
        "|---|---|---|" + ("---|---|" if head else ""),
    ]
    from sklearn.metrics import roc_auc_score

    for length in LENGTHS:
        tok = tokenizer(length)
        row = f"| {length} |"
        for texts in (news, mix):
            p50, p99 = ms_per_comment(one, [e.ids for e in tok.encode_batch(texts)])
            row += f" {p50:.2f} / {p99:.2f} |"
        if head:
            for name, order in ((C3_EVALUATION, ("attack", "abuse")), (VALIDATION, ("abuse", "attack", "promotion"))):
                E = np.vstack([run(one, [e.ids]) for e in tok.encode_batch(judged_texts[name])]).astype(np.float64)
                Z = E @ head[0].T + head[1]
                Y = label_matrix(judged[name])
                aucs = []
                for category in order:
                    k = CATEGORIES.index(category)
                    known = Y[:, k] >= 0
                    aucs.append(f"{roc_auc_score(Y[known, k], Z[known, k]):.3f}")
                row += f" {' / '.join(aucs)} |"
        lines.append(row)
        print(row, file=sys.stderr)
    tok = tokenizer(128)
    encoded = [e.ids for e in tok.encode_batch(news)]
    two = session(2)
    os.sched_setaffinity(0, set(range(os.cpu_count() or 1)))
    t1, t2 = ms_per_comment(one, encoded), ms_per_comment(two, encoded)
    os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    pairs = list(zip(encoded[::2], encoded[1::2]))
    started = time.perf_counter()
    for a, b in pairs:
        run(one, [a])
        run(one, [b])
    singly = (time.perf_counter() - started) * 1000 / len(pairs)
    started = time.perf_counter()
    together = [run(one, [a, b]) for a, b in pairs]
    batched = (time.perf_counter() - started) * 1000 / len(pairs)
    alone = np.vstack([run(one, [a]) for a, _ in pairs])
    cosine = np.sum(alone * np.vstack([t[0] for t in together]), axis=1)
    lines += [
        "",
        "| run | time |",
        "|---|---|",
        f"| one comment, 1 intra-op thread: p50 / p99 | {t1[0]:.2f} / {t1[1]:.2f} ms |",
        f"| one comment, 2 intra-op threads (both cores free): p50 / p99 | {t2[0]:.2f} / {t2[1]:.2f} ms |",
        f"| two news comments, one run each | {singly:.2f} ms a pair |",
        f"| two news comments in one run (padded to the longer) | {batched:.2f} ms a pair |",
        f"| a comment's embedding alone vs in a pair: cosine, min / median | {cosine.min():.4f} / {np.median(cosine):.4f} |",
    ]
    harness.publish(args, "encoder-options", "\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
