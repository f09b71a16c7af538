"""OSC round-trip latency per op, cold start to first pong, ONNX vs eager PyTorch, and
ONNX Runtime session settings. Prints a markdown report; ``--write`` puts it into
docs/performance.md between its markers.

    python benchmarks/latency.py                  # default bundle, 300 requests per op
    python benchmarks/latency.py --write docs/performance.md

The PyTorch comparison needs the `train` extra (torch); without it that table is skipped.
"""
from __future__ import annotations

import argparse
import json
import platform
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.launch import launch_until_pong  # noqa: E402
from benchmarks.markdown import machine, publish  # noqa: E402
from bridge.osc.protocol import build, parse_datagram  # noqa: E402
from bridge.requests import HANDLERS  # noqa: E402
from engine import Engine  # noqa: E402
from engine.bundle import DEFAULT_BUNDLE  # noqa: E402

START, END = "<!-- latency:start -->", "<!-- latency:end -->"


OPTIMIZE_BUDGETS = (16, 64, 256)
FUSE_CANDIDATES = (1, 2, 4, 8, 16, 32)
OPTIMIZE_REQUESTS = 50
BATCHES = (1, 2, 4, 5, 8)


def four_bar_clip(seed: int) -> dict:
    """A 4-bar melody of mixed note lengths."""
    rng = np.random.default_rng(seed)
    notes, beat = [], 0.0
    while beat < 16:
        length = float(rng.choice([0.25, 0.5, 0.5, 1.0]))
        notes.append({"pitch": int(rng.integers(60, 80)), "start_time": beat, "duration": length,
                      "velocity": int(rng.integers(60, 110))})
        beat += length
    return {"length": 16, "notes": [n for n in notes if n["start_time"] < 16]}


def requests(ops: list[str]) -> dict[str, dict]:
    """One representative request per op the bundle supports, on 4-bar clips."""
    a, b = four_bar_clip(1), four_bar_clip(2)
    every = {
        "info": {},
        "encode": {"clip": a},
        "decode": {"z": [0.0] * 128, "temperature": 0.5, "seed": 1},
        "interpolate": {"a": a, "b": b, "steps": 5},
        "faders": {"clip": a, "faders": {"density": 0.8, "register": 0.3}},
        "generate": {"variations": 4, "seed": 3, "genre": "folk"},
        "fuse": {"left": a, "right": b, "style": [0.3, 0.7]},
        "continue": {"clip": a, "bars": 4, "temperature": 1.0, "seed": 2},
        "restyle": {"clip": a, "genre": "chorale"},
        "refine": {"clip": a},
    }
    return {op: payload for op, payload in every.items() if op in ops}


def bundle_ops(bundle: Path) -> list[str]:
    """The ops ``info`` lists for a bundle."""
    return HANDLERS["info"](Engine(bundle), {})["ops"]


def start_server(bundle: Path) -> tuple[subprocess.Popen, int, float]:
    """Start a server (OSC only); return it, its port, and seconds from launch to the first pong."""
    return launch_until_pong([sys.executable, "-m", "bridge", "serve", "--bundle", str(bundle), "--no-midi"])


def round_trips(port: int, op: str, payload: dict, count: int, warmup: int) -> np.ndarray:
    """Milliseconds per request/reply, sequential, after a warm-up."""
    client = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    client.settimeout(5)
    text = json.dumps(payload)
    times = []
    for i in range(warmup + count):
        datagram = build(f"/segue/{op}", i, text)
        begin = time.perf_counter()
        client.sendto(datagram, ("127.0.0.1", port))
        reply, _ = client.recvfrom(65536)
        elapsed = time.perf_counter() - begin
        address, _ = parse_datagram(reply)[0]
        if address != "/segue/result":
            raise RuntimeError(f"{op} failed: {parse_datagram(reply)[0]}")
        if i >= warmup:
            times.append(elapsed * 1000)
    client.close()
    return np.array(times)


def call_times(call, count: int) -> np.ndarray:
    """Milliseconds of ``count`` calls of ``call()``, after a short warm-up."""
    for _ in range(10):
        call()
    times = []
    for _ in range(count):
        begin = time.perf_counter()
        call()
        times.append((time.perf_counter() - begin) * 1000)
    return np.array(times)


