"""The latent model behind one interface: encode windows, decode latents, via ONNX Runtime."""
from __future__ import annotations

import functools
from typing import Protocol

import numpy as np
import onnxruntime as ort

from .bundle import Bundle, BundleError, GenreFusion
from .codec import WINDOW_STEPS


PAIR_ROLES = ("fusion", "continuation", "backward_flow", "genre_prior", "judge")  # optional, besides genre fusions
RECURSION_TWIN_ROLES = ("recursion_encoder", "recursion_decoder")  # a narrower copy of the VAE, for refine and fuse


def session_options(threads: int = 1) -> ort.SessionOptions:
    """Options for small, latency-bound graphs: few threads, full graph optimisation."""
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.log_severity_level = 3
    return options


def sample_mixture(log_weights: np.ndarray, means: np.ndarray, log_std: np.ndarray, temperature: float,
                   rng: np.random.Generator) -> np.ndarray:
    """One latent per row from a diagonal Gaussian mixture (B, K) / (B, K, d).

    Temperature scales the spread; at 0 each row takes the mean of its likeliest component.
    """
    rows = np.arange(len(log_weights))
    if temperature <= 0:
        return means[rows, log_weights.argmax(-1)]
    weights = np.exp(log_weights - log_weights.max(-1, keepdims=True))
    cumulative = np.cumsum(weights / weights.sum(-1, keepdims=True), axis=-1)
    component = np.minimum((cumulative < rng.random((len(rows), 1))).sum(-1), log_weights.shape[1] - 1)
    noise = rng.standard_normal((len(rows), means.shape[-1])).astype(np.float32)
    return means[rows, component] + temperature * np.exp(log_std[rows, component]) * noise


