"use strict";
// The device's OSC client against a real `segue serve` (OSC only) on the shipped bundle.
const test = require("node:test");
const assert = require("node:assert/strict");
const path = require("path");
const { spawn } = require("child_process");
const { SegueClient } = require("../segue_osc");

const ROOT = path.join(__dirname, "..", "..");
const PYTHON = process.env.SEGUE_PYTHON || "python3";
const CLIP = { length: 16, notes: Array.from({ length: 16 }, (_, i) => (
  { pitch: 60 + (i * 5) % 12, start_time: i, duration: 0.5, velocity: 60 + i })) };

function startServer() {
  return new Promise((resolve, reject) => {
    const server = spawn(PYTHON, ["-m", "bridge", "serve", "--no-midi", "--osc-port", "0"], { cwd: ROOT });
    let out = "";
    server.stdout.on("data", (data) => {
      out += data;
      const match = out.match(/osc\.udp:\/\/[\d.]+:(\d+)/);
      if (match) resolve({ server, port: Number(match[1]) });
    });
    server.on("exit", (code) => reject(new Error(`segue serve exited with ${code}: ${out}`)));
  });
}

function client(port, timeoutMs = 10000) {
  const events = [];
  let wake = null;
  const push = (event) => { events.push(event); if (wake) wake(); };
  const c = new SegueClient({
    port, timeoutMs,
    onReply: (id, json) => push({ kind: "reply", id, json }),
    onFail: (id, code, message) => push({ kind: "fail", id, code, message }),
    onStatus: (text) => push({ kind: "status", text }),
  });
  c.next = async (kind) => {
    for (;;) {
      const index = events.findIndex((e) => e.kind === kind);
      if (index >= 0) return events.splice(index, 1)[0];
      await new Promise((resolve) => { wake = resolve; });
    }
  };
  return c;
}

test("the device client talks protocol v1 to a real server", async (t) => {
  const { server, port } = await startServer();
  t.after(() => server.kill("SIGINT"));
  const c = client(port);
  t.after(() => c.close());
  await c.start();

  c.ping();
  assert.match((await c.next("status")).text, /^connected to Segue .*, bundle default/);

  c.request(1, "continue", JSON.stringify({ clip: CLIP, bars: 4, variations: 2, seed: 1 }));
  const reply = await c.next("reply");
  const result = JSON.parse(reply.json);
  assert.equal(reply.id, 1);
  assert.equal(result.clips.length, 2);
  assert.ok(result.clips.every((clip) => clip.length === 16 && clip.notes.length > 0));

  c.request(2, "interpolate", JSON.stringify({ a: CLIP, b: CLIP, steps: 3 }));
  assert.equal(JSON.parse((await c.next("reply")).json).clips.length, 3);

  // The latent tools, as the device builds their requests from its boxes.
  const { buildRequest, parseGenre } = require("../segue_live");
  const params = { genre: "folk 0.5 chorale 0.5", amount: 1, max_iterations: 4, objective: "first_pitch",
                   target: "62", budget: 16, variations: 1, temperature: 1, use_faders: 0 };
  c.request(5, "restyle", JSON.stringify(buildRequest("restyle", params, {}, CLIP, null)));
  assert.equal(JSON.parse((await c.next("reply")).json).clip.length, 16);
  c.request(6, "refine", JSON.stringify(buildRequest("refine", params, {}, CLIP, null)));
  const refined = JSON.parse((await c.next("reply")).json);
  assert.ok(refined.clips.length >= 1 && refined.clips.length <= 4 && typeof refined.fixed_point === "boolean");
  c.request(7, "optimize", JSON.stringify(buildRequest("optimize", params, {}, null, null)));
  const found = JSON.parse((await c.next("reply")).json);
  assert.ok(found.clip.notes.length > 0 && typeof found.met === "boolean" && found.evaluations === 16);
  c.request(8, "generate", JSON.stringify(buildRequest("generate", { ...params, genre: "celtic 0.3 chorale 0.7" }, {}, null, null)));
  assert.equal(JSON.parse((await c.next("reply")).json).clips.length, 1);
  c.request(9, "restyle", JSON.stringify({ clip: CLIP, genre: parseGenre("jazz") }));
  const unknown = await c.next("fail");
  assert.equal(unknown.code, "bad_request");
  assert.match(unknown.message, /unknown genre 'jazz'/);

  c.request(3, "continue", "{not json");
  const failure = await c.next("fail");
  assert.deepEqual([failure.id, failure.code], [3, "bad_json"]);

  c.request(4, "continue", JSON.stringify({ clip: CLIP, bars: 999 }));
  assert.equal((await c.next("fail")).code, "too_large");
});

test("no server: the request fails with a timeout the musician can act on", async (t) => {
  const c = client(9, 300); // discard port: nothing answers
  t.after(() => c.close());
  await c.start();
  c.request(1, "generate", "{}");
  const failure = await c.next("fail");
  assert.equal(failure.code, "timeout");
  assert.match(failure.message, /is segue serve running/);
});
