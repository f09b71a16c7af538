"use strict";
const test = require("node:test");
const assert = require("node:assert/strict");
const { LiveSet, makeClip, loadDevice } = require("./mock_live");

const MELODY = [
  { pitch: 62, start_time: 1, duration: 0.5, velocity: 40, probability: 0.5 },
  { pitch: 60, start_time: 0, duration: 1, velocity: 110 },
  { pitch: 70, start_time: 2, duration: 1, velocity: 90, mute: 1 },
];

// Objects made inside the device's context have that context's prototypes.
const plain = (value) => JSON.parse(JSON.stringify(value));

function session({ live = 12, slots } = {}) {
  const set = new LiveSet({ live, tracks: [{ slots: slots || [makeClip({ name: "riff", length: 4, notes: MELODY }), null, null] }] });
  set.detailClip = "live_set tracks 0 clip_slots 0 clip";
  return set;
}

function answer(clips) {
  return JSON.stringify({ clips, warnings: [] });
}

const RESULT = { length: 8, notes: [{ pitch: 64, start_time: 0, duration: 2, velocity: 77 },
                                    { pitch: 67, start_time: 4, duration: 1, velocity: 101 }] };

test("reads Live 11 notes with their velocity and probability, leaving muted notes out", () => {
  const { device } = loadDevice(session());
  const clip = device.readClip("live_set tracks 0 clip_slots 0 clip");
  assert.equal(clip.length, 4);
  assert.deepEqual(plain(clip.notes.map((n) => [n.pitch, n.start_time, n.velocity])), [[60, 0, 110], [62, 1, 40]]);
  assert.equal(clip.notes[1].probability, 0.5);
});

test("falls back to Live 10's get_notes and keeps velocities", () => {
  const { device } = loadDevice(session({ live: 10 }));
  const clip = device.readClip("live_set tracks 0 clip_slots 0 clip");
  assert.deepEqual(plain(clip.notes.map((n) => [n.pitch, n.velocity])), [[60, 110], [62, 40]]);
});

test("continue sends one request with clip A and the device's settings", () => {
  const { device, sent } = loadDevice(session());
  device.pick_a();
  device.param("bars", 8);
  device.param("temperature", 0.5);
  device.fader("density", 1.4);
  device.param("use_faders", 1);
  device.run("continue");
  const [outletIndex, word, id, op, json] = sent.find((s) => s[0] === 0);
  assert.deepEqual([outletIndex, word, id, op], [0, "request", 1, "continue"]);
  const request = JSON.parse(json);
  assert.equal(request.bars, 8);
  assert.equal(request.temperature, 0.5);
  assert.deepEqual(plain(request.faders), { density: 1 });
  assert.deepEqual(request.clip.notes.map((n) => n.pitch), [60, 62]);
});

test("fader dials shape continue and generate only when switched on; faders always uses them", () => {
  const { device, sent } = loadDevice(session());
  device.pick_a();
  device.fader("motion", 0.2);
  device.run("continue");
  device.run("faders");
  const [plainContinue, faders] = sent.filter((s) => s[0] === 0).map((s) => JSON.parse(s[4]));
  assert.deepEqual(plain(plainContinue.faders), {});
  assert.deepEqual(plain(faders.faders), { motion: 0.2 });
});

test("host and port settings reconnect the OSC client", () => {
  const { device, sent } = loadDevice(session());
  device.host("192.168.1.20");
  device.port(9100);
  assert.deepEqual(plain(sent.filter((s) => s[0] === 0)), [[0, "connect", "192.168.1.20", 9000], [0, "connect", "192.168.1.20", 9100]]);
});

test("results go into the empty slots below the source, named after the operation", () => {
  const set = session();
  const { device, status } = loadDevice(set);
  device.pick_a();
  device.run("continue");
  device.reply(1, answer([RESULT, RESULT]));
  const [source, first, second] = set.tracks[0].slots;
  assert.equal(source.name, "riff");
  assert.equal(first.name, "Segue continue 1");
  assert.equal(second.name, "Segue continue 2");
  assert.equal(first.length, 8);
  assert.deepEqual(first.notes.map((n) => [n.pitch, n.start_time, n.duration, n.velocity]),
                   [[64, 0, 2, 77], [67, 4, 1, 101]]);
  assert.match(status().at(-1), /wrote 2 clips/);
});

test("a clip is never overwritten: full slots are skipped and a scene is added when none is free", () => {
  const keep = makeClip({ name: "mine", notes: [{ pitch: 50, start_time: 0, duration: 1, velocity: 10 }] });
  const set = session({ slots: [makeClip({ name: "riff", notes: MELODY }), keep, null] });
  const { device } = loadDevice(set);
  device.pick_a();
  device.run("faders");
  device.reply(1, answer([RESULT, RESULT]));
  const slots = set.tracks[0].slots;
  assert.equal(slots[1], keep);
  assert.deepEqual(keep.notes.map((n) => n.pitch), [50]);
  assert.equal(slots[2].name, "Segue faders 1");
  assert.equal(slots.length, 4);
  assert.equal(slots[3].name, "Segue faders 2");
  assert.ok(set.calls.some((c) => c[1] === "create_scene"));
});

