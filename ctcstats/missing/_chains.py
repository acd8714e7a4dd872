"""The imputation chains behind :func:`ctcstats.missing.impute` (one chain per imputation).

* :func:`smcfcs_chain` — substantive-model-compatible FCS for a Cox model (Bartlett, Seaman,
  White & Carpenter 2015; R ``smcfcs(smtype = "coxph")``): in each cycle and for each
  incomplete covariate, the covariate model f(x | other covariates) is fitted to the current
  completed data and its parameters drawn; the Cox model is fitted, its coefficients drawn
  from N(beta_hat, V) and Breslow's baseline cumulative hazard H0 computed at the drawn
  coefficients; then each missing value is drawn from f(x | z) f(t, d | x, z): by rejection
  sampling for continuous values and counts (candidate from the covariate model, accepted
  with probability exp(-H0 e^lp) if censored and H0 e^lp exp(1 - H0 e^lp) if an event — the
  density relative to its maximum), and directly from the normalised product for discrete
  covariates. Auxiliary variables are predictors of the covariate models only (assumed
  independent of the outcome given the covariates, as in smcfcs).
* :func:`fcs_chain` — chained equations as R ``mice`` (van Buuren) with the event indicator
  and the Nelson–Aalen cumulative hazard H(T) as predictors of every covariate model (White &
  Royston 2009); each model fitted to the rows where its variable is observed.

Own code because no Python package implements either for survival outcomes (statsmodels'
``MICE`` has neither the outcome-compatible step nor H(T)); the conditional models come from
statsmodels (:mod:`._conditional`) and the Cox fit from the survival core.

Everything works on a canonical row order (set by the caller), so a chain's draws depend on
the data and its seed only.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..survival._core.cox import baseline_hazard, fit_cox_arrays, prepare_cox_data
from ..survival._core.curves import step_at
from ._conditional import fit_draw, sample_codes
from ._multilevel import TooFewStudies, fit_draw_two_stage
from ._multilevel_cat import CAT_KINDS, fit_draw_two_stage_cat
from ._pmm import pmm_draw
from ._terms import CoxModelSpec, stratified_baseline

__all__ = ["Var", "ChainSpec", "smcfcs_chain", "fcs_chain", "nelson_aalen", "block"]

DISCRETE = ("binary", "ordinal", "categorical")


@dataclass(frozen=True)
class Var:
    """One variable of the imputation model, coded: discrete kinds as codes 0..K-1 of
    ``levels``; continuous values and counts as they are; NaN where missing."""

    name: str
    kind: str
    x: np.ndarray
    levels: np.ndarray | None
    numeric: bool  # a numeric column enters the Cox model linearly as its value
    in_model: bool  # covariate of the Cox model (else auxiliary)
    family: str = "poisson"

    @property
    def miss(self) -> np.ndarray:
        return np.isnan(self.x)

    @property
    def level_values(self) -> np.ndarray:
        """``levels`` of a discrete variable (always set for those kinds)."""
        assert self.levels is not None, f"{self.name} is not a discrete variable"
        return self.levels

    @property
    def width(self) -> int:
        if self.kind in DISCRETE and not self.numeric:
            return len(self.level_values) - 1
        return 1


def block(v: Var, x: np.ndarray) -> np.ndarray:
    """Design columns of ``v`` at values ``x`` (as ``fit_cox`` codes the column)."""
    if v.kind not in DISCRETE:
        return x[:, None]
    codes = x.astype(int)
    if v.numeric:
        return np.asarray(v.level_values, float)[codes][:, None]
    return (codes[:, None] == np.arange(1, len(v.level_values))[None, :]).astype(float)


@dataclass(frozen=True)
class ChainSpec:
    """Everything a chain needs (picklable, sent to workers)."""

    method: str
    variables: tuple[Var, ...]
    time: np.ndarray
    event: np.ndarray
    offset: np.ndarray | None
    n_iter: int
    rejection_limit: int
    causes: tuple[int, ...] = (1,)  # event codes; (1,) = a single event type (Cox)
    study: int | None = None  # index of the study variable (pooled data)
    two_stage: frozenset[int] = frozenset()  # variables with two-stage random-effects models
    donors: int = 5  # predictive mean matching (continuous variables with family "pmm")
    draw_between: str = "point"  # two-stage models: Psi at its estimate or drawn
    model: CoxModelSpec | None = None  # the Cox design (derived terms, strata); None: the
    # in-model variables entering linearly as fit_cox codes them

    @property
    def cox(self) -> CoxModelSpec:
        if self.model is not None:
            return self.model
        return CoxModelSpec(plain=tuple(i for i, v in enumerate(self.variables)
                                        if v.in_model), terms=())

    def cox_matrix(self, xs, rows: np.ndarray | None = None,
                   replace: tuple[int, np.ndarray] | None = None) -> np.ndarray:
        """The Cox design at the current values (see :meth:`CoxModelSpec.matrix`)."""
        return self.cox.matrix(self.variables, xs, block, rows=rows, replace=replace)


def nelson_aalen(time: np.ndarray, event: np.ndarray) -> np.ndarray:
    """Cumulative hazard at each subject's time, as R ``mice::nelsonaalen`` (the baseline
    hazard of a null ``coxph``, Efron ties)."""
    d = prepare_cox_data(np.zeros((time.size, 0)), time, event)
    knots, cum = baseline_hazard(d, np.zeros(0), "efron", reference="zero")
    return step_at(knots, cum, time, before=0.0)


def _initial(spec: ChainSpec, rng: np.random.Generator) -> list[np.ndarray]:
    """Missing values filled by random draws from the variable's observed values."""
    out = []
    for v in spec.variables:
        x = v.x.copy()
        m = np.isnan(x)
        if m.any():
            x[m] = rng.choice(x[~m], size=int(m.sum()), replace=True)
        out.append(x)
    return out


