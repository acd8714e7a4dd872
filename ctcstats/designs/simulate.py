"""Synthetic cohorts that mirror a published design.

The generative model (all numbers from the design; see ``ctcstats/designs/data/README.md``):

1. **Studies** (pooled designs): patients are split over studies in the design's (assumed)
   proportions; each study draws a logit-scale shift of the positivity prevalence and a
   log-scale shift of the baseline hazard (both normal, centred so that the expected overall
   prevalence equals the published one and the size-weighted mean hazard shift is 0).
2. **Marker counts**, as in the clinic: a patient-level tumour-cell concentration ``c`` (cells
   per mL of blood, or per 10^6 bone-marrow cells) is a true zero with probability ``π0`` and
   otherwise Gamma(shape ``k``); the count is Poisson(recovery · c · V) for the sampled volume
   (or cells examined) V. Given c > 0 the count is negative binomial, so
   P(count ≥ threshold) = (1 − π0) · P(NB ≥ threshold) is solved for the gamma scale at load
   (:func:`concentration_scale`) — positivity at the threshold *emerges* from the counts and has
   the published prevalence in expectation.
3. **Covariates** are drawn conditionally on the observed marker status, shifted in the
   published direction (binary/ordinal: log odds ratio; normal: mean shift; lognormal: log
   ratio of medians).
4. **Event processes** (times in months), each a proportional-hazards Weibull with a
   piecewise-constant multiplier: ``progression`` (distant recurrence / progression),
   ``local`` (locoregional recurrence, early designs), ``post_progression`` (time from
   progression to cancer death) and ``other_death`` (non-cancer death, exponential). The
   multiplier carries the marker effect (by count category, optionally changing at a break
   such as 5 years — Braun 2005), covariate effects (scaled by ``covariate_strength``), the
   study effect and, for serial designs, the state observed at the most recent draw.
   Endpoints are built from these so they are mutually consistent: DFS/PFS/RFS = first of
   local, progression, death; DDFS = progression (deaths without it censored); BCSS = cancer
   death (other deaths censored); OS = first death.
5. **Censoring**: uniform accrual over ``A`` months and an administrative end ``F`` months
   after the last entry, ``F = median follow-up − A/2`` so that the reverse-Kaplan–Meier
   median follow-up equals the design's; an observation window (e.g. 10 years) truncates it.
6. **Serial draws**: the log-concentration at draw j is ``log c0 − Δ·R + g·(1 − R)·t_j + σ·Z``
   with responder indicator ``R`` (probability ``serial.response_probability``); draws happen
   at uniform times inside the published windows, stop at death, censoring and (by default)
   progression, and may be missed at random. Hazards after each draw depend on the status
   observed there (and on conversion from the baseline status).

Hazard parameters that are not published (baseline rates, conditional log-HRs, shapes) are
solved by :mod:`ctcstats.designs.calibrate` so that the published analysis run on a large
synthetic cohort reproduces the published medians and hazard ratios; the solved values are
stored beside the design file in ``<key>.calibrated.toml`` and labelled ``calibrated``.
"""

from __future__ import annotations

import functools
from typing import ClassVar

import numpy as np
import pandas as pd
from scipy import optimize, special

from .._results import Result, result
from .._validation import check_int, check_rng
from .registry import StudyDesign, resolve_design
from .sections import Hazard

__all__ = [
    "SyntheticCohort",
    "simulate_cohort",
    "simulate_draws",
    "simulate_study",
    "concentration_scale",
    "category_labels",
]

_WEEKS_TO_MONTHS = 12.0 / 52.1775


@result
class SyntheticCohort(Result):
    """A simulated study (:func:`simulate_study`): ``data`` (one row per patient, as
    :func:`simulate_cohort`) and ``draws`` (serial designs, as :func:`simulate_draws`).

    ``draws`` has one row per observed blood draw with columns ``patient_id, draw,
    draw_label, draw_months, <marker>_count, blood_volume_ml, <marker>_positive``; it is
    ``None`` for designs without serial draws. ``n_obs`` is the number of patients.
    """

    _title: ClassVar[str] = "Synthetic cohort"
    _main_table: ClassVar[str] = "data"

    design: str
    data: pd.DataFrame
    draws: pd.DataFrame | None
    n_obs: int
    n_dropped: int = 0
    warnings: tuple[str, ...] = ()


