"""``python -m training export``: ONNX files, fader calibration, parity checks, manifest."""
from __future__ import annotations

import datetime
import json
import shutil
from pathlib import Path

import numpy as np
import torch

from engine.attributes import ATTRIBUTES, measure
from engine.bundle import FORMAT_VERSION, load_bundle, sha256_of, token_scheme
from engine.codec import WINDOW_STEPS
from engine.latent import LatentModel
from training.corpus import GENRES, Corpus, summary
from training.evaluate import fitted_prior
from training import losses
from training.half_weights import round_to_half, store_half, stored_weights
from training.models import DecoderExport, EncoderExport, MelodyVAE, PolyphaseUpsample
from training.config import TrainConfig
from training.train import FADER_INDEX

UNITS = {"density": "onsets per bar", "register": "MIDI pitch", "spread": "semitones (standard deviation)", "motion": "semitones per note"}
CALIBRATION_POINTS = 17
CALIBRATION_WINDOWS = 256
OPSET = 17


class ParityError(RuntimeError):
    """ONNX outputs differ from PyTorch's beyond the allowed tolerance."""


def load_checkpoint(path: Path) -> tuple[MelodyVAE, dict]:
    """Model (in eval mode) and raw state of a training checkpoint."""
    state = torch.load(path, weights_only=False)
    config = TrainConfig.from_dict(state["train_config"])
    if config.model.decoder != "conv":
        raise SystemExit("only the parallel (conv) decoder is exported; the GRU decoder is for comparison runs")
    model = MelodyVAE(config.model)
    model.load_state_dict(state["model"])
    return model.eval(), state


def export_onnx(model: MelodyVAE, out_dir: Path) -> dict[str, str]:
    """Write encoder.onnx and decoder.onnx with a dynamic batch axis and float16-stored
    weights (the model must be rounded with :func:`round_to_half` first)."""
    # Export restores each wrapper's training flag recursively, so the wrappers must be in eval mode too.
    tokens = torch.zeros(2, WINDOW_STEPS, dtype=torch.long)
    z = torch.zeros(2, model.config.latent_size)
    torch.onnx.export(EncoderExport(model).eval(), (tokens,), out_dir / "encoder.onnx", input_names=["tokens"],
                      output_names=["mean", "logvar"], opset_version=OPSET, dynamo=False, do_constant_folding=False,
                      dynamic_axes={"tokens": {0: "batch"}, "mean": {0: "batch"}, "logvar": {0: "batch"}})
    torch.onnx.export(DecoderExport(model).eval(), (z,), out_dir / "decoder.onnx", input_names=["z"],
                      output_names=["logits"], opset_version=OPSET, dynamo=False, do_constant_folding=False,
                      dynamic_axes={"z": {0: "batch"}, "logits": {0: "batch"}})
    names = set(model.state_dict())
    for path in ("encoder.onnx", "decoder.onnx"):
        store_half(out_dir / path, names)
    return {"encoder": "encoder.onnx", "decoder": "decoder.onnx"}


def recalibrate_batch_norm(model: MelodyVAE, tokens: np.ndarray, config: TrainConfig | None = None,
                           batches: int = 40, batch_size: int = 256) -> int:
    """Recompute every batch norm's running statistics from real training windows with an
    exact average ("precise BN"): training updates them with a moving average that lags the
    weights. The batches are the ones training saw: the encoder on windows, the decoder on
    their posterior samples, joined by their fader swaps when ``config`` trained with them
    (invented fader values far from the data shift the decoder's batch statistics).
    Returns the number of windows used."""
    norms = [m for m in model.modules() if isinstance(m, torch.nn.modules.batchnorm._BatchNorm)]
    for norm in norms:
        norm.reset_running_stats()
        norm.momentum = None  # cumulative average over the passes below
    rng = np.random.default_rng(0)
    noise = torch.Generator().manual_seed(0)  # seeded, so exporting a checkpoint twice gives the same files
    swapping = config is not None and config.swaps
    if swapping:
        attributes = torch.from_numpy(measure(tokens).astype(np.float32))
        line = losses.fader_line(attributes)
    model.train()
    with torch.no_grad():
        for _ in range(batches):
            chosen = rng.choice(len(tokens), min(batch_size, len(tokens)), replace=False)
            mean, logvar = model.encoder(torch.from_numpy(tokens[chosen]))
            z = mean + torch.randn(mean.shape, generator=noise) * torch.exp(0.5 * logvar)
            if swapping:
                torch.manual_seed(len(chosen))  # swap_faders draws from the global generator
                swapped, _ = losses.swap_faders(z, attributes[chosen], FADER_INDEX, config.swap_reach, line)
                z = torch.cat([z, swapped])
            model.decode(z)
    for norm in norms:
        norm.momentum = 0.1
    model.eval()
    return batches * min(batch_size, len(tokens))


