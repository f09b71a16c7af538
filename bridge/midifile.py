"""MIDI files <-> clips, through mido."""
from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import mido

from engine import Clip, Note
from engine.clip import MAX_BEATS, LimitError

DRUM_CHANNEL = 9


class MidiFileError(Exception):
    """A MIDI file is missing, unreadable, or has nothing to work on."""


@dataclass(frozen=True)
class MidiClip:
    """A clip read from a file, with the file's tempo and meter."""

    clip: Clip
    tempo: int  # microseconds per beat
    meter: tuple[int, int]
    track_name: str


def _open(path: Path) -> mido.MidiFile:
    if not path.is_file():
        raise MidiFileError(f"{path}: no such file")
    try:
        return mido.MidiFile(str(path))
    except (OSError, EOFError, ValueError, KeyError, IndexError) as error:
        raise MidiFileError(f"{path}: not a readable MIDI file ({error})") from None


def _notes(track: mido.MidiTrack, ticks_per_beat: int) -> list[Note]:
    notes, sounding, now = [], {}, 0
    for message in track:
        now += message.time
        if message.type not in ("note_on", "note_off"):
            continue
        key = (message.channel, message.note)
        if message.type == "note_on" and message.velocity > 0:
            sounding.setdefault(key, []).append((now, message.velocity))
        elif sounding.get(key):
            start, velocity = sounding[key].pop(0)
            if now > start:
                notes.append(Note(message.note, start / ticks_per_beat, (now - start) / ticks_per_beat, velocity))
    return sorted(notes, key=lambda n: (n.start_time, -n.pitch))


def _has_melodic_notes(track: mido.MidiTrack) -> bool:
    return any(m.type == "note_on" and m.velocity > 0 and m.channel != DRUM_CHANNEL for m in track)


def read_clip(path: str | Path, track: str | None = None) -> MidiClip:
    """The first non-drum track with notes (or the track named or numbered by ``track``)."""
    path = Path(path)
    midi = _open(path)
    if midi.type == 2:
        raise MidiFileError(f"{path}: type 2 (multi-song) MIDI files are not supported")
    tracks = list(midi.tracks)
    if track is not None:
        chosen = [t for i, t in enumerate(tracks) if str(i) == track or t.name == track]
        if not chosen:
            names = ", ".join(f"{i}:{t.name or '(unnamed)'}" for i, t in enumerate(tracks))
            raise MidiFileError(f"{path}: no track {track!r}; tracks are {names}")
    else:
        chosen = [t for t in tracks if _has_melodic_notes(t)]
        if not chosen:
            raise MidiFileError(f"{path}: no track with notes outside the drum channel")
    notes = [n for n in _notes(chosen[0], midi.ticks_per_beat)]
    if not notes:
        raise MidiFileError(f"{path}: track {chosen[0].name or track!r} has no notes")
    tempo, meter = 500_000, (4, 4)
    for message in mido.merge_tracks(tracks):
        if message.type == "set_tempo":
            tempo = message.tempo
            break
    for message in mido.merge_tracks(tracks):
        if message.type == "time_signature":
            meter = (message.numerator, message.denominator)
            break
    bar = meter[0] * 4 / meter[1]
    end = max(n.start_time + n.duration for n in notes)
    length = math.ceil(round(end / bar, 6)) * bar
    if length > MAX_BEATS:
        raise LimitError(f"{path}: {length:g} beats of music; the limit is {MAX_BEATS:g} beats (64 bars of 4/4)")
    return MidiClip(Clip(length, tuple(notes)), tempo, meter, chosen[0].name)


def write_clips(path: str | Path, clips: list[Clip], tempo: int = 500_000, meter: tuple[int, int] = (4, 4),
                ticks_per_beat: int = 480) -> None:
    """Write clips one after another on one track of a type-1 file."""
    midi = mido.MidiFile(type=1, ticks_per_beat=ticks_per_beat)
    meta = mido.MidiTrack([mido.MetaMessage("set_tempo", tempo=tempo),
                           mido.MetaMessage("time_signature", numerator=meter[0], denominator=meter[1])])
    events: list[tuple[int, int, mido.Message]] = []
    offset = 0.0
    for clip in clips:
        for note in clip.notes:
            start = round((offset + note.start_time) * ticks_per_beat)
            end = max(start + 1, round((offset + note.start_time + note.duration) * ticks_per_beat))
            events.append((start, 1, mido.Message("note_on", note=note.pitch, velocity=note.velocity)))
            events.append((end, 0, mido.Message("note_off", note=note.pitch, velocity=0)))
        offset += clip.length
    track = mido.MidiTrack([mido.MetaMessage("track_name", name="Segue")])
    now = 0
    for tick, _, message in sorted(events, key=lambda e: (e[0], e[1])):  # offs before ons at the same tick
        track.append(message.copy(time=tick - now))
        now = tick
    midi.tracks.extend([meta, track])
    midi.save(str(path))