# --------------------------------------------------------------------------- marker model
def _nbinom_sf(k: int, n: float, p: float) -> float:
    """P(X > k) for X ~ NB(size n, prob p), k ≥ 0, as the regularised incomplete beta
    I_{1−p}(k + 1, n) (public ``scipy.special.betainc``; equal to ``scipy.stats.nbinom.sf`` to
    a few ulp, without rv_discrete's argument handling, which dominated the simulation of
    pooled cohorts: their study prevalences are drawn, so every cohort solves the NB mean)."""
    return float(special.betainc(k + 1.0, n, 1.0 - p))


@functools.lru_cache(maxsize=4096)
def solve_nb_mean(q: float, threshold: int, shape: float) -> float:
    """Mean μ of NB(size=shape) with P(X ≥ threshold) = q (X = count given c > 0)."""

    def f(log_mu: float) -> float:
        mu = np.exp(log_mu)
        return _nbinom_sf(threshold - 1, shape, shape / (shape + mu)) - q

    # the upper end covers q = 0.999 for gamma shapes down to 0.2 (log μ ≈ 33 there)
    return float(np.exp(optimize.brentq(f, -30.0, 60.0, xtol=1e-13, rtol=1e-13)))


def concentration_scale(
    prevalence: float, *, threshold: int, zero_fraction: float, shape: float,
    exposure: float,
) -> float:
    """Gamma scale of the concentration so that P(count ≥ threshold) = *prevalence*.

    ``exposure`` is recovery × volume (mL) or recovery × cells examined / 10^6. With
    concentration 0 with probability ``zero_fraction`` and Gamma(shape, scale) otherwise, and
    count ~ Poisson(exposure · c), P(count ≥ t) = (1 − π0) · NB.sf(t − 1; shape, mean), with
    NB mean = exposure · shape · scale; solved by Brent's method (closed-form NB tail).
    """
    q = prevalence / (1.0 - zero_fraction)
    mu = solve_nb_mean(float(q), int(threshold), float(shape))
    return mu / (shape * exposure)


def category_labels(categories) -> list[str]:
    """Labels of count categories from their lower bounds: [0, 1, 2, 3, 5] →
    ``['0', '1', '2', '3-4', '>=5']``."""
    out = []
    for i, lo in enumerate(categories):
        if i == len(categories) - 1:
            out.append(f">={lo}")
        elif categories[i + 1] - lo == 1:
            out.append(str(lo))
        else:
            out.append(f"{lo}-{categories[i + 1] - 1}")
    return out


def marker_exposure(d: StudyDesign) -> float:
    r = float(d.marker.recovery.value)
    if d.marker_kind == "CTC":
        return r * sample_volume(d)
    return r * sample_volume(d) / 1e6


def sample_volume(d: StudyDesign) -> float:
    """Blood volume (mL, CTC designs) or cells examined (DTC designs)."""
    v = d.marker.volume_ml if d.marker_kind == "CTC" else d.marker.cells_examined
    assert v is not None, "the design schema requires it for the marker kind"
    return float(v.value)


def scale_study_sizes(sizes, n: int) -> np.ndarray:
    """Largest-remainder scaling of study sizes to total *n* (each study ≥ 0)."""
    w = np.asarray(sizes, dtype=float)
    raw = w / w.sum() * n
    out = np.floor(raw).astype(int)
    rest = n - out.sum()
    order = np.argsort(-(raw - out), kind="stable")
    out[order[:rest]] += 1
    return out


