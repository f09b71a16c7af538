"""The pair-model runs behind ``python -m training reality | fusion | continuation``, and the
pair part of ``evaluate``: each one wires a bundle, the corpus and a run directory."""
from __future__ import annotations

from dataclasses import fields
from pathlib import Path

import numpy as np
import torch

from engine.bundle import load_bundle
from training.config import ContinuationConfig, FusionConfig, RealityConfig
from training.continuation_train import ContinuationTraining, continuation_model
from training.corpus import Corpus
from training.evaluate import BundleBackend
from training.export import torch_model_from_bundle
from training.fusion_train import FusionTraining, PriorSampler
from training.key_matching import FusionInputs, prior_in_one_key, shuffled_in_one_key
from training.latent_pairs import LatentPairs, encode_pairs
from training.pair_models import ContinuationDensity, ContinuationFlow, FusionGenerator
from training.reality import Classifier, RealityTraining, build_classifier, reality
from training.reality_guide import RealityGuide

REALITY_SPLITS = {"eval": "reality-eval", "train": "reality-train"}  # scoring model, Latent Perturb's model


def encoder_sha256(bundle_dir: Path) -> str:
    """Identifies the latent space a pair model is trained in."""
    return load_bundle(bundle_dir).manifest["files"]["encoder"]["sha256"]


def prior_of(bundle_dir: Path) -> PriorSampler:
    """The bundle's ex-post genre mixture as a sampler."""
    bundle = load_bundle(bundle_dir)
    return PriorSampler(np.stack([g.mean for g in bundle.genres]), np.stack([g.std for g in bundle.genres]))


def train_reality(config: RealityConfig, corpus: Corpus, split: str, run_dir: Path,
                  max_minutes: float | None = None) -> None:
    """Train the reality classifier on ``split`` (validated on val)."""
    RealityTraining(config, corpus, split, "val", run_dir).run(max_minutes)


def train_fusion(config: FusionConfig, corpus: Corpus, bundle_dir: Path, run_dir: Path,
                 max_minutes: float | None = None, reality_config: RealityConfig | None = None) -> None:
    """Train the fusion generator and discriminator in the bundle's latent space (guided by
    the training-split reality classifier in the sibling run directory when
    ``config.reality_weight`` > 0)."""
    backend = BundleBackend(bundle_dir)
    pairs = encode_pairs(backend, corpus, "train", config.transpositions, config.seed)
    val = encode_pairs(backend, corpus, "val", 1)
    bundle = load_bundle(bundle_dir)
    guide = reality_guide(corpus, bundle_dir, run_dir.parent, reality_config) if config.reality_weight > 0 else None
    prior = prior_of(bundle_dir)
    keyed = key_matched_inputs(backend, corpus, pairs, prior, config.in_one_key, config.seed) \
        if config.in_one_key else None
    FusionTraining(config, pairs, val, prior, bundle.latent_std, run_dir, space=encoder_sha256(bundle_dir),
                   guide=guide, in_one_key=keyed).run(max_minutes)


def key_matched_inputs(backend: BundleBackend, corpus: Corpus, pairs: LatentPairs, prior: PriorSampler,
                       count: int, seed: int) -> tuple[FusionInputs, FusionInputs]:
    """``count`` shuffled training-window pairs and ``count`` prior pairs, each put into one key."""
    tokens = corpus.windows[corpus.select("train")].astype(np.int64)
    generator = torch.Generator().manual_seed(seed)
    draws = [prior.sample(count, generator).numpy() for _ in range(2)]
    return (shuffled_in_one_key(backend, tokens, pairs.singles, count, np.random.default_rng(seed)),
            prior_in_one_key(backend, *draws))


def train_continuation(config: ContinuationConfig, corpus: Corpus, bundle_dir: Path, run_dir: Path,
                       max_minutes: float | None = None, reality_config: RealityConfig | None = None) -> None:
    """Fit the continuation density in the bundle's latent space (guided by the training-split
    reality classifier in the sibling run directory when ``config.reality_weight`` > 0); with
    ``config.backward``, the density of the window before a given one."""
    backend = BundleBackend(bundle_dir)
    pairs, val_pairs = (encode_pairs(backend, corpus, split, copies, config.seed)
                        for split, copies in (("train", config.transpositions), ("val", 1)))
    if config.backward:
        pairs, val_pairs = (LatentPairs(p.right, p.left, p.singles) for p in (pairs, val_pairs))
    guide = reality_guide(corpus, bundle_dir, run_dir.parent, reality_config) if config.reality_weight > 0 else None
    ContinuationTraining(config, pairs, val_pairs, run_dir, space=encoder_sha256(bundle_dir), guide=guide).run(max_minutes)


def reality_guide(corpus: Corpus, bundle_dir: Path, runs: Path, config: RealityConfig | None = None) -> RealityGuide:
    """The bundle's frozen decoder and the training-split reality classifier in ``runs``
    (trained there first if missing), as a pair-realness function."""
    vae = torch_model_from_bundle(bundle_dir)
    return RealityGuide(vae.decode, reality_classifier(corpus, "train", runs, config), [vae])


