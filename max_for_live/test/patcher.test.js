"use strict";
// Segue.maxpat is valid Max JSON, its cords connect real inlets and outlets, and every message
// it sends the [js] object names a function segue_live.js defines.
const test = require("node:test");
const assert = require("node:assert/strict");
const fs = require("fs");
const path = require("path");
const { LiveSet, loadDevice } = require("./mock_live");

const HERE = path.join(__dirname, "..");
const patcher = JSON.parse(fs.readFileSync(path.join(HERE, "Segue.maxpat"), "utf8")).patcher;
const boxes = new Map(patcher.boxes.map(({ box }) => [box.id, box]));

test("the patcher has Max's document structure", () => {
  assert.equal(patcher.fileversion, 1);
  assert.equal(patcher.classnamespace, "box");
  assert.equal(boxes.size, patcher.boxes.length, "box ids are unique");
  for (const box of boxes.values()) {
    assert.ok(box.maxclass && Array.isArray(box.patching_rect) && box.patching_rect.length === 4, box.id);
    assert.equal(box.outlettype.length, box.numoutlets, box.id);
  }
});

test("every patch cord joins an existing outlet to an existing inlet", () => {
  assert.ok(patcher.lines.length > 40);
  for (const { patchline } of patcher.lines) {
    const [from, outlet] = patchline.source;
    const [to, inlet] = patchline.destination;
    assert.ok(boxes.has(from) && boxes.has(to), `${from} -> ${to}`);
    assert.ok(outlet < boxes.get(from).numoutlets, `${from} has no outlet ${outlet}`);
    assert.ok(inlet < boxes.get(to).numinlets, `${to} has no inlet ${inlet}`);
  }
});

test("the scripts it loads exist, MIDI passes through, and the js object understands every message sent to it", () => {
  const texts = [...boxes.values()].map((b) => b.text || "");
  assert.ok(texts.includes("js segue_live.js") && fs.existsSync(path.join(HERE, "segue_live.js")));
  assert.ok(texts.some((t) => t.startsWith("node.script segue_osc.js")) && fs.existsSync(path.join(HERE, "segue_osc.js")));
  const byText = (t) => [...boxes.values()].find((b) => b.text === t).id;
  assert.ok(patcher.lines.some(({ patchline: l }) => l.source[0] === byText("midiin") && l.destination[0] === byText("midiout")));

  const js = byText("js segue_live.js");
  const { device } = loadDevice(new LiveSet({ tracks: [{ slots: [null] }] }));
  const senders = patcher.lines.filter(({ patchline: l }) => l.destination[0] === js).map(({ patchline: l }) => boxes.get(l.source[0]));
  const selectors = senders.map((b) => (b.maxclass === "message" ? b.text : b.text.replace(/^prepend /, "")).split(" ")[0]);
  assert.ok(selectors.length >= 20);
  for (const selector of selectors.filter((s) => s !== "node.script")) {
    assert.equal(typeof device[selector], "function", `segue_live.js has no function ${selector}`);
  }
});

test("Segue.amxd is a MIDI-effect device container holding the same patcher", () => {
  const data = fs.readFileSync(path.join(HERE, "Segue.amxd"));
  assert.equal(data.toString("latin1", 0, 4), "ampf");
  assert.equal(data.toString("latin1", 8, 12), "mmmm");
  assert.equal(data.toString("latin1", 24, 28), "ptch");
  const size = data.readUInt32LE(28);
  assert.equal(size, data.length - 32);
  assert.deepEqual(JSON.parse(data.subarray(32).toString("utf8")).patcher, patcher);
});
