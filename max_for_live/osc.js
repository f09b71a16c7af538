// The few OSC 1.0 types protocol v1 uses: int32 (i), float32 (f), string (s).
// Kept here rather than as an npm dependency so the device runs in Max's node.script
// without an `npm install` on the musician's machine.
"use strict";

function pad(length) {
  return (length + 3) & ~3;
}

function encodeString(text) {
  const bytes = Buffer.from(text, "utf8");
  const out = Buffer.alloc(pad(bytes.length + 1));
  bytes.copy(out);
  return out;
}

function encode(address, args) {
  const tags = [","];
  const parts = [];
  for (const arg of args) {
    if (typeof arg === "string") {
      tags.push("s");
      parts.push(encodeString(arg));
    } else if (Number.isInteger(arg)) {
      tags.push("i");
      const b = Buffer.alloc(4);
      b.writeInt32BE(arg);
      parts.push(b);
    } else if (typeof arg === "number") {
      tags.push("f");
      const b = Buffer.alloc(4);
      b.writeFloatBE(arg);
      parts.push(b);
    } else {
      throw new TypeError(`OSC argument of type ${typeof arg} is not supported`);
    }
  }
  return Buffer.concat([encodeString(address), encodeString(tags.join("")), ...parts]);
}

function readString(buffer, offset) {
  const end = buffer.indexOf(0, offset);
  if (end < 0) throw new Error("OSC string is not terminated");
  return [buffer.toString("utf8", offset, end), pad(end + 1)];
}

function decode(buffer) {
  let [address, offset] = readString(buffer, 0);
  if (!address.startsWith("/")) throw new Error("not an OSC message");
  let tags;
  [tags, offset] = readString(buffer, offset);
  const args = [];
  for (const tag of tags.slice(1)) {
    if (tag === "i") { args.push(buffer.readInt32BE(offset)); offset += 4; }
    else if (tag === "f") { args.push(buffer.readFloatBE(offset)); offset += 4; }
    else if (tag === "s") { let text; [text, offset] = readString(buffer, offset); args.push(text); }
    else throw new Error(`OSC type tag ${tag} is not supported`);
  }
  return { address, args };
}

module.exports = { encode, decode };
