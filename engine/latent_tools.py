"""Compress to Create's latent tools, on clips: genre blends, restyling by attribute-vector
arithmetic, recursion to a fixed point, and objective search.

A genre's vector is the mean latent of its training windows (the bundle's ex-post genre
prior); moving a latent by the difference of two genre vectors moves its style and keeps the
rest of what the latent encodes (Compress to Create §V.iii).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable, Mapping

import numpy as np

from . import codec, grid, objectives
from .clip import Clip, ClipError, LimitError

if TYPE_CHECKING:
    from .ops import Engine

MAX_REFINE_ITERATIONS = 32
MAX_BUDGET = 1024
ROUNDS = 4  # optimize: a random start, then rounds of search around the best candidates
ELITE = 4


def genre_weights(engine: "Engine", genre: str | Mapping[str, float]) -> dict[str, float]:
    """A genre name or a {name: weight} blend as normalised weights, genres weighted 0 left out
    (so {"folk": 1, "celtic": 0} samples exactly as "folk" does); a ClipError for anything else."""
    if isinstance(genre, str):
        genre = {genre: 1.0}
    if not isinstance(genre, Mapping) or not genre:
        raise ClipError("genre must be a genre name or an object of genre names to weights")
    for name, weight in genre.items():
        if name not in engine.genres_by_name:
            raise ClipError(f"unknown genre {name!r}; this bundle has {sorted(engine.genres_by_name)}")
        if isinstance(weight, bool) or not isinstance(weight, (int, float)) or weight < 0:
            raise ClipError(f"genre weight for {name!r} must be a number >= 0, got {weight!r}")
    total = float(sum(genre.values()))
    if total <= 0:
        raise ClipError("genre weights must not all be 0")
    return {name: float(weight) / total for name, weight in genre.items() if weight > 0}


def blend(engine: "Engine", weights: Mapping[str, float]) -> tuple[np.ndarray, np.ndarray]:
    """Mean and spread of a weighted blend of the genre priors."""
    mean = sum(w * engine.genres_by_name[n].mean for n, w in weights.items())
    std = sum(w * engine.genres_by_name[n].std for n, w in weights.items())
    return np.asarray(mean, dtype=np.float32), np.asarray(std, dtype=np.float32)


def sample_each_genre(engine: "Engine", names: list[str], temperature: float, rng: np.random.Generator) -> np.ndarray:
    """One latent per genre name: from the bundle's genre-conditioned generator when it has one
    for these genres (its noise scaled by ``temperature``), else from each genre's Gaussian prior
    (its spread scaled by ``temperature``)."""
    size = engine.bundle.latent_size
    noise = rng.standard_normal((len(names), size)).astype(np.float32)
    learned = engine.bundle.manifest.get("genre_prior", {}).get("genres", [])
    if engine.model.has("genre_prior") and set(names) <= set(learned):
        one_hot = np.eye(len(learned), dtype=np.float32)[[learned.index(name) for name in names]]
        return engine.model.genre_prior(temperature * noise, one_hot)
    means = np.stack([engine.genres_by_name[name].mean for name in names])
    stds = np.stack([engine.genres_by_name[name].std for name in names])
    return (means + temperature * stds * noise).astype(np.float32)


def sample_genres(engine: "Engine", weights: Mapping[str, float], count: int, temperature: float,
                  rng: np.random.Generator) -> np.ndarray:
    """Latents for a genre or blend. One genre goes through :func:`sample_each_genre`. A blend of
    two genres the bundle has a FusionGAN generator for goes through it: at the blend's weights
    when it is blend-conditioned, else G_F's even blend moved toward the heavier genre's samples
    as the weights part. Any other blend mixes the genre priors."""
    if len(weights) == 1:
        return sample_each_genre(engine, list(weights) * count, temperature, rng)
    fusion = engine.bundle.genre_fusion(set(weights)) if len(weights) == 2 else None
    if fusion is not None:
        noise = temperature * rng.standard_normal((count, fusion.noise_size)).astype(np.float32)
        if fusion.blend_conditioned:
            return engine.model.fused_genres(fusion, noise, weights[fusion.genres[1]])
        z_fused = engine.model.fused_genres(fusion, noise)
        heavier = max(weights, key=lambda name: (weights[name], name == fusion.genres[0]))
        z_pure = sample_each_genre(engine, [heavier] * count, temperature, rng)
        toward = 2 * weights[heavier] - 1  # 0 at equal weights, 1 for one genre alone
        return ((1 - toward) * z_fused + toward * z_pure).astype(np.float32)
    return sample_prior_blend(engine, weights, count, temperature, rng)


def sample_prior_blend(engine: "Engine", weights: Mapping[str, float], count: int, temperature: float,
                       rng: np.random.Generator) -> np.ndarray:
    """Latents from the weighted mix of the genres' Gaussian priors (means and spreads blended),
    the spread scaled by ``temperature``."""
    mean, std = blend(engine, weights)
    return (mean + temperature * std * rng.standard_normal((count, engine.bundle.latent_size))).astype(np.float32)


def likeliest_genre_means(engine: "Engine", z: np.ndarray) -> np.ndarray:
    """Per latent row, the vector of the genre whose prior makes it likeliest."""
    genres = engine.bundle.genres
    log_likelihood = np.stack([-0.5 * (((z - g.mean) / g.std) ** 2).sum(-1) - np.log(g.std).sum() for g in genres])
    return np.stack([g.mean for g in genres])[log_likelihood.argmax(0)]


@dataclass
class Restyled:
    """A restyled clip and the warnings for the musician."""

    clip: Clip
    warnings: list[str]


def restyle(engine: "Engine", clip: Clip, genre: str | Mapping[str, float], amount: float = 1.0) -> Restyled:
    """The clip moved toward a genre (or blend) by ``amount`` (0..2) of the difference between
    the target's vector and that of the genre the clip sounds most like."""
    if isinstance(amount, bool) or not isinstance(amount, (int, float)) or not 0 <= amount <= 2:
        raise ClipError(f"amount must be a number in 0..2, got {amount!r}")
    target, _ = blend(engine, genre_weights(engine, genre))
    warnings: list[str] = []
    prepared = grid.prepare(clip, warnings)
    z = engine.model.encode(prepared.tokens)[0]
    moved = z + float(amount) * (target - likeliest_genre_means(engine, z))
    tokens = engine.model.decode(moved)
    return Restyled(grid.to_clip(tokens, clip.length, prepared.shift, (prepared,)), warnings)


