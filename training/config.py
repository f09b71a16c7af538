"""Named, frozen training and model settings (no torch, so the CLI can read the defaults cheaply)."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field


class Settings:
    """Base of the frozen config dataclasses: saved in checkpoints and manifests as JSON."""

    def to_dict(self) -> dict:
        """JSON-friendly form."""
        return asdict(self)


class HistogramWeights:
    """Mixin of generator settings with ``dd_weight``, ``npd_weight`` and ``nd_weight``."""

    dd_weight: float
    npd_weight: float
    nd_weight: float

    @property
    def histogram_weights(self) -> dict[str, float]:
        """The decoded statistics the generator is told about, with their weights (see training.decoded_statistics)."""
        weights = {"dd": self.dd_weight, "npd": self.npd_weight, "nd": self.nd_weight}
        return {name: weight for name, weight in weights.items() if weight > 0}


@dataclass(frozen=True)
class ModelConfig(Settings):
    """Named, frozen hyper-parameters; saved in checkpoints and the bundle manifest."""

    latent_size: int = 128
    embed_size: int = 64
    channels: tuple[int, ...] = (64, 96, 128, 192, 192)
    decoder: str = "conv"  # "conv" (parallel) or "gru" (autoregressive, for comparison)
    gru_size: int = 256
    n_genres: int = 3
    n_faders: int = 4

    @classmethod
    def from_dict(cls, data: dict) -> "ModelConfig":
        """Inverse of :meth:`to_dict`."""
        return cls(**{**data, "channels": tuple(data["channels"])})


@dataclass(frozen=True)
class TrainConfig(Settings):
    """Optimisation and loss settings (frozen, stored in checkpoints and the manifest)."""

    steps: int = 12000
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
    swap_straight_through: bool = False  # measure the swap's attributes on greedy tokens (straight-through)
    swap_temperature: float = 0.3  # softmax temperature of the swap's soft attributes (< 1 sharpens)
    swap_reach: float = 0.0  # > 0: half the swaps invent fader values in +-reach (see losses.swap_faders)
    max_shift: int = 6
    # A checkpoint to start from, training only its decoder: the encoder and prior stay frozen, so the
    # latent space (and the pair models trained in it) stay valid. Empty: train everything from scratch.
    finetune_decoder: str = ""
    seed: int = 0
    eval_every: int = 500
    checkpoint_every: int = 500
    threads: int = 2
    model: ModelConfig = field(default_factory=ModelConfig)

    @property
    def swaps(self) -> bool:
        """Whether training decodes fader swaps (parallel decoders only)."""
        return self.swap_weight > 0 and self.model.decoder == "conv"

    @classmethod
    def from_dict(cls, data: dict) -> "TrainConfig":
        """Inverse of :meth:`to_dict`."""
        return cls(**{**data, "model": ModelConfig.from_dict(data["model"]),
                      "swap_attribute_weights": tuple(data["swap_attribute_weights"])})


@dataclass(frozen=True)
class FusionConfig(Settings):
    """Connective Fusion training (generator and pair discriminator in the VAE's latent space)."""

    steps: int = 3000  # generator updates
    discriminator_steps: int = 2  # discriminator updates per generator update (the paper uses 10)
    batch_size: int = 128
    learning_rate: float = 1e-4
    similarity: tuple[float, float] = (0.1, 10.0)  # lambda: log-uniform range, or one value when equal
    hidden: int = 256
    layers: int = 5
    instance_noise: float = 1.0  # D sees pairs plus this many posterior standard deviations of noise
    transpositions: int = 4  # joint transpositions of each training pair
    reality_weight: float = 3.0  # G's weight on the training-split reality classifier (0: the paper's losses only)
    # Unrelated pairs put into one key first, as the engine fuses them (0: drawn fresh each step, keys as they come)
    in_one_key: int = 0  # pairs of each kind (shuffled windows, prior draws) in the pool
    # Iterated fusion feeds G its own outputs: each input is first fused 0..iterated times (0: raw inputs only)
    iterated: int = 0
    start_from: str = ""  # a fusion checkpoint whose G and D weights a new run starts from ("": fresh weights)
    eval_every: int = 250
    seed: int = 0

    @property
    def conditioned(self) -> bool:
        """Whether the generator takes lambda as an input (a range) or is trained for one value."""
        return self.similarity[0] != self.similarity[1]


@dataclass(frozen=True)
class ContinuationConfig(Settings):
    """The continuation model of p(z_R | z_L): a conditional flow, or a mixture density network."""

    kind: str = "flow"  # or "mixture"
    steps: int = 6000  # the flow's held-out loss levels off by 6,000; the mixture shipped before used 3,000
    batch_size: int = 256
    learning_rate: float = 1e-3
    components: int = 8  # mixture only
    hidden: int = 512
    layers: int = 4
    dropout: float = 0.1  # flow only
    flow_steps: int = 8  # midpoint steps from noise to latent (flow only)
    condition_dropout: float = 0.0  # flow only: share of rows trained without z_L, for guidance
    transpositions: int = 4
    eval_every: int = 250
    seed: int = 0
    reality_weight: float = 0.0  # weight of the training-split reality classifier on samples at temperature 1
    guided_batch: int = 64  # left windows per step whose sampled continuations the classifier judges
    backward: bool = False  # learn p(z_L | z_R) instead: the window before a given one (flow fusion's left side)


REALITY_ARCHITECTURES = ("conv", "conv-key", "transformer")  # conv-key: conv plus the halves' key agreement


@dataclass(frozen=True)
class RealityConfig(Settings):
    """The "reality" classifier of real against shuffled 8-bar phrases (an evaluation model)."""

    steps: int = 2000  # held-out accuracy peaks around 1,000-1,500 steps; best.pt keeps the peak
    # one of REALITY_ARCHITECTURES; best held-out accuracy on the eval split: conv-key 0.900,
    # conv 0.860, transformer 0.787 (stopped at 1,250 steps)
    architecture: str = "conv-key"
    batch_size: int = 128
    learning_rate: float = 1e-3
    channels: int = 64
    dropout: float = 0.3
    weight_decay: float = 0.05
    eval_every: int = 250
    seed: int = 0



@dataclass(frozen=True)
class GenreFusionConfig(Settings, HistogramWeights):
    """FusionGAN in the VAE's latent space: G_F against Wasserstein critics D_A, D_B, D_F."""

    genres: tuple[str, str] = ("folk", "celtic")
    steps: int = 3000  # generator updates
    critic_steps: int = 5  # critic updates per generator update (WGAN-GP's usual 5)
    batch_size: int = 256
    learning_rate: float = 1e-4
    noise_size: int = 64
    hidden: int = 256
    layers: int = 4
    gradient_penalty: float = 10.0  # keeps the critics 1-Lipschitz, as the Wasserstein duality needs
    balance_weight: float = 1.0  # weight of the balance terms, Eq. 9 (D_F) and Eq. 13 (D_A, D_B)
    dual_learning_rate: float = 1e-5  # G_A and G_B (Eq. 14) move slowly: they start as the genres' fitted priors
    # G_F's weights on the squared distances between its decoded DD, NPD and notes-per-window
    # distribution (ND) and those of the even blend of the two genres' training windows (0: the
    # critics alone); see training.decoded_statistics
    dd_weight: float = 1000.0
    npd_weight: float = 10000.0  # pitch classes are where G_F sat furthest from the blend
    nd_weight: float = 1000.0
    decoded_batch: int = 128  # G_F samples decoded per step for those terms (the decoder costs more than the critics)
    # weight of a penalty on samples beyond the reach of both genres' real latents (see
    # training.latent_reach): far out, the int8 decoder the engine plays disagrees with the float one
    radius_weight: float = 1000.0
    # G_F takes the blend's share of genre B as a second input: each step trains one share in
    # [0, 1], with the balance terms, the critics' feedback and the histogram targets weighted by it
    blend_conditioned: bool = True
    even_blend_steps: float = 0.5  # of a blend-conditioned G_F's steps, the share trained at 1/2 (Table I's blend)
    transpositions: int = 2
    eval_every: int = 250
    seed: int = 0

    @classmethod
    def from_dict(cls, data: dict) -> "GenreFusionConfig":
        """Inverse of :meth:`to_dict`; runs from before blend conditioning (session 15) had no share input."""
        return cls(**{"blend_conditioned": False, **data, "genres": tuple(data["genres"])})


@dataclass(frozen=True)
class GenrePriorConfig(Settings, HistogramWeights):
    """A genre-conditioned latent generator G(noise, genre) for ``generate``: it starts as the
    genre's Gaussian prior and learns against a conditional Wasserstein critic on the genre's
    latents and the decoded statistics of the genre's training windows."""

    genres: tuple[str, ...] = ("folk", "celtic", "chorale")  # the order of the genre input's one-hot
    steps: int = 4000  # generator updates
    critic_steps: int = 5
    batch_size: int = 256  # latents per critic batch, genres drawn evenly
    learning_rate: float = 1e-4
    hidden: int = 256
    layers: int = 4
    gradient_penalty: float = 10.0
    # weights of the squared distances between each genre's decoded DD, NPD and notes-per-window
    # distribution and those of its own training windows (see training.decoded_statistics)
    dd_weight: float = 1000.0
    npd_weight: float = 10000.0  # pitch classes are what the Gaussian priors lost
    nd_weight: float = 1000.0
    decoded_batch: int = 128  # samples per genre decoded per step for those terms
    # weight of a hinge asking each genre's decoded statistics to be ``margin`` nearer its own
    # training windows' than any other genre's (Euclidean, as "nearer its own domain" is measured)
    separation_weight: float = 500.0
    margin: float = 0.02
    # weight of a penalty on samples further from their genre's mean (in prior standard deviations)
    # than the genre's real latents reach: far out, the decoder's int8 twin plays other notes than
    # the float decoder G is trained through
    radius_weight: float = 1000.0
    transpositions: int = 2
    eval_every: int = 125  # the score picks best.pt from noisy GAN steps: look often
    seed: int = 0

    @classmethod
    def from_dict(cls, data: dict) -> "GenrePriorConfig":
        """Inverse of :meth:`to_dict`."""
        return cls(**{**data, "genres": tuple(data["genres"])})


@dataclass(frozen=True)
class RecursionTwinConfig(Settings):
    """Settings of a recursion twin (training.recursion_twin): its widths and optimisation."""

    steps: int = 8000
    channels: tuple[int, ...] = (32, 48, 64, 96, 96)  # half the shipped VAE's
    learning_rate: float = 1e-3
    seed: int = 0
    start: str = ""  # a VAE checkpoint of the same widths to start from ("": from scratch)