def op_times(engine: Engine, op: str, payload: dict, count: int) -> np.ndarray:
    """Milliseconds of ``count`` calls of one op on the engine, after a short warm-up."""
    return call_times(lambda: HANDLERS[op](engine, payload), count)


def in_process(engine: Engine, op: str, payload: dict, count: int) -> float:
    """Median milliseconds of one op called directly on the engine."""
    return float(np.median(op_times(engine, op, payload, count)))


class EagerLatent:
    """The engine's latent-model interface on eager PyTorch, same weights as the bundle."""

    def __init__(self, model, latent_size: int, pairs: dict) -> None:
        import torch

        from training.pair_runs import TorchPairModels

        self.torch, self.model, self.latent_size = torch, model, latent_size
        self.roles = set(pairs)
        self.pairs = TorchPairModels(pairs.get("fusion"), pairs.get("continuation"))
        self.judge_model, self.backward_model = pairs.get("judge"), pairs.get("backward_flow")
        self.continuation_kind = self.pairs.continuation_kind

    def encode(self, tokens):
        with self.torch.no_grad():
            mean, logvar = self.model.encoder(self.torch.from_numpy(np.asarray(tokens, dtype=np.int64).reshape(-1, 64)))
        return mean.numpy(), logvar.numpy()

    fusion_encode = encode  # the float encoder, as in the float ONNX graphs it is compared with

    def decode_logits(self, z):
        with self.torch.no_grad():
            return self.model.decode(self.torch.from_numpy(np.asarray(z, dtype=np.float32).reshape(-1, self.latent_size))).numpy()

    def decode(self, z):
        return self.decode_logits(z).argmax(-1)

    def recode(self, tokens):
        return self.decode(self.encode(tokens)[0])

    def has(self, role):
        return role in self.roles

    def fuse(self, left, right, style, similarity):
        return self.pairs.fuse(left, right, style, similarity)

    def continuation(self, left):
        return self.pairs.continuation(left)

    def judge(self, phrases):
        with self.torch.no_grad():
            return self.judge_model(self.torch.from_numpy(np.asarray(phrases, dtype=np.int64))).numpy()

    def continuation_flow(self, left, noise):
        return self.pairs.continuation_flow(left, noise)

    def fusion_flow(self, left, noise, source, start):
        return self.pairs.continuation_flow(left, noise, source, start)

    def backward_flow(self, right, noise, source, start):
        with self.torch.no_grad():
            return self.backward_model(*map(self.torch.from_numpy, (right, noise, source, start))).numpy()

    @property
    def flow_starts_partway(self):
        return self.continuation_kind == "flow"


