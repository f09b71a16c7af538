"""Protocol requests (JSON objects) -> engine calls -> JSON-ready results.

Shared by the OSC server and anything else that speaks the protocol's JSON, so a clip is
parsed in exactly one place.
"""
from __future__ import annotations

from typing import Any, Callable

import numpy as np

from engine import ClipError, Engine, Result, parse_clip
from engine.clip import LimitError
from engine.flow_fusion import METHODS
from engine.phrases import DEFAULT_STYLE

OpHandler = Callable[[Engine, dict], dict]


def _field(payload: dict, name: str, kinds: tuple[type, ...], default: Any = ..., what: str = "") -> Any:
    if name not in payload:
        if default is ...:
            raise ClipError(f"request lacks {name!r}")
        return default
    value = payload[name]
    if isinstance(value, bool) and bool not in kinds or not isinstance(value, kinds):
        names = " or ".join(k.__name__ for k in kinds)
        raise ClipError(f"{name} must be {what or names}, got {value!r}")
    return value


def _int(payload: dict, name: str, default: Any = ...) -> Any:
    return _field(payload, name, (int,), default, "a whole number")


def _float(payload: dict, name: str, default: Any = ..., low: float | None = None, high: float | None = None) -> Any:
    if name not in payload:
        return _field(payload, name, (int, float), default)
    value = float(_field(payload, name, (int, float), default, "a number"))
    if (low is not None and value < low) or (high is not None and value > high):
        raise ClipError(f"{name} must be in {low:g}..{high:g}, got {value:g}")
    return value


def _seed(payload: dict) -> int | None:
    seed = _field(payload, "seed", (int,), None, "a whole number")
    if seed is not None and seed < 0:
        raise ClipError("seed must not be negative")
    return seed


def _clips(result: Result) -> dict:
    return {"clips": [clip.to_dict() for clip in result.clips], "warnings": result.warnings}


def op_info(engine: Engine, payload: dict) -> dict:
    """``info``: bundle summary, ops and limits."""
    from bridge.osc.protocol import MAX_DATAGRAM_BYTES, MAX_REQUEST_BYTES, OPS
    from engine.clip import MAX_BEATS, MAX_NOTES
    from engine.ops import MAX_INTERPOLATION_STEPS, MAX_VARIATIONS
    from engine.latent_tools import MAX_BUDGET, MAX_REFINE_ITERATIONS
    from engine.phrases import MAX_CONTINUATION_BARS, MAX_FUSION_ITERATIONS

    needs = {"fuse": "fusion", "continue": "continuation"}
    ops = [op for op in OPS if op not in needs or engine.model.has(needs[op])]
    return {**engine.info(), "ops": ops, "limits": {
        "datagram_bytes": MAX_DATAGRAM_BYTES, "request_bytes": MAX_REQUEST_BYTES, "notes": MAX_NOTES,
        "beats": MAX_BEATS, "variations": MAX_VARIATIONS, "interpolation_steps": MAX_INTERPOLATION_STEPS,
        "fusion_iterations": MAX_FUSION_ITERATIONS, "continuation_bars": MAX_CONTINUATION_BARS,
        "refine_iterations": MAX_REFINE_ITERATIONS, "optimize_budget": MAX_BUDGET}}


def op_encode(engine: Engine, payload: dict) -> dict:
    """``encode {"clip"}`` -> ``{"z": [[...] per 4-bar segment]}``."""
    z, warnings = engine.encode(parse_clip(_field(payload, "clip", (dict,))))
    return {"z": np.round(z, 6).tolist(), "warnings": warnings}


def op_decode(engine: Engine, payload: dict) -> dict:
    """``decode {"z", "length"?, "temperature"?, "seed"?}`` -> ``{"clip"}``."""
    z = _field(payload, "z", (list,), what="a list of numbers (or of lists, one per segment)")
    try:
        array = np.asarray(z, dtype=np.float32)
    except (TypeError, ValueError):
        raise ClipError("z must be a list of numbers (or of lists, one per segment)") from None
    if array.ndim not in (1, 2) or not np.isfinite(array).all():
        raise ClipError("z must be a list of finite numbers (or of lists, one per segment)")
    if array.ndim == 2 and len(array) > 16:
        raise LimitError(f"z has {len(array)} segments; the limit is 16")
    clip = engine.decode(array, length=_float(payload, "length", None, 0.25, 256.0),
                         temperature=_float(payload, "temperature", 0.0, 0.0, 2.0), seed=_seed(payload),
                         velocity=int(_float(payload, "velocity", 100, 1, 127)))
    return {"clip": clip.to_dict()}


def op_interpolate(engine: Engine, payload: dict) -> dict:
    """``interpolate {"a", "b", "steps" | "alpha", "method"?}`` -> ``{"clips"}``."""
    a = parse_clip(_field(payload, "a", (dict,)), "a")
    b = parse_clip(_field(payload, "b", (dict,)), "b")
    steps = _int(payload, "steps", None)
    alpha = _float(payload, "alpha", None, 0.0, 1.0)
    if steps is None and alpha is None:
        steps = 5
    if steps is not None and alpha is not None:
        raise ClipError("give either steps or alpha, not both")
    method = _field(payload, "method", (str,), "linear")
    return _clips(engine.interpolate(a, b, steps=steps, alpha=alpha, method=method))


def op_faders(engine: Engine, payload: dict) -> dict:
    """``faders {"clip", "faders": {name: 0..1}}`` -> ``{"clip"}``."""
    faders = _field(payload, "faders", (dict,), what="an object of fader names to 0..1")
    result = engine.faders(parse_clip(_field(payload, "clip", (dict,))), faders)
    return {"clip": result.clips[0].to_dict(), "warnings": result.warnings}


