"""Training: loss terms, a tiny run, resuming from a checkpoint."""
import json

import numpy as np
import pytest
import torch

from engine.attributes import measure
from tests.synthetic import synthetic_windows
from training import losses
from training.train import Trainer


def test_soft_attributes_equal_hard_attributes_on_confident_logits():
    tokens = synthetic_windows(32, seed=3).astype(np.int64)
    logits = torch.nn.functional.one_hot(torch.from_numpy(tokens), 50).float() * 60.0
    soft = losses.soft_attributes(logits).numpy()
    hard = measure(tokens)
    assert np.allclose(soft[:, 0], hard[:, 0], atol=1e-3)
    assert np.allclose(soft[:, 1], hard[:, 1], atol=1e-3)
    assert np.allclose(soft[:, 2], hard[:, 2], atol=0.02)
    assert np.allclose(soft[:, 3], hard[:, 3], atol=1e-3)


def test_fader_swap_asks_for_the_donors_attributes(monkeypatch):
    """Bookkeeping of the swap: a decoder that plays exactly its fader latents meets every
    target; one that ignores the swapped latents misses some."""
    monkeypatch.setattr(losses, "soft_attributes", lambda produced, *_: produced)
    attributes = torch.randn(64, 4) * torch.tensor([1.0, 5.0, 2.0, 0.5]) + 3
    z = torch.cat([attributes, torch.randn(64, 6)], dim=1)
    torch.manual_seed(0)
    swapped, target = losses.swap_faders(z, attributes, [0, 1, 2, 3])
    assert not swapped.requires_grad and not torch.equal(swapped, z)
    args = (attributes.std(0), torch.ones(4))
    assert losses.swap_error(swapped[:, :4], target, *args) == pytest.approx(0.0, abs=1e-12)
    assert losses.swap_error(z[:, :4], target, *args) > 0.1


def test_swaps_with_reach_invent_fader_values_and_ask_for_the_fader_line():
    """Invented values are spread over +-reach; their targets lie on mean + std * value, clipped."""
    attributes = torch.rand(512, 2) * 4
    z = torch.cat([(attributes - 2) / 1.2, torch.randn(512, 3)], dim=1)
    line = (torch.full((2,), 2.0), torch.full((2,), 1.2), torch.zeros(2), torch.full((2,), 4.0))
    torch.manual_seed(0)
    swapped, target = losses.swap_faders(z, attributes, [0, 1], reach=5.0, line=line)
    moved = swapped[:, :2] != z[:, :2]
    outside = moved & (swapped[:, :2].abs() > 2.0 / 1.2 + 1e-6)  # no window lies there: invented
    assert 0.1 < outside.float().mean() < 0.4 and swapped[:, :2].abs().max() <= 5.0
    expected = (2.0 + 1.2 * swapped[:, :2]).clamp(0.0, 4.0)
    assert torch.allclose(target[outside], expected[outside])
    assert torch.equal(target[~moved], attributes[~moved])


def test_attribute_regularisation_rewards_matching_order():
    attribute = torch.tensor([1.0, 2.0, 3.0, 4.0])
    assert losses.attribute_regularisation(attribute, attribute, 10.0) < 0.01
    assert losses.attribute_regularisation(-attribute, attribute, 10.0) > 1.5


def test_kl_is_zero_at_the_prior():
    mean = torch.ones(4, 8)
    assert losses.kl_to_prior(mean, torch.zeros(4, 8), torch.ones(4, 8)).item() == pytest.approx(0.0)


def test_tiny_training_run_logs_and_resumes(tmp_path, tiny_corpus, tiny_config):
    trainer = Trainer(tiny_config, tiny_corpus, tmp_path)
    first = trainer.train_step()
    assert all(np.isfinite(v) for v in first.values())
    assert {"reconstruction", "kl", "regularisation", "anchor", "swap"} <= set(first)
    trainer.run(max_minutes=0)  # stops right after the next step, with a checkpoint
    assert (tmp_path / "last.pt").exists()
    resumed = Trainer(tiny_config, tiny_corpus, tmp_path)
    assert resumed.step == trainer.step == 2
    resumed.run()
    assert resumed.step == tiny_config.steps
    rows = [json.loads(line) for line in (tmp_path / "log.jsonl").read_text().splitlines()]
    assert any("val_accuracy" in row for row in rows)


