"""Command line of ``python -m training``."""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Callable

from engine.bundle import DEFAULT_BUNDLE, BundleError
from training.config import TrainConfig


def share(text: str) -> float:
    """An argparse type: a share in [0, 1)."""
    value = float(text)
    if not 0.0 <= value < 1.0:
        raise argparse.ArgumentTypeError(f"must be at least 0 and below 1, got {text}")
    return value


def whole_number(minimum: int) -> Callable[[str], int]:
    """An argparse type: a whole number, ``minimum`` or more."""
    def parse(text: str) -> int:
        value = int(text)
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be {minimum} or more, got {text}")
        return value
    parse.__name__ = "whole number"  # argparse names the type in its message for text that is not a number
    return parse


def widths(text: str) -> list[int]:
    """Comma-separated positive channel widths, e.g. ``32,48,64,96,96``."""
    try:
        values = [int(part) for part in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated whole numbers such as 32,48,64,96,96, "
                                         f"got {text!r}") from None
    if not values or min(values) < 1:
        raise argparse.ArgumentTypeError(f"widths must be 1 or more, got {text!r}")
    return values


def non_negative(text: str) -> float:
    """An argparse type: a loss weight or margin, 0 or more (and finite)."""
    value = float(text)
    if not 0 <= value < float("inf"):
        raise argparse.ArgumentTypeError(f"must be 0 or more, got {text}")
    return value


non_negative.__name__ = "number"



def _corpus(args: argparse.Namespace) -> int:
    from training.corpus import build_corpus, summary

    corpus = build_corpus(limit=args.limit, workers=args.workers, refresh=args.refresh)
    print(summary(corpus))
    return 0


def _train(args: argparse.Namespace) -> int:
    import shutil

    from training.corpus import build_corpus
    from training.config import ModelConfig
    from training.train import Trainer

    model = ModelConfig(latent_size=args.latent_size, decoder=args.decoder,
                        channels=tuple(args.channels))
    config = TrainConfig(steps=args.steps, batch_size=args.batch_size, beta=args.beta, beta_warmup=args.beta_warmup, swap_weight=args.swap_weight,
                         anchor_weight=args.anchor_weight, anchor_clip=args.anchor_clip or None,
                         swap_attribute_weights=tuple(float(w) for w in args.swap_attribute_weights.split(",")),
                         swap_straight_through=args.swap_straight_through, swap_temperature=args.swap_temperature,
                         swap_reach=args.swap_reach,
                         threads=args.threads, seed=args.seed, learning_rate=args.learning_rate,
                         finetune_decoder=str(args.finetune_decoder or ""),
                         eval_every=args.eval_every, checkpoint_every=args.eval_every, model=model)
    if args.fresh and args.run.exists():
        shutil.rmtree(args.run)
    Trainer(config, build_corpus(limit=args.limit), args.run).run(max_minutes=args.max_minutes)
    return 0


def _evaluate(args: argparse.Namespace) -> int:
    import json

    from training.corpus import build_corpus
    from training.evaluate import BundleBackend, TorchBackend, evaluate

    corpus = build_corpus(limit=args.limit)
    if args.checkpoint is not None:
        backend = TorchBackend(args.checkpoint)
        out = args.out or args.checkpoint.parent / "eval"
        log = args.checkpoint.parent / "log.jsonl"
    else:
        backend = BundleBackend(args.bundle)
        out = args.out or args.bundle / "eval"
        log = args.log or args.bundle / "training_log.jsonl"
    manifest_path = args.bundle / "manifest.json"
    results = {}
    if args.part in ("all", "latent"):
        results = evaluate(backend, corpus, out, seeds=args.seeds, quick=args.quick, log_path=log)
    if args.checkpoint is None and args.part in ("all", "pairs") and backend.model.has("fusion"):
        results["pairs"] = _evaluate_pairs(args, backend, corpus, out)
    if args.checkpoint is None and args.part in ("all", "genres", "genre-pairs"):
        from engine import Engine
        from training.genre_eval import evaluate_genre_pairs, evaluate_genres

        engine = Engine(args.bundle)
        if args.part != "genre-pairs":
            results["genres"] = _genre_headline(evaluate_genres(engine, corpus, out, args.runs))
        if args.part != "genres":
            results["genre_pairs"] = {name: _genre_headline(pair) for name, pair in
                                      evaluate_genre_pairs(engine, corpus, out, args.runs).items()}
    if args.checkpoint is None and not args.quick:
        manifest = json.loads(manifest_path.read_text())
        manifest["metrics"] = {**manifest.get("metrics", {}), **results}
        manifest_path.write_text(json.dumps(manifest, indent=1) + "\n")
    print(json.dumps(results, indent=1))
    print(f"wrote {out}")
    return 0


