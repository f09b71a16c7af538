"""FusionGAN in latent space on the tiny bundle: training resumes, the losses are the paper's,
export adds one generator per pair of genres with parity, and generate blends through it."""
import json
import shutil
from dataclasses import replace

import numpy as np
import pytest
import torch

from engine import Engine
from engine.bundle import BundleError, load_bundle
from tests.latent_runs import trained_and_exported
from training.config import GenreFusionConfig

CONFIG = GenreFusionConfig(steps=4, critic_steps=2, batch_size=16, hidden=32, layers=3, eval_every=2, transpositions=1,
                           blend_conditioned=False)
CRITICS_ONLY = replace(CONFIG, dd_weight=0.0, npd_weight=0.0, nd_weight=0.0, radius_weight=0.0)


@pytest.fixture(scope="module")
def fused_bundle(tmp_path_factory, tiny_bundle, tiny_corpus):
    from training.genre_fusion_runs import export_genre_fusion, train_genre_fusion

    return trained_and_exported(tmp_path_factory.mktemp("genre-fusion"), tiny_bundle, tiny_corpus, CONFIG, train_genre_fusion,
                                export_genre_fusion, "tiny-fused")


@pytest.fixture(scope="module")
def blend_bundle(tmp_path_factory, tiny_bundle, tiny_corpus):
    from training.genre_fusion_runs import export_genre_fusion, train_genre_fusion

    return trained_and_exported(tmp_path_factory.mktemp("genre-blend"), tiny_bundle, tiny_corpus,
                                replace(CONFIG, blend_conditioned=True), train_genre_fusion, export_genre_fusion,
                                "tiny-blend")


def test_training_resumes_and_logs_where_the_fused_samples_sit(fused_bundle):
    _, root = fused_bundle
    rows = [json.loads(line) for line in (root / "run" / "log.jsonl").read_text().splitlines()]
    assert rows[-1]["step"] == 4 and 0 <= rows[-1]["position"] <= 1 and "critics" in rows[-1]
    distances = [f"{name}_to_target" for name in ("dd", "npd", "nd")]
    assert {"dd_gap", "npd_gap", "nd_gap", *distances} <= set(rows[-1]), "decoded histograms are logged"
    assert rows[-1]["score"] == pytest.approx(-sum(rows[-1][name] for name in distances))


def test_export_adds_the_generator_with_parity(fused_bundle):
    bundle, _ = fused_bundle
    manifest = json.loads((bundle / "manifest.json").read_text())
    assert manifest["genre_fusion_folk_celtic"]["genres"] == ["folk", "celtic"]
    assert manifest["files"]["genre_fusion_folk_celtic"]["path"] == "genre_fusion_folk_celtic.onnx"
    assert manifest["parity"]["genre_fusion_folk_celtic_max_abs_error"] <= 1e-4
    engine = Engine(bundle)
    assert engine.model.has("genre_fusion_folk_celtic")
    assert engine.bundle.genre_fusion({"celtic", "folk"}).role == "genre_fusion_folk_celtic"
    assert engine.bundle.genre_fusion({"folk", "chorale"}) is None
    assert engine.info()["genre_fusion"] == [["folk", "celtic"]]


def test_generate_blends_the_two_fused_genres_through_the_generator(fused_bundle):
    bundle, _ = fused_bundle
    engine = Engine(bundle)
    even = engine.generate(variations=3, seed=5, genre={"folk": 1, "celtic": 1})
    assert len(even.clips) == 3
    rng = np.random.default_rng(5)
    noise = rng.standard_normal((3, CONFIG.noise_size)).astype(np.float32)
    from engine import grid
    fusion = engine.bundle.genre_fusion({"folk", "celtic"})
    expected = grid.to_clips(engine.model.decode(engine.model.fused_genres(fusion, noise)), 16.0, [0] * 3, [()] * 3, 100)
    assert even.clips == expected
    assert engine.generate(variations=3, seed=5, genre={"celtic": 2, "folk": 2}).clips == even.clips
    leaning = engine.generate(variations=3, seed=5, genre={"folk": 3, "celtic": 1})
    assert len(leaning.clips) == 3 and leaning.clips != even.clips


