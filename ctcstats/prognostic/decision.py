"""Decision-curve analysis for a survival outcome at a horizon (Vickers et al. 2008).

For a threshold probability p_t, patients with predicted risk ≥ p_t are "treated". With
S_pos(t) the Kaplan–Meier survival at the horizon among them and P(pos) their proportion,

    net benefit = (1 - S_pos(t)) P(pos) - S_pos(t) P(pos) p_t / (1 - p_t),

true positives per patient minus false positives weighted by the odds of the threshold.
"Treat all" uses the whole cohort's Kaplan–Meier estimate; "treat none" has net benefit 0.
No decision-curve package is available in R here; the reference is a hand computation with
``survfit`` on the subsets (tests/reference/prognostic_metrics/prognostic_metrics.R), as
dcurves' survival method does it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, ClassVar, Literal

import numpy as np
import pandas as pd

from .._results import Result, result
from .._typing import ArrayLike
from ..errors import ParameterError
from ._metrics_common import check_horizon, check_probabilities, km_at, prepare_survival_scores

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["DecisionCurveResult", "decision_curve"]

_FUNC = "decision_curve"


@result
class DecisionCurveResult(Result):
    """Net benefit of each model, "treat all" and "treat none" over threshold probabilities.

    ``table`` columns: ``model, threshold, net_benefit, n_positive`` (the models in the order
    given, then ``"treat all"`` and ``"treat none"``).
    """

    _title: ClassVar[str] = "Decision curve analysis"

    horizon: float
    models: tuple[str, ...]
    table: pd.DataFrame
    n_obs: int
    n_events: int
    n_dropped: int = 0
    warnings: tuple[str, ...] = ()

    def plot(self, ax: Axes | None = None) -> Axes:
        """Decision curves; see :func:`ctcstats.plotting.prognostic.plot_decision_curve`."""
        from ..plotting.prognostic import plot_decision_curve

        return plot_decision_curve(self, ax=ax)


def _net_benefit(s_pos: float, n_pos: int, n: int, p: float) -> float:
    if n_pos == 0:
        return 0.0
    ppos = n_pos / n
    return (1.0 - s_pos) * ppos - s_pos * ppos * p / (1.0 - p)


def decision_curve(
    data: pd.DataFrame,
    *,
    time_col: str,
    event_col: str,
    risk_cols: Sequence[str],
    horizon: float,
    thresholds: ArrayLike | None = None,
    missing: Literal["raise", "drop"] = "raise",
) -> DecisionCurveResult:
    """Decision-curve analysis of predicted risks at a horizon (survival net benefit).

    Parameters
    ----------
    data : DataFrame
    time_col, event_col : str
    risk_cols : list of str
        Columns of predicted probabilities of an event by ``horizon`` (in [0, 1]), one per model.
    horizon : float
        Prediction horizon before the last follow-up, with events before it.
    thresholds : array-like of float, optional
        Threshold probabilities in (0, 1); default 0.01, 0.02, ..., 0.98
        (``np.arange(1, 99) / 100``, exact decimals so that a risk of 0.07 counts at 0.07).
    missing : {"raise", "drop"}

    Returns
    -------
    DecisionCurveResult
        ``table`` with columns ``model, threshold, net_benefit, n_positive``; ``plot(ax=)``
        draws the curves. ``net_benefit`` is NaN at a threshold whose test-positives are all
        followed for less than ``horizon`` (no Kaplan–Meier estimate there, as R
        ``dcurves::dca``), rather than the estimate carried forward; with no test-positive
        it is 0.

    References
    ----------
    Vickers AJ, Cronin AM, Elkin EB, Gonen M (2008). Extensions to decision curve analysis, a
    novel method for evaluating diagnostic tests, prediction models and molecular markers.
    BMC Med Inform Decis Mak 8:53.

    Examples
    --------
    >>> import pandas as pd
    >>> from ctcstats.prognostic.decision import decision_curve
    >>> df = pd.DataFrame({"t": [2, 4, 5, 7, 9, 12, 14, 15], "e": [1, 1, 0, 1, 0, 1, 0, 0],
    ...                    "p": [0.8, 0.7, 0.2, 0.5, 0.2, 0.3, 0.1, 0.3]})
    >>> res = decision_curve(df, time_col="t", event_col="e", risk_cols=["p"], horizon=8,
    ...                      thresholds=[0.25])
    >>> res.table[["model", "net_benefit"]].round(4).values.tolist()
    [['p', 0.2917], ['treat all', 0.2], ['treat none', 0.0]]
    """
    if isinstance(risk_cols, str):
        raise ParameterError(
            f"The 'risk_cols' parameter of {_FUNC} must be a list of column names; got the "
            f"string {risk_cols!r} (write [{risk_cols!r}]).")
    risk_cols = list(risk_cols)
    if not risk_cols or len(set(risk_cols)) != len(risk_cols):
        raise ParameterError(
            f"The 'risk_cols' parameter of {_FUNC} must name at least one column, each once; "
            f"got {risk_cols!r}.")
    for reserved in ("treat all", "treat none"):
        if reserved in risk_cols:
            raise ParameterError(
                f"The 'risk_cols' parameter of {_FUNC} cannot name a column {reserved!r} "
                "(reserved for the reference strategies); rename the column.")
    th = np.arange(1, 99) / 100 if thresholds is None else np.asarray(thresholds, float)
    if th.ndim != 1 or th.size == 0 or not np.all((th > 0) & (th < 1)):
        raise ParameterError(
            f"The 'thresholds' parameter of {_FUNC} must be a non-empty list of probabilities "
            f"strictly between 0 and 1; got {thresholds!r}.")
    pf, t_arr, event, sc = prepare_survival_scores(
        data, func=_FUNC, time_col=time_col, event_col=event_col,
        score_cols={"risk_cols": risk_cols}, missing=missing)
    t = check_horizon(horizon, t_arr, event, func=_FUNC)
    n = t_arr.size
    frames = []
    for col in risk_cols:
        r = sc[col]
        check_probabilities(r, col, role="risk_cols", func=_FUNC, index=pf.frame.index)
        nb, npos = np.empty(th.size), np.empty(th.size, dtype=np.int64)
        for k, p in enumerate(th):
            pos = r >= p
            npos[k] = int(pos.sum())
            # as dcurves (summary(survfit(...), times = t) without extend): no estimate when
            # the horizon is past the last follow-up of the test-positives — NaN, not the
            # Kaplan–Meier estimate carried forward
            if npos[k] and t > t_arr[pos].max():
                nb[k] = np.nan
                continue
            s_pos = km_at(t_arr[pos], event[pos], t)[0] if npos[k] else np.nan
            nb[k] = _net_benefit(s_pos, int(npos[k]), n, float(p))
        frames.append(pd.DataFrame({"model": col, "threshold": th, "net_benefit": nb,
                                    "n_positive": npos}))
    s_all = km_at(t_arr, event, t)[0]
    frames.append(pd.DataFrame({
        "model": "treat all", "threshold": th,
        "net_benefit": (1.0 - s_all) - s_all * th / (1.0 - th), "n_positive": n}))
    frames.append(pd.DataFrame({"model": "treat none", "threshold": th, "net_benefit": 0.0,
                                "n_positive": 0}))
    table = pd.concat(frames, ignore_index=True)
    table["n_positive"] = table["n_positive"].astype(np.int64)
    return DecisionCurveResult(
        horizon=t, models=tuple(risk_cols), table=table, n_obs=pf.n_obs,
        n_events=int(event.sum()), n_dropped=pf.n_dropped, warnings=pf.notes)
