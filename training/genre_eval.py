"""Genre fusion and latent tools, measured (``python -m training evaluate --part genres``):
FusionGAN's Table I on our domains (DD and NPD; Diff, Ratio and balance position with
Euclidean and earth mover's distances) for a real 50/50 mixture (the floor), the RM, MC and
MLE baselines, the prior blend and the fused-genre generator; whether each genre's samples lie
nearer their own domain; where weighted blends of the pair sit between the two domains; whether
restyling toward chorale lengthens notes; and how often ``optimize`` hits a first-pitch target."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Sequence

import numpy as np
import torch

from engine import Engine, codec, latent_tools
from training import metrics
from training.corpus import GENRES, Corpus
from training.decoded_statistics import notes_per_window
from training.mle_baseline import trained_language_model

SAMPLES = 512
# Disjoint draws of SAMPLES windows per system: one draw's Ratio moves by several hundredths
# from the next, more than some gaps between the systems.
DRAWS = 8
HISTOGRAMS = {"dd": metrics.duration_distribution, "npd": metrics.normalised_pitch_distribution}
KINDS = ("euclidean", "emd")
OPTIMIZE_RUNS = 50
BLEND_WEIGHTS = (0.0, 0.1, 0.25, 0.4, 0.5, 0.6, 0.75, 0.9, 1.0)  # the second genre's share


def histograms(windows: np.ndarray) -> dict[str, np.ndarray]:
    """DD and NPD of a set of windows."""
    return {name: h(windows) for name, h in HISTOGRAMS.items()}


def fusion_row(a: dict, b: dict, fused: dict) -> dict:
    """Diff, Ratio and position of ``fused`` between domains ``a`` and ``b``, per statistic and distance."""
    row = {}
    for stat in HISTOGRAMS:
        for kind in KINDS:
            d_af, d_bf, d_ab = (metrics.distribution_distance(x[stat], y[stat], kind)
                                for x, y in ((a, fused), (b, fused), (a, b)))
            row[f"{stat}_{kind}"] = {"d_af": d_af, "d_bf": d_bf, "d_ab": d_ab, "diff": d_af + d_bf - d_ab,
                                     "ratio": (d_af + d_bf) / d_ab, "position": d_af / (d_af + d_bf)}
    return row


def draw_spread(a: dict, b: dict, windows: np.ndarray) -> dict:
    """Mean and standard deviation of each Ratio and position of :func:`fusion_row` over the
    disjoint draws of SAMPLES windows in ``windows``."""
    rows = [fusion_row(a, b, histograms(windows[start:start + SAMPLES]))
            for start in range(0, len(windows) - SAMPLES + 1, SAMPLES)]
    return {key: {f"{figure}_{summary}": float(function([row[key][figure] for row in rows]))
                  for figure in ("ratio", "position") for summary, function in (("mean", np.mean), ("std", np.std))}
            | {"draws": len(rows)} for key in rows[0]}


def notes_to_windows(pitches: np.ndarray, durations: np.ndarray) -> np.ndarray:
    """Windows filled with notes (pitch, duration in steps) in order, cut at 64 steps."""
    windows, row, step = [], np.full(codec.WINDOW_STEPS, codec.REST), 0
    for pitch, duration in zip(pitches, durations):
        row[step] = pitch - codec.PITCH_MIN + codec.PITCH_OFFSET
        row[step + 1:step + duration] = codec.HOLD
        step += duration
        if step >= codec.WINDOW_STEPS:
            windows.append(row)
            row, step = np.full(codec.WINDOW_STEPS, codec.REST), 0
    return np.array(windows)


def sampled_notes(windows: np.ndarray, rng: np.random.Generator, uniform: bool, count: int) -> np.ndarray:
    """RM (``uniform``: any pitch and duration that occurs, equally likely) or MC (drawn from
    the pitch and duration distributions) windows built from the notes of ``windows``."""
    pitches = np.concatenate([codec.note_spans(w).pitches for w in windows])
    durations = metrics.note_durations(windows)
    values = [np.unique(pitches), np.unique(durations)] if uniform else [pitches, durations]
    out = np.zeros((0, codec.WINDOW_STEPS), dtype=np.int64)
    while len(out) < count:
        draws = 40 * count
        out = np.concatenate([out, notes_to_windows(rng.choice(values[0], draws), rng.choice(values[1], draws))])
    return out[:count]


def decode(engine: Engine, z: np.ndarray) -> np.ndarray:
    """Greedy windows of many latents, in batches."""
    return np.concatenate([engine.model.decode(z[i:i + 256]) for i in range(0, len(z), 256)])


def table_one(engine: Engine, corpus: Corpus, pair: tuple[str, str], runs: Path, rng: np.random.Generator,
              mle_steps: int = 1500) -> dict:
    """FusionGAN's Table I for domains ``pair``: every system's row, against the test windows."""
    a_name, b_name = pair
    test = {g: corpus.windows[corpus.select("test", g)].astype(np.int64) for g in pair}
    train = {g: corpus.windows[corpus.select("train", g)].astype(np.int64) for g in pair}
    val = np.concatenate([corpus.windows[corpus.select("val", g)] for g in pair]).astype(np.int64)
    count = SAMPLES * DRAWS
    half = count // 2
    union = np.concatenate([train[a_name][rng.choice(len(train[a_name]), 4 * SAMPLES)],
                            train[b_name][rng.choice(len(train[b_name]), 4 * SAMPLES)]])
    language_model = trained_language_model(np.concatenate(list(train.values())), val, runs / f"mle-{a_name}-{b_name}",
                                            mle_steps)
    mixture = np.concatenate([train[g][rng.choice(len(train[g]), half, replace=len(train[g]) < half)] for g in pair])
    systems = {
        # Interleaved, so that each draw of SAMPLES is a 50/50 mixture.
        "real 50/50 mixture": mixture.reshape(2, half, -1).transpose(1, 0, 2).reshape(count, -1),
        "RM": sampled_notes(union, rng, uniform=True, count=count),
        "MC": sampled_notes(union, rng, uniform=False, count=count),
        "MLE": language_model.sample(count, torch.Generator().manual_seed(0)),
        "prior blend": decode(engine, latent_tools.sample_prior_blend(engine, {a_name: 0.5, b_name: 0.5}, count,
                                                                      1.0, rng)),
    }
    if engine.bundle.genre_fusion(set(pair)) is not None:
        systems["FusionGAN (ours)"] = decode(engine, latent_tools.sample_genres(
            engine, {a_name: 0.5, b_name: 0.5}, count, 1.0, rng))
    references = {g: histograms(test[g]) for g in pair}
    first = {name: histograms(windows[:SAMPLES]) for name, windows in systems.items()}
    rows = {name: {"row": fusion_row(references[a_name], references[b_name], first[name]),
                   "over_draws": draw_spread(references[a_name], references[b_name], systems[name]),
                   "histograms": {k: v.tolist() for k, v in first[name].items()},
                   "notes_per_window": notes_spread(systems[name][:SAMPLES])}
            for name in systems}
    return {"domains": list(pair), "samples": SAMPLES, "draws": DRAWS, "systems": rows,
            "references": {g: {k: v.tolist() for k, v in references[g].items()} for g in pair},
            "reference_notes_per_window": {g: notes_spread(test[g]) for g in pair}}


def notes_spread(windows: np.ndarray) -> dict[str, float]:
    """Mean and spread of the notes in each window: DD and NPD pool every note, so a system
    whose melodies all sound alike can match them; this shows it."""
    notes = notes_per_window(windows)
    return {"mean": float(notes.mean()), "std": float(notes.std())}


def genre_samples_nearer_own(engine: Engine, corpus: Corpus, rng: np.random.Generator) -> dict:
    """For each genre's samples (as ``generate`` draws them): DD/NPD Euclidean distance to every
    genre's test windows, and notes per window beside the genre's test windows'."""
    tests = {g: corpus.windows[corpus.select("test", g)].astype(np.int64) for g in GENRES}
    references = {g: histograms(windows) for g, windows in tests.items()}
    out = {}
    for genre in GENRES:
        windows = decode(engine, latent_tools.sample_genres(engine, {genre: 1.0}, SAMPLES, 1.0, rng))
        samples = histograms(windows)
        distances = {stat: {other: metrics.distribution_distance(samples[stat], references[other][stat])
                            for other in GENRES} for stat in HISTOGRAMS}
        nearer = all(distances[stat][genre] < distances[stat][other] for stat in HISTOGRAMS for other in GENRES
                     if other != genre)
        out[genre] = {"distances": distances, "nearer_own": nearer, "notes_per_window": notes_spread(windows),
                      "test_notes_per_window": notes_spread(tests[genre])}
    return out