def test_a_blend_conditioned_generator_trains_over_shares_and_generate_feeds_it_the_weights(blend_bundle):
    bundle, root = blend_bundle
    rows = [json.loads(line) for line in (root / "run" / "log.jsonl").read_text().splitlines()]
    assert len({row["share"] for row in rows if "share" in row}) > 1, "each step draws its own share"
    assert {"position_25", "position_50", "position_75"} <= set(rows[-1])
    manifest = json.loads((bundle / "manifest.json").read_text())
    assert manifest["genre_fusion_folk_celtic"]["blend_conditioned"] is True
    assert manifest["parity"]["genre_fusion_folk_celtic_max_abs_error"] <= 1e-4
    engine = Engine(bundle)
    noise = np.random.default_rng(5).standard_normal((3, CONFIG.noise_size)).astype(np.float32)
    from engine import grid
    fusion = engine.bundle.genre_fusion({"folk", "celtic"})
    quarter = engine.model.fused_genres(fusion, noise, 0.25)
    assert not np.allclose(quarter, engine.model.fused_genres(fusion, noise, 0.75)), "the share reaches the generator"
    expected = grid.to_clips(engine.model.decode(quarter), 16.0, [0] * 3, [()] * 3, 100)
    assert engine.generate(variations=3, seed=5, genre={"folk": 3, "celtic": 1}).clips == expected


@pytest.fixture(scope="module")
def two_pair_bundle(tmp_path_factory, blend_bundle, tiny_corpus):
    """The blend bundle with a folk-chorale generator exported beside its folk-celtic one."""
    from training.genre_fusion_runs import export_genre_fusion, train_genre_fusion

    root = tmp_path_factory.mktemp("genre-pairs")
    bundle = root / "tiny-two-pairs"
    shutil.copytree(blend_bundle[0], bundle)
    config = replace(CONFIG, genres=("folk", "chorale"), blend_conditioned=True)
    train_genre_fusion(config, tiny_corpus, bundle, root / "run")
    export_genre_fusion(bundle, root / "run" / "last.pt")
    return bundle, root


def test_each_pair_of_genres_blends_through_its_own_generator(two_pair_bundle, blend_bundle, capsys):
    bundle, _ = two_pair_bundle
    manifest = json.loads((bundle / "manifest.json").read_text())
    unchanged = json.loads((blend_bundle[0] / "manifest.json").read_text())
    assert manifest["files"]["genre_fusion_folk_celtic"] == unchanged["files"]["genre_fusion_folk_celtic"]
    assert manifest["parity"]["genre_fusion_folk_chorale_max_abs_error"] <= 1e-4
    engine = Engine(bundle)
    assert engine.info()["genre_fusion"] == [["folk", "celtic"], ["folk", "chorale"]]
    fusion = engine.bundle.genre_fusion({"chorale", "folk"})
    assert fusion.role == "genre_fusion_folk_chorale"
    noise = np.random.default_rng(5).standard_normal((3, CONFIG.noise_size)).astype(np.float32)
    from engine import grid
    expected = grid.to_clips(engine.model.decode(engine.model.fused_genres(fusion, noise, 0.25)), 16.0, [0] * 3,
                             [()] * 3, 100)
    assert engine.generate(variations=3, seed=5, genre={"folk": 3, "chorale": 1}).clips == expected
    celtic = engine.bundle.genre_fusion({"folk", "celtic"})
    assert not np.allclose(engine.model.fused_genres(celtic, noise, 0.25), engine.model.fused_genres(fusion, noise, 0.25))
    from engine import latent_tools
    prior = latent_tools.sample_prior_blend(engine, {"celtic": 0.5, "chorale": 0.5}, 3, 1.0, np.random.default_rng(5))
    through = latent_tools.sample_genres(engine, {"celtic": 0.5, "chorale": 0.5}, 3, 1.0, np.random.default_rng(5))
    assert np.array_equal(prior, through), "a pair without a generator mixes the priors"
    from bridge.cli import main
    assert main(["info", "--bundle", str(bundle)]) == 0
    assert "blends   folk+celtic, folk+chorale through FusionGAN generators" in capsys.readouterr().out


