"""A latent generator trained on the tiny bundle the way a musician's run goes: stopped after
its first step, resumed to the end, then exported into a copy of the bundle."""
import shutil
from collections.abc import Callable
from pathlib import Path

import torch


def trained_and_exported(root: Path, tiny_bundle: Path, corpus, config, train: Callable, export: Callable,
                         name: str) -> tuple[Path, Path]:
    """(the bundle copy with the generator exported, ``root`` holding the run in ``run/``)."""
    bundle = root / name
    shutil.copytree(tiny_bundle, bundle)
    train(config, corpus, bundle, root / "run", max_minutes=0)
    assert torch.load(root / "run" / "last.pt", weights_only=False)["step"] == 1
    train(config, corpus, bundle, root / "run")
    export(bundle, root / "run" / "last.pt")
    return bundle, root
