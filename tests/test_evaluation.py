"""Evaluation protocols: the metric functions, and a full evaluation run on a tiny bundle."""
import json

import numpy as np

from engine.attributes import ATTRIBUTES
from engine.codec import HOLD, REST
from training import metrics
from training.evaluate import BundleBackend, evaluate


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
    assert set(saved["faders"]) >= set(ATTRIBUTES)
    assert {"learned", "fitted", "floor_train_vs_test"} == set(saved["prior_samples"])
    for picture in ("interpolation.png", "faders.png", "latent_pca.png", "losses.png"):
        assert (tmp_path / picture).read_bytes()[:4] == b"\x89PNG"
