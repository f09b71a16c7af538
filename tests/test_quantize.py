"""The int8 twins: `python -m training quantize` adds them; the engine plays the int8 decoder, runs
refine's recursion on the int8 encoder, picks fusion candidates with the int8 judge and fuses by
the int8 continuation and backward flows; the float graphs stay the reference."""
import json
import shutil

import numpy as np
import pytest

from engine.bundle import BundleError, load_bundle
from engine.latent import LatentModel


def with_twins(source, corpus, directory, *adders):
    """A copy of the bundle ``source`` in ``directory`` with the int8 twins each of ``adders`` makes."""
    bundle = directory / "tiny"
    shutil.copytree(source, bundle)
    for add in adders:
        add(bundle, corpus)
    return bundle


def scale_clip():
    """Sixteen quarter notes climbing a scale fragment, for fusing a clip with itself."""
    from engine import parse_clip

    return parse_clip({"length": 16, "notes": [{"pitch": 60 + i % 7, "start_time": i, "duration": 1}
                                               for i in range(16)]})


@pytest.fixture(scope="module")
def int8_bundle(tiny_bundle, tiny_corpus, tmp_path_factory):
    from training.quantize import add_int8_decoder, add_int8_encoder

    return with_twins(tiny_bundle, tiny_corpus, tmp_path_factory.mktemp("int8"), add_int8_decoder, add_int8_encoder)


def test_quantize_adds_an_int8_decoder_with_its_measured_agreement(int8_bundle, tiny_bundle):
    from training.quantize import token_agreement, use_latents

    bundle = load_bundle(int8_bundle)
    entry = bundle.manifest["quantization"]
    assert entry["decoder_sha256"] == load_bundle(tiny_bundle).manifest["files"]["decoder"]["sha256"]
    assert set(entry["token_agreement"]) == set(entry["float_under_noise"]) == {
        "posterior means", "faders moved", "prior samples"}
    int8, reference = LatentModel(bundle), LatentModel(bundle, int8=False)
    assert (int8.decoder_role, reference.decoder_role) == ("decoder_int8", "decoder")
    windows = np.zeros((4, 64), dtype=np.int64)
    latents = use_latents(bundle, reference, windows, seed=0)
    agreement = token_agreement({kind: reference.decode(z) for kind, z in latents.items()}, int8.decode, latents)
    assert all(0.0 <= value <= 1.0 for value in agreement.values())
    z = np.random.default_rng(0).standard_normal((3, bundle.latent_size)).astype(np.float32)
    assert not np.array_equal(int8.decode_logits(z), reference.decode_logits(z)), "the int8 graph is another graph"


def test_the_int8_encoder_runs_only_the_recursion_with_its_measured_agreement(int8_bundle, tiny_bundle):
    from engine import Engine, grid, parse_clip

    bundle = load_bundle(int8_bundle)
    entry = bundle.manifest["encoder_quantization"]
    assert entry["encoder_sha256"] == load_bundle(tiny_bundle).manifest["files"]["encoder"]["sha256"]
    assert 0.0 <= entry["step_token_agreement"] <= 1.0 and entry["latent_error_in_posterior_std"] >= 0.0
    int8, reference = LatentModel(bundle), LatentModel(bundle, int8=False)
    assert (int8.recursion_encoder_role, reference.recursion_encoder_role) == ("encoder_int8", "encoder")
    windows = np.random.default_rng(1).integers(0, 40, (3, 64))
    assert not np.array_equal(int8.recursion_mean(windows), int8.encode(windows)[0]), "another graph"
    assert np.array_equal(int8.encode(windows)[0], reference.encode(windows)[0]), "encode stays float"
    assert np.array_equal(reference.recursion_mean(windows), reference.encode(windows)[0])
    engine = Engine(bundle)
    assert engine.info()["recursion"] == "int8 encoder"
    assert Engine(bundle, int8=False).info()["recursion"] == "float encoder"
    clip = parse_clip({"length": 16, "notes": [{"pitch": 60 + i, "start_time": i, "duration": 1} for i in range(16)]})
    prepared = grid.prepare(clip, [])
    step = grid.to_clip(int8.recode(prepared.tokens), clip.length, prepared.shift, (prepared,))
    steps = []
    engine.model.recode = lambda tokens: steps.append(tokens) or int8.recode(tokens)
    assert engine.refine(clip, max_iterations=1).clips == [step] and len(steps) == 1


