"""Shared fixtures: a small synthetic corpus and a tiny trained model with its bundle."""
from pathlib import Path

import numpy as np
import pytest
from hypothesis import settings

from tests.synthetic import synthetic_windows

# No per-example deadline: tests assert behaviour, never timing, and CI machines are shared.
settings.register_profile("segue", deadline=None)
settings.load_profile("segue")


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
    from training.config import ModelConfig, TrainConfig

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
