"use strict";
const test = require("node:test");
const assert = require("node:assert/strict");
const { encode, decode } = require("../osc");

test("messages round-trip with ints, floats and UTF-8 strings, padded to 4 bytes", () => {
  const data = encode("/segue/continue", [7, 0.5, '{"clip": "é"}']);
  assert.equal(data.length % 4, 0);
  const message = decode(data);
  assert.equal(message.address, "/segue/continue");
  assert.deepEqual(message.args, [7, 0.5, '{"clip": "é"}']);
});

test("the encoding matches the OSC 1.0 byte layout", () => {
  assert.deepEqual([...encode("/a", [1])], [0x2f, 0x61, 0, 0, 0x2c, 0x69, 0, 0, 0, 0, 0, 1]);
});

test("malformed data is refused with a reason", () => {
  assert.throws(() => decode(Buffer.from("no slash\0\0\0\0")), /not an OSC message/);
  assert.throws(() => decode(Buffer.from("/x\0\0,b\0\0")), /type tag b/);
  assert.throws(() => decode(Buffer.from("/unterminated")), /not terminated/);
  assert.throws(() => encode("/x", [{}]), /not supported/);
});
