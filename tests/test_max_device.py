"""The Max for Live device's own test suite (node's built-in runner: a mock Live set, the OSC
codec, the patcher's wiring, and the device's OSC client against a real `segue serve`), and the
committed patcher being the one its builder writes."""
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

DEVICE = Path(__file__).resolve().parent.parent / "max_for_live"


def test_patcher_in_git_is_what_the_builder_writes():
    check = subprocess.run([sys.executable, str(DEVICE / "build_patcher.py"), "--check"],
                           capture_output=True, text=True, timeout=60)
    assert check.returncode == 0, check.stderr


def test_npm_test_passes():
    if shutil.which("npm") is None:
        if os.environ.get("SEGUE_REQUIRE_NODE"):
            pytest.fail("Node.js is not installed and SEGUE_REQUIRE_NODE is set")
        pytest.skip("Node.js is not installed (.ci/run requires it)")
    run = subprocess.run(["npm", "test"], cwd=DEVICE, capture_output=True, text=True, timeout=300,
                         env={**os.environ, "SEGUE_PYTHON": sys.executable})
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
    assert "# fail 0" in run.stdout
