"""ONNX export: parity with PyTorch, manifest contents, and an engine that needs no torch."""
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from engine.attributes import ATTRIBUTES
from engine.bundle import load_bundle
from engine.latent import LatentModel
from training.export import ParityError, check_parity, load_checkpoint


def test_export_writes_a_valid_bundle(tiny_bundle):
    bundle = load_bundle(tiny_bundle)
    assert [f.name for f in bundle.faders] == list(ATTRIBUTES)
    assert [g.name for g in bundle.genres] == ["folk", "celtic", "chorale"]
    manifest = bundle.manifest
    assert manifest["parity"]["decoded_token_mismatches"] == 0
    assert manifest["parity"]["encoder_max_abs_error"] <= 1e-4
    assert manifest["training"]["steps"] == 6
    for fader in bundle.faders:
        assert np.all(np.diff(fader.value_points) >= 0)


def test_onnx_greedy_decoding_matches_torch_on_fixed_seeds(tiny_bundle, tmp_path):
    latent = LatentModel(load_bundle(tiny_bundle))
    z = np.random.default_rng(7).standard_normal((32, latent.latent_size)).astype(np.float32)
    tokens = latent.decode(z)
    assert tokens.shape == (32, 64)
    again = latent.decode(z)
    assert np.array_equal(tokens, again)


def test_parity_check_catches_a_different_model(tiny_bundle, tiny_config, tiny_corpus, tmp_path):
    from training.train import Trainer

    Trainer(tiny_config, tiny_corpus, tmp_path).run()
    model, _ = load_checkpoint(tmp_path / "last.pt")
    with torch.no_grad():
        for parameter in model.decoder.parameters():
            parameter.add_(torch.randn_like(parameter))
    test = tiny_corpus.windows[:16].astype(np.int64)
    try:
        check_parity(model, tiny_bundle, test)
    except ParityError as error:
        assert "parity failed" in str(error)
    else:
        raise AssertionError("a perturbed model passed the parity check")