# --------------------------------------------------------------------------- hazards
def _invert(e, rate, shape, breaks, logm):
    """Event times for cumulative hazard rate·Σ m_s[(min(t,b_{s+1}))^k − b_s^k].

    e : (n,) unit-exponential draws; rate : (n,); breaks : (n, K) increasing break times
    (np.inf padding allowed); logm : (n, K+1) log multipliers per segment.
    """
    n = e.shape[0]
    b = np.concatenate([np.zeros((n, 1)), breaks, np.full((n, 1), np.inf)], axis=1)
    bk = b**shape
    m = np.exp(logm) * rate[:, None]
    seg = np.where(np.isinf(bk[:, 1:]), np.inf, m * (bk[:, 1:] - bk[:, :-1]))
    seg = np.nan_to_num(seg, nan=0.0, posinf=np.inf)
    cum = np.concatenate([np.zeros((n, 1)), np.cumsum(seg, axis=1)], axis=1)
    s = np.sum(cum[:, 1:] <= e[:, None], axis=1)  # index of the segment holding e
    rows = np.arange(n)
    t = (bk[rows, s] + (e - cum[rows, s]) / m[rows, s]) ** (1.0 / shape)
    return t


def covariate_centre(c) -> float:
    if c.kind == "binary":
        return float(c.negative.value)
    if c.kind == "ordinal":
        lv = np.asarray(c.levels, dtype=float)
        return float(np.dot(lv, c.negative.value))
    if c.kind == "normal":
        return float(c.negative.value)
    return float(c.negative.value * np.exp(c.sd.value**2 / 2))


def _draw_covariates(d: StudyDesign, u: np.ndarray, g: np.random.Generator) -> dict:
    n = u.shape[0]
    # one draw of n per covariate, in the design's order: uniforms for binary and ordinal
    # covariates, standard normals for (log)normal ones
    raw = [g.random(n) if c.kind in ("binary", "ordinal") else g.standard_normal(n)
           for c in d.covariates]
    return draw_covariates_from(d, u, raw)


def draw_covariates_from(d: StudyDesign, u: np.ndarray, raw: list) -> dict:
    """Covariates given the marker status ``u`` and their raw draws (``_draw_covariates``;
    elementwise, so the chunked simulator applies it to many cohorts at once)."""
    out = {}
    # the marker status is 0/1, so the probabilities of the binary and ordinal covariates
    # take two values each: computed for u = 0 and u = 1 (the same operations) and indexed
    u01 = np.array([0, 1], dtype=u.dtype)
    binary_u = u.dtype.kind in "iub" and bool(np.all((u == 0) | (u == 1)))
    for c, r in zip(d.covariates, raw, strict=True):
        if c.kind in ("binary", "ordinal") and binary_u:
            sh = float(c.shift.value) * u01
        else:
            sh = float(c.shift.value) * u
        if c.kind == "binary":
            p = special.expit(special.logit(c.negative.value) + sh)
            out[c.name] = (r < (p[u] if binary_u else p)).astype(np.int64)
        elif c.kind == "ordinal":
            probs = np.asarray(c.negative.value, dtype=float)
            surv = 1.0 - np.cumsum(probs)[:-1]  # P(X > level l) among negatives
            cum = special.expit(special.logit(surv)[None, :] + sh[:, None])
            uu = np.asarray(r)
            if binary_u:  # the level: the number of the two rows' thresholds above uu
                idx = np.zeros(uu.shape[0], dtype=np.intp)
                for j in range(cum.shape[1]):
                    idx += uu < cum[:, j][u]
            else:
                idx = np.sum(uu[:, None] < cum, axis=1)
            out[c.name] = np.asarray(c.levels)[idx]
        else:
            sh = float(c.shift.value) * u
            z = r
            assert c.sd is not None, "the design schema requires sd for (log)normal covariates"
            if c.kind == "normal":
                x = c.negative.value + sh + c.sd.value * z
            else:
                x = np.exp(np.log(c.negative.value) + sh + c.sd.value * z)
            lo = -np.inf if c.low is None else c.low
            hi = np.inf if c.high is None else c.high
            x = np.round(np.clip(x, lo, hi), c.decimals)
            out[c.name] = x.astype(np.int64) if c.decimals == 0 else x
    return out


def _linear_predictor(d: StudyDesign, covs: dict, proc: str, n: int) -> np.ndarray:
    eta = np.zeros(n)
    strength = 1.0 if proc == "other_death" else d.model.covariate_scale
    for c in d.covariates:
        v = c.log_hr.get(proc)
        if v is not None:
            eta += strength * v.value * (covs[c.name] - covariate_centre(c))
    return eta


