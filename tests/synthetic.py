"""Synthetic melodic windows for tests that need data without the corpus."""
import numpy as np

from engine.codec import HOLD, N_TOKENS, REST, WINDOW_STEPS


def synthetic_windows(count: int, seed: int) -> np.ndarray:
    """Plausible melodic windows: random notes of 1-8 sixteenths, the odd rest."""
    rng = np.random.default_rng(seed)
    windows = np.zeros((count, WINDOW_STEPS), dtype=np.int8)
    for row in windows:
        step, pitch = 0, int(rng.integers(14, 36))
        while step < WINDOW_STEPS:
            length = int(rng.choice([1, 2, 2, 4, 4, 8]))
            pitch = int(np.clip(pitch + rng.integers(-4, 5), 2, N_TOKENS - 1))
            row[step] = REST if rng.random() < 0.05 else pitch
            row[step + 1 : step + length] = HOLD if row[step] != REST else REST
            step += length
    return windows
