"""Keeping phrases in one key: profiles, key shifts, transposition within the model's range."""
import numpy as np

from engine import tonality
from engine.codec import HOLD, PITCH_MAX, PITCH_MIN, REST, WINDOW_STEPS, pitch_to_token

C_MAJOR = [60, 62, 64, 65, 67, 69, 71, 72]


def window(pitches, length=4):
    row = np.full(WINDOW_STEPS, HOLD, dtype=np.int64)
    row[::length] = [pitch_to_token(p) for p in (pitches * WINDOW_STEPS)[: WINDOW_STEPS // length]]
    return row


def test_profile_counts_held_steps_and_not_rests():
    row = np.full(WINDOW_STEPS, REST, dtype=np.int64)
    row[0], row[1:3] = pitch_to_token(61), HOLD  # C sharp for 3 steps
    row[3] = HOLD  # still C sharp
    row[10] = pitch_to_token(74)  # D for 1 step, then rests
    profile = tonality.pitch_class_profile(row)
    assert profile.shape == (1, 12) and profile[0, 1] == 4 and profile[0, 2] == 1 and profile.sum() == 5


def test_a_leading_hold_sounds_nothing():
    row = np.full(WINDOW_STEPS, HOLD, dtype=np.int64)
    assert not tonality.pitch_class_profile(row).any() and np.isnan(tonality.mean_pitch(row)[0])


def test_key_shift_finds_the_transposition_between_keys_and_stays_in_one():
    c = tonality.pitch_class_profile(window(C_MAJOR))
    for semitones in (-5, -2, 3, 6):
        moved = tonality.pitch_class_profile(window([p + semitones for p in C_MAJOR]))
        assert tonality.key_shifts(moved, c)[0] == (-semitones + 5) % 12 - 5  # a tritone is +6
    assert tonality.key_shifts(c, c)[0] == 0
    assert tonality.key_shifts(np.zeros((1, 12)), c)[0] == 0  # silence stays


def test_transpose_picks_the_octave_in_range_nearest_the_register():
    low = window([48, 50, 52])  # the model's lowest notes
    down = tonality.transpose(low[None], np.array([-3]))[0]
    assert tonality.mean_pitch(down)[0] == tonality.mean_pitch(low)[0] + 9  # -3 leaves the range: +9
    high = window([PITCH_MAX, PITCH_MAX - 2])
    spread = window([PITCH_MIN, PITCH_MAX])  # no octave of +5 fits
    moved = tonality.transpose(np.stack([high, spread]), np.array([5, 5]), np.array([PITCH_MAX - 20, np.nan]))
    assert tonality.mean_pitch(moved[:1])[0] == tonality.mean_pitch(high)[0] + 5 - 24  # two octaves down: nearest
    assert (moved[1] == spread).all()


def test_in_key_of_moves_a_window_into_its_references_key():
    f_sharp = window([p + 6 for p in C_MAJOR])
    moved = tonality.in_key_of(f_sharp[None], tonality.pitch_class_profile(window(C_MAJOR)))
    assert (tonality.pitch_class_profile(moved) == tonality.pitch_class_profile(window(C_MAJOR))).all()
