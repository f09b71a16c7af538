"""Attributes measured on token windows."""
import numpy as np
import pytest

from engine import attributes, codec


def window(notes):
    return codec.notes_to_tokens(notes, codec.WINDOW_STEPS).tokens


def test_known_values():
    notes = [{"pitch": p, "start_time": float(i), "duration": 1.0, "velocity": 80}
             for i, p in enumerate([60, 64, 62, 67, 72, 60, 60, 65])]
    values = dict(zip(attributes.ATTRIBUTES, attributes.measure(window(notes))))
    assert values["density"] == pytest.approx(8 / 4)
    assert values["register"] == pytest.approx(np.mean([60, 64, 62, 67, 72, 60, 60, 65]))
    assert values["spread"] == pytest.approx(np.std([60, 64, 62, 67, 72, 60, 60, 65]))
    assert values["motion"] == pytest.approx(np.mean(np.abs(np.diff([60, 64, 62, 67, 72, 60, 60, 65]))))


def test_empty_window_has_no_register_and_zero_elsewhere():
    values = attributes.measure(np.zeros(codec.WINDOW_STEPS, dtype=int))
    assert values[0] == 0 and np.isnan(values[1]) and values[2] == 0 and values[3] == 0


def test_batches_keep_their_shape():
    batch = np.zeros((3, 2, codec.WINDOW_STEPS), dtype=int)
    batch[..., 0] = 20
    assert attributes.measure(batch).shape == (3, 2, len(attributes.ATTRIBUTES))
