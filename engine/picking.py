"""Picking among fusion candidates: the generator runs with the musician's style and with
other styles beside it, and a judge (a reality classifier trained on real against shuffled
consecutive phrases) keeps the join it finds most like two bars of one tune.

Best-of-K selection by a discriminator-like critic, as in discriminator rejection sampling:
the generator alone is Connective Fusion; the judge only chooses among what it made.
"""
from __future__ import annotations

import functools
from typing import TYPE_CHECKING

import numpy as np

from . import flow_fusion, tonality
from .clip import ClipError, LimitError

if TYPE_CHECKING:
    from .ops import Engine

MAX_CANDIDATES = 32
STYLE_SEED = 0  # the other candidates' styles are fixed, so one request always gives one answer


def candidate_count(engine: "Engine", candidates: int | None) -> int:
    """How many styles to try: the bundle's default when not given (1 without a judge)."""
    has_judge = engine.model.has("judge")
    if candidates is None:
        return int(engine.bundle.manifest["judge"]["candidates"]) if has_judge else 1
    if isinstance(candidates, bool) or not isinstance(candidates, int) or not 1 <= candidates <= MAX_CANDIDATES:
        raise LimitError(f"candidates must be a whole number in 1..{MAX_CANDIDATES}, got {candidates!r}")
    if candidates > 1 and not has_judge:
        raise ClipError(f"bundle {engine.bundle.name!r} has no judge model to pick among candidates; "
                        "ask for 1 candidate")
    return candidates


@functools.cache
def _other_styles(count: int, width: int) -> np.ndarray:
    # Made once per count: seeding a generator on every request showed up in fuse's latency.
    others = np.random.default_rng(STYLE_SEED).random((count - 1, width)).astype(np.float32)
    others.setflags(write=False)
    return others


def candidate_styles(style: np.ndarray, count: int) -> np.ndarray:
    """(G, count, 2): each row's style of ``style`` (G, 2) first, then the same fixed random ones."""
    others = _other_styles(count, style.shape[1])
    return np.concatenate([style[:, None], np.broadcast_to(others, (len(style), *others.shape))], axis=1)


def held_joins(engine: "Engine", left: np.ndarray, right: np.ndarray,
               profiles: tuple[np.ndarray, np.ndarray] | None, repeats: int = 1) -> np.ndarray:
    """Greedy joins (N, 128) of right latent halves (N, d), each after a left half (N / ``repeats``
    rows, each heard before ``repeats`` right halves in a row), in one decoder call (much of ONNX
    Runtime's cost is per call); with ``profiles`` (one per half of each side, (rows, 12)) each half
    held in its key."""
    halves = engine.model.decode(np.concatenate([left, right]))
    if profiles is not None:
        halves = tonality.in_key_of(halves, np.concatenate(profiles))
    return np.concatenate([np.repeat(halves[: len(left)], repeats, axis=0), halves[len(left):]], axis=1)


def candidate_joins(engine: "Engine", left: np.ndarray, right: np.ndarray, styles: np.ndarray, strength: np.ndarray,
                    profiles: tuple[np.ndarray, np.ndarray] | None, heard_left: np.ndarray | None = None,
                    method: str = "generator",
                    iterated: bool = False) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """Each latent pair (rows of ``left`` and ``right``, (G, d)) fused by ``method`` (see
    :mod:`engine.flow_fusion`; ``iterated`` when the pairs are a fusion's result) with each of its K styles
    (G, K, 2) at ``strength`` (G, 1): the tried (z_L', z_R'), (G * K, d) each, and the joins
    (G * K, 128) a judge would hear (None when K is 1). The judge hears the fused left half, or
    ``heard_left`` (G, d) when that is what will be played before the fused right half (a
    continuation); the flow keeps each left latent, so its left halves are decoded once per pair.
    With ``profiles`` (pitch-class profiles (G, 12) of each side's key) each half is first held in
    its key, as it will be played."""
    groups, count = styles.shape[:2]
    tried_l, tried_r = flow_fusion.fuse_latents(engine.model, method, np.repeat(left, count, axis=0),
                                                np.repeat(right, count, axis=0), styles.reshape(groups * count, -1),
                                                np.repeat(strength, count, axis=0), iterated)
    if count == 1:
        return tried_l, tried_r, None
    if heard_left is None and method == "flow":
        heard_left = left
    heard, repeats = (tried_l, 1) if heard_left is None else (heard_left, count)
    if profiles is not None:
        profiles = (np.repeat(profiles[0], count // repeats, axis=0), np.repeat(profiles[1], count, axis=0))
    return tried_l, tried_r, held_joins(engine, heard, tried_r, profiles, repeats)


def fuse_and_pick(engine: "Engine", left: np.ndarray, right: np.ndarray, styles: np.ndarray, strength: np.ndarray,
                  profiles: tuple[np.ndarray, np.ndarray] | None, heard_left: np.ndarray | None = None,
                  method: str = "generator",
                  iterated: bool = False) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """Fuse each latent pair with each of its styles (see :func:`candidate_joins`) and keep per
    pair the result whose decoded join the judge scores highest. Returns the kept (z_L', z_R')
    and the join the judge heard (None when K is 1: nothing was decoded)."""
    tried_l, tried_r, joins = candidate_joins(engine, left, right, styles, strength, profiles, heard_left, method,
                                              iterated)
    if joins is None:
        return tried_l, tried_r, None
    groups, count = styles.shape[:2]
    best = np.arange(groups) * count + engine.model.judge(joins).reshape(groups, count).argmax(axis=1)
    return tried_l[best], tried_r[best], joins[best]