def _design(spec: ChainSpec, xs: list[np.ndarray], skip: int, *,
            model_only: bool = False) -> np.ndarray:
    """Predictors of variable ``skip`` (or of the Cox model); for a two-stage
    (random-effects) variable the study is not a predictor but its code is the last
    column (see :class:`._multilevel.StudyDrawn`)."""
    if skip in spec.two_stage:
        assert spec.study is not None
        cols = [block(v, xs[i]) for i, v in enumerate(spec.variables)
                if i not in (skip, spec.study)]
        return np.column_stack(cols + [xs[spec.study][:, None]])
    cols = [block(v, xs[i]) for i, v in enumerate(spec.variables)
            if i != skip and (v.in_model or not model_only)]
    n = spec.time.size
    return np.column_stack(cols) if cols else np.empty((n, 0))


def _fit_two_stage(spec: ChainSpec, i: int, y: np.ndarray, P: np.ndarray,
                   rng: np.random.Generator, *, all_rows: bool,
                   offset: np.ndarray | None = None):
    """The two-stage random-effects model of variable ``i`` (``P`` from :func:`_design`,
    every row; ``y`` its current values; ``offset`` every row's log exposure of a count)."""
    v, study = spec.variables[i], spec.variables[spec.study]  # type: ignore[index]
    labels = tuple(str(x) for x in study.level_values)
    try:
        if v.kind in CAT_KINDS:
            return fit_draw_two_stage_cat(v.kind, y, P, rng, n_studies=len(labels),
                                          n_levels=_nlev(v), observed=~v.miss,
                                          all_rows=all_rows, labels=labels,
                                          draw_between=spec.draw_between)
        return fit_draw_two_stage(v.kind, y, P, rng, n_studies=len(labels),
                                  observed=~v.miss, all_rows=all_rows, labels=labels,
                                  offset=offset, draw_between=spec.draw_between,
                                  family=v.family)
    except TooFewStudies as exc:
        from ..errors import DataValidationError

        raise DataValidationError(
            f"covariate {v.name!r}: only {exc.n} stud{'y' if exc.n == 1 else 'ies'} could "
            "fit the study-level imputation model (enough observed values, both levels of a "
            "binary variable, two levels of an ordinal one, every category of a categorical "
            "one, a non-zero count, no separation); the between-study distribution needs at "
            "least two — use fewer predictors or study_model='fixed'.") from None


def _trace(spec: ChainSpec, xs, it: int, rows: list) -> None:
    for i, v in enumerate(spec.variables):
        m = v.miss
        if not m.any():
            continue
        vals = block(v, xs[i][m])[:, 0] if v.numeric or v.kind not in DISCRETE else xs[i][m]
        rows.append((v.name, it, "mean", float(np.mean(vals))))
        rows.append((v.name, it, "sd", float(np.std(vals, ddof=1)) if vals.size > 1
                     else np.nan))