def _genre_headline(results: dict) -> dict:
    """The genre figures the manifest keeps (the histograms stay in genres.json and genre_pairs.json)."""
    table = {name: {**entry["row"], "over_draws": entry["over_draws"]}
             for name, entry in results["table_one"]["systems"].items()}
    return {"domains": results["table_one"]["domains"], "table_one": table,
            **{k: v for k, v in results.items() if k != "table_one"}}


def _evaluate_pairs(args: argparse.Namespace, backend, corpus, out: Path) -> dict:
    from engine.bundle import load_bundle
    from engine.latent import LatentModel
    from training.evaluate import BundleBackend
    from engine import flow_fusion
    from training.fusion_eval import ITERATIONS, SIMILARITIES, FlowFusion, evaluate_pairs
    from training.pair_runs import (TorchPairModels, continuation_from_run, guided_twins, load_run, prior_of,
                                    reality_model)

    bundle = load_bundle(args.bundle)
    scoring, searching = (reality_model(corpus, split, args.runs) for split in ("eval", "train"))
    compare = {}
    for run in args.compare_fusion:
        low, high = load_run(run / "last.pt")[1]["similarity"]
        compare[run.name] = (TorchPairModels.from_runs(run / "last.pt", bundle.latent_size),
                             (low,) if low == high else SIMILARITIES)
    compare_continuation = {run.name: TorchPairModels(None, continuation_from_run(run / "last.pt", bundle.latent_size))
                            for run in args.compare_continuation}
    compare_continuation |= guided_twins(args.bundle, args.compare_guidance)
    for method in args.flow_fusion or []:
        if method not in flow_fusion.available(backend.model):
            raise SystemExit(f"{args.bundle} cannot fuse by {method}")
    judges = {}
    if backend.model.has("judge"):
        judges["judge"] = backend.model.judge
        if args.float_judge:
            judges["float judge"] = LatentModel(bundle, threads=2, int8=False).judge
    return evaluate_pairs(backend, backend.model, scoring, searching, corpus, prior_of(args.bundle),
                          bundle.latent_std, out, quick=args.quick, compare=compare,
                          similarities=tuple(args.similarities or SIMILARITIES), iterations=args.iterations or ITERATIONS, pick_of=tuple(args.pick_of),
                          compare_continuation=compare_continuation, judges=judges,
                          fusion_backend=BundleBackend(args.bundle, fusion=True),
                          flows={method: FlowFusion(backend.model, method)
                                 for method in args.flow_fusion or flow_fusion.available(backend.model)
                                 if method != "generator"} if args.flow_fusion is not None else None)


def _export(args: argparse.Namespace) -> int:
    from training.corpus import build_corpus
    from training.export import export_bundle

    manifest = export_bundle(args.checkpoint, build_corpus(limit=args.limit), args.out, args.name)
    print(f"exported {args.checkpoint} to {args.out}: parity {manifest['parity']}")
    return 0


def _reality(args: argparse.Namespace) -> int:
    from training.config import RealityConfig
    from training.corpus import build_corpus
    from training.pair_runs import REALITY_SPLITS, train_reality

    config = RealityConfig(steps=args.steps, architecture=args.architecture,
                           channels=args.channels or RealityConfig().channels, dropout=args.dropout)
    run = args.run or Path("runs") / REALITY_SPLITS[args.split]
    train_reality(config, build_corpus(limit=args.limit), args.split, run, args.max_minutes)
    return 0


def _fusion(args: argparse.Namespace) -> int:
    from training.config import FusionConfig
    from training.corpus import build_corpus
    from training.pair_runs import train_fusion

    config = FusionConfig(steps=args.steps, similarity=tuple(args.similarity),
                          discriminator_steps=args.discriminator_steps, reality_weight=args.reality_weight,
                          in_one_key=args.in_one_key, iterated=args.iterated,
                          start_from=str(args.start_from or ""))
    train_fusion(config, build_corpus(limit=args.limit), args.bundle, args.run, args.max_minutes)
    return 0


