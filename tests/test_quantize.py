"""The int8 twins: `python -m training quantize` adds them; the engine plays the int8 decoder, runs
refine's recursion on the int8 encoder and picks fusion candidates with the int8 judge; the float
graphs stay the reference."""
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


@pytest.fixture(scope="module")
def int8_judge_bundle(tiny_judge_bundle, tiny_corpus, tmp_path_factory):
    from training.quantize import add_int8_judge

    return with_twins(tiny_judge_bundle, tiny_corpus, tmp_path_factory.mktemp("int8-judge"), add_int8_judge)


def test_the_int8_judge_picks_fusion_candidates_with_its_measured_agreement(int8_judge_bundle, tiny_judge_bundle):
    from engine import Engine, parse_clip
    from training.quantize import PICK_SIMILARITIES

    bundle = load_bundle(int8_judge_bundle)
    entry = bundle.manifest["judge_quantization"]
    assert entry["judge_sha256"] == load_bundle(tiny_judge_bundle).manifest["files"]["judge"]["sha256"]
    assert set(entry["pick_agreement"]) == {f"similarity={s:g}" for s in PICK_SIMILARITIES}
    assert all(0.0 <= value <= 1.0 for value in entry["pick_agreement"].values())
    int8, reference = LatentModel(bundle), LatentModel(bundle, int8=False)
    assert (int8.judge_role, reference.judge_role) == ("judge_int8", "judge")
    phrases = np.random.default_rng(2).integers(0, 40, (5, 128))
    assert not np.array_equal(int8.judge(phrases), reference.judge(phrases)), "the int8 graph is another graph"
    engine = Engine(bundle)
    assert engine.info()["judge"] == "int8" and Engine(bundle, int8=False).info()["judge"] == "float"
    heard = []
    judge = engine.model.judge
    engine.model.judge = lambda joins: heard.append(joins) or judge(joins)
    clip = parse_clip({"length": 16, "notes": [{"pitch": 60 + i % 7, "start_time": i, "duration": 1} for i in range(16)]})
    engine.fuse(clip, clip)
    assert len(heard) == 1 and heard[0].shape == (4, 128), "fuse's picks go through the int8 judge"


def test_a_bundle_without_a_judge_gets_no_judge_twin(int8_bundle):
    bundle = load_bundle(int8_bundle)
    assert "judge_int8" not in bundle.manifest["files"] and LatentModel(bundle).judge_role is None


@pytest.mark.parametrize("graph", ["decoder_int8", "encoder_int8", "judge_int8"])
def test_quantizing_twice_gives_the_same_files(int8_bundle, int8_judge_bundle, tiny_corpus, tmp_path, graph):
    from training.quantize import add_int8_decoder, add_int8_encoder, add_int8_judge

    source = int8_judge_bundle if graph == "judge_int8" else int8_bundle
    again = tmp_path / "again"
    shutil.copytree(source, again)
    {"decoder_int8": add_int8_decoder, "encoder_int8": add_int8_encoder, "judge_int8": add_int8_judge}[graph](
        again, tiny_corpus)
    assert (again / f"{graph}.onnx").read_bytes() == (source / f"{graph}.onnx").read_bytes()


@pytest.mark.parametrize("role,section", [("decoder", "quantization"), ("encoder", "encoder_quantization"),
                                          ("judge", "judge_quantization")])
def test_an_int8_twin_made_from_another_graph_is_refused(int8_bundle, int8_judge_bundle, tmp_path, role, section):
    stale = tmp_path / "stale"
    shutil.copytree(int8_judge_bundle if role == "judge" else int8_bundle, stale)
    manifest = json.loads((stale / "manifest.json").read_text())
    manifest[section][f"{role}_sha256"] = "0" * 64
    (stale / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(BundleError, match=f"{role}_int8 was quantized from another {role}.*training quantize"):
        load_bundle(stale)


def test_the_shipped_engine_plays_the_int8_decoder_and_picks_with_the_int8_judge():
    from engine import Engine

    bundle = load_bundle()
    assert LatentModel(bundle).decoder_role == "decoder_int8"
    assert Engine(bundle).info()["decoder"] == "int8" and Engine(bundle, int8=False).info()["decoder"] == "float"
    assert min(bundle.manifest["quantization"]["token_agreement"].values()) > 0.9
    assert LatentModel(bundle).judge_role == "judge_int8" and Engine(bundle).info()["judge"] == "int8"
    assert min(bundle.manifest["judge_quantization"]["pick_agreement"].values()) > 0.9


def test_quantize_on_a_missing_bundle_is_one_line_and_exit_2(tmp_path, capsys):
    from training.cli import main

    assert main(["quantize", "--bundle", str(tmp_path / "nowhere")]) == 2
    assert "no such directory" in capsys.readouterr().err