@dataclass
class Refined:
    """Each step of a recursion, and whether it reached a fixed point."""

    clips: list[Clip]
    fixed_point: bool
    warnings: list[str]


def recursion_steps(recode: Callable[[np.ndarray], np.ndarray], tokens: np.ndarray,
                    max_iterations: int) -> tuple[list[np.ndarray], bool]:
    """The token windows of each step of ``recode`` from ``tokens``, up to ``max_iterations``,
    and whether the last step played what the one before it did (a fixed point)."""
    steps: list[np.ndarray] = []
    heard = codec.normalise_tokens(tokens)  # what the last step plays, compared once per step
    for _ in range(max_iterations):
        tokens = recode(tokens)
        steps.append(tokens)
        playing = codec.normalise_tokens(tokens)
        if np.array_equal(playing, heard):
            return steps, True
        heard = playing
    return steps, False


def refine(engine: "Engine", clip: Clip, max_iterations: int = 8) -> Refined:
    """Compress to Create's recursion: decode, encode the result, decode again, until the
    output stops changing (a fixed point) or ``max_iterations`` steps."""
    if isinstance(max_iterations, bool) or not isinstance(max_iterations, int) or \
            not 1 <= max_iterations <= MAX_REFINE_ITERATIONS:
        raise LimitError(f"max_iterations must be 1..{MAX_REFINE_ITERATIONS}, got {max_iterations!r}")
    warnings: list[str] = []
    prepared = grid.prepare(clip, warnings)
    steps, fixed = recursion_steps(engine.model.recode, prepared.tokens, max_iterations)
    rows = np.stack([s.reshape(-1) for s in steps])
    clips = grid.to_clips(rows, clip.length, [prepared.shift] * len(rows), [(prepared,)] * len(rows))
    return Refined(clips, fixed, warnings)


@dataclass
class Optimized:
    """The best clip a search found, its score, whether it meets the target, and the cost."""

    clip: Clip
    score: float
    met: bool
    evaluations: int


def optimize(engine: "Engine", objective: str, target=None, budget: int = 64, seed: int | None = None,
             genre: str | Mapping[str, float] | None = None, velocity: int = 100) -> Optimized:
    """Search the latent space for the 4-bar clip that scores best on ``objective``: a quarter
    of the budget sampled from the prior, the rest in rounds of Gaussian steps around the best
    candidates so far (a simple evolution strategy), each round decoded in one batch."""
    score = objectives.objective(objective, target)
    if isinstance(budget, bool) or not isinstance(budget, int) or not 4 <= budget <= MAX_BUDGET:
        raise LimitError(f"budget must be 4..{MAX_BUDGET}, got {budget!r}")
    rng = np.random.default_rng(seed)
    size = engine.bundle.latent_size
    if genre is None:
        names = [g.name for g in engine.bundle.genres]
        picks = rng.integers(0, len(names), budget)
        means = np.stack([engine.genres_by_name[names[i]].mean for i in picks])
        stds = np.stack([engine.genres_by_name[names[i]].std for i in picks])
    else:
        mean, std = blend(engine, genre_weights(engine, genre))
        means, stds = np.broadcast_to(mean, (budget, size)), np.broadcast_to(std, (budget, size))
    first = budget // ROUNDS + budget % ROUNDS
    z = (means[:first] + stds[:first] * rng.standard_normal((first, size))).astype(np.float32)
    tokens = engine.model.decode(z)
    scores, met = score(tokens)
    spent, step = first, 0.5
    while spent < budget:
        count = min(budget // ROUNDS, budget - spent)
        elite = np.argsort(-scores)[:ELITE]
        parents = z[elite[rng.integers(0, len(elite), count)]]
        children = (parents + step * stds[spent:spent + count] * rng.standard_normal((count, size))).astype(np.float32)
        child_tokens = engine.model.decode(children)
        child_scores, child_met = score(child_tokens)
        z, tokens = np.concatenate([z, children]), np.concatenate([tokens, child_tokens])
        scores, met = np.concatenate([scores, child_scores]), np.concatenate([met, child_met])
        spent += count
        step *= 0.7
    best = int(np.argmax(scores))
    clip = grid.to_clip(tokens[best], codec.WINDOW_STEPS / codec.STEPS_PER_BEAT, velocity=velocity)
    return Optimized(clip, float(scores[best]), bool(met[best]), spent)