def twin_section(twin_bundle, float_bundle, role, section, measured):
    """The loaded twin bundle and its twin's manifest section, after checking that the section names
    the float graph it was made from and has ``measured`` at each of the quantizer's similarities."""
    from training.quantize import PICK_SIMILARITIES

    bundle = load_bundle(twin_bundle)
    entry = bundle.manifest[section]
    assert entry[f"{role}_sha256"] == load_bundle(float_bundle).manifest["files"][role]["sha256"]
    assert set(entry[measured]) == {f"similarity={s:g}" for s in PICK_SIMILARITIES}
    return bundle, entry


@pytest.fixture(scope="module")
def int8_judge_bundle(tiny_judge_bundle, tiny_corpus, tmp_path_factory):
    from training.quantize import add_int8_judge

    return with_twins(tiny_judge_bundle, tiny_corpus, tmp_path_factory.mktemp("int8-judge"), add_int8_judge)


def test_the_int8_judge_picks_fusion_candidates_with_its_measured_agreement(int8_judge_bundle, tiny_judge_bundle):
    from engine import Engine

    bundle, entry = twin_section(int8_judge_bundle, tiny_judge_bundle, "judge", "judge_quantization", "pick_agreement")
    assert all(0.0 <= value <= 1.0 for value in entry["pick_agreement"].values())
    assert entry["fused_by"] == "flow", "the picks are measured on the joins of the bundle's default method"
    int8, reference = LatentModel(bundle), LatentModel(bundle, int8=False)
    assert (int8.judge_role, reference.judge_role) == ("judge_int8", "judge")
    phrases = np.random.default_rng(2).integers(0, 40, (5, 128))
    assert not np.array_equal(int8.judge(phrases), reference.judge(phrases)), "the int8 graph is another graph"
    engine = Engine(bundle)
    assert engine.info()["judge"] == "int8" and Engine(bundle, int8=False).info()["judge"] == "float"
    heard = []
    judge = engine.model.judge
    engine.model.judge = lambda joins: heard.append(joins) or judge(joins)
    clip = scale_clip()
    engine.fuse(clip, clip)
    assert len(heard) == 1 and heard[0].shape == (4, 128), "fuse's picks go through the int8 judge"


@pytest.fixture(scope="module")
def int8_flow_bundle(tiny_pair_bundle, tiny_corpus, tmp_path_factory):
    from training.quantize import add_int8_flow

    return with_twins(tiny_pair_bundle, tiny_corpus, tmp_path_factory.mktemp("int8-flow"), add_int8_flow)


def test_the_int8_flow_fuses_by_the_flow_and_continuations_stay_float(int8_flow_bundle, tiny_pair_bundle):
    import onnx

    from engine import Engine, flow_fusion

    bundle, entry = twin_section(int8_flow_bundle, tiny_pair_bundle, "continuation", "flow_quantization",
                                 "fusion_agreement")
    for measured in entry["fusion_agreement"].values():
        assert 0.0 <= measured["token_agreement"] <= 1.0 and measured["latent_error_in_posterior_std"] >= 0.0
    int8, reference = LatentModel(bundle), LatentModel(bundle, int8=False)
    assert (int8.fusion_flow_role, reference.fusion_flow_role) == ("continuation_int8", "continuation")
    # The flow's unrolled steps share one network; the twin stores each int8 weight once too.
    float_graph, twin = (onnx.load(str(bundle.file(role))) for role in ("continuation", "continuation_int8"))
    matrices = [tensor for tensor in float_graph.graph.initializer if len(tensor.dims) == 2]
    int8_weights = [tensor for tensor in twin.graph.initializer
                    if tensor.data_type == onnx.TensorProto.INT8 and len(tensor.dims) == 2]
    assert len(int8_weights) == len(matrices) > 0
    rng = np.random.default_rng(3)
    left, noise, source = (rng.standard_normal((5, bundle.latent_size)).astype(np.float32) for _ in range(3))
    start = np.full((5, 1), 0.4, np.float32)
    fused, float_fused = int8.fusion_flow(left, noise, source, start), reference.fusion_flow(left, noise, source, start)
    assert not np.array_equal(fused, float_fused), "the int8 graph is another graph"
    assert np.abs(fused - float_fused).mean() < 0.2 * np.abs(float_fused - source).mean(), "and close to the float one"
    assert np.array_equal(int8.continuation_flow(left, noise), reference.continuation_flow(left, noise))
    engine = Engine(bundle)
    assert engine.info()["fuse_flow"] == "int8" and Engine(bundle, int8=False).info()["fuse_flow"] == "float"
    heard = []
    session = engine.model._sessions["continuation_int8"]
    engine.model._sessions["continuation_int8"] = type("Heard", (), {
        "run": lambda self, names, feed: heard.append(feed) or session.run(names, feed)})()
    clip = scale_clip()
    engine.fuse(clip, clip, similarity=0.3, method="flow")
    assert len(heard) == 1, "flow fusion runs on the int8 flow"
    assert np.allclose(heard[0]["start"], flow_fusion.start_time(np.float32(0.3)))


