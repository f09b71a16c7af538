"""Piano-roll pictures of clips (needs matplotlib: ``pip install segue[render]``)."""
from __future__ import annotations

from pathlib import Path

from engine import Clip


class RenderUnavailable(Exception):
    """matplotlib is not installed."""


def piano_roll(clips: list[Clip], path: str | Path, title: str = "") -> None:
    """Draw clips one after another as a piano roll, velocity as colour intensity."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        from matplotlib.patches import Rectangle
    except ImportError:
        raise RenderUnavailable("drawing needs matplotlib: pip install 'segue[render]'") from None
    figure, ax = plt.subplots(figsize=(10, 3.5))
    offset, pitches = 0.0, []
    for clip in clips:
        for note in clip.notes:
            ax.add_patch(Rectangle((offset + note.start_time, note.pitch - 0.4), note.duration, 0.8,
                                   color=plt.cm.viridis(note.velocity / 127)))
            pitches.append(note.pitch)
        offset += clip.length
        ax.axvline(offset, color="grey", linewidth=0.5)
    low, high = (min(pitches), max(pitches)) if pitches else (60, 72)
    ax.set(xlim=(0, max(offset, 1)), ylim=(low - 2, high + 2), xlabel="beats", ylabel="MIDI pitch", title=title)
    figure.tight_layout()
    figure.savefig(str(path), dpi=110)
    plt.close(figure)
