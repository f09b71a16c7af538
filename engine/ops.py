"""The musical operations, on clips, through the latent model.

Every operation is deterministic for a given seed. Results keep the input's dynamics
(see :mod:`engine.grid`); generated clips use the ``velocity`` argument.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping, Sequence

import numpy as np

from . import codec, flow_fusion, grid, latent_tools, phrases, picking
from .bundle import Bundle, load_bundle
from .clip import Clip, ClipError, LimitError
from .latent import LatentModel

MAX_VARIATIONS = 16
MAX_INTERPOLATION_STEPS = 33


@dataclass
class Result:
    """Clips an operation produced, with warnings for the musician."""

    clips: list[Clip]
    warnings: list[str] = field(default_factory=list)


def slerp(a: np.ndarray, b: np.ndarray, alpha: float) -> np.ndarray:
    """Spherical interpolation between latent vectors (linear when they are parallel)."""
    na, nb = np.linalg.norm(a, axis=-1, keepdims=True), np.linalg.norm(b, axis=-1, keepdims=True)
    cos = np.clip(np.sum(a * b, axis=-1, keepdims=True) / np.maximum(na * nb, 1e-12), -1.0, 1.0)
    omega = np.arccos(cos)
    sin = np.sin(omega)
    safe = sin > 1e-6
    wa = np.where(safe, np.sin((1 - alpha) * omega) / np.where(safe, sin, 1), 1 - alpha)
    wb = np.where(safe, np.sin(alpha * omega) / np.where(safe, sin, 1), alpha)
    return wa * a + wb * b


def _check_unit(value: float, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0.0 <= float(value) <= 1.0:
        raise ClipError(f"{what} must be a number in 0..1, got {value!r}")
    return float(value)


class Engine:
    """A loaded bundle and the operations musicians call."""

    def __init__(self, bundle: Bundle | str | None = None, threads: int = 1, int8: bool = True,
                 recursion_twin: bool = True) -> None:
        """The engine on a bundle (the shipped one by default); ``int8=False`` runs the float
        reference graphs even when the bundle has faster twins, and ``recursion_twin=False`` runs
        ``refine`` and ``fuse``'s encoding without the bundle's recursion twin (see
        :class:`engine.latent.LatentModel`)."""
        self.bundle = bundle if isinstance(bundle, Bundle) else load_bundle(bundle)
        self.model = LatentModel(self.bundle, threads=threads, int8=int8, recursion_twin=recursion_twin)
        self.faders_by_name = {fader.name: fader for fader in self.bundle.faders}
        self.genres_by_name = {genre.name: genre for genre in self.bundle.genres}

    def _recursion(self) -> str:
        """What ``refine``'s steps run on: the recursion twin, the int8 encoder twin, or the float encoder."""
        return {"recursion_encoder": "twin", "encoder_int8": "int8 encoder"}.get(self.model.recursion_encoder_role,
                                                                                  "float encoder")

    # -- operations --------------------------------------------------------------------
    def info(self) -> dict:
        """A summary of the bundle: faders, genres, ops, limits, metrics headline."""
        manifest = self.bundle.manifest
        return {
            "bundle": self.bundle.name,
            "latent_size": self.bundle.latent_size,
            "bars_per_segment": codec.BARS_PER_WINDOW,
            "pitch_range": [codec.PITCH_MIN, codec.PITCH_MAX],
            "faders": [{"name": f.name, "unit": f.unit, "range": [float(f.value_points[0]), float(f.value_points[-1])]}
                       for f in self.bundle.faders],
            "genres": [g.name for g in self.bundle.genres],
            "decoder": "int8" if self.model.decoder_role == "decoder_int8" else "float",
            "recursion": self._recursion(),
            "fuse_encoder": "twin" if self.model.fusion_encoder_role != "encoder" else "float",
            "training": {k: manifest.get("training", {}).get(k) for k in ("steps", "minutes")},
            **({"fusion": {"similarity": manifest["fusion"]["similarity"], "style_size": manifest["fusion"]["style_size"],
                           "candidates": picking.candidate_count(self, None),
                           "methods": flow_fusion.available(self.model), "method": flow_fusion.default_method(self.model)}}
               if self.model.has("fusion") else {}),
            **({"judge": "int8" if self.model.judge_role == "judge_int8" else "float"} if self.model.has("judge") else {}),
            **({"fuse_flow": "int8" if self.model.fusion_flow_role == "continuation_int8" else "float"}
               if self.model.flow_starts_partway else {}),
            **({"fuse_backward_flow": "int8" if self.model.backward_flow_role == "backward_flow_int8" else "float"}
               if self.model.has("backward_flow") else {}),
            **({"genre_fusion": [list(f.genres) for f in self.bundle.genre_fusions]} if self.bundle.genre_fusions else {}),
            **({"genre_prior": manifest["genre_prior"]["genres"]} if self.model.has("genre_prior") else {}),
        }

    def encode(self, clip: Clip) -> tuple[np.ndarray, list[str]]:
        """Posterior means, one row per 4-bar segment."""
        warnings: list[str] = []
        prepared = grid.prepare(clip, warnings)
        return self.model.encode(prepared.tokens)[0], warnings

    def decode(self, z: np.ndarray, length: float | None = None, temperature: float = 0.0,
               seed: int | None = None, velocity: int = 100) -> Clip:
        """Decode latents (one row per segment). Temperature adds latent noise scaled by the
        encoder's typical spread, so variations stay near z and always decode cleanly."""
        z = np.atleast_2d(np.asarray(z, dtype=np.float32))
        if z.shape[1] != self.bundle.latent_size:
            raise ClipError(f"z must have {self.bundle.latent_size} values per segment, got {z.shape[1]}")
        if temperature > 0:
            noise = np.random.default_rng(seed).standard_normal(z.shape).astype(np.float32)
            z = z + temperature * self.bundle.latent_std * noise
        full = len(z) * codec.WINDOW_STEPS / codec.STEPS_PER_BEAT
        length = full if length is None else min(float(length), full)
        return grid.to_clip(self.model.decode(z), length, velocity=velocity)

    def interpolate(self, a: Clip, b: Clip, steps: int | None = None, alpha: float | None = None,
                    method: str = "linear") -> Result:
        """Clips from A to B: ``steps`` of them including both ends, or one at ``alpha``."""
        if (steps is None) == (alpha is None):
            raise ClipError("give either steps or alpha")
        if method not in ("linear", "slerp"):
            raise ClipError(f"method must be 'linear' or 'slerp', got {method!r}")
        if steps is not None and not 2 <= steps <= MAX_INTERPOLATION_STEPS:
            raise LimitError(f"steps must be 2..{MAX_INTERPOLATION_STEPS}, got {steps}")
        alphas = np.linspace(0, 1, steps) if steps is not None else [_check_unit(alpha, "alpha")]
        warnings: list[str] = []
        pa, pb = grid.prepare(a, warnings), grid.prepare(b, warnings)
        both = self.model.encode(np.concatenate([pa.tokens, pb.tokens]))[0]  # one call for both clips
        za, zb = both[: len(pa.tokens)], both[len(pa.tokens):]
        segments = max(len(za), len(zb))
        za, zb = np.resize(za, (segments, za.shape[1])), np.resize(zb, (segments, zb.shape[1]))
        z = np.concatenate([slerp(za, zb, value) if method == "slerp" else (1 - value) * za + value * zb
                            for value in alphas])
        tokens = self.model.decode(z).reshape(len(alphas), -1)  # one call for every step
        nearer = [(pa, pb) if value < 0.5 else (pb, pa) for value in alphas]
        clips = grid.to_clips(tokens, max(a.length, b.length), [like[0].shift for like in nearer], nearer)
        return Result(clips, warnings)

    def set_faders(self, z: np.ndarray, values: Mapping[str, float]) -> np.ndarray:
        """Latents with the named faders set to values in 0..1 of their calibrated ranges."""
        z = z.copy()
        for name, value in values.items():
            if name not in self.faders_by_name:
                raise ClipError(f"unknown fader {name!r}; this bundle has {sorted(self.faders_by_name)}")
            fader = self.faders_by_name[name]
            target = fader.value_points[0] + _check_unit(value, f"fader {name}") * (
                fader.value_points[-1] - fader.value_points[0])
            z[:, fader.index] = fader.latent_of(target)
        return z

    def faders(self, clip: Clip, values: Mapping[str, float]) -> Result:
        """The clip with some faders set (0..1 spans each fader's calibrated range)."""
        warnings: list[str] = []
        prepared = grid.prepare(clip, warnings)
        z = self.set_faders(self.model.encode(prepared.tokens)[0], values)
        return Result([grid.to_clip(self.model.decode(z), clip.length, prepared.shift, (prepared,))], warnings)

    def generate(self, variations: int = 1, temperature: float = 1.0, seed: int | None = None,
                 faders: Mapping[str, float] | None = None, genre: str | Mapping[str, float] | None = None,
                 velocity: int = 100) -> Result:
        """New 4-bar clips sampled from the genre prior: one genre, a {genre: weight} blend (see
        :func:`engine.latent_tools.sample_genres`), or a random genre per variation when none is given."""
        if not 1 <= variations <= MAX_VARIATIONS:
            raise LimitError(f"variations must be 1..{MAX_VARIATIONS}, got {variations}")
        rng = np.random.default_rng(seed)
        if genre is None:
            names = [g.name for g in self.bundle.genres]
            z = latent_tools.sample_each_genre(self, [names[i] for i in rng.integers(0, len(names), variations)],
                                               temperature, rng)
        else:
            z = latent_tools.sample_genres(self, latent_tools.genre_weights(self, genre), variations, temperature, rng)
        z = self.set_faders(z, faders or {})
        tokens = self.model.decode(z)
        length = codec.WINDOW_STEPS / codec.STEPS_PER_BEAT
        return Result(grid.to_clips(tokens, length, [0] * variations, [()] * variations, velocity))

    def restyle(self, clip: Clip, genre: str | Mapping[str, float], amount: float = 1.0) -> Result:
        """The clip pushed toward a genre or blend (see :func:`engine.latent_tools.restyle`)."""
        restyled = latent_tools.restyle(self, clip, genre, amount)
        return Result([restyled.clip], restyled.warnings)

    def refine(self, clip: Clip, max_iterations: int = 8) -> latent_tools.Refined:
        """Decode-encode recursion to a fixed point (see :func:`engine.latent_tools.refine`)."""
        return latent_tools.refine(self, clip, max_iterations)

    def optimize(self, objective: str, target=None, budget: int = 64, seed: int | None = None,
                 genre: str | Mapping[str, float] | None = None, velocity: int = 100) -> latent_tools.Optimized:
        """The best clip a latent search finds for an objective (see :func:`engine.latent_tools.optimize`)."""
        return latent_tools.optimize(self, objective, target, budget, seed, genre, velocity)

    def fuse(self, left: Clip, right: Clip, style: Sequence[float] = phrases.DEFAULT_STYLE, iterations: int = 1,
             similarity: float | None = None, keep_iterations: bool = False, keep_key: bool = True,
             candidates: int | None = None, method: str | None = None) -> phrases.Fusion:
        """Connective Fusion of two clips (see :func:`engine.phrases.fuse`)."""
        return phrases.fuse(self, left, right, style, iterations, similarity, keep_iterations, keep_key, candidates,
                            method)

    def continuation(self, clip: Clip, **options) -> Result:
        """Clips that follow ``clip`` (see :func:`engine.phrases.continuation` for the options)."""
        clips, warnings = phrases.continuation(self, clip, **options)
        return Result(clips, warnings)