def test_re_exporting_another_flow_drops_its_stale_int8_twin(int8_flow_bundle, tmp_path):
    from training.export_pairs import export_pairs

    kept, changed = tmp_path / "kept", tmp_path / "changed"
    for copy in (kept, changed):
        shutil.copytree(int8_flow_bundle, copy)
    export_pairs(kept, None, None)
    assert "continuation_int8" in load_bundle(kept).manifest["files"], "the same flow keeps its twin"
    steps = load_bundle(changed).manifest["continuation"]["steps"]
    export_pairs(changed, None, None, flow_steps=steps + 1)
    manifest = load_bundle(changed).manifest
    assert "continuation_int8" not in manifest["files"] and "flow_quantization" not in manifest
    assert not (changed / "continuation_int8.onnx").exists()
    assert LatentModel(load_bundle(changed)).fusion_flow_role == "continuation"


@pytest.fixture(scope="module")
def int8_backward_bundle(backward_bundle, tiny_corpus, tmp_path_factory):
    from training.quantize import add_int8_backward_flow, add_int8_flow

    return with_twins(backward_bundle, tiny_corpus, tmp_path_factory.mktemp("int8-backward"), add_int8_flow,
                      add_int8_backward_flow)


def test_the_int8_backward_flow_fuses_by_both_flows_with_their_measured_agreement(int8_backward_bundle,
                                                                                 backward_bundle):
    from engine import Engine

    bundle, entry = twin_section(int8_backward_bundle, backward_bundle, "backward_flow", "backward_flow_quantization",
                                 "fusion_agreement")
    assert entry["used_by"] == ["fuse by both flows"]
    for measured in entry["fusion_agreement"].values():
        assert 0.0 <= measured["token_agreement"] <= 1.0 and measured["latent_error_in_posterior_std"] >= 0.0
    int8, reference = LatentModel(bundle), LatentModel(bundle, int8=False)
    assert (int8.backward_flow_role, reference.backward_flow_role) == ("backward_flow_int8", "backward_flow")
    rng = np.random.default_rng(5)
    right, noise, source = (rng.standard_normal((5, bundle.latent_size)).astype(np.float32) for _ in range(3))
    start = np.full((5, 1), 0.4, np.float32)
    mended, float_mended = int8.backward_flow(right, noise, source, start), reference.backward_flow(right, noise,
                                                                                                   source, start)
    assert not np.array_equal(mended, float_mended), "the int8 graph is another graph"
    assert np.abs(mended - float_mended).mean() < 0.2 * np.abs(float_mended - source).mean(), "and close to the float one"
    engine = Engine(bundle)
    assert (engine.info()["fuse_backward_flow"], Engine(bundle, int8=False).info()["fuse_backward_flow"]) == (
        "int8", "float")
    heard = []
    session = engine.model._sessions["backward_flow_int8"]
    engine.model._sessions["backward_flow_int8"] = type("Heard", (), {
        "run": lambda self, names, feed: heard.append(feed) or session.run(names, feed)})()
    clip = scale_clip()
    engine.fuse(clip, clip, similarity=0.3, method="flow-both")
    assert len(heard) == 1, "fusion by both flows mends the left clip on the int8 backward flow"
    engine.fuse(clip, clip, similarity=0.3, method="flow")
    assert len(heard) == 1, "fusion by the flow alone keeps the left clip"


def test_re_exporting_another_backward_flow_drops_its_stale_int8_twin(int8_backward_bundle, tiny_corpus, tmp_path):
    from training.config import ContinuationConfig
    from training.export_backward_flow import export_backward_flow
    from training.pair_runs import train_continuation

    bundle = tmp_path / "tiny"
    shutil.copytree(int8_backward_bundle, bundle)
    train_continuation(ContinuationConfig(steps=4, batch_size=16, hidden=32, eval_every=2, transpositions=2,
                                          condition_dropout=0.2, backward=True, seed=1), tiny_corpus, bundle,
                       tmp_path / "other")
    export_backward_flow(bundle, tmp_path / "other" / "best.pt")
    manifest = load_bundle(bundle).manifest
    assert "backward_flow_int8" not in manifest["files"] and "backward_flow_quantization" not in manifest
    assert not (bundle / "backward_flow_int8.onnx").exists()
    assert "continuation_int8" in manifest["files"], "the forward flow's twin is still its own"
    assert LatentModel(load_bundle(bundle)).backward_flow_role == "backward_flow"


