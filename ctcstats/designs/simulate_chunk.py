"""Many cohorts of one design at once: the chunked simulator behind :func:`simulate_power`.

:func:`ctcstats.designs.simulate.simulate_columns` simulates one cohort with numpy calls on
arrays of n patients; at n of a few thousand the fixed cost of each of its ~150 array
operations and of the per-study root finding is most of its time. This module simulates a
*chunk* of R cohorts (one random generator per cohort, as the power simulation spawns them)
and solves the per-cohort equations together:

1. every cohort draws its random numbers **from its own generator, in the same order and
   with the same calls** as :func:`~ctcstats.designs.simulate.simulate_columns` (the study
   effects, the positivity uniforms and gamma concentrations, then — once the concentration
   scales are known — the Poisson counts, the covariate draws, the event-process
   exponentials and the accrual uniforms);
2. the negative-binomial tail equations of all studies of all cohorts (one per study,
   because pooled designs draw each study's prevalence) are solved in one vectorised
   Brent iteration (:func:`solve_nb_means`), which takes the same steps as
   ``scipy.optimize.brentq`` on the same function, so it returns the same roots bit for bit
   (tested against the scalar solver);
3. everything else — covariates given the marker, linear predictors, the piecewise Weibull
   inversions, censoring and the endpoints — is elementwise, and runs once on the
   concatenated R × n patients with the very helpers the single-cohort simulator uses.

So cohort r of :func:`simulate_chunk_columns` equals ``simulate_columns(design, n,
default_rng(seeds[r]))`` exactly (tested for every design without serial draws, pooled and
not), and ``simulate_power`` gives the same replicates as before. Designs with serial
draws (whose draw schedule is per patient) are simulated one cohort at a time.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np
from scipy import special

from .registry import StudyDesign
from .simulate import (
    category_labels,
    covariate_centre,
    draw_covariates_from,
    marker_exposure,
    marker_log_multiplier,
    sample_volume,
    scale_study_sizes,
)

__all__ = ["ChunkCohorts", "iter_chunk", "simulate_chunk", "simulate_chunk_columns", "solve_nb_means",
           "supports_chunk"]


# --------------------------------------------------------------------------- Brent, vectorised
def _brent_vectorised(f, xa: float, xb: float, *, xtol: float, rtol: float,
                      maxiter: int = 100, size: int) -> np.ndarray:
    """Roots of ``size`` scalar equations f_i(x) = 0, all bracketed by [xa, xb].

    ``f(x, idx)`` evaluates the equations ``idx`` at ``x`` (arrays of equal length).
    Brent's method (Brent 1973, ch. 4: inverse quadratic / secant steps safeguarded by
    bisection) with exactly the arithmetic, tests and tolerances of
    ``scipy.optimize.brentq``, applied to every equation at once: each equation takes the
    same iterates as a scalar call would, so the roots are equal bit for bit. Equations that
    converge drop out of the iteration. Raises ``ValueError`` as brentq does when a bracket
    does not change sign.
    """
    idx_all = np.arange(size)
    xpre = np.full(size, float(xa))
    xcur = np.full(size, float(xb))
    fpre = f(xpre, idx_all)
    fcur = f(xcur, idx_all)
    if np.any(np.isnan(fpre)) or np.any(np.isnan(fcur)):
        raise ValueError("The function value at x is NaN")
    if np.any(fpre * fcur > 0):
        raise ValueError("f(a) and f(b) must have different signs")
    root = np.full(size, np.nan)
    done = (fpre == 0) | (fcur == 0)
    root[fpre == 0] = xpre[fpre == 0]
    root[(fcur == 0) & (fpre != 0)] = xcur[(fcur == 0) & (fpre != 0)]
    xblk = np.zeros(size)
    fblk = np.zeros(size)
    spre = np.zeros(size)
    scur = np.zeros(size)
    act = np.flatnonzero(~done)
    with np.errstate(all="ignore"):  # both branches of np.where are evaluated
        for _ in range(maxiter):
            if act.size == 0:
                break
            xp, xc, fp, fc = xpre[act], xcur[act], fpre[act], fcur[act]
            xk, fk, sp, sc = xblk[act], fblk[act], spre[act], scur[act]
            # a sign change between the last two iterates: the bracket moves
            ch = fp * fc < 0
            xk = np.where(ch, xp, xk)
            fk = np.where(ch, fp, fk)
            sp = np.where(ch, xc - xp, sp)
            sc = np.where(ch, xc - xp, sc)
            # keep the best estimate in xc (swap with the bracket end)
            sw = np.abs(fk) < np.abs(fc)
            xp, xc, xk = np.where(sw, xc, xp), np.where(sw, xk, xc), np.where(sw, xc, xk)
            fp, fc, fk = np.where(sw, fc, fp), np.where(sw, fk, fc), np.where(sw, fc, fk)
            delta = (xtol + rtol * np.abs(xc)) / 2
            sbis = (xk - xc) / 2
            conv = (fc == 0) | (np.abs(sbis) < delta)
            # interpolation (secant when the bracket end is the previous point, inverse
            # quadratic otherwise), accepted only for a short enough step
            interp = -fc * (xc - xp) / (fc - fp)
            dpre = (fp - fc) / (xp - xc)
            dblk = (fk - fc) / (xk - xc)
            extrap = -fc * (fk * dblk - fp * dpre) / (dblk * dpre * (fk - fp))
            stry = np.where(xp == xk, interp, extrap)
            try_step = (np.abs(sp) > delta) & (np.abs(fc) < np.abs(fp))
            good = try_step & (2 * np.abs(stry) < np.minimum(np.abs(sp), 3 * np.abs(sbis)
                                                             - delta))
            sp_new = np.where(good, sc, sbis)
            sc_new = np.where(good, stry, sbis)
            step = np.where(np.abs(sc_new) > delta, sc_new, np.where(sbis > 0, delta, -delta))
            xn = xc + step
            # converged equations return the current estimate and leave the iteration
            root[act[conv]] = xc[conv]
            keep = ~conv
            a2 = act[keep]
            xpre[a2], fpre[a2] = xc[keep], fc[keep]
            xcur[a2] = xn[keep]
            xblk[a2], fblk[a2] = xk[keep], fk[keep]
            spre[a2], scur[a2] = sp_new[keep], sc_new[keep]
            act = a2
            if act.size:
                fv = f(xcur[act], act)
                if np.any(np.isnan(fv)):
                    raise ValueError("The function value at x is NaN")
                fcur[act] = fv
    if act.size:  # brentq raises RuntimeError after maxiter without convergence
        raise RuntimeError(f"Failed to converge after {maxiter} iterations")
    return root


def solve_nb_means(q: np.ndarray, threshold: int, shape: float) -> np.ndarray:
    """Means μ of NB(size=shape) with P(X ≥ threshold) = q, for every q at once.

    Elementwise equal (bit for bit, tested) to the scalar solver of
    :func:`~ctcstats.designs.simulate.concentration_scale`: the same equation in log μ, the
    same bracket [−30, 60] and tolerances, solved by :func:`_brent_vectorised`.
    """
    q = np.asarray(q, dtype=float).ravel()
    k1 = threshold - 1 + 1.0
    sh = float(shape)

    def f(log_mu: np.ndarray, idx: np.ndarray) -> np.ndarray:
        mu = np.exp(log_mu)
        return special.betainc(k1, sh, 1.0 - sh / (sh + mu)) - q[idx]

    root = _brent_vectorised(f, -30.0, 60.0, xtol=1e-13, rtol=1e-13, size=q.shape[0])
    return np.exp(root)


# --------------------------------------------------------------------------- the chunk
def supports_chunk(d: StudyDesign) -> bool:
    """Whether :func:`simulate_chunk` handles the design (designs without serial draws)."""
    return d.serial is None


@dataclass(frozen=True)
class ChunkCohorts:
    """The patient-level quantities of R cohorts of n patients, concatenated cohort after
    cohort (length R · n): marker, covariates and the latent event times before rounding.

    Package-internal (the power simulation and :func:`simulate_chunk_columns` read it).
    """

    design: StudyDesign
    n_cohorts: int
    n: int
    study: np.ndarray          # study index within its cohort (0 for single-study designs)
    n_studies: int
    count: np.ndarray
    positive: np.ndarray       # int64 0/1
    category: np.ndarray       # index into design.marker.categories
    covariates: dict
    t_local: np.ndarray | None   # None when no requested endpoint needs it
    t_prog: np.ndarray
    t_cancer_death: np.ndarray
    t_other: np.ndarray
    cens: np.ndarray

    def endpoint(self, name: str) -> tuple[np.ndarray, np.ndarray]:
        """(``<name>_months``, ``<name>_event``) of every patient, as ``simulate_columns``."""
        ep = next((e for e in self.design.endpoints if e.name == name), None)
        if ep is None:
            raise KeyError(name)
        t_death = np.minimum(self.t_cancer_death, self.t_other)
        cens = self.cens
        if ep.kind == "event_free":
            if self.t_local is None:
                raise KeyError(f"{name} (simulated without the local-recurrence process)")
            tt = np.minimum(np.minimum(self.t_local, self.t_prog), t_death)
            ev = tt <= cens
        elif ep.kind == "distant":
            tt = np.minimum(self.t_prog, t_death)
            ev = (self.t_prog < t_death) & (self.t_prog <= cens)
        elif ep.kind == "disease_specific":
            tt = t_death
            ev = (self.t_cancer_death <= self.t_other) & (t_death <= cens)
        else:
            tt = t_death
            ev = t_death <= cens
        months = np.maximum(np.round(np.minimum(tt, cens), 2), 0.01)
        return months, ev.astype(np.int64)


def _study_effects(d: StudyDesign, n: int, gens: list):
    """(study sizes, baseline-hazard shifts (R × S), study prevalences (R·S)) of the
    cohorts: each generator's first draws, and each cohort's prevalence shift solved as
    ``simulate_columns`` does (the same equation, size-weighted mean by ``np.dot`` per
    cohort, by the vectorised Brent iteration that takes brentq's steps)."""
    prev = d.prevalence
    pooling = d.pooling
    assert pooling is not None, "pooled designs have a [pooling] section"
    sizes = scale_study_sizes(pooling.study_sizes.value, n)
    S = sizes.shape[0]
    R = len(gens)
    a = np.empty((R, S))
    bh = np.empty((R, S))
    w = sizes / sizes.sum()
    for r, g in enumerate(gens):
        a[r] = g.normal(0.0, pooling.prevalence_logit_sd.value, S)
        b = g.normal(0.0, pooling.baseline_log_hazard_sd.value, S)
        bh[r] = b - np.dot(w, b)
    base = special.logit(prev) + a

    def f(s: np.ndarray, idx: np.ndarray) -> np.ndarray:
        e = special.expit(base[idx] + s[:, None])
        return np.array([np.dot(w, row) for row in e]) - prev

    shift = _brent_vectorised(f, -10, 10, xtol=2e-12, rtol=8.881784197001252e-16, size=R)
    prev_s = special.expit(base + shift[:, None])
    cap = (1 - float(d.marker.zero_fraction.value)) * 0.999
    return sizes, bh, np.minimum(prev_s, cap).ravel()


_BLOCK_PATIENTS = 40_000  # elementwise work in blocks that stay in the CPU cache


def iter_chunk(d: StudyDesign, n: int, seeds: Sequence[np.random.SeedSequence | int], *,
               endpoints: Sequence[str] | None = None,
               block: int | None = None) -> Iterator[ChunkCohorts]:
    """Simulate one cohort of ``n`` patients per seed (``default_rng(seed)`` each), together,
    yielding the cohorts in blocks of ``block`` (default: about 40,000 patients a block).

    Cohort r equals ``simulate_columns(d, n, np.random.default_rng(seeds[r]))``; see the
    module docstring. Designs with serial draws are not supported (:func:`supports_chunk`).
    ``endpoints`` (names) limits the latent times computed to those the endpoints need
    (the local-recurrence process only enters event-free endpoints); all draws are made.
    """
    if not supports_chunk(d):
        raise ValueError(f"design {d.key!r} has serial draws; simulate its cohorts one by one")
    R = len(seeds)
    thr = d.threshold
    pi0 = float(d.marker.zero_fraction.value)
    kshape = float(d.marker.gamma_shape.value)
    gens = [np.random.default_rng(s) for s in seeds]

    # 1. the study effects of every cohort (each generator's first draws)
    if d.pooled:
        sizes, bh, prev_s = _study_effects(d, n, gens)
        n_st = sizes.shape[0]
        study1 = np.repeat(np.arange(n_st), sizes)
    else:
        n_st = 1
        study1 = np.zeros(n, dtype=int)
        bh = np.zeros((R, 1))
        prev_s = np.full(R, d.prevalence)
    # 2. the concentration scale of every study of every cohort: one vectorised solve
    q = prev_s / (1.0 - pi0)
    mu = solve_nb_means(q, thr, kshape) if d.pooled else _nb_means_cached(q, thr, kshape)
    scale = (mu / (kshape * marker_exposure(d))).reshape(R, n_st)
    names = [ep.name for ep in d.endpoints] if endpoints is None else list(endpoints)
    need_local = any(ep.kind == "event_free" for ep in d.endpoints if ep.name in names)
    if block is None:
        block = max(1, _BLOCK_PATIENTS // max(n, 1))
    for b0 in range(0, R, block):
        b1 = min(R, b0 + block)
        yield _block(d, n, gens[b0:b1], study1, n_st, scale[b0:b1], bh[b0:b1], need_local)


def simulate_chunk(d: StudyDesign, n: int, seeds: Sequence[np.random.SeedSequence | int], *,
                   endpoints: Sequence[str] | None = None,
                   block: int | None = None) -> ChunkCohorts:
    """:func:`iter_chunk`'s cohorts in one :class:`ChunkCohorts`."""
    parts = list(iter_chunk(d, n, seeds, endpoints=endpoints, block=block))
    if len(parts) == 1:
        return parts[0]

    def cat(name):
        vals = [getattr(p, name) for p in parts]
        return None if vals[0] is None else np.concatenate(vals)

    return ChunkCohorts(
        design=d, n_cohorts=len(seeds), n=n, n_studies=parts[0].n_studies,
        covariates={c: np.concatenate([p.covariates[c] for p in parts])
                    for c in parts[0].covariates},
        **{f: cat(f) for f in ("study", "count", "positive", "category", "t_local", "t_prog",
                               "t_cancer_death", "t_other", "cens")})


def _block(d: StudyDesign, n: int, gens: list, study1: np.ndarray, n_st: int,
           scale: np.ndarray, bh: np.ndarray, need_local: bool) -> ChunkCohorts:
    R = len(gens)
    N = R * n
    thr = d.threshold
    pi0 = float(d.marker.zero_fraction.value)
    kshape = float(d.marker.gamma_shape.value)
    expo = marker_exposure(d)
    study = np.tile(study1, R)
    gidx = study + np.repeat(np.arange(R) * n_st, n)  # study index across the block

    # the draws, cohort by cohort, in simulate_columns' order
    count = np.empty(N, dtype=np.int64)
    raw = [np.empty(N) for _ in d.covariates]
    e = [np.empty(N) for _ in range(4)]
    acc_u = np.empty(N)
    scale_flat = scale.ravel()
    for r, g in enumerate(gens):
        sl = slice(r * n, (r + 1) * n)
        nonzero = g.random(n) >= pi0
        conc = np.where(nonzero, g.gamma(kshape, 1.0, n) * scale_flat[gidx[sl]], 0.0)
        count[sl] = g.poisson(expo * conc)
        for j, c in enumerate(d.covariates):
            raw[j][sl] = g.random(n) if c.kind in ("binary", "ordinal") else \
                g.standard_normal(n)
        for k in range(4):
            e[k][sl] = g.standard_exponential(n)
        acc_u[sl] = g.random(n)

    # everything else is elementwise: the single-cohort helpers on all R·n patients
    u = (count >= thr).astype(np.int64)
    cats = np.asarray(d.marker.categories)
    cat = np.searchsorted(cats, count, side="right") - 1
    covs = draw_covariates_from(d, u, raw)
    t = _event_times(d, covs, cat, bh.ravel()[gidx], e, N, need_local)
    acc = float(d.follow_up.median_months.value)
    a_len = float(d.follow_up.accrual_months.value)
    cens = (acc - a_len / 2.0) + a_len * acc_u
    if d.follow_up.window_months is not None:
        cens = np.minimum(cens, float(d.follow_up.window_months.value))
    return ChunkCohorts(design=d, n_cohorts=R, n=n, study=study, n_studies=n_st, count=count,
                        positive=u, category=cat, covariates=covs, t_local=t[0], t_prog=t[1],
                        t_cancer_death=t[2], t_other=t[3], cens=cens)


def _nb_means_cached(q: np.ndarray, thr: int, kshape: float) -> np.ndarray:
    """Single-study designs: one prevalence, solved once (the scalar solver's cache)."""
    from .simulate import solve_nb_mean

    return np.full(q.shape, solve_nb_mean(float(q[0]), int(thr), kshape))


def _invert_const(e: np.ndarray, rate: np.ndarray, shape: float, brk: float | None,
                  lm: list) -> np.ndarray:
    """:func:`~ctcstats.designs.simulate._invert` for the same break time in every row (no
    break, or one — designs without serial draws), with the same floating-point operations
    on the values that matter: (e / m0)^(1/k) before the break, (b^k + (e − m0·b^k)/m1)^(1/k)
    after it (``_invert``'s zero offsets, 0 + x and x − 0, are exact)."""
    inv_k = 1.0 / shape
    m0 = np.exp(lm[0]) * rate
    if brk is None:
        return (e / m0) ** inv_k
    # b^k through the same ufunc call on the same row layout as _invert's
    bk1 = float((np.array([[0.0, brk, np.inf]]) ** shape)[0, 1])
    m1 = np.exp(lm[1]) * rate
    seg0 = m0 * bk1
    late = seg0 <= e
    x = e / m0
    x[late] = bk1 + (e[late] - seg0[late]) / m1[late]
    return x ** inv_k


def _event_times(d: StudyDesign, covs: dict, cat: np.ndarray, study_eff: np.ndarray,
                 e: list, N: int, need_local: bool):
    """(local, progression, cancer death, other death) times, as ``simulate_columns``
    (local: None when not needed)."""
    model = d.model
    e_prog, e_local, e_post, e_other = e

    def logm_process(h):
        brk = h.break_months
        if brk is None:
            return None, [marker_log_multiplier(h, cat, False)]
        late_rr = np.log(h.number("late_rate_ratio"))
        return float(brk.value), [marker_log_multiplier(h, cat, False),
                                  marker_log_multiplier(h, cat, True) + late_rr]

    centred = {c.name: covs[c.name] - covariate_centre(c) for c in d.covariates}

    def _linear_predictor(d, covs, proc, N):  # simulate._linear_predictor, centred once
        eta = np.zeros(N)
        strength = 1.0 if proc == "other_death" else d.model.covariate_scale
        for c in d.covariates:
            v = c.log_hr.get(proc)
            if v is not None:
                eta += strength * v.value * centred[c.name]
        return eta

    prog, post = model.progression, model.post_progression
    brk, lm = logm_process(prog)
    rate = prog.rate.value * np.exp(_linear_predictor(d, covs, "progression", N) + study_eff)
    t_prog = _invert_const(e_prog, rate, prog.number("shape"), brk, lm)
    t_local = None
    if model.local is None:
        t_local = np.full(N, np.inf)
    elif need_local:
        brk, lm = logm_process(model.local)
        rate = model.local.rate.value * np.exp(
            _linear_predictor(d, covs, "local", N) + study_eff)
        t_local = _invert_const(e_local, rate, model.local.number("shape"), brk, lm)
    lm_post = marker_log_multiplier(post, cat, False)
    rate_post = post.rate.value * np.exp(
        _linear_predictor(d, covs, "post_progression", N) + study_eff + lm_post)
    k_post = post.number("shape")
    t_cancer_death = t_prog + (e_post / rate_post) ** (1.0 / k_post)
    rate_o = model.other_death.rate.value * np.exp(
        _linear_predictor(d, covs, "other_death", N))
    t_other = e_other / rate_o
    return t_local, t_prog, t_cancer_death, t_other


def simulate_chunk_columns(d: StudyDesign, n: int,
                           seeds: Sequence[np.random.SeedSequence | int], *,
                           block: int | None = None) -> list[dict]:
    """The patient tables of :func:`simulate_chunk`'s cohorts as ``simulate_columns`` gives
    them (one dict of column arrays per seed, same columns, order and values)."""
    ch = simulate_chunk(d, n, seeds, block=block)
    pre = d.marker_prefix
    cats = np.asarray(d.marker.categories)
    eps = {ep.name: ch.endpoint(ep.name) for ep in d.endpoints}
    out = []
    for r in range(ch.n_cohorts):
        sl = slice(r * n, (r + 1) * n)
        cols: dict[str, np.ndarray] = {"patient_id": np.arange(1, n + 1)}
        if d.pooled:
            cols["study"] = np.array([f"S{s + 1:02d}" for s in range(ch.n_studies)],
                                     dtype=object)[ch.study[sl]]
        for c in d.covariates:
            cols[c.name] = ch.covariates[c.name][sl]
        cols[f"{pre}_count"] = ch.count[sl]
        if d.marker_kind == "CTC":
            cols["blood_volume_ml"] = np.full(n, sample_volume(d))
        else:
            cols["cells_examined"] = np.full(n, int(sample_volume(d)), dtype=np.int64)
        cols[f"{pre}_positive"] = ch.positive[sl]
        if len(cats) > 2:
            cols[f"{pre}_category"] = np.asarray(category_labels(cats),
                                                 dtype=object)[ch.category[sl]]
        for name, (months, ev) in eps.items():
            cols[f"{name}_months"] = months[sl]
            cols[f"{name}_event"] = ev[sl]
        out.append(cols)
    return out
