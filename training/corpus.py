"""music21's bundled collections -> cached 4-bar token windows with genre and split labels.

Collections (exactly these): essenFolksong -> folk; oneills1850 + ryansMammoth -> celtic;
Bach chorales (soprano part) -> chorale. Only duple and quadruple meters (bars of 2, 4 or 8
quarter notes) are kept, so that the model's 4/4 bar lines fall on the tunes' own bar lines.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
from dataclasses import dataclass
from multiprocessing import Pool
from pathlib import Path

import numpy as np
from tqdm import tqdm

from engine.codec import (
    REST,
    STEPS_PER_BAR,
    STEPS_PER_BEAT,
    WINDOW_STEPS,
    notes_to_tokens,
    octave_shift,
)

GENRES = ("folk", "celtic", "chorale")
COLLECTIONS = {"essenFolksong": "folk", "oneills1850": "celtic", "ryansMammoth": "celtic", "bach": "chorale"}
SPLITS = ("train", "val", "eval", "test")
# Cumulative shares: train 70%, val 5%, eval (held back for evaluation models) 15%, test 10%.
_SPLIT_EDGES = (0.70, 0.75, 0.90, 1.0)
_ALLOWED_BAR_QUARTERS = (2.0, 4.0, 8.0)
_MAX_REST_STEPS = STEPS_PER_BAR
CACHE_VERSION = 3  # bump whenever parsing or the codec changes what a window holds


@dataclass(frozen=True)
class TuneJob:
    """One tune to parse: a corpus file and, for multi-tune ABC files, its reference number."""

    genre: str
    collection: str
    path: str
    number: int | None

    @property
    def tune_id(self) -> str:
        """Stable identifier, e.g. ``oneills1850/0001-0050.abc#12``."""
        name = f"{self.collection}/{Path(self.path).name}"
        return name if self.number is None else f"{name}#{self.number}"


@dataclass
class Tune:
    """A parsed tune: its top line as tokens from the first full bar, and its bar lines."""

    tune_id: str
    genre: str
    tokens: np.ndarray
    bar_starts: list[int]


def cache_dir() -> Path:
    """Where parsed corpora are cached: $SEGUE_CACHE, else ~/.cache/segue (never in git)."""
    return Path(os.environ.get("SEGUE_CACHE", Path.home() / ".cache" / "segue"))


def list_jobs(limit_per_collection: int | None = None) -> list[TuneJob]:
    """Every tune of the four collections, in a stable order."""
    from music21 import corpus

    jobs: list[TuneJob] = []
    for collection, genre in COLLECTIONS.items():
        found: list[TuneJob] = []
        for path in sorted(str(p) for p in corpus.getPaths()):
            if f"/{collection}/" not in path:
                continue
            if collection == "bach":
                if re.search(r"/bwv[\d.]+\.mxl$", path):
                    found.append(TuneJob(genre, collection, path, None))
                continue
            if not path.endswith(".abc"):
                continue
            text = Path(path).read_text(encoding="utf-8", errors="replace")
            numbers = dict.fromkeys(int(n) for n in re.findall(r"^X:\s*(\d+)", text, re.M))
            found.extend(TuneJob(genre, collection, path, n) for n in numbers)
        jobs.extend(found[:limit_per_collection])
    return jobs


def _melody_part(score, collection: str):
    parts = list(score.parts) if hasattr(score, "parts") and len(score.parts) else [score]
    if collection == "bach":
        sopranos = [p for p in parts if "soprano" in (p.partName or "").lower()]
        return sopranos[0] if sopranos else None
    return parts[0]


