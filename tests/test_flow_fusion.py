"""Fusion by the continuation flow: the right clip re-imagined, from partway along the flow's
path, to follow the left clip; and by both flows, the left clip mended first by the backward flow."""
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


def fusion_methods_used(monkeypatch) -> list[str]:
    """The methods flow_fusion.fuse_latents is called with from now on (filled as it is called)."""
    methods = []
    original = flow_fusion.fuse_latents
    monkeypatch.setattr(flow_fusion, "fuse_latents", lambda model, method, *rest: methods.append(method)
                        or original(model, method, *rest))
    return methods


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
    methods = fusion_methods_used(monkeypatch)
    clips = engine.continuation(LEFT, bars=8, fuse_with=RIGHT, method="flow", seed=1).clips
    assert methods == ["flow", "flow"] and clips[0].length == 32.0


def test_a_bad_method_or_a_flow_that_cannot_start_partway_is_refused(tiny_pair_bundle, monkeypatch):
    engine = Engine(tiny_pair_bundle)
    with pytest.raises(ClipError, match="method must be one of generator, flow, flow-both, got 'jazz'"):
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


def test_export_adds_the_backward_flow_which_starts_partway_from_its_source(backward_bundle, tiny_judge_bundle):
    from engine.bundle import load_bundle

    manifest = load_bundle(backward_bundle).manifest
    assert manifest["backward_flow"]["training"]["backward"] is True
    assert (manifest["backward_flow"]["steps"], manifest["backward_flow"]["guidance"]) == (
        manifest["continuation"]["steps"], manifest["continuation"]["guidance"])
    assert manifest["parity"]["backward_flow_max_abs_error"] < 1e-4
    assert "backward_flow" not in load_bundle(tiny_judge_bundle).manifest["files"]
    model = LatentModel(load_bundle(backward_bundle))
    right, noise, source = rows(model, 5, seed=4)
    plain = model.backward_flow(right, noise, source, np.zeros((5, 1), np.float32))
    late = model.backward_flow(right, noise, source, np.full((5, 1), 0.999, np.float32))
    assert np.abs(late - source).max() < 0.1 * np.abs(plain - source).max()
    # It is its own model: the forward flow from the same inputs goes elsewhere.
    assert not np.allclose(plain, model.continuation_flow(right, noise), atol=1e-3)
    from training.export_pairs import torch_pair_models_from_bundle

    eager = torch_pair_models_from_bundle(backward_bundle)["backward_flow"]  # rebuilt for the benchmarks
    start = np.full((5, 1), 0.3, np.float32)
    with torch.no_grad():
        expected = eager(*map(torch.from_numpy, (right, noise, source, start))).numpy()
    assert np.allclose(expected, model.backward_flow(right, noise, source, start), atol=1e-4)


def test_export_refuses_a_forward_flow(tiny_pair_bundle, tmp_path):
    import shutil

    from training.export_backward_flow import export_backward_flow

    bundle = tmp_path / "tiny"
    shutil.copytree(tiny_pair_bundle, bundle)
    with pytest.raises(SystemExit, match="not a backward flow.*continuation --backward"):
        export_backward_flow(bundle, tiny_pair_bundle.parent / "runs" / "continuation" / "best.pt")
    assert not (bundle / "backward_flow.onnx").exists()


def test_fuse_by_both_flows_mends_the_left_clip_too_and_is_the_default(backward_bundle, monkeypatch):
    engine = Engine(backward_bundle)
    assert engine.info()["fusion"]["methods"] == ["generator", "flow", "flow-both"]
    assert engine.info()["fusion"]["method"] == "flow-both"
    mended, followed = [], []
    backward, forward = engine.model.backward_flow, engine.model.fusion_flow
    monkeypatch.setattr(engine.model, "backward_flow", lambda *args: mended.append((args, backward(*args)))
                        or mended[-1][1])
    monkeypatch.setattr(engine.model, "fusion_flow", lambda *args: followed.append(args) or forward(*args))
    both = engine.fuse(LEFT, RIGHT, style=[0.2, 0.9], similarity=0.2)
    assert len(mended) == 1 and both.clip == engine.fuse(LEFT, RIGHT, style=[0.2, 0.9], similarity=0.2).clip
    (right_latent, noise, left_latent, start), new_left = mended[0]
    assert right_latent.shape == left_latent.shape == noise.shape and np.allclose(start, 0.2 / 1.2)
    assert not np.allclose(new_left, left_latent), "the left latent is re-imagined"
    assert np.array_equal(followed[0][0], new_left), "and the right one follows the mended left one"
    engine.fuse(LEFT, RIGHT, style=[0.2, 0.9], similarity=0.2, method="flow")
    assert len(mended) == 2 and np.array_equal(followed[-1][0], left_latent), "flow keeps the left latent"


def test_a_continuation_keeps_its_input_so_it_never_fuses_by_both_flows(backward_bundle, monkeypatch):
    engine = Engine(backward_bundle)
    methods = fusion_methods_used(monkeypatch)
    engine.continuation(LEFT, bars=4, fuse_with=RIGHT, seed=1)
    assert methods == ["flow"], "the default for a continuation keeps its input"
    with pytest.raises(ClipError, match="flow-both changes the input clip, which a continuation keeps"):
        engine.continuation(LEFT, bars=4, fuse_with=RIGHT, method="flow-both")


def test_both_flows_need_a_backward_flow(tiny_judge_bundle):
    with pytest.raises(ClipError, match="no backward flow for flow-both.*export-backward-flow"):
        Engine(tiny_judge_bundle).fuse(LEFT, RIGHT, method="flow-both")


def test_iterated_flows_keep_each_latents_length_after_the_first_pass(backward_bundle, monkeypatch):
    engine = Engine(backward_bundle)
    calls = []
    original = flow_fusion.fuse_latents
    monkeypatch.setattr(flow_fusion, "fuse_latents", lambda model, method, left, right, *rest: calls.append(
        (left, right, rest[-1], original(model, method, left, right, *rest))) or calls[-1][-1])
    engine.fuse(LEFT, RIGHT, style=[0.6, 0.8], iterations=3, similarity=0.3)
    assert [iterated for _, _, iterated, _ in calls] == [False, True, True], "the first pass fuses the clips as given"

    def lengths(latents):
        return np.linalg.norm(latents, axis=-1)

    _, first_right, _, (_, fused_right) = calls[0]
    assert not np.allclose(lengths(fused_right), lengths(first_right), rtol=1e-3)
    for left, right, _, (new_left, new_right) in calls[1:]:
        assert not np.allclose(new_left, left) and not np.allclose(new_right, right), "both sides move again"
        assert np.allclose(lengths(new_left), lengths(left), rtol=1e-5)
        assert np.allclose(lengths(new_right), lengths(right), rtol=1e-5)


def test_flow_lengths_measures_each_way_of_iterating(backward_bundle, tiny_corpus):
    from training.flow_lengths import iterated_lengths

    results = iterated_lengths(backward_bundle, tiny_corpus, similarity=0.3, iterations=3)
    assert len(results) == 3 and all(len(rows) == 3 for rows in results.values())
    free, _, held = results.values()
    assert held[1] == held[2] == held[0], "the engine holds the lengths its first pass gave"
    assert held[0] == pytest.approx(free[0], abs=0.05), "its first pass is the exported flows' (int8 against float)"
    assert free[1] != free[0], "free lengths move with every pass"
