"""The ``segue`` command: serve over OSC, or work on MIDI files offline.

Each subcommand is thin: it reads its inputs, calls the engine or the server, and writes
its output. Errors a musician can cause end in one line on stderr and exit status 2.
"""
from __future__ import annotations

import argparse
import logging
import signal
import sys
from pathlib import Path

from bridge import __version__
from bridge.midi import MODES
from engine.attributes import ATTRIBUTES
from engine.flow_fusion import METHODS

EXIT_USAGE = 2
DEFAULT_OSC_PORT = 9000


class CliError(Exception):
    """An error to print as one line."""


def _engine(args: argparse.Namespace):
    from engine import Engine

    return Engine(args.bundle)


def _check_output(path: Path, inputs: list[Path], force: bool) -> None:
    if any(path.resolve() == i.resolve() for i in inputs):
        raise CliError(f"{path}: refusing to overwrite an input file")
    if path.exists() and not force:
        raise CliError(f"{path} exists; pass --force to overwrite it")


def _write(args: argparse.Namespace, clips, inputs: list[Path], tempo: int, meter: tuple[int, int],
           warnings: list[str]) -> int:
    from bridge.midifile import write_clips

    _check_output(args.output, inputs, args.force)
    write_clips(args.output, clips, tempo, meter)
    for warning in dict.fromkeys(warnings):
        print(f"segue: note: {warning}", file=sys.stderr)
    print(f"wrote {len(clips)} clip{'s' * (len(clips) != 1)} to {args.output}")
    return 0


def _live_options(args: argparse.Namespace):
    from bridge.midi.live import LiveOptions

    return LiveOptions(api=args.midi_api, midi_in=args.midi_in, midi_out=args.midi_out, mode=args.mode,
                       phrase_bars=args.phrase_bars, meter=args.meter, bpm=args.bpm,
                       in_channel=None if args.in_channel is None else args.in_channel - 1,
                       out_channel=args.out_channel - 1, thru=args.thru)


def _start_live(args: argparse.Namespace, engine, server):
    """Live MIDI, or None (with one line saying why) when no MIDI system can start."""
    from bridge.midi.live import LiveMidi
    from bridge.midi.ports import MidiUnavailable

    if not engine.model.has("continuation"):
        print(f"Segue: MIDI is off, serving OSC only: bundle '{engine.bundle.name}' has no continuation model, "
              "which every live mode answers with", flush=True)
        return None
    live = LiveMidi(engine, server.session, _live_options(args))
    try:
        print(live.start(), flush=True)
    except MidiUnavailable as error:
        print(f"Segue: MIDI is off, serving OSC only: {error}", flush=True)
        return None
    server.attach_live(live)
    return live


def _start_oscquery(args: argparse.Namespace, server):
    from bridge.osc.oscquery import OscQueryServer

    try:
        query = OscQueryServer(server.session, server.address[1], args.oscquery_port)
    except OSError as error:
        server.shutdown()
        raise CliError(f"cannot serve OSCQuery on 127.0.0.1:{args.oscquery_port}: {error.strerror or error}") from None
    query.start()
    print(f"OSCQuery on http://127.0.0.1:{query.address[1]}/", flush=True)
    return query


def cmd_serve(args: argparse.Namespace) -> int:
    """Run the OSC server (and live MIDI unless --no-midi) until Ctrl-C or SIGTERM."""
    from bridge.osc.server import OscServer

    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="segue: %(levelname)s %(message)s")
    engine = _engine(args)
    try:
        server = OscServer(engine, args.host, args.osc_port, allow=args.allow)
    except OSError as error:
        raise CliError(f"cannot listen on {args.host}:{args.osc_port}: {error.strerror or error}") from None
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: server.stop())
    host, port = server.address
    print(f"Segue {__version__} listening on osc.udp://{host}:{port} with bundle "
          f"'{engine.bundle.name}' ({engine.bundle.path})", flush=True)
    if not args.host.startswith("127.") and not args.allow:
        print("Segue: no --allow list, so every remote host is refused; this machine is served", flush=True)
    query = None if args.oscquery_port is None else _start_oscquery(args, server)
    live = None if args.no_midi else _start_live(args, engine, server)
    try:
        server.serve_forever()
    finally:
        if live is not None:
            live.close()  # sends the pending note-offs and All Notes Off
        if query is not None:
            query.close()
        server.shutdown()
    print("Segue stopped", flush=True)
    return 0