def parse_tune(job: TuneJob) -> Tune | str:
    """Parse one tune into its top line on the 16th grid, or return why it was skipped."""
    from music21 import converter

    try:
        score = converter.parse(job.path, number=job.number) if job.number else converter.parse(job.path)
    except Exception as error:  # music21 raises many kinds on malformed ABC
        return f"parse error: {type(error).__name__}"
    part = _melody_part(score, job.collection)
    if part is None:
        return "no soprano part"
    part = part.stripTies()
    bar_lengths = {float(ts.barDuration.quarterLength) for ts in part.recurse().getElementsByClass("TimeSignature")}
    if not bar_lengths or not bar_lengths <= set(_ALLOWED_BAR_QUARTERS):
        return "meter not duple or quadruple"
    measures = list(part.getElementsByClass("Measure"))
    if len(measures) < 2:
        return "too short"
    first_full = 1 if measures[0].duration.quarterLength < measures[0].barDuration.quarterLength else 0
    origin = float(measures[first_full].offset)
    bar_starts = [round((float(m.offset) - origin) * STEPS_PER_BEAT) for m in measures[first_full:]]
    notes = [
        {"pitch": max(p.midi for p in n.pitches), "start_time": float(n.offset) - origin,
         "duration": float(n.quarterLength), "velocity": 100}
        for n in part.flatten().notes
        if n.quarterLength > 0 and float(n.offset) >= origin
    ]
    if not notes:
        return "no notes"
    shift = octave_shift([n["pitch"] for n in notes])
    if shift is None:
        return "range too wide"
    for note in notes:
        note["pitch"] += shift
    end = max(n["start_time"] + n["duration"] for n in notes)
    n_steps = int(np.ceil(end * STEPS_PER_BEAT))
    tokens = notes_to_tokens(notes, n_steps).tokens.astype(np.int8)
    return Tune(job.tune_id, job.genre, tokens, bar_starts)


def cut_windows(tune: Tune) -> tuple[np.ndarray, np.ndarray]:
    """4-bar windows starting on each bar line, without more than a bar of consecutive rest,
    and the step each window starts on."""
    windows, starts = [], []
    for start in tune.bar_starts:
        if start < 0 or start + WINDOW_STEPS > len(tune.tokens):
            continue
        window = tune.tokens[start : start + WINDOW_STEPS]
        if _longest_rest(window) > _MAX_REST_STEPS:
            continue
        windows.append(window)
        starts.append(start)
    return np.array(windows, dtype=np.int8).reshape(-1, WINDOW_STEPS), np.array(starts, dtype=np.int32)


def _longest_rest(window: np.ndarray) -> int:
    longest = run = 0
    for token in window:
        run = run + 1 if token == REST else 0
        longest = max(longest, run)
    return longest


def content_key(tokens: np.ndarray) -> str:
    """A transposition-invariant fingerprint, so copies of one tune share a split."""
    pitched = tokens >= 2
    relative = np.where(pitched, tokens.astype(np.int64) - (tokens[pitched][0] if pitched.any() else 0) + 1000, tokens)
    return hashlib.sha1(relative.astype(np.int64).tobytes()).hexdigest()


def split_of(key: str) -> str:
    """Deterministic split from a tune's fingerprint."""
    position = int(key[:8], 16) / 2**32
    return next(name for name, edge in zip(SPLITS, _SPLIT_EDGES) if position < edge)


@dataclass
class Corpus:
    """All windows, with per-window genre, split and tune indices."""

    windows: np.ndarray
    genre: np.ndarray
    split: np.ndarray
    tune: np.ndarray
    tune_ids: list[str]
    start: np.ndarray  # the step of its tune each window starts on

    def select(self, split: str, genre: str | None = None) -> np.ndarray:
        """Indices of the windows in ``split`` (and ``genre`` when given)."""
        mask = self.split == SPLITS.index(split)
        if genre is not None:
            mask &= self.genre == GENRES.index(genre)
        return np.flatnonzero(mask)

    def consecutive_pairs(self, split: str) -> tuple[np.ndarray, np.ndarray]:
        """Indices (left, right) of window pairs in ``split`` where the right window starts
        where the left one ends, in the same tune: the 8-bar phrases of Connective Fusion."""
        chosen = self.select(split)
        position = {(int(t), int(s)): int(i) for i, t, s in zip(chosen, self.tune[chosen], self.start[chosen])}
        pairs = [(i, position[(t, s + WINDOW_STEPS)]) for (t, s), i in position.items()
                 if (t, s + WINDOW_STEPS) in position]
        left, right = np.array(pairs, dtype=np.int64).reshape(-1, 2).T
        return left, right


