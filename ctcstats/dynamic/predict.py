"""Predictions of a landmark supermodel: baseline hazards per landmark stratum and risks.

The baseline cumulative hazard is Breslow's (Efron-corrected with ``ties="efron"``) on the
stacked rows, ``(start, stop]`` risk sets; the variance of ``H(s + w | x, s)`` is Tsiatis'
(R ``survfit.coxph``: the hazard term ``Σ dN / S0²`` plus ``q'Vq`` with
``q = Σ (x − x̄(t)) dH(t|x)`` and V the (robust) covariance of the coefficients).
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from scipy import stats

from .._validation import check_numeric_column, check_rng, format_labels, prepare_frame
from ..errors import DataValidationError, DataWarning, ParameterError
from .stacking import check_landmarks, model_matrix, summarise_history

__all__ = ["predict_supermodel", "cause_hazard_steps"]


def _risk_sums(start, stop, r, X, t):
    """S0(t) and S1(t) over rows with start < t ≤ stop, for each t."""
    o_stop = np.argsort(stop, kind="stable")
    o_start = np.argsort(start, kind="stable")
    cs_r_stop = np.concatenate([[0.0], np.cumsum(r[o_stop][::-1])])[::-1]
    cs_r_start = np.concatenate([[0.0], np.cumsum(r[o_start][::-1])])[::-1]
    rx = r[:, None] * X
    cs_x_stop = np.vstack([np.zeros((1, X.shape[1])), np.cumsum(rx[o_stop][::-1], 0)])[::-1]
    cs_x_start = np.vstack([np.zeros((1, X.shape[1])), np.cumsum(rx[o_start][::-1], 0)])[::-1]
    i_stop = np.searchsorted(stop[o_stop], t, "left")   # first row with stop ≥ t
    i_start = np.searchsorted(start[o_start], t, "left")  # first row with start ≥ t
    s0 = cs_r_stop[i_stop] - cs_r_start[i_start]
    s1 = cs_x_stop[i_stop] - cs_x_start[i_start]
    return s0, s1


def cause_hazard_steps(start, stop, event, X, beta, ties) -> dict:
    """Steps of the baseline hazard (x = 0) of one stratum.

    Returns ``time`` (distinct event times), ``dh`` (hazard increments), ``dv`` (the
    ``Σ 1/den²`` variance increments) and ``xq`` (``Σ x̄/den``, for the ``q`` vector).
    """
    r = np.exp(X @ beta)
    ev = event.astype(bool)
    t, inv = np.unique(stop[ev], return_inverse=True)
    if t.size == 0:
        p = X.shape[1]
        return {"time": t, "dh": t, "dv": t, "xq": np.empty((0, p))}
    s0, s1 = _risk_sums(start, stop, r, X, t)
    d = np.bincount(inv, minlength=t.size).astype(float)
    if ties == "breslow":
        return {"time": t, "dh": d / s0, "dv": d / s0 ** 2, "xq": s1 * (d / s0 ** 2)[:, None]}
    # Efron: the tied deaths leave the risk set in d equal sub-steps
    sd = np.bincount(inv, weights=r[ev], minlength=t.size)
    sdx = np.vstack([np.bincount(inv, weights=r[ev] * X[ev, j], minlength=t.size)
                     for j in range(X.shape[1])]).T if X.shape[1] else np.empty((t.size, 0))
    dh, dv = np.zeros(t.size), np.zeros(t.size)
    xq = np.zeros((t.size, X.shape[1]))
    for k in range(int(d.max())):
        on = d > k
        frac = np.where(on, k / d, 0.0)
        den = s0 - frac * sd
        inc = np.where(on, 1.0 / den, 0.0)
        dh += inc
        dv += inc ** 2
        xq += ((s1 - frac[:, None] * sdx) * (inc ** 2)[:, None])
    return {"time": t, "dh": dh, "dv": dv, "xq": xq}


def _baselines(model) -> dict:
    """``{cause: {stratum: steps}}``; stratum is the landmark (strata) or None (smooth)."""
    spec, st = model._spec, model.data
    return _baselines_of(spec, st["start"].to_numpy(float), st["stop"].to_numpy(float),
                         st["event"].to_numpy(), st["landmark"].to_numpy(float),
                         model_matrix(st, spec), {c: model._fits[c]["beta"]
                                                  for c in spec["causes"]})


def _baselines_of(spec, start, stop, event, lm, X, betas) -> dict:
    out: dict = {}
    for c in spec["causes"]:
        ev = (event == c).astype(int)
        if spec["baseline"] == "strata":
            out[c] = {s: cause_hazard_steps(start[lm == s], stop[lm == s], ev[lm == s],
                                            X[lm == s], betas[c], spec["ties"])
                      for s in spec["landmarks"]}
        else:
            out[c] = {None: cause_hazard_steps(start, stop, ev, X, betas[c], spec["ties"])}
    return out


def _bootstrap_cif(model, requests, n_boot, rng, conf_level):
    """Percentile intervals of the cumulative incidence by resampling patients (the stacked
    rows of a patient together) and refitting every cause-specific supermodel."""
    from ..survival._core.cox import fit_cox_arrays
    from ..survival._core.ties import merge_times

    spec, st = model._spec, model.data
    merged = merge_times(st["stop"].to_numpy(float), st["start"].to_numpy(float))
    stop, start = merged.time, merged.start
    event, lm = st["event"].to_numpy(), st["landmark"].to_numpy(float)
    X = model_matrix(st, spec)
    codes = pd.factorize(st[spec["id_col"]])[0]
    n_pat = int(codes.max()) + 1
    g = check_rng(rng)
    draws = np.full((n_boot, len(requests)), np.nan)
    for b in range(n_boot):
        counts = g.multinomial(n_pat, np.full(n_pat, 1.0 / n_pat))
        w = counts[codes]
        idx = np.repeat(np.flatnonzero(w > 0), w[w > 0])
        betas, ok = {}, True
        for c in spec["causes"]:
            ev = event[idx] == c
            if not ev.any():
                ok = False
                break
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # a resample's trouble shows as a wide interval
                fit = fit_cox_arrays(X[idx], stop[idx], ev.astype(int), start=start[idx],
                                     strata=lm[idx] if spec["baseline"] == "strata" else None,
                                     ties=spec["ties"])
            betas[c] = np.nan_to_num(fit.coef, nan=0.0)
        if not ok:
            continue
        base = _baselines_of(spec, start[idx], stop[idx], event[idx], lm[idx], X[idx], betas)
        fits = {c: {"beta": betas[c]} for c in spec["causes"]}
        for j, (key, s, x) in enumerate(requests):
            draws[b, j] = _competing(base, key, s, s + spec["horizon"], x, fits, spec["cause"])
    a = (1 - conf_level) / 2
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN column: no usable resample
        return np.nanquantile(draws, a, axis=0), np.nanquantile(draws, 1 - a, axis=0)


def _window(steps, s, end):
    keep = (steps["time"] > s) & (steps["time"] <= end)
    return {k: v[keep] for k, v in steps.items()}


def _single(steps, x, beta, var, z):
    """Risk and log-interval for one patient from the steps of the window."""
    r = float(np.exp(x @ beta))
    h = r * steps["dh"].sum()
    q = r * (x * steps["dh"].sum() - steps["xq"].sum(axis=0)) if steps["dh"].size else \
        np.zeros_like(x)
    v = r ** 2 * steps["dv"].sum() + float(q @ var @ q)
    se = np.sqrt(max(v, 0.0))
    surv = np.exp(-h)
    return 1 - surv, 1 - min(surv * np.exp(z * se), 1.0), 1 - surv * np.exp(-z * se)


def _competing(base_by_cause, key, s, end, xrow, fits, cause):
    """Cumulative incidence of *cause* in (s, end] from the cause-specific hazards."""
    incs = {}
    for c, base in base_by_cause.items():
        w = _window(base[key], s, end)
        incs[c] = (w["time"], w["dh"] * float(np.exp(xrow @ fits[c]["beta"])))
    times = np.unique(np.concatenate([t for t, _ in incs.values()]))
    total = np.zeros(times.size)
    own = np.zeros(times.size)
    for c, (t, dh) in incs.items():
        idx = np.searchsorted(times, t)
        total[idx] += dh
        if c == cause:
            own[idx] += dh
    surv_before = np.exp(-(np.cumsum(total) - total))
    return float(np.sum(surv_before * own))


def _histories(model, history, data):
    spec = model._spec
    idc, tc, mc = spec["id_col"], spec["draw_time_col"], spec["marker"]
    func = "LandmarkSupermodelResult.predict"
    hp = prepare_frame(history, func=func, roles={"id_col": idc, "draw_time_col": tc,
                                                   "marker_col": mc})
    h = hp.frame
    dr = pd.DataFrame({"_id": h[idc].to_numpy(),
                       "_t": check_numeric_column(h, tc, role="draw_time_col"),
                       "_v": check_numeric_column(h, mc, role="marker_col")})
    covs = spec["covariates"]
    if covs:
        if data is None:
            raise ParameterError(
                f"{func} needs data= (one row per patient with {idc!r} and the covariates "
                f"{covs}) because the model has covariates."
            )
        cp = prepare_frame(data, func=func, roles={"id_col": idc, "covariates": covs}).frame
        missing = ~dr["_id"].isin(cp[idc]).to_numpy()
        if missing.any():
            raise DataValidationError(
                f"{func}: patients of history are missing from data (first ids: "
                f"{format_labels(dr.loc[missing, '_id'].unique())}); give their covariates."
            )
        cov = cp.set_index(idc)[covs].astype(float)
    else:
        cov = None
    return dr, cov


def predict_supermodel(model, history, *, landmark, data=None, n_boot=0, rng=None):
    from .supermodel import LandmarkPredictionResult

    spec = model._spec
    func = "LandmarkSupermodelResult.predict"
    lms = check_landmarks(landmark, func)
    fitted = spec["landmarks"]
    if spec["baseline"] == "strata":
        bad = [s for s in lms if not np.any(np.isclose(s, fitted, rtol=0, atol=1e-9))]
        if bad:
            raise ParameterError(
                f"The 'landmark' parameter of {func} must be fitted landmarks "
                f"{fitted.tolist()} for a model with baseline='strata'; got {bad} (refit with "
                "these landmarks or with baseline='smooth')."
            )
        lms = np.array([fitted[np.argmin(np.abs(fitted - s))] for s in lms])
    elif np.any(lms < fitted[0]) or np.any(lms > fitted[-1]):
        raise ParameterError(
            f"The 'landmark' parameter of {func} must lie within the fitted landmarks "
            f"[{fitted[0]:g}, {fitted[-1]:g}]; got {lms.tolist()}."
        )
    dr, cov = _histories(model, history, data)
    base = _baselines(model)
    z = stats.norm.ppf(0.5 + spec["conf_level"] / 2)
    cause, w = spec["cause"], spec["horizon"]
    beta, var = model._fits[cause]["beta"], model._fits[cause]["var"]
    rows, requests = [], []
    for s in lms:
        sm = summarise_history(dr, s, summary=spec["summary"], transform=spec["transform"],
                               threshold=spec["threshold"], window=spec["window"],
                               marker=spec["marker"])
        if sm.empty:
            continue
        sm["landmark"] = s
        if cov is not None:
            for c in spec["covariates"]:
                sm[c] = cov.loc[sm["_id"], c].to_numpy()
        X = model_matrix(sm, spec)
        key = s if spec["baseline"] == "strata" else None
        for i in range(len(sm)):
            if len(spec["causes"]) > 1:
                risk = _competing(base, key, s, s + w, X[i], model._fits, cause)
                lo = hi = np.nan
                requests.append((key, s, X[i]))
            else:
                steps = _window(base[cause][key], s, s + w)
                risk, lo, hi = _single(steps, X[i], beta, var, z)
            rows.append([sm["_id"].iloc[i], s, w, risk, lo, hi,
                         *sm.iloc[i][[f"{spec['marker']}_{k}" for k in spec["summary"]]]])
    names = [f"{spec['marker']}_{k}" for k in spec["summary"]]
    table = pd.DataFrame(rows, columns=["id", "landmark", "horizon", "risk", "ci_lower",
                                        "ci_upper", *names])
    if requests and n_boot:
        lo, hi = _bootstrap_cif(model, requests, n_boot, rng, spec["conf_level"])
        table["ci_lower"], table["ci_upper"] = lo, hi
    ids = pd.unique(dr["_id"])
    no = [i for i in ids if i not in set(table["id"])]
    msgs = []
    if no:
        msgs.append(f"no draw by the landmark(s) for patients {format_labels(no)}; no "
                    "prediction for them.")
        warnings.warn(msgs[-1], DataWarning, stacklevel=3)
    return LandmarkPredictionResult(table=table, horizon=w, conf_level=spec["conf_level"],
                                   n_obs=len(ids), warnings=tuple(msgs))


def predict_stacked(model, rows: pd.DataFrame) -> np.ndarray:
    """Risk in ``(s, s + horizon]`` for stacked-layout rows (single cause; no intervals)."""
    spec = model._spec
    cause, w = spec["cause"], spec["horizon"]
    base = _baselines(model)[cause]
    X = model_matrix(rows, spec)
    lp = X @ model._fits[cause]["beta"]
    s = rows["landmark"].to_numpy(float)
    h0 = np.empty(s.size)
    for lm in np.unique(s):
        key = lm if spec["baseline"] == "strata" else None
        steps = _window(base[key], lm, lm + w)
        h0[s == lm] = steps["dh"].sum()
    return 1.0 - np.exp(-h0 * np.exp(lp))