def cmd_ports(args: argparse.Namespace) -> int:
    """List the MIDI ports of one MIDI system."""
    from bridge.midi.ports import MidiUnavailable, port_names

    try:
        inputs, outputs = port_names(args.midi_api)
    except MidiUnavailable as error:
        raise CliError(str(error)) from None
    print(f"MIDI system: {args.midi_api}")
    for title, names in (("inputs", inputs), ("outputs", outputs)):
        print(f"{title}:")
        for name in names or ["(none)"]:
            print(f"  {name}")
    return 0


def cmd_interpolate(args: argparse.Namespace) -> int:
    """Interpolate between two MIDI files."""
    from bridge.midifile import read_clip

    a, b = read_clip(args.a, args.track), read_clip(args.b, args.track)
    result = _engine(args).interpolate(a.clip, b.clip, steps=None if args.alpha is not None else args.steps,
                                       alpha=args.alpha, method=args.method)
    return _write(args, result.clips, [args.a, args.b], a.tempo, a.meter, result.warnings)


def _fader_values(args: argparse.Namespace) -> dict[str, float]:
    values = {name: getattr(args, name) for name in ATTRIBUTES if getattr(args, name) is not None}
    for item in args.fader:
        name, _, value = item.partition("=")
        try:
            values[name] = float(value)
        except ValueError:
            raise CliError(f"--fader takes NAME=VALUE with VALUE in 0..1, got {item!r}") from None
    return values


def cmd_faders(args: argparse.Namespace) -> int:
    """Set faders on a MIDI file."""
    from bridge.midifile import read_clip

    values = _fader_values(args)
    if not values:
        raise CliError("set at least one fader, e.g. --density 0.8")
    source = read_clip(args.input, args.track)
    result = _engine(args).faders(source.clip, values)
    return _write(args, result.clips, [args.input], source.tempo, source.meter, result.warnings)


def cmd_fuse(args: argparse.Namespace) -> int:
    """Join two MIDI files into one phrase with Connective Fusion."""
    from bridge.midifile import read_clip

    left, right = read_clip(args.left, args.track), read_clip(args.right, args.track)
    fusion = _engine(args).fuse(left.clip, right.clip, style=args.style, iterations=args.iterations,
                                similarity=args.similarity, keep_iterations=args.keep_iterations,
                                keep_key=args.keep_key, candidates=args.candidates, method=args.method)
    clips = fusion.iterations or [fusion.clip]
    return _write(args, clips, [args.left, args.right], left.tempo, left.meter, fusion.warnings)


def cmd_continue(args: argparse.Namespace) -> int:
    """Continue a MIDI file: plain, fused with another file, toward another file, or with faders."""
    from bridge.midifile import read_clip

    source = read_clip(args.input, args.track)
    others = {name: read_clip(path, args.track).clip if path else None
              for name, path in (("fuse_with", args.fuse_with), ("interpolate_to", args.interpolate_to))}
    result = _engine(args).continuation(
        source.clip, bars=args.bars, variations=args.n, temperature=args.temperature, seed=args.seed,
        alpha=args.alpha, faders=_fader_values(args), style=args.style, similarity=args.similarity,
        keep_key=args.keep_key, candidates=args.candidates, method=args.method, **others)
    clips = result.clips if args.alone else [source.clip.then(clip) for clip in result.clips]
    inputs = [args.input] + [path for path in (args.fuse_with, args.interpolate_to) if path]
    return _write(args, clips, inputs, source.tempo, source.meter, result.warnings)


def cmd_generate(args: argparse.Namespace) -> int:
    """Generate new clips."""
    import mido

    result = _engine(args).generate(variations=args.n, temperature=args.temperature, seed=args.seed,
                                    genre=_genre_argument(args.genre), velocity=args.velocity)
    return _write(args, result.clips, [], mido.bpm2tempo(args.bpm), (4, 4), result.warnings)


def _genre_argument(text: str | None):
    """--genre folk, or a blend: --genre folk=0.7,celtic=0.3."""
    if text is None or "=" not in text:
        return text
    blend = {}
    for part in text.split(","):
        name, _, weight = part.partition("=")
        try:
            blend[name.strip()] = float(weight)
        except ValueError:
            raise CliError(f"--genre takes NAME or NAME=WEIGHT,NAME=WEIGHT, got {text!r}") from None
    return blend


