"""The offline CLI on MIDI files the tests write themselves."""
import subprocess
import sys

import mido
import pytest

from bridge.cli import main
from bridge.midifile import read_clip, write_clips
from engine import parse_clip


def write_melody(path, pitch0=60, tempo=400_000, meter=(4, 4), drums_first=False):
    midi = mido.MidiFile(type=1)
    meta = mido.MidiTrack([mido.MetaMessage("set_tempo", tempo=tempo),
                           mido.MetaMessage("time_signature", numerator=meter[0], denominator=meter[1])])
    midi.tracks.append(meta)
    if drums_first:
        midi.tracks.append(mido.MidiTrack([mido.Message("note_on", channel=9, note=36, velocity=100),
                                           mido.Message("note_off", channel=9, note=36, time=240)]))
    track = mido.MidiTrack([mido.MetaMessage("track_name", name="lead")])
    for i in range(16):
        track.append(mido.Message("note_on", note=pitch0 + (i * 3) % 12, velocity=60 + i * 3, time=0))
        track.append(mido.Message("note_off", note=pitch0 + (i * 3) % 12, velocity=0, time=480))
    midi.tracks.append(track)
    midi.save(str(path))
    return path


def test_read_takes_the_first_melodic_track_tempo_and_meter(tmp_path):
    source = read_clip(write_melody(tmp_path / "a.mid", tempo=400_000, meter=(2, 4), drums_first=True))
    assert source.tempo == 400_000 and source.meter == (2, 4) and source.track_name == "lead"
    assert len(source.clip.notes) == 16 and source.clip.notes[1].velocity == 63
    assert source.clip.length == 16.0


def test_write_then_read_round_trips_notes(tmp_path):
    clip = parse_clip({"length": 8, "notes": [{"pitch": 64, "start_time": 0.5, "duration": 1.25, "velocity": 77}]})
    write_clips(tmp_path / "out.mid", [clip, clip])
    back = read_clip(tmp_path / "out.mid").clip
    assert [(n.pitch, n.start_time, n.duration, n.velocity) for n in back.notes] == [
        (64, 0.5, 1.25, 77), (64, 8.5, 1.25, 77)]


def test_interpolate_faders_generate_render_info(tmp_path, tiny_bundle, capsys):
    a, b = write_melody(tmp_path / "a.mid"), write_melody(tmp_path / "b.mid", pitch0=67)
    bundle = ["--bundle", str(tiny_bundle)]
    assert main(["interpolate", *bundle, str(a), str(b), "--steps", "3", "-o", str(tmp_path / "i.mid")]) == 0
    assert read_clip(tmp_path / "i.mid").tempo == 400_000
    assert main(["faders", *bundle, str(a), "--density", "0.8", "--fader", "motion=0.1",
                          "-o", str(tmp_path / "f.mid")]) == 0
    assert main(["generate", *bundle, "--genre", "folk", "-n", "2", "--seed", "1", "-o", str(tmp_path / "g.mid")]) == 0
    assert main(["render", *bundle, str(a), "-o", str(tmp_path / "roll.png")]) == 0
    assert (tmp_path / "roll.png").read_bytes()[:4] == b"\x89PNG"
    assert main(["info", *bundle]) == 0
    out = capsys.readouterr().out
    assert "wrote 3 clips" in out and "fader    density" in out


def test_fuse_and_continue_write_phrases(tmp_path, tiny_pair_bundle, capsys):
    a, b = write_melody(tmp_path / "a.mid"), write_melody(tmp_path / "b.mid", pitch0=67)
    bundle = ["--bundle", str(tiny_pair_bundle)]
    assert main(["fuse", *bundle, str(a), str(b), "--style", "0.1", "0.9", "--iterations", "2", "--keep-iterations",
                 "-o", str(tmp_path / "fused.mid")]) == 0
    assert main(["continue", *bundle, str(a), "--bars", "8", "-n", "2", "--seed", "3", "--fuse-with", str(b),
                 "--density", "0.7", "-o", str(tmp_path / "next.mid")]) == 0
    assert main(["continue", *bundle, str(a), "--alone", "--interpolate-to", str(b), "--alpha", "0.3",
                 "-o", str(tmp_path / "alone.mid")]) == 0
    out = capsys.readouterr().out
    assert "wrote 2 clips to" in out and out.count("wrote") == 3
    # Two variations of the 16-beat input then 32 beats of continuation, one after another;
    # the input's own notes come back first, unchanged.
    written = mido.MidiFile(str(tmp_path / "next.mid"))
    ticks = sum(message.time for message in written.tracks[1])
    assert ticks <= 96 * written.ticks_per_beat
    assert read_clip(tmp_path / "next.mid").clip.notes[:16] == read_clip(a).clip.notes
    alone = mido.MidiFile(str(tmp_path / "alone.mid"))
    assert sum(message.time for message in alone.tracks[1]) <= 16 * alone.ticks_per_beat


