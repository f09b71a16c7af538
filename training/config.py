"""Named, frozen training and model settings (no torch, so the CLI can read the defaults cheaply)."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field


@dataclass(frozen=True)
class ModelConfig:
    """Named, frozen hyper-parameters; saved in checkpoints and the bundle manifest."""

    latent_size: int = 128
    embed_size: int = 64
    channels: tuple[int, ...] = (64, 96, 128, 192, 192)
    decoder: str = "conv"  # "conv" (parallel) or "gru" (autoregressive, for comparison)
    gru_size: int = 256
    n_genres: int = 3
    n_faders: int = 4

    def to_dict(self) -> dict:
        """JSON-friendly form."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> "ModelConfig":
        """Inverse of :meth:`to_dict`."""
        return cls(**{**data, "channels": tuple(data["channels"])})


@dataclass(frozen=True)
class TrainConfig:
    """Optimisation and loss settings (frozen, stored in checkpoints and the manifest)."""

    steps: int = 13000
    batch_size: int = 256
    learning_rate: float = 1e-3
    beta: float = 0.05
    beta_warmup: int = 2000
    lr_warmup: int = 500
    delta: float = 10.0
    regularisation_weight: float = 1.0
    anchor_weight: float = 5.0
    anchor_clip: float | None = 2.5  # clip standardised attributes to +-this before anchoring
    swap_weight: float = 10.0
    swap_attribute_weights: tuple[float, ...] = (1.0, 1.0, 2.0, 2.0)  # density, register, spread, motion
    max_shift: int = 6
    seed: int = 0
    eval_every: int = 500
    checkpoint_every: int = 500
    threads: int = 2
    model: ModelConfig = field(default_factory=ModelConfig)

    def to_dict(self) -> dict:
        """JSON-friendly form."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> "TrainConfig":
        """Inverse of :meth:`to_dict`."""
        return cls(**{**data, "model": ModelConfig.from_dict(data["model"]),
                      "swap_attribute_weights": tuple(data["swap_attribute_weights"])})