def marker_log_multiplier(h: Hazard, cat: np.ndarray, late: bool) -> np.ndarray:
    vals = h.marker_log_hr_late if late and h.marker_log_hr_late else h.marker_log_hr
    coefs = np.array([0.0] + [v.value for v in vals])
    return coefs[cat]


# --------------------------------------------------------------------------- the simulator
def simulate_tables(d: StudyDesign, n: int, g: np.random.Generator):
    """(patients DataFrame, draws DataFrame or None) of one cohort — the tables of
    :func:`simulate_cohort` without its parameter checks (package-internal: calibration and
    replication call it thousands of times)."""
    cols, draws = simulate_columns(d, n, g)
    return pd.DataFrame(cols), draws


def simulate_columns(d: StudyDesign, n: int, g: np.random.Generator):
    """The patient table as a dict of column arrays (the same values, in the same column
    order, as :func:`simulate_cohort`'s frame for the same generator) and the draws frame
    (serial designs) or None. Power simulation uses the arrays directly: building a
    DataFrame per cohort costs as much as simulating it."""
    pre = d.marker_prefix
    thr = d.threshold
    cats = np.asarray(d.marker.categories)
    pi0 = float(d.marker.zero_fraction.value)
    kshape = float(d.marker.gamma_shape.value)
    model = d.model
    expo = marker_exposure(d)
    prev = d.prevalence

    # 1. studies
    bh: np.ndarray
    prev_s: np.ndarray
    if d.pooled:
        pooling = d.pooling
        assert pooling is not None, "pooled designs have a [pooling] section"
        sizes = scale_study_sizes(pooling.study_sizes.value, n)
        n_st = sizes.shape[0]
        study = np.repeat(np.arange(n_st), sizes)
        a = g.normal(0.0, pooling.prevalence_logit_sd.value, n_st)
        bh = g.normal(0.0, pooling.baseline_log_hazard_sd.value, n_st)
        w = sizes / sizes.sum()
        bh = bh - np.dot(w, bh)
        shift = optimize.brentq(
            lambda s: np.dot(w, special.expit(special.logit(prev) + a + s)) - prev, -10, 10
        )
        prev_s = special.expit(special.logit(prev) + a + shift)
        # a study's prevalence cannot reach 1 − π0 (every patient with cells positive);
        # capping at (1 − π0)·0.999 keeps the NB tail equation solvable and the Poisson
        # means finite (a rare extreme draw of the study effect; see test_simulate)
        cap = (1 - pi0) * 0.999
        prev_s = np.minimum(prev_s, cap)
    else:
        study = np.zeros(n, dtype=int)
        bh = np.zeros(1)
        prev_s = np.array([prev])
    scale_s = np.array(
        [concentration_scale(p, threshold=thr, zero_fraction=pi0, shape=kshape,
                             exposure=expo) for p in prev_s]
    )

    # 2. counts
    nonzero = g.random(n) >= pi0
    conc = np.where(nonzero, g.gamma(kshape, 1.0, n) * scale_s[study], 0.0)
    count = g.poisson(expo * conc)
    u = (count >= thr).astype(np.int64)
    cat = np.searchsorted(cats, count, side="right") - 1

    # 3. covariates
    covs = _draw_covariates(d, u, g)

    # 4. serial draws (states drive the hazards after each draw)
    e_prog, e_local, e_post, e_other = (g.standard_exponential(n) for _ in range(4))
    acc_u = g.random(n)
    serial = d.serial
    traj = model.serial
    if serial is not None:
        assert traj is not None  # the parser requires [model.serial] with [serial]
        nd = len(serial.windows)
        lo = np.array([w[0] for w in serial.windows]) * _WEEKS_TO_MONTHS
        hi = np.array([w[1] for w in serial.windows]) * _WEEKS_TO_MONTHS
        t_draw = lo[None, :] + (hi - lo)[None, :] * g.random((n, nd))
        resp = g.random(n) < traj.response_probability.value
        z = g.standard_normal((n, nd))
        miss_u = g.random((n, nd))
        delta = (
            -traj.response_log_drop.value * resp[:, None]
            + traj.growth_per_month.value * (~resp)[:, None] * t_draw
            + traj.noise_sd.value * z
        )
        delta[:, 0] = 0.0
        cj = conc[:, None] * np.exp(delta)
        counts = g.poisson(expo * cj)
        counts[:, 0] = count
        scheduled = np.ones((n, nd), dtype=bool)
        if serial.follow_up_only_if_positive:
            scheduled[:, 1:] = (u == 1)[:, None]
        missing = miss_u < traj.missing_probability.value
        missing[:, 0] = False
        states = (counts >= thr).astype(np.int64)
        # carry the last scheduled state forward where no draw is scheduled
        for j in range(1, nd):
            states[:, j] = np.where(scheduled[:, j], states[:, j], states[:, j - 1])
        breaks = t_draw[:, 1:]
    else:
        breaks = np.empty((n, 0))

    def logm_process(h: Hazard) -> tuple[np.ndarray, np.ndarray]:
        if serial is not None:
            sl = np.array([v.value for v in h.state_log_hr])
            conv = h.number("conversion_log_hr")
            rev = h.number("reversion_log_hr")
            lm = (sl[None, :] * states + conv * ((u[:, None] == 1) & (states == 0))
                  + rev * ((u[:, None] == 0) & (states == 1)))
            return breaks, lm
        brk = h.break_months
        if brk is None:
            return np.empty((n, 0)), marker_log_multiplier(h, cat, False)[:, None]
        late_rr = np.log(h.number("late_rate_ratio"))
        lm = np.column_stack([marker_log_multiplier(h, cat, False), marker_log_multiplier(h, cat, True) + late_rr])
        return np.full((n, 1), float(brk.value)), lm

    # 5. event processes
    study_eff = bh[study]
    prog, post = model.progression, model.post_progression
    brk, lm = logm_process(prog)
    rate = prog.rate.value * np.exp(_linear_predictor(d, covs, "progression", n) + study_eff)
    t_prog = _invert(e_prog, rate, prog.number("shape"), brk, lm)
    if model.local is not None:
        brk, lm = logm_process(model.local)
        rate = model.local.rate.value * np.exp(
            _linear_predictor(d, covs, "local", n) + study_eff)
        t_local = _invert(e_local, rate, model.local.number("shape"), brk, lm)
    else:
        t_local = np.full(n, np.inf)
    # post-progression: multiplier fixed at the marker state known at progression
    if serial is not None:
        _, lm = logm_process(post)
        last = np.sum(t_draw[:, 1:] < t_prog[:, None], axis=1)
        lm_post = lm[np.arange(n), last]
    else:
        lm_post = marker_log_multiplier(post, cat, False)
    if post.arm_log_hr is not None and serial is not None:
        arm_u = g.random(n)
    else:
        arm_u = None
    rate_post = post.rate.value * np.exp(
        _linear_predictor(d, covs, "post_progression", n) + study_eff + lm_post)
    k_post = post.number("shape")
    t_cancer_death = t_prog + (e_post / rate_post) ** (1.0 / k_post)
    rate_o = model.other_death.rate.value * np.exp(
        _linear_predictor(d, covs, "other_death", n))
    t_other = e_other / rate_o

    # 6. censoring
    acc = float(d.follow_up.median_months.value)
    a_len = float(d.follow_up.accrual_months.value)
    cens = (acc - a_len / 2.0) + a_len * acc_u
    if d.follow_up.window_months is not None:
        cens = np.minimum(cens, float(d.follow_up.window_months.value))

    def rnd(t):
        return np.maximum(np.round(t, 2), 0.01)

    # which scheduled draws are observed: none after death, censoring or (by default)
    # progression, none missed at random; the recorded draw date is strictly before the
    # (rounded) end of follow-up
    if serial is not None:
        stop = np.minimum(cens, np.minimum(t_cancer_death, t_other))
        if serial.stop_at_progression:
            stop = np.minimum(stop, t_prog)
        t_draw_rec = np.round(t_draw, 2)
        obs = scheduled & ~missing & (t_draw_rec < rnd(stop)[:, None])
        obs[:, 0] = True

    # arms (SWOG S0500 scheme): A baseline-negative; among the baseline-positive patients
    # *retested* at day 21, B (day-21 negative) and C (still positive; randomised C1/C2).
    # A baseline-positive patient without an observed day-21 draw — missed, or progressed,
    # died or censored before day 21 — is "not retested" (as the 31 of 319 in S0500) and is
    # never assigned by a day-21 status nobody measured.
    arm = None
    if serial is not None and serial.follow_up_only_if_positive:
        arm = np.where(u == 0, "A", np.where(states[:, 1] == 0, "B", "C")).astype(object)
        arm[(u == 1) & ~obs[:, 1]] = "not retested"
        if arm_u is not None:
            c2 = (arm == "C") & (arm_u >= 0.5)
            arm[(arm == "C") & ~c2] = "C1"
            arm[c2] = "C2"
            # the switch (C2) changes post-progression survival by arm_log_hr
            extra = np.where(c2, post.number("arm_log_hr"), 0.0)
            t_cancer_death = t_prog + (e_post / (rate_post * np.exp(extra))) ** (1.0 / k_post)

    t_death = np.minimum(t_cancer_death, t_other)

    # 7. assemble
    cols: dict[str, np.ndarray] = {"patient_id": np.arange(1, n + 1)}
    if d.pooled:
        cols["study"] = np.array([f"S{s + 1:02d}" for s in range(len(sizes))],
                                 dtype=object)[study]
    for c in d.covariates:
        cols[c.name] = covs[c.name]
    cols[f"{pre}_count"] = count.astype(np.int64)
    if d.marker_kind == "CTC":
        cols["blood_volume_ml"] = np.full(n, sample_volume(d))
    else:
        cols["cells_examined"] = np.full(n, int(sample_volume(d)),
                                         dtype=np.int64)
    cols[f"{pre}_positive"] = u
    if len(cats) > 2:
        cols[f"{pre}_category"] = np.asarray(category_labels(cats), dtype=object)[cat]
    if arm is not None:
        cols["arm"] = arm

    for ep in d.endpoints:
        if ep.kind == "event_free":
            tt = np.minimum(np.minimum(t_local, t_prog), t_death)
            ev = tt <= cens
        elif ep.kind == "distant":
            tt = np.minimum(t_prog, t_death)
            ev = (t_prog < t_death) & (t_prog <= cens)
        elif ep.kind == "disease_specific":
            tt = t_death
            ev = (t_cancer_death <= t_other) & (t_death <= cens)
        else:
            tt = t_death
            ev = t_death <= cens
        cols[f"{ep.name}_months"] = rnd(np.minimum(tt, cens))
        cols[f"{ep.name}_event"] = ev.astype(np.int64)

    draws = None
    if serial is not None:
        t_draw = t_draw_rec
        pid, jd = np.nonzero(obs)
        draws = pd.DataFrame(
            {
                "patient_id": pid + 1,
                "draw": jd.astype(np.int64),
                "draw_label": np.asarray(serial.labels, dtype=object)[jd],
                "draw_months": t_draw[pid, jd],
                f"{pre}_count": counts[pid, jd].astype(np.int64),
                "blood_volume_ml": np.full(pid.shape[0], sample_volume(d)),
                f"{pre}_positive": (counts[pid, jd] >= thr).astype(np.int64),
            }
        )
        if d.marker_kind != "CTC":
            draws = draws.rename(columns={"blood_volume_ml": "cells_examined"})
    return cols, draws


