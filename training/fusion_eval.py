"""Connective Fusion's evaluation (§3.4-3.6) and the continuation's, on the test split:
reality, z-distance and the five musical statistics, ours against Latent Perturb."""
from __future__ import annotations

from pathlib import Path
from typing import Callable, Protocol

import numpy as np

from engine import flow_fusion, picking, tonality
from engine.latent import sample_continuation
from training import phrase_stats
from training.corpus import Corpus
from training.evaluate import Backend, decode_greedy, encode_means
from training.fusion_train import PriorSampler, z_distance
from training.key_matching import FusionInputs, in_one_key, prior_in_one_key
from training.latent_pairs import token_pairs

SIMILARITIES = (0.3, 1.0, 3.0)
ITERATIONS = 5
LP_SIGMAS = (0.01, 0.03, 0.1, 0.2, 0.4)
LP_STEPS = 100
LP_RECORD = (1, 3, 10, 30, 100)
INPUTS = 1024  # the statistics' matrices have up to 576 cells; 512 phrases filled them thinly

Reality = Callable[[np.ndarray], np.ndarray]


class PairModels(Protocol):
    """The fusion generator and continuation density, in whichever runtime."""

    def fuse(self, left: np.ndarray, right: np.ndarray, style: np.ndarray,
             similarity: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(z_L', z_R') for latent pairs."""

    continuation_kind: str

    def continuation(self, left: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Mixture parameters of p(z_R | z_L) (mixture kind)."""

    def continuation_flow(self, left: np.ndarray, noise: np.ndarray) -> np.ndarray:
        """Right latents for noise (flow kind)."""


class FlowFusion:
    """The engine's flow fusion (:mod:`engine.flow_fusion`, ``method`` "flow" or "flow-both") where
    a fusion generator would be, so the protocol scores it on the same inputs, styles and strengths."""

    def __init__(self, model, method: str = "flow") -> None:
        self.model, self.method = model, method

    def fuse(self, left: np.ndarray, right: np.ndarray, style: np.ndarray,
             similarity: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(z_L', z_R'): the right latents re-imagined by the flow, after the left ones by the
        backward flow ("flow-both"; "flow" keeps them)."""
        return flow_fusion.fuse_latents(self.model, self.method, left, right, style, similarity)

    def fuse_again(self, left: np.ndarray, right: np.ndarray, style: np.ndarray,
                   similarity: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """:meth:`fuse` on pairs that are a fusion's result, as the engine iterates (each latent keeps its length)."""
        return flow_fusion.fuse_latents(self.model, self.method, left, right, style, similarity, iterated=True)


def phrases(backend: Backend, left: np.ndarray, right: np.ndarray,
            keys: tuple[np.ndarray, np.ndarray] | None = None) -> np.ndarray:
    """Greedy 8-bar phrases (N, 128) decoded from latent pairs; with ``keys`` (pitch-class
    profiles of each side's input), each side is held in its input's key as the engine does."""
    sides = [decode_greedy(backend, left), decode_greedy(backend, right)]
    if keys is not None:
        sides = [tonality.in_key_of(side, profile) for side, profile in zip(sides, keys)]
    return np.concatenate(sides, axis=1)


class Scorer:
    """Scores decoded phrases against the test data: reality and statistic correlations."""

    def __init__(self, reality: Reality, reference: dict[str, np.ndarray], inverse_variance: np.ndarray) -> None:
        self.reality, self.reference, self.inverse_variance = reality, reference, inverse_variance

    def score(self, decoded: np.ndarray, moved: tuple[np.ndarray, np.ndarray] | None = None,
              original: tuple[np.ndarray, np.ndarray] | None = None) -> dict:
        """Reality, correlations and (when latents are given) the mean z-distance of both sides."""
        out = {"reality": float(self.reality(decoded).mean()), **phrase_stats.correlations(self.reference, decoded)}
        if moved is not None and original is not None:
            out["z_distance"] = float(np.mean([z_distance(m, o, self.inverse_variance).mean()
                                               for m, o in zip(moved, original)]))
        return out


def fusion_curves(backend: Backend, models: PairModels, scorer: Scorer, inputs: FusionInputs,
                  rng: np.random.Generator, similarities: tuple[float, ...] = SIMILARITIES,
                  iterations: int = ITERATIONS, pick: tuple[Reality, int] | None = None) -> dict:
    """Ours: each similarity strength, iterated 1..``iterations`` times with a fixed random style.
    With ``pick`` (a search classifier and a count K), each iteration also fuses with the
    engine's K - 1 other styles and keeps, per pair, the one the search classifier finds most
    real (trained on the training split, not the one that scores; the engine ships it as its
    judge).
    z-distances are from the pairs fused (after the key move, when there is one)."""
    left, right = inputs.left, inputs.right
    search, candidates = pick or (None, 1)
    style = rng.random((len(left), 2)).astype(np.float32)
    # As the engine picks: each pair's own style, then the same fixed others for every pair.
    styles = list(picking.candidate_styles(style, candidates).transpose(1, 0, 2))
    out = {"before": scorer.score(phrases(backend, left, right))}
    for similarity in similarities:
        strength = np.full((len(left), 1), similarity, dtype=np.float32)
        new_left, new_right = left, right
        rows = []
        for iteration in range(iterations):
            # pair models that iterate otherwise than they fuse (flow fusion) say so with fuse_again
            fuse = getattr(models, "fuse_again", models.fuse) if iteration else models.fuse
            fused = [fuse(new_left, new_right, style, strength) for style in styles]
            new_left, new_right = fused[0] if search is None else most_real(backend, search, fused, inputs.keys)
            rows.append(scorer.score(phrases(backend, new_left, new_right, inputs.keys), (new_left, new_right),
                                     (left, right)))
        out[f"lambda={similarity:g}"] = rows
    return out


def most_real(backend: Backend, search: Reality, fused: list[tuple[np.ndarray, np.ndarray]],
              keys: tuple[np.ndarray, np.ndarray] | None) -> tuple[np.ndarray, np.ndarray]:
    """Per pair, the candidate (z_L', z_R') whose decoded phrase ``search`` finds most real."""
    scores = np.stack([search(phrases(backend, left, right, keys)) for left, right in fused])
    best = scores.argmax(axis=0)
    rows = np.arange(len(best))
    return tuple(np.stack(side)[best, rows] for side in zip(*fused))


def latent_perturb(backend: Backend, search_reality: Reality, scorer: Scorer, inputs: FusionInputs,
                   rng: np.random.Generator) -> dict:
    """Algorithm 1 at each sigma: keep a random perturbation when the search classifier (trained
    on the training split, not the one that scores) finds the phrase more real. Its phrases are
    decoded as ours are (each side held in its input's key, when the key is kept), so both
    methods are searched and scored on what the engine would play."""
    left, right = inputs.left, inputs.right
    out = {}
    for sigma in LP_SIGMAS:
        best_left, best_right = left.copy(), right.copy()
        best = search_reality(phrases(backend, left, right, inputs.keys))
        rows = []
        for step in range(1, LP_STEPS + 1):
            try_left = best_left + sigma * rng.standard_normal(left.shape).astype(np.float32)
            try_right = best_right + sigma * rng.standard_normal(right.shape).astype(np.float32)
            candidate = search_reality(phrases(backend, try_left, try_right, inputs.keys))
            better = candidate > best
            best = np.where(better, candidate, best)
            best_left = np.where(better[:, None], try_left, best_left)
            best_right = np.where(better[:, None], try_right, best_right)
            if step in LP_RECORD:
                rows.append({"iterations": step, **scorer.score(phrases(backend, best_left, best_right, inputs.keys),
                                                                   (best_left, best_right), (left, right))})
        out[f"sigma={sigma:g}"] = rows
    return out


def continuation_scores(backend: Backend, models: PairModels, scorer: Scorer, left_tokens: np.ndarray,
                        training: set[bytes], rng: np.random.Generator,
                        temperatures: tuple[float, ...] = (0.0, 0.5, 1.0), keep_key: bool = True) -> dict:
    """Reality and statistics of (input window, continuation) phrases at a few temperatures,
    each continuation held in its input's key as the engine does unless ``keep_key`` is off,
    and the share of continuations copied from the training split."""
    z_left = encode_means(backend, left_tokens)
    out = {}
    for temperature in temperatures:
        right = decode_greedy(backend, sample_continuation(models, z_left, temperature, rng))
        if keep_key:
            right = tonality.in_key_of(right, tonality.pitch_class_profile(left_tokens))
        out[f"temperature={temperature:g}"] = {**scorer.score(np.concatenate([left_tokens, right], axis=1)),
                                                "copies_training": copied_fraction(right, training)}
    return out


def copied_fraction(windows: np.ndarray, training: set[bytes]) -> float:
    """The share of windows that are, token for token, a window of the training split (in its
    key): how much a model plays back what it learned from rather than new material."""
    return float(np.mean([window.astype(np.int8).tobytes() in training for window in windows])) if len(windows) else 0.0


def training_windows(corpus: Corpus) -> set[bytes]:
    """The training split's windows, as :func:`copied_fraction` looks them up."""
    return {window.tobytes() for window in corpus.windows[corpus.select("train")].astype(np.int8)}


def beats_latent_perturb(ours: dict, perturb: dict, metric: str = "reality") -> dict:
    """For each of our points, LP's ``metric`` at the same z-distance (interpolated along LP's
    points sorted by distance), and whether ours is higher."""
    lp_points = sorted((row["z_distance"], row[metric]) for rows in perturb.values() for row in rows)
    distances, values = np.array(lp_points).T
    comparisons = []
    for name, rows in ours.items():
        if name == "before":
            continue
        for iteration, row in enumerate(rows, start=1):
            if distances[0] <= row["z_distance"] <= distances[-1]:
                lp_value = float(np.interp(row["z_distance"], distances, values))
                comparisons.append({"model": name, "iterations": iteration, "z_distance": row["z_distance"],
                                    "ours": row[metric], "latent_perturb": lp_value, "ours_better": row[metric] > lp_value})
    return {"comparisons": comparisons, "ours_better_fraction":
            float(np.mean([c["ours_better"] for c in comparisons])) if comparisons else None}


def evaluate_pairs(backend: Backend, models: PairModels, reality: Reality, search_reality: Reality, corpus: Corpus,
                   prior: PriorSampler, latent_std: np.ndarray, out_dir: Path, quick: bool = False,
                   compare: dict[str, tuple[PairModels, tuple[float, ...]]] | None = None,
                   compare_continuation: dict[str, PairModels] | None = None,
                   similarities: tuple[float, ...] = SIMILARITIES, iterations: int = ITERATIONS,
                   pick_of: tuple[int, ...] = (), judges: dict[str, Reality] | None = None,
                   fusion_backend: Backend | None = None, flows: dict[str, PairModels] | None = None) -> dict:
    """The whole protocol at the given similarity strengths and iteration counts; writes ``pairs.json`` and the plots
    into ``out_dir``. ``compare``
    names other generators (a fixed-strength one, or one trained differently), each scored
    at its strengths beside the shipped one, on the same inputs and styles;
    ``compare_continuation`` names other continuation models, scored on the same inputs and noise;
    each K > 1 in ``pick_of`` also scores ours picking the likeliest-real of K styles at each iteration,
    by ``judges["judge"]`` (the bundle's judge as the engine runs it) when given, else by
    ``search_reality``; any other judge in ``judges`` (e.g. the float graph) is scored beside it.
    ``fusion_backend`` (default: ``backend``) encodes the test windows fused, as the engine's
    ``fuse`` encodes its clips. Each of ``flows`` (:class:`FlowFusion` by method) is scored beside
    ours the same way, alone and picked of each K, by the same judge."""
    import json

    import torch

    out_dir.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    real_left, real_right = token_pairs(corpus, "test")
    real = np.concatenate([real_left, real_right], axis=1)
    reference = phrase_stats.transition_matrices(real)
    scorer = Scorer(reality, reference, 1.0 / np.square(latent_std))
    shown = rng.choice(len(real), min(INPUTS, len(real)), replace=False)
    training = training_windows(corpus)
    results: dict = {
        "real_pairs": {"reality": float(reality(real).mean()), "pairs": int(len(real)),
                       "copies_training": copied_fraction(real_right, training),
                       "moved_by_keep_key": float(np.mean(tonality.key_shifts(
                           tonality.pitch_class_profile(real_right), tonality.pitch_class_profile(real_left)) != 0))},
        "real_pairs_reconstructed": scorer.score(phrases(backend, encode_means(backend, real_left[shown]),
                                                         encode_means(backend, real_right[shown]))),
    }
    windows = corpus.windows[corpus.select("test")].astype(np.int64)
    picked = rng.choice(len(windows), (INPUTS, 2))
    generator = torch.Generator().manual_seed(0)
    prior_left, prior_right = (prior.sample(INPUTS, generator).numpy() for _ in range(2))
    fuser = fusion_backend or backend
    test_left, test_right = (encode_means(fuser, windows[picked[:, side]]) for side in (0, 1))
    inputs = {"test": (FusionInputs(test_left, test_right),
                       in_one_key(fuser, windows[picked[:, 0]], windows[picked[:, 1]], test_left, test_right)),
              "prior": (FusionInputs(prior_left, prior_right), prior_in_one_key(backend, prior_left, prior_right))}
    for name, (free, kept) in inputs.items():
        def curves(generator: PairModels, fused: FusionInputs, strengths: tuple[float, ...],
                   pick: tuple[Reality, int] | None = None) -> dict:
            return fusion_curves(backend, generator, scorer, fused, np.random.default_rng(1), strengths, iterations,
                                 pick)

        ours = curves(models, kept, similarities)
        entry = {"ours": ours, "compare free key": curves(models, free, similarities)}
        for label, (other, strengths) in (compare or {}).items():
            entry[f"compare {label}"] = curves(other, kept, strengths)
        pickers = judges or {"judge": search_reality}
        for count in (k for k in pick_of if k > 1):
            for label, judge in pickers.items():
                suffix = "" if label == "judge" else f", {label}"
                entry[f"compare picked of {count}{suffix}"] = curves(models, kept, similarities, (judge, count))
        for label, flow in (flows or {}).items():
            entry[f"compare {label}"] = curves(flow, kept, similarities)
            for count in (k for k in pick_of if k > 1):
                entry[f"compare {label} picked of {count}"] = curves(flow, kept, similarities,
                                                                      (pickers["judge"], count))
        if not quick:
            perturb = latent_perturb(backend, search_reality, scorer, kept, rng)
            entry |= {"latent_perturb": perturb, "versus": beats_latent_perturb(ours, perturb),
                      **{key.replace("compare", "versus", 1): beats_latent_perturb(points, perturb)
                         for key, points in entry.items() if key.startswith("compare ") and key != "compare free key"}}
        results[f"fusion_{name}"] = entry
    results["continuation free key"] = continuation_scores(backend, models, scorer, real_left[shown], training,
                                                           np.random.default_rng(2), keep_key=False)
    for label, continuation in {"": models, **(compare_continuation or {})}.items():
        results[f"continuation {label}".strip()] = continuation_scores(
            backend, continuation, scorer, real_left[shown], training, np.random.default_rng(2))
    (out_dir / "pairs.json").write_text(json.dumps(results, indent=2) + "\n")
    plot_against_distance(results, out_dir / "fusion_vs_latent_perturb.png")
    if flows:
        plot_methods(results, out_dir / "fusion_methods.png")
    plot_iterations(results, out_dir / "fusion_iterations.png")
    plot_continuations(results, out_dir / "continuations.png")
    return results


def plot_against_distance(results: dict, path: Path) -> None:
    """Fig. 4 / Fig. 7 style: every metric against z-distance, ours (per lambda, iterations
    joined by a line) and Latent Perturb (per sigma), for test and prior inputs."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    metrics = ("reality", *phrase_stats.STATISTICS)
    rows = [name for name in ("fusion_test", "fusion_prior") if name in results]
    figure, axes = plt.subplots(len(rows), len(metrics), figsize=(3.2 * len(metrics), 3 * len(rows)), squeeze=False)
    for r, name in enumerate(rows):
        entry = results[name]
        for m, metric in enumerate(metrics):
            ax = axes[r, m]
            for label, points in entry.get("latent_perturb", {}).items():
                ax.plot([p["z_distance"] for p in points], [p[metric] for p in points], ":", marker=".",
                        color="grey", alpha=0.7)
            ax.axhline(entry["ours"]["before"][metric], color="black", linewidth=0.8, linestyle="--")
            for kind, marker in (("ours", "o"), *((k, "s") for k in entry if k.startswith("compare"))):
                for label, points in entry[kind].items():
                    if label != "before":
                        ax.plot([p["z_distance"] for p in points], [p[metric] for p in points], marker=marker,
                                label=label if kind == "ours" else f"{kind.removeprefix('compare ')}, {label}")
            ax.set_xscale("log")
            ax.set(title=f"{name.split('_')[1]}: {metric}", xlabel="z-distance")
    iterations = max(len(points) for key, points in results[rows[0]]["ours"].items() if key != "before")
    axes[0, 0].legend(fontsize=7, title=f"iterations 1..{iterations}; grey: LP; dashed: before", title_fontsize=6)
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)


def plot_methods(results: dict, path: Path) -> None:
    """Reality against z-distance for each fusion method, alone and picked (each strength's
    iterations joined by a line), with Latent Perturb, the real pairs and the 0.8 target."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = [name for name in ("fusion_test", "fusion_prior") if name in results]
    colours = {"generator": "tab:blue", "flow": "tab:orange", "flow-both": "tab:green"}
    prefixes = {"ours": "generator", **{f"compare {method}": method for method in colours if method != "generator"}}
    methods = {key: (method, colours[method], ":") for key, method in prefixes.items() if key in results[rows[0]]}
    for key in results[rows[0]]:
        prefix, _, count = key.partition(" picked of ")
        method = "generator" if prefix == "compare" else prefixes.get(prefix)
        if count and method is not None and "," not in count:
            methods[key] = (f"{method}, picked of {count}", colours[method], "-")
    figure, axes = plt.subplots(1, len(rows), figsize=(6 * len(rows), 4.5), squeeze=False)
    for ax, name in zip(axes[0], rows):
        entry = results[name]
        for points in entry.get("latent_perturb", {}).values():
            ax.plot([p["z_distance"] for p in points], [p["reality"] for p in points], ":", marker=".", color="grey",
                    alpha=0.6)
        for key, (label, colour, style) in methods.items():
            for index, (strength, points) in enumerate((k, v) for k, v in entry.get(key, {}).items() if k != "before"):
                ax.plot([p["z_distance"] for p in points], [p["reality"] for p in points], style, marker="os^v"[index % 4],
                        color=colour, alpha=1.0 if style == "-" else 0.5,
                        label=f"{label}, {strength.replace('lambda', 'λ')}")
        ax.axhline(results["real_pairs"]["reality"], color="black", linewidth=0.8, label="real pairs")
        ax.axhline(0.8, color="red", linewidth=0.8, linestyle="--", label="target 0.8")
        ax.set_xscale("log")
        ax.set(title=f"{name.split('_')[1]} pairs: reality (iterations 1..5 along each line; grey: Latent Perturb)",
               xlabel="z-distance", ylabel="reality")
        ax.title.set_fontsize(8)
    axes[0, 0].legend(fontsize=6, ncol=2)
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)


def plot_iterations(results: dict, path: Path) -> None:
    """Fig. 7 style: every metric against the number of iterations, per lambda."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    metrics = ("reality", "z_distance", *phrase_stats.STATISTICS)
    rows = [name for name in ("fusion_test", "fusion_prior") if name in results]
    figure, axes = plt.subplots(len(rows), len(metrics), figsize=(3 * len(metrics), 3 * len(rows)), squeeze=False)
    for r, name in enumerate(rows):
        ours = results[name]["ours"]
        for m, metric in enumerate(metrics):
            ax = axes[r, m]
            if metric in ours["before"]:
                ax.axhline(ours["before"][metric], color="black", linewidth=0.8, linestyle="--")
            for label, points in ours.items():
                if label != "before":
                    ax.plot(range(1, len(points) + 1), [p[metric] for p in points], marker="o", label=label)
            ax.set(title=f"{name.split('_')[1]}: {metric}", xlabel="iterations")
    axes[0, 0].legend(fontsize=7)
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)


def plot_continuations(results: dict, path: Path) -> None:
    """Each continuation model's reality and statistic correlations against temperature, with
    the target (0.8 x the reality of real test pairs) and the real pairs' own figures."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    metrics = ("reality", *phrase_stats.STATISTICS)
    models = [name for name in results if name.startswith("continuation")]
    figure, axes = plt.subplots(1, len(metrics), figsize=(3 * len(metrics), 3), squeeze=False)
    for ax, metric in zip(axes[0], metrics):
        for name in models:
            rows = results[name]
            label = {"continuation": "shipped", "continuation free key": "shipped, key free"}.get(
                name, name.removeprefix('continuation '))
            ax.plot([float(key.split("=")[1]) for key in rows], [row[metric] for row in rows.values()], marker="o",
                    label=label)
        ax.axhline(results["real_pairs_reconstructed"][metric], color="black", linewidth=0.8, linestyle="--")
        if metric == "reality":
            ax.axhline(0.8 * results["real_pairs"]["reality"], color="red", linewidth=0.8, linestyle=":")
        ax.set(title=metric, xlabel="temperature")
    axes[0, 0].legend(fontsize=7, title="dashed: real pairs; dotted: target", title_fontsize=6)
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)
