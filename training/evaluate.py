"""``python -m training evaluate``: the latent-model protocols of metrics.md -> JSON + PNG.

Runs on a torch checkpoint or on an exported bundle (through the engine, so what ships
is what is measured), always on the test split unless a protocol says otherwise.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Protocol

import numpy as np

from engine.attributes import ATTRIBUTES, measure
from training import metrics
from training.corpus import GENRES, Corpus

SLIDE_STEPS = 8
FADER_WINDOWS = 100
INTERPOLATION_PAIRS = 256
PRIOR_SAMPLES = 512


class Backend(Protocol):
    """What evaluation needs of a model."""

    fader_index: list[int]
    prior_means: np.ndarray

    def encode(self, tokens: np.ndarray) -> tuple[np.ndarray, np.ndarray]: ...

    def decode_logits(self, z: np.ndarray) -> np.ndarray: ...


class TorchBackend:
    """A training checkpoint, evaluated in torch."""

    def __init__(self, checkpoint: Path) -> None:
        import torch

        from training.models import MelodyVAE
        from training.config import TrainConfig
        from training.train import FADER_INDEX

        state = torch.load(checkpoint, weights_only=False)
        self._torch = torch
        self.model = MelodyVAE(TrainConfig.from_dict(state["train_config"]).model)
        self.model.load_state_dict(state["model"])
        self.model.eval()
        self.fader_index = FADER_INDEX
        self.prior_means = self.model.prior_means.detach().numpy()

    def encode(self, tokens: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Posterior mean and log-variance."""
        with self._torch.no_grad():
            mean, logvar = self.model.encoder(self._torch.from_numpy(np.asarray(tokens, dtype=np.int64)))
        return mean.numpy(), logvar.numpy()

    def decode_logits(self, z: np.ndarray) -> np.ndarray:
        """Greedy-decodable logits (autoregressive decoders feed back their argmax)."""
        with self._torch.no_grad():
            return self.model.decode(self._torch.from_numpy(np.asarray(z, dtype=np.float32))).numpy()