class Continuations(Protocol):
    """What :func:`sample_continuation` needs of a continuation model, in any runtime."""

    continuation_kind: str  # "flow" or "mixture"

    def continuation(self, left: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Mixture parameters (mixture kind)."""

    def continuation_flow(self, left: np.ndarray, noise: np.ndarray) -> np.ndarray:
        """Right latents for noise (flow kind)."""


def sample_continuation(models: Continuations, left: np.ndarray, temperature: float,
                        rng: np.random.Generator) -> np.ndarray:
    """One z_R per row of z_L from p(z_R | z_L) at ``temperature``. A flow carries noise scaled
    by the temperature (0: its central path); a mixture scales its spread (0: the likeliest mean)."""
    left = np.asarray(left, dtype=np.float32)
    if models.continuation_kind == "flow":
        noise = temperature * rng.standard_normal(left.shape).astype(np.float32)
        return models.continuation_flow(left, noise)
    return sample_mixture(*models.continuation(left), temperature, rng)


class LatentModel:
    """Encoder and decoder sessions of a bundle, and its pair models when it has them."""

    def __init__(self, bundle: Bundle, threads: int = 1, int8: bool = True, recursion_twin: bool = True) -> None:
        """Sessions for every model in the bundle; the decoder is its int8 twin when the bundle
        has one and ``int8`` is set, else the float reference. The recursion (:meth:`recode`) runs on
        the bundle's recursion twin when it has one and both flags are set, else on the int8 encoder
        twin (with the decoder above) when there is one and ``int8`` is set; ``fuse`` encodes its
        clips on the recursion twin's encoder too (:meth:`fusion_encode`). The judge's int8 twin,
        likewise, picks among fusion candidates in its place, and the int8 twins of the continuation
        and backward flows fuse by the flows (:meth:`fusion_flow`, :meth:`backward_flow`);
        continuations stay on the float flow."""
        self.bundle = bundle
        options = session_options(threads)
        files = bundle.manifest["files"]
        decoder = "decoder_int8" if int8 and "decoder_int8" in files else "decoder"
        if int8 and recursion_twin and RECURSION_TWIN_ROLES[0] in files:
            recursion = RECURSION_TWIN_ROLES
        else:
            recursion = ("encoder_int8" if int8 and "encoder_int8" in files else "encoder", "decoder")
        roles = {**{role: role for role in recursion}, "encoder": "encoder", "decoder": decoder,
                 **{role: role for role in PAIR_ROLES if role in files},
                 **{fusion.role: fusion.role for fusion in bundle.genre_fusions}}
        # the judge and both flows serve fuse on their int8 twins; the float graphs stay for the rest
        judge, fusion_flow, backward_flow = (f"{role}_int8" if int8 and role in files and f"{role}_int8" in files
                                             else role for role in ("judge", "continuation", "backward_flow"))
        roles |= {twin: twin for twin in (judge, fusion_flow, backward_flow) if twin.endswith("_int8")}
        self._sessions = {}
        try:
            for role, file_role in roles.items():
                self._sessions[role] = ort.InferenceSession(str(bundle.file(file_role)), options,
                                                            providers=["CPUExecutionProvider"])
        except Exception as error:  # onnxruntime raises its own exception types for bad graphs
            raise BundleError(f"bundle {bundle.path}: ONNX file could not be loaded ({error})") from None
        self.decoder_role = decoder
        self.recursion_encoder_role, self.recursion_decoder_role = recursion
        # The twin's encoder learned the encoder's means; fuse encoding on it scored the same (model card).
        self.fusion_encoder_role = recursion[0] if recursion == RECURSION_TWIN_ROLES else "encoder"
        self.judge_role = judge if judge in roles else None
        self.fusion_flow_role = fusion_flow if fusion_flow in roles else None
        self.backward_flow_role = backward_flow if backward_flow in roles else None
        self._decoder = self._sessions["decoder"]

    @property
    def latent_size(self) -> int:
        """Size of the latent vector."""
        return self.bundle.latent_size

    def _posterior(self, role: str, tokens: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        tokens = np.asarray(tokens, dtype=np.int64).reshape(-1, WINDOW_STEPS)
        mean, logvar = self._sessions[role].run(None, {"tokens": tokens})
        return mean, logvar

    def encode(self, tokens: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Posterior mean and log-variance of (N, 64) token windows."""
        return self._posterior("encoder", tokens)

    def fusion_encode(self, tokens: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Posterior mean and log-variance of (N, 64) token windows as ``fuse`` encodes its clips:
        by the recursion twin's encoder when the bundle has one (and it is not turned off), else
        by the encoder."""
        return self._posterior(self.fusion_encoder_role, tokens)

    def recursion_mean(self, tokens: np.ndarray) -> np.ndarray:
        """Posterior means of (N, 64) token windows from the recursion's encoder."""
        return self._posterior(self.recursion_encoder_role, tokens)[0]

    def recode(self, tokens: np.ndarray) -> np.ndarray:
        """One step of Compress to Create's recursion: the greedy decoding of the windows' posterior means."""
        z = self.recursion_mean(tokens)
        return self._sessions[self.recursion_decoder_role].run(None, {"z": z})[0].argmax(-1)

    def decode_logits(self, z: np.ndarray) -> np.ndarray:
        """Token logits (N, 64, classes) for latents (N, latent)."""
        z = np.asarray(z, dtype=np.float32).reshape(-1, self.latent_size)
        return self._decoder.run(None, {"z": z})[0]

    def has(self, role: str) -> bool:
        """Whether the bundle ships the model with this role (``fusion``, ``continuation``, ``genre_prior``,
        ``judge``, or a genre fusion's role)."""
        return role in self._sessions

    def run(self, role: str, feed: dict[str, np.ndarray]) -> list[np.ndarray]:
        """The outputs of the bundle's graph with this role for named inputs."""
        return self._sessions[role].run(None, feed)

    def fuse(self, left: np.ndarray, right: np.ndarray, style: np.ndarray,
             similarity: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Connective Fusion: (z_L', z_R') for latent pairs, styles (B, 2) and strengths (B, 1)."""
        feed = {"left": left, "right": right, "style": style, "similarity": similarity}
        # A generator trained for one strength has no similarity input.
        wanted = {graph_input.name for graph_input in self._sessions["fusion"].get_inputs()}
        new_left, new_right = self._run_float("fusion", {name: value for name, value in feed.items() if name in wanted})
        return new_left, new_right

    def _run_float(self, role: str, feed: dict[str, np.ndarray]) -> list[np.ndarray]:
        return self._sessions[role].run(None, {name: np.asarray(value, dtype=np.float32)
                                               for name, value in feed.items()})

    @property
    def continuation_kind(self) -> str:
        """The continuation model's kind: "flow" or "mixture" (bundles from before flows)."""
        return self.bundle.manifest.get("continuation", {}).get("kind", "mixture")

    @functools.cached_property  # asked several times per fuse; the graph never changes
    def flow_starts_partway(self) -> bool:
        """Whether the bundle's continuation flow can start partway along its path (from a right
        latent, as :mod:`engine.flow_fusion` needs); flows exported before session 22 cannot."""
        session = self._sessions.get("continuation")
        return session is not None and "start" in {graph_input.name for graph_input in session.get_inputs()}

    def continuation_flow(self, left: np.ndarray, noise: np.ndarray) -> np.ndarray:
        """The continuation flow's right latents (B, d) for left latents and noise (B, d)."""
        left = np.asarray(left, dtype=np.float32)
        feed = {"left": left, "noise": np.asarray(noise, dtype=np.float32)}
        if self.flow_starts_partway:  # from noise, the whole path
            feed |= {"source": np.zeros_like(left), "start": np.zeros((len(left), 1), np.float32)}
        return self._sessions["continuation"].run(None, feed)[0]

    def fusion_flow(self, left: np.ndarray, noise: np.ndarray, source: np.ndarray, start: np.ndarray) -> np.ndarray:
        """The continuation flow's right latents (B, d) for left latents and noise (B, d), each row
        started partway, at ``start`` (B, 1), from its ``source`` right latent (B, d) (see
        ``training.pair_models.ContinuationFlow``), as flow fusion runs it: on the flow's int8
        twin when the bundle has one (and ``int8`` is set)."""
        if not self.flow_starts_partway:
            raise BundleError(f"bundle {self.bundle.path}: its continuation flow cannot start partway; re-export it "
                              "with python -m training export-pairs --keep-fusion --keep-continuation")
        feed = {"left": left, "noise": noise, "source": source, "start": start}
        return self._run_float(self.fusion_flow_role, feed)[0]

    def backward_flow(self, right: np.ndarray, noise: np.ndarray, source: np.ndarray, start: np.ndarray) -> np.ndarray:
        """The backward flow's left latents (B, d), p(z_L | z_R): for right latents and noise (B, d),
        each row started partway, at ``start`` (B, 1), from its ``source`` left latent (B, d); on
        its int8 twin when the bundle has one (and ``int8`` is set)."""
        return self._run_float(self.backward_flow_role, {"right": right, "noise": noise, "source": source, "start": start})[0]

    def continuation(self, left: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Mixture parameters of p(z_R | z_L): log-weights (B, K), means and log-stds (B, K, d)."""
        log_weights, means, log_std = self._sessions["continuation"].run(
            None, {"left": np.asarray(left, dtype=np.float32).reshape(-1, self.latent_size)})
        return log_weights, means, log_std

    def fused_genres(self, fusion: GenreFusion, noise: np.ndarray, share: float = 0.5) -> np.ndarray:
        """FusionGAN's fused-domain latents G_F(noise) of one of the bundle's genre fusions, for
        noise (B, noise_size), at a blend with ``share`` of its second genre when the generator is
        blend-conditioned (else an even blend)."""
        feed = {"noise": np.asarray(noise, dtype=np.float32)}
        if fusion.blend_conditioned:
            feed["share"] = np.full((len(feed["noise"]), 1), share, dtype=np.float32)
        return self.run(fusion.role, feed)[0]

    def genre_prior(self, noise: np.ndarray, genres: np.ndarray) -> np.ndarray:
        """The genre-conditioned prior's latents for noise (B, latent) and genre one-hots (B, genres)
        in the order of the manifest's ``genre_prior.genres``."""
        return self.run("genre_prior", {"noise": np.asarray(noise, dtype=np.float32),
                                        "genre": np.asarray(genres, dtype=np.float32)})[0]

    def judge(self, phrases: np.ndarray) -> np.ndarray:
        """The judge's logits (B,) that each 8-bar token phrase (B, 128) is two consecutive
        windows of one tune."""
        return self._sessions[self.judge_role].run(None, {"phrases": np.asarray(phrases, dtype=np.int64)})[0]

    def decode(self, z: np.ndarray) -> np.ndarray:
        """Greedy token windows for latents (temperature lives in latent space, in engine.ops)."""
        return self.decode_logits(z).argmax(-1)
