"""Picking among fusion candidates: the generator runs with the musician's style and with
other styles beside it, and a judge (a reality classifier trained on real against shuffled
consecutive phrases) keeps the join it finds most like two bars of one tune.

Best-of-K selection by a discriminator-like critic, as in discriminator rejection sampling:
the generator alone is Connective Fusion; the judge only chooses among what it made.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from . import tonality
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


def candidate_styles(style: np.ndarray, count: int) -> np.ndarray:
    """(count, 2): the musician's style (1, 2) first, then fixed random ones."""
    others = np.random.default_rng(STYLE_SEED).random((count - 1, style.shape[1])).astype(np.float32)
    return np.concatenate([style, others])


def most_real(engine: "Engine", left: np.ndarray, right: np.ndarray,
              profiles: tuple[np.ndarray, np.ndarray] | None) -> int:
    """Index of the candidate latent pair (rows of ``left`` and ``right``) whose decoded join
    the judge scores highest; with ``profiles`` (each side's pitch-class profile, (1, 12)),
    each side is first held in its key, as the join will be played."""
    sides = [engine.model.decode(left), engine.model.decode(right)]
    if profiles is not None:
        sides = [tonality.in_key_of(side, np.repeat(profile, len(side), axis=0))
                 for side, profile in zip(sides, profiles)]
    return int(np.argmax(engine.model.judge(np.concatenate(sides, axis=1))))
