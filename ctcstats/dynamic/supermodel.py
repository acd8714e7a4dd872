"""Landmark supermodels and dynamic prediction from serial marker draws.

:func:`landmark_supermodel` fits one Cox model to the stacked landmark data sets
(:func:`~ctcstats.dynamic.stacking.landmark_stack`): at landmarks ``s`` the patients still at
risk, followed to ``s + horizon``, with the marker history summarised at ``s``. Effects may
change smoothly with the landmark, ``β(s) = β + γ1 f1(s) + γ2 f2(s)`` (interactions with
``f_k(s) = ((s - s_first)/(s_last - s_first))^k``), and the baseline hazard is either one per
landmark (``baseline="strata"``, R ``strata(LM)``) or shared with a smooth landmark effect
(``baseline="smooth"``, main effects of ``f_k(s)``; van Houwelingen's "ipl*" model). Standard
errors are robust, clustered by patient (each patient appears in several landmark sets).
``.predict(history, landmark=s)`` gives the risk of an event in ``(s, s + horizon]`` for a
patient with the draws so far, with a confidence interval.

With several event codes (competing risks) one cause-specific supermodel is fitted per cause
(the other causes censored); the prediction is then the cumulative incidence of the event of
interest within the window (Aalen–Johansen-type combination of the cause-specific hazards).

The fit is :func:`ctcstats.fit_cox` (R ``coxph``), Breslow ties by default as in van
Houwelingen & Putter (2012) and R ``dynpred``. No Python package fits landmark supermodels
(R: dynpred, dynamicLM, Landmarking), hence own code.

References
----------
van Houwelingen HC. Dynamic prediction by landmarking in event history analysis. Scand J
Stat 2007;34:70–85. van Houwelingen HC, Putter H. Dynamic Prediction in Clinical Survival
Analysis. CRC Press, 2012.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, ClassVar, Literal

import numpy as np
import pandas as pd
from scipy import stats

from .._results import Result, result
from .._validation import check_choice, check_conf_level, check_int, check_real
from .._warnings import Recorded, capture, emit
from ..errors import DataValidationError, DataWarning, ParameterError
from ..survival.cox import PHTestResult, fit_cox
from .stacking import (
    check_landmarks,
    check_summary,
    landmark_basis,
    model_matrix,
    prepare_inputs,
    stack,
    term_names,
)

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["LandmarkSupermodelResult", "LandmarkPredictionResult", "landmark_supermodel"]

_TABLE = ["term", "coef", "std_error", "hr", "ci_lower", "ci_upper", "p_value"]


@result
class LandmarkPredictionResult(Result):
    """Dynamic predictions of a landmark supermodel (see ``LandmarkSupermodelResult.predict``).

    ``table``: one row per patient and landmark — ``id``, ``landmark``, ``horizon``, ``risk``
    (probability of the event of interest in ``(landmark, landmark + horizon]``),
    ``ci_lower``, ``ci_upper`` and the marker summaries used.
    """

    _title: ClassVar[str] = "Dynamic prediction (landmark supermodel)"

    table: pd.DataFrame
    horizon: float
    conf_level: float
    n_obs: int
    n_dropped: int = 0
    warnings: tuple[str, ...] = ()

    def plot(self, ax: Axes | None = None, **kwargs: Any) -> Axes:
        """Predicted risk (with its interval) against the landmark, one line per patient."""
        from ..plotting.dynamic import plot_dynamic_risk

        return plot_dynamic_risk(self, ax=ax, **kwargs)


@result
class LandmarkSupermodelResult(Result):
    """A fitted landmark supermodel (see :func:`landmark_supermodel`).

    Attributes
    ----------
    table : DataFrame
        One row per term: ``term, coef, std_error, hr, ci_lower, ci_upper, p_value`` (robust
        standard errors clustered by patient; Wald tests). Interaction terms ``<x>:lm<k>``
        are the coefficients of ``x · f_k(s)``; with ``baseline="smooth"`` the terms ``lm<k>``
        are the landmark's main effects. For competing risks, the cause-specific model of
        ``event_of_interest``.
    cause_table : DataFrame
        The same columns plus ``cause`` for every cause-specific model (one cause: the same
        rows as ``table``).
    landmark_table : DataFrame
        Per landmark: ``landmark, n_at_risk, n_no_draw, n_events`` (events of interest in the
        window).
    data : DataFrame
        The stacked rows analysed (see :func:`~ctcstats.dynamic.stacking.landmark_stack`).
    """

    _title: ClassVar[str] = "Landmark supermodel"

    table: pd.DataFrame
    cause_table: pd.DataFrame
    landmark_table: pd.DataFrame
    data: pd.DataFrame
    landmarks: tuple[float, ...]
    horizon: float
    baseline: str
    summary: tuple[str, ...]
    ties: str
    conf_level: float
    loglik: float
    n_obs: int
    n_rows: int
    n_events: int
    n_dropped: int = 0
    warnings: tuple[str, ...] = ()
    _spec: Any = dataclasses.field(default=None, repr=False)
    _fits: Any = dataclasses.field(default=None, repr=False)
    _cox: Any = dataclasses.field(default=None, repr=False)

    def _summary_frames(self) -> list[tuple[str, pd.DataFrame]]:
        return [("table", self.table), ("landmarks", self.landmark_table)]

    def linear_predictor(self, rows: pd.DataFrame, cause: int | None = None) -> np.ndarray:
        """``x'β(s)`` for stacked-layout rows (summaries, covariates, ``landmark``)."""
        return model_matrix(rows, self._spec) @ self._fits[cause or self._spec["cause"]]["beta"]

    def predict(self, history: pd.DataFrame, *, landmark: float | Sequence[float],
                data: pd.DataFrame | None = None, n_boot: int = 0,
                rng: int | np.random.Generator | None = None) -> LandmarkPredictionResult:
        """Risk of the event in ``(s, s + horizon]`` given the draws up to each landmark s.

        Parameters
        ----------
        history : DataFrame
            Draws of the patients to predict for: ``id_col``, ``draw_time_col``,
            ``marker_col`` as in the fit (only draws at or before ``s`` are used at ``s``).
        landmark : float or sequence of float
            Prediction times; with ``baseline="strata"`` each must be one of the fitted
            landmarks, with ``"smooth"`` anywhere between the first and the last.
        data : DataFrame, optional
            One row per patient with ``id_col`` and the covariates (needed when the model
            has covariates).
        n_boot : int, default 0
            Competing risks: percentile intervals of the cumulative incidence from
            ``n_boot`` resamples of the patients (all cause-specific supermodels refitted);
            0 gives no interval (NaN). Not used for a single event type (analytic interval).
        rng : int, Generator or None
            Randomness of the resampling.

        Returns
        -------
        LandmarkPredictionResult
            ``table`` with ``id, landmark, horizon, risk, ci_lower, ci_upper`` and the
            summaries. The interval is the delta-method interval of the cumulative hazard
            (Tsiatis' variance with the robust covariance of the coefficients) on the log
            survival scale, R ``survfit.coxph``'s default ``conf.type="log"``; for
            competing risks the bootstrap percentile interval (``n_boot > 0``).
        """
        from .predict import predict_supermodel

        n_boot = check_int(n_boot, name="n_boot", func="predict", minimum=0)
        return predict_supermodel(self, history, landmark=landmark, data=data, n_boot=n_boot,
                                  rng=rng)

    def landmark_effects(self, n_points: int = 50) -> pd.DataFrame:
        """Hazard ratio of each term as a function of the landmark, ``exp(β(s))``.

        Returns a DataFrame with ``term, landmark, coef, std_error, hr, ci_lower, ci_upper``
        on ``n_points`` landmarks from the first to the last (robust covariance; Wald).
        """
        spec = self._spec
        lms = spec["landmarks"]
        grid = np.linspace(lms[0], lms[-1], int(n_points))
        basis = landmark_basis(grid, lms, spec["degree"])
        names = term_names(spec)
        fit = self._fits[spec["cause"]]
        z = stats.norm.ppf(0.5 + self.conf_level / 2)
        out = []
        for t in spec["main"]:
            L = np.zeros((grid.size, len(names)))
            L[:, names.index(t)] = 1.0
            if t in spec["varying"]:
                for k in range(spec["degree"]):
                    L[:, names.index(f"{t}:lm{k + 1}")] = basis[:, k]
            coef = L @ fit["beta"]
            se = np.sqrt(np.einsum("ij,jk,ik->i", L, fit["var"], L))
            out.append(pd.DataFrame({"term": t, "landmark": grid, "coef": coef,
                                     "std_error": se, "hr": np.exp(coef),
                                     "ci_lower": np.exp(coef - z * se),
                                     "ci_upper": np.exp(coef + z * se)}))
        return pd.concat(out, ignore_index=True)

    def ph_test(self) -> PHTestResult:
        """Proportional-hazards test of the supermodel's terms (event of interest), as R
        ``cox.zph(fit, transform = "km", terms = TRUE)`` on the stacked ``coxph`` fit (a term
        whose effect drifts over the window after the landmark; landmark-dependent effects
        are the interactions, not tested here)."""
        return self._cox.ph_test()

    def plot(self, ax: Axes | None = None, **kwargs: Any) -> Axes:
        """Landmark-dependent hazard ratios β(s) of the marker summaries with their CIs."""
        from ..plotting.dynamic import plot_landmark_effects

        return plot_landmark_effects(self, ax=ax, **kwargs)


