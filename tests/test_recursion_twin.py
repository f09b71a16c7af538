"""The recursion twin: a narrower encoder and decoder trained to copy the bundle's, which `refine`
runs on when the bundle has one, and whose encoder encodes `fuse`'s clips; every other op, and the
float reference, keep the bundle's own."""
import json
import shutil

import numpy as np
import pytest

from engine.bundle import BundleError, load_bundle
from engine.latent import LatentModel


@pytest.fixture(scope="module")
def twin_run(tiny_bundle, tiny_corpus, tmp_path_factory):
    from training.config import RecursionTwinConfig
    from training.recursion_twin import train_recursion_twin

    run = tmp_path_factory.mktemp("twin-run")
    train_recursion_twin(RecursionTwinConfig(steps=3, channels=(8, 8, 8, 8, 8)), tiny_bundle, tiny_corpus, run, None)
    return run


def bundle_with_twin(bundle, twin_run, tiny_corpus, tmp_path_factory):
    """A copy of ``bundle`` with the twin of ``twin_run`` exported into it."""
    from training.export_twin import export_recursion_twin

    copy = tmp_path_factory.mktemp("twin") / bundle.name
    shutil.copytree(bundle, copy)
    export_recursion_twin(copy, twin_run / "best.pt", tiny_corpus)
    return copy


@pytest.fixture(scope="module")
def twin_bundle(tiny_bundle, twin_run, tiny_corpus, tmp_path_factory):
    return bundle_with_twin(tiny_bundle, twin_run, tiny_corpus, tmp_path_factory)


@pytest.fixture(scope="module")
def twin_pair_bundle(tiny_pair_bundle, twin_run, tiny_corpus, tmp_path_factory):
    """The tiny pair bundle (same encoder and decoder as the tiny bundle) with the twin."""
    return bundle_with_twin(tiny_pair_bundle, twin_run, tiny_corpus, tmp_path_factory)


def test_export_adds_the_twin_with_what_it_copies_and_its_measured_agreement(twin_bundle, tiny_bundle):
    manifest = load_bundle(twin_bundle).manifest
    section, shipped = manifest["recursion_twin"], load_bundle(tiny_bundle).manifest["files"]
    assert (section["encoder_sha256"], section["decoder_sha256"]) == (shipped["encoder"]["sha256"],
                                                                      shipped["decoder"]["sha256"])
    assert {"recursion_encoder", "recursion_decoder"} <= set(manifest["files"])
    assert section["channels"] == [8] * 5 and section["training"]["steps"] == 3
    assert section["parity"]["decoded_token_mismatches"] == 0
    compared = section["against_float"]
    assert set(compared) == {"float", "int8 twins", "recursion twin"}
    assert compared["float"]["step_token_agreement"] == compared["float"]["refine_last_step_as_float"] == 1.0
    for figures in compared.values():
        assert 1 <= figures["refine_mean_steps"] <= 8
        assert all(0.0 <= figures[name] <= 1.0 for name in ("step_token_agreement", "step_reconstruction",
                                                            "refine_fixed_points", "refine_last_step_as_float",
                                                            "refine_last_step_token_agreement"))


def test_refine_runs_on_the_twin_and_encode_on_the_bundles_own_encoder(twin_bundle):
    from engine import Engine, grid, parse_clip

    bundle = load_bundle(twin_bundle)
    twin, reference = LatentModel(bundle), LatentModel(bundle, int8=False)
    assert (twin.recursion_encoder_role, twin.recursion_decoder_role) == ("recursion_encoder", "recursion_decoder")
    assert LatentModel(bundle, recursion_twin=False).recursion_encoder_role == "encoder"
    windows = np.random.default_rng(1).integers(0, 40, (3, 64))
    assert not np.array_equal(twin.recursion_mean(windows), twin.encode(windows)[0]), "another encoder"
    assert np.array_equal(twin.encode(windows)[0], reference.encode(windows)[0]), "encode stays the bundle's"
    assert Engine(bundle).info()["recursion"] == "twin"
    assert Engine(bundle, int8=False).info()["recursion"] == Engine(bundle, recursion_twin=False).info()["recursion"] \
        == "float encoder"
    clip = parse_clip({"length": 16, "notes": [{"pitch": 60 + i, "start_time": i, "duration": 1} for i in range(16)]})
    prepared = grid.prepare(clip, [])
    steps = Engine(bundle).refine(clip, max_iterations=2).clips
    assert steps[0] == grid.to_clip(twin.recode(prepared.tokens), clip.length, prepared.shift, (prepared,))
    untwinned = Engine(bundle, recursion_twin=False).refine(clip, max_iterations=2).clips
    assert untwinned[0] == grid.to_clip(reference.recode(prepared.tokens), clip.length, prepared.shift, (prepared,))


