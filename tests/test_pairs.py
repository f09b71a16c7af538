"""Connective Fusion and continuation: statistics, pair data, training, export, engine ops."""
import json
import shutil
from dataclasses import replace

import numpy as np
import pytest
import torch

from engine import ClipError, Engine, LimitError, grid, parse_clip, tonality
from engine.codec import HOLD, N_TOKENS, PITCH_MAX, PITCH_MIN, PITCH_OFFSET, WINDOW_STEPS, pitch_to_token
from engine.latent import sample_mixture
from tests.synthetic import synthetic_windows
from training import phrase_stats
from training.latent_pairs import joint_shifts, transpose


def scale_window(pitches, length=4):
    window = np.full(WINDOW_STEPS, HOLD, dtype=np.int64)
    window[::length] = [pitch_to_token(p) for p in pitches[: WINDOW_STEPS // length]]
    return window


def melody(length=16.0, pitch0=60, velocity=70):
    notes = [{"pitch": pitch0 + (i * 7) % 12, "start_time": i * 0.5, "duration": 0.5, "velocity": velocity}
             for i in range(int(length * 2))]
    return parse_clip({"length": length, "notes": notes})


# -- statistics --------------------------------------------------------------------------
def test_phrase_states_read_key_pitch_duration_and_the_join():
    c_major = [60, 62, 64, 65, 67, 69, 71, 72] * 2
    left = scale_window(c_major, 4)
    right = scale_window([p + 7 for p in c_major], 8)
    states = phrase_stats.phrase_states(np.concatenate([left, right])[None])
    assert states["key"] == [(0, 14)]  # C major, then G major (2 * 7)
    assert states["mean_duration"][0][0] < states["mean_duration"][0][1]
    assert states["mean_pitch"][0][0] < states["mean_pitch"][0][1]
    assert states["pitch_transition"] == [(72 % 12, 67 % 12)]


def test_statistics_correlate_perfectly_with_themselves_and_less_with_shuffles():
    windows = synthetic_windows(200, seed=5).astype(np.int64)
    phrases = np.concatenate([windows[:100], windows[100:]], axis=1)
    reference = phrase_stats.transition_matrices(phrases)
    assert all(value == pytest.approx(1.0) for value in phrase_stats.correlations(reference, phrases).values())
    other = np.concatenate([synthetic_windows(100, seed=6), synthetic_windows(100, seed=7)], axis=1)
    assert phrase_stats.correlations(reference, other)["key"] < 1.0


# -- pair data ---------------------------------------------------------------------------
def test_joint_shifts_keep_both_windows_in_range_and_leave_the_first_copy_alone():
    rng = np.random.default_rng(0)
    left = synthetic_windows(50, seed=1).astype(np.int64)
    right = synthetic_windows(50, seed=2).astype(np.int64)
    shifts = joint_shifts(left, right, 4, rng)
    assert (shifts[0] == 0).all() and np.abs(shifts).max() <= 6 and shifts[1:].any()
    for copy in shifts:
        for windows in (left, right):
            moved = transpose(windows, copy)
            notes = moved[moved >= PITCH_OFFSET]
            assert notes.min() >= PITCH_OFFSET and notes.max() <= PITCH_OFFSET + PITCH_MAX - PITCH_MIN


def test_sample_mixture_at_zero_temperature_takes_the_likeliest_mean():
    log_weights = np.log(np.array([[0.2, 0.8], [0.9, 0.1]]))
    means = np.arange(2 * 2 * 3, dtype=np.float32).reshape(2, 2, 3)
    log_std = np.zeros((2, 2, 3), dtype=np.float32)
    chosen = sample_mixture(log_weights, means, log_std, 0.0, np.random.default_rng(0))
    assert np.array_equal(chosen, np.stack([means[0, 1], means[1, 0]]))
    draws = np.stack([sample_mixture(log_weights, means, log_std - 9, 1.0, np.random.default_rng(s)) for s in range(400)])
    near_first = np.isclose(draws[:, 0], means[0, 0], atol=0.01).mean()
    assert 0.1 < near_first < 0.3  # component 0 has weight 0.2


# -- training and export -----------------------------------------------------------------
def test_pair_bundle_lists_both_models_with_parity(tiny_pair_bundle):
    manifest = json.loads((tiny_pair_bundle / "manifest.json").read_text())
    assert {"fusion", "continuation"} <= set(manifest["files"])
    assert manifest["parity"]["fusion_max_abs_error"] <= 1e-4
    assert manifest["parity"]["continuation_max_abs_error"] <= 1e-4
    assert manifest["fusion"]["conditioned"] is True


def test_pair_models_from_another_latent_space_are_refused(tiny_pair_bundle, tiny_bundle, tmp_path):
    from training.export_pairs import export_pairs

    other = tmp_path / "other"
    shutil.copytree(tiny_bundle, other)
    from engine.bundle import sha256_of

    with (other / "encoder.onnx").open("ab") as handle:  # another encoder, as after retraining the VAE
        handle.write(b"\0")
    manifest = json.loads((other / "manifest.json").read_text())
    manifest["files"]["encoder"]["sha256"] = sha256_of(other / "encoder.onnx")
    (other / "manifest.json").write_text(json.dumps(manifest))
    checkpoint = tiny_pair_bundle.parent / "runs" / "fusion" / "last.pt"
    with pytest.raises(SystemExit, match="another latent space"):
        export_pairs(other, checkpoint, checkpoint)


def test_export_pairs_keeps_a_model_not_given(tiny_pair_bundle, tiny_bundle, tmp_path):
    from training.export_pairs import export_pairs

    kept = tmp_path / "kept"
    shutil.copytree(tiny_pair_bundle, kept)
    before = json.loads((kept / "manifest.json").read_text())
    export_pairs(kept, None, None)
    after = json.loads((kept / "manifest.json").read_text())
    for role in ("fusion", "continuation"):
        assert after["files"][role] == before["files"][role], f"{role} re-exported from its own weights is the same file"
        assert after[role] == before[role]
    bare = tmp_path / "bare"
    shutil.copytree(tiny_bundle, bare)
    with pytest.raises(SystemExit, match="no fusion model to keep"):
        export_pairs(bare, None, tiny_pair_bundle.parent / "runs" / "continuation" / "best.pt")


def test_fusion_training_resumes_where_it_stopped(tmp_path, tiny_bundle, tiny_corpus):
    from training.config import FusionConfig
    from training.pair_runs import train_fusion

    config = FusionConfig(steps=4, batch_size=8, hidden=16, eval_every=2, discriminator_steps=1, transpositions=1,
                          reality_weight=0.0)
    train_fusion(config, tiny_corpus, tiny_bundle, tmp_path, max_minutes=0)
    first = torch.load(tmp_path / "last.pt", weights_only=False)["step"]
    train_fusion(config, tiny_corpus, tiny_bundle, tmp_path)
    rows = [json.loads(line) for line in (tmp_path / "log.jsonl").read_text().splitlines()]
    assert first == 1 and torch.load(tmp_path / "last.pt", weights_only=False)["step"] == 4
    assert rows[-1]["step"] == 4 and "d_real" in rows[-1]


def _fusion_training(config, run_dir):
    from training.fusion_train import FusionTraining, PriorSampler
    from training.latent_pairs import LatentPairs

    rng = np.random.default_rng(0)
    pairs = LatentPairs(*(rng.standard_normal((32, 4)).astype(np.float32) for _ in range(3)))
    prior = PriorSampler(np.zeros((1, 4)), np.ones((1, 4)))
    return FusionTraining(config, pairs, pairs, prior, np.ones(4), run_dir)


def test_iterated_fusion_starts_from_a_run_and_feeds_g_its_own_outputs(tmp_path):
    from training.config import FusionConfig

    base = FusionConfig(steps=1, batch_size=8, hidden=16, eval_every=1, discriminator_steps=1, reality_weight=0.0)
    first = _fusion_training(base, tmp_path / "base")
    first.run()
    started = _fusion_training(replace(base, iterated=3, start_from=str(tmp_path / "base" / "last.pt"), seed=1),
                               tmp_path / "iterated")
    for name, weights in first.generator_net.state_dict().items():
        assert torch.equal(started.generator_net.state_dict()[name], weights), name
    with pytest.raises(SystemExit, match="no checkpoint at"):
        _fusion_training(replace(base, start_from=str(tmp_path / "nope.pt")), tmp_path / "nope")
    started.generator_net = lambda left, right, style, strength: (left + 1, right + 2)
    left, right = started._iterated(torch.zeros(400, 4), torch.zeros(400, 4), None, None)
    assert set(left[:, 0].tolist()) == {0, 1, 2, 3}, "each row is fused 0..3 times"
    assert torch.equal(right, 2 * left) and torch.equal(left, left[:, :1].expand(-1, 4))


def test_reality_guided_fusion_trains_through_the_decoder(tmp_path, tiny_bundle, tiny_corpus):
    from training.config import FusionConfig, RealityConfig
    from training.pair_runs import train_fusion

    config = FusionConfig(steps=2, batch_size=8, hidden=16, eval_every=2, discriminator_steps=1, transpositions=1,
                          reality_weight=1.0)
    reality = RealityConfig(steps=2, batch_size=8, channels=8, eval_every=1)
    train_fusion(config, tiny_corpus, tiny_bundle, tmp_path / "fusion", reality_config=reality)
    rows = [json.loads(line) for line in (tmp_path / "fusion" / "log.jsonl").read_text().splitlines()]
    assert (tmp_path / "reality-train" / "best.pt").exists()
    assert rows[-1]["guided"] > 0 and 0.0 < rows[-1]["guide_fused"] < 1.0


def test_key_matched_fusion_fuses_pairs_put_into_one_key(tmp_path, tiny_bundle, tiny_corpus, monkeypatch):
    from training.config import FusionConfig, RealityConfig
    from training.pair_runs import train_fusion
    from training.reality_guide import RealityGuide

    heard = []
    judge = RealityGuide.__call__
    monkeypatch.setattr(RealityGuide, "__call__", lambda self, left, right, keys=None: (
        heard.append((len(left), keys)), judge(self, left, right, keys))[1])
    config = FusionConfig(steps=2, batch_size=8, hidden=16, eval_every=2, discriminator_steps=1, transpositions=1,
                          reality_weight=1.0, in_one_key=32)
    reality = RealityConfig(steps=2, batch_size=8, channels=8, eval_every=1)
    train_fusion(config, tiny_corpus, tiny_bundle, tmp_path / "fusion", reality_config=reality)
    trained = [keys for size, keys in heard if size == 8]
    assert len(trained) == 4 and all(keys is not None and keys[0].shape == keys[1].shape == (8, 12)
                                     for keys in trained)
    assert json.loads((tmp_path / "fusion" / "log.jsonl").read_text().splitlines()[-1])["guided"] > 0


def test_key_matched_pools_hold_each_right_window_in_its_lefts_key(tiny_bundle, tiny_corpus):
    from training.evaluate import BundleBackend, encode_means
    from training.key_matching import shuffled_in_one_key

    backend = BundleBackend(tiny_bundle)
    tokens = tiny_corpus.windows[tiny_corpus.select("train")].astype(np.int64)
    latents = encode_means(backend, tokens)
    pool = shuffled_in_one_key(backend, tokens, latents, 64, np.random.default_rng(0))
    picked = np.random.default_rng(0).integers(0, len(tokens), (2, 64))
    moved = ~np.isclose(pool.right, latents[picked[1]]).all(-1)
    assert np.array_equal(pool.left, latents[picked[0]]) and 0 < moved.sum() < 64
    assert (tonality.key_shifts(pool.keys[1], pool.keys[0]) == 0).all()


def test_reality_guided_continuation_judges_sampled_continuations(tmp_path, tiny_bundle, tiny_corpus):
    from training.config import ContinuationConfig, RealityConfig
    from training.pair_runs import continuation_from_run, train_continuation

    reality = RealityConfig(steps=2, batch_size=8, channels=8, eval_every=1)
    densities = {}
    for weight in (0.0, 5.0):
        config = ContinuationConfig(kind="mixture", steps=3, batch_size=8, hidden=16, components=2, eval_every=3,
                                    transpositions=1,
                                    reality_weight=weight, guided_batch=4)
        train_continuation(config, tiny_corpus, tiny_bundle, tmp_path / f"continuation-{weight}", reality_config=reality)
        densities[weight] = continuation_from_run(tmp_path / f"continuation-{weight}" / "last.pt", 16)
    rows = [json.loads(line) for line in (tmp_path / "continuation-5.0" / "log.jsonl").read_text().splitlines()]
    assert rows[-1]["guided"] > 0 and 0.0 < rows[-1]["guide_sampled"] < 1.0
    unguided, guided = (dict(densities[w].named_parameters()) for w in (0.0, 5.0))
    assert any(not torch.equal(unguided[name], guided[name]) for name in unguided)


def test_straight_through_tokens_are_one_hot_with_softmax_gradients():
    from training.reality_guide import straight_through_tokens

    logits = torch.tensor([[[2.0, 0.5, -1.0]]], requires_grad=True)
    tokens = straight_through_tokens(logits)
    assert tokens.tolist() == [[[1.0, 0.0, 0.0]]]
    (tokens * torch.tensor([0.0, 1.0, 0.0])).sum().backward()
    assert logits.grad[0, 0, 1] > 0 and logits.grad[0, 0, 0] < 0


def test_reality_classifier_training_logs_accuracy(tmp_path, tiny_corpus):
    from training.config import RealityConfig
    from training.pair_runs import train_reality

    train_reality(RealityConfig(steps=2, batch_size=8, channels=8, eval_every=1), tiny_corpus, "eval", tmp_path)
    rows = [json.loads(line) for line in (tmp_path / "log.jsonl").read_text().splitlines()]
    assert 0.0 <= rows[-1]["val_accuracy"] <= 1.0 and (tmp_path / "best.pt").exists()


def test_moved_pitches_transpose_token_distributions_as_in_key_of_moves_tokens():
    from training.reality_guide import moved_pitches

    c_major = [60, 62, 64, 65, 67, 69, 71, 72] * 2
    windows = np.stack([scale_window(c_major), scale_window([p + 3 for p in c_major])])
    references = tonality.pitch_class_profile(windows[:1]).repeat(2, 0)
    moves = tonality.key_transpositions(windows, references)
    one_hot = torch.nn.functional.one_hot(torch.as_tensor(windows), N_TOKENS).float()
    moved = moved_pitches(one_hot, torch.as_tensor(moves))
    assert moves.tolist() == [0, -3]
    assert np.array_equal(moved.argmax(-1).numpy(), tonality.in_key_of(windows, references))
    assert torch.equal(moved.sum(-1), torch.ones(2, WINDOW_STEPS))
    top = np.full(WINDOW_STEPS, pitch_to_token(PITCH_MAX))
    lost = moved_pitches(torch.nn.functional.one_hot(torch.as_tensor(top[None]), N_TOKENS).float(), torch.tensor([1]))
    assert lost.sum() == 0  # moved past the range, not wrapped round


def test_key_agreement_hears_one_key_and_ignores_transposition():
    from training.reality import key_agreement

    def phrase(left_pitches, right_pitches):
        tokens = [PITCH_OFFSET + p - PITCH_MIN for p in left_pitches * 16 + right_pitches * 16]
        return torch.nn.functional.one_hot(torch.tensor([tokens]), N_TOKENS).float()

    c_major, f_sharp_major = [60, 64, 67, 72], [66, 70, 73, 78]
    same, apart = key_agreement(phrase(c_major, c_major)), key_agreement(phrase(c_major, f_sharp_major))
    assert same[0].argmax() == 0 and apart[0].argmax() == 6 and same[0, 0] > apart[0, 0]
    moved = key_agreement(phrase([p + 5 for p in c_major], [p + 5 for p in f_sharp_major]))
    assert torch.allclose(moved, apart)


@pytest.mark.parametrize("architecture", ["conv", "conv-key", "transformer"])
def test_reality_classifier_judges_token_ids_and_one_hot_tokens_alike(architecture):
    from training.reality import build_classifier

    model = build_classifier(architecture, 8, 0.0).eval()
    tokens = torch.randint(0, N_TOKENS, (3, 2 * WINDOW_STEPS))
    one_hot = torch.nn.functional.one_hot(tokens, N_TOKENS).float()
    assert torch.allclose(model(tokens), model(one_hot), atol=1e-5)


def test_a_saved_reality_run_is_used_with_its_own_settings(tmp_path, tiny_corpus):
    from training.config import RealityConfig
    from training.pair_runs import reality_classifier, train_reality
    from training.reality import RealityClassifier

    older = RealityConfig(steps=2, batch_size=8, channels=8, eval_every=1, architecture="conv")
    train_reality(older, tiny_corpus, "eval", tmp_path / "reality-eval")
    model = reality_classifier(tiny_corpus, "eval", tmp_path)
    assert isinstance(model, RealityClassifier) and model.key is None


# -- engine ------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def engine(tiny_pair_bundle):
    return Engine(tiny_pair_bundle)


def test_fuse_joins_both_clips_and_keeps_their_lengths(engine):
    fusion = engine.fuse(melody(), melody(pitch0=66), style=[0.2, 0.9], iterations=3, keep_iterations=True)
    assert fusion.clip.length == 32.0 and fusion.left.length == fusion.right.length == 16.0
    assert len(fusion.iterations) == 3 and fusion.iterations[-1] == fusion.clip
    assert all(n.start_time >= 16.0 for n in fusion.clip.notes[len(fusion.left.notes):])
    again = engine.fuse(melody(), melody(pitch0=66), style=[0.2, 0.9], iterations=3)
    assert again.clip == fusion.clip and again.iterations == []


def test_continuation_has_the_asked_bars_variations_and_determinism(engine):
    first = engine.continuation(melody(), bars=8, variations=3, temperature=1.0, seed=4)
    assert len(first.clips) == 3 and all(c.length == 32.0 for c in first.clips)
    assert first.clips == engine.continuation(melody(), bars=8, variations=3, temperature=1.0, seed=4).clips
    assert all(n.velocity == 70 for c in first.clips for n in c.notes)
    assert engine.continuation(melody(), bars=2).clips[0].length == 8.0


def test_interpolating_all_the_way_lands_on_the_target(engine):
    toward = engine.continuation(melody(), temperature=0.0, interpolate_to=melody(pitch0=70), alpha=1.0,
                                 keep_key=False).clips[0]
    assert toward.notes == engine.decode(engine.encode(melody(pitch0=70))[0], velocity=70).notes


def tune(tonic=60, length=16.0):
    """A major-key melody: scale degrees that dwell on the tonic triad."""
    degrees = [0, 4, 7, 4, 5, 4, 2, 0, 7, 9, 7, 5, 4, 2, 4, 0]
    notes = [{"pitch": tonic + degrees[i % len(degrees)], "start_time": i * 0.5, "duration": 0.5, "velocity": 70}
             for i in range(int(length * 2))]
    return parse_clip({"length": length, "notes": notes})


def key_shift_to(clip, reference) -> int:
    """The shift that would put ``clip`` in ``reference``'s key (0: already there)."""
    profile = tonality.pitch_class_profile
    return int(tonality.key_shifts(profile(clip_tokens(clip)), profile(clip_tokens(reference)))[0])


def clip_tokens(clip):
    return grid.prepare(clip, []).tokens.reshape(1, -1)


def test_with_keep_key_the_target_is_first_moved_into_the_inputs_key(engine):
    def toward(target):
        return engine.continuation(tune(), temperature=0.0, interpolate_to=target, alpha=1.0).clips[0].notes

    assert toward(tune(tonic=63)) == toward(tune(tonic=60))  # E flat major moved down to the input's C


def test_fusion_and_continuations_keep_the_first_clips_key(engine):
    left, right = tune(), tune(tonic=66)  # C major, then F sharp major: as far apart as keys go
    assert key_shift_to(right, left) != 0
    for keep in (True, False):
        fused = engine.fuse(left, right, style=[0.2, 0.9], similarity=0.1, keep_key=keep)
        shifts = [key_shift_to(part, left) for part in (fused.left, fused.right)]
        assert (shifts == [0, 0]) == keep, shifts
    for clip in engine.continuation(left, bars=8, variations=4, seed=3).clips:
        assert key_shift_to(clip, left) == 0


def test_fuse_with_feeds_each_step_and_the_target_to_the_generator(engine, monkeypatch):
    calls = []
    original = engine.model.fuse

    def spy(left, right, style, similarity):
        calls.append((left.copy(), right.copy(), style.copy()))
        return original(left, right, style, similarity)

    monkeypatch.setattr(engine.model, "fuse", spy)
    target = melody(32.0, pitch0=62)  # no key (all 12 pitch classes) and the input's register: not moved
    engine.continuation(melody(), bars=12, variations=2, fuse_with=target, style=[1.0, 0.0], method="generator")
    z_target = engine.encode(target)[0]
    assert len(calls) == 3  # 12 bars = 3 steps of 4; the target's 2 segments cycle
    for step, (_, right, style) in enumerate(calls):
        assert np.allclose(right, z_target[step % 2]) and np.allclose(style, [[1.0, 0.0]] * 2)
    assert np.allclose(calls[0][0], engine.encode(melody())[0][-1])


def test_faders_shape_every_step(engine, monkeypatch):
    seen = []
    original = engine.set_faders
    monkeypatch.setattr(engine, "set_faders", lambda z, values: seen.append(dict(values)) or original(z, values))
    engine.continuation(melody(), bars=8, faders={"register": 1.0})
    assert seen == [{"register": 1.0}] * 2


@pytest.mark.parametrize("call, error, message", [
    (lambda e: e.fuse(melody(), melody(), iterations=0), LimitError, "iterations must be 1..8"),
    (lambda e: e.fuse(melody(), melody(), style=[0.5]), ClipError, "style must be two numbers in 0..1"),
    (lambda e: e.fuse(melody(), melody(), similarity=1e6), ClipError, "similarity must be a number in"),
    (lambda e: e.continuation(melody(), bars=65), LimitError, "bars must be 1..64"),
    (lambda e: e.continuation(melody(), variations=17), LimitError, "variations must be 1..16"),
    (lambda e: e.continuation(melody(), alpha=2), ClipError, "alpha must be in 0..1"),
])
def test_bad_phrase_requests_fail_clearly(engine, call, error, message):
    with pytest.raises(error, match=message):
        call(engine)


def test_a_bundle_without_pair_models_says_so(tiny_bundle):
    plain = Engine(tiny_bundle)
    with pytest.raises(ClipError, match="has no fusion model"):
        plain.fuse(melody(), melody())
    with pytest.raises(ClipError, match="has no continuation model"):
        plain.continuation(melody())


def test_pair_evaluation_writes_its_report(tiny_pair_bundle, tiny_corpus, tmp_path, monkeypatch):
    from training import fusion_eval
    from training.evaluate import BundleBackend
    from training.export_pairs import torch_pair_models_from_bundle
    from training.pair_runs import prior_of

    monkeypatch.setattr(fusion_eval, "INPUTS", 16)
    monkeypatch.setattr(fusion_eval, "LP_SIGMAS", (0.1,))
    monkeypatch.setattr(fusion_eval, "LP_STEPS", 3)
    monkeypatch.setattr(fusion_eval, "LP_RECORD", (1, 3))
    backend = BundleBackend(tiny_pair_bundle)
    reality = lambda phrases: np.full(len(phrases), 0.5)  # noqa: E731
    from training.pair_runs import TorchPairModels

    compare = {"one-strength": (TorchPairModels.from_runs(tiny_pair_bundle.parent / "runs" / "fusion" / "last.pt",
                                          backend.model.latent_size), (2.0,))}
    shipped_twin = {"same-density": TorchPairModels(None, torch_pair_models_from_bundle(tiny_pair_bundle)["continuation"])}
    judged = []
    judge = lambda phrases: judged.append(len(phrases)) or np.random.default_rng(len(judged)).random(len(phrases))  # noqa: E731
    results = fusion_eval.evaluate_pairs(backend, backend.model, reality, reality, tiny_corpus, prior_of(tiny_pair_bundle),
                                         backend.model.bundle.latent_std, tmp_path, compare=compare,
                                         compare_continuation=shipped_twin, iterations=2, pick_of=(3,),
                                         judges={"judge": judge, "float judge": reality},
                                         flows={"flow": fusion_eval.FlowFusion(backend.model)})
    assert set(results["fusion_test"]) == {"ours", "compare free key", "compare one-strength", "compare picked of 3",
                                           "compare picked of 3, float judge", "compare flow", "compare flow picked of 3",
                                           "latent_perturb", "versus", "versus one-strength", "versus picked of 3",
                                           "versus picked of 3, float judge", "versus flow", "versus flow picked of 3"}
    assert judged, "the engine's judge picks the 'picked of K' rows"
    assert {c["model"] for c in results["fusion_test"]["versus one-strength"]["comparisons"]} <= {"lambda=2"}
    assert list(results["fusion_test"]["compare one-strength"]) == ["before", "lambda=2"]
    for name in ("fusion_test", "fusion_prior"):  # a compared generator's strengths leave ours alone
        assert list(results[name]["ours"]) == ["before", *(f"lambda={s:g}" for s in fusion_eval.SIMILARITIES)]
    assert len(results["fusion_test"]["ours"]["lambda=1"]) == len(results["fusion_test"]["compare picked of 3"]["lambda=1"]) == 2
    assert set(results["continuation"]) == {"temperature=0", "temperature=0.5", "temperature=1"}
    assert set(results["continuation free key"]) == set(results["continuation"])
    for temperature, scores in results["continuation"].items():  # same inputs and noise: the same model scores alike
        twin = results["continuation same-density"][temperature]
        assert all(abs(scores[k] - twin[k]) < 1e-3 for k in scores), temperature
    for name in ("pairs.json", "fusion_vs_latent_perturb.png", "fusion_iterations.png", "continuations.png",
                 "fusion_methods.png"):
        assert (tmp_path / name).exists()


def test_eager_pair_models_rebuilt_from_the_bundle_match_onnx(tiny_pair_bundle):
    from engine.bundle import load_bundle
    from engine.latent import LatentModel
    from training.export_pairs import torch_pair_models_from_bundle

    models = torch_pair_models_from_bundle(tiny_pair_bundle)
    latent = LatentModel(load_bundle(tiny_pair_bundle))
    rng = np.random.default_rng(0)
    left, right = (rng.standard_normal((5, latent.latent_size)).astype(np.float32) for _ in range(2))
    style, strength = rng.random((5, 2)).astype(np.float32), np.full((5, 1), 1.0, np.float32)
    with torch.no_grad():
        eager = models["fusion"](*map(torch.from_numpy, (left, right, style, strength)))
        continued = models["continuation"](torch.from_numpy(left), torch.from_numpy(right))
    for a, b in zip(eager, latent.fuse(left, right, style, strength)):
        assert np.allclose(a.numpy(), b, atol=1e-4)
    assert latent.continuation_kind == "flow"
    assert np.allclose(continued.numpy(), latent.continuation_flow(left, right), atol=1e-4)


def test_a_mixture_continuation_still_exports_and_samples(tiny_pair_bundle, tiny_corpus, tmp_path):
    from engine.bundle import load_bundle
    from engine.latent import LatentModel, sample_continuation
    from training.config import ContinuationConfig
    from training.export_pairs import export_pairs
    from training.pair_runs import continuation_from_run, train_continuation

    bundle = tmp_path / "mixture"
    shutil.copytree(tiny_pair_bundle, bundle)
    train_continuation(ContinuationConfig(kind="mixture", steps=2, batch_size=16, hidden=32, components=3,
                                          eval_every=2, transpositions=1), tiny_corpus, bundle, tmp_path / "run")
    manifest = export_pairs(bundle, None, tmp_path / "run" / "best.pt")
    assert manifest["continuation"]["kind"] == "mixture" and manifest["continuation"]["components"] == 3
    latent = LatentModel(load_bundle(bundle))
    left = np.random.default_rng(0).standard_normal((3, latent.latent_size)).astype(np.float32)
    with torch.no_grad():
        log_weights, means, _ = continuation_from_run(tmp_path / "run" / "best.pt", latent.latent_size)(
            torch.from_numpy(left))
    likeliest = means.numpy()[np.arange(3), log_weights.numpy().argmax(-1)]
    assert np.allclose(sample_continuation(latent, left, 0.0, np.random.default_rng(0)), likeliest, atol=1e-3)


def test_flow_continuation_follows_its_temperature(tiny_pair_bundle):
    from engine.bundle import load_bundle
    from engine.latent import LatentModel, sample_continuation

    latent = LatentModel(load_bundle(tiny_pair_bundle))
    left = np.random.default_rng(0).standard_normal((4, latent.latent_size)).astype(np.float32)
    central = [sample_continuation(latent, left, 0.0, np.random.default_rng(seed)) for seed in (1, 2)]
    assert np.array_equal(central[0], latent.continuation_flow(left, np.zeros_like(left)))
    assert np.array_equal(central[0], central[1])  # temperature 0: no noise, the same continuation
    hot = [sample_continuation(latent, left, 1.0, np.random.default_rng(seed)) for seed in (1, 2)]
    assert not np.allclose(hot[0], hot[1]) and not np.allclose(hot[0], central[0])


def test_key_kept_fusion_inputs_move_only_right_windows_in_another_key(tiny_pair_bundle):
    from training.evaluate import BundleBackend, encode_means
    from training.key_matching import in_one_key

    backend = BundleBackend(tiny_pair_bundle)
    c_major = [60, 62, 64, 65, 67, 69, 71, 72] * 2
    left = np.stack([scale_window(c_major)] * 2)
    right = np.stack([scale_window(c_major), scale_window([p + 3 for p in c_major])])
    z_left, z_right = encode_means(backend, left), encode_means(backend, right)
    kept = in_one_key(backend, left, right, z_left, z_right)
    assert np.array_equal(kept.right[0], z_right[0])  # already in C: untouched
    assert np.allclose(kept.right[1], encode_means(backend, left[1:])[0], atol=1e-5)  # E flat moved to C
    assert np.array_equal(kept.keys[1][1], kept.keys[0][1])


def test_latent_perturb_searches_and_scores_phrases_held_in_their_inputs_keys(monkeypatch):
    from training import fusion_eval
    from training.key_matching import FusionInputs

    keys = (np.ones((3, 12)), np.ones((3, 12)))
    held = []
    monkeypatch.setattr(fusion_eval, "phrases", lambda backend, left, right, keys=None: (
        held.append(keys), np.zeros((len(left), 2 * WINDOW_STEPS), dtype=np.int64))[1])
    scorer = type("Scorer", (), {"score": lambda self, decoded, moved=None, original=None: {"reality": 0.0}})()
    inputs = FusionInputs(np.zeros((3, 4), np.float32), np.zeros((3, 4), np.float32), keys)
    fusion_eval.latent_perturb(None, lambda decoded: np.random.default_rng(len(held)).random(len(decoded)), scorer,
                               inputs, np.random.default_rng(0))
    assert len(held) == len(fusion_eval.LP_SIGMAS) * (1 + fusion_eval.LP_STEPS + len(fusion_eval.LP_RECORD))
    assert all(k is keys for k in held)


def test_picking_keeps_each_pairs_candidate_the_search_finds_most_real(monkeypatch):
    from training import fusion_eval

    # A phrase's first token is its left latent's first value; the search likes it high on even
    # pairs and low on odd ones, so no candidate wins every row.
    monkeypatch.setattr(fusion_eval, "phrases", lambda backend, left, right, keys=None: left[:, :1].astype(np.int64))
    search = lambda decoded: decoded[:, 0] * np.array([1, -1, 1, -1])  # noqa: E731
    candidates = [(np.full((4, 2), value, np.float32), np.full((4, 2), -value, np.float32)) for value in (1, 5, 3)]
    left, right = fusion_eval.most_real(None, search, candidates, None)
    assert left[:, 0].tolist() == [5, 1, 5, 1] and right[:, 1].tolist() == [-5, -1, -5, -1]


def test_copied_fraction_counts_training_windows_played_back(tiny_corpus):
    from training.fusion_eval import copied_fraction, training_windows

    training = training_windows(tiny_corpus)
    seen = tiny_corpus.windows[tiny_corpus.select("train")[:4]].astype(np.int64)
    silence = np.zeros((1, WINDOW_STEPS), dtype=np.int64)  # the corpus keeps no window with a bar of rest
    assert copied_fraction(seen, training) == 1.0
    assert copied_fraction(np.concatenate([seen[:1], silence]), training) == 0.5


def test_flow_steps_are_set_at_export_and_kept_on_reexport(tiny_pair_bundle, tmp_path):
    from training.export_pairs import export_pairs, torch_pair_models_from_bundle

    bundle = tmp_path / "steps"
    shutil.copytree(tiny_pair_bundle, bundle)
    assert export_pairs(bundle, None, None, flow_steps=2)["continuation"]["steps"] == 2
    assert torch_pair_models_from_bundle(bundle)["continuation"].steps == 2
    assert export_pairs(bundle, None, None)["continuation"]["steps"] == 2  # kept as shipped
    with pytest.raises(SystemExit, match="flow steps must be at least 1, got 0"):
        export_pairs(bundle, None, None, flow_steps=0)


def test_guidance_is_set_at_export_kept_on_reexport_and_played_by_the_engine(tiny_pair_bundle, tmp_path):
    from training.export_pairs import export_pairs, torch_pair_models_from_bundle

    bundle = tmp_path / "guided"
    shutil.copytree(tiny_pair_bundle, bundle)
    left = np.random.default_rng(0).standard_normal((3, Engine(bundle).model.latent_size)).astype(np.float32)
    noise = np.ones_like(left)
    plain = Engine(bundle).model.continuation_flow(left, noise)
    assert export_pairs(bundle, None, None, guidance=2.0)["continuation"]["guidance"] == 2.0
    assert torch_pair_models_from_bundle(bundle)["continuation"].guidance == 2.0
    assert export_pairs(bundle, None, None)["continuation"]["guidance"] == 2.0  # kept as shipped
    assert not np.allclose(Engine(bundle).model.continuation_flow(left, noise), plain, atol=1e-3)
    with pytest.raises(SystemExit, match="guidance must be between 0 and 10, got -1"):
        export_pairs(bundle, None, None, guidance=-1.0)


def test_guidance_is_refused_for_a_flow_that_never_learned_without_its_condition(tiny_pair_bundle, tiny_corpus,
                                                                                 tmp_path):
    from training.config import ContinuationConfig
    from training.export_pairs import export_pairs
    from training.pair_runs import train_continuation

    bundle = tmp_path / "unguidable"
    shutil.copytree(tiny_pair_bundle, bundle)
    train_continuation(ContinuationConfig(steps=2, batch_size=8, hidden=16, eval_every=1, transpositions=1),
                       tiny_corpus, bundle, tmp_path / "plain")
    before = (bundle / "manifest.json").read_text()
    with pytest.raises(SystemExit, match="--condition-dropout"):
        export_pairs(bundle, None, tmp_path / "plain" / "best.pt", guidance=2.0)
    assert (bundle / "manifest.json").read_text() == before


def test_guided_flow_mixes_the_conditional_and_the_free_velocity():
    from training.pair_models import ContinuationFlow

    flow = ContinuationFlow(4, hidden=8, layers=1, dropout=0.0, steps=1, guidance=3.0).eval()
    left, noise = torch.randn(2, 4), torch.randn(2, 4)
    condition = (left - flow.center) / flow.scale

    def guided(x, t):
        conditional, free = flow.velocity(x, t, condition), flow.velocity(x, t, torch.zeros_like(condition))
        return free + 3.0 * (conditional - free)

    t0 = torch.zeros(2, 1)
    expected = noise + guided(noise + 0.5 * guided(noise, t0), t0 + 0.5)
    with torch.no_grad():
        assert torch.allclose(flow(left, noise), expected, atol=1e-5)


def test_guided_twins_sample_the_shipped_flow_at_other_scales(tiny_pair_bundle):
    from training.pair_runs import guided_twins

    twins = guided_twins(tiny_pair_bundle, [1.0, 2.5])
    assert list(twins) == ["guidance=1", "guidance=2.5"]
    left = np.random.default_rng(0).standard_normal((2, Engine(tiny_pair_bundle).model.latent_size)).astype(np.float32)
    noise = np.ones_like(left)
    shipped = Engine(tiny_pair_bundle).model.continuation_flow(left, noise)
    assert np.allclose(twins["guidance=1"].continuation_flow(left, noise), shipped, atol=1e-3)
    assert not np.allclose(twins["guidance=2.5"].continuation_flow(left, noise), shipped, atol=1e-3)


@pytest.mark.parametrize("value", ["1", "-0.1", "1.5"])
def test_condition_dropout_outside_zero_to_one_is_refused_with_one_message(value, capsys):
    from training.cli import main

    with pytest.raises(SystemExit) as exited:
        main(["continuation", "--condition-dropout", value])
    assert exited.value.code == 2
    assert f"must be at least 0 and below 1, got {value}" in capsys.readouterr().err


@pytest.mark.parametrize("arguments, message", [
    (["fusion", "--in-one-key", "-1"], "must be 0 or more, got -1"),
    (["fusion", "--in-one-key", "many"], "invalid whole number value"),
    (["evaluate", "--iterations", "0"], "must be 1 or more, got 0")])
def test_a_count_out_of_range_is_refused_with_one_message(arguments, message, capsys):
    from training.cli import main

    with pytest.raises(SystemExit) as exited:
        main(arguments)
    assert exited.value.code == 2
    assert message in capsys.readouterr().err


@pytest.mark.parametrize("dropout, hears_left", [(0.0, True), (1.0, False)])
def test_condition_dropout_trains_without_the_left_latent(dropout, hears_left):
    from training.pair_models import ContinuationFlow

    flow = ContinuationFlow(4, hidden=8, layers=1, dropout=0.0, condition_dropout=dropout).train()
    left, right = torch.randn(8, 4), torch.randn(8, 4)
    losses = [flow.flow_matching_loss(x, right, torch.Generator().manual_seed(0)) for x in (left, left + 5.0)]
    assert (not torch.allclose(*losses)) == hears_left


def test_into_key_places_a_clip_in_the_references_key_and_register():
    from engine.phrases import into_key

    reference = clip_tokens(tune(tonic=60))
    high_in_a = clip_tokens(tune(tonic=69 + 12))  # A major, an octave and a sixth above
    moved = into_key(high_in_a.reshape(-1, WINDOW_STEPS), reference.reshape(-1, WINDOW_STEPS),
                     tonality.pitch_class_profile(reference)).reshape(1, -1)
    assert np.array_equal(moved, reference)
