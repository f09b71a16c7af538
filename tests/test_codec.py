"""Clip codec: tokens <-> notes, top-voice reduction, segmenting."""
import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from engine import codec
from engine.codec import HOLD, N_TOKENS, PITCH_MAX, PITCH_MIN, REST, WINDOW_STEPS


@st.composite
def valid_tokens(draw, max_windows: int = 2):
    """Token sequences in normal form: a hold only ever follows a note or another hold."""
    length = WINDOW_STEPS * draw(st.integers(1, max_windows))
    tokens, sounding = [], False
    for _ in range(length):
        choices = [REST] + ([HOLD] if sounding else []) + [None]
        choice = draw(st.sampled_from(choices))
        token = draw(st.integers(2, N_TOKENS - 1)) if choice is None else choice
        sounding = token != REST
        tokens.append(token)
    return np.array(tokens)


@st.composite
def monophonic_notes(draw):
    """Grid-aligned, non-overlapping notes inside the model's range within one 64-step window."""
    notes, step = [], draw(st.integers(0, 8))
    while step < WINDOW_STEPS:
        length = draw(st.integers(1, 12))
        if step + length > WINDOW_STEPS:
            break
        notes.append({"pitch": draw(st.integers(PITCH_MIN, PITCH_MAX)), "start_time": step / 4,
                      "duration": length / 4, "velocity": draw(st.integers(1, 127))})
        step += length + draw(st.integers(0, 6))
    return notes


@given(valid_tokens())
def test_tokens_to_notes_to_tokens_is_identity(tokens):
    notes = codec.tokens_to_notes(tokens)
    assert np.array_equal(codec.notes_to_tokens(notes, len(tokens)).tokens, tokens)


@given(monophonic_notes())
def test_grid_aligned_monophonic_notes_survive(notes):
    encoded = codec.notes_to_tokens(notes, WINDOW_STEPS)
    velocities = np.zeros(WINDOW_STEPS, dtype=int)
    velocities[encoded.source >= 0] = [notes[i]["velocity"] for i in encoded.source[encoded.source >= 0]]
    assert codec.tokens_to_notes(encoded.tokens, velocities) == notes
    assert encoded.dropped_notes == 0 and encoded.folded_notes == 0


def test_chord_reduces_to_its_top_note():
    chord = [{"pitch": p, "start_time": 0.0, "duration": 1.0, "velocity": 90} for p in (60, 64, 67)]
    notes = codec.tokens_to_notes(codec.notes_to_tokens(chord, WINDOW_STEPS).tokens)
    assert [n["pitch"] for n in notes] == [67]
    assert codec.notes_to_tokens(chord, WINDOW_STEPS).dropped_notes == 2


def test_lower_note_under_a_sounding_higher_note_is_dropped():
    notes = [{"pitch": 72, "start_time": 0.0, "duration": 2.0, "velocity": 90},
             {"pitch": 60, "start_time": 1.0, "duration": 2.0, "velocity": 90}]
    out = codec.tokens_to_notes(codec.notes_to_tokens(notes, WINDOW_STEPS).tokens)
    assert [(n["pitch"], n["duration"]) for n in out] == [(72, 2.0)]


def test_new_note_cuts_a_longer_one_and_leaves_no_stray_hold():
    notes = [{"pitch": 60, "start_time": 0.0, "duration": 4.0, "velocity": 90},
             {"pitch": 65, "start_time": 1.0, "duration": 0.5, "velocity": 90}]
    out = codec.tokens_to_notes(codec.notes_to_tokens(notes, WINDOW_STEPS).tokens)
    assert [(n["pitch"], n["start_time"], n["duration"]) for n in out] == [(60, 0.0, 1.0), (65, 1.0, 0.5)]


def test_off_grid_notes_are_quantised_to_sixteenths():
    notes = [{"pitch": 60, "start_time": 0.13, "duration": 0.49, "velocity": 90}]
    out = codec.tokens_to_notes(codec.notes_to_tokens(notes, WINDOW_STEPS).tokens)
    assert out[0]["start_time"] == 0.25 and out[0]["duration"] == 0.5


def test_out_of_range_pitches_fold_by_octaves():
    notes = [{"pitch": 30, "start_time": 0.0, "duration": 1.0, "velocity": 90},
             {"pitch": 110, "start_time": 1.0, "duration": 1.0, "velocity": 90}]
    encoded = codec.notes_to_tokens(notes, WINDOW_STEPS)
    pitches = [n["pitch"] for n in codec.tokens_to_notes(encoded.tokens)]
    assert pitches == [54, 86] and encoded.folded_notes == 2


def test_long_clips_become_64_step_segments():
    assert codec.steps_for_length(16.0) == 64
    assert codec.steps_for_length(17.0) == 128
    notes = [{"pitch": 60 + i % 12, "start_time": float(i), "duration": 1.0, "velocity": 80} for i in range(32)]
    segments = codec.segments(codec.notes_to_tokens(notes, codec.steps_for_length(32.0)).tokens)
    assert segments.shape == (2, WINDOW_STEPS)
    assert (segments[:, 0] >= 2).all()


def test_normalise_turns_orphan_holds_into_rests():
    tokens = np.array([HOLD, 10, HOLD, REST, HOLD, 12])
    assert codec.normalise_tokens(tokens).tolist() == [REST, 10, HOLD, REST, REST, 12]


def test_transposition_room():
    tokens = np.array([[REST, 2 + 10, HOLD, 2 + 20]])
    down, up = codec.transposition_room(tokens)
    assert (down[0], up[0]) == (-10, (N_TOKENS - 1) - 22)