def test_a_bundle_without_a_judge_gets_no_judge_twin(int8_bundle):
    bundle = load_bundle(int8_bundle)
    assert "judge_int8" not in bundle.manifest["files"] and LatentModel(bundle).judge_role is None


@pytest.mark.parametrize("graph", ["decoder_int8", "encoder_int8", "judge_int8", "continuation_int8",
                                   "backward_flow_int8"])
def test_quantizing_twice_gives_the_same_files(int8_bundle, int8_judge_bundle, int8_flow_bundle, int8_backward_bundle,
                                               tiny_corpus, tmp_path, graph):
    from training.quantize import (
        add_int8_backward_flow,
        add_int8_decoder,
        add_int8_encoder,
        add_int8_flow,
        add_int8_judge,
    )

    source = {"judge_int8": int8_judge_bundle, "continuation_int8": int8_flow_bundle,
              "backward_flow_int8": int8_backward_bundle}.get(graph, int8_bundle)
    again = tmp_path / "again"
    shutil.copytree(source, again)
    {"decoder_int8": add_int8_decoder, "encoder_int8": add_int8_encoder, "judge_int8": add_int8_judge,
     "continuation_int8": add_int8_flow, "backward_flow_int8": add_int8_backward_flow}[graph](again, tiny_corpus)
    assert (again / f"{graph}.onnx").read_bytes() == (source / f"{graph}.onnx").read_bytes()


@pytest.mark.parametrize("role,section", [("decoder", "quantization"), ("encoder", "encoder_quantization"),
                                          ("judge", "judge_quantization"), ("continuation", "flow_quantization"),
                                          ("backward_flow", "backward_flow_quantization")])
def test_an_int8_twin_made_from_another_graph_is_refused(int8_bundle, int8_judge_bundle, int8_flow_bundle,
                                                         int8_backward_bundle, tmp_path, role, section):
    stale = tmp_path / "stale"
    shutil.copytree({"judge": int8_judge_bundle, "continuation": int8_flow_bundle,
                     "backward_flow": int8_backward_bundle}.get(role, int8_bundle), stale)
    manifest = json.loads((stale / "manifest.json").read_text())
    manifest[section][f"{role}_sha256"] = "0" * 64
    (stale / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(BundleError, match=f"{role}_int8 was quantized from another {role}.*training quantize"):
        load_bundle(stale)


def test_the_shipped_engine_plays_the_int8_decoder_picks_with_the_int8_judge_and_fuses_by_the_int8_flows():
    from engine import Engine

    bundle = load_bundle()
    assert LatentModel(bundle).decoder_role == "decoder_int8"
    assert Engine(bundle).info()["decoder"] == "int8" and Engine(bundle, int8=False).info()["decoder"] == "float"
    assert min(bundle.manifest["quantization"]["token_agreement"].values()) > 0.9
    assert LatentModel(bundle).judge_role == "judge_int8" and Engine(bundle).info()["judge"] == "int8"
    assert min(bundle.manifest["judge_quantization"]["pick_agreement"].values()) > 0.9
    assert bundle.manifest["judge_quantization"]["fused_by"] == Engine(bundle).info()["fusion"]["method"]
    assert LatentModel(bundle).fusion_flow_role == "continuation_int8" and Engine(bundle).info()["fuse_flow"] == "int8"
    flow_agreement = bundle.manifest["flow_quantization"]["fusion_agreement"].values()
    assert min(entry["token_agreement"] for entry in flow_agreement) > 0.9
    assert LatentModel(bundle).backward_flow_role == "backward_flow_int8"
    assert Engine(bundle).info()["fuse_backward_flow"] == "int8"
    both_agreement = bundle.manifest["backward_flow_quantization"]["fusion_agreement"].values()
    assert min(entry["token_agreement"] for entry in both_agreement) > 0.9


def test_quantize_on_a_missing_bundle_is_one_line_and_exit_2(tmp_path, capsys):
    from training.cli import main

    assert main(["quantize", "--bundle", str(tmp_path / "nowhere")]) == 2
    assert "no such directory" in capsys.readouterr().err
