"""The analysis arrays of a chunk of power replicates, from the chunked simulator.

:func:`ctcstats.designs.power.simulate_power` fits each replicate's analysis (marker group
first, then the adjustment covariates; strata codes; the prevalence of the analysed group)
in the batch engine. For baseline analyses of designs without serial draws this module
builds those arrays for a whole chunk of replicates at once from
:func:`~ctcstats.designs.simulate_chunk.iter_chunk`, with the same operations on the same
values as the one-replicate path (``power._one_replicate``: the cohort's columns, its
analysis frame and design matrix) — so every replicate's arrays, and hence its fit, equal
that path's exactly (tested). Other analyses (landmark analyses from serial draws, arms,
simulator functions) keep the one-replicate path.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from .simulate import category_labels
from .simulate_chunk import ChunkCohorts, iter_chunk, supports_chunk

__all__ = ["chunk_fit_inputs", "chunk_replicates", "chunk_supported"]


def chunk_supported(design: Any, a: Any) -> bool:
    """Whether the chunked path builds this design's and analysis' replicates."""
    if callable(design) and not hasattr(design, "results"):
        return False
    if not supports_chunk(design) or a.time_origin != "baseline":
        return False
    if a.grouping not in ("marker", "category"):
        return False
    names = {c.name for c in design.covariates}
    if any(c not in names for c in a.covariates):
        return False
    return a.strata is None or a.strata in names or (a.strata == "study" and design.pooled)


def chunk_replicates(design: Any, a: Any, n: int,
                     seeds: Sequence[np.random.SeedSequence]) -> list[tuple]:
    """``[power._one_replicate(design, a, n, s) for s in seeds]``: per replicate
    ``(time, event, X with the marker first, strata codes or None, prevalence)``."""
    return _split(chunk_fit_inputs(design, a, n, seeds))


def chunk_fit_inputs(design: Any, a: Any, n: int,
                     seeds: Sequence[np.random.SeedSequence]) -> tuple:
    """The replicates of :func:`chunk_replicates` as the batch engine takes them:
    ``(time, event, X, strata, prevalence)``. When every replicate analyses all its n rows
    (no window or group subset drops one: the published analyses), arrays ``(R, n)`` and
    ``X`` ``(R, n, p)`` — views of the simulated blocks, no per-replicate copies; otherwise
    lists of per-replicate arrays. Same values either way; ``prevalence`` is an array (R,)."""
    blocks = [_block_replicates(design, a, ch)
              for ch in iter_chunk(design, n, seeds, endpoints=[a.endpoint])]
    if all(isinstance(b, tuple) for b in blocks):  # every row kept: stack the blocks
        parts = list(zip(*blocks, strict=True))
        s = None if parts[3][0] is None else np.concatenate(parts[3])
        return (*(np.concatenate(p) for p in parts[:3]), s, np.concatenate(parts[4]))
    reps: list[tuple] = []
    for b in blocks:
        reps.extend(_split(b) if isinstance(b, tuple) else b)
    strata = None if reps[0][3] is None else [r[3] for r in reps]
    return ([r[0] for r in reps], [r[1] for r in reps], [r[2] for r in reps], strata,
            np.array([r[4] for r in reps]))


def _split(inputs: tuple) -> list[tuple]:
    """Per-replicate tuples of ``(time, event, X, strata, prevalence)`` (arrays or lists)."""
    t, e, X, s, prev = inputs
    return [(t[r], e[r], X[r], None if s is None else s[r], float(prev[r]))
            for r in range(len(t))]


def analysis_window(t: np.ndarray, ev: np.ndarray, window) -> tuple:
    """The analysis's time origin and window: ``(t, ev, keep)`` with ``keep`` the analysable
    rows (t > 0, and t > the window's start), times from the window's start and follow-up
    cut at its end (events after it censored). Shared by the one-cohort and chunked paths."""
    keep = t > 0
    if window is not None:
        lo, hi = window
        keep &= t > lo
        t = t - lo
        if np.isfinite(hi):
            ev = np.where(t <= hi - lo, ev, 0)
            t = np.minimum(t, hi - lo)
    return t, ev, keep


def _block_replicates(d: Any, a: Any, ch: ChunkCohorts) -> tuple | list[tuple]:
    """A block's replicates: ``(time (R, n), event, X (R, n, p), strata (R, n) or None,
    prevalence (R,))`` when every row is analysed, else one tuple per replicate."""
    n = ch.n
    months, ev = ch.endpoint(a.endpoint)
    # the analysis frame (power._fast_frame): analysable times, the window
    t, ev, keep = analysis_window(months, ev, a.window)
    # the groups (power._arrays) as codes into their labels
    if a.grouping == "marker":
        labels = ["negative", "positive"]
        code = ch.positive
        levels: list[str] = []
    else:
        labels = category_labels(d.marker.categories)
        code = ch.category
        levels = labels
    groups = a.group.split("+")
    is_g = np.array([lab in groups for lab in labels])[code]
    if not levels and a.reference is not None:
        refs = a.reference.split("+")
        keep &= np.array([lab in refs or lab in groups for lab in labels])[code]
    cols = [is_g.astype(float)]
    cols += [(code == labels.index(lev)).astype(float) for lev in levels
             if lev not in groups and lev != a.reference]
    cols += [np.asarray(ch.covariates[c], dtype=float) for c in a.covariates]
    X = np.column_stack(cols)
    strata_rank = None
    if a.strata == "study" and d.pooled:
        # pd.factorize(sort=True) of the study labels S01, S02, …: ranks of the sorted labels
        lab = np.array([f"S{s + 1:02d}" for s in range(ch.n_studies)], dtype=object)
        rank = np.empty(ch.n_studies, dtype=np.int64)
        rank[np.argsort(lab, kind="stable")] = np.arange(ch.n_studies)
        strata_rank = rank[ch.study]
    elif a.strata is not None:
        strata_col = ch.covariates[a.strata]
    ev_b = ev.astype(bool)
    R = ch.n_cohorts
    if keep.all():  # every row analysed: the block's rows as they are (same values)
        s2 = None
        if strata_rank is not None:  # per replicate, the codes of its studies present
            rk2 = strata_rank.reshape(R, n)
            S = ch.n_studies
            present = np.bincount((rk2 + S * np.arange(R)[:, None]).ravel(),
                                  minlength=R * S).reshape(R, S) > 0
            s2 = np.take_along_axis(np.cumsum(present, axis=1) - 1, rk2, axis=1)
        elif a.strata is not None:
            s2 = np.stack([pd.factorize(strata_col[r * n:(r + 1) * n], sort=True)[0]
                           for r in range(R)])
        # the mean of 0/1 values is exact: equal to each replicate's own mean
        return (t.reshape(R, n), ev_b.reshape(R, n), X.reshape(R, n, X.shape[1]), s2,
                is_g.reshape(R, n).mean(axis=1))
    out = []
    for r in range(R):
        sl = slice(r * n, (r + 1) * n)
        k = keep[sl]
        s = None
        if strata_rank is not None:
            rk = strata_rank[sl][k]
            present = np.bincount(rk, minlength=ch.n_studies) > 0
            s = (np.cumsum(present) - 1)[rk]
        elif a.strata is not None:
            s = pd.factorize(strata_col[sl][k], sort=True)[0]
        g = is_g[sl][k]
        prev = float(g.mean()) if k.any() else np.nan
        out.append((t[sl][k], ev_b[sl][k], X[sl][k], s, prev))
    return out