def calibrate_faders(model: MelodyVAE, means: np.ndarray) -> list[dict]:
    """Map each fader's latent value to the attribute the decoder actually produces: slide the
    dimension over its 1st..99th training percentile on real windows and take the median."""
    rng = np.random.default_rng(0)
    with torch.no_grad():
        chosen = means[rng.choice(len(means), min(CALIBRATION_WINDOWS, len(means)), replace=False)]
        faders = []
        for f, (name, index) in enumerate(zip(ATTRIBUTES, FADER_INDEX)):
            latent = np.linspace(*np.percentile(means[:, index], [1, 99]), CALIBRATION_POINTS)
            slid = np.repeat(chosen[None], CALIBRATION_POINTS, axis=0)
            slid[:, :, index] = latent[:, None]
            decoded = model.decode(torch.from_numpy(slid.reshape(-1, means.shape[1]))).argmax(-1).numpy()
            values = np.nanmedian(measure(decoded)[:, f].reshape(CALIBRATION_POINTS, -1), axis=1)
            values = np.maximum.accumulate(values)
            faders.append({"name": name, "index": index, "unit": UNITS[name],
                           "calibration": {"latent": latent.round(5).tolist(), "value": values.round(4).tolist()}})
    return faders


def check_parity(model: MelodyVAE, bundle_dir: Path, test_tokens: np.ndarray, seeds: int = 8) -> dict:
    """Greedy tokens must match exactly and encoder outputs within 1e-4 on fixed seeds."""
    latent = LatentModel(load_bundle(bundle_dir), int8=False)
    with torch.no_grad():
        mean_t, logvar_t = (t.numpy() for t in model.encoder(torch.from_numpy(test_tokens)))
    mean_o, logvar_o = latent.encode(test_tokens)
    encoder_error = float(max(np.abs(mean_t - mean_o).max(), np.abs(logvar_t - logvar_o).max()))
    mismatched = 0
    for seed in range(seeds):
        z = np.random.default_rng(seed).standard_normal((64, model.config.latent_size)).astype(np.float32)
        z = np.concatenate([z, mean_t[seed * 16 : (seed + 1) * 16]])
        with torch.no_grad():
            torch_tokens = model.decode(torch.from_numpy(z)).argmax(-1).numpy()
        mismatched += int((latent.decode(z) != torch_tokens).sum())
    report = {"encoder_max_abs_error": encoder_error, "decoded_token_mismatches": mismatched, "seeds": seeds}
    if encoder_error > 1e-4 or mismatched:
        raise ParityError(f"ONNX parity failed: {report}")
    return report


