"""The loop every training run shares: progress bar, JSONL log, and checkpoints that a
re-run resumes from (the machine may be reclaimed mid-run)."""
from __future__ import annotations

import json
import time
from pathlib import Path

import torch
from tqdm import tqdm


class ResumableRun:
    """Subclasses define ``train_step``, ``validate``, ``state`` and ``restore``.

    ``validate`` returns metrics including ``score`` (higher is better), which picks
    best.pt; last.pt is written every ``checkpoint_every`` steps and at the end.
    """

    description = "training"

    def __init__(self, run_dir: Path, steps: int, eval_every: int, settings: dict) -> None:
        self.run_dir = run_dir
        self.steps, self.eval_every = steps, eval_every
        self.settings = settings
        self.step, self.seconds, self.best_score = 0, 0.0, float("-inf")
        run_dir.mkdir(parents=True, exist_ok=True)

    def train_step(self) -> dict[str, float]:
        """One optimisation step; returns its loss terms."""
        raise NotImplementedError

    def validate(self) -> dict[str, float]:
        """Held-out metrics, with ``score`` (higher is better)."""
        raise NotImplementedError

    def state(self) -> dict:
        """Everything besides the step counter that a resumed run needs."""
        raise NotImplementedError

    def restore(self, state: dict) -> None:
        """Inverse of :meth:`state`."""
        raise NotImplementedError

    def resume(self) -> None:
        """Continue from run_dir/last.pt if there is one with the same settings."""
        path = self.run_dir / "last.pt"
        if not path.exists():
            return
        saved = torch.load(path, weights_only=False)
        if saved["settings"] != self.settings:
            raise SystemExit(f"{path} was trained with other settings; use another run directory or --fresh")
        self.restore(saved["state"])
        torch.set_rng_state(saved["torch_rng"])
        self.step, self.seconds, self.best_score = saved["step"], saved["seconds"], saved["best_score"]
        print(f"resumed {path} at step {self.step}")

    def save(self, name: str) -> None:
        """Write a checkpoint atomically, so a killed run never leaves a torn file."""
        saved = {"state": self.state(), "settings": self.settings, "torch_rng": torch.get_rng_state(),
                 "step": self.step, "seconds": self.seconds, "best_score": self.best_score}
        temporary = self.run_dir / f".{name}.tmp"
        torch.save(saved, temporary)
        temporary.replace(self.run_dir / name)

    def run(self, max_minutes: float | None = None) -> None:
        """Train to ``steps`` (or until ``max_minutes``), validating and checkpointing."""
        self.resume()
        started = time.monotonic() - self.seconds
        with (self.run_dir / "log.jsonl").open("a") as log, \
                tqdm(total=self.steps, initial=self.step, desc=self.description, mininterval=5) as progress:
            while self.step < self.steps:
                terms = self.train_step()
                self.step += 1
                self.seconds = time.monotonic() - started
                progress.update(1)
                last = self.step == self.steps or (max_minutes is not None and self.seconds > max_minutes * 60)
                if self.step % self.eval_every == 0 or last:
                    terms |= self.validate()
                    progress.set_postfix(score=f"{terms['score']:.3f}")
                    if terms["score"] > self.best_score:
                        self.best_score = terms["score"]
                        self.save("best.pt")
                    self.save("last.pt")
                if self.step % 50 == 0 or "score" in terms:
                    log.write(json.dumps({"step": self.step, "seconds": round(self.seconds, 1), **terms}) + "\n")
                    log.flush()
                if last:
                    break
