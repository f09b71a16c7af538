// Segue device, Live side: reads clips and writes results through the Live API.
// Runs in Max's [js] object (ES5: no let/const, arrows or classes). It talks to segue_osc.js,
// which runs in [node.script] and speaks OSC protocol v1 to `segue serve`.
//
// Inlet messages: pick_a, pick_b, slot_a <track> <slot>, slot_b <track> <slot> (1-based, as Live
//   shows them), run <op>, param <name> <value...>, fader <name> <value>, host <name>, port <n>,
//   reply <id> <json>, fail <id> <code> <message>, status <text...>, write_pending.
// Outlet 0 -> node.script: request <id> <op> <json>, connect <host> <port>.
// Outlet 1 -> status display: set <text>.

inlets = 1;
outlets = 2;

var LIVE11_READ = "get_notes_extended";
var OPS = { "continue": 1, "interpolate": 1, "fuse": 1, "faders": 1, "generate": 1, "restyle": 1, "refine": 1,
            "optimize": 1 };
var ON_CLIP_A = { "continue": 1, "interpolate": 1, "fuse": 1, "faders": 1, "restyle": 1, "refine": 1 };  // the rest make new material
var OBJECTIVES = ["first_pitch", "longest_notes", "shortest_notes", "pitch_range", "in_scale"];  // the menu's order
var FUSE_METHODS = ["", "flow", "generator", "flow-both"];  // the fuse menu's order; "" leaves the server's default

var state = {
    a: null,            // path of clip A, e.g. "live_set tracks 0 clip_slots 2 clip"
    b: null,
    params: { bars: 4, variations: 1, temperature: 1.0, steps: 5, iterations: 1, style_x: 0.5, style_y: 0.5,
              fuse_method: "",
              use_faders: 0,  // continue and generate take the fader dials only when use_faders is on
              genre: "", amount: 1.0, max_iterations: 8, objective: "first_pitch", target: "", budget: 64 },
    host: "127.0.0.1",
    port: 9000,
    faders: {},
    nextId: 1,
    inFlight: {},       // id -> {op, source}
    pending: []         // results that found no free place yet: {source, clip, name}
};

// ---- pure helpers (exported for the tests) ----------------------------------------