def _simulate_design(design, n, rng, func: str):
    d = resolve_design(design)
    if n is None:
        n = int(d.n.value)
    n = check_int(n, name="n", func=func, minimum=1)
    patients, draws = simulate_tables(d, n, check_rng(rng))
    return d, patients, draws


def simulate_cohort(
    design: str | StudyDesign,
    *,
    n: int | None = None,
    rng: int | np.random.Generator | None = None,
) -> pd.DataFrame:
    """Simulate a synthetic cohort that mirrors a published design (one row per patient).

    The serial draws of the same cohort come from :func:`simulate_draws` (same design, ``n``
    and ``rng``) or, together with the patient table, from :func:`simulate_study`.

    Parameters
    ----------
    design : str or StudyDesign
        A registry key (``"braun2005"``; see :func:`list_designs`) or a design object.
    n : int, optional
        Number of patients; default the published size.
    rng : int, numpy Generator or None
        Seed or generator. The same design, ``n`` and seed give an identical frame.

    Returns
    -------
    DataFrame
        One row per patient: ``patient_id``; ``study`` (pooled designs); the design's
        covariates (e.g. ``age``, ``tumor_size_cm``, ``node_positive``, ``grade``,
        ``hr_positive``, ``her2_positive``, ``line_of_therapy``); the marker
        (``ctc_count`` + ``blood_volume_ml`` or ``dtc_count`` + ``cells_examined``) and
        ``ctc_positive``/``dtc_positive`` (count ≥ threshold, 0/1); ``ctc_category`` /
        ``dtc_category`` when the design uses count categories; ``arm`` (SWOG S0500); and for
        each endpoint ``<endpoint>_months`` (float, 2 decimals) and ``<endpoint>_event``
        (0/1).

    Notes
    -----
    The generative model and its calibration are described in the module docstring of
    :mod:`ctcstats.designs.simulate` and in ``ctcstats/designs/data/README.md``.

    Examples
    --------
    >>> import ctcstats as cs
    >>> df = cs.simulate_cohort("braun2005", rng=1)
    >>> df.shape[0]
    4703
    """
    return _simulate_design(design, n, rng, "simulate_cohort")[1]


