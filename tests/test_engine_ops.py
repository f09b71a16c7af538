"""Engine operations on a tiny bundle: shapes, determinism, dynamics, faders, errors."""
import numpy as np
import pytest

from engine import ClipError, Engine, LimitError, grid, parse_clip


def melody(length=16.0, velocities=(90, 60), pitch0=60):
    notes = [{"pitch": pitch0 + (i * 5) % 12, "start_time": i * 0.5, "duration": 0.5,
              "velocity": velocities[i % len(velocities)]} for i in range(int(length * 2))]
    return parse_clip({"length": length, "notes": notes})


@pytest.fixture(scope="module")
def engine(tiny_bundle):
    return Engine(tiny_bundle)


def test_encode_gives_one_latent_per_four_bars(engine):
    z, warnings = engine.encode(melody(32.0))
    assert z.shape == (2, engine.bundle.latent_size) and warnings == []


def test_decode_is_deterministic_for_a_seed(engine):
    z, _ = engine.encode(melody())
    first = engine.decode(z, temperature=0.8, seed=3)
    assert first == engine.decode(z, temperature=0.8, seed=3)
    assert first.length == 16.0


def test_interpolate_returns_steps_with_ends(engine):
    result = engine.interpolate(melody(), melody(pitch0=67), steps=4)
    assert len(result.clips) == 4 and all(c.length == 16.0 for c in result.clips)
    single = engine.interpolate(melody(), melody(pitch0=67), alpha=0.0, method="slerp")
    assert single.clips[0] == result.clips[0]


def test_results_keep_the_input_dynamics(engine):
    clip = melody(velocities=(111, 37))
    out = engine.faders(clip, {"density": 0.5}).clips[0]
    by_step = {round(n.start_time * 4): n.velocity for n in clip.notes}
    for note in out.notes:
        step = round(note.start_time * 4)
        assert note.velocity == by_step.get(step, clip.mean_velocity)


def test_a_clip_on_the_grid_comes_back_with_its_own_velocities(engine):
    clip = melody(velocities=(111, 37, 64))
    prepared = grid.prepare(clip, [])
    assert grid.to_clip(prepared.tokens, clip.length, prepared.shift, (prepared,)) == clip


def test_the_first_clip_given_lends_its_velocities_first(engine):
    a = parse_clip({"length": 4, "notes": [{"pitch": 60, "start_time": 0, "duration": 1, "velocity": 20}]})
    b = parse_clip({"length": 4, "notes": [{"pitch": 62, "start_time": t, "duration": 1, "velocity": 90}
                                           for t in (0, 1)]})
    pa, pb = grid.prepare(a, []), grid.prepare(b, [])
    out = grid.to_clip(pb.tokens, 4.0, 0, (pa, pb))
    assert [n.velocity for n in out.notes] == [20, 90]
    assert [n.velocity for n in grid.to_clip(pb.tokens, 4.0, 0, ()).notes] == [100, 100]


def test_polyphonic_input_is_reduced_with_a_warning(engine):
    chord = parse_clip({"length": 16, "notes": [{"pitch": p, "start_time": 0, "duration": 4, "velocity": 80}
                                                 for p in (60, 64, 67)]})
    result = engine.faders(chord, {"register": 0.5})
    assert any("polyphonic" in w for w in result.warnings)


def test_low_clip_is_moved_into_range_and_back(engine):
    bass = melody(pitch0=28)
    result = engine.faders(bass, {"density": 0.5})
    assert any("moved +24 semitones" in w for w in result.warnings)
    # Whatever the model plays lies in 48..95; moved back, it must lie 24 lower.
    assert result.clips[0].notes
    assert all(24 <= n.pitch <= 71 for n in result.clips[0].notes)


