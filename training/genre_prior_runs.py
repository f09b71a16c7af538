"""``python -m training genre-prior`` and ``export-genre-prior``: the genre-conditioned latent
generator trained in a bundle's latent space and added to the bundle as genre_prior.onnx."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from engine.bundle import load_bundle
from training.config import GenrePriorConfig
from training.corpus import Corpus
from training.decoded_statistics import blend_histograms
from training.evaluate import BundleBackend
from training.export import torch_model_from_bundle
from training.export_pairs import add_latent_generator, require_same_space
from training.genre_fusion_runs import genre_latents
from training.genre_prior import GenrePrior, GenrePriorTraining
from training.pair_runs import encoder_sha256, load_run


def train_genre_prior(config: GenrePriorConfig, corpus: Corpus, bundle_dir: Path, run_dir: Path,
                      max_minutes: float | None = None) -> None:
    """Train G(noise, genre) for ``config.genres`` in the bundle's latent space, with the bundle's
    decoder frozen and each genre's training-window histograms as its targets."""
    backend = BundleBackend(bundle_dir)
    bundle = load_bundle(bundle_dir)
    priors = {g.name: (g.mean, g.std) for g in bundle.genres}
    missing = set(config.genres) - set(priors)
    if missing:
        raise SystemExit(f"the bundle at {bundle_dir} has no genre {sorted(missing)}; it has {sorted(priors)}")
    latents = [genre_latents(backend, corpus, name, config.transpositions, config.seed) for name in config.genres]
    decoder, targets = None, None
    if config.histogram_weights:
        decoder = torch_model_from_bundle(bundle_dir).eval().requires_grad_(False).decode
        targets = [blend_histograms([corpus.windows[corpus.select("train", name)].astype(np.int64)])
                   for name in config.genres]
    GenrePriorTraining(config, latents, [priors[name] for name in config.genres], run_dir,
                       space=encoder_sha256(bundle_dir), decoder=decoder, targets=targets).run(max_minutes)


def genre_prior_generator(checkpoint: Path) -> tuple[GenrePrior, GenrePriorConfig]:
    """G of a genre-prior checkpoint, in eval mode, with its settings."""
    state, settings = load_run(checkpoint)
    config = GenrePriorConfig.from_dict({k: v for k, v in settings.items() if k != "encoder_sha256"})
    means, stds = state["generator"]["means"].numpy(), state["generator"]["stds"].numpy()
    model = GenrePrior(means, stds, config.hidden, config.layers)
    model.load_state_dict(state["generator"])
    return model.eval(), config


def export_genre_prior(bundle_dir: Path, checkpoint: Path) -> dict:
    """Add genre_prior.onnx to the bundle, with a parity check (via a staging copy)."""
    require_same_space(checkpoint, bundle_dir)
    generator, config = genre_prior_generator(checkpoint)
    rng = torch.Generator().manual_seed(0)
    count, (genres, size) = 64, generator.means.shape
    inputs = {"noise": torch.randn(count, size, generator=rng),
              "genre": torch.nn.functional.one_hot(torch.randint(0, genres, (count,), generator=rng), genres).float()}
    return add_latent_generator(bundle_dir, "genre_prior", generator, inputs,
                                {"genres": list(config.genres), "training": config.to_dict()})
