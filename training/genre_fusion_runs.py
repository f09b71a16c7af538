"""``python -m training genre-fusion`` and ``export-genre-fusion``: FusionGAN's fused-domain
generator for two genres, trained in a bundle's latent space and added to the bundle as
``genre_fusion_A_B.onnx`` (one per pair of genres)."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from engine.bundle import genre_fusion_role, load_bundle
from engine.codec import transposition_room
from training.config import GenreFusionConfig
from training.corpus import Corpus
from training.decoded_statistics import blend_histograms
from training.evaluate import BundleBackend, encode_means
from training.export import torch_model_from_bundle
from training.export_pairs import add_latent_generator, require_same_space
from training.genre_fusion import FusedGenerator, GenreFusionTraining
from training.latent_pairs import transpose
from training.pair_runs import encoder_sha256, load_run


def genre_latents(backend: BundleBackend, corpus: Corpus, genre: str, copies: int, seed: int = 0) -> np.ndarray:
    """Posterior means of a genre's training windows, each in ``copies`` random transpositions
    (the first untransposed)."""
    windows = corpus.windows[corpus.select("train", genre)].astype(np.int64)
    rng = np.random.default_rng(seed)
    down, up = transposition_room(windows)
    low, high = np.maximum(down, -6), np.minimum(up, 6)
    parts = [windows] + [transpose(windows, low + np.floor(rng.random(len(windows)) * (high - low + 1)).astype(np.int64))
                         for _ in range(copies - 1)]
    return encode_means(backend, np.concatenate(parts))


def train_genre_fusion(config: GenreFusionConfig, corpus: Corpus, bundle_dir: Path, run_dir: Path,
                       max_minutes: float | None = None) -> None:
    """Train G_F between ``config.genres`` in the bundle's latent space (with the bundle's
    decoder frozen and each genre's training windows' histograms, when ``config.histogram_weights``
    has any)."""
    backend = BundleBackend(bundle_dir)
    bundle = load_bundle(bundle_dir)
    genres = {g.name: g for g in bundle.genres}
    a, b = config.genres
    latents = [genre_latents(backend, corpus, name, config.transpositions, config.seed) for name in (a, b)]
    decoder, targets = None, None
    if config.histogram_weights:
        decoder = torch_model_from_bundle(bundle_dir).eval().requires_grad_(False).decode
        targets = tuple(blend_histograms([corpus.windows[corpus.select("train", name)].astype(np.int64)])
                        for name in (a, b))
    GenreFusionTraining(config, *latents, (genres[a].mean, genres[a].std), (genres[b].mean, genres[b].std),
                        run_dir, space=encoder_sha256(bundle_dir), decoder=decoder, targets=targets).run(max_minutes)


def fused_generator(checkpoint: Path, latent_size: int) -> tuple[FusedGenerator, GenreFusionConfig]:
    """G_F of a genre-fusion checkpoint, in eval mode, with its settings."""
    state, settings = load_run(checkpoint)
    config = GenreFusionConfig.from_dict({k: v for k, v in settings.items() if k != "encoder_sha256"})
    model = FusedGenerator(config.noise_size, latent_size, config.hidden, config.layers, np.zeros(latent_size),
                           np.zeros(latent_size), config.blend_conditioned)
    model.load_state_dict(state["g_f"])
    return model.eval(), config


def export_genre_fusion(bundle_dir: Path, checkpoint: Path) -> tuple[str, dict]:
    """Add the checkpoint's G_F to the bundle, with a parity check (via a staging copy), in place
    of any generator the bundle had for the same two genres; its role and the new manifest."""
    require_same_space(checkpoint, bundle_dir)
    bundle = load_bundle(bundle_dir)
    generator, config = fused_generator(checkpoint, bundle.latent_size)
    role = genre_fusion_role(config.genres)
    previous = bundle.genre_fusion(set(config.genres))
    seeded = torch.Generator().manual_seed(0)
    inputs = {"noise": torch.randn(64, config.noise_size, generator=seeded)}
    if config.blend_conditioned:
        inputs["share"] = torch.rand(64, 1, generator=seeded)
    return role, add_latent_generator(bundle_dir, role, generator, inputs,
                                      {"genres": list(config.genres), "noise_size": config.noise_size,
                                       "blend_conditioned": config.blend_conditioned, "training": config.to_dict()},
                                      replaces=previous.role if previous is not None and previous.role != role else None)
