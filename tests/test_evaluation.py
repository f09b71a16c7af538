"""Evaluation protocols: the metric functions, and a full evaluation run on a tiny bundle."""
import json

import numpy as np

from engine.attributes import ATTRIBUTES, measure
from engine.codec import HOLD, N_TOKENS, REST
from training import metrics
from training.evaluate import BundleBackend, evaluate, swap_obedience


def test_token_accuracy_and_onset_f1():
    ref = np.array([[20, HOLD, 22, REST]])
    assert metrics.token_accuracy(ref, ref) == 1.0
    assert metrics.onset_f1(ref, np.array([[20, HOLD, HOLD, REST]])) == 2 * (1.0 * 0.5) / 1.5


def test_durations_and_their_distribution():
    window = np.array([20, HOLD, HOLD, 22, REST, 23, HOLD])
    assert metrics.note_durations(window).tolist() == [3, 1, 2]
    dd = metrics.duration_distribution(window)
    assert dd[0] == dd[1] == dd[2] == 1 / 3 and dd.sum() == 1.0


def test_tonic_estimation_and_npd_are_transposition_invariant():
    c_major = np.array([2 + 12 + p for p in (0, 4, 7, 12, 7, 4, 0, 2, 4, 5, 7, 9, 11, 12, 0, 0)])  # C4-based
    assert metrics.estimate_tonic(c_major) == 0
    assert metrics.estimate_tonic(c_major + 2) == 2
    assert np.allclose(metrics.normalised_pitch_distribution(c_major),
                       metrics.normalised_pitch_distribution(c_major + 5))


def test_interpolation_monotonicity_allows_one_step_of_noise():
    curves = np.array([[0, 0.1, 0.1 - 1 / 64, 0.5], [0, 0.3, 0.2, 0.6]])
    mean, monotone = metrics.interpolation_curves(curves)
    assert monotone == 0.5 and np.allclose(mean, curves.mean(0))


def test_distances_and_r_squared():
    p, q = np.array([1.0, 0, 0]), np.array([0, 0, 1.0])
    assert metrics.distribution_distance(p, q) == np.sqrt(2)
    assert abs(metrics.distribution_distance(p, q, "emd") - 2.0) < 1e-9
    x = np.arange(10.0)
    assert metrics.r_squared(x, 3 * x + 1) == 1.0


def test_full_evaluation_writes_json_and_plots(tiny_bundle, tiny_corpus, tmp_path):
    results = evaluate(BundleBackend(tiny_bundle), tiny_corpus, tmp_path, seeds=2,
                       log_path=tiny_bundle / "training_log.jsonl")
    saved = json.loads((tmp_path / "metrics.json").read_text())
    assert saved == json.loads(json.dumps(results))
    assert 0 <= saved["reconstruction"]["token_accuracy"] <= 1
    assert len(saved["interpolation"]["mean_curve"]) == 11
    assert set(saved["faders"]) >= set(ATTRIBUTES) and set(saved["fader_swaps"]) >= set(ATTRIBUTES)
    assert len(saved["faders"]["density"]["std_by_slide"]) == 8
    assert {"learned", "fitted", "floor_train_vs_test"} == set(saved["prior_samples"])
    for picture in ("interpolation.png", "faders.png", "latent_pca.png", "losses.png"):
        assert (tmp_path / picture).read_bytes()[:4] == b"\x89PNG"


class _WindowTable:
    """A fake backend whose latent is a window number, copied into every fader dimension
    and a fifth one; decoding plays a window from the table."""

    fader_index = [0, 1, 2, 3]

    def __init__(self, tokens: np.ndarray, obeys: bool) -> None:
        self.tokens, self.obeys = tokens, obeys

    def encode(self, tokens: np.ndarray):
        rows = np.array([np.flatnonzero((self.tokens == t).all(1))[0] for t in tokens], dtype=np.float32)
        return np.repeat(rows[:, None], 5, axis=1), np.zeros((len(rows), 5), np.float32)

    def decode_logits(self, z: np.ndarray) -> np.ndarray:
        own = z[:, 4]
        moved = np.where(z[:, :4] != own[:, None], z[:, :4], -1).max(axis=1)  # the donor's number, if any
        chosen = np.where(moved >= 0, moved, own) if self.obeys else own
        return np.eye(N_TOKENS, dtype=np.float32)[self.tokens[chosen.astype(int)]]


def test_swap_obedience_tells_a_decoder_that_follows_the_donor_from_one_that_keeps_its_own(tiny_corpus):
    tokens = np.unique(tiny_corpus.windows.astype(np.int64), axis=0)[:200]
    train_std = np.nanstd(measure(tokens), axis=0)
    obeys = swap_obedience(_WindowTable(tokens, True), tokens, train_std, windows=200)
    keeps = swap_obedience(_WindowTable(tokens, False), tokens, train_std, windows=200)
    for name in ATTRIBUTES:
        assert obeys[name]["donor_correlation"] > 0.99 and keeps[name]["own_correlation"] > 0.99
        assert abs(keeps[name]["donor_correlation"]) < 0.3
    assert keeps["density"]["others_moved_std"] == 0.0