def onnx_vs_torch(bundle: Path, count: int, rounds: int = 5) -> list[tuple[str, float, float, float, list[float]]]:
    """(op, ONNX ms as shipped, ONNX ms with the float decoder, eager PyTorch ms, shipped speed-up
    of each round) for each op, one thread each, same inputs and the float weights in PyTorch.
    The three alternate in ``rounds`` rounds, so drift in the machine's speed falls on all alike;
    each time is the median over all rounds."""
    import torch

    from training.export import torch_model_from_bundle
    from training.export_pairs import torch_pair_models_from_bundle

    torch.set_num_threads(1)
    shipped, float_decoder, eager = Engine(bundle), Engine(bundle, int8=False), Engine(bundle, int8=False)
    eager.model = EagerLatent(torch_model_from_bundle(bundle), eager.bundle.latent_size,
                              torch_pair_models_from_bundle(bundle))
    rows = []
    for op, payload in requests(bundle_ops(bundle)).items():
        if op == "info":
            continue
        per_round = [[op_times(engine, op, payload, count // rounds) for engine in (shipped, float_decoder, eager)]
                     for _ in range(rounds)]
        medians = [float(np.median(np.concatenate([times[i] for times in per_round]))) for i in range(3)]
        rows.append((op, *medians, [float(np.median(t) / np.median(o)) for o, _, t in per_round]))
    return rows


def decode_by_batch(bundle: Path, count: int) -> list[tuple[int, float, float, float]]:
    """(batch, ONNX int8 ms, ONNX float ms, eager PyTorch ms) of one decoder call: the fixed cost
    per call against the cost per latent."""
    import torch

    from engine.bundle import load_bundle
    from engine.latent import LatentModel
    from training.export import torch_model_from_bundle

    torch.set_num_threads(1)
    loaded = load_bundle(bundle)
    shipped, reference = LatentModel(loaded), LatentModel(loaded, int8=False)
    eager = torch_model_from_bundle(bundle)
    latents = np.random.default_rng(0).standard_normal((max(BATCHES), loaded.latent_size)).astype(np.float32)
    rows = []
    for batch in BATCHES:
        z = latents[:batch]
        with torch.no_grad():
            calls = (lambda: shipped.decode_logits(z), lambda: reference.decode_logits(z),
                     lambda: eager.decode(torch.from_numpy(z)))
            rows.append((batch, *(float(np.median(call_times(call, count))) for call in calls)))
    return rows


def session_settings(bundle: Path, count: int) -> list[tuple[str, float, float]]:
    """(setting, encode ms, decode ms) for a few ONNX Runtime session options."""
    import onnxruntime as ort

    from engine.bundle import load_bundle
    from engine.latent import LatentModel, session_options

    loaded = load_bundle(bundle)
    shipped_decoder = LatentModel(loaded).decoder_role
    tokens = np.zeros((1, 64), dtype=np.int64)
    z = np.zeros((1, loaded.latent_size), dtype=np.float32)
    rows = []
    for threads in (1, 2):
        for spinning in ("1", "0"):
            options = session_options(threads)
            options.add_session_config_entry("session.intra_op.allow_spinning", spinning)
            encoder = ort.InferenceSession(str(loaded.file("encoder")), options, providers=["CPUExecutionProvider"])
            decoder = ort.InferenceSession(str(loaded.file(shipped_decoder)), options, providers=["CPUExecutionProvider"])
            timings = []
            for session, feed in ((encoder, {"tokens": tokens}), (decoder, {"z": z})):
                for _ in range(20):
                    session.run(None, feed)
                begin = time.perf_counter()
                for _ in range(count):
                    session.run(None, feed)
                timings.append((time.perf_counter() - begin) / count * 1000)
            rows.append((f"{threads} thread{'s' * (threads > 1)}, spinning {'on' if spinning == '1' else 'off'}",
                         *timings))
    return rows


def by_twin(bundle: Path, op: str, attribute: str, roles: dict[str, str], count: int) -> list[tuple[str, np.ndarray]]:
    """(name, milliseconds of ``op`` in-process) with the engine's ``attribute`` (a LatentModel
    role such as ``judge_role``) set to each of ``roles``, everything else as shipped."""
    engines = {}
    for name, role in roles.items():
        engines[name] = Engine(bundle)
        setattr(engines[name].model, attribute, role)
    return alternating(engines, op, count)


def fuse_component(bundle: Path, count: int, component: str, attribute: str, roles: dict[str, str]) -> list[str]:
    """Report lines: ``fuse`` in-process with one of its graphs (a LatentModel role ``attribute``) set to
    each of ``roles``, everything else as shipped."""
    lines = ["", f"### `fuse`'s {component} (in-process, everything else as shipped, the bundle's candidates)", "",
             "The two alternate in 5 rounds.", "", f"| {component} | p50 ms | p99 ms | max ms |", "|---|---|---|---|"]
    return lines + [timing_row(name, times) for name, times in by_twin(bundle, "fuse", attribute, roles, count)]


def alternating(engines: dict[str, Engine], op: str, count: int, payloads: dict[str, dict] | None = None,
                rounds: int = 5) -> list[tuple[str, np.ndarray]]:
    """(name, milliseconds of ``op`` in-process) for each engine, on its payload in ``payloads`` (default:
    the benchmark's request), the engines alternating in ``rounds`` rounds, so drift in the machine's
    speed falls on all alike."""
    payloads = payloads or {name: requests([op])[op] for name in engines}
    times = {name: [] for name in engines}
    for _ in range(rounds):
        for name, engine in engines.items():
            times[name].append(op_times(engine, op, payloads[name], count // rounds))
    return [(name, np.concatenate(parts)) for name, parts in times.items()]


def runtime_shares(bundle: Path, count: int) -> list[tuple[str, np.ndarray, np.ndarray]]:
    """(op, milliseconds per call in-process, milliseconds of it inside ONNX Runtime) for each op
    but ``info``: what the models cost, and what the engine's own code around them adds."""
    import onnxruntime as ort

    inside = [0.0]
    run = ort.InferenceSession.run

    # Wrapped on the class, so every session the engine holds is timed without reaching into it.
    def timed_run(session, *args, **kwargs):
        begin = time.perf_counter()
        try:
            return run(session, *args, **kwargs)
        finally:
            inside[0] += time.perf_counter() - begin

    engine = Engine(bundle)
    rows = []
    ort.InferenceSession.run = timed_run
    try:
        for op, payload in requests(bundle_ops(bundle)).items():
            if op == "info":
                continue
            totals, runtimes = [], []
            for index in range(10 + count):
                inside[0] = 0.0
                begin = time.perf_counter()
                HANDLERS[op](engine, payload)
                if index >= 10:
                    totals.append((time.perf_counter() - begin) * 1000)
                    runtimes.append(inside[0] * 1000)
            rows.append((op, np.array(totals), np.array(runtimes)))
    finally:
        ort.InferenceSession.run = run
    return rows


def thread_counts(bundle: Path, count: int) -> list[tuple[int, str, float, float]]:
    """(intra-op threads, op, p50 ms, p99 ms) of whole ops in-process, for the server's thread setting."""
    rows = []
    for threads in (1, 2):
        engine = Engine(bundle, threads=threads)
        for op in ("decode", "faders", "interpolate"):
            times = op_times(engine, op, requests(["decode", "faders", "interpolate"])[op], count)
            rows.append((threads, op, float(np.percentile(times, 50)), float(np.percentile(times, 99))))
    return rows


def report(bundle: Path, count: int, warmup: int, cold_runs: int) -> str:
    """Run everything and return the markdown report."""
    info = Engine(bundle).info()
    fusion = info.get("fusion", {})
    lines = [f"Measured {time.strftime('%Y-%m-%d')} on {machine()}, "
             f"Python {platform.python_version()}, bundle `{bundle.name}`, with "
             f"`python benchmarks/latency.py --requests {count}`.", ""]
    colds = []
    for _ in range(cold_runs):
        process, _, cold = start_server(bundle)
        colds.append(cold)
        process.terminate()
        process.wait()
    lines += ["### Cold start to first pong", "",
              f"{cold_runs} launches of `segue serve`: median {np.median(colds):.2f} s, worst {max(colds):.2f} s "
              "(target ≤ 1 s).", ""]
    process, port, _ = start_server(bundle)
    lines += ["### OSC round trip (127.0.0.1, 4-bar clips, sequential requests)", "",
              f"{count} requests per op after {warmup} warm-up requests; `fuse` by the bundle's default method "
              f"({fusion.get('method')}). Targets: p50 ≤ 3 ms and p99 ≤ 10 ms "
              "for info … generate (issue 3); p99 ≤ 10 ms for fuse and continue (issue 4), restyle and refine (issue 7).", "",
              "| op | p50 ms | p99 ms | max ms |", "|---|---|---|---|"]
    try:
        ops = bundle_ops(bundle)
        for op, payload in requests(ops).items():
            times = round_trips(port, op, payload, count, warmup)
            lines.append(timing_row(op, times))
        if "refine" in ops:  # the worst case: no fixed point, every step of the default 8
            times = round_trips(port, "refine", longest_refine(Engine(bundle)), count, warmup)
            lines.append(timing_row("refine, all 8 steps", times))
        for method in (m for m in fusion.get("methods", []) if m != fusion["method"]):  # the default is fuse's row
            times = round_trips(port, "fuse", requests(["fuse"])["fuse"] | {"method": method}, count, warmup)
            lines.append(timing_row(f"fuse, method {method}", times))
        lines += ["", "### `optimize` round trip by budget (first_pitch objective)", "",
                  f"{OPTIMIZE_REQUESTS} requests per budget after 3 warm-up requests; its latency grows with the "
                  "budget (decoded candidates), so it has no fixed target.", "",
                  "| budget | p50 ms | p99 ms | max ms |", "|---|---|---|---|"]
        for budget in OPTIMIZE_BUDGETS:
            payload = {"objective": "first_pitch", "target": 67, "budget": budget, "seed": 1}
            times = round_trips(port, "optimize", payload, OPTIMIZE_REQUESTS, 3)
            lines.append(timing_row(budget, times))
        lines += fuse_by_candidates(bundle, port, count, warmup)
    finally:
        process.terminate()
        process.wait()
    lines.append("")
    try:
        rows = onnx_vs_torch(bundle, count)
        batches = decode_by_batch(bundle, count)
        lines += ["### ONNX Runtime against eager PyTorch (1 thread each)", "",
                  "Median of the op called in-process. *Shipped* is the engine as it runs: ONNX with the int8 "
                  "twins (`python -m training quantize`); *float* is ONNX with the bundle's float reference "
                  "graphs (decoder, and judge and flow for `fuse`); PyTorch runs the float weights. The three alternate in 5 rounds, and the last column "
                  "gives the lowest and highest round's shipped speed-up. Target: ONNX at least 3× faster. For `refine`, "
                  "*shipped* runs the recursion twin, which may take another number of steps on this clip than the "
                  "float model (\"What `refine`'s recursion runs on\", below), so compare PyTorch with *float* there.", "",
                  "| op | shipped ms | float ms | PyTorch ms | speed-up shipped | speed-up float | rounds (shipped) |",
                  "|---|---|---|---|---|---|---|"]
        lines += [f"| {op} | {o:.2f} | {f:.2f} | {t:.2f} | {t / o:.2f}× | {t / f:.2f}× | {min(r):.2f}–{max(r):.2f}× |"
                  for op, o, f, t, r in rows]
        lines += ["", "### One decoder call by batch size", "",
                  "| latents | ONNX int8 ms | ONNX float ms | PyTorch ms |", "|---|---|---|---|"]
        lines += [f"| {b} | {q:.3f} | {f:.3f} | {t:.3f} |" for b, q, f, t in batches]
    except ImportError:
        lines += ["(PyTorch comparison skipped: install the `train` extra.)"]
    if info["recursion"] != "float encoder":
        lines += refine_recursions(bundle, count)
    if info.get("judge") == "int8":
        lines += fuse_component(bundle, count, "judge", "judge_role", {"int8 twin (shipped)": "judge_int8",
                                                                       "float": "judge"})
    if info.get("fuse_encoder") == "twin":
        lines += fuse_component(bundle, count, "encoder", "fusion_encoder_role",
                                {"recursion twin's (shipped)": "recursion_encoder", "float": "encoder"})
    if info.get("fuse_flow") == "int8":
        lines += fuse_component(bundle, count, "flow", "fusion_flow_role",
                                {"int8 twin (shipped)": "continuation_int8", "float": "continuation"})
    lines += ["", "### Where each op's time goes (in-process, as shipped)", "",
              "Time inside ONNX Runtime's calls against the engine's own code around them (parsing, key "
              "holding, clips). Medians per call.", "",
              "| op | whole op ms | ONNX Runtime ms | engine code ms | engine code share |", "|---|---|---|---|---|"]
    for op, totals, runtimes in runtime_shares(bundle, count):
        rest = totals - runtimes
        lines.append(f"| {op} | {np.median(totals):.2f} | {np.median(runtimes):.2f} | {np.median(rest):.2f} | "
                     f"{np.median(rest / totals):.0%} |")
    lines += ["", "### ONNX Runtime session options (one window / one latent)", "",
              "| setting | encode ms | decode ms |", "|---|---|---|"]
    lines += [f"| {name} | {e:.3f} | {d:.3f} |" for name, e, d in session_settings(bundle, count)]
    lines += ["", "### Intra-op threads for whole ops (in-process)", "",
              "| threads | op | p50 ms | p99 ms |", "|---|---|---|---|"]
    lines += [f"| {t} | {op} | {p50:.2f} | {p99:.2f} |" for t, op, p50, p99 in thread_counts(bundle, count)]
    return "\n".join(lines) + "\n"


def longest_refine(engine: Engine) -> dict:
    """A ``refine`` request on the first of the benchmark's random clips (seeds 1, 2, …) that takes
    all 8 default steps on the engine without reaching a fixed point."""
    return next(request for request in ({"clip": four_bar_clip(seed)} for seed in range(1, 1000))
                if not HANDLERS["refine"](engine, request)["fixed_point"])


def refine_recursions(bundle: Path, count: int) -> list[str]:
    """Report lines: ``refine`` in-process on each graph its recursion can run on, on the benchmark's
    clip (with the steps it takes there: fewer when it reaches a fixed point sooner) and on the first
    of the benchmark's random clips that takes all 8 steps on that graph (the worst case)."""
    shipped = Engine(bundle).info()["recursion"]
    engines = {f"{shipped} (shipped)": Engine(bundle)}
    if shipped == "twin":
        engines["int8 encoder and decoder"] = Engine(bundle, recursion_twin=False)
    engines["float encoder and decoder"] = Engine(bundle, int8=False)
    payload = requests(["refine"])["refine"]
    steps = {name: len(HANDLERS["refine"](engine, payload)["clips"]) for name, engine in engines.items()}
    longest = {name: longest_refine(engine) for name, engine in engines.items()}
    lines = ["", "### What `refine`'s recursion runs on (in-process)", "",
             "The bundle's recursion twin (a half-width encoder and decoder trained to copy the bundle's, "
             "`python -m training recursion-twin`), the int8 twins of its encoder and decoder, and the float "
             "graphs; they alternate in 5 rounds. On the benchmark's clip, and on the first of its random clips "
             "(seeds 1, 2, …) that takes all 8 steps without reaching a fixed point on that graph.", "",
             "| recursion | benchmark clip: steps | p50 ms | p99 ms | all 8 steps: p50 ms | p99 ms |",
             "|---|---|---|---|---|---|"]
    usual, worst = (dict(alternating(engines, "refine", count, chosen)) for chosen in (None, longest))
    lines += [f"| {name} | {steps[name]} | {np.percentile(usual[name], 50):.2f} | {np.percentile(usual[name], 99):.2f} "
              f"| {np.percentile(worst[name], 50):.2f} | {np.percentile(worst[name], 99):.2f} |" for name in engines]
    return lines


def timing_row(label: object, times: np.ndarray) -> str:
    """A markdown row: label, p50, p99 and max milliseconds."""
    return f"| {label} | {np.percentile(times, 50):.2f} | {np.percentile(times, 99):.2f} | {times.max():.2f} |"


def fuse_by_candidates(bundle: Path, port: int, count: int, warmup: int) -> list[str]:
    """Report lines: the fuse round trip for each number of styles the judge picks among."""
    engine = Engine(bundle)
    if not engine.model.has("judge"):
        return []
    lines = ["", "### `fuse` round trip by candidates (styles the judge picks among per iteration)", "",
             f"The bundle's default is {engine.info()['fusion']['candidates']}; 1 plays the style given alone. "
             f"Method: {engine.info()['fusion']['method']}, the bundle's default.", "",
             "| candidates | p50 ms | p99 ms | max ms |", "|---|---|---|---|"]
    for candidates in FUSE_CANDIDATES:
        payload = requests(["fuse"])["fuse"] | {"candidates": candidates}
        times = round_trips(port, "fuse", payload, count, warmup)
        lines.append(timing_row(candidates, times))
    return lines


def main() -> int:
    """Command line."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bundle", type=Path, default=DEFAULT_BUNDLE)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--warmup", type=int, default=30)
    parser.add_argument("--cold-runs", type=int, default=5)
    parser.add_argument("--write", type=Path, help="markdown file whose latency section to replace")
    args = parser.parse_args()
    text = report(args.bundle, args.requests, args.warmup, args.cold_runs)
    publish(text, args.write, START, END)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
