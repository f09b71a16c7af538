// An in-memory Live set behind a LiveAPI look-alike: tracks, session slots, arrangement clips,
// notes and the selection. It refuses to create a clip where one exists, so any overwrite fails.
"use strict";

function makeClip({ name = "", length = 4, notes = [], start = 0, midi = true } = {}) {
  let nextId = 1;
  return {
    name, length, midi, start_time: start, end_time: start + length,
    notes: notes.map((n) => ({ note_id: nextId++, mute: 0, probability: 1, velocity_deviation: 0,
                               release_velocity: 64, ...n })),
  };
}

class LiveSet {
  constructor({ tracks, selectedTrack = 0, live = 12 }) {
    this.tracks = tracks.map((t) => ({ slots: t.slots || [], arrangement: t.arrangement || [] }));
    this.detailClip = null;
    this.selectedTrack = selectedTrack;
    this.live = live; // 10, 11 or 12: which functions exist
    this.calls = [];
  }

  scenes() {
    return Math.max(...this.tracks.map((t) => t.slots.length));
  }

  resolve(path) {
    const w = path.replace(/"/g, "").trim().split(/\s+/);
    if (w.join(" ") === "live_set") return { kind: "song", path: "live_set" };
    if (w.join(" ") === "live_set view detail_clip") return this.detailClip ? this.resolve(this.detailClip) : null;
    if (w.join(" ") === "live_set view selected_track") return this.resolve(`live_set tracks ${this.selectedTrack}`);
    if (w[1] !== "tracks") return null;
    const t = Number(w[2]);
    const track = this.tracks[t];
    if (!track) return null;
    if (w.length === 3) return { kind: "track", track, t, path: `live_set tracks ${t}` };
    if (w[3] === "clip_slots") {
      const s = Number(w[4]);
      if (s >= this.scenes()) return null;
      const slotPath = `live_set tracks ${t} clip_slots ${s}`;
      if (w.length === 5) return { kind: "slot", track, t, s, path: slotPath };
      const clip = track.slots[s];
      return clip ? { kind: "clip", clip, path: `${slotPath} clip` } : null;
    }
    if (w[3] === "arrangement_clips") {
      const clip = track.arrangement[Number(w[4])];
      return clip ? { kind: "clip", clip, path: `live_set tracks ${t} arrangement_clips ${Number(w[4])}` } : null;
    }
    return null;
  }

  functions(kind) {
    const clip = this.live >= 11 ? ["get_notes_extended", "add_new_notes", "remove_notes_extended"] : [];
    return {
      clip: [...clip, "get_notes", "set_notes", "notes", "note", "done"],
      slot: ["create_clip", "delete_clip"],
      track: this.live >= 12 ? ["create_midi_clip"] : [],
      song: ["create_scene"],
    }[kind];
  }
}

function liveApiFor(set) {
  return class LiveAPI {
    constructor(callback, path) {
      this.target = set.resolve(path);
      this.id = this.target ? 1 : 0;
      this.unquotedpath = this.target ? this.target.path : "";
      this.path = `"${this.unquotedpath}"`;
      this.info = this.target ? set.functions(this.target.kind).map((f) => `function ${f}`).join("\n") : "";
      this.legacy = null;
    }

    get(property) {
      const { kind, clip, track, t, s } = this.target;
      if (kind === "clip") {
        const values = { name: clip.name, length: clip.length, is_midi_clip: clip.midi ? 1 : 0,
                         start_time: clip.start_time, end_time: clip.end_time };
        return [values[property]];
      }
      if (kind === "slot" && property === "has_clip") return [track.slots[s] ? 1 : 0];
      if (kind === "track" && property === "name") return [`Track ${t + 1}`];
      throw new Error(`mock: no property ${property} on ${kind}`);
    }

    set(property, value) {
      if (this.target.kind !== "clip" || property !== "name") throw new Error(`mock: cannot set ${property}`);
      this.target.clip.name = value;
    }

    getcount(children) {
      const { kind, track } = this.target;
      if (kind === "track" && children === "clip_slots") return set.scenes();
      if (kind === "track" && children === "arrangement_clips") return track.arrangement.length;
      throw new Error(`mock: no children ${children} on ${kind}`);
    }

    call(name, ...args) {
      const { kind } = this.target;
      if (!set.functions(kind).includes(name)) throw new Error(`mock: ${kind} has no function ${name} in Live ${set.live}`);
      set.calls.push([this.unquotedpath, name, ...args]);
      const target = this.target;
      if (name === "create_scene") {
        const rows = set.scenes();
        for (const track of set.tracks) {
          while (track.slots.length < rows) track.slots.push(null);
          track.slots.push(null);
        }
        return undefined;
      }
      if (name === "create_clip") {
        if (target.track.slots[target.s]) throw new Error("mock: create_clip on a slot that has a clip (overwrite)");
        while (target.track.slots.length <= target.s) target.track.slots.push(null);
        target.track.slots[target.s] = makeClip({ length: args[0] });
        return undefined;
      }
      if (name === "create_midi_clip") {
        const [start, length] = args;
        for (const other of target.track.arrangement)
          if (other.start_time < start + length && other.end_time > start) throw new Error("mock: arrangement overlap (overwrite)");
        target.track.arrangement.push(makeClip({ length, start }));
        return undefined;
      }
      const clip = target.clip;
      if (name === "get_notes_extended") return JSON.stringify({ notes: clip.notes });
      if (name === "add_new_notes") {
        for (const n of args[0].notes) clip.notes.push({ note_id: clip.notes.length + 1, mute: 0, ...n });
        return undefined;
      }
      if (name === "get_notes") {
        const words = ["notes", clip.notes.length];
        for (const n of clip.notes) words.push("note", n.pitch, n.start_time, n.duration, n.velocity, n.mute ? 1 : 0);
        words.push("done");
        return words.join(" ");
      }
      if (name === "set_notes") { this.legacy = []; return undefined; }
      if (name === "note") { this.legacy.push({ pitch: args[0], start_time: +args[1], duration: +args[2], velocity: args[3] }); return undefined; }
      if (name === "done") { clip.notes.push(...this.legacy); this.legacy = null; return undefined; }
      return undefined;
    }
  };
}

function loadDevice(set) {
  // Load segue_live.js as Max's [js] would see it, with outlets recorded.
  const vm = require("vm");
  const fs = require("fs");
  const path = require("path");
  const sent = [];
  const context = {
    LiveAPI: liveApiFor(set), outlet: (...args) => sent.push(args), post: () => {}, module: { exports: {} },
    JSON, Math, Number, String, Array, Error, parseInt,
  };
  vm.createContext(context);
  vm.runInContext(fs.readFileSync(path.join(__dirname, "..", "segue_live.js"), "utf8"), context);
  return { device: context.module.exports, sent, status: () => sent.filter((s) => s[0] === 1).map((s) => s[2]) };
}

module.exports = { LiveSet, makeClip, loadDevice };
