"""Transition-specific Cox models on multi-state data: :func:`fit_multistate_cox`.

One Cox model on the stacked long-format data — each row at risk for one transition — with a
baseline hazard per transition (``strata(trans)``) or shared by groups of transitions
(proportional baselines), covariate effects specific to each transition (mstate's expanded
covariates ``age.1``, ``age.2``, …) or shared by all. This is R ``coxph(Surv(Tstart, Tstop,
status) ~ age.1 + age.2 + ... + strata(trans), data = msdata)`` (mstate's way) and, with
``robust=True``, ``coxph(Surv(tstart, tstop, state) ~ age + sex, id = id, istate = ...)``
(survival's multi-state Cox model, robust variance by patient).

The fit is :func:`ctcstats.survival.cox.fit_cox` on the assembled design — the package's one
Cox engine, with (start, stop] risk sets for clock-forward data (left truncation at the entry
into each state) and right-censored times for clock-reset data. This module only builds the
design and labels the terms; :func:`ctcstats.multistate.transition_probabilities` turns the
fit into predictions.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar, Literal

import numpy as np
import pandas as pd

from .._results import Result, result
from .._validation import check_choice, check_conf_level, check_numeric_column, group_levels
from .._warnings import capture, emit
from ..errors import DataValidationError, ParameterError
from ..survival.cox import CoxResult, fit_cox
from ._long import prepare_long
from .transitions import TransitionMatrix

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["MultistateCoxResult", "fit_multistate_cox"]

_FUNC = "fit_multistate_cox"


@dataclasses.dataclass(frozen=True)
class Term:
    """One column of the design: where it comes from and which transitions it acts on."""

    name: str
    covariate: str | None  # None for a baseline-proportionality indicator
    level: Any = None  # category of a categorical covariate (None: numeric)
    trans: int | None = None  # transition of a specific effect / indicator; None = shared
    kind: str = "specific"  # "specific", "shared" or "baseline"


@result
class MultistateCoxResult(Result):
    """A transition-specific Cox model (see :func:`fit_multistate_cox`).

    Attributes
    ----------
    table : DataFrame
        Indexed by ``term``: ``trans`` (transition number; 0 for a shared effect), ``from``,
        ``to`` (empty for shared), ``covariate``, then ``coef, std_error, hr, ci_lower,
        ci_upper, z, p_value`` as :func:`~ctcstats.survival.cox.fit_cox` (plus
        ``std_error_naive`` with ``robust=True``). Terms: ``<term>.<trans>`` for
        transition-specific effects (``dtc_positive.1``, ``grade[G3].2``), ``<term>`` for
        shared ones, ``trans[<k>]`` for the log ratio of transition ``k``'s baseline hazard to
        that of the first transition of its shared-baseline group.
    covariance : DataFrame
        Variance matrix of ``coef`` (robust with ``robust=True``).
    baselines : DataFrame
        ``trans, from, to, stratum``: which baseline hazard each transition uses.
    loglik, loglik_null, lr_statistic, lr_df, lr_p_value : float
    n_obs : int
        Patients. ``n_events`` transitions observed; ``n_rows`` rows of the long table.
    clock : str
    ties : str
    robust : bool
    conf_level : float
    warnings : tuple of str
    """

    _title: ClassVar[str] = "Multi-state Cox model (transition-specific)"

    table: pd.DataFrame
    covariance: pd.DataFrame
    baselines: pd.DataFrame
    loglik: float
    loglik_null: float
    lr_statistic: float
    lr_df: float
    lr_p_value: float
    n_obs: int
    n_events: int
    n_rows: int
    n_dropped: int = 0
    clock: str = "forward"
    ties: str = "efron"
    robust: bool = False
    conf_level: float = 0.95
    warnings: tuple[str, ...] = ()
    _cox: Any = dataclasses.field(default=None, repr=False)
    _terms: tuple = dataclasses.field(default=(), repr=False)
    _transitions: Any = dataclasses.field(default=None, repr=False)
    _design: dict = dataclasses.field(default_factory=dict, repr=False)

    @property
    def transitions(self) -> TransitionMatrix:
        return self._transitions

    @property
    def cox(self) -> CoxResult:
        """The underlying :class:`~ctcstats.survival.cox.CoxResult` (stacked data)."""
        return self._cox

    def _summary_frames(self) -> list[tuple[str, pd.DataFrame]]:
        return [("table", self.table), ("baselines", self.baselines)]

    def plot(self, ax: Axes | None = None, **kwargs: Any) -> Axes:
        """Forest plot of the hazard ratios (as :meth:`CoxResult.plot`)."""
        from ..plotting.cox import plot_cox_forest

        return plot_cox_forest(self, ax=ax, **kwargs)


# --------------------------------------------------------------------------- arguments
def _specific(covariates, tm: TransitionMatrix | None) -> list[tuple[str, list[int]]]:
    """``covariates`` → [(column, transitions)] for transition-specific effects."""
    if covariates is None:
        return []
    if isinstance(covariates, Mapping) and tm is not None:
        all_k = list(range(1, tm.n_transitions + 1))
        out = []
        for c, ks in covariates.items():
            if isinstance(ks, str) and ks == "all":
                ks = all_k
            if isinstance(ks, (int, np.integer)) or isinstance(ks, str) or not isinstance(
                    ks, Sequence):
                raise ParameterError(
                    f"The 'covariates' parameter of {_FUNC} maps {c!r} to {ks!r}; give a list "
                    f"of transition numbers (1..{tm.n_transitions}) or 'all'."
                )
            ks = list(ks)
            bad = [k for k in ks if not isinstance(k, (int, np.integer)) or not
                   1 <= k <= tm.n_transitions]
            if bad or len(set(ks)) != len(ks) or not ks:
                raise ParameterError(
                    f"The 'covariates' parameter of {_FUNC} maps {c!r} to {ks!r}; transition "
                    f"numbers must be distinct whole numbers in 1..{tm.n_transitions}."
                )
            out.append((c, sorted(int(k) for k in ks)))
        return out
    if isinstance(covariates, str) or not isinstance(covariates, Sequence):
        raise ParameterError(
            f"The 'covariates' parameter of {_FUNC} must be a list of column names or a "
            f"mapping column → transitions; got {covariates!r}"
            + (f" (write [{covariates!r}])." if isinstance(covariates, str) else ".")
        )
    if tm is None:  # only the type was being checked
        return []
    return [(c, list(range(1, tm.n_transitions + 1))) for c in covariates]


def _shared(shared_covariates) -> list[str]:
    if shared_covariates is None:
        return []
    if isinstance(shared_covariates, str) or not isinstance(shared_covariates, Sequence):
        raise ParameterError(
            f"The 'shared_covariates' parameter of {_FUNC} must be a list of column names; got "
            f"{shared_covariates!r}"
            + (f" (write [{shared_covariates!r}])." if isinstance(shared_covariates, str)
               else ".")
        )
    return list(shared_covariates)


def _baseline_groups(shared_baselines, tm: TransitionMatrix) -> list[list[int]]:
    """Groups of transitions sharing a baseline hazard, every transition in exactly one."""
    K = tm.n_transitions
    if shared_baselines is None:
        return [[k] for k in range(1, K + 1)]
    if isinstance(shared_baselines, str):
        check_choice(shared_baselines, name="shared_baselines", choices=("to",), func=_FUNC)
        groups: dict[int, list[int]] = {}
        for k, (_, b) in enumerate(tm.pairs, start=1):
            groups.setdefault(b, []).append(k)
        return list(groups.values())
    if not isinstance(shared_baselines, Sequence):
        raise ParameterError(
            f"The 'shared_baselines' parameter of {_FUNC} must be None, 'to' or a list of "
            f"groups of transition numbers (e.g. [[2, 3]]); got {shared_baselines!r}."
        )
    seen: list[int] = []
    groups_l: list[list[int]] = []
    for grp in shared_baselines:
        if isinstance(grp, (str, int, np.integer)) or not isinstance(grp, Sequence):
            raise ParameterError(
                f"The 'shared_baselines' parameter of {_FUNC} must be a list of groups (lists) "
                f"of transition numbers, e.g. [[2, 3]]; got {shared_baselines!r}."
            )
        g = list(grp)
        if any(not isinstance(k, (int, np.integer)) or not 1 <= k <= K for k in g):
            raise ParameterError(
                f"The 'shared_baselines' parameter of {_FUNC} names transitions outside "
                f"1..{K}: {g!r}."
            )
        seen.extend(int(k) for k in g)
        groups_l.append([int(k) for k in g])
    if len(set(seen)) != len(seen):
        raise ParameterError(
            f"The 'shared_baselines' parameter of {_FUNC} puts a transition in two groups: "
            f"{shared_baselines!r}."
        )
    groups_l += [[k] for k in range(1, K + 1) if k not in seen]
    return sorted((sorted(g) for g in groups_l), key=lambda g: g[0])


def _covariate_terms(frame: pd.DataFrame, col: str) -> list[tuple[str, Any, np.ndarray]]:
    """(term name, level, values) of one covariate: numeric as is, categorical as indicators
    against its first level (the same coding as :func:`ctcstats.fit_cox`)."""
    s = frame[col]
    if pd.api.types.is_numeric_dtype(s) or pd.api.types.is_bool_dtype(s):
        x = check_numeric_column(frame, col, role="covariate")
        return [(str(col), None, x)]
    levels = group_levels(s)
    if len(levels) < 2:
        raise DataValidationError(
            f"covariate {col!r} has a single level ({levels[0]!r}); its effect cannot be "
            "estimated — remove it."
        )
    vals = s.to_numpy(dtype=object)
    return [(f"{col}[{lev}]", lev, (vals == lev).astype(float)) for lev in levels[1:]]


# --------------------------------------------------------------------------- public API
def fit_multistate_cox(
    data: Any,
    *,
    covariates: Sequence[str] | Mapping[str, Sequence[int] | str] | None = None,
    shared_covariates: Sequence[str] | None = None,
    shared_baselines: Literal["to"] | Sequence[Sequence[int]] | None = None,
    transitions: TransitionMatrix | None = None,
    id_col: str | None = None,
    ties: Literal["efron", "breslow"] = "efron",
    robust: bool = False,
    conf_level: float = 0.95,
    missing: Literal["raise", "drop"] = "raise",
) -> MultistateCoxResult:
    """Cox model with transition-specific baseline hazards and covariate effects.

    Parameters
    ----------
    data : MultistateData or DataFrame
        From :func:`multistate_data` (clock-forward: (start, stop] rows, left-truncated at
        the entry into each state — a Markov model; clock-reset: time since entering the
        state — a semi-Markov model), or a long DataFrame with ``transitions`` and ``id_col``.
    covariates : list of str or mapping, optional
        Patient-level columns with an effect specific to each transition (mstate's
        ``expand.covs``), or a mapping ``{column: [transition numbers]}`` to give a column an
        effect on some transitions only (e.g. ``{"grade": [1, 2]}``; ``"all"`` for every
        transition). Categorical columns become ``col[level]`` terms.
    shared_covariates : list of str, optional
        Patient-level columns with one effect common to all transitions.
    shared_baselines : None, "to" or list of lists of int, optional
        Transitions that share one baseline hazard (proportional baselines): ``None`` —
        every transition has its own (``strata(trans)``); ``"to"`` — transitions into the
        same state share one (``strata(to)``); or explicit groups such as ``[[2, 3]]``. Each
        transition but the first of a group gets a term ``trans[<k>]``, the log ratio of its
        baseline hazard to the first's (mstate's ``pr`` covariate).
    transitions, id_col
        Only for a long DataFrame.
    ties : {"efron", "breslow"}, default "efron"
        R coxph's default is Efron; mstate's examples use Breslow.
    robust : bool, default False
        Robust (sandwich) variance clustered on patient — what ``coxph(..., id = id)`` for
        multi-state data reports. The model-based variance is what ``mstate::msfit`` uses
        on a ``coxph`` fit without ``cluster``.
    conf_level : float, default 0.95
    missing : {"raise", "drop"}
        ``"drop"`` removes every row of a patient with a missing value.

    Returns
    -------
    MultistateCoxResult
        ``table`` (``trans, from, to, covariate, coef, std_error, hr, ci_lower, ci_upper, z,
        p_value``), ``covariance``, ``baselines``, log-likelihoods, ``.plot()``; predictions
        with :func:`transition_probabilities`.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> import ctcstats as cs
    >>> df = cs.simulate_cohort("braun2005", n=600, rng=1)
    >>> df["relapse"] = ((df.dfs_event == 1) & (df.dfs_months < df.os_months)).astype(int)
    >>> ms = cs.multistate_data(df, transitions=cs.illness_death_transitions(
    ...         ("disease_free", "relapse", "death")),
    ...     state_time_cols={"relapse": "dfs_months", "death": "os_months"},
    ...     state_event_cols={"relapse": "relapse", "death": "os_event"}, id_col="patient_id",
    ...     covariates=["dtc_positive", "node_positive"])
    >>> fit = cs.fit_multistate_cox(ms, covariates={"dtc_positive": [1, 3]},
    ...                             shared_covariates=["node_positive"])
    >>> list(fit.table.index)
    ['dtc_positive.1', 'dtc_positive.3', 'node_positive']
    """
    conf_level = check_conf_level(conf_level, func=_FUNC)
    check_choice(ties, name="ties", choices=("efron", "breslow"), func=_FUNC)
    if not isinstance(robust, (bool, np.bool_)):
        raise ParameterError(f"The 'robust' parameter of {_FUNC} must be True or False; got "
                             f"{robust!r}.")
    if isinstance(covariates, Mapping):
        spec_cols = list(covariates)
    elif isinstance(covariates, Sequence) and not isinstance(covariates, str):
        spec_cols = list(covariates)
    else:
        spec_cols = []
        if covariates is not None:
            _specific(covariates, None)  # raises the uniform message
    shared = _shared(shared_covariates)
    cols = spec_cols + shared
    if len(set(cols)) != len(cols):
        raise ParameterError(
            f"{_FUNC}: a column is named twice in covariates / shared_covariates ({cols}); "
            "give each column one kind of effect."
        )
    ld = prepare_long(data, func=_FUNC, transitions=transitions, id_col=id_col, extra=cols,
                      missing=missing)
    tm = ld.transitions
    spec = _specific(covariates, tm)
    groups = _baseline_groups(shared_baselines, tm)
    frame = ld.frame
    trans = frame["trans"].to_numpy(dtype=np.int64)
    terms, columns = _design(frame, trans, spec, shared, groups)
    if not terms:
        raise ParameterError(
            f"{_FUNC} needs at least one covariate (covariates or shared_covariates) or a "
            "shared baseline; for the model without covariates use state_probabilities."
        )
    stratum_of = {k: gi for gi, g in enumerate(groups) for k in g}
    design = pd.DataFrame(columns, index=frame.index)
    design["__start__"] = frame["start"].to_numpy(dtype=float)
    design["__stop__"] = frame["stop"].to_numpy(dtype=float)
    design["__status__"] = frame["status"].to_numpy(dtype=np.int64)
    design["__stratum__"] = np.fromiter((stratum_of[k] for k in trans), dtype=np.int64,
                                        count=trans.size)
    design["__id__"] = frame[ld.id_col].to_numpy(dtype=object)
    cox = _fit(design, [t.name for t in terms], ld.clock, ties, robust, conf_level)
    table = _label(cox.table, terms, tm)
    bl = tm.table
    bl["stratum"] = [stratum_of[k] + 1 for k in bl["trans"]]
    return MultistateCoxResult(
        table=table, covariance=cox.covariance, baselines=bl, loglik=cox.loglik,
        loglik_null=cox.loglik_null, lr_statistic=cox.lr_statistic, lr_df=cox.lr_df,
        lr_p_value=cox.lr_p_value, n_obs=ld.n_patients, n_events=cox.n_events,
        n_rows=ld.n_rows, n_dropped=ld.n_dropped, clock=ld.clock, ties=ties,
        robust=bool(robust), conf_level=conf_level, warnings=cox.warnings, _cox=cox,
        _terms=tuple(terms), _transitions=tm,
        _design={"X": design[[t.name for t in terms]].to_numpy(dtype=float),
                 "start": design["__start__"].to_numpy(), "stop": design["__stop__"].to_numpy(),
                 "status": design["__status__"].to_numpy(),
                 "stratum": design["__stratum__"].to_numpy(),
                 "stratum_of": stratum_of, "levels": _levels(frame, cols)},
    )


def _design(frame, trans, spec, shared, groups):
    terms: list[Term] = []
    columns: dict[str, np.ndarray] = {}
    cache: dict[str, list] = {}

    def covterms(c):
        if c not in cache:
            cache[c] = _covariate_terms(frame, c)
        return cache[c]

    for c, ks in spec:
        for name, level, x in covterms(c):
            for k in ks:
                t = Term(f"{name}.{k}", c, level, k, "specific")
                terms.append(t)
                columns[t.name] = np.where(trans == k, x, 0.0)
    for c in shared:
        for name, level, x in covterms(c):
            terms.append(Term(name, c, level, None, "shared"))
            columns[name] = x
    for g in groups:
        for k in g[1:]:
            t = Term(f"trans[{k}]", None, None, k, "baseline")
            terms.append(t)
            columns[t.name] = (trans == k).astype(float)
    names = [t.name for t in terms]
    if len(set(names)) != len(names):
        raise DataValidationError(f"{_FUNC}: two terms have the same name ({names}); rename "
                                  "the covariates.")
    return terms, columns


def _levels(frame, cols) -> dict[str, list | None]:
    out: dict[str, list | None] = {}
    for c in cols:
        s = frame[c]
        numeric = pd.api.types.is_numeric_dtype(s) or pd.api.types.is_bool_dtype(s)
        out[c] = None if numeric else group_levels(s)
    return out


def _fit(design, names, clock, ties, robust, conf_level) -> CoxResult:
    kw: dict[str, Any] = dict(time_col="__stop__", event_col="__status__", covariates=names,
                              strata_col="__stratum__", ties=ties, conf_level=conf_level)
    if robust:
        kw["cluster_col"] = "__id__"
    if clock == "forward" and (design["__start__"] > 0).any():
        kw["start_col"] = "__start__"
    with capture() as caught:
        cox = fit_cox(design, **kw)
    emit(caught, stacklevel=3)  # re-issued from here, same class (also recorded on cox)
    return cox


def _label(tab: pd.DataFrame, terms: list[Term], tm: TransitionMatrix) -> pd.DataFrame:
    tr = tm.table.set_index("trans")
    info = pd.DataFrame({
        "trans": [t.trans if t.trans is not None else 0 for t in terms],
        "from": [tr.loc[t.trans, "from"] if t.trans is not None else "" for t in terms],
        "to": [tr.loc[t.trans, "to"] if t.trans is not None else "" for t in terms],
        "covariate": [t.covariate if t.covariate is not None else "(baseline)" for t in terms],
    }, index=pd.Index([t.name for t in terms], name="term"))
    info["trans"] = info["trans"].astype(np.int64)
    return pd.concat([info, tab], axis=1)
