"""Live MIDI without a MIDI system: clock following, the note scheduler, phrase capture,
each mode's answers, and CC control, driven tick by tick."""
import time

import mido
import pytest

from bridge.midi.clock import PPQN, ClockFollower, TempoEstimate
from bridge.midi.control import ControlMap, scaled
from bridge.midi.performer import CAPTURE_LEAD, Performer
from bridge.midi.probe import with_dropped_ticks
from bridge.midi.recorder import PhraseRecorder
from bridge.midi.scheduler import NoteScheduler, TimedNote
from bridge.session import Session
from engine import Engine, parse_clip

BAR = 4 * PPQN


class Recorder:
    """A listener that writes down what the clock told it."""

    def __init__(self):
        self.events = []

    def on_start(self):
        self.events.append("start")

    def on_tick(self, tick, now):
        self.events.append(tick)

    def on_stop(self):
        self.events.append("stop")


def test_clock_follower_counts_from_start_and_song_position():
    listener = Recorder()
    follower = ClockFollower(listener)
    follower.handle(mido.Message("clock"), 0.0)  # before Start: tempo only, no position
    follower.handle(mido.Message("start"), 0.0)
    for i in range(3):
        follower.handle(mido.Message("clock"), 0.01 * i)
    follower.handle(mido.Message("stop"), 0.1)
    follower.handle(mido.Message("songpos", pos=8), 0.1)  # 8 sixteenths = 48 ticks
    follower.handle(mido.Message("continue"), 0.1)
    follower.handle(mido.Message("clock"), 0.2)
    assert listener.events == ["start", 0, 1, 2, "stop", "start", 48]
    assert follower.handle(mido.Message("note_on"), 0.3) is False


def test_tempo_estimate_follows_a_clock_and_ignores_pauses():
    tempo = TempoEstimate(bpm=120)
    interval = 60 / (90 * PPQN)
    for i in range(400):
        tempo.tick(i * interval)
    tempo.tick(400 * interval + 5.0)  # a long pause is not a tempo change
    assert tempo.bpm == pytest.approx(90, abs=0.5)


def test_scheduler_plays_on_the_tick_sends_offs_first_and_never_late():
    sent = []
    scheduler = NoteScheduler(sent.append, channel=2)
    scheduler.schedule([TimedNote(6, 12, 60, 90), TimedNote(12, 18, 60, 70), TimedNote(0, 3, 64, 80)])
    for tick in range(20):
        scheduler.on_tick(tick)
        if tick == 12:
            assert [(m.type, m.note) for m in sent[-2:]] == [("note_off", 60), ("note_on", 60)]
    ons = [(m.note, m.velocity) for m in sent if m.type == "note_on"]
    assert ons == [(64, 80), (60, 90), (60, 70)] and all(m.channel == 2 for m in sent)
    assert sum(m.type == "note_off" for m in sent) == 3 and scheduler.sounding == {}
    scheduler.schedule([TimedNote(5, 8, 67, 90)])  # its tick has passed: dropped, not played late
    assert scheduler.late == 1 and scheduler.pending == []


def test_scheduler_replaces_unplayed_notes_and_panic_silences_everything():
    sent = []
    scheduler = NoteScheduler(sent.append)
    scheduler.schedule([TimedNote(0, 50, 60, 90), TimedNote(10, 20, 62, 90), TimedNote(30, 40, 64, 90)])
    scheduler.on_tick(0)
    scheduler.schedule([TimedNote(25, 30, 65, 90)], replace_from=5)
    assert [n.pitch for n in scheduler.pending] == [65] and 60 in scheduler.sounding
    scheduler.panic()
    assert [(m.type, getattr(m, "note", None)) for m in sent[-2:]] == [("note_off", 60), ("control_change", None)]
    assert sent[-1].control == 123 and scheduler.sounding == {} and scheduler.pending == []


def test_recorder_takes_anticipated_notes_and_cuts_held_ones():
    recorder = PhraseRecorder(lead=CAPTURE_LEAD)
    recorder.note_on(60, 90, BAR - 2)  # just before the bar line: belongs to the phrase that starts there
    recorder.note_off(60, BAR + 20)
    recorder.note_on(62, 70, BAR + 48)  # still held when the phrase is cut
    recorder.note_on(64, 70, 2 * BAR - 1)  # in the last half 16th: belongs to the next phrase
    clip = recorder.clip(BAR, 2 * BAR)
    assert clip.length == 4.0
    assert [(n.pitch, n.start_time, n.velocity) for n in clip.notes] == [(60, 0.0, 90), (62, 2.0, 70)]
    assert clip.notes[0].duration == pytest.approx(20 / PPQN) and clip.notes[1].duration == pytest.approx(2.0)