function parsePath(path) {
    // "live_set tracks 2 clip_slots 3 clip" -> {track: 2, slot: 3}; arrangement clips give {track, arrangement}
    var words = String(path).replace(/"/g, "").split(" ");
    var out = {};
    for (var i = 0; i < words.length - 1; i++) {
        if (words[i] === "tracks") out.track = parseInt(words[i + 1], 10);
        if (words[i] === "clip_slots") out.slot = parseInt(words[i + 1], 10);
        if (words[i] === "arrangement_clips") out.arrangement = parseInt(words[i + 1], 10);
    }
    return out;
}

function toProtocolClip(liveNotes, length) {
    // Live note dicts -> a protocol clip. Muted notes do not sound, so they are not sent.
    var notes = [];
    for (var i = 0; i < liveNotes.length; i++) {
        var n = liveNotes[i];
        if (n.mute) continue;
        var note = { pitch: n.pitch, start_time: n.start_time, duration: n.duration, velocity: n.velocity };
        if (n.probability !== undefined) note.probability = n.probability;
        if (n.velocity_deviation !== undefined) note.velocity_deviation = n.velocity_deviation;
        if (n.release_velocity !== undefined) note.release_velocity = n.release_velocity;
        notes.push(note);
    }
    notes.sort(function (x, y) { return x.start_time - y.start_time || x.pitch - y.pitch; });
    return { length: length, notes: notes };
}

function toLiveNotes(clip) {
    // A protocol clip's notes -> dicts for add_new_notes (Live 11+), keeping any extra fields.
    var out = [];
    for (var i = 0; i < clip.notes.length; i++) {
        var n = clip.notes[i];
        var note = { pitch: n.pitch, start_time: n.start_time, duration: n.duration, velocity: n.velocity };
        if (n.probability !== undefined) note.probability = n.probability;
        if (n.velocity_deviation !== undefined) note.velocity_deviation = n.velocity_deviation;
        if (n.release_velocity !== undefined) note.release_velocity = n.release_velocity;
        out.push(note);
    }
    return out;
}

function parseLegacyNotes(words) {
    // Live 10's get_notes answer: notes N note p t d v m ... done
    var out = [];
    for (var i = 0; i < words.length; i++) {
        if (words[i] === "note") {
            out.push({ pitch: +words[i + 1], start_time: +words[i + 2], duration: +words[i + 3],
                       velocity: +words[i + 4], mute: +words[i + 5] === 1 });
            i += 5;
        }
    }
    return out;
}

function parseGenre(text) {
    // The genre box: "" -> null (no genre), "chorale" -> "chorale", "folk 0.7 celtic 0.3" (or
    // folk=0.7 celtic=0.3) -> {folk: 0.7, celtic: 0.3}; names without a weight count 1 each.
    var words = String(text).replace(/[=,]/g, " ").split(/\s+/).filter(function (w) { return w !== ""; });
    if (!words.length) return null;
    var weights = {}, names = [];
    for (var i = 0; i < words.length; i++) {
        if (isFinite(Number(words[i]))) {
            var last = names[names.length - 1];
            if (last === undefined || weights[last] !== undefined)
                throw new Error("genre: put each weight after its genre, e.g. folk 0.7 celtic 0.3");
            weights[last] = Number(words[i]);
        } else {
            names.push(words[i]);
        }
    }
    if (names.length === 1 && weights[names[0]] === undefined) return names[0];
    var blend = {};
    for (var j = 0; j < names.length; j++) blend[names[j]] = weights[names[j]] !== undefined ? weights[names[j]] : 1;
    return blend;
}

function parseTarget(text) {
    // The target box: "" -> undefined, a whole number -> that number (a pitch, a span), else the text ("D minor").
    var value = String(text).replace(/^\s+|\s+$/g, "");
    if (value === "") return undefined;
    return /^-?\d+$/.test(value) ? parseInt(value, 10) : value;
}

function buildRequest(op, params, faders, clipA, clipB) {
    // The OSC request object for one of the device's operations; throws with a message the
    // musician can act on when a clip it needs is missing.
    var need = function (clip, name) {
        if (!clip) throw new Error(op + " needs clip " + name + ": select a clip and press Pick " + name);
        return clip;
    };
    var shaping = params.use_faders ? faders : {};
    if (op === "continue")
        return { clip: need(clipA, "A"), bars: params.bars, variations: params.variations,
                 temperature: params.temperature, faders: shaping };
    if (op === "interpolate")
        return { a: need(clipA, "A"), b: need(clipB, "B"), steps: params.steps };
    if (op === "fuse") {
        var fusion = { left: need(clipA, "A"), right: need(clipB, "B"), style: [params.style_x, params.style_y],
                       iterations: params.iterations };
        if (params.fuse_method) fusion.method = params.fuse_method;
        return fusion;
    }
    if (op === "faders") return { clip: need(clipA, "A"), faders: faders };
    var genre = parseGenre(params.genre);
    var withGenre = function (request) {
        if (genre !== null) request.genre = genre;
        return request;
    };
    if (op === "generate")
        return withGenre({ variations: params.variations, temperature: params.temperature, faders: shaping });
    if (op === "restyle") {
        if (genre === null) throw new Error("restyle needs a genre: type one in the genre box, e.g. chorale or folk 0.5 chorale 0.5");
        return { clip: need(clipA, "A"), genre: genre, amount: params.amount };
    }
    if (op === "refine") return { clip: need(clipA, "A"), max_iterations: params.max_iterations };
    if (op === "optimize") {
        var request = withGenre({ objective: params.objective, budget: params.budget });
        var target = parseTarget(params.target);
        if (target !== undefined) request.target = target;
        return request;
    }
    throw new Error("unknown operation " + op);
}

function resultNote(result) {
    // What a result says besides its clips: whether refine settled, whether optimize met its target.
    if (result.fixed_point !== undefined)
        return result.fixed_point ? "reached a fixed point" : "still changing after " + (result.clips || []).length + " steps";
    if (result.met !== undefined)
        return result.met ? "target met" : "target not met (best score " + Number(result.score).toFixed(2) + ")";
    return "";
}

function resultClips(op, result) {
    // The clips to write for a result, each with its name.
    var clips = result.clips || (result.clip ? [result.clip] : []);
    var names = [];
    for (var i = 0; i < clips.length; i++)
        names.push("Segue " + op + (clips.length > 1 ? " " + (i + 1) : ""));
    return { clips: clips, names: names };
}

// ---- Live API ---------------------------------------------------------------------

function api(path) {
    return new LiveAPI(null, path);
}

function hasFunction(object, name) {
    return String(object.info).indexOf("function " + name) >= 0;
}

function readClip(path) {
    var clip = api(path);
    if (!clip || Number(clip.id) === 0) throw new Error("the clip is gone: pick it again");
    if (Number(clip.get("is_midi_clip")) !== 1) throw new Error("that is an audio clip; Segue needs a MIDI clip");
    var length = Number(clip.get("length"));
    var notes;
    if (hasFunction(clip, LIVE11_READ)) {
        notes = JSON.parse(clip.call(LIVE11_READ, 0, 128, 0, length)).notes;
    } else {  // Live 10: velocity survives, probability does not exist
        notes = parseLegacyNotes(String(clip.call("get_notes", 0, 0, length, 128)).split(" "));
    }
    return toProtocolClip(notes, length);
}

function writeNotes(clip, protocolClip) {
    if (hasFunction(clip, "add_new_notes")) {
        clip.call("add_new_notes", { notes: toLiveNotes(protocolClip) });
        return;
    }
    // Live 10 fallback: set_notes with the notes N / note ... / done protocol
    clip.call("set_notes");
    clip.call("notes", protocolClip.notes.length);
    for (var i = 0; i < protocolClip.notes.length; i++) {
        var n = protocolClip.notes[i];
        clip.call("note", n.pitch, n.start_time.toFixed(4), n.duration.toFixed(4), n.velocity, 0);
    }
    clip.call("done");
}

function freeSessionSlot(track, below) {
    // The first empty slot below row ``below`` on ``track``; adds a scene at the end when none is free.
    var trackApi = api("live_set tracks " + track);
    var slots = trackApi.getcount("clip_slots");
    for (var slot = below + 1; slot < slots; slot++) {
        if (Number(api("live_set tracks " + track + " clip_slots " + slot).get("has_clip")) === 0) return slot;
    }
    api("live_set").call("create_scene", -1);
    return slots;
}

function freeArrangementTime(track, after) {
    // The first time at or after ``after`` where no arrangement clip of ``track`` lies.
    var trackApi = api("live_set tracks " + track);
    var count = trackApi.getcount("arrangement_clips");
    var time = after;
    var moved = true;
    while (moved) {
        moved = false;
        for (var i = 0; i < count; i++) {
            var other = api("live_set tracks " + track + " arrangement_clips " + i);
            var start = Number(other.get("start_time")), end = Number(other.get("end_time"));
            if (start < time + 1e-6 && end > time + 1e-6) { time = end; moved = true; }
        }
    }
    return time;
}

function writeResult(source, protocolClip, name, cursor) {
    // Write one result clip next to ``source`` without touching any existing clip; returns its path.
    var where = parsePath(source);
    var clip;
    if (where.arrangement !== undefined) {
        var sourceClip = api(source);
        var start = freeArrangementTime(where.track, cursor.time !== undefined ? cursor.time : Number(sourceClip.get("end_time")));
        var trackApi = api("live_set tracks " + where.track);
        if (!hasFunction(trackApi, "create_midi_clip"))
            throw new Error("writing to the Arrangement needs Live 12; use Session View slots in Live 11");
        trackApi.call("create_midi_clip", start, protocolClip.length);
        cursor.time = start + protocolClip.length;
        clip = api(lastArrangementClipAt(where.track, start));
    } else {
        var track = where.track !== undefined ? where.track : selectedTrack();
        var row = cursor.slot !== undefined ? cursor.slot : (where.slot !== undefined ? where.slot : -1);
        var slot = freeSessionSlot(track, row);
        api("live_set tracks " + track + " clip_slots " + slot).call("create_clip", protocolClip.length);
        cursor.slot = slot;
        clip = api("live_set tracks " + track + " clip_slots " + slot + " clip");
    }
    writeNotes(clip, protocolClip);
    clip.set("name", name);
    return clip.unquotedpath;
}

function lastArrangementClipAt(track, start) {
    var trackApi = api("live_set tracks " + track);
    var count = trackApi.getcount("arrangement_clips");
    for (var i = 0; i < count; i++) {
        var path = "live_set tracks " + track + " arrangement_clips " + i;
        if (Math.abs(Number(api(path).get("start_time")) - start) < 1e-6) return path;
    }
    throw new Error("Live did not create the arrangement clip");
}

function selectedTrack() {
    var where = parsePath(api("live_set view selected_track").unquotedpath);
    if (where.track === undefined) throw new Error("select a MIDI track for the generated clips");
    return where.track;
}

// ---- Max messages ------------------------------------------------------------------

function show(text) {
    outlet(1, "set", text);
}

function pick(which) {
    var view = api("live_set view detail_clip");
    if (!view || Number(view.id) === 0) { show("Select a clip first, then press Pick " + which.toUpperCase()); return; }
    state[which] = view.unquotedpath;
    show("Clip " + which.toUpperCase() + ": " + String(view.get("name")));
}

function pick_a() { pick("a"); }
function pick_b() { pick("b"); }

function slot(which, track, slotNumber) {
    state[which] = "live_set tracks " + (track - 1) + " clip_slots " + (slotNumber - 1) + " clip";
    show("Clip " + which.toUpperCase() + ": track " + track + ", slot " + slotNumber);
}

function slot_a(track, slotIndex) { slot("a", track, slotIndex); }
function slot_b(track, slotIndex) { slot("b", track, slotIndex); }

function param(name) {
    // Text boxes send their words as separate atoms ("D" "minor"); menus send an index.
    if (!(name in state.params)) { show("unknown setting " + name); return; }
    var value = Array.prototype.slice.call(arguments, 1).join(" ");
    if (arguments.length === 2) value = arguments[1];
    if (name === "objective" && typeof value === "number") value = OBJECTIVES[value] || OBJECTIVES[0];
    if (name === "fuse_method" && typeof value === "number") value = FUSE_METHODS[value] || "";
    if ((name === "genre" || name === "target") && value === "bang") value = "";  // [route text] of an emptied box
    state.params[name] = value;
}

function fader(name, value) {
    state.faders[name] = Math.max(0, Math.min(1, value));
}

function host(name) {
    state.host = String(name);
    outlet(0, "connect", state.host, state.port);
}

function port(number) {
    state.port = Math.round(number);
    outlet(0, "connect", state.host, state.port);
}

function run(op) {
    if (!OPS[op]) { show("unknown operation " + op); return; }
    var request;
    try {
        request = buildRequest(op, state.params, state.faders,
                               ON_CLIP_A[op] && state.a ? readClip(state.a) : null,
                               (op === "interpolate" || op === "fuse") && state.b ? readClip(state.b) : null);
    } catch (error) {
        show(error.message);
        return;
    }
    var id = state.nextId++;
    state.inFlight[id] = { op: op, source: ON_CLIP_A[op] ? state.a : null };  // new material: the selected track
    show(op + "…");
    outlet(0, "request", id, op, JSON.stringify(request));
}

function reply(id, text) {
    var asked = state.inFlight[id];
    if (!asked) return;  // an answer to a request this device no longer waits for
    delete state.inFlight[id];
    var result;
    try {
        result = JSON.parse(text);
    } catch (error) {
        show("Segue sent a reply that is not JSON");
        return;
    }
    var made = resultClips(asked.op, result);
    var cursor = {};
    var written = 0;
    for (var i = 0; i < made.clips.length; i++) {
        try {
            writeResult(asked.source || "", made.clips[i], made.names[i], cursor);
            written++;
        } catch (error) {
            state.pending.push({ source: asked.source, clip: made.clips[i], name: made.names[i] });
            show(error.message + " (" + state.pending.length + " result(s) kept: press Write to retry)");
            return;
        }
    }
    var notes = [resultNote(result)].concat(result.warnings || []).filter(function (n) { return n !== ""; });
    show(asked.op + ": wrote " + written + " clip" + (written === 1 ? "" : "s") + (notes.length ? " — " + notes.join("; ") : ""));
}

function write_pending() {
    var waiting = state.pending;
    state.pending = [];
    var cursor = {};
    for (var i = 0; i < waiting.length; i++) {
        try {
            writeResult(waiting[i].source || "", waiting[i].clip, waiting[i].name, cursor);
        } catch (error) {
            state.pending = waiting.slice(i);
            show(error.message);
            return;
        }
    }
    show("wrote " + waiting.length + " kept result(s)");
}

function fail(id, code, message) {
    delete state.inFlight[id];
    show("Segue error (" + code + "): " + message);
}

function status() {
    show(Array.prototype.slice.call(arguments).join(" "));
}

// Node's test runner loads this file as a module; Max's [js] has no `module`.
if (typeof module !== "undefined") {
    module.exports = {
        state: state, parsePath: parsePath, toProtocolClip: toProtocolClip, toLiveNotes: toLiveNotes,
        parseLegacyNotes: parseLegacyNotes, buildRequest: buildRequest, resultClips: resultClips,
        parseGenre: parseGenre, parseTarget: parseTarget, resultNote: resultNote,
        readClip: readClip, writeResult: writeResult, pick_a: pick_a, pick_b: pick_b, slot_a: slot_a,
        slot_b: slot_b, param: param, fader: fader, host: host, port: port, run: run, reply: reply, fail: fail, status: status,
        write_pending: write_pending
    };
}
