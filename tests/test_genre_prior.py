"""The genre-conditioned prior on the tiny bundle: it starts as the Gaussian priors, training
resumes and logs each genre's distances, export adds genre_prior.onnx with parity, and
generate samples one genre through it (bundles without it keep the Gaussian priors)."""
import json
from dataclasses import replace

import numpy as np
import pytest
import torch

from engine import Engine, grid, latent_tools
from tests.latent_runs import trained_and_exported
from training.config import GenrePriorConfig

CONFIG = GenrePriorConfig(steps=4, critic_steps=2, batch_size=12, hidden=32, layers=3, eval_every=2,
                          transpositions=1, decoded_batch=4)


@pytest.fixture(scope="module")
def prior_bundle(tmp_path_factory, tiny_bundle, tiny_corpus):
    from training.genre_prior_runs import export_genre_prior, train_genre_prior

    return trained_and_exported(tmp_path_factory.mktemp("genre-prior"), tiny_bundle, tiny_corpus, CONFIG, train_genre_prior,
                                export_genre_prior, "tiny-prior")


def test_the_generator_starts_as_each_genres_gaussian_prior():
    from training.genre_prior import GenrePrior

    rng = np.random.default_rng(0)
    means, stds = rng.normal(size=(3, 8)).astype(np.float32), rng.uniform(0.5, 2, (3, 8)).astype(np.float32)
    noise = torch.randn(5, 8)
    genres = torch.tensor([0, 2, 1, 2, 0])
    z = GenrePrior(means, stds, hidden=16, layers=3)(noise, torch.nn.functional.one_hot(genres, 3).float())
    expected = means[genres.numpy()] + stds[genres.numpy()] * noise.numpy()
    np.testing.assert_allclose(z.detach().numpy(), expected, rtol=1e-6)


def test_training_resumes_and_logs_each_genres_distance_to_its_own_and_the_others(prior_bundle):
    _, root = prior_bundle
    rows = [json.loads(line) for line in (root / "run" / "log.jsonl").read_text().splitlines()]
    last = rows[-1]
    assert last["step"] == 4 and "critic" in last and "generator" in last
    own = [f"{name}_own_{g}" for name in ("dd", "npd", "nd") for g in range(3)]
    assert set(own) <= set(last) and {f"npd_nearest_other_{g}" for g in range(3)} <= set(last)
    overlap = sum(max(0, last[f"{name}_own_{g}"] - last[f"{name}_nearest_other_{g}"])
                  for name in ("dd", "npd", "nd") for g in range(3))
    assert last["score"] == pytest.approx(-sum(last[name] for name in own) - overlap)


def test_export_adds_the_prior_with_parity_and_info_names_it(prior_bundle):
    bundle, _ = prior_bundle
    manifest = json.loads((bundle / "manifest.json").read_text())
    assert manifest["genre_prior"]["genres"] == ["folk", "celtic", "chorale"]
    assert manifest["parity"]["genre_prior_max_abs_error"] <= 1e-4
    assert Engine(bundle).info()["genre_prior"] == ["folk", "celtic", "chorale"]


def test_generate_samples_one_genre_through_the_prior(prior_bundle, tiny_bundle):
    bundle, _ = prior_bundle
    engine = Engine(bundle)
    noise = np.random.default_rng(5).standard_normal((3, engine.bundle.latent_size)).astype(np.float32)
    celtic = np.eye(3, dtype=np.float32)[[1, 1, 1]]
    expected = grid.to_clips(engine.model.decode(engine.model.genre_prior(0.5 * noise, celtic)), 16.0,
                             [0] * 3, [()] * 3, 100)
    assert engine.generate(variations=3, seed=5, genre="celtic", temperature=0.5).clips == expected
    # A blend that weights every other genre 0 is that genre alone, through the same prior.
    weights = latent_tools.genre_weights(engine, {"folk": 0, "celtic": 2})
    np.testing.assert_array_equal(latent_tools.sample_genres(engine, weights, 3, 0.5, np.random.default_rng(5)),
                                  engine.model.genre_prior(0.5 * noise, celtic))
    plain = Engine(tiny_bundle)
    assert not plain.model.has("genre_prior")
    gaussian = plain.bundle.genres[1].mean + 0.5 * plain.bundle.genres[1].std * noise
    assert plain.generate(variations=3, seed=5, genre="celtic", temperature=0.5).clips == grid.to_clips(
        plain.model.decode(gaussian), 16.0, [0] * 3, [()] * 3, 100)


