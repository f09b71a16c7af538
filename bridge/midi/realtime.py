"""Real-time scheduling for the threads that carry MIDI."""
from __future__ import annotations

import os


def realtime_if_allowed(priority: int = 10) -> bool:
    """Give the calling thread real-time (FIFO) scheduling where the system allows it, as
    audio software does, so a busy machine cannot delay MIDI by a scheduler time slice.
    The thread must sleep between bursts of work; both MIDI threads do."""
    try:
        os.sched_setscheduler(0, os.SCHED_FIFO, os.sched_param(priority))
    except (AttributeError, OSError):  # not Linux, or not permitted (no rtprio limit): run as usual
        return False
    return True
