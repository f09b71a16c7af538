"""Fusion that tries several styles and keeps the join the bundle's judge finds most real."""
import json

import numpy as np
import pytest

from bridge.requests import op_fuse
from engine import ClipError, Engine, LimitError, picking
from engine.clip import Clip, Note


def clip(pitches, length=16.0):
    return Clip(length, tuple(Note(p, float(i), 1.0, 80) for i, p in enumerate(pitches)))


LEFT = clip([60, 62, 64, 65, 67, 65, 64, 62] * 2)
RIGHT = clip([72, 71, 69, 67, 69, 71, 72, 74] * 2)


def test_one_candidate_is_connective_fusion_alone(tiny_pair_bundle, tiny_judge_bundle):
    plain = Engine(tiny_pair_bundle).fuse(LEFT, RIGHT, style=[0.2, 0.9], iterations=2)
    single = Engine(tiny_judge_bundle).fuse(LEFT, RIGHT, style=[0.2, 0.9], iterations=2, candidates=1)
    assert single.clip == plain.clip


@pytest.mark.parametrize("keep_key, method", [(True, "generator"), (False, "generator"), (True, "flow")])
def test_the_judges_favourite_style_is_the_one_played(tiny_judge_bundle, monkeypatch, keep_key, method):
    engine = Engine(tiny_judge_bundle)
    styles = picking.candidate_styles(np.array([[0.2, 0.9]], np.float32), 4)
    judged = []

    def judge(phrases):
        judged.append(phrases.shape)
        return np.array([0.0, -1.0, 3.0, 1.0])  # the third style wins

    monkeypatch.setattr(engine.model, "judge", judge)
    # The tiny models barely hear their style; these move the pair far by it.
    monkeypatch.setattr(engine.model, "fuse", lambda left, right, style, strength: (left + 4 * style[:, :1],
                                                                                     right - 4 * style[:, 1:]))
    monkeypatch.setattr(engine.model, "continuation_flow", lambda left, noise, source, start: source + 4 * noise)
    picked = engine.fuse(LEFT, RIGHT, style=[0.2, 0.9], candidates=4, keep_key=keep_key, method=method)
    chosen = engine.fuse(LEFT, RIGHT, style=styles[0, 2].tolist(), candidates=1, keep_key=keep_key, method=method)
    first = engine.fuse(LEFT, RIGHT, style=styles[0, 0].tolist(), candidates=1, keep_key=keep_key, method=method)
    assert judged == [(4, 128)]
    assert picked.clip == chosen.clip != first.clip


def test_the_bundles_default_count_is_tried_each_iteration(tiny_judge_bundle, monkeypatch):
    engine = Engine(tiny_judge_bundle)
    judged = []
    monkeypatch.setattr(engine.model, "judge", lambda phrases: judged.append(len(phrases)) or np.zeros(len(phrases)))
    engine.fuse(LEFT, RIGHT, iterations=3)
    assert judged == [4] * 3 and engine.info()["fusion"]["candidates"] == 4


def test_the_musicians_style_comes_first_and_the_others_are_fixed():
    style = np.array([[0.25, 0.75], [0.5, 0.0]], np.float32)
    styles = picking.candidate_styles(style, 5)
    assert styles.shape == (2, 5, 2) and styles[:, 0].tolist() == style.tolist()
    assert np.array_equal(styles[0, 1:], styles[1, 1:])
    assert np.array_equal(styles, picking.candidate_styles(style, 5))
    assert ((styles >= 0) & (styles <= 1)).all()


@pytest.mark.parametrize("candidates", [0, 33, 2.5, True])
def test_a_candidate_count_out_of_range_is_refused(tiny_judge_bundle, candidates):
    with pytest.raises(LimitError, match="candidates must be a whole number in 1..32"):
        Engine(tiny_judge_bundle).fuse(LEFT, RIGHT, candidates=candidates)


def test_a_bundle_without_a_judge_fuses_one_style_and_says_why_it_cannot_pick(tiny_pair_bundle):
    engine = Engine(tiny_pair_bundle)
    assert engine.info()["fusion"]["candidates"] == 1
    assert engine.fuse(LEFT, RIGHT).clip == engine.fuse(LEFT, RIGHT, candidates=1).clip
    with pytest.raises(ClipError, match="has no judge model"):
        engine.fuse(LEFT, RIGHT, candidates=4)


def test_the_fuse_op_takes_candidates_and_refuses_a_wrong_type(tiny_judge_bundle):
    engine = Engine(tiny_judge_bundle)
    request = {"left": LEFT.to_dict(), "right": RIGHT.to_dict(), "candidates": 2}
    assert op_fuse(engine, request)["clip"]["notes"]
    with pytest.raises(ClipError, match="candidates"):
        op_fuse(engine, request | {"candidates": "many"})


