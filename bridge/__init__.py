"""Segue's I/O: OSC server, MIDI files and ports, the `segue` command line."""
from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("segue")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+source"
