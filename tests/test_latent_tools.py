"""Genre blends, restyle, refine and optimize on a tiny bundle, and the objectives on hand-made
token windows."""
import numpy as np
import pytest

from engine import ClipError, Engine, LimitError, codec, objectives
from tests.test_engine_ops import melody

P = codec.PITCH_OFFSET - codec.PITCH_MIN  # token of MIDI pitch p is p + P
R, H = codec.REST, codec.HOLD


def row(*tokens):
    return np.array(list(tokens) + [R] * (64 - len(tokens)))


@pytest.fixture(scope="module")
def engine(tiny_bundle):
    return Engine(tiny_bundle)


def test_objectives_score_token_windows():
    rows = np.stack([row(60 + P, H, H, H, 64 + P, 67 + P), row(R, 62 + P, H, 72 + P), row()])
    score, met = objectives.objective("first_pitch", 62)(rows)
    assert score.tolist() == [-2.0, 0.0, -1062.0] and met.tolist() == [False, True, False]
    assert objectives.objective("longest_notes", None)(rows)[0].tolist() == [3.0, 1.0, 0.0]
    assert objectives.objective("shortest_notes", None)(rows)[0].tolist() == [-3.0, -1.0, -0.0]
    assert objectives.objective("pitch_range", 7)(rows)[1].tolist() == [True, False, False]
    shares, met = objectives.objective("in_scale", "C major")(rows)
    assert shares[0] == 1.0 and shares[1] == 1.0 and met.tolist() == [True, True, False]
    assert objectives.scale_of("Bb minor") == (10, 0, 1, 3, 5, 6, 8)


@pytest.mark.parametrize("name, target, message", [
    ("loudest", None, "unknown objective 'loudest'"), ("first_pitch", "C4", "target MIDI pitch"),
    ("pitch_range", -1, "target span"), ("in_scale", 3, "target key"), ("in_scale", "H dorian", "unknown key"),
])
def test_objective_errors_say_what_to_send(name, target, message):
    with pytest.raises(ClipError, match=message):
        objectives.objective(name, target)


def test_generate_blends_genres_and_checks_weights(engine):
    names = [g.name for g in engine.bundle.genres]
    blend = engine.generate(variations=2, seed=3, genre={names[0]: 1, names[1]: 1})
    again = engine.generate(variations=2, seed=3, genre={names[0]: 0.5, names[1]: 0.5})
    assert blend.clips == again.clips  # weights are normalised
    assert engine.generate(seed=3, genre={names[0]: 1}).clips == engine.generate(seed=3, genre=names[0]).clips
    for genre, message in (({names[0]: -1}, "must be a number >= 0"), ({names[0]: 0}, "must not all be 0"),
                           ({"polka": 1}, "unknown genre 'polka'"), ({}, "genre must be")):
        with pytest.raises(ClipError, match=message):
            engine.generate(genre=genre)


def test_restyle_moves_by_the_genre_vector_and_amount_zero_keeps_the_reconstruction(engine):
    clip = melody()
    names = [g.name for g in engine.bundle.genres]
    unchanged = engine.restyle(clip, names[2], 0.0).clips[0]
    assert unchanged == engine.faders(clip, {}).clips[0]
    assert engine.restyle(clip, {names[0]: 1, names[2]: 1}, 1.5).clips[0].length == clip.length
    with pytest.raises(ClipError, match="amount must be a number in 0..2"):
        engine.restyle(clip, names[0], 3)


def test_refine_stops_at_a_fixed_point_or_the_limit(engine):
    refined = engine.refine(melody(), max_iterations=32)
    assert 1 <= len(refined.clips) <= 32
    if refined.fixed_point:
        assert engine.refine(refined.clips[-1], 1).clips[0] == refined.clips[-1]
    with pytest.raises(LimitError, match="max_iterations must be 1..32"):
        engine.refine(melody(), 0)


def test_optimize_spends_its_budget_and_returns_the_best(engine):
    found = engine.optimize("longest_notes", budget=16, seed=1)
    assert found.evaluations == 16 and found.met and found.clip.length == 16.0
    holds = sum(n.duration * 4 - 1 for n in found.clip.notes)
    assert found.score == pytest.approx(holds)
    assert engine.optimize("longest_notes", budget=16, seed=1) == found
    with pytest.raises(LimitError, match="budget must be 4..1024"):
        engine.optimize("longest_notes", budget=2)