def test_a_bundle_from_before_one_generator_per_pair_loads_and_a_new_export_replaces_its_generator(
        two_pair_bundle, tmp_path):
    from training.genre_fusion_runs import export_genre_fusion

    bundle = tmp_path / "legacy"
    shutil.copytree(two_pair_bundle[0], bundle)
    manifest = json.loads((bundle / "manifest.json").read_text())
    (bundle / "genre_fusion_folk_chorale.onnx").rename(bundle / "genre_fusion.onnx")
    manifest["files"]["genre_fusion"] = {**manifest["files"].pop("genre_fusion_folk_chorale"), "path": "genre_fusion.onnx"}
    manifest["genre_fusion"] = manifest.pop("genre_fusion_folk_chorale")
    (bundle / "manifest.json").write_text(json.dumps(manifest))
    assert load_bundle(bundle).genre_fusion({"folk", "chorale"}).role == "genre_fusion"
    assert len(Engine(bundle).generate(variations=2, seed=1, genre={"folk": 1, "chorale": 1}).clips) == 2
    role, manifest = export_genre_fusion(bundle, two_pair_bundle[1] / "run" / "last.pt")
    assert role == "genre_fusion_folk_chorale" and "genre_fusion" not in manifest["files"]
    assert "genre_fusion" not in manifest and "genre_fusion_max_abs_error" not in manifest["parity"]
    assert not (bundle / "genre_fusion.onnx").exists()
    assert [f.role for f in load_bundle(bundle).genre_fusions] == ["genre_fusion_folk_celtic", "genre_fusion_folk_chorale"]


