"""Shared fixtures: a small synthetic corpus and a tiny trained model with its bundle."""
from pathlib import Path

import numpy as np
import pytest

from engine.codec import HOLD, N_TOKENS, REST, WINDOW_STEPS


def synthetic_windows(count: int, seed: int) -> np.ndarray:
    """Plausible melodic windows: random notes of 1-8 sixteenths, the odd rest."""
    rng = np.random.default_rng(seed)
    windows = np.zeros((count, WINDOW_STEPS), dtype=np.int8)
    for row in windows:
        step, pitch = 0, int(rng.integers(14, 36))
        while step < WINDOW_STEPS:
            length = int(rng.choice([1, 2, 2, 4, 4, 8]))
            pitch = int(np.clip(pitch + rng.integers(-4, 5), 2, N_TOKENS - 1))
            row[step] = REST if rng.random() < 0.05 else pitch
            row[step + 1 : step + length] = HOLD if row[step] != REST else REST
            step += length
    return windows


@pytest.fixture(scope="session")
def tiny_corpus():
    """A Corpus of synthetic windows spread over every genre and split."""
    from training.corpus import GENRES, SPLITS, Corpus

    windows = synthetic_windows(480, seed=0)
    index = np.arange(len(windows))
    return Corpus(windows=windows, genre=(index % len(GENRES)).astype(np.int32),
                  split=((index // 3) % len(SPLITS)).astype(np.int32), tune=(index // 8).astype(np.int32),
                  tune_ids=[f"synthetic#{i}" for i in range(len(windows) // 8)])


@pytest.fixture(scope="session")
def tiny_config():
    """A model and schedule small enough to train in seconds."""
    from training.models import ModelConfig
    from training.train import TrainConfig

    return TrainConfig(steps=6, batch_size=16, beta_warmup=2, lr_warmup=0, eval_every=3, checkpoint_every=3, threads=1,
                       model=ModelConfig(latent_size=16, embed_size=8, channels=(16, 16, 16, 16, 16)))


@pytest.fixture(scope="session")
def tiny_bundle(tmp_path_factory, tiny_corpus, tiny_config) -> Path:
    """A bundle exported from a tiny trained checkpoint."""
    from training.export import export_bundle
    from training.train import Trainer

    run = tmp_path_factory.mktemp("run")
    Trainer(tiny_config, tiny_corpus, run).run()
    out = tmp_path_factory.mktemp("bundles") / "tiny"
    export_bundle(run / "last.pt", tiny_corpus, out, "tiny")
    return out