def _fit_cause(st: pd.DataFrame, spec: dict, cause: int, ties: Literal["breslow", "efron"],
               conf_level: float):
    names = term_names(spec)
    X = model_matrix(st, spec)
    frame = pd.DataFrame(X, columns=names)
    frame["start"] = st["start"].to_numpy()
    frame["stop"] = st["stop"].to_numpy()
    frame["event"] = (st["event"].to_numpy() == cause).astype(np.int64)
    frame["_id"] = st["_id"].to_numpy()
    frame["_lm"] = st["landmark"].to_numpy()
    if frame["event"].sum() == 0:
        raise DataValidationError(
            f"landmark_supermodel: no events of cause {cause} within the windows of the "
            "landmark sets; choose a longer horizon or earlier landmarks."
        )
    fit = fit_cox(frame, start_col="start", time_col="stop", event_col="event",
                  covariates=names, cluster_col="_id",
                  strata_col="_lm" if spec["baseline"] == "strata" else None,
                  ties=ties, conf_level=conf_level)
    tab = fit.table.reset_index()[_TABLE]
    # a term collinear with the others has coefficient NaN (R: NA); predictions leave it out,
    # as R's predict/survfit do
    beta = np.nan_to_num(fit.table["coef"].to_numpy(float), nan=0.0)
    var = np.nan_to_num(fit.covariance.to_numpy(float), nan=0.0)
    return fit, tab, {"beta": beta, "var": var}