def test_fuse_encodes_its_clips_on_the_twin_and_on_the_encoder_without_it(twin_pair_bundle, monkeypatch):
    from engine import Engine, parse_clip

    bundle = load_bundle(twin_pair_bundle)
    twinned, untwinned = Engine(bundle), Engine(bundle, recursion_twin=False)
    assert (twinned.info()["fuse_encoder"], untwinned.info()["fuse_encoder"]) == ("twin", "float")
    windows = np.random.default_rng(2).integers(0, 40, (3, 64))
    assert np.array_equal(twinned.model.fusion_encode(windows)[0], twinned.model.recursion_mean(windows))
    assert np.array_equal(untwinned.model.fusion_encode(windows)[0], untwinned.model.encode(windows)[0])
    assert not np.array_equal(twinned.model.fusion_encode(windows)[0], twinned.model.encode(windows)[0])
    left, right = (parse_clip({"length": 16, "notes": [{"pitch": low + (i % 5), "start_time": i, "duration": 1}
                                                       for i in range(16)]}) for low in (60, 67))
    for engine in (twinned, untwinned):
        heard = []
        encode = engine.model.fusion_encode
        monkeypatch.setattr(engine.model, "fusion_encode",
                            lambda tokens, encode=encode: heard.append(tokens) or encode(tokens))
        engine.fuse(left, right)
        assert len(heard) == 1 and len(heard[0]) == 2, "both clips, in one call"