def simulate_draws(
    design: str | StudyDesign,
    *,
    n: int | None = None,
    rng: int | np.random.Generator | None = None,
) -> pd.DataFrame:
    """The long table of serial draws of the cohort :func:`simulate_cohort` gives for the
    same design, ``n`` and ``rng`` (the ``patient_id`` values match).

    Returns
    -------
    DataFrame
        One row per observed draw: ``patient_id, draw, draw_label, draw_months, ctc_count,
        blood_volume_ml, ctc_positive`` (``dtc_count, cells_examined, dtc_positive`` for DTC
        designs); no draw falls after the patient's death, censoring or (by default)
        progression.

    Raises
    ------
    DataValidationError
        The design has no serial draws.

    Examples
    --------
    >>> import ctcstats as cs
    >>> cs.simulate_draws("smerage2014", rng=3).columns[:3].tolist()
    ['patient_id', 'draw', 'draw_label']
    """
    from ..errors import DataValidationError

    d = resolve_design(design)
    if d.serial is None:
        raise DataValidationError(
            f"design {d.key!r} has no serial draws; designs with draws: hayes2006, "
            "cristofanilli2004, cohen2008, debono2008, smerage2014. Use simulate_cohort for "
            "the patient table."
        )
    return _simulate_design(d, n, rng, "simulate_draws")[2]


def simulate_study(
    design: str | StudyDesign,
    *,
    n: int | None = None,
    rng: int | np.random.Generator | None = None,
) -> SyntheticCohort:
    """The patient table and, for serial designs, the draws of one simulated cohort.

    ``.data`` equals :func:`simulate_cohort` and ``.draws`` :func:`simulate_draws` for the
    same design, ``n`` and ``rng`` (``None`` for designs without serial draws), simulated once.

    Examples
    --------
    >>> import ctcstats as cs
    >>> sc = cs.simulate_study("hayes2006", rng=1)
    >>> sorted(sc.draws["draw"].unique().tolist())[:2]
    [0, 1]
    >>> bool(sc.draws["patient_id"].isin(sc.data["patient_id"]).all())
    True
    """
    d, patients, draws = _simulate_design(design, n, rng, "simulate_study")
    return SyntheticCohort(design=d.key, data=patients, draws=draws,
                           n_obs=int(patients.shape[0]))
