"""Fusion by the continuation flow: the right clip re-imagined, from partway along the flow's
path, to follow the left clip."""
import numpy as np
import pytest
import torch

from bridge.cli import main
from engine import ClipError, Engine, flow_fusion
from engine.clip import Clip, Note
from engine.latent import LatentModel


def clip(pitches, length=16.0):
    return Clip(length, tuple(Note(p, float(i), 1.0, 80) for i, p in enumerate(pitches)))


LEFT = clip([60, 62, 64, 65, 67, 65, 64, 62] * 2)
RIGHT = clip([72, 71, 69, 67, 69, 71, 72, 74] * 2)


@pytest.fixture(scope="module")
def latent(tiny_pair_bundle):
    return Engine(tiny_pair_bundle).model


def rows(latent, count, seed=0):
    rng = np.random.default_rng(seed)
    return (rng.standard_normal((count, latent.latent_size)).astype(np.float32) for _ in range(3))


def test_the_flow_started_partway_matches_pytorch_and_starts_from_its_source(tiny_pair_bundle, latent):
    from training.export_pairs import torch_pair_models_from_bundle

    flow = torch_pair_models_from_bundle(tiny_pair_bundle)["continuation"]
    left, noise, source = rows(latent, 5)
    start = np.linspace(0.1, 0.9, 5, dtype=np.float32)[:, None]
    with torch.no_grad():
        eager = flow(*map(torch.from_numpy, (left, noise, source, start))).numpy()
    assert np.allclose(eager, latent.fusion_flow(left, noise, source, start), atol=1e-4)
    assert latent.flow_starts_partway
    # Start 0 is the plain continuation, whatever the source; a start near 1 barely leaves the source.
    plain = latent.continuation_flow(left, noise)
    assert np.allclose(latent.fusion_flow(left, noise, source, np.zeros((5, 1), np.float32)), plain, atol=1e-6)
    late = latent.fusion_flow(left, noise, source, np.full((5, 1), 0.999, np.float32))
    assert np.abs(late - source).max() < 0.1 * np.abs(plain - source).max()


def test_flow_fusion_keeps_the_left_latent_and_follows_the_similarity_and_the_pad(latent):
    left, right, _ = rows(latent, 4)

    def fused(style, similarity):
        return flow_fusion.fuse_latents(latent, "flow", left, right, np.tile(np.float32(style), (4, 1)),
                                        np.full((4, 1), similarity, np.float32))

    kept, moved = fused([0.3, 0.6], 1.0)
    assert kept is left
    near, far = (np.abs(fused([0.3, 0.6], strength)[1] - right).mean() for strength in (10.0, 0.1))
    assert near < np.abs(moved - right).mean() < far
    assert not np.allclose(fused([0.8, 0.6], 1.0)[1], moved)
    # The pad's y is the noise's length: at 0 every x is the flow's central path.
    assert np.array_equal(fused([0.1, 0.0], 1.0)[1], fused([0.7, 0.0], 1.0)[1])
    assert flow_fusion.start_time(np.array([[1.0]]))[0, 0] == 0.5


def test_the_pads_noise_is_a_unit_mix_of_two_fixed_directions():
    noise = flow_fusion.style_noise(np.array([[0.0, 1.0], [0.25, 1.0], [0.125, 0.5]], np.float32), 64)
    first, second = flow_fusion.style_noise(np.array([[0.0, 1.0], [0.25, 1.0]], np.float32), 64)
    assert np.allclose(noise[0], first) and np.allclose(noise[1], second)
    assert np.allclose(noise[2], 0.5 * np.sqrt(0.5) * (first + second), atol=1e-6)


def test_fuse_by_flow_keeps_the_left_clip_and_answers_alike_each_time(tiny_judge_bundle):
    engine = Engine(tiny_judge_bundle)
    assert engine.info()["fusion"]["methods"] == ["generator", "flow"]
    assert engine.info()["fusion"]["method"] == "flow"  # the default, since this bundle's flow can fuse
    one = engine.fuse(LEFT, RIGHT, style=[0.2, 0.9], method="flow")
    again = engine.fuse(LEFT, RIGHT, style=[0.2, 0.9], method="flow")
    other = engine.fuse(LEFT, RIGHT, style=[0.7, 0.4], similarity=0.2, iterations=2, method="flow", candidates=1)
    assert one.clip == again.clip and one.clip.length == 32.0
    assert one.left == other.left  # the left latent is never moved, so it plays the same
    assert one.right != other.right


def test_a_fused_continuation_can_fuse_by_flow(tiny_judge_bundle, monkeypatch):
    engine = Engine(tiny_judge_bundle)
    methods = []
    original = flow_fusion.fuse_latents
    monkeypatch.setattr(flow_fusion, "fuse_latents", lambda model, method, *rest: methods.append(method)
                        or original(model, method, *rest))
    clips = engine.continuation(LEFT, bars=8, fuse_with=RIGHT, method="flow", seed=1).clips
    assert methods == ["flow", "flow"] and clips[0].length == 32.0


def test_a_bad_method_or_a_flow_that_cannot_start_partway_is_refused(tiny_pair_bundle, monkeypatch):
    engine = Engine(tiny_pair_bundle)
    with pytest.raises(ClipError, match="method must be one of generator, flow, got 'jazz'"):
        engine.fuse(LEFT, RIGHT, method="jazz")
    monkeypatch.setattr(LatentModel, "flow_starts_partway", property(lambda self: False))
    with pytest.raises(ClipError, match="export-pairs --keep-fusion --keep-continuation"):
        engine.fuse(LEFT, RIGHT, method="flow")
    assert engine.fuse(LEFT, RIGHT).clip.notes  # the generator still fuses


def test_segue_fuse_takes_a_method(tmp_path, tiny_pair_bundle, capsys):
    from tests.test_cli import write_melody

    a, b = write_melody(tmp_path / "a.mid"), write_melody(tmp_path / "b.mid", pitch0=67)
    assert main(["fuse", "--bundle", str(tiny_pair_bundle), str(a), str(b), "--method", "flow",
                 "-o", str(tmp_path / "fused.mid")]) == 0
    assert "wrote" in capsys.readouterr().out and (tmp_path / "fused.mid").exists()
    with pytest.raises(SystemExit):
        main(["fuse", "--bundle", str(tiny_pair_bundle), str(a), str(b), "--method", "jazz"])
    assert "invalid choice: 'jazz'" in capsys.readouterr().err