@pytest.mark.parametrize("role", ["encoder", "decoder"])
def test_a_twin_of_another_model_is_refused(twin_bundle, tmp_path, role):
    stale = tmp_path / "stale"
    shutil.copytree(twin_bundle, stale)
    manifest = json.loads((stale / "manifest.json").read_text())
    manifest["recursion_twin"][f"{role}_sha256"] = "0" * 64
    (stale / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(BundleError, match=f"recursion twin copies another {role}.*training recursion-twin"):
        load_bundle(stale)


def test_half_a_twin_is_refused(twin_bundle, tmp_path):
    half = tmp_path / "half"
    shutil.copytree(twin_bundle, half)
    manifest = json.loads((half / "manifest.json").read_text())
    del manifest["files"]["recursion_decoder"]
    (half / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(BundleError, match="recursion twin lacks its decoder"):
        load_bundle(half)


def test_the_recursion_stops_at_a_fixed_point():
    from engine.latent_tools import recursion_steps

    settle = iter([np.array([[5, 1]]), np.array([[6, 1]]), np.array([[6, 1]]), np.array([[7, 1]])])
    steps, fixed = recursion_steps(lambda tokens: next(settle), np.array([[4, 1]]), 8)
    assert fixed and [s.tolist() for s in steps] == [[[5, 1]], [[6, 1]], [[6, 1]]]
    steps, fixed = recursion_steps(lambda tokens: tokens + 1, np.array([[4, 1]]), 3)
    assert not fixed and len(steps) == 3


def test_a_stopped_twin_run_resumes_where_it_stopped(tiny_bundle, tiny_corpus, tmp_path, capsys):
    import torch

    from training.config import RecursionTwinConfig
    from training.recursion_twin import train_recursion_twin, twin_from_checkpoint

    settings = RecursionTwinConfig(steps=3, channels=(8, 8, 8, 8, 8))
    train_recursion_twin(settings, tiny_bundle, tiny_corpus, tmp_path, max_minutes=0)
    assert torch.load(tmp_path / "last.pt", weights_only=False)["step"] == 1
    capsys.readouterr()
    train_recursion_twin(settings, tiny_bundle, tiny_corpus, tmp_path, max_minutes=None)
    assert "last.pt at step 1" in capsys.readouterr().out
    assert torch.load(tmp_path / "last.pt", weights_only=False)["step"] == 3
    assert twin_from_checkpoint(tmp_path / "last.pt").config.channels == (8, 8, 8, 8, 8)
    with pytest.raises(SystemExit, match="other settings"):
        train_recursion_twin(RecursionTwinConfig(steps=3, channels=(8, 8, 8, 8, 16)), tiny_bundle, tiny_corpus,
                             tmp_path, max_minutes=None)


def test_a_start_or_export_from_the_wrong_checkpoint_says_which(tiny_bundle, tiny_corpus, tmp_path, twin_bundle):
    from training.config import RecursionTwinConfig
    from training.export_twin import export_recursion_twin
    from training.recursion_twin import train_recursion_twin

    vae = load_bundle(tiny_bundle).manifest["training"]["checkpoint"]
    with pytest.raises(SystemExit, match="not a VAE checkpoint with the twin's settings.*--channels 8,8,8,8,8"):
        train_recursion_twin(RecursionTwinConfig(steps=1, channels=(8, 8, 8, 8, 8), start=vae), tiny_bundle,
                             tiny_corpus, tmp_path / "run", None)
    before = (twin_bundle / "manifest.json").read_bytes()
    with pytest.raises(SystemExit, match="not a recursion-twin checkpoint"):
        export_recursion_twin(twin_bundle, vae, tiny_corpus)
    assert (twin_bundle / "manifest.json").read_bytes() == before, "the bundle is left as it was"


def test_channel_widths_on_the_command_line_get_one_clear_message(capsys):
    from training.cli import build_parser

    assert build_parser().parse_args(["recursion-twin", "--channels", "8,16"]).channels == [8, 16]
    for text, message in (("8,x", "comma-separated whole numbers"), ("0,8", "widths must be 1 or more")):
        with pytest.raises(SystemExit):
            build_parser().parse_args(["recursion-twin", "--channels", text])
        assert message in capsys.readouterr().err


def test_a_twin_of_another_bundle_is_not_exported_into_this_one(twin_bundle, tiny_corpus, tmp_path):
    import torch

    from training.export_twin import export_recursion_twin

    checkpoint = load_bundle(twin_bundle).manifest["recursion_twin"]["training"]["checkpoint"]
    saved = torch.load(checkpoint, weights_only=False)
    saved["settings"]["teacher_decoder"] = "0" * 64
    other = tmp_path / "other.pt"
    torch.save(saved, other)
    before = (twin_bundle / "manifest.json").read_bytes()
    with pytest.raises(SystemExit, match="copies another decoder than .*training recursion-twin --bundle"):
        export_recursion_twin(twin_bundle, other, tiny_corpus)
    assert (twin_bundle / "manifest.json").read_bytes() == before


def test_quantizing_the_encoder_beside_a_twin_measures_the_int8_encoder(twin_bundle, tiny_corpus, tmp_path):
    from training.quantize import add_int8_encoder, encoder_agreement, sample_windows

    bundle = tmp_path / "tiny"
    shutil.copytree(twin_bundle, bundle)
    entry = add_int8_encoder(bundle, tiny_corpus)
    test_windows = sample_windows(tiny_corpus)["test"]
    int8_encoder = LatentModel(load_bundle(bundle), recursion_twin=False)
    assert int8_encoder.recursion_encoder_role == "encoder_int8"
    assert entry == load_bundle(bundle).manifest["encoder_quantization"]
    assert {key: entry[key] for key in ("latent_error_in_posterior_std", "step_token_agreement")} == {
        key: encoder_agreement(int8_encoder, test_windows)[key]
        for key in ("latent_error_in_posterior_std", "step_token_agreement")}
