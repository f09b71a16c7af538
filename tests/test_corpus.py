"""Corpus: parsing real music21 tunes, windowing, rest filter, splits, cache."""
import numpy as np
import pytest

from engine.codec import HOLD, REST, WINDOW_STEPS
from training import corpus


@pytest.fixture(scope="module")
def few_jobs():
    jobs = corpus.list_jobs(limit_per_collection=4)
    assert {job.collection for job in jobs} == set(corpus.COLLECTIONS)
    return jobs


def test_jobs_cover_exactly_the_four_collections(few_jobs):
    genres = {job.collection: job.genre for job in few_jobs}
    assert genres == {"essenFolksong": "folk", "oneills1850": "celtic", "ryansMammoth": "celtic", "bach": "chorale"}


def test_chorales_use_the_soprano_line():
    job = next(j for j in corpus.list_jobs(limit_per_collection=3) if j.genre == "chorale")
    tune = corpus.parse_tune(job)
    assert isinstance(tune, corpus.Tune)
    pitches = tune.tokens[tune.tokens >= 2]
    assert pitches.size and pitches.min() >= 2 + (57 - 48)  # a soprano stays above A3


def test_windows_start_on_bar_lines_and_skip_long_rests():
    tokens = np.full(16 * 8, HOLD, dtype=np.int8)
    tokens[::4] = 20
    tokens[16 * 5 : 16 * 5 + 20] = REST  # more than a bar of rest inside bars 6-7
    tune = corpus.Tune("t", "folk", tokens, bar_starts=list(range(0, 16 * 8, 16)))
    windows, starts = corpus.cut_windows(tune)
    # Starts 0, 16 and 32 see at most 16 steps of the rest; 48 and 64 see all 20 of it.
    assert len(windows) == 3 and starts.tolist() == [0, 16, 32]
    for window, start in zip(windows, (0, 16, 32)):
        assert np.array_equal(window, tokens[start : start + WINDOW_STEPS])


def test_a_rest_of_exactly_one_bar_is_allowed():
    tokens = np.full(WINDOW_STEPS, HOLD, dtype=np.int8)
    tokens[::8] = 20
    tokens[16:32] = REST
    assert len(corpus.cut_windows(corpus.Tune("t", "folk", tokens, [0]))[0]) == 1


def test_split_is_by_tune_and_transposition_invariant():
    tokens = np.array([20, HOLD, 22, REST, 25, HOLD], dtype=np.int8)
    shifted = np.where(tokens >= 2, tokens + 5, tokens).astype(np.int8)
    assert corpus.content_key(tokens) == corpus.content_key(shifted)
    assert corpus.split_of(corpus.content_key(tokens)) in corpus.SPLITS


def test_build_corpus_parses_caches_and_summarises(tmp_path, monkeypatch):
    monkeypatch.setenv("SEGUE_CACHE", str(tmp_path))
    built = corpus.build_corpus(limit=6, workers=2)
    assert built.windows.shape[1] == WINDOW_STEPS and len(built.windows)
    assert set(np.unique(built.genre)) <= {0, 1, 2}
    for tune in np.unique(built.tune):  # every window of a tune shares its split
        assert len(np.unique(built.split[built.tune == tune])) == 1
    cached = list(tmp_path.glob("corpus-*.npz"))
    assert len(cached) == 1
    monkeypatch.setattr(corpus, "list_jobs", lambda *a, **k: pytest.fail("re-parsed despite the cache"))
    again = corpus.build_corpus(limit=6)
    assert np.array_equal(again.windows, built.windows)
    assert "total:" in corpus.summary(again)


def test_consecutive_pairs_join_windows_four_bars_apart_in_one_tune():
    windows = np.zeros((6, WINDOW_STEPS), dtype=np.int8)
    # Tune 0 has windows at steps 0, 16, 64 and 128; tune 1 at 0 and 64, in another split.
    data = corpus.Corpus(windows=windows, genre=np.zeros(6, np.int32), split=np.array([0, 0, 0, 0, 3, 3], np.int32),
                         tune=np.array([0, 0, 0, 0, 1, 1], np.int32), tune_ids=["a", "b"],
                         start=np.array([0, 16, 64, 128, 0, 64], np.int32))
    left, right = data.consecutive_pairs("train")
    assert sorted(zip(left.tolist(), right.tolist())) == [(0, 2), (2, 3)]
    assert list(zip(*data.consecutive_pairs("test"))) == [(4, 5)]
    assert data.consecutive_pairs("val")[0].size == 0
