"""Soak: mixed ops at 200 requests/s against a real server for SEGUE_SOAK_SECONDS (60 in CI,
10 by default). Every request is answered in the end (fader sweeps may be superseded by newer
ones), none is refused, and memory stays flat. Whether it keeps up without a backlog, and how
fast, is a figure of benchmarks/soak.py, not a test: it depends on the machine."""
import os

from benchmarks.soak import run

SECONDS = float(os.environ.get("SEGUE_SOAK_SECONDS", "10"))


def test_mixed_ops_at_200_per_second_are_all_answered_without_growth(tiny_pair_bundle):
    result = run(tiny_pair_bundle, SECONDS, 200.0, settle=300.0)
    assert result["answered"] == result["sent"], result
    assert result["errors"] == 0 and result["ok"] > result["sent"] / 2
    assert result["rss_end_mb"] - result["rss_start_mb"] <= 30