def cmd_restyle(args: argparse.Namespace) -> int:
    """Push a MIDI file toward a genre or a blend."""
    from bridge.midifile import read_clip

    source = read_clip(args.input, args.track)
    result = _engine(args).restyle(source.clip, _genre_argument(args.genre), args.amount)
    return _write(args, result.clips, [args.input], source.tempo, source.meter, result.warnings)


def cmd_refine(args: argparse.Namespace) -> int:
    """Compress to Create's recursion on a MIDI file: every step, one clip each."""
    from bridge.midifile import read_clip

    source = read_clip(args.input, args.track)
    refined = _engine(args).refine(source.clip, args.max_iterations)
    print(f"{'reached a fixed point' if refined.fixed_point else 'no fixed point'} after "
          f"{len(refined.clips)} step{'s' * (len(refined.clips) != 1)}")
    return _write(args, refined.clips, [args.input], source.tempo, source.meter, refined.warnings)


def cmd_optimize(args: argparse.Namespace) -> int:
    """Search for a 4-bar clip that meets an objective."""
    import mido

    target = args.target
    if args.objective in ("first_pitch", "pitch_range"):
        try:
            target = int(target)
        except (TypeError, ValueError):
            raise CliError(f"{args.objective} needs --target, a whole number") from None
    found = _engine(args).optimize(args.objective, target, args.budget, args.seed, _genre_argument(args.genre))
    print(f"score {found.score:g}, target {'met' if found.met else 'not met'}, {found.evaluations} candidates")
    return _write(args, [found.clip], [], mido.bpm2tempo(args.bpm), (4, 4), [])


def cmd_render(args: argparse.Namespace) -> int:
    """Draw a MIDI file's clip as a piano roll."""
    from bridge.midifile import read_clip
    from bridge.render import RenderUnavailable, piano_roll

    source = read_clip(args.input, args.track)
    _check_output(args.output, [args.input], args.force)
    try:
        piano_roll([source.clip], args.output, title=args.input.name)
    except RenderUnavailable as error:
        raise CliError(str(error)) from None
    print(f"wrote {args.output}")
    return 0


def cmd_info(args: argparse.Namespace) -> int:
    """Describe the bundle: faders, genres, metrics."""
    engine = _engine(args)
    info = engine.info()
    manifest = engine.bundle.manifest
    print(f"bundle   {info['bundle']} ({engine.bundle.path})")
    print(f"latent   {info['latent_size']} dimensions, {info['bars_per_segment']}-bar segments, "
          f"pitches {info['pitch_range'][0]}..{info['pitch_range'][1]}")
    print(f"training {info['training']['steps']} steps, {info['training']['minutes']} minutes")
    for fader in info["faders"]:
        print(f"fader    {fader['name']:<9} {fader['range'][0]:.2f} .. {fader['range'][1]:.2f} {fader['unit']}")
    print(f"genres   {', '.join(info['genres'])}")
    if info.get("genre_fusion"):
        print(f"blends   {', '.join('+'.join(pair) for pair in info['genre_fusion'])} through FusionGAN generators "
              "(other blends mix the genre priors)")
    metrics = manifest.get("metrics") or {}
    if "reconstruction" in metrics:
        print(f"metrics  reconstruction accuracy {metrics['reconstruction']['token_accuracy']:.3f}, "
              f"onset F1 {metrics['reconstruction']['onset_f1']:.3f}")
    if "interpolation" in metrics:
        print(f"metrics  monotone interpolations {metrics['interpolation']['monotone_fraction']:.1%}")
    for name, scores in (metrics.get("faders") or {}).items():
        if isinstance(scores, dict) and "linearity" in scores:
            print(f"metrics  {name:<9} linearity {scores['linearity']['mean']:.2f}, consistency "
                  f"{scores['consistency']['mean']:.2f}, restrictiveness {scores['restrictiveness']['mean']:.2f}")
    return 0


def _unit(text: str) -> float:
    value = float(text)
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"must be in 0..1, got {text}")
    return value


def _ranged(low: int, high: int):
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be a whole number, got {text!r}") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"must be in {low}..{high}, got {value}")
        return value
    return parse


