"""The standalone program: PyInstaller builds dist/segue/segue from bridge/segue.spec without
PyTorch; its self-test passes and it serves OSC from the bundle it carries."""
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.oscclient import Client

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def program(tmp_path_factory):
    pytest.importorskip("PyInstaller")
    work = tmp_path_factory.mktemp("standalone")
    build = subprocess.run([sys.executable, "-m", "PyInstaller", "--noconfirm", "--distpath", str(work / "dist"),
                            "--workpath", str(work / "build"), str(ROOT / "bridge" / "segue.spec")],
                           capture_output=True, text=True, cwd=work, timeout=900)
    assert build.returncode == 0, build.stderr[-3000:]
    return work / "dist" / "segue"


def test_the_program_carries_the_bundle_and_no_torch(program):
    internal = program / "_internal"
    assert (program / "segue").exists() and (internal / "exported_models" / "default" / "manifest.json").exists()
    assert not list(internal.glob("torch*")) and not list(internal.glob("training*"))


def test_self_test_runs_every_op(program):
    run = subprocess.run([str(program / "segue"), "--self-test"], capture_output=True, text=True, timeout=120, cwd="/")
    assert run.returncode == 0, run.stdout + run.stderr
    assert "op continue" in run.stdout and "OSC socket" in run.stdout and "passed" in run.stdout.splitlines()[-1]


def test_it_serves_osc_and_refuses_a_missing_bundle(program, tmp_path):
    process = subprocess.Popen([str(program / "segue"), "serve", "--no-midi", "--osc-port", "0"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd="/")
    try:
        port = int(process.stdout.readline().split(":")[-1].split()[0])
        client = Client(port)
        client.send("/segue/ping", 5)
        assert client.receive() == ("/segue/pong", [5, "0.1.0", "default"])
        client.close()
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=10)
    missing = subprocess.run([str(program / "segue"), "info", "--bundle", str(tmp_path / "none")],
                             capture_output=True, text=True, timeout=60)
    assert missing.returncode == 2 and "segue: error:" in missing.stderr


def test_offline_commands_work_from_the_program(program, tmp_path):
    segue = str(program / "segue")
    for args in (["generate", "-n", "2", "--seed", "1", "-o", str(tmp_path / "ideas.mid")],
                 ["continue", str(tmp_path / "ideas.mid"), "--bars", "4", "-o", str(tmp_path / "more.mid")],
                 ["faders", str(tmp_path / "ideas.mid"), "--density", "0.8", "-o", str(tmp_path / "busy.mid")],
                 ["optimize", "--objective", "longest_notes", "--budget", "8", "-o", str(tmp_path / "long.mid")],
                 ["info"]):
        run = subprocess.run([segue, *args], capture_output=True, text=True, timeout=120)
        assert run.returncode == 0, (args, run.stderr)
    assert (tmp_path / "more.mid").stat().st_size > 0