def _cache_path(limit: int | None) -> Path:
    suffix = "full" if limit is None else f"limit{limit}"
    return cache_dir() / f"corpus-v{CACHE_VERSION}-{suffix}.npz"


def build_corpus(limit: int | None = None, workers: int = 2, refresh: bool = False) -> Corpus:
    """Parse (in parallel) or load from cache the windowed corpus."""
    path = _cache_path(limit)
    if path.exists() and not refresh:
        return load_corpus(path)
    jobs = list_jobs(limit)
    tunes: list[Tune] = []
    skipped: dict[str, int] = {}
    with Pool(workers) as pool:
        for result in tqdm(pool.imap(parse_tune, jobs, chunksize=8), total=len(jobs), desc="parsing tunes"):
            if isinstance(result, Tune):
                tunes.append(result)
            else:
                skipped[result] = skipped.get(result, 0) + 1
    corpus = _window_tunes(tunes)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".tmp.npz")
    np.savez_compressed(temporary, windows=corpus.windows, genre=corpus.genre, split=corpus.split,
                        tune=corpus.tune, tune_ids=np.array(corpus.tune_ids), start=corpus.start, skipped=json.dumps(skipped))
    temporary.replace(path)
    print(f"skipped tunes: {json.dumps(skipped, sort_keys=True)}")
    return corpus


def _window_tunes(tunes: list[Tune]) -> Corpus:
    seen: set[str] = set()
    parts: dict[str, list] = {"windows": [], "genre": [], "split": [], "tune": [], "start": []}
    tune_ids: list[str] = []
    for tune in tunes:
        key = content_key(tune.tokens)
        windows, starts = cut_windows(tune)
        if key in seen or not len(windows):
            continue
        seen.add(key)
        index = len(tune_ids)
        tune_ids.append(tune.tune_id)
        parts["windows"].append(windows)
        parts["start"].append(starts)
        for name, value in (("genre", GENRES.index(tune.genre)), ("split", SPLITS.index(split_of(key))), ("tune", index)):
            parts[name].append(np.full(len(windows), value, dtype=np.int32))
    if not tune_ids:
        raise RuntimeError("no usable tunes in the corpus")
    return Corpus(
        windows=np.concatenate(parts["windows"]),
        genre=np.concatenate(parts["genre"]),
        split=np.concatenate(parts["split"]),
        tune=np.concatenate(parts["tune"]),
        tune_ids=tune_ids,
        start=np.concatenate(parts["start"]),
    )


def load_corpus(path: Path) -> Corpus:
    """Load a cached corpus file."""
    with np.load(path) as data:
        return Corpus(data["windows"], data["genre"], data["split"], data["tune"], list(data["tune_ids"]),
                      data["start"])


def summary(corpus: Corpus) -> str:
    """A table of tunes and windows per genre and split."""
    lines = [f"{'genre':<9}" + "".join(f"{s + ' tunes':>13}{s + ' windows':>15}" for s in SPLITS)]
    for g, genre in enumerate(GENRES):
        cells = []
        for s, _ in enumerate(SPLITS):
            mask = (corpus.genre == g) & (corpus.split == s)
            cells.append(f"{len(np.unique(corpus.tune[mask])):>13}{int(mask.sum()):>15}")
        lines.append(f"{genre:<9}" + "".join(cells))
    lines.append(f"total: {len(corpus.tune_ids)} tunes, {len(corpus.windows)} windows")
    return "\n".join(lines)
