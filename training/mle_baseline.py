"""FusionGAN's MLE baseline: an LSTM language model of token windows, trained by maximum
likelihood on the union of two genres and sampled at temperature 1."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from engine.codec import N_TOKENS, WINDOW_STEPS
from training.loop import ResumableRun

START = N_TOKENS  # the extra input id that opens every window


class LanguageModel(nn.Module):
    """p(token_t | tokens_<t) over one 64-step window."""

    def __init__(self, embed: int = 64, hidden: int = 256) -> None:
        super().__init__()
        self.embed = nn.Embedding(N_TOKENS + 1, embed)
        self.lstm = nn.LSTM(embed, hidden, batch_first=True)
        self.out = nn.Linear(hidden, N_TOKENS)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        """Next-token logits for each position of (B, T) windows (teacher forcing)."""
        inputs = torch.cat([torch.full_like(tokens[:, :1], START), tokens[:, :-1]], dim=1)
        return self.out(self.lstm(self.embed(inputs))[0])

    @torch.no_grad()
    def sample(self, count: int, generator: torch.Generator) -> np.ndarray:
        """``count`` windows sampled token by token."""
        token = torch.full((count, 1), START, dtype=torch.long)
        state, out = None, []
        for _ in range(WINDOW_STEPS):
            hidden, state = self.lstm(self.embed(token), state)
            probabilities = torch.softmax(self.out(hidden[:, -1]), dim=-1)
            token = torch.multinomial(probabilities, 1, generator=generator)
            out.append(token)
        return torch.cat(out, dim=1).numpy()


class LanguageModelTraining(ResumableRun):
    """Maximum likelihood on the given windows; validated by held-out negative log-likelihood."""

    description = "MLE baseline"

    def __init__(self, windows: np.ndarray, val_windows: np.ndarray, run_dir: Path, steps: int = 1500,
                 batch_size: int = 128, seed: int = 0) -> None:
        super().__init__(run_dir, steps, 250, {"steps": steps, "batch_size": batch_size, "seed": seed,
                                               "windows": int(len(windows))})
        torch.manual_seed(seed)
        self.windows, self.val = torch.as_tensor(windows, dtype=torch.long), torch.as_tensor(val_windows[:2048], dtype=torch.long)
        self.batch_size = batch_size
        self.model = LanguageModel()
        self.optimizer = torch.optim.Adam(self.model.parameters(), 1e-3)
        self.rng = torch.Generator().manual_seed(seed)

    def train_step(self) -> dict[str, float]:
        batch = self.windows[torch.randint(0, len(self.windows), (self.batch_size,), generator=self.rng)]
        loss = F.cross_entropy(self.model(batch).transpose(1, 2), batch)
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        self.optimizer.step()
        return {"loss": loss.item()}

    def validate(self) -> dict[str, float]:
        with torch.no_grad():
            loss = F.cross_entropy(self.model(self.val).transpose(1, 2), self.val).item()
        return {"val_loss": loss, "score": -loss}

    def state(self) -> dict:
        return {"model": self.model.state_dict(), "optimizer": self.optimizer.state_dict(), "rng": self.rng.get_state()}

    def restore(self, state: dict) -> None:
        self.model.load_state_dict(state["model"])
        self.optimizer.load_state_dict(state["optimizer"])
        self.rng.set_state(state["rng"])


def trained_language_model(windows: np.ndarray, val_windows: np.ndarray, run_dir: Path, steps: int = 1500) -> LanguageModel:
    """The best checkpoint of an MLE run in ``run_dir`` (trained, or finished, first)."""
    LanguageModelTraining(windows, val_windows, run_dir, steps).run()
    model = LanguageModel()
    model.load_state_dict(torch.load(run_dir / "best.pt", weights_only=False)["state"]["model"])
    return model.eval()