OFF_DATA_STEPS = (0.0, 0.25, 0.5, 1.0)  # noise around posterior means, in units of the genre prior's spread


def off_data_decoding(engine: Engine, corpus: Corpus, rng: np.random.Generator) -> dict:
    """Where decoded latents stop sounding like their genre: each genre's test windows are
    encoded, moved by Gaussian noise of a growing share of the genre prior's spread (0: the
    posterior means themselves; 1: as far as a prior sample), decoded greedily and compared
    by DD and NPD (Euclidean) with every genre's test windows."""
    references = {g: histograms(corpus.windows[corpus.select("test", g)].astype(np.int64)) for g in GENRES}
    out = {}
    for genre in GENRES:
        windows = corpus.windows[corpus.select("test", genre)].astype(np.int64)
        chosen = windows[rng.choice(len(windows), min(SAMPLES, len(windows)), replace=False)]
        means = np.concatenate([engine.model.encode(chosen[i:i + 256])[0] for i in range(0, len(chosen), 256)])
        spread = engine.genres_by_name[genre].std
        out[genre] = {}
        for share in OFF_DATA_STEPS:
            moved = (means + share * spread * rng.standard_normal(means.shape)).astype(np.float32)
            decoded = histograms(decode(engine, moved))
            out[genre][f"noise={share:g}"] = {stat: {other: metrics.distribution_distance(decoded[stat],
                                                                                          references[other][stat])
                                                     for other in GENRES} for stat in HISTOGRAMS}
    return out


