"""Model bundles: manifest schema, checksums, and ONNX Runtime sessions.

A bundle is a directory with ``manifest.json`` and the ONNX files it lists. Loading checks
the format version, the token scheme against this engine's codec, and the sha256 of every
file, so a corrupt or mismatched bundle fails at once with one clear message.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from . import codec

FORMAT_VERSION = 1
DEFAULT_BUNDLE = Path(__file__).resolve().parent.parent / "exported_models" / "default"
REQUIRED_FILES = ("encoder", "decoder")
# Each int8 twin ``{role}_int8`` and the manifest section recording the float graph it was quantized from
INT8_TWIN_SECTIONS = {"decoder": "quantization", "encoder": "encoder_quantization", "judge": "judge_quantization",
                      "continuation": "flow_quantization", "backward_flow": "backward_flow_quantization"}


class BundleError(Exception):
    """A bundle is missing, corrupt, or was made for another engine."""


def token_scheme() -> dict[str, Any]:
    """The token scheme this engine's codec speaks, as written in manifests."""
    return {
        "scheme": "rest-hold-pitch", "rest": codec.REST, "hold": codec.HOLD,
        "pitch_min": codec.PITCH_MIN, "pitch_max": codec.PITCH_MAX, "n_tokens": codec.N_TOKENS,
        "steps_per_bar": codec.STEPS_PER_BAR, "window_steps": codec.WINDOW_STEPS,
    }