@pytest.mark.parametrize("make, message", [
    (lambda p: p / "missing.mid", "no such file"),
    (lambda p: (p / "text.mid").write_text("hello") and p / "text.mid", "not a readable MIDI file"),
    (lambda p: _empty_midi(p / "empty.mid"), "no track with notes"),
])
def test_bad_inputs_give_one_line_and_exit_2(tmp_path, tiny_bundle, make, message):
    path = make(tmp_path)
    result = subprocess.run([sys.executable, "-m", "bridge", "faders", "--bundle", str(tiny_bundle), str(path),
                             "--density", "0.5", "-o", str(tmp_path / "out.mid")], capture_output=True, text=True)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and message in result.stderr


def _empty_midi(path):
    midi = mido.MidiFile(type=1)
    midi.tracks.append(mido.MidiTrack([mido.MetaMessage("track_name", name="nothing")]))
    midi.save(str(path))
    return path


def test_outputs_never_overwrite_without_force(tmp_path, tiny_bundle, capsys):
    a = write_melody(tmp_path / "a.mid")
    before = a.read_bytes()
    assert main(["faders", "--bundle", str(tiny_bundle), str(a), "--density", "0.5", "-o", str(a), "--force"]) == 2
    assert a.read_bytes() == before
    out = tmp_path / "out.mid"
    out.write_bytes(b"mine")
    assert main(["faders", "--bundle", str(tiny_bundle), str(a), "--density", "0.5", "-o", str(out)]) == 2
    assert out.read_bytes() == b"mine"
    assert "pass --force" in capsys.readouterr().err


def test_unknown_track_lists_the_tracks(tmp_path, tiny_bundle, capsys):
    a = write_melody(tmp_path / "a.mid")
    assert main(["faders", "--bundle", str(tiny_bundle), str(a), "--track", "bass", "--density", "0.5",
                 "-o", str(tmp_path / "o.mid")]) == 2
    assert "tracks are 0:(unnamed), 1:lead" in capsys.readouterr().err


@pytest.mark.parametrize("args, message", [
    (["continue", "{a}", "--fuse-with", "{missing}"], "no such file"),
    (["continue", "{a}", "--bars", "99"], "bars must be 1..64"),
    (["fuse", "{a}", "{a}", "--iterations", "0"], "iterations must be 1..8"),
    (["fuse", "{a}", "{a}", "--similarity", "1000"], "similarity must be a number in"),
    (["continue", "{a}", "--fader", "loudness=1"], "unknown fader"),
    (["restyle", "{a}", "--genre", "folk=lots"], "--genre takes NAME or NAME=WEIGHT"),
    (["restyle", "{a}", "--genre", "polka"], "unknown genre 'polka'"),
    (["restyle", "{a}", "--genre", "folk", "--amount", "5"], "amount must be a number in 0..2"),
    (["refine", "{a}", "--max-iterations", "0"], "max_iterations must be 1..32"),
    (["optimize", "--objective", "first_pitch"], "first_pitch needs --target"),
    (["optimize", "--objective", "in_scale", "--target", "H dorian"], "unknown key"),
    (["optimize", "--objective", "longest_notes", "--budget", "2"], "budget must be 4..1024"),
    (["generate", "--genre", "folk=0,celtic=0"], "genre weights must not all be 0"),
])
def test_bad_phrase_commands_give_one_line_and_keep_the_output(tmp_path, tiny_pair_bundle, capsys, args, message):
    a = write_melody(tmp_path / "a.mid")
    out = tmp_path / "out.mid"
    out.write_bytes(b"mine")
    filled = [arg.format(a=a, missing=tmp_path / "missing.mid") for arg in args]
    assert main([*filled, "--bundle", str(tiny_pair_bundle), "-o", str(out), "--force"]) == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and message in error
    assert out.read_bytes() == b"mine"


@pytest.mark.parametrize("args, message", [
    (["serve", "--meter", "5/3"], "unsupported meter"),
    (["serve", "--phrase-bars", "0"], "must be in 1..16"),
    (["serve", "--mode", "jazz"], "invalid choice: 'jazz'"),
    (["serve", "--in-channel", "17"], "must be in 1..16"),
])
def test_bad_serve_options_are_refused_before_anything_starts(args, message, capsys):
    with pytest.raises(SystemExit) as stop:
        main(args)
    assert stop.value.code == 2 and message in capsys.readouterr().err


def test_ports_without_a_midi_system_gives_one_line(monkeypatch, capsys):
    monkeypatch.setenv("JACK_DEFAULT_SERVER", "segue-test-no-such-server")
    monkeypatch.setenv("JACK_NO_START_SERVER", "1")
    assert main(["ports", "--midi-api", "jack"]) == 2
    error = capsys.readouterr().err
    assert error.startswith("segue: error: jack:") and error.count("\n") == 1