def _meter(text: str) -> tuple[int, int]:
    numerator, _, denominator = text.partition("/")
    try:
        meter = int(numerator), int(denominator)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must look like 4/4 or 3/4, got {text!r}") from None
    if not 1 <= meter[0] <= 16 or meter[1] not in (2, 4, 8, 16) or (meter[0] * 16) % meter[1]:
        raise argparse.ArgumentTypeError(f"unsupported meter {text!r}; bars must be whole 16ths, like 4/4, 3/4, 6/8")
    return meter


def midi_api(parser: argparse.ArgumentParser) -> None:
    """The --midi-api option."""
    from bridge.midi.ports import APIS, default_api

    parser.add_argument("--midi-api", choices=tuple(APIS), default=default_api(),
                        help="MIDI system (default: this platform's)")


def build_parser() -> argparse.ArgumentParser:
    """The ``segue`` argument parser."""
    parser = argparse.ArgumentParser(prog="segue", description="Real-time neural MIDI engine.")
    parser.add_argument("--version", action="version", version=f"segue {__version__}")
    parser.add_argument("--self-test", action="store_true",
                        help="load the bundle, run every op, open the OSC socket and a MIDI port, and report")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--bundle", type=Path, help="model bundle directory (default: the shipped one)")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    serve = commands.add_parser("serve", parents=[common], help="serve the engine over OSC")
    serve.add_argument("--osc-port", type=int, default=DEFAULT_OSC_PORT)
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (default: this machine only)")
    serve.add_argument("--allow", nargs="*", default=[], metavar="ADDRESS",
                       help="remote addresses served when --host is not 127.0.0.1 (others are refused)")
    serve.add_argument("--oscquery-port", type=int, metavar="Q",
                       help="serve the OSC address space as OSCQuery JSON on http://127.0.0.1:Q/")
    serve.add_argument("--no-midi", action="store_true", help="serve OSC only, without MIDI ports")
    serve.add_argument("--verbose", action="store_true", help="log every hello and refused message")
    midi_api(serve)
    serve.add_argument("--midi-in", metavar="NAME", help="listen to this existing port instead of 'Segue In'")
    serve.add_argument("--midi-out", metavar="NAME", help="play to this existing port instead of 'Segue Out'")
    serve.add_argument("--mode", choices=MODES, default="call-response")
    serve.add_argument("--phrase-bars", type=_ranged(1, 16), default=4, metavar="N", help="bars per phrase (1..16)")
    serve.add_argument("--meter", type=_meter, default=(4, 4), metavar="N/D", help="time signature (default 4/4)")
    serve.add_argument("--bpm", type=float, default=120.0, help="internal tempo until MIDI clock arrives")
    serve.add_argument("--in-channel", type=_ranged(1, 16), metavar="1..16", help="listen to one channel only")
    serve.add_argument("--out-channel", type=_ranged(1, 16), default=1, metavar="1..16")
    serve.add_argument("--thru", action="store_true", help="echo what is played to the output")
    serve.set_defaults(func=cmd_serve)

    ports = commands.add_parser("ports", help="list MIDI ports")
    midi_api(ports)
    ports.set_defaults(func=cmd_ports)

    def file_command(name: str, help_text: str, func, inputs: tuple[str, ...]) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, parents=[common], help=help_text)
        for item in inputs:
            sub.add_argument(item, type=Path)
        sub.add_argument("-o", "--output", type=Path, required=True)
        sub.add_argument("--force", action="store_true", help="overwrite the output file if it exists")
        sub.add_argument("--track", help="track name or number to read (default: first melodic track)")
        sub.set_defaults(func=func)
        return sub

    interpolate = file_command("interpolate", "interpolate between two MIDI files", cmd_interpolate, ("a", "b"))
    interpolate.add_argument("--steps", type=int, default=5)
    interpolate.add_argument("--alpha", type=_unit, help="one clip at this mix instead of --steps")
    interpolate.add_argument("--method", choices=("linear", "slerp"), default="linear")

    def fader_options(sub: argparse.ArgumentParser) -> None:
        for name in ATTRIBUTES:
            sub.add_argument(f"--{name}", type=_unit, metavar="0..1")
        sub.add_argument("--fader", action="append", default=[], metavar="NAME=VALUE", help="any other fader")

    def fusion_options(sub: argparse.ArgumentParser, style_default) -> None:
        sub.add_argument("--style", type=_unit, nargs=2, default=style_default, metavar=("X", "Y"),
                         help="position on the fusion style pad, each 0..1")
        sub.add_argument("--similarity", type=float, help="how close to stay to the input (see segue info)")
        sub.add_argument("--keep-key", action=argparse.BooleanOptionalAction, default=True,
                         help="keep the result in the (first) input's key (default: on)")
        sub.add_argument("--candidates", type=int,
                         help="styles to try per fusion step, keeping the join the judge finds most real "
                              "(default: the bundle's; 1 = the style given only)")
        sub.add_argument("--method", choices=METHODS,
                         help="fuse by the fusion generator; by the continuation flow, which keeps the left clip and "
                              "re-imagines the right one to follow it; or by both flows, which mend the left clip "
                              "first (default: the best the bundle can run; a continuation keeps its input, so "
                              "never both flows)")

    fader_options(file_command("faders", "move faders on a MIDI file", cmd_faders, ("input",)))

    fuse = file_command("fuse", "join two MIDI files into one phrase (Connective Fusion)", cmd_fuse, ("left", "right"))
    fusion_options(fuse, [0.5, 0.5])
    fuse.add_argument("--iterations", type=int, default=1, help="apply the fusion this many times")
    fuse.add_argument("--keep-iterations", action="store_true", help="write the phrase after every iteration")

    follow = file_command("continue", "continue a MIDI file", cmd_continue, ("input",))
    follow.add_argument("--bars", type=int, default=4)
    follow.add_argument("-n", type=int, default=1, help="how many variations")
    follow.add_argument("--temperature", type=float, default=1.0)
    follow.add_argument("--seed", type=int)
    follow.add_argument("--fuse-with", type=Path, help="make the continuation this file, fused to connect")
    follow.add_argument("--interpolate-to", type=Path, help="move the continuation toward this file")
    follow.add_argument("--alpha", type=_unit, default=0.5, help="how far toward --interpolate-to")
    follow.add_argument("--alone", action="store_true", help="write only the continuation, not the input before it")
    fader_options(follow)
    fusion_options(follow, None)

    generate = file_command("generate", "generate new 4-bar clips", cmd_generate, ())
    generate.add_argument("-n", type=int, default=1, help="how many clips")
    generate.add_argument("--genre", help="a genre, or a blend like folk=0.5,celtic=0.5")
    generate.add_argument("--temperature", type=float, default=1.0)
    generate.add_argument("--seed", type=int)
    generate.add_argument("--velocity", type=int, default=100)
    generate.add_argument("--bpm", type=float, default=120.0)

    restyle = file_command("restyle", "push a MIDI file toward a genre or a blend", cmd_restyle, ("input",))
    restyle.add_argument("--genre", required=True, help="a genre, or a blend like folk=0.7,celtic=0.3")
    restyle.add_argument("--amount", type=float, default=1.0, help="how far, 0..2 (default 1)")

    refine = file_command("refine", "decode-encode a MIDI file until it stops changing", cmd_refine, ("input",))
    refine.add_argument("--max-iterations", type=int, default=8)

    optimize = file_command("optimize", "search for a 4-bar clip that meets an objective", cmd_optimize, ())
    optimize.add_argument("--objective", required=True,
                          choices=("first_pitch", "longest_notes", "shortest_notes", "pitch_range", "in_scale"))
    optimize.add_argument("--target", help="first_pitch: a MIDI pitch; pitch_range: semitones; in_scale: a key like 'D minor'")
    optimize.add_argument("--budget", type=int, default=64, help="how many candidates to decode")
    optimize.add_argument("--seed", type=int)
    optimize.add_argument("--genre")
    optimize.add_argument("--bpm", type=float, default=120.0)

    file_command("render", "draw a MIDI file as a piano roll (PNG)", cmd_render, ("input",))

    info = commands.add_parser("info", parents=[common], help="show the bundle, faders, genres and metrics")
    info.set_defaults(func=cmd_info)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``segue`` console script."""
    from bridge.midifile import MidiFileError
    from engine import BundleError, ClipError

    parser = build_parser()
    args = parser.parse_args(argv)
    if args.self_test:
        from bridge.selftest import self_test

        return self_test()
    if args.command is None:
        parser.error("choose a command (or --self-test)")
    try:
        return args.func(args)
    except (CliError, MidiFileError, BundleError, ClipError) as error:
        print(f"segue: error: {error}", file=sys.stderr)
        return EXIT_USAGE