def test_resuming_with_other_settings_is_refused(tmp_path, tiny_corpus, tiny_config):
    from dataclasses import replace

    Trainer(tiny_config, tiny_corpus, tmp_path).run(max_minutes=0)
    with pytest.raises(SystemExit, match="other settings"):
        Trainer(replace(tiny_config, beta=0.5), tiny_corpus, tmp_path)


def test_training_reduces_reconstruction_loss(tmp_path, tiny_corpus, tiny_config):
    from dataclasses import replace

    trainer = Trainer(replace(tiny_config, steps=60, learning_rate=3e-3), tiny_corpus, tmp_path)
    before = np.mean([trainer.train_step()["reconstruction"] for _ in range(3)])
    trainer.run()
    after = np.mean([trainer.train_step()["reconstruction"] for _ in range(3)])
    assert after < 0.8 * before


def test_decoder_finetuning_trains_the_decoder_only(tmp_path, tiny_corpus, tiny_config):
    """The latent space must stay put: encoder weights, its batch-norm statistics and the
    prior are those of the starting checkpoint after fine-tuning."""
    from dataclasses import replace

    Trainer(tiny_config, tiny_corpus, tmp_path / "start").run()
    start = torch.load(tmp_path / "start" / "last.pt", weights_only=False)["model"]
    config = replace(tiny_config, finetune_decoder=str(tmp_path / "start" / "last.pt"), learning_rate=3e-3)
    tuned = Trainer(config, tiny_corpus, tmp_path / "tuned")
    tuned.run()
    after = tuned.model.state_dict()
    assert all(torch.equal(after[n], v) for n, v in start.items() if not n.startswith("decoder."))
    assert any(not torch.equal(after[n], v) for n, v in start.items() if n.startswith("decoder.") and v.is_floating_point())


def test_straight_through_attributes_measure_the_greedy_tokens():
    tokens = torch.from_numpy(synthetic_windows(8, seed=9).astype(np.int64))
    logits = torch.nn.functional.one_hot(tokens, 50).float() * 2.0 + torch.randn(8, 64, 50) * 0.5
    logits.requires_grad_(True)
    hard = measure(logits.argmax(-1).numpy())
    straight = losses.soft_attributes(logits, straight_through=True)
    assert np.allclose(straight.detach().numpy(), hard, atol=0.011)
    assert not np.allclose(losses.soft_attributes(logits).detach().numpy(), hard, atol=0.011)
    straight.sum().backward()
    assert logits.grad.abs().sum() > 0


def test_a_low_temperature_brings_soft_attributes_toward_the_greedy_ones():
    tokens = torch.from_numpy(synthetic_windows(8, seed=9).astype(np.int64))
    logits = torch.nn.functional.one_hot(tokens, 50).float() * 2.0 + torch.randn(8, 64, 50) * 0.5
    hard = measure(logits.argmax(-1).numpy())
    error = [np.abs(losses.soft_attributes(logits, temperature=t).numpy() - hard).mean() for t in (1.0, 0.3)]
    assert error[1] < error[0] / 2


def test_finetuning_from_a_missing_checkpoint_says_so(tmp_path, tiny_corpus, tiny_config):
    from dataclasses import replace

    with pytest.raises(SystemExit, match="no checkpoint at"):
        Trainer(replace(tiny_config, finetune_decoder=str(tmp_path / "nope.pt")), tiny_corpus, tmp_path / "run")


def test_a_negative_swap_reach_is_refused_with_one_message(tmp_path, tiny_corpus, tiny_config):
    from dataclasses import replace

    with pytest.raises(SystemExit, match="--swap-reach must be 0"):
        Trainer(replace(tiny_config, swap_reach=-1.0), tiny_corpus, tmp_path / "run")
