"""Phrase operations: Connective Fusion of two clips, and continuations that are plain,
fused with another clip, interpolated toward one, or shaped by faders.

Both work on 4-bar segments: fusion joins the left clip's last segment to the right clip's
first; a continuation grows 4 bars at a time from the input's last segment.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Mapping, Sequence

import numpy as np

from . import codec, flow_fusion, grid, picking, tonality
from .clip import Clip, ClipError, LimitError
from .latent import sample_continuation

if TYPE_CHECKING:
    from .ops import Engine

MAX_FUSION_ITERATIONS = 8
MAX_CONTINUATION_BARS = 64
SEGMENT_BEATS = codec.WINDOW_STEPS / codec.STEPS_PER_BEAT
DEFAULT_STYLE = (0.5, 0.5)


@dataclass
class Fusion:
    """The joined clip, its two transformed halves, the joined clip after each iteration
    (when asked for), and warnings."""

    clip: Clip
    left: Clip
    right: Clip
    iterations: list[Clip]
    warnings: list[str] = field(default_factory=list)


def _require_model(engine: "Engine", role: str) -> None:
    if not engine.model.has(role):
        raise ClipError(f"bundle {engine.bundle.name!r} has no {role} model")


def _style(style: Sequence[float]) -> np.ndarray:
    values = list(style)
    if len(values) != 2 or any(isinstance(v, bool) or not isinstance(v, (int, float)) or not 0 <= v <= 1
                               for v in values):
        raise ClipError(f"style must be two numbers in 0..1, got {style!r}")
    return np.asarray([values], dtype=np.float32)


def _similarity(engine: "Engine", similarity: float | None) -> np.ndarray:
    low, high = engine.bundle.manifest["fusion"]["similarity"]
    value = float(np.sqrt(low * high)) if similarity is None else similarity
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not low <= value <= high:
        raise ClipError(f"similarity must be a number in {low:g}..{high:g}, got {similarity!r}")
    return np.asarray([[value]], dtype=np.float32)


def clip_profile(tokens: np.ndarray) -> np.ndarray:
    """The pitch-class profile (1, 12) of a whole prepared clip, all its segments together."""
    return tonality.pitch_class_profile(tokens.reshape(1, -1))


def into_key(tokens: np.ndarray, reference: np.ndarray, reference_profile: np.ndarray) -> np.ndarray:
    """A prepared clip's segments (S, steps) moved, all by one shift, into the key of ``reference``
    (a clip's tokens, with its :func:`clip_profile`), in the octave nearest the reference's
    register: placed to connect to it."""
    shift = tonality.key_shifts(clip_profile(tokens), reference_profile)
    register = tonality.mean_pitch(reference.reshape(1, -1))
    return tonality.transpose(tokens.reshape(1, -1), shift, register).reshape(tokens.shape)


def fuse(engine: "Engine", left: Clip, right: Clip, style: Sequence[float] = DEFAULT_STYLE, iterations: int = 1,
         similarity: float | None = None, keep_iterations: bool = False, keep_key: bool = True,
         candidates: int | None = None, method: str | None = None) -> Fusion:
    """Connective Fusion: transform both clips so that left then right is one coherent phrase,
    by the fusion generator (``method`` "generator") or by the continuation flow, which keeps
    the left clip and re-imagines the right one to follow it (``"flow"``, :mod:`engine.flow_fusion`;
    the default when the bundle's flow can).
    With ``keep_key`` the right clip is first moved into the left clip's key and register, and
    the fused join is held in its key (fusion moves latents, and a latent move may change key).
    With ``candidates`` K > 1 (default: the bundle's, when it has a judge), each iteration
    tries the style and K - 1 others and keeps the join the judge finds most real
    (:mod:`engine.picking`)."""
    method = flow_fusion.require(engine.model, method)
    if not 1 <= iterations <= MAX_FUSION_ITERATIONS:
        raise LimitError(f"iterations must be 1..{MAX_FUSION_ITERATIONS}, got {iterations}")
    style_row, strength = _style(style), _similarity(engine, similarity)
    styles = picking.candidate_styles(style_row, picking.candidate_count(engine, candidates))
    warnings: list[str] = []
    prepared_l, prepared_r = grid.prepare(left, warnings), grid.prepare(right, warnings)
    left_profile = clip_profile(prepared_l.tokens) if keep_key else None
    right_tokens = into_key(prepared_r.tokens, prepared_l.tokens, left_profile) if keep_key else prepared_r.tokens
    z = engine.model.fusion_encode(np.concatenate([prepared_l.tokens, right_tokens]))[0]
    z_left, z_right = z[: len(prepared_l.tokens)], z[len(prepared_l.tokens):]
    joint_l, joint_r = z_left[-1:], z_right[:1]
    profiles = (left_profile, clip_profile(right_tokens)) if keep_key else None
    steps = []
    for iteration in range(iterations):
        joint_l, joint_r, join = picking.fuse_and_pick(engine, joint_l, joint_r, styles, strength, profiles,
                                                       method=method, iterated=iteration > 0)
        steps.append((joint_l, joint_r, join))
    kept = steps if keep_iterations else steps[-1:]
    if kept[0][2] is None:  # one candidate: the joins are decoded here, not by the judge
        tiled = None if profiles is None else tuple(np.tile(profile, (len(kept), 1)) for profile in profiles)
        joins = picking.held_joins(engine, np.concatenate([a for a, _, _ in kept]),
                                   np.concatenate([b for _, b, _ in kept]), tiled)
    else:
        joins = np.concatenate([join for _, _, join in kept])
    # The segments around the join do not change with fusion: decoded once, not held.
    outer = np.concatenate([z_left[:-1], z_right[1:]])
    outer_tokens = engine.model.decode(outer) if len(outer) else np.zeros((0, codec.WINDOW_STEPS), np.int64)
    split = len(z_left)
    tokens = np.stack([np.concatenate([outer_tokens[: split - 1], join.reshape(2, -1), outer_tokens[split - 1 :]])
                       for join in joins])
    joined = []
    for row in tokens:
        new_left = grid.to_clip(row[:split], left.length, prepared_l.shift, (prepared_l,))
        new_right = grid.to_clip(row[split:], right.length, prepared_r.shift, (prepared_r,))
        joined.append((new_left.then(new_right), new_left, new_right))
    clip, new_left, new_right = joined[-1]
    return Fusion(clip, new_left, new_right, [j[0] for j in joined] if keep_iterations else [], warnings)


def continuation(engine: "Engine", clip: Clip, bars: int = 4, variations: int = 1, temperature: float = 1.0,
                 seed: int | None = None, fuse_with: Clip | None = None, interpolate_to: Clip | None = None,
                 alpha: float = 0.5, faders: Mapping[str, float] | None = None,
                 style: Sequence[float] | None = None, similarity: float | None = None,
                 keep_key: bool = True, candidates: int | None = None,
                 method: str | None = None) -> tuple[list[Clip], list[str]]:
    """Clips of ``bars`` bars (4/4) that follow ``clip``, 4 bars at a time, each step from
    the one before:

    - plain: sampled from p(z_R | z_L) at ``temperature`` (see :func:`engine.latent.sample_continuation`);
    - ``fuse_with``: that clip's segments, transformed by Connective Fusion to connect
      (a random style per variation unless ``style`` is given; with ``candidates``, as in
      :func:`fuse`, the judge picks among that style and others the step that follows best;
      ``method`` as in :func:`fuse`);
    - ``interpolate_to``: moved toward that clip's segments by ``alpha``;
    - ``faders``: fader values (0..1) set on every step.

    With ``keep_key`` the ``fuse_with`` and ``interpolate_to`` clips are first moved into the
    input's key and register, and every 4 bars of the continuation are held in its key.
    """
    from .ops import MAX_VARIATIONS

    if not 1 <= bars <= MAX_CONTINUATION_BARS:
        raise LimitError(f"bars must be 1..{MAX_CONTINUATION_BARS}, got {bars}")
    if not 1 <= variations <= MAX_VARIATIONS:
        raise LimitError(f"variations must be 1..{MAX_VARIATIONS}, got {variations}")
    if not 0 <= temperature <= 2:
        raise ClipError(f"temperature must be in 0..2, got {temperature!r}")
    if not 0 <= alpha <= 1:
        raise ClipError(f"alpha must be in 0..1, got {alpha!r}")
    _require_model(engine, "continuation")
    if method is not None:
        flow_fusion.check_method(method)
    if fuse_with is not None:
        method = flow_fusion.require(engine.model, method, keep_left=True)
    warnings: list[str] = []
    rng = np.random.default_rng(seed)
    prepared = grid.prepare(clip, warnings)
    z_last = engine.model.encode(prepared.tokens[-1:])[0]
    profile = clip_profile(prepared.tokens) if keep_key else None
    others = {name: grid.prepare(other, warnings).tokens
              for name, other in (("fuse", fuse_with), ("toward", interpolate_to)) if other is not None}
    targets = {name: engine.model.encode(into_key(tokens, prepared.tokens, profile) if keep_key else tokens)[0]
               for name, tokens in others.items()}
    segments = -(-bars // codec.BARS_PER_WINDOW)
    current = np.repeat(z_last, variations, axis=0)
    styles = np.repeat(_style(style), variations, axis=0) if style is not None else \
        rng.random((variations, 2)).astype(np.float32)
    if fuse_with is not None:
        strength = np.repeat(_similarity(engine, similarity), variations, axis=0)
        styles = picking.candidate_styles(styles, picking.candidate_count(engine, candidates))
    profiles = (np.repeat(profile, variations, axis=0),) * 2 if keep_key else None
    steps = []
    for index in range(segments):
        if "fuse" in targets:
            target = np.repeat(targets["fuse"][index % len(targets["fuse"])][None], variations, axis=0)
            nxt = picking.fuse_and_pick(engine, current, target, styles, strength, profiles, heard_left=current,
                                        method=method)[1]
        else:
            nxt = sample_continuation(engine.model, current, temperature, rng)
        if "toward" in targets:
            nxt = (1 - alpha) * nxt + alpha * targets["toward"][index % len(targets["toward"])]
        nxt = engine.set_faders(nxt, faders or {})
        steps.append(nxt)
        current = nxt
    tokens = engine.model.decode(np.stack(steps, axis=1).reshape(-1, engine.bundle.latent_size))
    if keep_key:
        tokens = tonality.in_key_of(tokens, np.repeat(profile, len(tokens), axis=0))
    tokens = tokens.reshape(variations, -1)
    length = float(bars * codec.STEPS_PER_BAR // codec.STEPS_PER_BEAT)
    velocity = clip.mean_velocity
    return grid.to_clips(tokens, length, [prepared.shift] * variations, [()] * variations, velocity), warnings
