"""Reality guidance for the fusion generator: fused latents are decoded by the frozen VAE
decoder and judged by the reality classifier trained on the training split (the one Latent
Perturb searches with). The scoring classifier, trained on the evaluation split, never takes
part in training, so the evaluation stays held out."""
from __future__ import annotations

from typing import Callable

import torch
import torch.nn.functional as F

from training.reality import Classifier


def straight_through_tokens(logits: torch.Tensor) -> torch.Tensor:
    """One-hot greedy tokens in the forward pass, softmax gradients in the backward pass, so
    the classifier judges exactly what greedy decoding plays."""
    soft = torch.softmax(logits, dim=-1)
    hard = F.one_hot(soft.argmax(-1), soft.shape[-1]).to(soft.dtype)
    return hard + soft - soft.detach()


class RealityGuide:
    """Logit that the decoded pair (z_L, z_R) is two consecutive windows of one tune."""

    def __init__(self, decode: Callable[[torch.Tensor], torch.Tensor], classifier: Classifier,
                 frozen: list[torch.nn.Module]) -> None:
        for module in frozen:
            module.eval().requires_grad_(False)
        self.decode, self.classifier = decode, classifier.eval().requires_grad_(False)

    def __call__(self, left: torch.Tensor, right: torch.Tensor) -> torch.Tensor:
        tokens = straight_through_tokens(self.decode(torch.cat([left, right])))
        half = len(left)
        return self.classifier(torch.cat([tokens[:half], tokens[half:]], dim=1))