test("in the Arrangement, results go after the source and around other clips", () => {
  const source = makeClip({ name: "verse", length: 4, start: 8, notes: MELODY });
  const other = makeClip({ name: "keep", length: 4, start: 12 });
  const set = new LiveSet({ live: 12, tracks: [{ slots: [null], arrangement: [source, other] }] });
  set.detailClip = "live_set tracks 0 arrangement_clips 0";
  const { device } = loadDevice(set);
  device.pick_a();
  device.run("continue");
  device.reply(1, answer([RESULT, RESULT]));
  const made = set.tracks[0].arrangement.slice(2);
  assert.deepEqual(made.map((c) => [c.start_time, c.name]), [[16, "Segue continue 1"], [24, "Segue continue 2"]]);
  assert.equal(other.notes.length, 0);
});

test("Live 11 cannot create arrangement clips: the result is kept, nothing is touched, and the musician is told", () => {
  const source = makeClip({ name: "verse", length: 4, start: 0, notes: MELODY });
  const set = new LiveSet({ live: 11, tracks: [{ slots: [null], arrangement: [source] }] });
  set.detailClip = "live_set tracks 0 arrangement_clips 0";
  const { device, status } = loadDevice(set);
  device.pick_a();
  device.run("continue");
  device.reply(1, answer([RESULT]));
  assert.equal(set.tracks[0].arrangement.length, 1);
  assert.match(status().at(-1), /needs Live 12.*kept: press Write/);
  assert.equal(device.state.pending.length, 1);
});

// With clip A picked, ``op`` is refused with a message matching ``pattern`` and nothing is sent.
function refusedWithClipA(op, pattern) {
  const loaded = loadDevice(session());
  loaded.device.pick_a();
  loaded.device.run(op);
  assert.match(loaded.status().at(-1), pattern);
  assert.equal(loaded.sent.filter((s) => s[0] === 0).length, 0);
  return loaded;
}

test("interpolate and fuse need clip B and say so", () => {
  const { device, sent } = refusedWithClipA("fuse", /fuse needs clip B/);
  device.slot_b(1, 1); // track 1, slot 1 as Live shows them
  device.param("style_x", 0.2);
  device.run("fuse");
  const request = JSON.parse(sent.find((s) => s[0] === 0)[4]);
  assert.deepEqual(request.style, [0.2, 0.5]);
  assert.equal(request.right.notes.length, 2);
  assert.equal("method" in request, false);  // the menu's first item leaves the server's default
  device.param("fuse_method", 2);  // the menu's index: generator
  device.run("fuse");
  assert.equal(JSON.parse(sent.filter((s) => s[0] === 0)[1][4]).method, "generator");
  device.param("fuse_method", 3);  // both flows: the left clip is mended too
  device.run("fuse");
  assert.equal(JSON.parse(sent.filter((s) => s[0] === 0)[2][4]).method, "flow-both");
});

test("generate writes into the selected track, even with clip A picked elsewhere", () => {
  const set = new LiveSet({ tracks: [{ slots: [makeClip({ name: "riff", notes: MELODY }), null] }, { slots: [null, null] }],
                            selectedTrack: 1 });
  set.detailClip = "live_set tracks 0 clip_slots 0 clip";
  const { device } = loadDevice(set);
  device.pick_a();
  device.param("variations", 2);
  device.run("generate");
  device.reply(1, answer([RESULT, RESULT]));
  assert.deepEqual(set.tracks[1].slots.map((c) => c.name), ["Segue generate 1", "Segue generate 2"]);
  assert.equal(set.tracks[0].slots[1], null);
});

test("errors from Segue, unknown replies and missing clips are shown, not thrown", () => {
  const set = session();
  const { device, status } = loadDevice(set);
  device.run("continue");
  assert.match(status().at(-1), /needs clip A/);
  device.pick_a();
  device.run("continue");
  device.fail(1, "too_large", "bars must be 1..64");
  assert.equal(status().at(-1), "Segue error (too_large): bars must be 1..64");
  device.reply(1, answer([RESULT]));  // late: no longer waited for
  device.reply(99, answer([RESULT]));
  assert.deepEqual(set.tracks[0].slots.slice(1), [null, null]);
  device.run("continue");
  device.reply(2, "not json");
  assert.match(status().at(-1), /not JSON/);
  set.tracks[0].slots[0].midi = false;
  device.run("continue");
  assert.match(status().at(-1), /audio clip/);
  device.run("dance");
  assert.match(status().at(-1), /unknown operation/);
});

