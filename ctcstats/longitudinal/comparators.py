"""The usual alternatives to a joint model: two-stage and last-observation-carried-forward Cox.

* :func:`fit_two_stage_cox` — fit the count mixed model, predict each patient's latent
  log-concentration ``m_i(t)`` (empirical Bayes), and use it as a time-varying covariate of a
  Cox model, evaluated at every event time (so the partial likelihood uses the predicted value
  at each risk set). Ignores the uncertainty of the prediction and the informative drop-out of
  the draws (Tsiatis & Davidian 2004; Rizopoulos 2012, ch. 4).
* :func:`fit_locf_cox` — the observed count as a time-varying covariate: ``log((count + 0.5) /
  volume)`` of the latest draw, carried forward until the next (R ``tmerge(..., tdc())`` +
  ``coxph(Surv(start, stop, event) ~ ...)``). The Poisson noise of a count in 7.5 mL is
  measurement error in the covariate: the hazard ratio is attenuated towards 1.

Both fit the Cox model with the package's counting-process ``fit_cox(start_col=, id_col=)``
(Efron ties; checked against ``survival::coxph(Surv(start, stop, event) ~ ...)``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar, Literal

import numpy as np
import pandas as pd

from .._results import Result, result
from .._validation import check_conf_level, check_real
from .._warnings import capture
from ..errors import DataValidationError
from .joint import prepare_joint
from .mixed import fit_count_mixed_model

__all__ = ["LongitudinalCoxResult", "fit_two_stage_cox", "fit_locf_cox"]


@result
class LongitudinalCoxResult(Result):
    """A Cox model with a serial-count covariate (two-stage or LOCF).

    Attributes
    ----------
    method : str
        ``two_stage`` or ``locf``.
    table : DataFrame
        Indexed by ``term`` (``log_concentration`` first, then the covariates): ``coef,
        std_error, hr, ci_lower, ci_upper, z, p_value`` (Wald).
    data : DataFrame
        The counting-process rows: ``id, start, stop, event, log_concentration`` and the
        covariates.
    loglik : float
    n_obs, n_intervals, n_events, n_dropped : int
    """

    _title: ClassVar[str] = "Cox model with a serial-count covariate"

    method: str
    table: pd.DataFrame
    data: pd.DataFrame
    loglik: float
    conf_level: float
    n_obs: int
    n_intervals: int
    n_events: int
    n_dropped: int = 0
    warnings: tuple[str, ...] = ()

    def _summary_frames(self):
        return [("table", self.table)]


def _cox(cp: pd.DataFrame, terms: list[str], cl: float):
    # the package's own (start, stop] Cox (checked against survival::coxph in
    # tests/reference/counting): one event per patient, so model-based SEs, as R reports
    from ..survival.cox import fit_cox

    with capture() as caught:
        fit = fit_cox(cp, time_col="stop", event_col="event", start_col="start", id_col="id",
                      covariates=terms, conf_level=cl)
    tab = fit.table.loc[terms]
    table = tab[["coef", "std_error", "hr", "ci_lower", "ci_upper", "z", "p_value"]].copy()
    table.index = pd.Index(terms, name="term")
    return table, float(fit.loglik), list(caught.messages())


def _covariate_frame(d, cov_terms):
    return pd.DataFrame(d["w_surv"], columns=list(cov_terms))


def fit_two_stage_cox(
    data: pd.DataFrame, *, draws: pd.DataFrame, time_col: str, event_col: str, id_col: str,
    count_col: str, draw_time_col: str, volume_col: str | None = None,
    covariates: Sequence[str] = (), long_covariates: Sequence[str] = (),
    random: Literal["intercept", "slope", "spline"] = "slope",
    kind: Literal["poisson", "negbin"] = "poisson",
    method: Literal["agq", "laplace"] = "laplace", conf_level: float = 0.95,
    missing: Literal["raise", "drop"] = "raise",
) -> LongitudinalCoxResult:
    """Two-stage analysis: mixed-model predictions as a time-varying Cox covariate.

    Parameters are those of :func:`~ctcstats.longitudinal.fit_joint_model` (``method``: how
    the mixed model of the first stage is fitted).

    Returns
    -------
    LongitudinalCoxResult
        ``method = "two_stage"``; ``table`` indexed by term with ``log_concentration`` (log
        hazard ratio per unit of the predicted log-concentration) first.
    """
    func = "fit_two_stage_cox"
    cl = check_conf_level(conf_level, func=func)
    d = prepare_joint(func, data, draws, time_col=time_col, event_col=event_col, id_col=id_col,
                 count_col=count_col, volume_col=volume_col, draw_time_col=draw_time_col,
                 covariates=covariates, long_covariates=long_covariates, missing=missing)
    prep = d["prep"]
    long_df = pd.DataFrame(d["w_long"][d["sub"]], columns=list(d["long_terms"]))
    long_df = long_df.assign(_id=d["ids"][d["sub"]], _t=prep.time, _y=prep.y, _v=prep.volume)
    mm = fit_count_mixed_model(long_df, count_col="_y", id_col="_id", time_col="_t",
                               volume_col="_v", covariates=list(d["long_terms"]),
                               random=random, kind=kind, method=method, conf_level=cl)
    f = mm._fit_state()
    modes = np.zeros((d["ids"].size, f.design.q))
    pos = np.searchsorted(d["ids"], f.ids)
    modes[pos] = f.modes
    time, event = d["time"], d["event"]
    etimes = np.unique(time[event == 1])
    n_cut = np.searchsorted(etimes, time, side="left")  # event times strictly before T_i
    sub = np.repeat(np.arange(time.size), n_cut + 1)
    k = np.concatenate([np.arange(n + 1) for n in n_cut])
    stop = np.where(k < n_cut[sub], etimes[np.minimum(k, etimes.size - 1)], time[sub])
    start = np.where(k > 0, etimes[np.maximum(k - 1, 0)], 0.0)
    ev = ((k == n_cut[sub]) & (event[sub] == 1)).astype(int)
    x, z = f.design.matrices(stop, d["w_long"][sub])
    m_hat = x @ f.theta[f.layout.beta] + np.einsum("rq,rq->r", z, modes[sub])
    cp = pd.DataFrame({"id": d["ids"][sub], "start": start, "stop": stop, "event": ev,
                       "log_concentration": m_hat})
    cov = _covariate_frame(d, d["cov_terms"]).iloc[sub].reset_index(drop=True)
    cp = pd.concat([cp, cov], axis=1)
    terms = ["log_concentration", *d["cov_terms"]]
    table, ll, msgs = _cox(cp, terms, cl)
    msgs = list(mm.warnings) + msgs
    return LongitudinalCoxResult(method="two_stage", table=table, data=cp, loglik=ll,
                                 conf_level=cl, n_obs=int(time.size), n_intervals=len(cp),
                                 n_events=int(event.sum()), n_dropped=d["n_dropped"],
                                 warnings=tuple(msgs))


def fit_locf_cox(
    data: pd.DataFrame, *, draws: pd.DataFrame, time_col: str, event_col: str, id_col: str,
    count_col: str, draw_time_col: str, volume_col: str | None = None,
    covariates: Sequence[str] = (), zero_offset: float = 0.5, conf_level: float = 0.95,
    missing: Literal["raise", "drop"] = "raise",
) -> LongitudinalCoxResult:
    """Cox model with the last observed log-concentration carried forward.

    The covariate of interval (draw_k, draw_{k+1}] is ``log((count_k + zero_offset) /
    volume_k)``; follow-up before a patient's first draw is left out (the value is unknown
    there), as R ``tmerge`` + ``coxph`` does with its ``NA`` rows.

    Returns
    -------
    LongitudinalCoxResult
        ``method = "locf"``; ``table`` indexed by term (``log_concentration`` first).
    """
    func = "fit_locf_cox"
    cl = check_conf_level(conf_level, func=func)
    zero_offset = check_real(zero_offset, name="zero_offset", func=func, low=0.0,
                             low_inclusive=False)
    d = prepare_joint(func, data, draws, time_col=time_col, event_col=event_col, id_col=id_col,
                 count_col=count_col, volume_col=volume_col, draw_time_col=draw_time_col,
                 covariates=covariates, long_covariates=(), missing=missing)
    prep = d["prep"]
    sub = d["sub"]
    time, event = d["time"], d["event"]
    keep = prep.time < time[sub]
    sub, t, y, v = sub[keep], prep.time[keep], prep.y[keep], prep.volume[keep]
    start = np.maximum(t, 0.0)
    frame = pd.DataFrame({"sub": sub, "start": start, "y": y, "v": v})
    frame = frame.drop_duplicates(["sub", "start"], keep="last").reset_index(drop=True)
    nxt = frame.groupby("sub", sort=False, observed=True)["start"].shift(-1)
    last = nxt.isna().to_numpy()
    s = frame["sub"].to_numpy()
    stop = np.where(last, time[s], nxt.to_numpy())
    cp = pd.DataFrame({"id": d["ids"][s], "start": frame["start"].to_numpy(), "stop": stop,
                       "event": np.where(last, event[s], 0).astype(int),
                       "log_concentration": np.log((frame["y"].to_numpy() + zero_offset)
                                                   / frame["v"].to_numpy())})
    cov = _covariate_frame(d, d["cov_terms"]).iloc[s].reset_index(drop=True)
    cp = pd.concat([cp, cov], axis=1)
    if cp.empty or cp["event"].sum() == 0:
        raise DataValidationError(f"{func}: no events after the patients' first draws; "
                                  "nothing to fit.")
    n_no = int(time.size - np.unique(s).size)
    msgs = [f"{n_no} patients have no draw before the end of their follow-up and are left "
            "out."] if n_no else []
    terms = ["log_concentration", *d["cov_terms"]]
    table, ll, cmsgs = _cox(cp, terms, cl)
    return LongitudinalCoxResult(method="locf", table=table, data=cp, loglik=ll,
                                 conf_level=cl, n_obs=int(np.unique(s).size),
                                 n_intervals=len(cp), n_events=int(cp["event"].sum()),
                                 n_dropped=d["n_dropped"], warnings=tuple(msgs + cmsgs))