@pytest.fixture(scope="module")
def engine(tiny_pair_bundle):
    return Engine(tiny_pair_bundle)


def make_performer(engine, mode="call-response", bars=1):
    sent = []
    session = Session([f.name for f in engine.bundle.faders], [g.name for g in engine.bundle.genres])
    scheduler = NoteScheduler(sent.append)
    performer = Performer(engine, session, scheduler, mode=mode, phrase_bars=bars)
    return performer, session, sent


def play(performer, ticks, notes=None, until_idle=True):
    """Tick the performer through ``ticks``, playing ``notes`` {tick: [(pitch, on)]}; waits
    for each answer before the next tick so the test does not depend on the machine's speed."""
    for tick in ticks:
        performer.on_tick(tick, time.perf_counter())
        for pitch, on in (notes or {}).get(tick, ()):
            performer.on_note(mido.Message("note_on" if on else "note_off", note=pitch, velocity=90 if on else 0))
        if until_idle:
            performer.wait_idle()


PHRASE = {0: [(60, True)], 20: [(60, False)], 24: [(64, True)], 44: [(64, False)],
          48: [(67, True)], 68: [(67, False)], 72: [(72, True)], 92: [(72, False)]}


def test_call_response_answers_in_the_next_phrase_on_16ths(engine):
    performer, _, sent = make_performer(engine)
    performer.on_start()
    on_ticks = []
    performer.scheduler.send = lambda m: (sent.append(m), on_ticks.append(performer._tick) if m.type == "note_on" else None)
    play(performer, range(3 * BAR), PHRASE)
    assert performer.readiness()["count"] == 1
    assert on_ticks and all(BAR <= t < 2 * BAR and t % 6 == 0 for t in on_ticks)
    offs = sum(m.type == "note_off" for m in sent)
    assert offs == len(on_ticks) and performer.scheduler.sounding == {}


def test_call_response_starts_on_the_bar_where_the_musician_starts(engine):
    performer, _, sent = make_performer(engine)
    performer.on_start()
    late_phrase = {tick + 2 * BAR: notes for tick, notes in PHRASE.items()}
    ticks = []
    performer.scheduler.send = lambda m: ticks.append(performer._tick) if m.type == "note_on" else None
    play(performer, range(5 * BAR), late_phrase)
    assert ticks and all(3 * BAR <= t < 4 * BAR for t in ticks)


def test_continuous_mode_answers_every_bar_and_replaces_what_is_unplayed(engine):
    performer, _, sent = make_performer(engine, mode="continuous", bars=2)
    performer.on_start()
    long_phrase = {**PHRASE, **{tick + BAR: notes for tick, notes in PHRASE.items()},
                   **{tick + 2 * BAR: notes for tick, notes in PHRASE.items()}}
    play(performer, range(3 * BAR + 1), long_phrase)
    assert performer.readiness()["count"] == 3  # after bars 1, 2 and 3
    assert all(n.on_tick >= 3 * BAR for n in performer.scheduler.pending)


@pytest.mark.parametrize("mode", ["fuse", "interpolate"])
def test_fuse_and_interpolate_modes_answer_with_clip_b(engine, mode):
    performer, session, sent = make_performer(engine, mode=mode)
    session.clip_b = parse_clip({"length": 4, "notes": [{"pitch": 50 + i, "start_time": i, "duration": 1,
                                                          "velocity": 100} for i in range(4)]})
    session.set("alpha", 1.0)
    recorder = performer.recorder
    recorder.note_on(60, 90, 0)
    recorder.note_off(60, 90)
    phrase = recorder.clip(0, BAR)
    answer = performer.respond(phrase)
    assert answer.length == 4.0 and answer.notes
    if mode == "interpolate":  # at alpha 1 the answer is clip B's own decoding, whatever was played
        other = parse_clip({"length": 4, "notes": [{"pitch": 72, "start_time": 0, "duration": 4, "velocity": 90}]})
        assert performer.respond(other) == answer
    else:
        expected = engine.continuation(phrase, bars=1, fuse_with=session.clip_b, style=[0.5, 0.5]).clips[0]
        assert answer == expected


