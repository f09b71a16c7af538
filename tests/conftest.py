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
                  split=((index // 8) % len(SPLITS)).astype(np.int32), tune=(index // 8).astype(np.int32),
                  tune_ids=[f"synthetic#{i}" for i in range(len(windows) // 8)],
                  start=((index % 8) * 64).astype(np.int32))


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


@pytest.fixture(scope="session")
def tiny_pair_bundle(tmp_path_factory, tiny_bundle, tiny_corpus) -> Path:
    """The tiny bundle with a tiny fusion generator and continuation density added."""
    import shutil

    from training.config import ContinuationConfig, FusionConfig
    from training.export_pairs import export_pairs
    from training.pair_runs import train_continuation, train_fusion

    bundle = tmp_path_factory.mktemp("pair-bundles") / "tiny-pairs"
    runs = bundle.parent / "runs"
    shutil.copytree(tiny_bundle, bundle)
    train_fusion(FusionConfig(steps=4, batch_size=16, hidden=32, eval_every=2, discriminator_steps=2, transpositions=2,
                              reality_weight=0.0),
                 tiny_corpus, bundle, runs / "fusion")
    train_continuation(ContinuationConfig(steps=4, batch_size=16, hidden=32, components=3, eval_every=2,
                                          transpositions=2, condition_dropout=0.2), tiny_corpus, bundle,
                       runs / "continuation")
    export_pairs(bundle, runs / "fusion" / "last.pt", runs / "continuation" / "best.pt")
    return bundle


@pytest.fixture(scope="session")
def tiny_judge_bundle(tmp_path_factory, tiny_pair_bundle, tiny_corpus) -> Path:
    """The tiny pair bundle with a tiny judge (training-split reality classifier), 4 candidates by default."""
    import shutil

    from training.config import RealityConfig
    from training.export_judge import export_judge
    from training.pair_runs import train_reality

    bundle = tmp_path_factory.mktemp("judge-bundles") / "tiny-judge"
    shutil.copytree(tiny_pair_bundle, bundle)
    run = bundle.parent / "reality-train"
    train_reality(RealityConfig(steps=2, batch_size=8, channels=8, eval_every=1), tiny_corpus, "train", run)
    export_judge(bundle, run / "best.pt", 4)
    return bundle


@pytest.fixture(scope="session")
def backward_bundle(tiny_judge_bundle, tiny_corpus, tmp_path_factory) -> Path:
    """The tiny judge bundle with a tiny backward flow added by export-backward-flow."""
    import shutil

    from training.cli import main as training_main
    from training.config import ContinuationConfig
    from training.pair_runs import train_continuation

    bundle = tmp_path_factory.mktemp("backward") / "tiny"
    shutil.copytree(tiny_judge_bundle, bundle)
    run = bundle.parent / "runs" / "backward"
    train_continuation(ContinuationConfig(steps=4, batch_size=16, hidden=32, eval_every=2, transpositions=2,
                                          condition_dropout=0.2, backward=True), tiny_corpus, bundle, run)
    assert training_main(["export-backward-flow", "--bundle", str(bundle), "--checkpoint", str(run / "best.pt")]) == 0
    return bundle