def encode_all(model: MelodyVAE, tokens: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Posterior means and log-variances of many windows."""
    with torch.no_grad():
        parts = [model.encoder(torch.from_numpy(tokens[i : i + 2048])) for i in range(0, len(tokens), 2048)]
    return torch.cat([p[0] for p in parts]).numpy(), torch.cat([p[1] for p in parts]).numpy()


def genre_priors(model: MelodyVAE, train_means: np.ndarray, train_genre: np.ndarray) -> list[dict]:
    """Each genre's ex-post Gaussian (mean and std of its posterior means), which the engine
    samples from, with the learned prior mean kept for reference."""
    means, stds = fitted_prior(train_means, train_genre)
    return [{"name": genre, "mean": means[g].round(6).tolist(), "std": stds[g].round(6).tolist(),
             "learned_mean": model.prior_means[g].detach().numpy().round(6).tolist()}
            for g, genre in enumerate(GENRES)]


def write_manifest(out_dir: Path, name: str, files: dict[str, str], model: MelodyVAE, state: dict,
                   faders: list[dict], genres: list[dict], corpus: Corpus, parity: dict | None,
                   latent_std: list[float]) -> dict:
    """Write manifest.json (sha256 of every file, faders, genre priors, training summary)."""
    config = TrainConfig.from_dict(state["train_config"])
    manifest = {
        "format_version": FORMAT_VERSION,
        "name": name,
        "created": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "tokens": token_scheme(),
        "bars": WINDOW_STEPS // token_scheme()["steps_per_bar"],
        "latent_size": model.config.latent_size,
        "latent_std": latent_std,
        "files": {role: {"path": path, "sha256": sha256_of(out_dir / path)} for role, path in files.items()},
        "faders": faders,
        "genres": genres,
        "training": {
            "checkpoint": state.get("checkpoint"),
            "steps": state["step"], "minutes": round(state["seconds"] / 60, 1),
            "best_val_token_accuracy": round(state["best_accuracy"], 4),
            "batch_norm_recalibrated_on_windows": state.get("batch_norm_windows"),
            "started_from": state.get("started_from"),
            "config": config.to_dict(), "corpus": summary(corpus).splitlines(),
            "attribute_mean": state["attribute_mean"].tolist(), "attribute_std": state["attribute_std"].tolist(),
        },
        "parity": parity,
        "metrics": {},
    }
    (out_dir / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n")
    return manifest


def torch_model_from_bundle(bundle_dir: Path) -> MelodyVAE:
    """Rebuild the eager PyTorch model from a bundle's ONNX weights (exported unfolded, so
    every initializer keeps its state-dict name); used to compare ONNX with eager PyTorch."""
    bundle = load_bundle(bundle_dir)
    config = TrainConfig.from_dict(bundle.manifest["training"]["config"])
    model = MelodyVAE(config.model)
    state = {"prior_means": torch.tensor([g["learned_mean"] for g in bundle.manifest["genres"]])}
    shapes = {name: tensor.shape for name, tensor in model.state_dict().items()}
    for role in ("encoder", "decoder"):
        stored = {name: torch.from_numpy(weights.copy()) for name, weights in stored_weights(bundle.file(role)).items()}
        for name, weights in stored.items():
            # The graph holds 2-D (1 x k) twins of the 1-D layers and polyphase upsampling (models.to_planar).
            target = shapes.get(name, weights.shape)
            if weights.numel() == target.numel():
                state[name] = weights.reshape(target)
            elif name.endswith(".weight"):
                layer = name.removesuffix(".weight")
                state[name], state[f"{layer}.bias"] = PolyphaseUpsample.transposed(weights, stored[f"{layer}.bias"])
    missing, unexpected = model.load_state_dict(state, strict=False)
    if unexpected or any(not name.endswith("num_batches_tracked") for name in missing):
        raise ValueError(f"bundle weights do not fit the model: missing {missing}, unexpected {unexpected}")
    return model.eval()


def _ship_logs(checkpoint: Path, state: dict, staging: Path) -> dict[str, str]:
    """Copy the training logs (so anyone can redraw the loss curves); a decoder fine-tune also
    ships its starting run's log and records that run in ``state["started_from"]``."""
    files = {}
    start = TrainConfig.from_dict(state["train_config"]).finetune_decoder
    runs = {"training_log": checkpoint.parent}
    if start:
        started = torch.load(start, weights_only=False)
        state["started_from"] = {"checkpoint": start, "steps": started["step"],
                                 "minutes": round(started["seconds"] / 60, 1), "config": started["train_config"]}
        runs["pretraining_log"] = Path(start).parent
    for role, run in runs.items():
        if (run / "log.jsonl").exists():
            shutil.copy2(run / "log.jsonl", staging / f"{role}.jsonl")
            files[role] = f"{role}.jsonl"
    return files


def export_bundle(checkpoint: Path, corpus: Corpus, out_dir: Path, name: str) -> dict:
    """Export a checkpoint into a fresh bundle directory and verify it against PyTorch.

    Writes into a temporary sibling first so a failed export never clobbers a good bundle.
    """
    model, state = load_checkpoint(checkpoint)
    train_tokens = corpus.windows[corpus.select("train")].astype(np.int64)
    state["checkpoint"] = str(checkpoint)
    state["batch_norm_windows"] = recalibrate_batch_norm(model, train_tokens, TrainConfig.from_dict(state["train_config"]))
    round_to_half(model)  # the shipped weights are float16; everything below uses them
    staging = out_dir.with_name(out_dir.name + ".staging")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    files = export_onnx(model, staging)
    files |= _ship_logs(checkpoint, state, staging)
    test_tokens = corpus.windows[corpus.select("test")][:128].astype(np.int64)
    train_means, train_logvars = encode_all(model, train_tokens)
    faders = calibrate_faders(model, train_means)
    genres = genre_priors(model, train_means, corpus.genre[corpus.select("train")])
    latent_std = np.exp(0.5 * train_logvars).mean(0).round(6).tolist()
    write_manifest(staging, name, files, model, state, faders, genres, corpus, None, latent_std)
    parity = check_parity(model, staging, test_tokens)
    manifest = write_manifest(staging, name, files, model, state, faders, genres, corpus, parity, latent_std)
    if out_dir.exists():
        shutil.rmtree(out_dir)
    staging.rename(out_dir)
    return manifest
