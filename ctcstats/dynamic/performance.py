"""Dynamic predictive performance of landmark supermodels, landmark by landmark.

:func:`dynamic_performance` evaluates each model's predicted risk of an event in
``(s, s + horizon]`` on the landmark set at ``s`` (patients event-free and under observation
at ``s`` with a draw by ``s``): Harrell's C of the risk in the window, the cumulative/dynamic
time-dependent AUC and the Brier score with its Kaplan–Meier null model and the IPA at
``horizon`` after the landmark (IPCW with a Kaplan–Meier censoring model, as
``riskRegression::Score`` on that landmark set), and calibration in the large (mean predicted
risk against the Kaplan–Meier risk). Several models (e.g. baseline count only vs the updated
count) are compared on the same landmark sets. The metrics are :mod:`ctcstats.prognostic`'s.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar, Literal

import numpy as np
import pandas as pd

from .._results import Result, result
from .._validation import check_conf_level
from .._warnings import capture, emit
from ..errors import ParameterError
from ..prognostic.metrics import brier_score, concordance_index, time_dependent_auc
from ..survival.cox import fit_cox
from ..survival.km import kaplan_meier
from .predict import predict_stacked
from .stacking import check_landmarks, prepare_inputs, stack

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["DynamicPerformanceResult", "dynamic_performance"]

_COLUMNS = ["model", "landmark", "n_at_risk", "n_events", "c_index", "c_index_std_error",
            "auc", "auc_std_error", "brier", "brier_std_error", "null_brier", "ipa",
            "mean_risk", "observed_risk", "oe_ratio", "calibration_slope",
            "calibration_slope_std_error"]


@result
class DynamicPerformanceResult(Result):
    """Performance of landmark supermodels per landmark (see :func:`dynamic_performance`).

    ``table``: one row per model and landmark — ``model, landmark, n_at_risk, n_events``
    (events in the window), ``c_index`` (Harrell, events in the window), ``c_index_std_error``,
    ``auc`` (cumulative/dynamic AUC at ``horizon`` after the landmark), ``auc_std_error``,
    ``brier``, ``brier_std_error``, ``null_brier`` (Kaplan–Meier null model), ``ipa``
    (1 − brier/null_brier), ``mean_risk`` (mean predicted risk), ``observed_risk``
    (1 − Kaplan–Meier at ``horizon``), ``oe_ratio`` (observed / mean predicted) and
    ``calibration_slope`` with ``calibration_slope_std_error`` (the Cox coefficient of
    log(−log(1 − risk)) for the events in the window; 1 = ideal, < 1 = too extreme).
    ``comparison``: per landmark and model other than the first, the differences to the
    first model (``delta_c_index, delta_auc, delta_brier, delta_ipa``).
    """

    _title: ClassVar[str] = "Dynamic predictive performance per landmark"

    table: pd.DataFrame
    comparison: pd.DataFrame
    horizon: float
    conf_level: float
    n_obs: int
    n_dropped: int = 0
    warnings: tuple[str, ...] = ()

    def _summary_frames(self) -> list[tuple[str, pd.DataFrame]]:
        return [("table", self.table), ("comparison", self.comparison)]

    def plot(self, ax: Axes | None = None, *, metric: str = "auc", **kwargs: Any) -> Axes:
        """A metric (``auc``, ``c_index``, ``brier``, ``ipa``, ``oe_ratio``) per landmark,
        one line per model."""
        from ..plotting.dynamic import plot_dynamic_performance

        return plot_dynamic_performance(self, ax=ax, metric=metric, **kwargs)


def _landmark_sets(model, data, draws, missing):
    """Each landmark set of *model*'s design on *data*: (frame, risk), frame with ``_id,
    landmark, time`` (from the landmark, not truncated), ``event`` (0/1), ``wtime``,
    ``wevent`` (truncated at the horizon)."""
    spec = model._spec
    pat, dr, _, n_obs, n_drop, _ = prepare_inputs(
        data, draws, func="dynamic_performance", time_col=spec["time_col"],
        event_col=spec["event_col"], id_col=spec["id_col"],
        draw_time_col=spec["draw_time_col"], marker_col=spec["marker"],
        covariates=spec["covariates"], missing=missing or spec["missing"],
        transform=spec["transform"])
    st, _ = stack(pat, dr, spec["landmarks"], spec["horizon"], summary=spec["summary"],
                  transform=spec["transform"], threshold=spec["threshold"],
                  window=spec["window"], marker=spec["marker"])
    risk = predict_stacked(model, st)
    t_full = pat.set_index("_id").loc[st["_id"], ["_time", "_event"]]
    s = st["landmark"].to_numpy(float)
    frame = pd.DataFrame({
        "_id": st["_id"].to_numpy(), "landmark": s,
        "time": t_full["_time"].to_numpy(float) - s,
        "event": (t_full["_event"].to_numpy() == spec["cause"]).astype(np.int64),
        "wtime": st["stop"].to_numpy(float) - s,
        "wevent": (st["event"].to_numpy() == spec["cause"]).astype(np.int64),
        "risk": risk})
    return frame, n_obs, n_drop


def _metrics(fr: pd.DataFrame, horizon: float, cl: float) -> list[float]:
    n_ev = int(fr["wevent"].sum())
    nan = float("nan")
    if n_ev == 0 or n_ev == len(fr):
        c = (nan, nan)
    else:
        r = concordance_index(fr, time_col="wtime", event_col="wevent", risk_col="risk",
                              conf_level=cl)
        c = (r.estimate, r.std_error)
    has_controls = bool((fr["time"] > horizon).any())
    if n_ev and has_controls:
        a = time_dependent_auc(fr, time_col="time", event_col="event", risk_col="risk",
                               horizon=horizon, conf_level=cl)
        auc = (a.estimate, a.std_error)
    else:
        auc = (nan, nan)
    b = brier_score(fr, time_col="time", event_col="event", risk_col="risk", horizon=horizon,
                    conf_level=cl)
    km = kaplan_meier(fr, time_col="time", event_col="event").survival_at([horizon])
    observed = 1.0 - float(km["survival"].iloc[0])
    mean_risk = float(fr["risk"].mean())
    slope = (nan, nan)
    cll = np.log(-np.log1p(-fr["risk"].clip(upper=1 - 1e-15).to_numpy(float)))
    if n_ev and np.ptp(cll) > 0:
        cal = fit_cox(fr.assign(cll=cll), time_col="wtime", event_col="wevent",
                      covariates=["cll"], conf_level=cl)
        slope = (float(cal.table["coef"].iloc[0]), float(cal.table["std_error"].iloc[0]))
    return [len(fr), n_ev, *c, *auc, b.estimate, b.std_error, b.null_estimate, b.ipa,
            mean_risk, observed, observed / mean_risk if mean_risk > 0 else nan, *slope]


def dynamic_performance(
    data: pd.DataFrame,
    *,
    draws: pd.DataFrame,
    models: Mapping[str, object] | object,
    conf_level: float = 0.95,
    missing: Literal["raise", "drop"] | None = None,
) -> DynamicPerformanceResult:
    """C, time-dependent AUC, Brier/IPA and calibration of dynamic predictions per landmark.

    Each model (a :class:`~ctcstats.dynamic.supermodel.LandmarkSupermodelResult`) predicts,
    for every patient of each of its landmark sets built from ``data`` and ``draws`` (the
    fitting data for apparent performance, or a validation cohort with the same columns), the
    risk of an event in ``(s, s + horizon]``. On that landmark set, with time measured from
    ``s``: ``time_dependent_auc`` and ``brier_score`` at ``horizon`` (Kaplan–Meier IPCW,
    ``riskRegression::Score(list(risk), Hist(time, event) ~ 1, data = landmark set, times =
    horizon, metrics = c("auc", "brier"), summary = "ipa", cens.model = "km")``), Harrell's C
    of the risk for events in the window (``survival::concordance``), the mean predicted
    against the Kaplan–Meier risk, and the calibration slope (``coxph(Surv(time in window,
    event) ~ log(-log(1 - risk)))``). Matched at 1e-6 in ``tests/reference/supermodel/``.

    Parameters
    ----------
    data, draws : DataFrame
        Patients and draws with the columns the models were fitted with.
    models : LandmarkSupermodelResult or mapping of name → LandmarkSupermodelResult
        Models to compare (same landmarks and horizon), e.g. ``{"baseline count": m0,
        "updated count": m1}``; the first is the reference of ``comparison``.
    conf_level : float, default 0.95
    missing : {"raise", "drop"}, optional
        Default: the setting the models were fitted with.

    Returns
    -------
    DynamicPerformanceResult
        ``table`` (``model, landmark, n_at_risk, n_events, c_index, c_index_std_error, auc,
        auc_std_error, brier, brier_std_error, null_brier, ipa, mean_risk, observed_risk,
        oe_ratio, calibration_slope, calibration_slope_std_error``), ``comparison``
        (``model, landmark, delta_c_index, delta_auc, delta_brier, delta_ipa``),
        ``plot(metric=)``.

    Examples
    --------
    >>> import ctcstats as cs
    >>> sc = cs.simulate_study("hayes2006", n=300, rng=4)
    >>> kw = dict(draws=sc.draws, landmarks=[0, 1, 2], horizon=6, time_col="os_months",
    ...           event_col="os_event", marker_col="ctc_count", transform="log1p")
    >>> m0 = cs.landmark_supermodel(sc.data, summary="baseline", **kw)
    >>> m1 = cs.landmark_supermodel(sc.data, summary="current", **kw)
    >>> perf = cs.dynamic_performance(sc.data, draws=sc.draws,
    ...                               models={"baseline": m0, "updated": m1})
    >>> perf.table.shape[0], perf.comparison.columns.tolist()[:3]
    (6, ['model', 'landmark', 'delta_c_index'])
    """
    func = "dynamic_performance"
    cl = check_conf_level(conf_level, func=func)
    if not isinstance(models, Mapping):
        models = {"model": models}
    if not models:
        raise ParameterError(f"The 'models' parameter of {func} must name at least one model.")
    specs = []
    for name, m in models.items():
        spec = getattr(m, "_spec", None)
        if spec is None:
            raise ParameterError(
                f"The 'models' parameter of {func} must hold landmark_supermodel results; "
                f"{name!r} is a {type(m).__name__}."
            )
        if len(spec["causes"]) > 1:
            raise ParameterError(
                f"{func}: model {name!r} has competing risks (causes {spec['causes']}); the "
                "per-landmark metrics here are for a single event type — recode the other "
                "causes as censored and refit, or evaluate the cumulative incidence elsewhere."
            )
        specs.append(spec)
    first = specs[0]
    for name, spec in zip(models, specs, strict=True):
        if (spec["horizon"] != first["horizon"]
                or not np.array_equal(spec["landmarks"], first["landmarks"])):
            raise ParameterError(
                f"{func}: model {name!r} has other landmarks or horizon than the first model; "
                "compare models fitted on the same landmarks and horizon."
            )
    check_landmarks(first["landmarks"], func)
    horizon = float(first["horizon"])
    rows, n_obs, n_drop = [], 0, 0
    with capture() as caught:
        for name, m in models.items():
            frame, n_obs, n_drop = _landmark_sets(m, data, draws, missing)
            for s, fr in frame.groupby("landmark", sort=True, observed=True):
                rows.append([name, float(s), *_metrics(fr, horizon, cl)])
    table = pd.DataFrame(rows, columns=_COLUMNS)
    comp = []
    ref = table.loc[table["model"] == next(iter(models))].set_index("landmark")
    for name in list(models)[1:]:
        t = table.loc[table["model"] == name].set_index("landmark")
        comp.append(pd.DataFrame({
            "model": name, "landmark": t.index.to_numpy(),
            "delta_c_index": (t["c_index"] - ref["c_index"]).to_numpy(),
            "delta_auc": (t["auc"] - ref["auc"]).to_numpy(),
            "delta_brier": (t["brier"] - ref["brier"]).to_numpy(),
            "delta_ipa": (t["ipa"] - ref["ipa"]).to_numpy()}))
    comparison = pd.concat(comp, ignore_index=True) if comp else pd.DataFrame(
        columns=["model", "landmark", "delta_c_index", "delta_auc", "delta_brier", "delta_ipa"])
    return DynamicPerformanceResult(table=table, comparison=comparison, horizon=horizon,
                                    conf_level=cl, n_obs=n_obs, n_dropped=n_drop,
                                    warnings=emit(list(caught.records())))
