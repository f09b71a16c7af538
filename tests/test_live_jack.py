"""Live MIDI against a real JACK server (Debian's jackd2 with the dummy driver and 32-frame
periods): a `segue serve` subprocess and a probe client that plays clock and notes into
"Segue In" and listens to "Segue Out"."""
import contextlib
import functools
import json
import os
import shutil
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from bridge.midi.probe import Probe, note, release_parked, start_dummy_jack, xruns_in
from tests.oscclient import ROOT, Client, server_log, start_server

BPM = 240
TICKS_PER_BAR = 96
DELIVERY = 2  # ticks a note may take through JACK's cycles to the probe
PHRASE = {0: [note(60, 90)], 20: [note(60, on=False)], 24: [note(64, 80)], 44: [note(64, on=False)],
          48: [note(67, 110)], 68: [note(67, on=False)], 72: [note(72, 70)], 92: [note(72, on=False)]}


ATTEMPTS = 3  # of a test whose failure coincided with a JACK xrun


class Jack:
    """The JACK server the tests play through, and its xrun count (0 when it was already running:
    its log is not ours to read)."""

    def __init__(self, log):
        self.log = log

    def xruns(self):
        return 0 if self.log is None else xruns_in(self.log)


@pytest.fixture(scope="module")
def jack(tmp_path_factory):
    if shutil.which("jackd") is None:
        if os.environ.get("SEGUE_REQUIRE_JACK"):
            pytest.fail("jackd2 is not installed and SEGUE_REQUIRE_JACK is set")
        pytest.skip("jackd2 is not installed (.ci/run installs it)")
    log = tmp_path_factory.mktemp("jack") / "jackd.log"
    # Longer cycles than the benchmark's 0.67 ms: on a busy 2-core host those miss deadlines and drop events.
    process = start_dummy_jack(period=256, log=log)
    yield Jack(log if process is not None else None)
    if process is not None:
        process.terminate()
        process.wait(timeout=10)
        release_parked()


def retried_after_xrun(test):
    """Run ``test`` again (up to ATTEMPTS times) when it failed while JACK reported an xrun: a late
    cycle loses the MIDI events in it, Segue's note-offs too, and that is JACK's loss, not Segue's.
    A failure with no xrun during it fails at once, so a note Segue really leaves hanging still fails."""
    @functools.wraps(test)
    def run(jack, *args, **kwargs):
        for attempt in range(1, ATTEMPTS + 1):
            before = jack.xruns()
            try:
                return test(jack, *args, **kwargs)
            except AssertionError:
                if attempt == ATTEMPTS or jack.xruns() == before:
                    raise
                print(f"JACK reported an xrun during attempt {attempt}; running {test.__name__} again")
    return run


@contextlib.contextmanager
def live(bundle, *args):
    process, port = start_server(bundle, "--midi-api", "jack", *args, midi=True)
    line = process.stdout.readline()
    probe = None
    try:
        assert "MIDI (jack)" in line, line + server_log(process)
        probe = Probe()
        yield process, port, probe
    finally:
        if probe is not None:
            probe.close()
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            process.wait(timeout=10)


def answer_ticks(probe):
    """The clock tick each of Segue's note-ons came on (how late it came is
    benchmarks/midi_timing.py's business: a test asserts no timings)."""
    ticks = np.array(probe.tick_times())
    return [int(np.searchsorted(ticks, received.time, side="right")) - 1 for received in probe.note_ons()]


def assert_nothing_hanging(probe, process):
    """Every note-on Segue sent has its note-off; on failure, show Segue's last messages and log."""
    hanging = probe.hanging()
    assert hanging == set(), (hanging, [r.data for r in probe.from_segue()[-8:]], server_log(process))


def assert_answers_ping(port):
    client = Client(port)
    client.send("/segue/ping", 3)
    assert client.receive()[0] == "/segue/pong"
    client.close()


def status(port):
    client = Client(port)
    try:
        return client.result("live", 1, {})
    finally:
        client.close()