def test_the_exported_judge_records_its_parity_and_scores_real_phrases(tiny_judge_bundle, tiny_corpus):
    manifest = json.loads((tiny_judge_bundle / "manifest.json").read_text())
    assert manifest["parity"]["judge_max_abs_error"] < 1e-4
    assert manifest["judge"]["training"]["split"] == "train"
    windows = tiny_corpus.windows[:4].astype(np.int64)
    logits = Engine(tiny_judge_bundle).model.judge(np.concatenate([windows, windows], axis=1))
    assert logits.shape == (4,) and np.isfinite(logits).all()


def test_the_judges_eager_twin_rebuilt_from_the_bundle_matches_onnx(tiny_judge_bundle, tiny_corpus):
    import torch

    from training.export_pairs import torch_pair_models_from_bundle

    judge = torch_pair_models_from_bundle(tiny_judge_bundle)["judge"]
    windows = tiny_corpus.windows[:6].astype(np.int64)
    phrases = np.concatenate([windows, windows[::-1]], axis=1)
    with torch.no_grad():
        eager = judge(torch.from_numpy(phrases)).numpy()
    assert np.allclose(eager, Engine(tiny_judge_bundle).model.judge(phrases), atol=1e-4)


def test_a_fused_continuation_plays_the_step_the_judge_hears_best_after_the_last(tiny_judge_bundle, monkeypatch):
    engine = Engine(tiny_judge_bundle)
    heard = []

    def judge(phrases):
        heard.append(phrases)
        return np.arange(len(phrases)) % 4 == 1  # per variation, the second style wins

    monkeypatch.setattr(engine.model, "judge", judge)
    # Fusion moves both halves by style, but a continuation plays on after the step it has.
    monkeypatch.setattr(engine.model, "fuse", lambda left, right, style, strength: (left - 4 * style[:, 1:],
                                                                                     right + 4 * style[:, :1]))
    picked = engine.continuation(LEFT, bars=8, variations=2, fuse_with=RIGHT, style=[0.1, 0.1], seed=1)
    styles = picking.candidate_styles(np.array([[0.1, 0.1]], np.float32), 4)
    chosen = engine.continuation(LEFT, bars=8, variations=2, fuse_with=RIGHT, style=styles[0, 1].tolist(), seed=1,
                                 candidates=1)
    assert [p.shape for p in heard] == [(8, 128)] * 2  # two variations × four styles, for each 4-bar step
    assert picked.clips == chosen.clips
    for phrases in heard:  # each variation's four candidates follow one and the same left half
        lefts = phrases[:, :64].reshape(2, 4, 64)
        assert (lefts == lefts[:, :1]).all()


def test_the_cli_fuses_with_the_candidates_asked_and_refuses_a_bad_count(tiny_judge_bundle, tmp_path):
    import subprocess
    import sys

    from bridge.midifile import write_clips

    write_clips(tmp_path / "l.mid", [LEFT])
    write_clips(tmp_path / "r.mid", [RIGHT])
    result = subprocess.run([sys.executable, "-m", "bridge", "fuse", str(tmp_path / "l.mid"), str(tmp_path / "r.mid"),
                             "--bundle", str(tiny_judge_bundle), "--candidates", "1", "-o", str(tmp_path / "f.mid")],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "f.mid").exists()
    refused = subprocess.run([sys.executable, "-m", "bridge", "fuse", str(tmp_path / "l.mid"), str(tmp_path / "r.mid"),
                              "--bundle", str(tiny_judge_bundle), "--candidates", "0", "-o", str(tmp_path / "g.mid")],
                             capture_output=True, text=True, timeout=120)
    assert refused.returncode != 0 and "candidates must be a whole number in 1..32, got 0" in refused.stderr
    assert refused.stderr.count("\n") == 1 and not (tmp_path / "g.mid").exists()


@pytest.mark.parametrize("candidates", [1, 4])
def test_longer_clips_change_only_at_the_join(tiny_judge_bundle, candidates):
    engine = Engine(tiny_judge_bundle)
    left, right = clip([60, 62, 64, 65, 67, 65, 64, 62] * 4, 32.0), clip([72, 71, 69, 67] * 8, 32.0)
    fusion = engine.fuse(left, right, iterations=2, keep_iterations=True, candidates=candidates, keep_key=False)
    assert fusion.clip.length == 64.0 and len(fusion.iterations) == 2
    plain = engine.decode(engine.encode(left)[0], length=32.0, velocity=80)
    # The left clip's first 4 bars are its own decoded segment, whatever the join became.
    assert [n for n in fusion.left.notes if n.start_time < 16.0] == [n for n in plain.notes if n.start_time < 16.0]