def landmark_supermodel(
    data: pd.DataFrame,
    *,
    draws: pd.DataFrame,
    landmarks: Sequence[float],
    horizon: float,
    time_col: str,
    event_col: str,
    marker_col: str,
    id_col: str = "patient_id",
    draw_time_col: str = "draw_months",
    covariates: Sequence[str] = (),
    summary: str | Sequence[str] = ("current",),
    transform: Literal["identity", "log1p"] = "identity",
    threshold: float | None = None,
    window: float | None = None,
    varying: Sequence[str] | None = None,
    landmark_degree: int = 2,
    baseline: Literal["strata", "smooth"] = "strata",
    event_of_interest: int = 1,
    ties: Literal["breslow", "efron"] = "breslow",
    conf_level: float = 0.95,
    missing: Literal["raise", "drop"] = "raise",
) -> LandmarkSupermodelResult:
    """Landmark supermodel: one Cox model on stacked landmark data sets (dynamic prediction).

    At each landmark ``s`` the patients still event-free and under observation with a draw by
    ``s`` enter at ``s`` and are followed to ``s + horizon`` (administrative censoring), with
    the marker history up to ``s`` summarised (``summary``: the ``current`` value, ``positive``
    — current value ≥ ``threshold``, ``baseline`` value, ``change`` since baseline, ``slope``
    over time). The model is R's

    ``coxph(Surv(LM, stop, event) ~ x + x:lm1 + x:lm2 + z + strata(LM) + cluster(id),
    data = stacked, ties = "breslow")``

    (``baseline="smooth"``: ``+ lm1 + lm2`` instead of ``strata(LM)``), with ``lm_k =
    ((s - s_first)/(s_last - s_first))^k`` and ``x`` the ``varying`` terms; matched at 1e-6
    in ``tests/reference/supermodel/`` (pbc + pbcseq, serum bilirubin as the serial marker).

    Parameters
    ----------
    data : DataFrame
        One row per patient: ``id_col``, ``time_col`` (from baseline), ``event_col`` (0 =
        censored, 1 = event; 1..k = causes for competing risks) and the covariates.
    draws : DataFrame
        One row per draw: ``id_col``, ``draw_time_col`` (same clock as ``time_col``),
        ``marker_col`` (numeric: count, concentration or 0/1 status).
    landmarks : sequence of float
        Increasing landmark times ``s``.
    horizon : float
        Prediction window ``w``: the model predicts events in ``(s, s + w]``.
    covariates : list of str
        Baseline covariates (numeric) with constant effects unless named in ``varying``.
    summary : str or sequence of str
        Marker summaries at ``s`` among ``current, positive, baseline, change, slope``; each
        becomes the term ``<marker_col>_<summary>``.
    transform : {"identity", "log1p"}
        Applied to the marker values before the summaries (``log1p`` = log(1 + count), the
        usual scale of CTC counts); ``positive`` uses the raw values.
    threshold : float, optional
        Positivity threshold (needed for ``summary="positive"``).
    window : float, optional
        The last draw must lie in ``[s - window, s]`` (patients without one are left out of
        that landmark set and counted in ``landmark_table.n_no_draw``).
    varying : list of str, optional
        Terms whose effect changes with the landmark (default: the marker summaries; ``[]``
        for constant effects).
    landmark_degree : int, default 2
        Degree of the polynomial in ``s`` for ``varying`` terms and the smooth baseline.
    baseline : {"strata", "smooth"}
        One baseline hazard per landmark (``strata(LM)``) or a common one with smooth
        landmark main effects.
    event_of_interest : int, default 1
        The cause predicted when ``event_col`` has several causes (cause-specific models for
        every cause are fitted; see ``cause_table``).
    ties : {"breslow", "efron"}
    conf_level : float, default 0.95
    missing : {"raise", "drop"}

    Returns
    -------
    LandmarkSupermodelResult
        ``table`` (``term, coef, std_error, hr, ci_lower, ci_upper, p_value``; robust SE by
        patient), ``cause_table``, ``landmark_table``, ``data`` (stacked rows), ``loglik``,
        ``n_obs`` (patients), ``n_rows`` (stacked rows), ``n_events`` (events of interest
        in the stacked data), ``.predict(history, landmark=)``, ``.plot()``.

    Examples
    --------
    >>> import ctcstats as cs
    >>> sc = cs.simulate_study("hayes2006", n=300, rng=4)
    >>> sm = cs.landmark_supermodel(sc.data, draws=sc.draws, landmarks=[0, 1, 2, 3],
    ...                             horizon=6, time_col="os_months", event_col="os_event",
    ...                             marker_col="ctc_count", transform="log1p",
    ...                             landmark_degree=1)
    >>> sm.table["term"].tolist()
    ['ctc_count_current', 'ctc_count_current:lm1']
    >>> pred = sm.predict(sc.draws[sc.draws.patient_id == 1], landmark=[0, 1])
    >>> pred.table.columns[:6].tolist()
    ['id', 'landmark', 'horizon', 'risk', 'ci_lower', 'ci_upper']
    """
    func = "landmark_supermodel"
    lms = check_landmarks(landmarks, func)
    horizon = check_real(horizon, name="horizon", func=func, low=0.0)
    if horizon <= 0:
        raise ParameterError(f"The 'horizon' parameter of {func} must be > 0; got {horizon!r}.")
    summary, threshold = check_summary(summary, threshold, func)
    check_choice(transform, name="transform", choices=("identity", "log1p"), func=func)
    check_choice(baseline, name="baseline", choices=("strata", "smooth"), func=func)
    check_choice(ties, name="ties", choices=("breslow", "efron"), func=func)
    cl = check_conf_level(conf_level, func=func)
    deg = check_int(landmark_degree, name="landmark_degree", func=func, minimum=0)
    if lms.size == 1:
        deg = 0
    if window is not None:
        window = check_real(window, name="window", func=func, low=0.0)
    pat, dr, covs, n_obs, n_drop_p, n_drop_d = prepare_inputs(
        data, draws, func=func, time_col=time_col, event_col=event_col, id_col=id_col,
        draw_time_col=draw_time_col, marker_col=marker_col, covariates=covariates,
        missing=missing, transform=transform)
    sum_terms = [f"{marker_col}_{s}" for s in summary]
    main = sum_terms + covs
    clash = [c for c in covs if c in sum_terms or c in ("start", "stop", "event", "landmark")
             or c.startswith("lm")]
    if clash:
        raise ParameterError(
            f"{func}: covariates {clash} collide with the summary terms or the reserved "
            "names 'start', 'stop', 'event', 'landmark', 'lm<k>'; rename those columns.")
    if varying is None:
        varying = sum_terms
    if isinstance(varying, str) or not set(varying) <= set(main):
        raise ParameterError(
            f"The 'varying' parameter of {func} must be a list of terms from {main}; got "
            f"{varying!r}."
        )
    varying = [t for t in main if t in set(varying)] if deg else []
    causes = sorted(int(c) for c in np.unique(pat["_event"]) if c > 0)
    if event_of_interest not in causes:
        raise DataValidationError(
            f"{func}: event_of_interest {event_of_interest!r} does not occur in event_col "
            f"{event_col!r} (causes present: {causes}); pick one of them."
        )
    st, no_draw = stack(pat, dr, lms, horizon, summary=summary, transform=transform,
                        threshold=threshold, window=window, marker=marker_col)
    spec = dict(main=main, varying=varying, degree=deg, baseline=baseline, landmarks=lms,
                summary=summary, transform=transform, threshold=threshold, window=window,
                marker=marker_col, covariates=covs, id_col=id_col, draw_time_col=draw_time_col,
                cause=event_of_interest, causes=causes, horizon=horizon, ties=ties,
                conf_level=cl, time_col=time_col, event_col=event_col, missing=missing)
    fits, tabs = {}, []
    with capture() as caught:
        for c in causes:
            fit, tab, arrays = _fit_cause(st, spec, c, ties, cl)
            fits[c] = arrays
            tabs.append(tab.assign(cause=c))
            if c == event_of_interest:
                main_fit, main_tab = fit, tab
    ev = st["event"].to_numpy() == event_of_interest
    lm_tab = pd.DataFrame({
        "landmark": lms,
        "n_at_risk": st.groupby("landmark", observed=True)["_id"].size().reindex(lms, fill_value=0).to_numpy(),
        "n_no_draw": no_draw,
        "n_events": pd.Series(ev).groupby(st["landmark"].to_numpy(), observed=True).sum()
        .reindex(lms, fill_value=0).to_numpy(),
    })
    msgs = list(caught.records())
    empty = lm_tab.loc[lm_tab["n_at_risk"] == 0, "landmark"].tolist()
    if empty:
        msgs.append(Recorded(
            f"landmark(s) {', '.join(f'{v:g}' for v in empty)}: no patient at risk with a "
            "qualifying draw; they add nothing to the model (check the landmarks against the "
            "follow-up and the draw window).", DataWarning))
    return LandmarkSupermodelResult(
        table=main_tab, cause_table=pd.concat(tabs, ignore_index=True)[["cause", *_TABLE]],
        landmark_table=lm_tab, data=st.rename(columns={"_id": id_col}),
        landmarks=tuple(lms.tolist()), horizon=horizon, baseline=baseline, summary=summary,
        ties=ties, conf_level=cl, loglik=float(main_fit.loglik),
        n_obs=int(st["_id"].nunique()), n_rows=len(st), n_events=int(ev.sum()),
        n_dropped=n_drop_p, warnings=emit(msgs), _spec=spec, _fits=fits, _cox=main_fit,
    )