def _result(spec: ChainSpec, xs, rows, msgs):
    imputed = tuple(xs[i][v.miss] for i, v in enumerate(spec.variables))
    return imputed, rows, msgs


# =========================================================================== FCS (mice)
def fcs_chain(spec: ChainSpec, seed: int):
    rng = np.random.default_rng(seed)
    xs = _initial(spec, rng)
    outcome = _fcs_outcome(spec)
    starts: dict = {}  # warm starts of iterative covariate-model fits
    rows: list = []
    msgs: list[str] = []
    for it in range(1, spec.n_iter + 1):
        for i, v in enumerate(spec.variables):
            m = v.miss
            if not m.any():
                continue
            P = _design(spec, xs, i)
            # the outcome predictors go before a two-stage variable's study code (last)
            P = (np.column_stack([P[:, :-1], outcome, P[:, -1:]]) if i in spec.two_stage
                 else np.column_stack([P, outcome]))
            off = None if spec.offset is None or v.kind != "count" else spec.offset
            if v.kind == "continuous" and v.family == "pmm" and i not in spec.two_stage:
                xs[i][m] = pmm_draw(xs[i][~m], P[~m], P[m], rng, donors=spec.donors)
                continue
            if i in spec.two_stage:
                drawn, w = _fit_two_stage(spec, i, xs[i], P, rng, all_rows=False, offset=off)
            else:
                drawn, w = fit_draw(v.kind, xs[i][~m], P[~m], rng, n_levels=_nlev(v),
                                    family=v.family, offset=None if off is None else off[~m],
                                    start=starts.get(i))
            starts[i] = drawn.mle
            msgs.extend(f"{v.name}: {s}" for s in w)
            xs[i][m] = drawn.sample(P[m], rng, offset=None if off is None else off[m])
        _trace(spec, xs, it, rows)
    return _result(spec, xs, rows, msgs)


def _fcs_outcome(spec: ChainSpec) -> np.ndarray:
    """Outcome predictors of FCS: per cause its indicator and its Nelson–Aalen cumulative
    hazard at T (White & Royston 2009; for competing risks, the cause-specific version
    Bartlett & Taylor 2016 recommend among the FCS options)."""
    cols = []
    for k in spec.causes:
        dk = (spec.event == k).astype(float)
        cols += [dk, nelson_aalen(spec.time, dk)]
    return np.column_stack(cols)


def _nlev(v: Var) -> int:
    return 0 if v.levels is None else len(v.levels)


# =========================================================================== smcfcs
def _cox_draw(spec: ChainSpec, xs, rng, msgs, init):
    """Fit the (cause-specific) Cox model(s), draw the coefficients and compute Breslow's
    baseline cumulative hazard at the drawn ones: per cause (beta_k, H0_k(T))."""
    X = spec.cox_matrix(xs)
    strata = spec.cox.strata
    draws, coefs = [], []
    for j, k in enumerate(spec.causes):
        fit = fit_cox_arrays(X, spec.time, spec.event == k, ties="efron", strata=strata,
                             init=None if init is None else init[j])
        if not fit.converged:
            msgs.append("the Cox model did not converge in an imputation cycle")
        beta = fit.coef + _root(fit.var) @ rng.standard_normal(fit.coef.size)
        if strata is None:
            knots, cum = baseline_hazard(fit.data, beta, "efron", reference="zero")
            draws.append((beta, step_at(knots, cum, spec.time, before=0.0)))
        else:  # one baseline hazard per stratum, each patient's in the patient's stratum
            draws.append((beta, stratified_baseline(fit.data, beta, "efron", spec.time)))
        coefs.append(fit.coef)
    return X, draws, coefs


def _root(var: np.ndarray) -> np.ndarray:
    w, v = np.linalg.eigh((var + var.T) / 2)
    return v * np.sqrt(np.clip(w, 0.0, None))


def _accept_prob(lps, h0s, d, causes):
    """f(T, D | x) relative to its maximum over x: exp(-sum_k H_k e^lp_k), times
    e H_D e^lp_D for an event of cause D (x e^-x <= 1/e)."""
    with np.errstate(over="ignore", invalid="ignore"):
        haz = [h * np.exp(lp) for lp, h in zip(lps, h0s, strict=True)]
        p = np.exp(-np.sum(haz, axis=0))
        for k, hz in zip(causes, haz, strict=True):
            p = np.where(d == k, p * hz * np.e, p)
    p[np.isnan(p)] = 0.0
    return p