def _continuation(args: argparse.Namespace) -> int:
    from training.config import ContinuationConfig
    from training.corpus import build_corpus
    from training.pair_runs import train_continuation

    config = ContinuationConfig(kind=args.kind, steps=args.steps, components=args.components,
                                hidden=args.hidden, flow_steps=args.flow_steps, reality_weight=args.reality_weight,
                                condition_dropout=args.condition_dropout, backward=args.backward)
    train_continuation(config, build_corpus(limit=args.limit), args.bundle, args.run, args.max_minutes)
    return 0


def _recursion_twin(args: argparse.Namespace) -> int:
    from training.config import RecursionTwinConfig
    from training.corpus import build_corpus
    from training.recursion_twin import train_recursion_twin

    settings = RecursionTwinConfig(steps=args.steps, channels=tuple(args.channels), start=str(args.start or ""))
    train_recursion_twin(settings, args.bundle, build_corpus(limit=args.limit), args.run, args.max_minutes)
    return 0


def _export_recursion_twin(args: argparse.Namespace) -> int:
    from training.corpus import build_corpus
    from training.export_twin import export_recursion_twin

    section = export_recursion_twin(args.bundle, args.checkpoint, build_corpus(limit=args.limit))
    twin = section["against_float"]["recursion twin"]
    print(f"added the recursion twin to {args.bundle}: parity {section['parity']}; one step plays the float "
          f"graphs' token on {twin['step_token_agreement']:.2%} of steps")
    return 0


def _genre_fusion(args: argparse.Namespace) -> int:
    from training.config import GenreFusionConfig
    from training.corpus import build_corpus
    from training.genre_fusion_runs import train_genre_fusion

    config = GenreFusionConfig(steps=args.steps, genres=tuple(args.genres), dd_weight=args.dd_weight,
                               npd_weight=args.npd_weight, nd_weight=args.nd_weight,
                               decoded_batch=args.decoded_batch, radius_weight=args.radius_weight,
                               blend_conditioned=args.blend_conditioned, even_blend_steps=args.even_blend_steps)
    train_genre_fusion(config, build_corpus(limit=args.limit), args.bundle, args.run, args.max_minutes)
    return 0


def _export_genre_fusion(args: argparse.Namespace) -> int:
    from training.genre_fusion_runs import export_genre_fusion

    role, manifest = export_genre_fusion(args.bundle, args.checkpoint)
    print(f"added genre fusion {manifest[role]['genres']} to {args.bundle} as {manifest['files'][role]['path']}: "
          f"parity {manifest['parity'][f'{role}_max_abs_error']:.2e}")
    return 0


def _genre_prior(args: argparse.Namespace) -> int:
    from training.config import GenrePriorConfig
    from training.corpus import build_corpus
    from training.genre_prior_runs import train_genre_prior

    config = GenrePriorConfig(steps=args.steps, dd_weight=args.dd_weight, npd_weight=args.npd_weight,
                              nd_weight=args.nd_weight, decoded_batch=args.decoded_batch,
                              separation_weight=args.separation_weight, margin=args.margin,
                              radius_weight=args.radius_weight)
    train_genre_prior(config, build_corpus(limit=args.limit), args.bundle, args.run, args.max_minutes)
    return 0


def _export_genre_prior(args: argparse.Namespace) -> int:
    from training.genre_prior_runs import export_genre_prior

    manifest = export_genre_prior(args.bundle, args.checkpoint)
    print(f"added the genre prior {manifest['genre_prior']['genres']} to {args.bundle}: parity "
          f"{manifest['parity']['genre_prior_max_abs_error']:.2e}")
    return 0


def _export_pairs(args: argparse.Namespace) -> int:
    from training.export_pairs import export_pairs

    manifest = export_pairs(args.bundle, None if args.keep_fusion else args.fusion,
                            None if args.keep_continuation else args.continuation, args.flow_steps, args.guidance)
    print(f"added fusion and continuation to {args.bundle}: parity {manifest['parity']}")
    return 0


def _export_backward_flow(args: argparse.Namespace) -> int:
    from training.export_backward_flow import ROLE, export_backward_flow

    manifest = export_backward_flow(args.bundle, args.checkpoint)
    print(f"added the backward flow to {args.bundle}: parity {manifest['parity'][f'{ROLE}_max_abs_error']:.2e}")
    return 0