def blend_sweep(engine: Engine, corpus: Corpus, pair: tuple[str, str], rng: np.random.Generator) -> dict:
    """Where ``generate``'s weighted blends of ``pair`` sit: for each share of the second genre,
    the Euclidean balance position d(A, F) / (d(A, F) + d(B, F)) of SAMPLES decoded windows for DD
    and NPD (0 is the first genre's test windows, 1 the second's), through the engine's own sampler
    and, for comparison, through the mixed Gaussian genre priors."""
    references = [histograms(corpus.windows[corpus.select("test", g)].astype(np.int64)) for g in pair]
    positions = {}
    for name, sample in (("generate", latent_tools.sample_genres), ("prior blend", latent_tools.sample_prior_blend)):
        rows = [fusion_row(*references, histograms(decode(engine, sample(
            engine, latent_tools.genre_weights(engine, {pair[0]: 1 - share, pair[1]: share}), SAMPLES, 1.0, rng))))
            for share in BLEND_WEIGHTS]
        positions[name] = {stat: [row[f"{stat}_euclidean"]["position"] for row in rows] for stat in HISTOGRAMS}
    order = {name: {stat: rank_correlation(BLEND_WEIGHTS, values) for stat, values in by_stat.items()}
             for name, by_stat in positions.items()}
    reversal = {name: {stat: largest_reversal(values) for stat, values in by_stat.items()}
                for name, by_stat in positions.items()}
    return {"domains": list(pair), "second_share": list(BLEND_WEIGHTS), "positions": positions,
            "rank_correlation": order, "largest_reversal": reversal}


def largest_reversal(values: Sequence[float]) -> float:
    """How far the sequence ever falls below an earlier value (0 when it never falls)."""
    return float(max(0.0, max(np.maximum.accumulate(values) - np.asarray(values))))


def rank_correlation(x: Sequence[float], y: Sequence[float]) -> float:
    """Spearman's rank correlation (1: ``y`` rises with ``x`` throughout); ties take their first rank."""
    ranks = [np.argsort(np.argsort(values, kind="stable")) for values in (x, y)]
    return float(np.corrcoef(*ranks)[0, 1])