@retried_after_xrun
def test_call_response_answers_in_the_next_bars_on_16th_ticks(jack, tiny_pair_bundle):
    with live(tiny_pair_bundle, "--phrase-bars", "1") as (process, port, probe):
        probe.play(BPM, 2 * TICKS_PER_BAR + 6, PHRASE)
        probe.settle()
        answers = answer_ticks(probe)
        assert answers, server_log(process)
        # A note sent on its tick arrives a JACK cycle or two later, after the next tick on a busy host
        # (benchmarks/midi_timing.py measures how late; test_live_midi.py checks the exact grid without
        # JACK). Here: every answer is in the answer bar and all sit on one 16th grid, at most DELIVERY
        # ticks behind the bar's, with one tick of jitter between them.
        assert all(TICKS_PER_BAR <= tick < 2 * TICKS_PER_BAR + DELIVERY for tick in answers), answers
        assert any(all((tick - lag) % 6 in (0, 1) for tick in answers) for lag in range(DELIVERY + 1)), answers
        assert_nothing_hanging(probe, process)
        assert status(port)["readiness_ms"]["count"] == 1


@retried_after_xrun
def test_stop_mid_answer_sends_every_note_off(jack, tiny_pair_bundle):
    with live(tiny_pair_bundle, "--phrase-bars", "1") as (process, port, probe):
        probe.play(BPM, TICKS_PER_BAR + 40, PHRASE)  # Stop 40 ticks into the answer
        probe.settle()
        assert probe.note_ons(), server_log(process)
        assert_nothing_hanging(probe, process)
        last = probe.from_segue()[-1].data
        assert last[0] & 0xF0 == 0xB0 and last[1] == 123  # All Notes Off after the note-offs


@retried_after_xrun
def test_continuous_mode_keeps_answering_after_every_bar(jack, tiny_pair_bundle):
    with live(tiny_pair_bundle, "--mode", "continuous", "--phrase-bars", "1") as (process, port, probe):
        melody = {tick + bar * TICKS_PER_BAR: messages for bar in range(3) for tick, messages in PHRASE.items()}
        probe.play(BPM, 4 * TICKS_PER_BAR, melody)
        probe.settle()
        # Nothing before the first bar has been played: every answer is heard after tick 96 went out
        # (a count JACK's echo timing cannot shift).
        assert probe.note_ons() and min(r.ticks_sent for r in probe.note_ons()) > TICKS_PER_BAR, server_log(process)
        bars = {tick // TICKS_PER_BAR for tick in answer_ticks(probe)}
        assert len(bars) >= 2, (bars, server_log(process))
        assert status(port)["readiness_ms"]["count"] >= 3
        assert_nothing_hanging(probe, process)


@pytest.mark.parametrize("mode", ["fuse", "interpolate"])
@retried_after_xrun
def test_fuse_and_interpolate_modes_answer_with_clip_b_from_osc(jack, tiny_pair_bundle, mode):
    clip_b = {"length": 4, "notes": [{"pitch": 55 + 2 * i, "start_time": i, "duration": 1, "velocity": 100}
                                     for i in range(4)]}
    with live(tiny_pair_bundle, "--mode", mode, "--phrase-bars", "1") as (process, port, probe):
        client = Client(port)
        client.send("/segue/clip/b", json.dumps(clip_b))
        client.send("/segue/param/alpha", 0.8)
        assert client.result("live", 1, {})["clip_b"] is True
        client.close()
        probe.play(BPM, 2 * TICKS_PER_BAR + 6, PHRASE)
        probe.settle()
        assert answer_ticks(probe), server_log(process)
        assert "plain continuation" not in server_log(process)
        assert_nothing_hanging(probe, process)


@retried_after_xrun
def test_cc_map_and_midi_learn_over_jack(jack, tiny_pair_bundle):
    with live(tiny_pair_bundle) as (process, port, probe):
        probe.send(0xB0, 29, 40)  # mode: continuous
        probe.send(0xB0, 21, 127)  # first fader
        time.sleep(0.2)  # MIDI takes a JACK cycle or two; the OSC learn below must come after it
        client = Client(port)
        client.send("/segue/learn", "temperature")
        time.sleep(0.2)
        probe.send(0xB0, 50, 127)
        time.sleep(0.3)
        state = client.result("live", 2, {})
        client.close()
        assert state["mode"] == "continuous" and state["params"]["temperature"] == 2.0, (state, server_log(process))
        assert state["cc"]["50"] == "temperature" and 1.0 in state["params"].values()


@retried_after_xrun
def test_sysex_and_junk_are_ignored(jack, tiny_pair_bundle):
    with live(tiny_pair_bundle, "--phrase-bars", "1") as (process, port, probe):
        probe.send(0xF0, 0x7D, 0x01, 0x02, 0xF7)
        probe.send(0x42, 0x17)  # running-status bytes with no status: junk
        probe.send(0xF4)  # undefined system common
        probe.play(BPM, 2 * TICKS_PER_BAR + 6, PHRASE)
        probe.settle()
        assert answer_ticks(probe)
        assert_nothing_hanging(probe, process)
        assert process.poll() is None and "Traceback" not in server_log(process)


@retried_after_xrun
def test_sigterm_mid_answer_sends_every_note_off(jack, tiny_pair_bundle):
    with live(tiny_pair_bundle, "--phrase-bars", "1") as (process, port, probe):
        probe.play(BPM, TICKS_PER_BAR + 30, PHRASE, stop=False)
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=10)
        probe.settle()
        assert probe.note_ons()
        assert_nothing_hanging(probe, process)
        assert probe.from_segue()[-1].data[1] == 123