def test_engine_runs_a_bundle_without_importing_torch(tiny_bundle):
    code = (
        "import sys, numpy as np\n"
        "from engine.bundle import load_bundle\n"
        "from engine.latent import LatentModel\n"
        f"m = LatentModel(load_bundle({str(tiny_bundle)!r}))\n"
        "mean, _ = m.encode(np.zeros((1, 64), dtype=np.int64))\n"
        "print(m.decode(mean).shape)\n"
        "assert 'torch' not in sys.modules, 'engine imported torch'\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "(1, 64)"


def test_manifest_is_plain_json_with_checksums(tiny_bundle):
    manifest = json.loads((tiny_bundle / "manifest.json").read_text())
    assert set(manifest["files"]) == {"encoder", "decoder", "training_log"}
    assert all(len(entry["sha256"]) == 64 for entry in manifest["files"].values())


def test_eager_model_rebuilt_from_the_bundle_matches_onnx(tiny_bundle):
    from training.export import torch_model_from_bundle

    model = torch_model_from_bundle(tiny_bundle)
    latent = LatentModel(load_bundle(tiny_bundle))
    z = np.random.default_rng(1).standard_normal((16, latent.latent_size)).astype(np.float32)
    with torch.no_grad():
        eager = model.decode(torch.from_numpy(z)).numpy()
    assert np.abs(eager - latent.decode_logits(z)).max() < 1e-3


def test_planar_twin_computes_the_same_function(tiny_config):
    from training.models import MelodyVAE, to_planar

    model = MelodyVAE(tiny_config.model).eval()
    tokens = torch.randint(0, 50, (3, 64))
    z = torch.randn(3, tiny_config.model.latent_size)
    with torch.no_grad():
        for original, planar in zip(model.encoder(tokens), to_planar(model.encoder)(tokens)):
            assert torch.allclose(original, planar, atol=1e-5)
        assert torch.allclose(model.decoder(z), to_planar(model.decoder)(z), atol=1e-5)
    assert any(isinstance(m, torch.nn.Conv2d) for m in to_planar(model.decoder).modules())


def test_polyphase_upsampling_is_the_transposed_convolution_and_inverts():
    from training.models import PolyphaseUpsample

    layer = torch.nn.ConvTranspose1d(5, 7, 4, stride=2, padding=1)
    upsample = PolyphaseUpsample(layer)
    x = torch.randn(2, 5, 9)
    with torch.no_grad():
        assert torch.allclose(layer(x), upsample(x.unsqueeze(2)).squeeze(2), atol=1e-5)
    weight, bias = PolyphaseUpsample.transposed(upsample.weight.detach(), upsample.bias.detach())
    assert torch.equal(weight, layer.weight.detach()) and torch.equal(bias, layer.bias.detach())
    with pytest.raises(ValueError, match="kernel 4, stride 2"):
        PolyphaseUpsample(torch.nn.ConvTranspose1d(5, 7, 3, stride=2, padding=1))


def test_exported_decoder_reshapes_with_constants(tiny_bundle):
    """Run-time shape arithmetic cost a few percent of a decode; the planar decoder knows its lengths."""
    import onnx

    ops = {node.op_type for node in onnx.load(str(tiny_bundle / "decoder.onnx")).graph.node}
    assert "Reshape" in ops and "Shape" not in ops


def test_weights_ship_as_float16_and_unrounded_weights_are_refused(tiny_bundle, tiny_config, tmp_path):
    import onnx

    from training.export import export_onnx
    from training.models import MelodyVAE

    stored = onnx.load(str(tiny_bundle / "decoder.onnx")).graph.initializer
    assert sum(i.data_type == onnx.TensorProto.FLOAT16 for i in stored) > 10
    with pytest.raises(ValueError, match="not float16-exact"):
        export_onnx(MelodyVAE(tiny_config.model).eval(), tmp_path)


def test_batch_norm_recalibration_replaces_skewed_running_statistics(tiny_config, tiny_corpus):
    from dataclasses import replace

    from training.export import recalibrate_batch_norm
    from training.models import MelodyVAE

    model = MelodyVAE(tiny_config.model)
    norms = [m for m in model.modules() if isinstance(m, torch.nn.BatchNorm1d)]
    for norm in norms:
        norm.running_mean.fill_(1e3)
    used = recalibrate_batch_norm(model, tiny_corpus.windows.astype(np.int64), batches=3, batch_size=32)
    assert used == 96 and not model.training
    assert all(norm.running_mean.abs().max() < 100 and norm.momentum == 0.1 for norm in norms)
    real_only = [norm.running_var.clone() for norm in norms]
    # Invented fader values far out widen the decoder's activations in training; the statistics must follow.
    recalibrate_batch_norm(model, tiny_corpus.windows.astype(np.int64), replace(tiny_config, swap_reach=20.0),
                           batches=3, batch_size=32)
    assert not torch.equal(norms[-1].running_var, real_only[-1])


def test_exporting_a_checkpoint_twice_writes_the_same_model_files(tiny_bundle, tiny_corpus, tmp_path):
    """Batch-norm recalibration samples posterior noise; unseeded, every export shipped another decoder."""
    from training.export import export_bundle

    first = json.loads((tiny_bundle / "manifest.json").read_text())
    manifest = export_bundle(Path(first["training"]["checkpoint"]), tiny_corpus, tmp_path / "again", "tiny")
    for role in ("encoder", "decoder"):
        assert manifest["files"][role]["sha256"] == first["files"][role]["sha256"]


def test_a_decoder_finetune_exports_the_same_encoder_and_both_training_logs(tiny_config, tiny_corpus, tmp_path):
    """Pair models trained in the starting bundle's latent space stay valid only if the encoder
    file is the same, byte for byte; the bundle records where the fine-tune started."""
    from dataclasses import replace

    from training.evaluate import plot_losses
    from training.export import export_bundle
    from training.train import Trainer

    start = tmp_path / "start"
    Trainer(tiny_config, tiny_corpus, start).run()
    export_bundle(start / "last.pt", tiny_corpus, tmp_path / "before", "tiny")
    tuned = tmp_path / "tuned"
    Trainer(replace(tiny_config, finetune_decoder=str(start / "last.pt")), tiny_corpus, tuned).run()
    manifest = export_bundle(tuned / "last.pt", tiny_corpus, tmp_path / "after", "tiny")
    before = json.loads((tmp_path / "before" / "manifest.json").read_text())
    assert manifest["files"]["encoder"]["sha256"] == before["files"]["encoder"]["sha256"]
    assert manifest["files"]["decoder"]["sha256"] != before["files"]["decoder"]["sha256"]
    assert manifest["training"]["started_from"]["steps"] == tiny_config.steps
    assert {"training_log", "pretraining_log"} <= set(manifest["files"])
    plot_losses(tmp_path / "after" / "training_log.jsonl", tmp_path / "losses.png")
    assert (tmp_path / "losses.png").stat().st_size > 0