def test_generate_respects_genre_seed_and_velocity(engine):
    a = engine.generate(variations=3, seed=5, genre="folk", velocity=77)
    b = engine.generate(variations=3, seed=5, genre="folk", velocity=77)
    assert [c.to_dict() for c in a.clips] == [c.to_dict() for c in b.clips]
    assert all(n.velocity == 77 for c in a.clips for n in c.notes)


def test_fader_values_map_through_the_calibration(engine):
    fader = engine.faders_by_name["register"]
    z, _ = engine.encode(melody())
    low = engine.set_faders(z, {"register": 0.0})[0, fader.index]
    high = engine.set_faders(z, {"register": 1.0})[0, fader.index]
    assert low == pytest.approx(fader.latent_of(fader.value_points[0]))
    assert high == pytest.approx(fader.latent_of(fader.value_points[-1]))


@pytest.mark.parametrize("call, message", [
    (lambda e: e.faders(melody(), {"loudness": 0.5}), "unknown fader 'loudness'"),
    (lambda e: e.faders(melody(), {"density": 1.5}), "fader density must be a number in 0..1"),
    (lambda e: e.generate(genre="polka"), "unknown genre 'polka'"),
    (lambda e: e.interpolate(melody(), melody()), "give either steps or alpha"),
    (lambda e: e.interpolate(melody(), melody(), steps=2, method="cubic"), "method must be"),
    (lambda e: e.decode(np.zeros(3)), "z must have"),
])
def test_bad_arguments_raise_clear_errors(engine, call, message):
    with pytest.raises(ClipError, match=message):
        call(engine)


def test_limits_raise_limit_errors(engine):
    with pytest.raises(LimitError, match="variations must be 1..16"):
        engine.generate(variations=17)
    with pytest.raises(LimitError, match="the limit is 1024"):
        parse_clip({"length": 16, "notes": [{"pitch": 60, "start_time": 0, "duration": 1}] * 1025})


@pytest.mark.parametrize("clip, message", [
    ([], "clip must be an object"),
    ({"length": 16}, "lacks 'notes'"),
    ({"length": 16, "notes": [{"pitch": 60, "start_time": 0}]}, "note 0 lacks 'duration'"),
    ({"length": 16, "notes": [{"pitch": 200, "start_time": 0, "duration": 1}]}, "pitch must be a whole number 0..127"),
    ({"length": 16, "notes": [{"pitch": 60, "start_time": -1, "duration": 1}]}, "start_time must not be negative"),
    ({"length": 16, "notes": [{"pitch": 60, "start_time": 0, "duration": "1"}]}, "duration must be a finite number"),
    ({"length": 16, "notes": [{"pitch": 60, "start_time": 0, "duration": 1, "velocity": 0}]}, "velocity must be 1..127"),
    ({"length": 4, "notes": [{"pitch": 60, "start_time": 5, "duration": 1}]}, "starting at or after its length"),
    ({"length": 1000, "notes": []}, "the limit is 256"),
])
def test_clip_validation_messages(clip, message):
    with pytest.raises(ClipError, match=message):
        parse_clip(clip)


def test_rows_converted_together_keep_their_notes_apart():
    from engine.codec import HOLD, REST, WINDOW_STEPS, pitch_to_token

    rows = np.full((3, WINDOW_STEPS), HOLD, dtype=np.int64)
    rows[0, 0] = pitch_to_token(60)             # one note through the whole row
    rows[1, 1] = pitch_to_token(62)             # a leading hold with nothing sounding is a rest
    rows[2] = REST                              # an empty row
    clips = grid.to_clips(rows, 16.0, [0, 12, 0], [(), (), ()], velocity=50)
    assert [(n.pitch, n.start_time, n.duration) for n in clips[0].notes] == [(60, 0.0, 16.0)]
    assert [(n.pitch, n.start_time, n.duration) for n in clips[1].notes] == [(50, 0.25, 15.75)]
    assert clips[2].notes == () and all(n.velocity == 50 for c in clips for n in c.notes)
    assert clips[1] == grid.to_clip(rows[1], 16.0, 12, (), velocity=50)