class BundleBackend:
    """An exported bundle, evaluated through the engine's ONNX Runtime sessions."""

    def __init__(self, path: Path, fusion: bool = False) -> None:
        """The bundle at ``path``; with ``fusion`` it encodes as the engine's ``fuse`` does."""
        from engine.bundle import load_bundle
        from engine.latent import LatentModel

        bundle = load_bundle(path)
        self.model = LatentModel(bundle, threads=2)
        self._encode = self.model.fusion_encode if fusion else self.model.encode
        self.fader_index = [fader.index for fader in bundle.faders]
        self.prior_means = np.stack([np.asarray(g.get("learned_mean", g["mean"]), dtype=np.float32)
                                     for g in bundle.manifest["genres"]])

    def encode(self, tokens: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Posterior mean and log-variance."""
        return self._encode(tokens)

    def decode_logits(self, z: np.ndarray) -> np.ndarray:
        """Token logits."""
        return self.model.decode_logits(z)


def _batched(function, array: np.ndarray, batch: int = 1024) -> np.ndarray:
    return np.concatenate([function(array[i : i + batch]) for i in range(0, len(array), batch)])


def encode_means(backend: Backend, tokens: np.ndarray) -> np.ndarray:
    """Posterior means of many windows."""
    return _batched(lambda chunk: backend.encode(chunk)[0], tokens)


def decode_greedy(backend: Backend, z: np.ndarray) -> np.ndarray:
    """Greedy token windows of many latents."""
    return _batched(lambda chunk: backend.decode_logits(chunk).argmax(-1), z.astype(np.float32))


def reconstruction(backend: Backend, tokens: np.ndarray) -> dict:
    """Token accuracy and note-onset F1 of greedy reconstructions from the posterior mean."""
    decoded = decode_greedy(backend, encode_means(backend, tokens))
    return {"token_accuracy": metrics.token_accuracy(tokens, decoded), "onset_f1": metrics.onset_f1(tokens, decoded),
            "windows": int(len(tokens))}


def interpolation(backend: Backend, tokens: np.ndarray, rng: np.random.Generator) -> dict:
    """MusAE's protocol: Hamming distance to x1 along linear interpolations of random pairs."""
    pairs = rng.choice(len(tokens), size=(INTERPOLATION_PAIRS, 2), replace=True)
    alphas = np.linspace(0, 1, 11)
    z1, z2 = encode_means(backend, tokens[pairs[:, 0]]), encode_means(backend, tokens[pairs[:, 1]])
    z = (1 - alphas[None, :, None]) * z1[:, None] + alphas[None, :, None] * z2[:, None]
    decoded = decode_greedy(backend, z.reshape(-1, z.shape[-1])).reshape(len(pairs), len(alphas), -1)
    distances = (decoded != tokens[pairs[:, 0]][:, None]).mean(-1)
    curve, monotone = metrics.interpolation_curves(distances)
    return {"alphas": alphas.tolist(), "mean_curve": curve.tolist(), "monotone_fraction": monotone,
            "pairs": INTERPOLATION_PAIRS}


def faders(backend: Backend, train_z: np.ndarray, train_tokens: np.ndarray, test_tokens: np.ndarray,
           seeds: int) -> dict:
    """FaderNets' consistency, restrictiveness and linearity (pooled R^2) per fader."""
    train_std = np.nanstd(measure(train_tokens), axis=0)
    results: dict[str, dict] = {}
    for f, (name, index) in enumerate(zip(ATTRIBUTES, backend.fader_index)):
        low, high = train_z[:, index].min(), train_z[:, index].max()
        slides = low + np.arange(1, SLIDE_STEPS + 1) / SLIDE_STEPS * (high - low)
        scores = {"consistency": [], "restrictiveness": [], "linearity": []}
        spread_by_slide = []
        for seed in range(seeds):
            chosen = np.random.default_rng(seed).choice(len(test_tokens), FADER_WINDOWS, replace=False)
            z = encode_means(backend, test_tokens[chosen])
            slid = np.repeat(z[None], SLIDE_STEPS, axis=0)
            slid[:, :, index] = slides[:, None]
            decoded = decode_greedy(backend, slid.reshape(-1, z.shape[-1]))
            values = (measure(decoded) / train_std).reshape(SLIDE_STEPS, FADER_WINDOWS, -1)
            others = [o for o in range(len(ATTRIBUTES)) if o != f]
            spread_by_slide.append(np.nanstd(values[:, :, f], axis=1))
            scores["consistency"].append(1 - np.nanmean(spread_by_slide[-1]))
            scores["restrictiveness"].append(1 - np.nanmean(np.nanstd(values[:, :, others], axis=0)))
            x = np.repeat(slides[:, None], FADER_WINDOWS, axis=1).ravel()
            scores["linearity"].append(metrics.r_squared(x, values[:, :, f].ravel()))
        results[name] = {k: {"mean": float(np.mean(v)), "std": float(np.std(v))} for k, v in scores.items()}
        results[name]["latent_range"] = [float(low), float(high)]
        # Consistency by slide: where along the fader the windows disagree (seed mean).
        results[name]["std_by_slide"] = np.mean(spread_by_slide, axis=0).round(4).tolist()
    return {"seeds": seeds, "slides": SLIDE_STEPS, "windows": FADER_WINDOWS, "linearity": "pooled R^2", **results}


def swap_obedience(backend: Backend, test_tokens: np.ndarray, train_std: np.ndarray, windows: int = 1024) -> dict:
    """Give each test window one fader value of another (its donor), decode greedily, and
    correlate the attribute played with the donor's and with the window's own. A decoder that
    obeys its faders follows the donor; one that ignores them keeps its own."""
    rng = np.random.default_rng(0)
    tokens = test_tokens[rng.choice(len(test_tokens), min(windows, len(test_tokens)), replace=False)]
    z, own = encode_means(backend, tokens), measure(tokens)
    donors = rng.permutation(len(tokens))
    results = {}
    for f, (name, index) in enumerate(zip(ATTRIBUTES, backend.fader_index)):
        swapped = z.copy()
        swapped[:, index] = z[donors, index]
        played = measure(decode_greedy(backend, swapped))
        known = ~np.isnan(played[:, f]) & ~np.isnan(own[:, f]) & ~np.isnan(own[donors, f])
        others = [o for o in range(len(ATTRIBUTES)) if o != f]
        results[name] = {
            "donor_correlation": float(np.corrcoef(played[known, f], own[donors][known, f])[0, 1]),
            "own_correlation": float(np.corrcoef(played[known, f], own[known, f])[0, 1]),
            "others_moved_std": float(np.nanmean(np.abs(played[:, others] - own[:, others]) / train_std[others])),
        }
    return {"windows": int(len(tokens)), **results}


def fitted_prior(z: np.ndarray, genre: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-genre mean and standard deviation of posterior means (an ex-post Gaussian prior)."""
    means = np.stack([z[genre == g].mean(0) for g in range(len(GENRES))])
    stds = np.stack([z[genre == g].std(0) for g in range(len(GENRES))])
    return means.astype(np.float32), stds.astype(np.float32)


def prior_samples(backend: Backend, corpus: Corpus, train_z: np.ndarray, rng: np.random.Generator) -> dict:
    """Decode samples of each genre's component, under the learned prior (unit variance) and
    under the ex-post fitted one; DD/NPD distances to each genre's test windows. The floor is
    the distance between each genre's training and test windows."""
    reference = {g: corpus.windows[corpus.select("test", g)].astype(np.int64) for g in GENRES}
    train_genre = corpus.genre[corpus.select("train")]
    histograms = {"dd": metrics.duration_distribution, "npd": metrics.normalised_pitch_distribution}
    priors = {"learned": (backend.prior_means, np.ones_like(backend.prior_means)),
              "fitted": fitted_prior(train_z, train_genre)}
    out: dict[str, dict] = {}
    for variant, (means, stds) in priors.items():
        out[variant] = {}
        for g, genre in enumerate(GENRES):
            z = means[g] + stds[g] * rng.standard_normal((PRIOR_SAMPLES, means.shape[1]))
            samples = decode_greedy(backend, z)
            out[variant][genre] = {
                f"{name}_{kind}_to_{other}": metrics.distribution_distance(h(samples), h(reference[other]), kind)
                for other in GENRES for name, h in histograms.items() for kind in ("euclidean", "emd")}
    train_windows = corpus.windows[corpus.select("train")].astype(np.int64)
    floor = {}
    for g, genre in enumerate(GENRES):
        own = train_windows[train_genre == g]
        sample = own[rng.choice(len(own), min(2000, len(own)), replace=False)]
        floor[genre] = {f"{name}_{kind}": metrics.distribution_distance(h(sample), h(reference[genre]), kind)
                        for name, h in histograms.items() for kind in ("euclidean", "emd")}
    out["floor_train_vs_test"] = floor
    return out


def latent_pca(backend: Backend, corpus: Corpus, path: Path) -> None:
    """Scatter of test latents on their first two principal components, coloured by genre."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    index = corpus.select("test")
    z = encode_means(backend, corpus.windows[index].astype(np.int64))
    centred = z - z.mean(0)
    _, _, axes = np.linalg.svd(centred, full_matrices=False)
    points = centred @ axes[:2].T
    figure, ax = plt.subplots(figsize=(6, 5))
    for g, genre in enumerate(GENRES):
        mask = corpus.genre[index] == g
        ax.scatter(points[mask, 0], points[mask, 1], s=3, alpha=0.4, label=genre)
    ax.set(title="Test-split latents (PCA)", xlabel="PC 1", ylabel="PC 2")
    ax.legend(markerscale=4)
    figure.tight_layout()
    figure.savefig(path, dpi=120)
    plt.close(figure)


def plot_interpolation(result: dict, path: Path) -> None:
    """The mean Hamming-distance curve of the interpolation protocol."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, ax = plt.subplots(figsize=(5, 4))
    ax.plot(result["alphas"], result["mean_curve"], marker="o")
    ax.set(title=f"Interpolation ({result['monotone_fraction']:.1%} monotone)", xlabel="alpha",
           ylabel="Hamming distance to x1")
    figure.tight_layout()
    figure.savefig(path, dpi=120)
    plt.close(figure)


def plot_faders(backend: Backend, corpus: Corpus, path: Path) -> None:
    """Each fader's attribute of decoded test windows against its slid latent value."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    tokens = corpus.windows[corpus.select("test")].astype(np.int64)
    chosen = tokens[np.random.default_rng(0).choice(len(tokens), 50, replace=False)]
    z = encode_means(backend, chosen)
    figure, axes = plt.subplots(1, len(ATTRIBUTES), figsize=(4 * len(ATTRIBUTES), 3.5))
    for f, (name, index) in enumerate(zip(ATTRIBUTES, backend.fader_index)):
        slides = np.linspace(z[:, index].min() - 1, z[:, index].max() + 1, 9)
        slid = np.repeat(z[None], len(slides), axis=0)
        slid[:, :, index] = slides[:, None]
        values = measure(decode_greedy(backend, slid.reshape(-1, z.shape[-1])))[:, f].reshape(len(slides), -1)
        axes[f].plot(slides, values, color="tab:blue", alpha=0.15)
        axes[f].plot(slides, np.nanmean(values, axis=1), color="black", linewidth=2)
        axes[f].set(title=name, xlabel=f"z[{index}]")
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)


def plot_losses(log_path: Path, path: Path) -> None:
    """Training loss terms and validation accuracy against step. A bundle from a decoder
    fine-tune also has ``pretraining_log.jsonl`` beside the log: both stages are drawn, one
    after the other, with a dashed line where the fine-tune starts."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    def read(log: Path) -> list[dict]:
        return [json.loads(line) for line in log.read_text().splitlines() if line.strip()]

    pretraining = log_path.with_name("pretraining_log.jsonl")
    stages = [read(pretraining)] if pretraining.exists() else []
    stages.append(read(log_path))
    names = ["reconstruction", "kl", "regularisation", "anchor", "swap", "val_accuracy"]
    figure, axes = plt.subplots(2, 3, figsize=(12, 6))
    for ax, name in zip(axes.ravel(), names):
        offset = 0
        for rows in stages:
            points = [(offset + row["step"], row[name]) for row in rows if name in row]
            if points:
                ax.plot(*zip(*points), color="C0")
            if offset:
                ax.axvline(offset, color="grey", linestyle="--", linewidth=0.8)
            offset += rows[-1]["step"] if rows else 0
        ax.set(title=name, xlabel="step")
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)


def evaluate(backend: Backend, corpus: Corpus, out_dir: Path, seeds: int = 5, quick: bool = False,
             log_path: Path | None = None) -> dict:
    """Run every protocol, write ``metrics.json`` and the plots into ``out_dir``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    test = corpus.windows[corpus.select("test")].astype(np.int64)
    train = corpus.windows[corpus.select("train")].astype(np.int64)
    results: dict = {"split": "test", "reconstruction": reconstruction(backend, test)}
    train_z = encode_means(backend, train)
    results["prior_samples"] = prior_samples(backend, corpus, train_z, rng)
    if not quick:
        results["interpolation"] = interpolation(backend, test, rng)
        results["faders"] = faders(backend, train_z, train, test, seeds)
        results["fader_swaps"] = swap_obedience(backend, test, np.nanstd(measure(train), axis=0))
        plot_interpolation(results["interpolation"], out_dir / "interpolation.png")
        plot_faders(backend, corpus, out_dir / "faders.png")
        latent_pca(backend, corpus, out_dir / "latent_pca.png")
    if log_path is not None and log_path.exists():
        plot_losses(log_path, out_dir / "losses.png")
    (out_dir / "metrics.json").write_text(json.dumps(results, indent=2) + "\n")
    return results