def _flow_lengths(args: argparse.Namespace) -> int:
    from training.corpus import build_corpus
    from training.flow_lengths import iterated_lengths

    results = iterated_lengths(args.bundle, build_corpus(limit=args.limit), args.similarity, args.iterations)
    print(f"mean latent length over the inputs' [left, right], fusion by both flows at similarity {args.similarity:g}:")
    for label, rows in results.items():
        print(f"  {label}: " + "  ".join(f"{left:.3f}/{right:.3f}" for left, right in rows))
    return 0


def _export_judge(args: argparse.Namespace) -> int:
    from training.export_judge import export_judge

    manifest = export_judge(args.bundle, args.reality, args.candidates)
    print(f"added the judge to {args.bundle} ({args.candidates} candidates by default): "
          f"parity {manifest['parity']['judge_max_abs_error']:.2e}")
    return 0


def _quantize(args: argparse.Namespace) -> int:
    from training.corpus import build_corpus
    from engine.bundle import load_bundle
    from training.quantize import (add_int8_backward_flow, add_int8_decoder, add_int8_encoder, add_int8_flow,
                                   add_int8_judge)

    corpus = build_corpus(limit=args.limit)
    decoder = add_int8_decoder(args.bundle, corpus)
    print(f"added an int8 decoder to {args.bundle}: token agreement with the float one {decoder['token_agreement']}")
    encoder = add_int8_encoder(args.bundle, corpus)
    print(f"added an int8 encoder for refine: one step plays the float encoder's tokens "
          f"{encoder['step_token_agreement']:.1%} of the time, reconstruction {encoder['reconstruction']}")
    if load_bundle(args.bundle).manifest.get("continuation", {}).get("kind") == "flow":
        flow = add_int8_flow(args.bundle, corpus)
        print(f"added an int8 continuation flow for flow fusion: {flow['fusion_agreement']}")
    if "backward_flow" in load_bundle(args.bundle).manifest["files"]:
        backward = add_int8_backward_flow(args.bundle, corpus)
        print(f"added an int8 backward flow for fusion by both flows: {backward['fusion_agreement']}")
    # last, so its picks are measured on the joins the engine makes: by the flows' twins
    if "judge" in load_bundle(args.bundle).manifest["files"]:
        judge = add_int8_judge(args.bundle, corpus)
        print(f"added an int8 judge for fusion's picks: it keeps the float judge's candidate {judge['pick_agreement']}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with one subcommand per training stage."""
    parser = argparse.ArgumentParser(prog="python -m training", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    corpus = commands.add_parser("corpus", help="parse music21's collections into cached windows")
    corpus.add_argument("--limit", type=int, help="tunes per collection (for quick runs and CI)")
    corpus.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    corpus.add_argument("--refresh", action="store_true", help="ignore the cache and parse again")
    corpus.set_defaults(func=_corpus)

    train = commands.add_parser("train", help="train the melody VAE (resumes from RUN/last.pt)")
    train.add_argument("--run", type=Path, default=Path("runs/default"), help="run directory for checkpoints and logs")
    train.add_argument("--limit", type=int, help="use the corpus cut to this many tunes per collection")
    defaults = TrainConfig()
    train.add_argument("--steps", type=int, default=defaults.steps)
    train.add_argument("--batch-size", type=int, default=defaults.batch_size)
    train.add_argument("--beta", type=float, default=defaults.beta, help="KL weight after warm-up")
    train.add_argument("--beta-warmup", type=int, default=defaults.beta_warmup,
                       help="steps over which the KL weight ramps up")
    train.add_argument("--swap-weight", type=float, default=defaults.swap_weight,
                       help="fader swap loss weight (0 turns it off)")
    train.add_argument("--anchor-weight", type=float, default=defaults.anchor_weight,
                       help="linear fader anchor weight (0 turns it off)")
    train.add_argument("--anchor-clip", type=float, default=defaults.anchor_clip,
                       help="clip standardised attributes to +-this before the anchor (0: no clip)")
    train.add_argument("--swap-attribute-weights", default=",".join(map(str, defaults.swap_attribute_weights)),
                       help="swap-loss weight of each fader attribute, in fader order")
    train.add_argument("--swap-straight-through", action="store_true",
                       help="measure the swap loss's attributes on greedy tokens (straight-through gradient)")
    train.add_argument("--swap-reach", type=float, default=defaults.swap_reach,
                       help="half the swaps invent fader values in +-REACH with targets on the fader's line (0: off)")
    train.add_argument("--swap-temperature", type=float, default=defaults.swap_temperature,
                       help="softmax temperature of the swap loss's attributes (below 1 sharpens)")
    train.add_argument("--learning-rate", type=float, default=defaults.learning_rate,
                       help="peak learning rate (warm-up, then cosine decay)")
    train.add_argument("--finetune-decoder", type=Path, metavar="CHECKPOINT",
                       help="start from CHECKPOINT and train only its decoder; the latent space stays the same")
    train.add_argument("--latent-size", type=int, default=defaults.model.latent_size)
    train.add_argument("--channels", type=widths, default=",".join(map(str, defaults.model.channels)),
                       help="encoder widths, finest first")
    train.add_argument("--decoder", choices=("conv", "gru"), default=defaults.model.decoder)
    train.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    train.add_argument("--seed", type=int, default=defaults.seed)
    train.add_argument("--eval-every", type=int, default=defaults.eval_every)
    train.add_argument("--max-minutes", type=float, help="stop (and checkpoint) after this long")
    train.add_argument("--fresh", action="store_true", help="discard the run directory's checkpoints first")
    train.set_defaults(func=_train)

    evaluate = commands.add_parser("evaluate", help="run the metrics.md protocols on a bundle or checkpoint")
    source = evaluate.add_mutually_exclusive_group()
    source.add_argument("--bundle", type=Path, default=DEFAULT_BUNDLE, help="exported bundle (default: the shipped one)")
    source.add_argument("--checkpoint", type=Path, help="a training checkpoint instead of a bundle")
    evaluate.add_argument("--limit", type=int, help="use the corpus cut to this many tunes per collection")
    evaluate.add_argument("--seeds", type=int, default=5, help="repetitions of the fader protocol")
    evaluate.add_argument("--quick", action="store_true",
                          help="reconstruction, prior samples and fusion without the Latent Perturb baseline only")
    evaluate.add_argument("--part", choices=("all", "latent", "pairs", "genres", "genre-pairs"), default="all",
                          help="latent: the VAE's protocols; pairs: fusion and continuation; genres: genre fusion "
                               "of folk and celtic and the latent tools; genre-pairs: genre fusion of every other "
                               "pair the bundle has a generator for (pairs, genres, genre-pairs: bundles only)")
    evaluate.add_argument("--compare-fusion", type=Path, nargs="*", default=[], metavar="RUN",
                          help="other fusion runs (one strength, or trained differently) to score beside the shipped one")
    evaluate.add_argument("--compare-continuation", type=Path, nargs="*", default=[], metavar="RUN",
                          help="other continuation runs (e.g. reality-guided) to score beside the shipped one")
    evaluate.add_argument("--compare-guidance", type=float, nargs="*", default=[], metavar="SCALE",
                          help="score the shipped continuation flow at other classifier-free guidance scales")
    evaluate.add_argument("--similarities", type=float, nargs="+", metavar="LAMBDA",
                          help="fusion strengths to score (default 0.3 1 3)")
    evaluate.add_argument("--iterations", type=whole_number(1),
                          help="fusion iterations to score at each strength (default: the protocol's 5)")
    evaluate.add_argument("--pick-of", type=whole_number(1), nargs="*", default=[], metavar="K",
                          help="also score the shipped generator keeping, at each iteration, the likeliest-real "
                               "of K styles, picked by the bundle's judge as the engine runs it (its int8 twin when "
                               "the bundle has one; without a judge, the training-split reality classifier)")
    evaluate.add_argument("--flow-fusion", nargs="*", choices=("flow", "flow-both"), metavar="METHOD",
                          help="also score fusion by these flow methods (engine.flow_fusion; none named: every one "
                               "the bundle can run), alone and with each --pick-of")
    evaluate.add_argument("--float-judge", action="store_true",
                          help="with --pick-of, also score the picks of the judge's float graph")
    evaluate.add_argument("--runs", type=Path, default=Path("runs"),
                          help="where the reality classifiers are (trained there first if missing)")
    evaluate.add_argument("--log", type=Path, help="training log.jsonl to plot loss curves from")
    evaluate.add_argument("--out", type=Path, help="output directory (default: BUNDLE/eval or RUN/eval)")
    evaluate.set_defaults(func=_evaluate)

    export = commands.add_parser("export", help="export a checkpoint to an ONNX bundle, checking parity")
    export.add_argument("--checkpoint", type=Path, default=Path("runs/default/best.pt"))
    export.add_argument("--out", type=Path, default=DEFAULT_BUNDLE)
    export.add_argument("--name", default="default")
    export.add_argument("--limit", type=int, help="use the corpus cut to this many tunes per collection")
    export.set_defaults(func=_export)

    from training.config import REALITY_ARCHITECTURES, ContinuationConfig, FusionConfig, RealityConfig

    def pair_command(name: str, help_text: str, func, steps: int, run: Path | None) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=help_text)
        sub.add_argument("--run", type=Path, default=run, help="run directory (resumes from its last.pt)")
        sub.add_argument("--steps", type=int, default=steps)
        sub.add_argument("--limit", type=int, help="use the corpus cut to this many tunes per collection")
        sub.add_argument("--max-minutes", type=float, help="stop (and checkpoint) after this long")
        sub.add_argument("--threads", type=int, default=os.cpu_count() or 1)
        sub.set_defaults(func=func)
        return sub

    reality = pair_command("reality", "train a reality classifier (an evaluation model)", _reality,
                           RealityConfig().steps, None)
    reality.add_argument("--split", choices=("eval", "train"), default="eval",
                         help="eval: the scoring model; train: the one Latent Perturb searches with")
    reality.add_argument("--architecture", choices=REALITY_ARCHITECTURES, default=RealityConfig().architecture)
    reality.add_argument("--channels", type=int, help=f"width (default {RealityConfig().channels})")
    reality.add_argument("--dropout", type=float, default=RealityConfig().dropout)
    fusion = pair_command("fusion", "train Connective Fusion in a bundle's latent space", _fusion,
                          FusionConfig().steps, Path("runs/fusion"))
    fusion.add_argument("--bundle", type=Path, default=DEFAULT_BUNDLE)
    fusion.add_argument("--similarity", type=float, nargs=2, default=FusionConfig().similarity, metavar=("LOW", "HIGH"),
                        help="lambda range the generator is conditioned on (LOW = HIGH trains one strength)")
    fusion.add_argument("--discriminator-steps", type=int, default=FusionConfig().discriminator_steps)
    fusion.add_argument("--reality-weight", type=float, default=FusionConfig().reality_weight,
                        help="weight of the training-split reality classifier in G's loss (trains it first if needed)")
    fusion.add_argument("--in-one-key", type=whole_number(0), default=FusionConfig().in_one_key, metavar="PAIRS",
                        help="fuse pools of this many shuffled and prior pairs put into one key first, as the "
                             "engine does, with the guide hearing each side held in its key (0: keys as they come)")
    fusion.add_argument("--iterated", type=whole_number(0), default=FusionConfig().iterated, metavar="DEPTH",
                        help="fuse each input 0..DEPTH times first, so G learns from its own outputs as iterated "
                             "fusion feeds them back (0: raw inputs only)")
    fusion.add_argument("--start-from", type=Path, metavar="CHECKPOINT",
                        help="start a new run from this fusion checkpoint's G and D weights")
    continuation = pair_command("continuation", "train the continuation density in a bundle's latent space",
                                _continuation, ContinuationConfig().steps, Path("runs/continuation"))
    continuation.add_argument("--bundle", type=Path, default=DEFAULT_BUNDLE)
    continuation.add_argument("--kind", choices=("flow", "mixture"), default=ContinuationConfig().kind,
                              help="a conditional flow (flow matching) or a mixture density network")
    continuation.add_argument("--components", type=int, default=ContinuationConfig().components,
                              help="mixture components (mixture only)")
    continuation.add_argument("--hidden", type=int, default=ContinuationConfig().hidden, help="network width")
    continuation.add_argument("--flow-steps", type=int, default=ContinuationConfig().flow_steps,
                              help="midpoint steps from noise to latent (flow only)")
    continuation.add_argument("--condition-dropout", type=share, default=ContinuationConfig().condition_dropout,
                              help="share of rows trained without the left latent, so export-pairs --guidance "
                                   "can apply classifier-free guidance (flow only)")
    continuation.add_argument("--backward", action="store_true",
                              help="learn the window before a given one, p(z_L | z_R), which flow fusion's "
                                   "\"flow-both\" method mends the left clip with (flow only)")
    continuation.add_argument("--reality-weight", type=float, default=ContinuationConfig().reality_weight,
                              help="weight of the training-split reality classifier on sampled continuations "
                                   "(mixture only)")

    from training.config import RecursionTwinConfig

    twin = pair_command("recursion-twin", "train a narrower encoder and decoder that copy the bundle's, "
                                          "for refine's recursion", _recursion_twin, RecursionTwinConfig().steps,
                        Path("runs/recursion-twin"))
    twin.add_argument("--bundle", type=Path, default=DEFAULT_BUNDLE)
    twin.add_argument("--channels", type=widths,
                      default=list(RecursionTwinConfig().channels),
                      help="encoder widths, finest first (default %(default)s)")
    twin.add_argument("--start", type=Path, metavar="CHECKPOINT",
                      help="start from this VAE checkpoint of the same widths (python -m training train)")
    export_twin = commands.add_parser("export-recursion-twin", help="add a recursion twin to a bundle, for refine")
    export_twin.add_argument("--bundle", type=Path, default=DEFAULT_BUNDLE)
    export_twin.add_argument("--checkpoint", type=Path, default=Path("runs/recursion-twin/best.pt"))
    export_twin.add_argument("--limit", type=int, help="use the corpus cut to this many tunes per collection")
    export_twin.set_defaults(func=_export_recursion_twin)

    export_pairs = commands.add_parser("export-pairs", help="add fusion and continuation models to a bundle")
    export_pairs.add_argument("--bundle", type=Path, default=DEFAULT_BUNDLE)
    export_pairs.add_argument("--fusion", type=Path, default=Path("runs/fusion/last.pt"))
    export_pairs.add_argument("--continuation", type=Path, default=Path("runs/continuation/best.pt"))
    export_pairs.add_argument("--keep-fusion", action="store_true", help="keep the bundle's fusion model")
    export_pairs.add_argument("--keep-continuation", action="store_true", help="keep the bundle's continuation model")
    export_pairs.add_argument("--flow-steps", type=int, help="midpoint steps of a continuation flow (default: as trained)")
    export_pairs.add_argument("--guidance", type=float,
                              help="classifier-free guidance scale of a continuation flow (default: as shipped, else 1)")
    export_pairs.set_defaults(func=_export_pairs)
    judge = commands.add_parser("export-judge", help="add the training-split reality classifier to a bundle, so "
                                                     "fusion keeps the likeliest-real of several styles")
    judge.add_argument("--bundle", type=Path, default=DEFAULT_BUNDLE)
    judge.add_argument("--reality", type=Path, default=Path("runs/reality-train/best.pt"))
    judge.add_argument("--candidates", type=whole_number(1), default=8,
                       help="styles fusion tries per iteration by default (default 8)")
    judge.set_defaults(func=_export_judge)
    quantize = commands.add_parser(
        "quantize", help="add int8 twins of the decoder (the engine plays it), the encoder (refine's recursion), "
                         "the judge (fusion's picks) and the continuation and backward flows (flow fusion)")
    quantize.add_argument("--bundle", type=Path, default=DEFAULT_BUNDLE)
    quantize.add_argument("--limit", type=int, help="use the corpus cut to this many tunes per collection")
    quantize.set_defaults(func=_quantize)

    from training.config import GenreFusionConfig, GenrePriorConfig
    from training.corpus import GENRES

    genre_fusion = pair_command("genre-fusion", "train FusionGAN's fused-genre generator in a bundle's latent space",
                                _genre_fusion, GenreFusionConfig().steps, Path("runs/genre-fusion"))
    genre_fusion.add_argument("--bundle", type=Path, default=DEFAULT_BUNDLE)
    genre_fusion.add_argument("--genres", nargs=2, choices=GENRES, default=list(GenreFusionConfig().genres),
                              metavar=("A", "B"), help="the two genres to fuse (default folk celtic)")
    genre_fusion.add_argument("--blend-conditioned", action=argparse.BooleanOptionalAction,
                              default=GenreFusionConfig().blend_conditioned,
                              help="give G_F the blend's share of B as an input, trained over every share "
                                   "(one generator for every weighted blend; --no-blend-conditioned: the paper's "
                                   "even blend only)")
    genre_fusion.add_argument("--even-blend-steps", type=non_negative, default=GenreFusionConfig().even_blend_steps,
                              help="with --blend-conditioned, the fraction of steps trained at the even blend")
    genre_prior = pair_command("genre-prior", "train the genre-conditioned prior that generate samples a genre from",
                               _genre_prior, GenrePriorConfig().steps, Path("runs/genre-prior"))
    genre_prior.add_argument("--bundle", type=Path, default=DEFAULT_BUNDLE)
    for command, config, whose in ((genre_fusion, GenreFusionConfig(), "G_F's"), (genre_prior, GenrePriorConfig(), "")):
        command.add_argument("--decoded-batch", type=whole_number(1), default=config.decoded_batch,
                             help=f"{whose or 'per genre,'} samples decoded per step for the histogram terms")
        command.add_argument("--radius-weight", type=non_negative, default=config.radius_weight,
                              help="weight of the penalty on samples further from the genre's mean than its real "
                                  "latents reach (0: off)")
    genre_prior.add_argument("--separation-weight", type=non_negative, default=GenrePriorConfig().separation_weight,
                             help="weight of the hinge asking each genre's decoded statistics to lie MARGIN nearer "
                                  "its own training windows' than any other genre's (0: off)")
    genre_prior.add_argument("--margin", type=non_negative, default=GenrePriorConfig().margin)
    for statistic in ("dd", "npd", "nd"):
        genre_fusion.add_argument(f"--{statistic}-weight", type=non_negative, default=getattr(GenreFusionConfig(), f"{statistic}_weight"),
                                  help=f"weight of the squared distance between G_F's decoded {statistic.upper()} and the "
                                       "even blend of the two genres' (0: the critics alone)")
        genre_prior.add_argument(f"--{statistic}-weight", type=non_negative, default=getattr(GenrePriorConfig(), f"{statistic}_weight"),
                                 help=f"weight of the squared distance between each genre's decoded {statistic.upper()} "
                                      "and its training windows' (0: the critic alone)")
    export_genre = commands.add_parser("export-genre-fusion", help="add the fused-genre generator to a bundle")
    export_genre.add_argument("--bundle", type=Path, default=DEFAULT_BUNDLE)
    export_genre.add_argument("--checkpoint", type=Path, default=Path("runs/genre-fusion/last.pt"))
    export_genre.set_defaults(func=_export_genre_fusion)
    export_prior = commands.add_parser("export-genre-prior", help="add the genre-conditioned prior to a bundle")
    export_prior.add_argument("--bundle", type=Path, default=DEFAULT_BUNDLE)
    export_prior.add_argument("--checkpoint", type=Path, default=Path("runs/genre-prior/best.pt"))
    export_prior.set_defaults(func=_export_genre_prior)
    export_backward = commands.add_parser("export-backward-flow", help="add the backward flow (python -m training "
                                                                       "continuation --backward) to a bundle, so "
                                                                       "fuse can mend the left clip too")
    export_backward.add_argument("--bundle", type=Path, default=DEFAULT_BUNDLE)
    export_backward.add_argument("--checkpoint", type=Path, default=Path("runs/continuation-backward/best.pt"))
    export_backward.set_defaults(func=_export_backward_flow)
    lengths = commands.add_parser("flow-lengths", help="how long fused latents grow when fusion by both flows is "
                                                       "iterated: guidance as exported, none, and as the engine does")
    lengths.add_argument("--bundle", type=Path, default=DEFAULT_BUNDLE)
    lengths.add_argument("--similarity", type=float, default=0.3)
    lengths.add_argument("--iterations", type=whole_number(1), default=5)
    lengths.add_argument("--limit", type=int, help="use the corpus cut to this many tunes per collection")
    lengths.set_defaults(func=_flow_lengths)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run one training command."""
    args = build_parser().parse_args(argv)
    if getattr(args, "threads", None):
        import torch

        torch.set_num_threads(args.threads)
    try:
        return args.func(args)
    except (BundleError, FileNotFoundError) as error:  # a bundle or checkpoint path that is not there
        print(f"error: {error}", file=sys.stderr)
        return 2
