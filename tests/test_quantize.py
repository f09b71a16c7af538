"""The int8 decoder: `python -m training quantize` adds it, the engine plays it, the float one stays the reference."""
import json
import shutil

import numpy as np
import pytest

from engine.bundle import BundleError, load_bundle
from engine.latent import LatentModel


@pytest.fixture(scope="module")
def int8_bundle(tiny_bundle, tiny_corpus, tmp_path_factory):
    from training.quantize import add_int8_decoder

    bundle = tmp_path_factory.mktemp("int8") / "tiny"
    shutil.copytree(tiny_bundle, bundle)
    add_int8_decoder(bundle, tiny_corpus)
    return bundle


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


def test_quantizing_twice_gives_the_same_file(int8_bundle, tiny_corpus, tmp_path):
    from training.quantize import add_int8_decoder

    again = tmp_path / "again"
    shutil.copytree(int8_bundle, again)
    add_int8_decoder(again, tiny_corpus)
    assert (again / "decoder_int8.onnx").read_bytes() == (int8_bundle / "decoder_int8.onnx").read_bytes()


def test_an_int8_decoder_made_from_another_decoder_is_refused(int8_bundle, tmp_path):
    stale = tmp_path / "stale"
    shutil.copytree(int8_bundle, stale)
    manifest = json.loads((stale / "manifest.json").read_text())
    manifest["quantization"]["decoder_sha256"] = "0" * 64
    (stale / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(BundleError, match="quantized from another decoder.*training quantize"):
        load_bundle(stale)


def test_the_shipped_engine_plays_the_int8_decoder():
    from engine import Engine

    bundle = load_bundle()
    assert LatentModel(bundle).decoder_role == "decoder_int8"
    assert Engine(bundle).info()["decoder"] == "int8" and Engine(bundle, int8=False).info()["decoder"] == "float"
    assert min(bundle.manifest["quantization"]["token_agreement"].values()) > 0.9


def test_quantize_on_a_missing_bundle_is_one_line_and_exit_2(tmp_path, capsys):
    from training.cli import main

    assert main(["quantize", "--bundle", str(tmp_path / "nowhere")]) == 2
    assert "no such directory" in capsys.readouterr().err