@pytest.mark.parametrize("change, message", [
    (lambda m: m["genre_fusion_folk_chorale"].update(genres=["folk", "jazz"]), "not two of the bundle's genres"),
    (lambda m: m["genre_fusion_folk_chorale"].update(genres=["celtic", "folk"]), "fuse the same genres"),
    (lambda m: m.pop("genre_fusion_folk_chorale"), "no genre_fusion_folk_chorale section"),
])
def test_a_bundle_with_a_malformed_genre_fusion_is_refused(two_pair_bundle, tmp_path, change, message):
    bundle = tmp_path / "broken"
    shutil.copytree(two_pair_bundle[0], bundle)
    manifest = json.loads((bundle / "manifest.json").read_text())
    change(manifest)
    (bundle / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(BundleError, match=message):
        load_bundle(bundle)


def test_genre_pair_evaluation_reports_table_one_and_blends_for_each_other_pair(two_pair_bundle, tiny_corpus,
                                                                              monkeypatch, tmp_path):
    from training import genre_eval

    bundle, root = two_pair_bundle
    monkeypatch.setattr(genre_eval, "SAMPLES", 32)
    results = genre_eval.evaluate_genre_pairs(Engine(bundle), tiny_corpus, tmp_path, root, mle_steps=2)
    assert list(results) == ["folk_chorale"]
    table = results["folk_chorale"]["table_one"]
    assert table["domains"] == ["folk", "chorale"] and "FusionGAN (ours)" in table["systems"]
    assert results["folk_chorale"]["blends"]["domains"] == ["folk", "chorale"]
    for name in ("genre_pairs.json", "genre_fusion_folk_chorale.png", "genre_blends_folk_chorale.png"):
        assert (tmp_path / name).exists()


def test_runs_from_before_blend_conditioning_load_unconditioned():
    settings = {k: v for k, v in GenreFusionConfig().to_dict().items() if k != "blend_conditioned"}
    assert GenreFusionConfig().blend_conditioned and not GenreFusionConfig.from_dict(settings).blend_conditioned
    assert GenreFusionConfig.from_dict(GenreFusionConfig().to_dict()) == GenreFusionConfig()


def test_at_an_even_blend_the_conditioned_losses_are_the_papers(tiny_bundle):
    from training.genre_fusion import GenreFusionTraining

    rng = np.random.default_rng(0)
    a, b = rng.normal(1, 1, (64, 8)).astype(np.float32), rng.normal(-1, 1, (64, 8)).astype(np.float32)
    prior = (np.zeros(8, np.float32), np.ones(8, np.float32))
    runs = [GenreFusionTraining(replace(CRITICS_ONLY, blend_conditioned=conditioned), a, b, prior, prior,
                                tiny_bundle.parent / f"unused-{conditioned}") for conditioned in (False, True)]
    runs[1].critics.load_state_dict(runs[0].critics.state_dict())
    fused = torch.randn(CRITICS_ONLY.batch_size, 8, generator=torch.Generator().manual_seed(1))
    losses = []
    for run in runs:
        run.fused = lambda noise, share: fused  # the same G_F batch for both: only the weighting differs
        run.rng.manual_seed(0)
        losses.append(run.critic_loss().item())
    assert losses[0] == pytest.approx(losses[1], rel=1e-5)  # same critics, same batches, share 1/2
    runs[1].share = 0.9
    runs[1].rng.manual_seed(0)
    assert runs[1].critic_loss().item() != pytest.approx(losses[0], rel=1e-5)


def test_the_critic_loss_has_the_balance_terms(tiny_bundle):
    from training.genre_fusion import GenreFusionTraining

    rng = np.random.default_rng(0)
    a, b = rng.normal(1, 1, (64, 8)).astype(np.float32), rng.normal(-1, 1, (64, 8)).astype(np.float32)
    prior = (np.zeros(8, np.float32), np.ones(8, np.float32))
    run = GenreFusionTraining(CRITICS_ONLY, a, b, prior, prior, tiny_bundle.parent / "unused-run")
    balanced = run.critic_loss().item()
    heavier = GenreFusionTraining(replace(CRITICS_ONLY, balance_weight=100.0),
                                  a, b, prior, prior, tiny_bundle.parent / "unused-run-2")
    heavier.critics.load_state_dict(run.critics.state_dict())
    heavier.g_f.load_state_dict(run.g_f.state_dict())
    heavier.rng.manual_seed(0)
    run.rng.manual_seed(0)
    assert heavier.critic_loss().item() > run.critic_loss().item()
    assert np.isfinite(balanced)


def test_genre_evaluation_reports_table_one_and_the_tool_targets(fused_bundle, tiny_corpus, monkeypatch, tmp_path):
    from training import genre_eval

    bundle, root = fused_bundle
    monkeypatch.setattr(genre_eval, "SAMPLES", 32)
    monkeypatch.setattr(genre_eval, "OPTIMIZE_RUNS", 3)
    results = genre_eval.evaluate_genres(Engine(bundle), tiny_corpus, tmp_path, root, mle_steps=2)
    systems = results["table_one"]["systems"]
    assert set(systems) == {"real 50/50 mixture", "RM", "MC", "MLE", "prior blend", "FusionGAN (ours)"}
    row = systems["FusionGAN (ours)"]["row"]["dd_euclidean"]
    assert row["ratio"] == pytest.approx((row["d_af"] + row["d_bf"]) / row["d_ab"])
    assert 0 <= row["position"] <= 1
    spread = systems["FusionGAN (ours)"]["over_draws"]["npd_euclidean"]
    assert spread["draws"] == genre_eval.DRAWS and spread["ratio_std"] > 0 and spread["ratio_mean"] >= 1
    mixture = results["table_one"]["systems"]["real 50/50 mixture"]["notes_per_window"]
    assert 0 < mixture["mean"] <= 64 and mixture["std"] > 0
    assert set(results["table_one"]["reference_notes_per_window"]) == {"folk", "celtic"}
    assert set(results["nearer_own_domain"]) == {"folk", "celtic", "chorale"}
    assert results["nearer_own_domain"]["folk"]["notes_per_window"]["mean"] > 0
    assert results["restyle_to_chorale"]["mean_note_steps_after"] > 0
    assert 0 <= results["optimize_first_pitch"]["hit_rate"] <= 1
    off_data = results["off_data_decoding"]
    assert list(off_data["folk"]) == [f"noise={share:g}" for share in genre_eval.OFF_DATA_STEPS]
    assert any(rows["noise=0"] != rows["noise=1"] for rows in off_data.values())  # the noise reaches the decoder
    blends = results["blends"]
    assert blends["second_share"][0] == 0 and blends["second_share"][-1] == 1
    for by_stat in blends["positions"].values():
        assert all(len(values) == len(genre_eval.BLEND_WEIGHTS) and all(0 <= v <= 1 for v in values)
                   for values in by_stat.values())
    assert blends["positions"]["generate"] != blends["positions"]["prior blend"]
    assert all(-1 <= value <= 1 for by_stat in blends["rank_correlation"].values() for value in by_stat.values())
    assert genre_eval.rank_correlation([0, 1, 2, 3], [0.1, 0.5, 0.4, 0.9]) == pytest.approx(0.8)
    assert genre_eval.largest_reversal([0.1, 0.5, 0.4, 0.2, 0.9]) == pytest.approx(0.3)
    assert genre_eval.largest_reversal([0.1, 0.2, 0.9]) == 0
    for name in ("genres.json", "genre_fusion.png", "genre_blends.png"):
        assert (tmp_path / name).exists()


def test_rm_and_mc_windows_are_built_from_the_domains_notes():
    from engine import codec
    from training import genre_eval, metrics

    P = codec.PITCH_OFFSET - codec.PITCH_MIN
    source = np.array([[60 + P, codec.HOLD, 64 + P, codec.HOLD, codec.HOLD, codec.HOLD] + [67 + P] * 58])
    rng = np.random.default_rng(0)
    for uniform in (True, False):
        windows = genre_eval.sampled_notes(source, rng, uniform, 5)
        assert windows.shape == (5, 64)
        pitches = np.concatenate([codec.note_spans(w).pitches for w in windows])
        assert set(pitches) <= {60, 64, 67} and set(metrics.note_durations(windows)) <= {1, 2, 4}


def test_decoded_histograms_count_one_hot_tokens_as_table_one_does_with_gradients():
    from engine.codec import HOLD, N_TOKENS, PITCH_OFFSET, WINDOW_STEPS
    from tests.synthetic import synthetic_windows
    from training import metrics
    from training.decoded_statistics import NOTES_BIN, blend_histograms, decoded_histograms

    windows = synthetic_windows(64, 0).astype(np.int64)
    windows[0, 1:] = HOLD  # a note longer than the last DD bin
    windows[1, 60:] = HOLD  # a note the window's end cuts
    tokens = torch.nn.functional.one_hot(torch.as_tensor(windows), N_TOKENS).float().requires_grad_(True)
    decoded = decoded_histograms(tokens)
    np.testing.assert_allclose(decoded["dd"].detach().numpy(), metrics.duration_distribution(windows), atol=1e-6)
    np.testing.assert_allclose(decoded["npd"].detach().numpy(), metrics.normalised_pitch_distribution(windows),
                               atol=1e-6)
    np.testing.assert_allclose(decoded["nd"].detach().numpy(), blend_histograms([windows])["nd"], atol=1e-6)
    notes = (windows >= PITCH_OFFSET).sum(-1)
    assert decoded["nd"].detach().numpy() @ np.arange(0, WINDOW_STEPS + 1, NOTES_BIN) == pytest.approx(notes.mean())
    for histogram in decoded.values():
        grad, = torch.autograd.grad(histogram @ torch.arange(len(histogram), dtype=torch.float32), tokens,
                                    retain_graph=True)
        assert grad.abs().sum() > 0


# Not NPD: its tonics come from greedy tokens, which makes a random toy decoder's NPD too
# rugged for a short descent (the real decoder's run logs npd_to_target falling instead).
@pytest.mark.parametrize("statistic", ["dd", "nd"])
def test_a_histogram_term_moves_g_f_toward_the_target(tmp_path, statistic):
    from engine.codec import N_TOKENS, WINDOW_STEPS
    from training.decoded_statistics import decoded_histograms
    from training.genre_fusion import GenreFusionTraining

    rng = np.random.default_rng(0)
    a, b = rng.normal(1, 1, (64, 8)).astype(np.float32), rng.normal(-1, 1, (64, 8)).astype(np.float32)
    prior = (np.zeros(8, np.float32), np.ones(8, np.float32))
    weights = torch.randn(8, WINDOW_STEPS * N_TOKENS, generator=torch.Generator().manual_seed(0))

    def decoder(latents: torch.Tensor) -> torch.Tensor:
        return 3 * (latents @ weights).view(-1, WINDOW_STEPS, N_TOKENS)

    elsewhere = torch.as_tensor(rng.normal(3, 0.5, (128, 8)), dtype=torch.float32)
    played = torch.nn.functional.one_hot(decoder(elsewhere).argmax(-1), N_TOKENS).float()
    targets = {name: value.numpy() for name, value in decoded_histograms(played).items()}  # what latents there play
    config = replace(CRITICS_ONLY, **{f"{statistic}_weight": 1.0}, learning_rate=1e-2,
                     batch_size=128)  # fewer windows make noisy histograms
    with pytest.raises(ValueError, match="decoder"):
        GenreFusionTraining(config, a, b, prior, prior, tmp_path / "no-decoder")
    run = GenreFusionTraining(config, a, b, prior, prior, tmp_path / "run", decoder=decoder, targets=(targets, targets))
    first = run.generator_loss()[2][statistic].item()
    for _ in range(40):
        gap = run.generator_loss()[2][statistic]
        run.optimizer_g.zero_grad(set_to_none=True)
        gap.backward()
        run.optimizer_g.step()
    assert run.generator_loss()[2][statistic].item() < 0.75 * first
    assert f"{statistic}_to_target" in run.validate()


def test_the_radius_penalty_keeps_g_f_within_reach_of_either_genre(tmp_path):
    from training.genre_fusion import GenreFusionTraining

    rng = np.random.default_rng(0)
    a, b = rng.normal(0, 1, (512, 8)).astype(np.float32), rng.normal(6, 2, (512, 8)).astype(np.float32)
    priors = (np.zeros(8, np.float32), np.ones(8, np.float32)), (np.full(8, 6, np.float32), np.full(8, 2, np.float32))
    run = GenreFusionTraining(replace(CRITICS_ONLY, radius_weight=1.0, learning_rate=1e-2), a, b, *priors, tmp_path / "run")
    assert run.reach.tolist() == pytest.approx([1.58, 1.58], abs=0.1)  # sqrt(chi2_8 99th percentile / 8)
    near_a, near_b, away = np.zeros(8), np.full(8, 8.0), np.full(8, -4.0)  # radii 0 | 3, 4 | 1, 4 | 5
    excess = run.beyond_reach(torch.tensor(np.stack([near_a, near_b, away]), dtype=torch.float32))
    assert (excess[:2] < 0).all() and excess[2].item() == pytest.approx(4 - run.reach[0].item(), rel=1e-5)
    with torch.no_grad():  # start G_F far out: the penalty must pull it back within reach
        run.g_f.net[-1].bias.fill_(20.0)
    first = run.generator_loss()[2]["radius"].item()
    for _ in range(30):
        penalty = run.generator_loss()[2]["radius"]
        run.optimizer_g.zero_grad(set_to_none=True)
        penalty.backward()
        run.optimizer_g.step()
    assert run.generator_loss()[2]["radius"].item() < 0.5 * first
    assert 0 <= run.validate()["beyond_reach"] <= 1


def test_the_spread_over_draws_averages_disjoint_draws():
    from training import genre_eval

    rng = np.random.default_rng(0)
    a, b = (genre_eval.histograms(rng.integers(0, 30, (64, 64))) for _ in range(2))
    windows = rng.integers(0, 30, (3 * genre_eval.SAMPLES, 64))
    rows = [genre_eval.fusion_row(a, b, genre_eval.histograms(windows[i * genre_eval.SAMPLES:(i + 1) * genre_eval.SAMPLES]))
            for i in range(3)]
    spread = genre_eval.draw_spread(a, b, windows)["npd_emd"]
    assert spread["draws"] == 3
    assert spread["ratio_mean"] == pytest.approx(np.mean([row["npd_emd"]["ratio"] for row in rows]))
    assert spread["position_std"] == pytest.approx(np.std([row["npd_emd"]["position"] for row in rows]))


@pytest.mark.parametrize("command, flag", [("genre-fusion", "--radius-weight"), ("genre-fusion", "--npd-weight"),
                                           ("genre-fusion", "--even-blend-steps"), ("genre-prior", "--margin"),
                                           ("genre-prior", "--separation-weight")])
def test_negative_loss_weights_are_refused_before_any_work(command, flag, tmp_path, capsys):
    from training.cli import main

    with pytest.raises(SystemExit) as stop:
        main([command, "--run", str(tmp_path / "run"), flag, "-1"])
    assert stop.value.code == 2
    assert f"argument {flag}: must be 0 or more, got -1" in capsys.readouterr().err
    assert not (tmp_path / "run").exists()