def load_run(path: Path) -> tuple[dict, dict]:
    """(state, settings) of a pair-model checkpoint."""
    saved = torch.load(path, weights_only=False)
    return saved["state"], saved["settings"]


def fusion_generator(path: Path, latent_size: int) -> FusionGenerator:
    """The generator of a fusion checkpoint, in eval mode."""
    state, settings = load_run(path)
    settings = {key: value for key, value in settings.items() if key != "encoder_sha256"}
    config = FusionConfig(**{**settings, "similarity": tuple(settings["similarity"])})
    model = FusionGenerator(latent_size, config.hidden, config.layers, config.conditioned)
    model.load_state_dict(state["generator"])
    return model.eval()


def continuation_config(settings: dict) -> ContinuationConfig:
    """The config recorded in a checkpoint or manifest (runs from before flows were mixtures)."""
    return ContinuationConfig(**{"kind": "mixture", **{k: v for k, v in settings.items() if k != "encoder_sha256"}})


def continuation_from_run(path: Path, latent_size: int) -> ContinuationDensity | ContinuationFlow:
    """The continuation model of a checkpoint, in eval mode."""
    state, settings = load_run(path)
    model = continuation_model(continuation_config(settings), latent_size)
    model.load_state_dict(state["model"])
    return model.eval()


def saved_reality_config(run_dir: Path) -> RealityConfig | None:
    """The settings of the reality run in ``run_dir`` (None when there is none), so a run
    trained before a default changed is used, or finished, as it was started."""
    path = run_dir / "last.pt"
    if not path.exists():
        return None
    settings = torch.load(path, weights_only=False)["settings"]
    return RealityConfig(**{f.name: settings[f.name] for f in fields(RealityConfig) if f.name in settings})


def reality_classifier(corpus: Corpus, split: str, runs: Path, config: RealityConfig | None = None) -> Classifier:
    """The reality classifier for ``split`` (its best checkpoint, in eval mode), trained (or
    its training finished) first in runs/reality-<split>."""
    run_dir = runs / REALITY_SPLITS[split]
    # returns at once when already done
    train_reality(config or saved_reality_config(run_dir) or RealityConfig(), corpus, split, run_dir)
    return classifier_from_run(run_dir / "best.pt")


def classifier_from_run(checkpoint: Path) -> Classifier:
    """A reality classifier from its training checkpoint, in eval mode."""
    state, settings = load_run(checkpoint)
    model = build_classifier(settings.get("architecture", "conv"), settings["channels"], settings["dropout"])
    model.load_state_dict(state["model"])
    return model.eval()


def reality_model(corpus: Corpus, split: str, runs: Path, config: RealityConfig | None = None):
    """The reality classifier for ``split`` as a phrases -> probabilities function."""
    model = reality_classifier(corpus, split, runs, config)
    return lambda phrases: reality(model, phrases)


class TorchPairModels:
    """Eager pair models behind the engine's pair interface (``fuse``, the continuation's)."""

    def __init__(self, generator: FusionGenerator | None,
                 density: ContinuationDensity | ContinuationFlow | None = None) -> None:
        self.generator, self.density = generator, density
        self.continuation_kind = "flow" if isinstance(density, ContinuationFlow) else "mixture"

    @classmethod
    def from_runs(cls, fusion: Path, latent_size: int) -> "TorchPairModels":
        """The fusion generator of a training checkpoint (no continuation model)."""
        return cls(fusion_generator(fusion, latent_size))

    def fuse(self, left: np.ndarray, right: np.ndarray, style: np.ndarray,
             similarity: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(z_L', z_R') as numpy."""
        with torch.no_grad():
            out = self.generator(*(torch.from_numpy(np.asarray(x, dtype=np.float32))
                                   for x in (left, right, style, similarity)))
        return out[0].numpy(), out[1].numpy()

    def continuation(self, left: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Mixture parameters as numpy."""
        with torch.no_grad():
            return tuple(t.numpy() for t in self.density(torch.from_numpy(np.asarray(left, dtype=np.float32))))

    def continuation_flow(self, left: np.ndarray, noise: np.ndarray, source: np.ndarray | None = None,
                          start: np.ndarray | None = None) -> np.ndarray:
        """The flow's right latents as numpy (started partway from ``source`` at ``start``, when given)."""
        partway = () if start is None else (torch.from_numpy(source), torch.from_numpy(start))
        with torch.no_grad():
            return self.density(torch.from_numpy(left), torch.from_numpy(noise), *partway).numpy()


def guided_twins(bundle_dir: Path, scales: list[float]) -> dict[str, TorchPairModels]:
    """Eager twins of the bundle's continuation flow, one per classifier-free guidance scale,
    named "guidance=<scale>" (for comparing scales without exporting each)."""
    from training.export_pairs import torch_pair_models_from_bundle

    twins = {}
    for scale in scales:
        flow = torch_pair_models_from_bundle(bundle_dir)["continuation"]
        flow.guidance = scale
        twins[f"guidance={scale:g}"] = TorchPairModels(None, flow)
    return twins