def test_mode_change_and_stop_silence_whatever_plays(engine):
    performer, session, sent = make_performer(engine)
    performer.on_start()
    play(performer, range(BAR + 12), PHRASE)
    assert performer.scheduler.sounding or performer.scheduler.pending
    performer.set_mode("continuous")
    assert performer.scheduler.sounding == {} and performer.scheduler.pending == []
    assert sent[-1].type == "control_change" and sent[-1].control == 123
    with pytest.raises(ValueError, match="mode must be one of"):
        performer.set_mode("jazz")


def test_cc_map_sets_params_and_midi_learn_rebinds(engine):
    session = Session([f.name for f in engine.bundle.faders], [])
    controls = ControlMap(session, [f.name for f in engine.bundle.faders])
    controls.handle(mido.Message("control_change", control=21, value=127))
    controls.handle(mido.Message("control_change", control=26, value=127))
    controls.handle(mido.Message("control_change", control=29, value=40))
    values = session.snapshot()
    assert values[engine.bundle.faders[0].name] == 1.0 and values["temperature"] == 2.0
    assert values["mode"] == "continuous" and scaled("mode", 127) == "interpolate"
    controls.learn("alpha")
    controls.handle(mido.Message("control_change", control=50, value=0))
    controls.handle(mido.Message("control_change", control=50, value=127))
    assert controls.mapping[50] == "alpha" and 25 not in controls.mapping and session.snapshot()["alpha"] == 1.0
    controls.handle(mido.Message("control_change", control=99, value=3))  # unmapped: ignored
    with pytest.raises(ValueError, match="learnable params"):
        controls.learn("volume")


def test_session_tells_listeners_about_mode_changes():
    session = Session(["density"], [])
    heard = []
    session.subscribe(lambda name, value: heard.append((name, value)))
    session.set("mode", "fuse")
    session.set("style_x", 0.25)
    assert heard == [("mode", "fuse"), ("style_x", 0.25)]
    with pytest.raises(Exception, match="mode must be one of"):
        session.set("mode", "loud")


def test_meter_sets_the_bar_and_the_answer_length(engine):
    sent = []
    session = Session([f.name for f in engine.bundle.faders], [])
    performer = Performer(engine, session, NoteScheduler(sent.append), phrase_bars=2, meter=(3, 4))
    assert performer.bar_ticks == 72 and performer.phrase_ticks == 144
    assert Performer(engine, session, NoteScheduler(sent.append), meter=(6, 8)).bar_ticks == 72
    performer.on_start()
    waltz = {0: [(60, True)], 20: [(60, False)], 72: [(64, True)], 90: [(64, False)]}
    play(performer, range(3 * 144), waltz)
    assert performer.readiness()["count"] == 1
    answer = [m for m in sent if m.type == "note_on"]
    assert answer and performer.scheduler.sounding == {}


@pytest.mark.parametrize("dropped", [[0], [5], [3, 4], [2, 7], [9]])
def test_probe_puts_back_clock_ticks_its_input_dropped(dropped):
    interval = 0.01
    jitter = [0.0, 0.0008, -0.0005, 0.0011, 0.0, -0.0009, 0.0004, 0.0, 0.001, -0.0003]
    sent = [interval * (i + 1) + jitter[i] for i in range(10)]  # Start at 0, one tick before the first
    heard = [t for i, t in enumerate(sent) if i not in dropped]
    restored = with_dropped_ticks(heard, len(dropped), start=0.0, stop=sent[-1] + 0.0002)
    assert len(restored) == len(sent)
    assert max(abs(a - b) for a, b in zip(restored, sent)) < interval / 2


def test_probe_without_stop_puts_dropped_ticks_between_the_ticks_heard():
    heard = [0.01, 0.02, 0.04, 0.05]
    assert with_dropped_ticks(heard, 1, start=0.0, stop=None) == pytest.approx([0.01, 0.02, 0.03, 0.04, 0.05])


def test_probe_leaves_out_ticks_lost_at_the_end_without_a_stop():
    heard = [0.01, 0.0208, 0.03, 0.0401, 0.05]  # ticks 6..9 never came back, and neither did Stop
    assert with_dropped_ticks(heard, 4, start=0.0, stop=None) == heard
