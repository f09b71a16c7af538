// Segue device, network side: OSC protocol v1 to `segue serve` over UDP.
// Runs in Max's [node.script]; the same SegueClient runs in the tests against a real server.
//
// From Max: connect <host> <port>, request <id> <op> <json>.
// To Max:   reply <id> <json>, fail <id> <code> <message>, status <text>, info <json>.
"use strict";

const dgram = require("dgram");
const { encode, decode } = require("./osc");

const TIMEOUT_MS = 5000;
const PING_MS = 2000;

class SegueClient {
  constructor({ host = "127.0.0.1", port = 9000, onReply, onFail, onStatus, timeoutMs = TIMEOUT_MS } = {}) {
    this.host = host;
    this.port = port;
    this.onReply = onReply || (() => {});
    this.onFail = onFail || (() => {});
    this.onStatus = onStatus || (() => {});
    this.timeoutMs = timeoutMs;
    this.waiting = new Map(); // id -> timer
    this.connected = false;
    this.pingId = -1;
    this.socket = dgram.createSocket("udp4");
    this.socket.on("message", (data) => this.receive(data));
    this.socket.on("error", (error) => this.onStatus(`network error: ${error.message}`));
  }

  start() {
    return new Promise((resolve) => this.socket.bind(0, "0.0.0.0", resolve));
  }

  connect(host, port) {
    this.host = host;
    this.port = port;
    this.connected = false;
    this.ping();
  }

  send(address, ...args) {
    this.socket.send(encode(address, args), this.port, this.host);
  }

  request(id, op, json) {
    this.waiting.set(id, setTimeout(() => {
      this.waiting.delete(id);
      this.onFail(id, "timeout", `no answer from Segue at ${this.host}:${this.port} within ${this.timeoutMs / 1000} s — is segue serve running?`);
    }, this.timeoutMs));
    this.send(`/segue/${op}`, id, json);
  }

  ping() {
    this.pingSent = Date.now();
    this.send("/segue/ping", this.pingId);
  }

  receive(data) {
    let message;
    try {
      message = decode(data);
    } catch (error) {
      this.onStatus(`ignored a malformed reply (${error.message})`);
      return;
    }
    const [id, ...rest] = message.args;
    if (message.address === "/segue/pong") {
      this.connected = true;
      this.lastPong = Date.now();
      this.onStatus(`connected to Segue ${rest[0]}, bundle ${rest[1]} (${this.host}:${this.port})`);
      return;
    }
    const timer = this.waiting.get(id);
    if (timer === undefined) return;
    clearTimeout(timer);
    this.waiting.delete(id);
    if (message.address === "/segue/result") this.onReply(id, rest[0]);
    else if (message.address === "/segue/error") this.onFail(id, rest[0], rest[1]);
  }

  checkAlive() {
    if (this.connected && Date.now() - this.lastPong > 2 * PING_MS + 500) {
      this.connected = false;
      this.onStatus(`not connected: no answer from ${this.host}:${this.port} (start segue serve?)`);
    }
    this.ping();
  }

  close() {
    for (const timer of this.waiting.values()) clearTimeout(timer);
    this.waiting.clear();
    this.socket.close();
  }
}

module.exports = { SegueClient };

if (require.main === module || process.env.MAX_ENV) {
  let Max;
  try {
    Max = require("max-api");
  } catch (error) {
    Max = null; // run outside Max (tests, node on its own): nothing to wire
  }
  if (Max) {
    const client = new SegueClient({
      onReply: (id, json) => Max.outlet("reply", id, json),
      onFail: (id, code, message) => Max.outlet("fail", id, code, message),
      onStatus: (text) => Max.outlet("status", text),
    });
    client.start().then(() => {
      client.ping();
      setInterval(() => client.checkAlive(), PING_MS);
    });
    Max.addHandler("connect", (host, port) => client.connect(String(host), Number(port)));
    Max.addHandler("request", (id, op, json) => client.request(Number(id), String(op), String(json)));
  }
}