def _outcome_loglik(lps, h0s, d, causes):
    """log f(T, D | x) up to terms free of x: lp_D (if an event) - sum_k H_k e^lp_k."""
    out = np.zeros_like(lps[0])
    for k, lp, h in zip(causes, lps, h0s, strict=True):
        out += np.where(d == k, lp, 0.0) - h * np.exp(lp)
    return out


def smcfcs_chain(spec: ChainSpec, seed: int):
    rng = np.random.default_rng(seed)
    xs = _initial(spec, rng)
    cox = spec.cox
    d = spec.event
    init = None  # warm start of the Cox fits at the previous estimates
    starts: dict = {}  # and of iterative covariate-model fits
    rows: list = []
    msgs: list[str] = []
    for it in range(1, spec.n_iter + 1):
        for i, v in enumerate(spec.variables):
            m = v.miss
            if not m.any():
                continue
            P = _design(spec, xs, i)
            off = spec.offset if v.kind == "count" else None
            if i in spec.two_stage:
                drawn, w = _fit_two_stage(spec, i, xs[i], P, rng, all_rows=True, offset=off)
            else:
                drawn, w = fit_draw(v.kind, xs[i], P, rng, n_levels=_nlev(v),
                                    family=v.family, offset=off, start=starts.get(i))
            starts[i] = drawn.mle
            msgs.extend(f"{v.name}: {s}" for s in w)
            idx = np.flatnonzero(m)
            if not (v.in_model and cox.depends_on(i)):
                xs[i][idx] = drawn.sample(P[idx], rng,
                                          offset=None if off is None else off[idx])
                continue
            _, draws, init = _cox_draw(spec, xs, rng, msgs, init)
            h0s = [h[idx] for _, h in draws]

            def lp_at(rows, values, i=i, draws=draws):
                """Linear predictors (one per cause) on ``rows`` with variable i = values."""
                Xc = spec.cox_matrix(xs, rows=rows, replace=(i, values))
                return [Xc @ b for b, _ in draws]

            if v.kind in DISCRETE:
                logp = drawn.log_probs(P[idx])
                for lev in range(len(v.level_values)):
                    lps = lp_at(idx, np.full(idx.size, float(lev)))
                    logp[:, lev] += _outcome_loglik(lps, h0s, d[idx], spec.causes)
                xs[i][idx] = sample_codes(logp, rng)
            else:
                left = _rejection(drawn, P, off, idx, lp_at, h0s, d[idx], xs[i], rng, spec)
                if left:
                    msgs.append(f"{v.name}: rejection sampling failed for {left} value(s) "
                                f"after {spec.rejection_limit} candidates; their previous "
                                "values were kept (increase rejection_limit)")
        _trace(spec, xs, it, rows)
    return _result(spec, xs, rows, msgs)


def _rejection(drawn, P, off, idx, lp_at, h0s, d, x, rng, spec) -> int:
    """Rejection sampling, several candidates per value and round (the first accepted one
    is kept — the same distribution as one candidate at a time); returns how many values
    found no accepted candidate within ``spec.rejection_limit`` candidates. ``h0s`` and
    ``d`` are per missing value (aligned with ``idx``), one entry per cause; ``lp_at(rows,
    values)`` the linear predictors with the candidates in place (derived terms included)."""
    limit = spec.rejection_limit
    todo = np.arange(idx.size)
    tried = 0
    while todo.size and tried < limit:
        k = int(min(limit - tried, max(8, 4096 // todo.size)))
        rows = np.repeat(idx[todo], k)
        cand = drawn.sample(P[rows], rng, offset=None if off is None else off[rows])
        lps = lp_at(rows, cand)
        prob = _accept_prob(lps, [np.repeat(h[todo], k) for h in h0s],
                            np.repeat(d[todo], k), spec.causes)
        ok = (rng.random(rows.size) < prob).reshape(-1, k)
        hit = ok.any(axis=1)
        first = np.argmax(ok, axis=1)
        pick = np.flatnonzero(hit)
        x[idx[todo[pick]]] = cand.reshape(-1, k)[pick, first[pick]]
        todo = todo[~hit]
        tried += k
    return int(todo.size)