def op_generate(engine: Engine, payload: dict) -> dict:
    """``generate {"variations"?, "temperature"?, "seed"?, "faders"?, "genre"?}`` -> ``{"clips"}``."""
    return _clips(engine.generate(
        variations=_int(payload, "variations", 1), temperature=_float(payload, "temperature", 1.0, 0.0, 2.0),
        seed=_seed(payload), faders=_field(payload, "faders", (dict,), {}, "an object of fader names to 0..1"), genre=_genre(payload, None),
        velocity=int(_float(payload, "velocity", 100, 1, 127))))


def _genre(payload: dict, default: Any = ...) -> Any:
    return _field(payload, "genre", (str, dict), default, "a genre name or an object of genre names to weights")


def op_restyle(engine: Engine, payload: dict) -> dict:
    """``restyle {"clip", "genre", "amount"?}`` -> ``{"clip"}``."""
    result = engine.restyle(parse_clip(_field(payload, "clip", (dict,))), _genre(payload),
                            _float(payload, "amount", 1.0, 0.0, 2.0))
    return {"clip": result.clips[0].to_dict(), "warnings": result.warnings}


def op_refine(engine: Engine, payload: dict) -> dict:
    """``refine {"clip", "max_iterations"?}`` -> ``{"clips", "fixed_point"}``."""
    refined = engine.refine(parse_clip(_field(payload, "clip", (dict,))), _int(payload, "max_iterations", 8))
    return {"clips": [clip.to_dict() for clip in refined.clips], "fixed_point": refined.fixed_point,
            "warnings": refined.warnings}


def op_optimize(engine: Engine, payload: dict) -> dict:
    """``optimize {"objective", "target"?, "budget"?, "seed"?, "genre"?}`` -> ``{"clip", "score", "met", "evaluations"}``."""
    found = engine.optimize(_field(payload, "objective", (str,)), payload.get("target"), _int(payload, "budget", 64),
                            _seed(payload), _genre(payload, None), int(_float(payload, "velocity", 100, 1, 127)))
    return {"clip": found.clip.to_dict(), "score": found.score, "met": found.met, "evaluations": found.evaluations}


def _optional_clip(payload: dict, name: str):
    data = _field(payload, name, (dict,), None, "a clip object")
    return None if data is None else parse_clip(data, name)


def _keep_key(payload: dict) -> bool:
    return _field(payload, "keep_key", (bool,), True, "true or false")


def _method(payload: dict) -> str:
    return _field(payload, "method", (str,), None, f"one of {', '.join(METHODS)}")


def op_fuse(engine: Engine, payload: dict) -> dict:
    """``fuse {"left", "right", "style"?, "iterations"?, "similarity"?, "keep_iterations"?, "keep_key"?,
    "candidates"?, "method"?}`` -> ``{"clip", "left", "right", "iterations"?}``."""
    style = _field(payload, "style", (list,), list(DEFAULT_STYLE), "a list [x, y] in 0..1")
    fusion = engine.fuse(parse_clip(_field(payload, "left", (dict,)), "left"),
                         parse_clip(_field(payload, "right", (dict,)), "right"), style=style,
                         iterations=_int(payload, "iterations", 1), similarity=_float(payload, "similarity", None),
                         keep_iterations=_field(payload, "keep_iterations", (bool,), False, "true or false"),
                         keep_key=_keep_key(payload), candidates=_int(payload, "candidates", None),
                         method=_method(payload))
    result = {"clip": fusion.clip.to_dict(), "left": fusion.left.to_dict(), "right": fusion.right.to_dict(),
              "warnings": fusion.warnings}
    if fusion.iterations:
        result["iterations"] = [clip.to_dict() for clip in fusion.iterations]
    return result


def op_continue(engine: Engine, payload: dict) -> dict:
    """``continue {"clip", "bars"?, "variations"?, "temperature"?, "seed"?, "fuse_with"?,
    "interpolate_to"?, "alpha"?, "faders"?, "style"?, "similarity"?, "keep_key"?, "candidates"?, "method"?}``
    -> ``{"clips"}``."""
    style = _field(payload, "style", (list,), None, "a list [x, y] in 0..1")
    return _clips(engine.continuation(
        parse_clip(_field(payload, "clip", (dict,))), bars=_int(payload, "bars", 4),
        variations=_int(payload, "variations", 1), temperature=_float(payload, "temperature", 1.0, 0.0, 2.0),
        seed=_seed(payload), fuse_with=_optional_clip(payload, "fuse_with"),
        interpolate_to=_optional_clip(payload, "interpolate_to"), alpha=_float(payload, "alpha", 0.5, 0.0, 1.0),
        faders=_field(payload, "faders", (dict,), {}, "an object of fader names to 0..1"), style=style,
        similarity=_float(payload, "similarity", None), keep_key=_keep_key(payload),
        candidates=_int(payload, "candidates", None), method=_method(payload)))


def op_live(engine: Engine, payload: dict) -> dict:
    """``live``: the live MIDI status; a server with MIDI running replaces this handler."""
    raise ClipError("live MIDI is off (serve was started with --no-midi, or no MIDI system could start)")


HANDLERS: dict[str, OpHandler] = {
    "info": op_info, "encode": op_encode, "decode": op_decode, "interpolate": op_interpolate,
    "faders": op_faders, "generate": op_generate, "fuse": op_fuse, "continue": op_continue, "restyle": op_restyle,
    "refine": op_refine, "optimize": op_optimize, "live": op_live,
}
