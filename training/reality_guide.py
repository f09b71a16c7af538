"""Reality guidance for the fusion generator: fused latents are decoded by the frozen VAE
decoder and judged by the reality classifier trained on the training split (the one Latent
Perturb searches with). The scoring classifier, trained on the evaluation split, never takes
part in training, so the evaluation stays held out."""
from __future__ import annotations

from typing import Callable

import numpy as np
import torch
import torch.nn.functional as F

from engine import tonality
from engine.codec import PITCH_OFFSET
from training.reality import Classifier


def straight_through_tokens(logits: torch.Tensor) -> torch.Tensor:
    """One-hot greedy tokens in the forward pass, softmax gradients in the backward pass, so
    the classifier judges exactly what greedy decoding plays."""
    soft = torch.softmax(logits, dim=-1)
    hard = F.one_hot(soft.argmax(-1), soft.shape[-1]).to(soft.dtype)
    return hard + soft - soft.detach()


def moved_pitches(tokens: torch.Tensor, moves: torch.Tensor) -> torch.Tensor:
    """Token distributions (N, steps, vocab) with each window's pitch tokens moved by its
    semitones in ``moves`` (N,); probability moved out of range is dropped."""
    vocab = torch.arange(tokens.shape[-1])
    pitched = vocab >= PITCH_OFFSET
    source = torch.where(pitched, vocab - moves[:, None], vocab)  # (N, vocab): where each token's mass comes from
    valid = (source >= PITCH_OFFSET) | ~pitched
    valid &= source < len(vocab)
    gathered = torch.gather(tokens, -1, source.clamp(0, len(vocab) - 1)[:, None, :].expand_as(tokens))
    return gathered * valid[:, None, :].to(tokens.dtype)


class RealityGuide:
    """Logit that the decoded pair (z_L, z_R) is two consecutive windows of one tune."""

    def __init__(self, decode: Callable[[torch.Tensor], torch.Tensor], classifier: Classifier,
                 frozen: list[torch.nn.Module]) -> None:
        for module in frozen:
            module.eval().requires_grad_(False)
        self.decode, self.classifier = decode, classifier.eval().requires_grad_(False)

    def __call__(self, left: torch.Tensor, right: torch.Tensor,
                 keys: tuple[np.ndarray, np.ndarray] | None = None) -> torch.Tensor:
        """With ``keys`` (the pitch-class profile each side is held to), each decoded side is
        first moved into its key as the engine's ``keep_key`` does, so a key change earns nothing."""
        tokens = straight_through_tokens(self.decode(torch.cat([left, right])))
        if keys is not None:
            greedy = tokens.detach().argmax(-1).numpy()
            moves = tonality.key_transpositions(greedy, np.concatenate(keys))
            tokens = moved_pitches(tokens, torch.as_tensor(moves))
        half = len(left)
        return self.classifier(torch.cat([tokens[:half], tokens[half:]], dim=1))