@retried_after_xrun
def test_internal_clock_answers_without_midi_clock(jack, tiny_pair_bundle):
    with live(tiny_pair_bundle, "--phrase-bars", "1", "--bpm", str(BPM)) as (process, port, probe):
        beat = 60 / BPM
        for pitch in (60, 64, 67, 72, 74, 72):
            probe.send(*note(pitch))
            time.sleep(beat * 0.8)
            probe.send(*note(pitch, on=False))
            time.sleep(beat * 0.2)
        time.sleep(4 * beat)
        state = status(port)
        assert state["clock"] == "internal" and state["readiness_ms"]["count"] >= 1
        assert probe.note_ons(), server_log(process)
        process.send_signal(signal.SIGINT)
        process.wait(timeout=10)
        probe.settle()
        assert_nothing_hanging(probe, process)


def test_a_vanished_output_port_is_reopened_when_it_returns(jack, tiny_pair_bundle):
    import rtmidi

    def sink():
        port = rtmidi.MidiIn(rtmidi.API_UNIX_JACK, name="Sink")
        port.open_virtual_port("stage synth")
        return port

    first = sink()
    process, port = start_server(tiny_pair_bundle, "--midi-api", "jack", "--midi-out", "stage synth", midi=True)
    try:
        assert "stage synth" in process.stdout.readline()
        first.close_port()
        first.delete()
        deadline = time.monotonic() + 5
        while status(port)["ports"]["out"] is not None and time.monotonic() < deadline:
            time.sleep(0.1)
        assert status(port)["ports"]["out"] is None
        second = sink()
        deadline = time.monotonic() + 5
        while status(port)["ports"]["out"] is None and time.monotonic() < deadline:
            time.sleep(0.1)
        assert "stage synth" in status(port)["ports"]["out"]
        log = server_log(process)
        assert "vanished" in log and "is back" in log
        second.close_port()
        second.delete()
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=10)


def test_ports_command_lists_segue_ports(jack, tiny_pair_bundle):
    with live(tiny_pair_bundle):
        listing = subprocess.run([sys.executable, "-m", "bridge", "ports", "--midi-api", "jack"],
                                 capture_output=True, text=True, cwd=ROOT, timeout=30)
    assert listing.returncode == 0 and "Segue In" in listing.stdout and "Segue Out" in listing.stdout


def test_without_a_continuation_model_segue_serves_osc_only(jack, tiny_bundle):
    process, port = start_server(tiny_bundle, "--midi-api", "jack", midi=True)
    try:
        assert "MIDI is off, serving OSC only: bundle 'tiny' has no continuation model" in process.stdout.readline()
        assert_answers_ping(port)
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=10)


def test_without_a_midi_system_segue_serves_osc_only(tiny_pair_bundle):
    env = {**os.environ, "JACK_DEFAULT_SERVER": "segue-test-no-such-server", "JACK_NO_START_SERVER": "1"}
    process = subprocess.Popen([sys.executable, "-m", "bridge", "serve", "--bundle", str(tiny_pair_bundle),
                                "--osc-port", "0", "--midi-api", "jack"], cwd=ROOT, env=env, text=True,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        port = int(process.stdout.readline().split(":")[-1].split()[0])
        line = process.stdout.readline()
        assert line.startswith("Segue: MIDI is off, serving OSC only: jack")
        assert_answers_ping(port)
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=10)
