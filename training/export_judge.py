"""``python -m training export-judge``: add a reality classifier to a bundle as judge.onnx, so
fusion can try several styles and keep the join it finds most real (engine.picking).

The judge is the classifier trained on the training split (runs/reality-train), never the
evaluation one that scores fusion, so picking cannot simply learn the scorer's taste.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import torch

from engine.bundle import load_bundle, sha256_of
from engine.codec import N_TOKENS, WINDOW_STEPS
from engine.latent import LatentModel
from engine.picking import MAX_CANDIDATES
from training.export_pairs import check_parity, export_graph, staged_bundle
from training.half_weights import round_to_half
from training.models import to_planar
from training.pair_runs import classifier_from_run, load_run

def export_judge(bundle_dir: Path, checkpoint: Path, candidates: int) -> dict:
    """Add judge.onnx (float16-stored weights) and its manifest entry, with ``candidates`` as
    the default number of styles fusion tries; checks ONNX parity before the bundle changes."""
    if not 1 <= candidates <= MAX_CANDIDATES:
        raise SystemExit(f"candidates must be 1..{MAX_CANDIDATES}, got {candidates}")
    if not checkpoint.exists():
        raise SystemExit(f"no reality classifier at {checkpoint}; train it with python -m training reality --split train")
    model = classifier_from_run(checkpoint)
    round_to_half(model)
    settings = load_run(checkpoint)[1]
    phrases = torch.randint(0, N_TOKENS, (64, 2 * WINDOW_STEPS), generator=torch.Generator().manual_seed(0))
    with staged_bundle(bundle_dir) as staging:
        # 2-D twins of the convolutions: ONNX Runtime's blocked kernels run them faster
        export_graph(to_planar(model), {"phrases": phrases}, ["logit"], staging / "judge.onnx")
        manifest = json.loads((staging / "manifest.json").read_text())
        manifest["files"]["judge"] = {"path": "judge.onnx", "sha256": sha256_of(staging / "judge.onnx")}
        manifest["judge"] = {"candidates": candidates, "training": settings}
        (staging / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n")
        with torch.no_grad():
            expected = model(phrases)
        got = LatentModel(load_bundle(staging)).judge(phrases.numpy())
        manifest["parity"] = {**(manifest.get("parity") or {}),
                              "judge_max_abs_error": check_parity((expected,), (np.asarray(got),), "judge")}
        (staging / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n")
    return manifest
