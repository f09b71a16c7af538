"""Bundle validation: every way a bundle can be broken gives one clear BundleError."""
import json
import shutil

import pytest

from engine.bundle import BundleError, load_bundle
from engine.latent import LatentModel


@pytest.fixture
def bundle_copy(tiny_bundle, tmp_path):
    target = tmp_path / "bundle"
    shutil.copytree(tiny_bundle, target)
    return target


def edit_manifest(path, change):
    manifest = json.loads((path / "manifest.json").read_text())
    change(manifest)
    (path / "manifest.json").write_text(json.dumps(manifest))


def test_missing_directory(tmp_path):
    with pytest.raises(BundleError, match="no such directory"):
        load_bundle(tmp_path / "nowhere")


def test_missing_manifest(bundle_copy):
    (bundle_copy / "manifest.json").unlink()
    with pytest.raises(BundleError, match="manifest.json is missing"):
        load_bundle(bundle_copy)


def test_manifest_that_is_not_json(bundle_copy):
    (bundle_copy / "manifest.json").write_text("{not json")
    with pytest.raises(BundleError, match="not valid JSON"):
        load_bundle(bundle_copy)


def test_corrupt_onnx_file(bundle_copy):
    with (bundle_copy / "decoder.onnx").open("r+b") as handle:
        handle.seek(100)
        handle.write(b"\x00\x01\x02\x03")
    with pytest.raises(BundleError, match="decoder file decoder.onnx is corrupt"):
        load_bundle(bundle_copy)


def test_missing_onnx_file(bundle_copy):
    (bundle_copy / "encoder.onnx").unlink()
    with pytest.raises(BundleError, match="encoder file encoder.onnx is missing"):
        load_bundle(bundle_copy)


def test_unsupported_format_version(bundle_copy):
    edit_manifest(bundle_copy, lambda m: m.update(format_version=99))
    with pytest.raises(BundleError, match="format version 99 is not supported"):
        load_bundle(bundle_copy)


def test_mismatched_token_scheme(bundle_copy):
    edit_manifest(bundle_copy, lambda m: m["tokens"].update(pitch_min=36))
    with pytest.raises(BundleError, match="token scheme .* does not match"):
        load_bundle(bundle_copy)


def test_fader_index_outside_the_latent(bundle_copy):
    edit_manifest(bundle_copy, lambda m: m["faders"][0].update(index=10_000))
    with pytest.raises(BundleError, match="fader 'density' index out of range"):
        load_bundle(bundle_copy)


def test_garbage_that_passes_checksums_fails_to_load(bundle_copy):
    from engine.bundle import sha256_of

    (bundle_copy / "decoder.onnx").write_bytes(b"not an onnx graph")
    edit_manifest(bundle_copy, lambda m: m["files"]["decoder"].update(sha256=sha256_of(bundle_copy / "decoder.onnx")))
    with pytest.raises(BundleError, match="ONNX file could not be loaded"):
        LatentModel(load_bundle(bundle_copy))


def test_shipped_default_bundle_loads_and_verifies():
    bundle = load_bundle()
    model = LatentModel(bundle)
    assert model.decode(bundle.genres[0].mean).shape == (1, 64)
    assert bundle.manifest["metrics"], "the shipped bundle carries its evaluation"


def test_shipped_default_bundle_fuses_and_continues():
    from engine import Engine, parse_clip

    engine = Engine()
    clip = parse_clip({"length": 16, "notes": [{"pitch": 62 + (i * 5) % 12, "start_time": i, "duration": 1,
                                                "velocity": 90} for i in range(16)]})
    assert {"fusion", "continuation"} <= set(engine.bundle.manifest["files"])
    assert engine.fuse(clip, clip).clip.length == 32
    continued = engine.continuation(clip, bars=8, seed=1).clips[0]
    assert continued.length == 32 and continued.notes


def test_shipped_default_bundle_blends_every_pair_of_genres_through_a_generator():
    from itertools import combinations

    from engine import Engine

    engine = Engine()
    names = [g.name for g in engine.bundle.genres]
    for pair in combinations(names, 2):
        assert engine.bundle.genre_fusion(set(pair)) is not None, pair
        clip = engine.generate(genre={pair[0]: 0.3, pair[1]: 0.7}, seed=3).clips[0]
        assert clip.notes, pair


def test_shipped_default_bundle_refines_on_its_recursion_twin():
    from engine import Engine, parse_clip

    engine = Engine()
    assert engine.info()["recursion"] == "twin"
    clip = parse_clip({"length": 16, "notes": [{"pitch": 60 + (i * 7) % 12, "start_time": i, "duration": 1}
                                               for i in range(16)]})
    refined = engine.refine(clip)
    assert 1 <= len(refined.clips) <= 8 and all(step.notes for step in refined.clips)
