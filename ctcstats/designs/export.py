"""Write a synthetic cohort to disk with a manifest (design, seed, version, command, SHA-256)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np

from .._validation import seed_from_rng
from .registry import StudyDesign, resolve_design
from .simulate import simulate_study

__all__ = ["write_synthetic_cohort", "sha256_file"]


def sha256_file(path: str | Path) -> str:
    """Hex SHA-256 of a file's bytes."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _stem(path: Path) -> Path:
    return path.with_suffix("") if path.suffix.lower() == ".csv" else path


def write_synthetic_cohort(
    design: str | StudyDesign, *, rng: int | np.random.Generator | None, out: str | Path,
    n: int | None = None, command: str | None = None,
) -> dict:
    """Simulate *design* with seed *rng* and write the cohort CSV, its draws and a manifest.

    ``rng`` is the seed recorded in the manifest (a Generator or None gives a seed drawn from
    it, recorded the same way).

    Files: ``out`` (patients), ``<stem>.draws.csv`` (serial designs) and
    ``<stem>.manifest.json`` with ``design, citation, seed, n, ctcstats_version, command,
    files`` (name → SHA-256) and ``calibrated``. The CSVs are written with ``\\n`` line ends
    and no index, so the same design, n, seed and version give identical bytes.

    Returns
    -------
    dict
        The manifest.
    """
    from .. import __version__

    d = resolve_design(design)
    seed = seed_from_rng(rng, func="write_synthetic_cohort")
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    cohort = simulate_study(d, n=n, rng=seed)
    cohort.data.to_csv(out, index=False, lineterminator="\n")
    files = {out.name: sha256_file(out)}
    stem = _stem(out)
    if cohort.draws is not None:
        dpath = stem.with_name(stem.name + ".draws.csv")
        cohort.draws.to_csv(dpath, index=False, lineterminator="\n")
        files[dpath.name] = sha256_file(dpath)
    manifest = {
        "design": d.key,
        "citation": str(d.citation),
        "seed": seed,
        "n": int(cohort.data.shape[0]),
        "ctcstats_version": __version__,
        "command": command or (
            f"ctcstats simulate --design {d.key} --seed {seed}"
            + (f" --n {n}" if n is not None else "") + f" --out {out.as_posix()}"
        ),
        "files": files,
        "calibrated": d.is_calibrated,
    }
    mpath = stem.with_name(stem.name + ".manifest.json")
    mpath.write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return manifest