def sha256_of(path: Path) -> str:
    """Hex sha256 of a file's bytes."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@dataclass(frozen=True)
class Fader:
    """One fader: its latent dimension and the monotone map between latent and attribute."""

    name: str
    index: int
    unit: str
    latent_points: np.ndarray
    value_points: np.ndarray

    def value_of(self, latent: np.ndarray | float) -> np.ndarray:
        """Attribute value the decoder is expected to produce at a latent value."""
        return np.interp(latent, self.latent_points, self.value_points)

    def latent_of(self, value: np.ndarray | float) -> np.ndarray:
        """Latent value for an attribute value (clamped to the calibrated range)."""
        # Flat stretches of the calibration get a tiny slope so the inverse is a function.
        return np.interp(value, self.value_points + np.arange(len(self.value_points)) * 1e-9, self.latent_points)


@dataclass(frozen=True)
class Genre:
    """One component of the genre-aware prior: N(mean, std^2 I)."""

    name: str
    mean: np.ndarray
    std: np.ndarray


@dataclass(frozen=True)
class GenreFusion:
    """One FusionGAN generator of the bundle: its file role, the two genres it fuses (the blend's
    share is the second's), its noise size, and whether it takes that share as an input."""

    role: str
    genres: tuple[str, str]
    noise_size: int
    blend_conditioned: bool


def genre_fusion_role(genres: tuple[str, str]) -> str:
    """The file role of the generator that fuses ``genres``. Bundles from before one generator per
    pair (session 17) name their only one ``genre_fusion``; both are read."""
    return "genre_fusion_" + "_".join(genres)


@dataclass(frozen=True)
class Bundle:
    """A validated bundle: its directory, manifest and parsed faders, genres and genre fusions."""

    path: Path
    manifest: dict
    faders: tuple[Fader, ...]
    genres: tuple[Genre, ...]
    genre_fusions: tuple[GenreFusion, ...] = ()

    def genre_fusion(self, genres: set[str] | frozenset[str]) -> GenreFusion | None:
        """The generator that fuses exactly these two genres, if the bundle has one."""
        return next((fusion for fusion in self.genre_fusions if set(fusion.genres) == set(genres)), None)

    @property
    def name(self) -> str:
        """The bundle's name from its manifest."""
        return str(self.manifest["name"])

    @property
    def latent_size(self) -> int:
        """Size of the latent vector."""
        return int(self.manifest["latent_size"])

    @property
    def latent_std(self) -> np.ndarray:
        """The encoder's standard deviation per dimension, averaged over training data."""
        return np.asarray(self.manifest["latent_std"], dtype=np.float32)

    def file(self, role: str) -> Path:
        """Path of the bundle file with the given role (``encoder``, ``decoder``, ...)."""
        return self.path / self.manifest["files"][role]["path"]


def _require(condition: bool, path: Path, message: str) -> None:
    if not condition:
        raise BundleError(f"bundle {path}: {message}")


def _parse_fader(entry: dict, latent_size: int, path: Path) -> Fader:
    latent = np.asarray(entry["calibration"]["latent"], dtype=np.float64)
    value = np.asarray(entry["calibration"]["value"], dtype=np.float64)
    _require(0 <= int(entry["index"]) < latent_size, path, f"fader {entry['name']!r} index out of range")
    _require(len(latent) == len(value) >= 2, path, f"fader {entry['name']!r} calibration needs matching points")
    _require(bool(np.all(np.diff(latent) > 0) and np.all(np.diff(value) >= 0)), path,
             f"fader {entry['name']!r} calibration is not monotone")
    return Fader(entry["name"], int(entry["index"]), entry.get("unit", ""), latent, value)


def _parse_genre(entry: dict, latent_size: int, path: Path) -> Genre:
    mean = np.asarray(entry["mean"], dtype=np.float32)
    std = np.broadcast_to(np.asarray(entry["std"], dtype=np.float32), mean.shape).copy()
    _require(mean.shape == (latent_size,), path, f"genre {entry['name']!r} prior has the wrong size")
    return Genre(entry["name"], mean, std)


def _check_recursion_twin(manifest: dict, path: Path) -> None:
    """A recursion twin comes whole, and only with the encoder and decoder it was taught to copy."""
    files = manifest["files"]
    present = [role for role in ("recursion_encoder", "recursion_decoder") if role in files]
    if not present:
        return
    missing = "decoder" if "recursion_encoder" in present else "encoder"
    _require(len(present) == 2, path, f"the recursion twin lacks its {missing}")
    section = manifest.get("recursion_twin", {})
    for role in ("encoder", "decoder"):
        _require(section.get(f"{role}_sha256") == files[role]["sha256"], path,
                 f"the recursion twin copies another {role}; run `python -m training recursion-twin` and "
                 "`export-recursion-twin` again")


def _parse_genre_fusions(manifest: dict, path: Path) -> tuple[GenreFusion, ...]:
    roles = [role for role in manifest["files"] if role == "genre_fusion" or role.startswith("genre_fusion_")]
    fusions = []
    for role in roles:
        _require(isinstance(manifest.get(role), dict), path, f"manifest.json has a {role} file but no {role} section")
        section = manifest[role]
        genres = tuple(section["genres"])
        _require(len(genres) == 2 and set(genres) <= {g["name"] for g in manifest["genres"]}, path,
                 f"{role} fuses {list(genres)}, not two of the bundle's genres")
        fusions.append(GenreFusion(role, genres, int(section["noise_size"]), bool(section.get("blend_conditioned"))))
    pairs = [frozenset(f.genres) for f in fusions]
    _require(len(set(pairs)) == len(pairs), path, "two genre fusion generators fuse the same genres")
    return tuple(fusions)


def load_bundle(path: str | Path | None = None, verify: bool = True) -> Bundle:
    """Read and validate a bundle directory (the shipped default when ``path`` is None)."""
    path = Path(path) if path is not None else DEFAULT_BUNDLE
    manifest_path = path / "manifest.json"
    _require(path.is_dir(), path, "no such directory")
    _require(manifest_path.is_file(), path, "manifest.json is missing")
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise BundleError(f"bundle {path}: manifest.json is not valid JSON ({error})") from None
    _require(isinstance(manifest, dict), path, "manifest.json must hold an object")
    version = manifest.get("format_version")
    _require(version == FORMAT_VERSION, path,
             f"format version {version!r} is not supported (this engine reads version {FORMAT_VERSION})")
    for key in ("name", "tokens", "latent_size", "latent_std", "files", "faders", "genres"):
        _require(key in manifest, path, f"manifest.json lacks {key!r}")
    _require(manifest["tokens"] == token_scheme(), path,
             f"token scheme {manifest['tokens']} does not match this engine's {token_scheme()}")
    for role in REQUIRED_FILES:
        _require(role in manifest["files"], path, f"manifest.json lists no {role} file")
    for role, entry in manifest["files"].items():
        file_path = path / entry["path"]
        _require(file_path.is_file(), path, f"{role} file {entry['path']} is missing")
        if verify:
            _require(sha256_of(file_path) == entry["sha256"], path,
                     f"{role} file {entry['path']} is corrupt (sha256 does not match the manifest)")
    for role, section in INT8_TWIN_SECTIONS.items():
        if f"{role}_int8" in manifest["files"]:
            made_from = manifest.get(section, {}).get(f"{role}_sha256")
            _require(made_from == manifest["files"][role]["sha256"], path,
                     f"{role}_int8 was quantized from another {role}; run `python -m training quantize` again")
    _check_recursion_twin(manifest, path)
    latent_size = int(manifest["latent_size"])
    _require(len(manifest["latent_std"]) == latent_size, path, "latent_std has the wrong size")
    try:
        faders = tuple(_parse_fader(entry, latent_size, path) for entry in manifest["faders"])
        genres = tuple(_parse_genre(entry, latent_size, path) for entry in manifest["genres"])
        genre_fusions = _parse_genre_fusions(manifest, path)
    except (KeyError, TypeError, ValueError) as error:
        raise BundleError(f"bundle {path}: malformed fader, genre or genre fusion entry ({error})") from None
    return Bundle(path, manifest, faders, genres, genre_fusions)