test("the protocol conversion keeps Live 11 fields both ways", () => {
  const { device } = loadDevice(session());
  const clip = device.toProtocolClip([{ pitch: 60, start_time: 0, duration: 1, velocity: 99, probability: 0.25, release_velocity: 30 }], 4);
  assert.deepEqual(plain(device.toLiveNotes(clip)), [{ pitch: 60, start_time: 0, duration: 1, velocity: 99, probability: 0.25, release_velocity: 30 }]);
  assert.deepEqual(plain(device.parsePath("live_set tracks 3 clip_slots 5 clip")), { track: 3, slot: 5 });
  assert.deepEqual(plain(device.parsePath("live_set tracks 1 arrangement_clips 2")), { track: 1, arrangement: 2 });
});

test("the genre box reads a genre or a blend, and a weight must follow its genre", () => {
  const { device } = loadDevice(session());
  assert.equal(device.parseGenre(""), null);
  assert.equal(device.parseGenre(" chorale "), "chorale");
  assert.deepEqual(plain(device.parseGenre("folk 0.7 celtic 0.3")), { folk: 0.7, celtic: 0.3 });
  assert.deepEqual(plain(device.parseGenre("folk=0.7, celtic=0.3")), { folk: 0.7, celtic: 0.3 });
  assert.deepEqual(plain(device.parseGenre("folk chorale")), { folk: 1, chorale: 1 });
  assert.throws(() => device.parseGenre("0.5 folk"), /after its genre/);
  assert.throws(() => device.parseGenre("folk 0.5 0.5"), /after its genre/);
  assert.equal(device.parseTarget(" 62 "), 62);
  assert.equal(device.parseTarget("D minor"), "D minor");
  assert.equal(device.parseTarget(""), undefined);
});

test("restyle sends clip A, the genre box's blend and the amount; without a genre it says what to type", () => {
  const { device, sent } = refusedWithClipA("restyle", /restyle needs a genre/);
  device.param("genre", "folk", 0.5, "chorale", 0.5);  // a text box sends its words as atoms
  device.param("amount", 1.5);
  device.run("restyle");
  const request = JSON.parse(sent.find((s) => s[0] === 0)[4]);
  assert.deepEqual(request.genre, { folk: 0.5, chorale: 0.5 });
  assert.equal(request.amount, 1.5);
  assert.deepEqual(request.clip.notes.map((n) => n.pitch), [60, 62]);
  device.param("genre", "bang");  // the box emptied
  assert.equal(device.state.params.genre, "");
});

test("refine writes each step below clip A and says whether it settled", () => {
  const set = session();
  const { device, sent, status } = loadDevice(set);
  device.pick_a();
  device.param("max_iterations", 3);
  device.run("refine");
  assert.equal(JSON.parse(sent.find((s) => s[0] === 0)[4]).max_iterations, 3);
  device.reply(1, JSON.stringify({ clips: [RESULT, RESULT], fixed_point: true, warnings: [] }));
  assert.deepEqual(set.tracks[0].slots.slice(1).map((c) => c.name), ["Segue refine 1", "Segue refine 2"]);
  assert.match(status().at(-1), /wrote 2 clips — reached a fixed point/);
});

test("optimize sends the menu's objective, the target box and the budget, and reports the target", () => {
  const set = new LiveSet({ tracks: [{ slots: [null, null] }], selectedTrack: 0 });
  const { device, sent, status } = loadDevice(set);
  device.param("objective", 4);  // the menu's index: in_scale
  device.param("target", "D", "minor");
  device.param("budget", 128);
  device.param("genre", "celtic");
  device.run("optimize");
  const request = JSON.parse(sent.find((s) => s[0] === 0)[4]);
  assert.deepEqual(plain(request), { objective: "in_scale", budget: 128, genre: "celtic", target: "D minor" });
  device.reply(1, JSON.stringify({ clip: RESULT, score: 0.875, met: false, evaluations: 128 }));
  assert.equal(set.tracks[0].slots[0].name, "Segue optimize");
  assert.match(status().at(-1), /target not met \(best score 0\.88\)/);
  device.param("genre", "bang");
  device.param("objective", 0);
  device.param("target", 62);
  device.run("optimize");
  assert.deepEqual(plain(JSON.parse(sent.filter((s) => s[0] === 0)[1][4])), { objective: "first_pitch", budget: 128, target: 62 });
});

test("generate sends the genre box's blend when there is one", () => {
  const set = new LiveSet({ tracks: [{ slots: [null] }], selectedTrack: 0 });
  const { device, sent } = loadDevice(set);
  device.run("generate");
  device.param("genre", "folk", 0.3, "chorale", 0.7);
  device.run("generate");
  const [plainGenerate, blended] = sent.filter((s) => s[0] === 0).map((s) => JSON.parse(s[4]));
  assert.equal(plainGenerate.genre, undefined);
  assert.deepEqual(blended.genre, { folk: 0.3, chorale: 0.7 });
});