def test_each_genres_histogram_term_pulls_toward_its_own_target(tmp_path):
    from engine.codec import N_TOKENS, WINDOW_STEPS
    from training.decoded_statistics import decoded_histograms
    from training.genre_prior import GenrePriorTraining

    rng = np.random.default_rng(0)
    latents = [rng.normal(1, 1, (64, 8)).astype(np.float32), rng.normal(-1, 1, (64, 8)).astype(np.float32)]
    priors = [(np.zeros(8, np.float32), np.ones(8, np.float32))] * 2
    weights = torch.randn(8, WINDOW_STEPS * N_TOKENS, generator=torch.Generator().manual_seed(0))

    def decoder(z: torch.Tensor) -> torch.Tensor:
        return 3 * (z @ weights).view(-1, WINDOW_STEPS, N_TOKENS)

    def played_at(centre: float) -> dict[str, np.ndarray]:
        z = torch.as_tensor(rng.normal(centre, 0.5, (128, 8)), dtype=torch.float32)
        tokens = torch.nn.functional.one_hot(decoder(z).argmax(-1), N_TOKENS).float()
        return {name: value.numpy() for name, value in decoded_histograms(tokens).items()}

    # ND: the toy decoder's DD barely differs between the two targets
    config = replace(CONFIG, genres=("folk", "celtic"), dd_weight=0.0, npd_weight=0.0, nd_weight=1.0,
                     learning_rate=1e-2, batch_size=256, decoded_batch=128)
    with pytest.raises(ValueError, match="decoder"):
        GenrePriorTraining(config, latents, priors, tmp_path / "no-decoder")
    run = GenrePriorTraining(config, latents, priors, tmp_path / "run", decoder=decoder,
                             targets=[played_at(3.0), played_at(-3.0)])
    labels = run._labels(256)

    def gaps() -> list[torch.Tensor]:
        fake = run.generate(labels)
        rows = run.histogram_gaps([fake[labels == g] for g in range(2)])
        return [row[g]["nd"] for g, row in enumerate(rows)]

    def mean_gaps() -> np.ndarray:
        with torch.no_grad():
            return np.mean([[gap.item() for gap in gaps()] for _ in range(4)], axis=0)

    first = mean_gaps()
    for _ in range(60):
        run.optimizer_g.zero_grad(set_to_none=True)
        sum(gaps()).backward()
        run.optimizer_g.step()
    assert (mean_gaps() < 0.75 * first).all()
    assert {"nd_own_0", "nd_nearest_other_1"} <= set(run.validate())


def test_the_separation_hinge_asks_each_genre_to_be_nearer_its_own_targets(tmp_path):
    from training.genre_prior import GenrePriorTraining

    config = replace(CONFIG, genres=("folk", "celtic"), dd_weight=0.0, npd_weight=1.0, nd_weight=0.0, margin=0.2)
    latents = [np.zeros((4, 8), np.float32)] * 2
    run = GenrePriorTraining(config, latents, [(np.zeros(8, np.float32), np.ones(8, np.float32))] * 2,
                             tmp_path / "run", decoder=lambda z: z, targets=[{"npd": np.zeros(12)}] * 2)
    own, other = torch.tensor(0.25, requires_grad=True), torch.tensor(0.36)  # distances 0.5 and 0.6
    hinge = run.separation([[{"npd": own}, {"npd": other}], [{"npd": other}, {"npd": other}]])
    assert hinge.item() == pytest.approx((0.5 - 0.6 + 0.2) + 0.2, abs=1e-4)  # genre 1: as near the other genre
    hinge.backward()
    assert own.grad > 0
    far = run.separation([[{"npd": torch.tensor(0.01)}, {"npd": other}], [{"npd": other}, {"npd": torch.tensor(0.01)}]])
    assert far.item() == 0


def test_the_radius_penalty_spares_latents_within_the_genres_reach(tmp_path):
    from training.genre_prior import GenrePriorTraining

    rng = np.random.default_rng(0)
    latents = [rng.normal(0, 1, (512, 8)).astype(np.float32), rng.normal(5, 2, (512, 8)).astype(np.float32)]
    priors = [(np.zeros(8, np.float32), np.ones(8, np.float32)), (np.full(8, 5, np.float32), np.full(8, 2, np.float32))]
    config = replace(CONFIG, genres=("folk", "celtic"), dd_weight=0.0, npd_weight=0.0, nd_weight=0.0)
    run = GenrePriorTraining(config, latents, priors, tmp_path / "run")
    assert run.reach.tolist() == pytest.approx([1.58, 1.58], abs=0.1)  # sqrt(chi2_8 99th percentile / 8)
    labels = torch.tensor([0, 1])
    assert run.radius_penalty(torch.tensor(np.stack([priors[0][0], priors[1][0]])), labels).item() == 0
    far = torch.tensor(np.stack([np.full(8, 3.0), np.full(8, 5 + 2 * 3.0)]), dtype=torch.float32)  # radius 3 each
    assert run.radius_penalty(far, labels).item() == pytest.approx(float(((3 - run.reach) ** 2).mean()), rel=1e-5)


def test_export_of_a_missing_checkpoint_says_so_and_leaves_the_bundle(prior_bundle, capsys):
    from training.cli import main

    bundle, root = prior_bundle
    before = (bundle / "manifest.json").read_bytes()
    assert main(["export-genre-prior", "--bundle", str(bundle), "--checkpoint", str(root / "nope.pt")]) == 2
    assert "No such file" in capsys.readouterr().err and "nope.pt" not in str(list(bundle.iterdir()))
    assert (bundle / "manifest.json").read_bytes() == before