def plot_blends(sweep: dict, path: Path) -> None:
    """Balance position against the second genre's share, per sampler and statistic."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axis = plt.subplots(figsize=(5.5, 3.8))
    for name, by_stat in sweep["positions"].items():
        for stat, values in by_stat.items():
            axis.plot(sweep["second_share"], values, marker="o", linestyle="-" if name == "generate" else ":",
                      label=f"{name}, {stat.upper()}")
    axis.plot([0, 1], [0, 1], color="grey", linewidth=0.8)
    first, second = sweep["domains"]
    axis.set_xlabel(f"{second}'s share of the blend")
    axis.set_ylabel(f"balance position (0 = {first}, 1 = {second})")
    axis.legend(fontsize=7)
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)


def restyle_toward(engine: Engine, corpus: Corpus, target: str, rng: np.random.Generator, count: int = 256) -> dict:
    """Mean note length before and after restyling other genres' test windows toward ``target``
    (amount 1), and how much of each melody survives (same tokens, onset F1)."""
    others = np.concatenate([corpus.select("test", g) for g in GENRES if g != target])
    windows = corpus.windows[rng.choice(others, min(count, len(others)), replace=False)].astype(np.int64)
    z = engine.model.encode(windows)[0]
    mean, _ = latent_tools.blend(engine, {target: 1.0})
    before = decode(engine, z)
    after = decode(engine, z + (mean - latent_tools.likeliest_genre_means(engine, z)))
    return {"windows": len(windows), "mean_note_steps_before": float(metrics.note_durations(before).mean()),
            "mean_note_steps_after": float(metrics.note_durations(after).mean()),
            "same_tokens": metrics.token_accuracy(before, after), "onset_f1": metrics.onset_f1(before, after)}


def optimize_first_pitch(engine: Engine, rng: np.random.Generator, budget: int = 64) -> dict:
    """How often ``optimize`` finds a clip starting on a random target pitch (60..76)."""
    targets = rng.integers(60, 77, OPTIMIZE_RUNS)
    met = [engine.optimize("first_pitch", int(t), budget=budget, seed=i).met for i, t in enumerate(targets)]
    return {"runs": OPTIMIZE_RUNS, "budget": budget, "hit_rate": float(np.mean(met))}


def plot_fusion(result: dict, path: Path) -> None:
    """DD and NPD of the two domains, the floor, MLE and ours."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(1, 2, figsize=(11, 3.6))
    shown = {**{f"{g} (test)": result["references"][g] for g in result["domains"]},
             **{name: entry["histograms"] for name, entry in result["systems"].items()
                if name in ("real 50/50 mixture", "MLE", "FusionGAN (ours)")}}
    for axis, stat, title in ((axes[0], "dd", "duration (16ths)"), (axes[1], "npd", "pitch class from the tonic")):
        for name, hist in shown.items():
            values = np.array(hist[stat])
            axis.plot(np.arange(1, len(values) + 1) if stat == "dd" else np.arange(len(values)), values, label=name)
        axis.set_xlabel(title)
        axis.set_ylabel("share")
    axes[1].legend(fontsize=7)
    figure.suptitle(f"Genre fusion {' + '.join(result['domains'])}: DD and NPD")
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)


MAIN_PAIR = ("folk", "celtic")  # the domains A and B


def evaluate_genres(engine: Engine, corpus: Corpus, out_dir: Path, runs: Path, mle_steps: int = 1500) -> dict:
    """Everything above, genre fusion for MAIN_PAIR; writes ``genres.json``, ``genre_fusion.png``
    and ``genre_blends.png``."""
    rng = np.random.default_rng(0)
    pair = MAIN_PAIR
    results = {"table_one": table_one(engine, corpus, pair, runs, rng, mle_steps),
               "nearer_own_domain": genre_samples_nearer_own(engine, corpus, rng),
               "restyle_to_chorale": restyle_toward(engine, corpus, "chorale", rng),
               "optimize_first_pitch": optimize_first_pitch(engine, rng),
               "off_data_decoding": off_data_decoding(engine, corpus, rng),
               # Its own generator, so the figures above stay those of earlier runs.
               "blends": blend_sweep(engine, corpus, pair, np.random.default_rng(1))}
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "genres.json").write_text(json.dumps(results, indent=1) + "\n")
    plot_fusion(results["table_one"], out_dir / "genre_fusion.png")
    plot_blends(results["blends"], out_dir / "genre_blends.png")
    return results


def evaluate_genre_pairs(engine: Engine, corpus: Corpus, out_dir: Path, runs: Path, mle_steps: int = 1500) -> dict:
    """Table I and the blend sweep for every other pair of genres the bundle has a generator for,
    each with the seeds :func:`evaluate_genres` gives MAIN_PAIR; writes ``genre_pairs.json`` and,
    per pair A + B, ``genre_fusion_A_B.png`` and ``genre_blends_A_B.png``."""
    results = {}
    out_dir.mkdir(parents=True, exist_ok=True)
    for fusion in engine.bundle.genre_fusions:
        if set(fusion.genres) == set(MAIN_PAIR):
            continue
        name = "_".join(fusion.genres)
        results[name] = {"table_one": table_one(engine, corpus, fusion.genres, runs, np.random.default_rng(0), mle_steps),
                         "blends": blend_sweep(engine, corpus, fusion.genres, np.random.default_rng(1))}
        plot_fusion(results[name]["table_one"], out_dir / f"genre_fusion_{name}.png")
        plot_blends(results[name]["blends"], out_dir / f"genre_blends_{name}.png")
    (out_dir / "genre_pairs.json").write_text(json.dumps(results, indent=1) + "\n")
    return results
