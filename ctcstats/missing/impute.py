"""Multiple imputation of missing covariates for a Cox analysis: :func:`impute`.

``method="smcfcs"`` (default) is substantive-model-compatible fully conditional
specification for the Cox model (Bartlett et al. 2015; R ``smcfcs``); ``method="fcs"`` is
chained equations with the event indicator and the Nelson–Aalen cumulative hazard as
predictors (White & Royston 2009; R ``mice``). The chains are in :mod:`._chains`, the
covariate models in :mod:`._conditional`. The completed data sets are analysed and pooled
with :func:`ctcstats.missing.pool`.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar, Literal

import numpy as np
import pandas as pd

from .._results import Result, result
from .._typing import DaskClient, RandomState
from .._validation import (
    check_choice,
    check_dataframe,
    check_event_codes,
    check_event_column,
    check_int,
    check_positive_column,
    check_rng,
    check_time_column,
    design_matrix,
    group_levels,
    is_categorical,
)
from ..batch.parallel import run_chunks
from ..errors import CTCStatsWarning, DataValidationError, ParameterError
from ._chains import DISCRETE, ChainSpec, Var, fcs_chain, smcfcs_chain
from ._multilevel import MIN_DF, TWO_STAGE_KINDS, viable
from ._multilevel_cat import CAT_KINDS, viable_cat
from ._terms import CoxModelSpec, derived_terms, term_columns
from .diagnostics import missing_pattern, missing_table

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["ImputationResult", "impute"]

KINDS = ("continuous", "binary", "ordinal", "categorical", "count")
MAX_ORDINAL_LEVELS = 5  # numeric whole-number columns with at most this many values


# =========================================================================== result
@result
class ImputationResult(Result):
    """Multiply imputed data sets (see :func:`impute`).

    ``datasets`` is a tuple of completed copies of the input (same rows, index and columns);
    ``missing`` has ``variable, n_missing, percent`` (covariates and auxiliary variables);
    ``methods`` has ``variable, type, model, role, n_missing``; ``pattern`` the missingness
    patterns (one 0/1 column per variable, 1 = observed, and ``n_patients, n_missing``);
    ``traces`` has ``variable, imputation, iteration, statistic, value`` (mean and SD of the
    imputed values after each cycle of each chain). ``model_covariates`` are the columns of
    the substantive model in the completed data sets (derived ``terms`` expanded), to pass
    as ``covariates`` of :func:`ctcstats.fit_cox`.
    """

    _title: ClassVar[str] = "Multiple imputation"

    datasets: tuple[pd.DataFrame, ...]
    missing: pd.DataFrame
    methods: pd.DataFrame
    pattern: pd.DataFrame
    traces: pd.DataFrame
    method: str
    n_imputations: int
    n_iter: int
    seed: int
    n_obs: int
    n_dropped: int = 0
    warnings: tuple[str, ...] = ()
    model_covariates: tuple[str, ...] = ()
    _masks: dict | None = None  # variable -> bool array of missing rows (positions)

    def _summary_frames(self) -> list[tuple[str, pd.DataFrame]]:
        return [("missing", self.missing), ("methods", self.methods)]

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe summary; the completed data sets (patient-level rows) are left out."""
        out = super().to_dict()
        out["datasets"] = f"{len(self.datasets)} completed data sets (not exported)"
        return out

    def observed_vs_imputed(self, variable: str, *, max_imputations: int | None = None
                            ) -> pd.DataFrame:
        """Long table ``source, imputation, value``: the observed values of ``variable``
        (``source="observed"``, imputation 0) and its imputed values in each data set."""
        masks = self._masks or {}
        if variable not in masks:
            raise ParameterError(
                f"The 'variable' parameter of observed_vs_imputed must be one of the imputed "
                f"variables ({', '.join(masks)}); got {variable!r}.")
        m = masks[variable]
        k = len(self.datasets) if max_imputations is None else min(max_imputations,
                                                                   len(self.datasets))
        first = self.datasets[0][variable]
        parts = [pd.DataFrame({"source": "observed", "imputation": 0,
                               "value": first.to_numpy()[~m]})]
        for j in range(k):
            parts.append(pd.DataFrame({"source": "imputed", "imputation": j + 1,
                                       "value": self.datasets[j][variable].to_numpy()[m]}))
        return pd.concat(parts, ignore_index=True)

    def plot(self, ax: Axes | None = None, **kwargs: Any) -> Axes:
        """Missingness pattern plot (R ``mice::md.pattern``)."""
        return self.plot_pattern(ax=ax, **kwargs)

    def plot_pattern(self, ax: Axes | None = None, **kwargs: Any) -> Axes:
        """Missingness patterns as a grid; see :func:`~ctcstats.plotting.missing.plot_missing_pattern`."""
        from ..plotting.missing import plot_missing_pattern

        return plot_missing_pattern(self.pattern, ax=ax, **kwargs)

    def plot_distributions(self, variable: str, ax: Axes | None = None, **kwargs: Any) -> Axes:
        """Observed vs imputed values of ``variable`` (seaborn densities or bars)."""
        from ..plotting.missing import plot_imputed_distributions

        self.observed_vs_imputed(variable, max_imputations=1)  # validates the name
        return plot_imputed_distributions(self, variable, ax=ax, **kwargs)

    def plot_traces(self, variable: str, ax: Axes | None = None, *, statistic: str = "mean",
                    **kwargs: Any) -> Axes:
        """Convergence traces of ``variable`` over the cycles of every chain."""
        from ..plotting.missing import plot_imputation_traces

        self.observed_vs_imputed(variable, max_imputations=1)
        check_choice(statistic, name="statistic", choices=("mean", "sd"),
                     func="plot_traces")
        return plot_imputation_traces(self, variable, ax=ax, statistic=statistic, **kwargs)


# =========================================================================== validation
def _columns(data: pd.DataFrame, cols, role: str, func: str) -> list[str]:
    if cols is None:
        return []
    if isinstance(cols, str) or not isinstance(cols, Sequence):
        raise ParameterError(
            f"The {role!r} parameter of {func} must be a list of column names; got {cols!r}"
            + (f" (write [{cols!r}])." if isinstance(cols, str) else "."))
    cols = list(cols)
    for c in cols:
        if c not in data.columns:
            avail = ", ".join(repr(x) for x in list(data.columns)[:12])
            raise DataValidationError(
                f"{role} {c!r} is not a column of data; available columns: {avail} (check "
                "the spelling or rename the column).")
    return cols


def _kind(s: pd.Series, name: str, override: str | None) -> str:
    obs = s.dropna()
    if override is not None:
        check_choice(override, name=f"types[{name!r}]", choices=KINDS, func="impute")
        if override in ("continuous", "count") and is_categorical(s):
            raise DataValidationError(
                f"covariate {name!r} holds text or categories but types says {override!r}; "
                "convert it to numbers first or declare it 'binary', 'ordinal' or "
                "'categorical'.")
        if override == "count":
            x = obs.to_numpy(dtype=float)
            bad = (x < 0) | (x != np.round(x))
            if bad.any():
                raise DataValidationError(
                    f"count covariate {name!r} has {int(bad.sum())} values that are not "
                    f"whole numbers >= 0 (e.g. {x[bad][0]:g}); counts must be whole numbers "
                    "— use volume_col for the sampled volume.")
        if override == "binary" and obs.nunique() != 2:
            raise DataValidationError(
                f"covariate {name!r} is declared binary but has {obs.nunique()} observed "
                "levels; declare it 'ordinal' or 'categorical'.")
        return override
    if obs.nunique() == 2 or pd.api.types.is_bool_dtype(obs):
        return "binary"
    if is_categorical(s):
        if isinstance(s.dtype, pd.CategoricalDtype) and s.dtype.ordered:
            return "ordinal"
        return "categorical"
    x = obs.to_numpy(dtype=float)
    if obs.nunique() <= MAX_ORDINAL_LEVELS and np.all(x == np.round(x)):
        # a few whole-number codes (grade 1/2/3, stage): imputed values stay codes
        return "ordinal"
    return "continuous"


def _var(data: pd.DataFrame, name: str, kind: str, in_model: bool, family: str) -> Var:
    s = data[name]
    obs_mask = s.notna().to_numpy()
    if not obs_mask.any():
        raise DataValidationError(
            f"covariate {name!r} is missing in every row; it cannot be imputed — remove it.")
    # the observed values must make a valid model term, as fit_cox will need (numbers stored
    # as text, a constant column, a single level are named here, before any imputation)
    design_matrix(data.loc[obs_mask, [name]], [name], func="impute")
    numeric = not is_categorical(s)
    x = np.full(len(s), np.nan)
    levels = None
    if kind in DISCRETE:
        levels_list = group_levels(s.dropna())
        if len(levels_list) < 2:
            raise DataValidationError(
                f"covariate {name!r} has a single observed level ({levels_list[0]!r}); its "
                "effect cannot be estimated — remove it from covariates.")
        if isinstance(s.dtype, pd.CategoricalDtype):
            cats = list(s.cat.categories)
            levels_list = [c for c in cats if c in set(levels_list)]
        levels = np.array(levels_list, dtype=float if numeric else object)
        lookup = {lev: k for k, lev in enumerate(levels_list)}
        vals = s.to_numpy(dtype=object)
        x[obs_mask] = [lookup[v] for v in vals[obs_mask]]
    else:
        vals = pd.to_numeric(s, errors="coerce").to_numpy(dtype=float)
        bad = obs_mask & ~np.isfinite(vals)
        if bad.any():
            raise DataValidationError(
                f"covariate {name!r} has {int(bad.sum())} non-numeric or infinite values "
                f"(first row labels: {list(s.index[bad][:5])}); fix them or declare the "
                "column categorical in types.")
        x[obs_mask] = vals[obs_mask]
        if kind == "count" and not numeric:
            numeric = True
    return Var(name=name, kind=kind, x=x, levels=levels, numeric=numeric, in_model=in_model,
               family=family)


def _study_var(data: pd.DataFrame, study_col: str, variables: list[Var],
               study_model: str = "fixed") -> Var:
    """The study as a complete categorical variable of the Cox and covariate models; a
    covariate missing for a whole study (systematically missing) is refused with
    ``study_model="fixed"``."""
    s = data[study_col]
    levels = group_levels(s)
    if len(levels) < 2:
        raise DataValidationError(f"study_col {study_col!r} has a single study "
                                  f"({levels[0]!r}); leave study_col out.")
    lookup = {lev: k for k, lev in enumerate(levels)}
    codes = np.array([lookup[v] for v in s.to_numpy(dtype=object)], dtype=float)
    for v in variables:
        for k, lev in enumerate(levels):
            rows = codes == k
            if not v.miss[rows].all():
                continue
            where = (f"covariate {v.name!r} is missing for every patient of study {lev!r} "
                     f"(study_col {study_col!r})")
            if study_model == "fixed":
                raise DataValidationError(
                    f"{where}: a study fixed effect cannot be estimated there — impute with "
                    "study_model='random' (study-level random-effects imputation models), "
                    "or analyse that study without the covariate, or leave the study out.")
    return Var(name=study_col, kind="categorical", x=codes,
               levels=np.array(levels, dtype=object), numeric=False, in_model=True)


def _strata_var(data: pd.DataFrame, strata_col: str, variables: list[Var]) -> Var:
    """The strata of a stratified Cox model: a complete categorical predictor of the
    covariate models, not a term of the Cox model (its baseline hazards differ instead)."""
    s = data[strata_col]
    levels = group_levels(s)
    if len(levels) < 2:
        raise DataValidationError(f"strata_col {strata_col!r} has a single stratum "
                                  f"({levels[0]!r}); leave strata_col out.")
    lookup = {lev: k for k, lev in enumerate(levels)}
    codes = np.array([lookup[v] for v in s.to_numpy(dtype=object)], dtype=float)
    for v in variables:
        for k, lev in enumerate(levels):
            if v.miss[codes == k].all():
                raise DataValidationError(
                    f"covariate {v.name!r} is missing for every patient of stratum {lev!r} "
                    f"(strata_col {strata_col!r}); its distribution there cannot be "
                    "estimated — merge that stratum with another or leave it out.")
    return Var(name=strata_col, kind="categorical", x=codes,
               levels=np.array(levels, dtype=object), numeric=False, in_model=False)


def _canonical_order(time, event, variables: list[Var]) -> np.ndarray:
    keys = [np.nan_to_num(v.x, nan=np.inf) for v in reversed(variables)]
    return np.lexsort(keys + [event, time])


def _restore(data: pd.DataFrame, v: Var, filled: np.ndarray) -> pd.Series:
    """The completed column in the user's dtype (categories, labels, integers kept)."""
    s = data[v.name]
    if v.kind in DISCRETE:
        vals = v.level_values[filled.astype(int)]
        if isinstance(s.dtype, pd.CategoricalDtype):
            return pd.Series(pd.Categorical(vals, categories=s.cat.categories,
                                            ordered=s.dtype.ordered), index=s.index)
        if pd.api.types.is_bool_dtype(s.dropna()) and not pd.api.types.is_numeric_dtype(s):
            return pd.Series(vals.astype(bool), index=s.index)
        if v.numeric:
            vals = vals.astype(float)
            if pd.api.types.is_integer_dtype(s.dtype) or pd.api.types.is_bool_dtype(s.dtype):
                return pd.Series(vals.astype(s.dtype.numpy_dtype
                                             if hasattr(s.dtype, "numpy_dtype") else s.dtype),
                                 index=s.index)
        return pd.Series(vals, index=s.index, dtype=object if not v.numeric else float)
    if pd.api.types.is_integer_dtype(s.dtype):
        return pd.Series(filled.astype("int64"), index=s.index)
    return pd.Series(filled, index=s.index)


# =========================================================================== impute
def impute(
    data: pd.DataFrame,
    *,
    time_col: str,
    event_col: str,
    covariates: Sequence[str],
    n_imputations: int = 20,
    method: Literal["smcfcs", "fcs"] = "smcfcs",
    auxiliary: Sequence[str] | None = None,
    types: dict[str, str] | None = None,
    count_model: Literal["poisson", "negbin"] = "poisson",
    volume_col: str | None = None,
    n_iter: int = 10,
    rejection_limit: int = 1000,
    competing_risks: bool = False,
    study_col: str | None = None,
    study_model: Literal["fixed", "random"] = "fixed",
    draw_between: Literal["point", "posterior"] = "point",
    terms: Mapping[str, Callable[[Mapping[str, np.ndarray]], Any]] | None = None,
    strata_col: str | None = None,
    continuous_model: Literal["norm", "pmm"] = "norm",
    donors: int = 5,
    rng: RandomState = None,
    n_jobs: int = 1,
    client: DaskClient = None,
) -> ImputationResult:
    """Multiple imputation of missing covariates for a Cox model of ``time_col, event_col``.

    ``method="smcfcs"`` (default): substantive-model-compatible fully conditional
    specification (Bartlett, Seaman, White & Carpenter 2015), as R
    ``smcfcs::smcfcs(smtype = "coxph")``: every missing covariate is drawn from its
    conditional distribution given the other covariates *and the outcome under the Cox model
    of* ``covariates`` (rejection sampling for continuous covariates and counts, direct
    sampling for discrete ones), so the imputations are compatible with the analysis model.
    ``method="fcs"``: chained equations as R ``mice`` with the event indicator and the
    Nelson–Aalen cumulative hazard H(T) as predictors (White & Royston 2009) — valid when
    the Cox model is close to linear in the covariates and effects are moderate; smcfcs is
    preferred for interactions, non-linear terms and strong effects.

    Covariate models by type (``types`` overrides the detection): ``continuous`` normal
    linear regression; ``binary`` logistic; ``ordinal`` proportional odds; ``categorical``
    multinomial logistic; ``count`` Poisson or negative binomial (``count_model``) with
    ``log(volume_col)`` as offset — always with a draw of the model's parameters. Where a
    binary or categorical model shows perfect prediction (a level never seen with some
    predictor value: no convergence, or a fitted probability below 1e-8), its estimates
    drift to infinity and a draw of them puts patients on an arbitrary side, often on the
    level never seen; the model is then refitted on R mice's augmented data (White, Daniel &
    Royston 2010: weighted pseudo-observations worth p + 1 patients) and ``warnings`` says
    so (R smcfcs has no such remedy; mice's ``logreg``/``polyreg`` always augment).
    Detection:
    two observed values → binary; an ordered pandas Categorical, or numbers with 3–5
    distinct whole values (grade 1/2/3) → ordinal; other text or categories → categorical;
    other numbers → continuous (declare counts in ``types``). A numeric column still enters
    the Cox model linearly, as :func:`ctcstats.fit_cox` codes it.
    Each chain starts from random draws of the observed values and runs ``n_iter`` cycles;
    imputation k is the end of chain k.

    Parameters
    ----------
    data : DataFrame
        One row per patient; covariates may have missing values (NaN/None), the outcome not.
    time_col, event_col : str
        Follow-up time and event indicator (0/1), complete.
    covariates : list of str
        The covariates of the Cox model to be fitted afterwards (the substantive model),
        coded as :func:`ctcstats.fit_cox` codes them: numeric columns linear, text or
        categorical columns as indicators.
    n_imputations : int
        Number of imputed data sets m.
    method : {"smcfcs", "fcs"}
    auxiliary : list of str, optional
        Extra variables used as predictors in the covariate models (imputed themselves if
        incomplete) but not in the Cox model.
    types : dict, optional
        Variable → ``"continuous"``, ``"binary"``, ``"ordinal"``, ``"categorical"`` or
        ``"count"``.
    count_model : {"poisson", "negbin"}
        Model for ``count`` variables.
    volume_col : str, optional
        Sampled volume (e.g. blood mL) of the count variables: log-exposure of their model.
    n_iter : int
        Cycles per chain (R smcfcs ``numit``, mice ``maxit``).
    rejection_limit : int
        Candidates tried per value in rejection sampling (smcfcs ``rjlimit``).
    study_col : str, optional
        Pooled data: the study (complete). It enters every covariate model and the Cox model
        as a fixed effect (indicators against the first study, as R ``smcfcs`` with
        ``+ study`` in the formula), so fit the analysis model with the study among the
        covariates (or as ``strata_col``, approximately compatible). A covariate missing for
        every patient of a study (systematically missing) needs ``study_model="random"``.
    study_model : {"fixed", "random"}
        How the study enters the covariate models (with ``study_col``). ``"fixed"``
        (default): indicators, as above; systematically missing covariates are refused.
        ``"random"``: every incomplete variable — continuous, binary, ordinal, categorical
        and count — gets a two-stage random-effects model (Resche-Rigon & White 2018; R
        ``micemd::mice.impute.2l.2stage.norm`` / ``.bin`` / ``.pois``; a count's per-study
        model keeps ``log(volume_col)`` as offset, which micemd's Poisson method lacks —
        without ``volume_col`` the two agree; with ``count_model="negbin"`` each study's
        model is a negative binomial as ``MASS::glm.nb``, whose log dispersions are pooled
        across studies like the coefficients, a model micemd does not have): its
        coefficients vary between studies, are estimated per study, pooled by the
        multivariate method of moments and drawn per study — from the study's posterior
        where it has observed values, from the estimated between-study distribution where it
        is systematically missing (details in ``ctcstats/missing/_multilevel.py``). An
        ordinal variable has a proportional-odds model per study whose location (a shift of
        all cut-points) and slopes are random and whose cut-point spacing is common (so a
        study lacking some levels keeps its own model); a categorical one a multinomial
        logit per study, its K - 1 equations pooled jointly (details in
        ``ctcstats/missing/_multilevel_cat.py``; R has no two-stage method for either —
        the tests compare with R ``jomo``'s joint multilevel model). In
        smcfcs the drawn values are then accepted or rejected (discrete ones weighted) under
        the Cox model, which keeps the study as a fixed effect; in FCS the event indicator
        and Nelson–Aalen H(T) are predictors with study-specific coefficients. Needs at
        least two studies
        with enough observed values per variable; a study with too few (or, for a binary or
        categorical variable, lacking a level) is imputed as systematically missing (a
        recorded warning).
    draw_between : {"point", "posterior"}
        ``study_model="random"``: the between-study covariance Psi of the two-stage models
        at its method-of-moments estimate (``"point"``, default, as micemd's
        ``method_est = "mm"``), or drawn in every cycle from its approximate posterior
        (``"posterior"``: a short Gibbs sampler with a weak inverse-Wishart prior, then the
        pooled mean given the drawn Psi), which carries the uncertainty of Psi — large with
        few studies — into the imputations. See docs/simulations/multilevel_imputation.md
        for the coverage of both with 5 and 8 studies.
    terms : dict of str -> callable, optional
        Derived terms of the substantive model — squares, splines, transformations,
        interactions of incomplete covariates, as R ``smcfcs``'s *passive variables*. Each
        callable receives a mapping column name -> numpy array (numbers as floats, labels as
        objects) and returns one value per row, or an (n, k) array for k columns (a spline
        basis: :func:`ctcstats.missing.rcs_term`). A term enters the Cox model where its name
        stands in ``covariates``; the columns it reads (found by calling it once) are imputed
        — as covariates even when not listed — and every cycle recomputes the term from the
        current values, including inside rejection and direct sampling, so the imputations
        are compatible with the analysis model (``method="smcfcs"``; with ``"fcs"`` the
        terms are only recomputed from the imputed values, mice's passive imputation). The
        completed data sets get the term as column ``name`` (or ``name_1..name_k``);
        ``result.model_covariates`` lists the Cox model's columns for ``pool``. Fix any
        data-dependent constant (spline knots) once, outside the callable.
    strata_col : str, optional
        Stratified substantive model: one Cox model with a separate baseline hazard per
        stratum (complete column), as ``fit_cox(strata_col=...)``; smcfcs evaluates each
        patient's outcome density with the Breslow cumulative hazard of the patient's
        stratum. The stratum is also a categorical predictor of every covariate model.
        (R ``smcfcs`` 1.7.1 does not take ``strata()`` in a Cox ``smformula``; this is
        verified by simulation — tests/missing/test_impute_strata.py.)
    continuous_model : {"norm", "pmm"}
        Model for ``continuous`` variables with ``method="fcs"``: ``"norm"`` (normal linear
        regression, mice ``norm``) or ``"pmm"`` — predictive mean matching as mice's default
        ``pmm`` (type-1 matching: observed rows predicted at the estimate, missing rows at
        the drawn coefficients; the value of one of the ``donors`` closest observed rows,
        drawn at random), so imputed values are always observed ones (skewed or bounded
        covariates keep their shape). smcfcs always uses the normal model.
    donors : int
        Donor pool of predictive mean matching (mice ``donors = 5``).
    competing_risks : bool
        ``event_col`` holds event codes 0 = censored, 1..k = causes; the substantive model is
        then one cause-specific Cox model per cause (as ``smcfcs(smtype = "compet")``), and
        FCS uses each cause's indicator and Nelson–Aalen cumulative hazard.
    rng : int, Generator or None
        Seed; the same seed gives the same data sets (also with ``n_jobs > 1``).
    n_jobs, client
        Run the chains in parallel (joblib processes or a dask ``Client``).

    Returns
    -------
    ImputationResult
        ``datasets`` (m completed copies of ``data``), ``missing`` (``variable, n_missing,
        percent``), ``methods`` (``variable, type, model, role, n_missing``), ``pattern``,
        ``traces`` (``variable, imputation, iteration, statistic, value``), ``method``,
        ``n_imputations``, ``n_iter``, ``seed``, ``n_obs``, ``warnings``; methods
        ``observed_vs_imputed``, ``plot_pattern``, ``plot_distributions``,
        ``plot_traces``.

    References
    ----------
    Bartlett JW, Seaman SR, White IR, Carpenter JR (2015). Multiple imputation of
    covariates by fully conditional specification: accommodating the substantive model.
    Stat Methods Med Res 24:462–487.
    White IR, Royston P (2009). Imputing missing covariate values for the Cox model. Stat
    Med 28:1982–1998.
    Resche-Rigon M, White IR (2018). Multiple imputation by chained equations for
    systematically and sporadically missing multilevel data. Stat Methods Med Res
    27:1634–1649.
    Jackson D, White IR, Riley RD (2013). A matrix-based method of moments for fitting the
    multivariate random effects model for meta-analysis and meta-regression. Biom J
    55:231–245.
    White IR, Daniel R, Royston P (2010). Avoiding bias due to perfect prediction in
    multiple imputation of incomplete categorical variables. Comput Stat Data Anal
    54:2267–2275.
    van Buuren S, Groothuis-Oudshoorn K (2011). mice: Multivariate imputation by chained
    equations in R. J Stat Softw 45(3).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> import ctcstats as cs
    >>> rng = np.random.default_rng(1)
    >>> d = pd.DataFrame({"x": rng.normal(size=300), "z": rng.binomial(1, 0.4, 300)})
    >>> t = rng.exponential(20 / np.exp(0.5 * d.x + 0.5 * d.z))
    >>> d["months"], d["event"] = np.minimum(t, 30), (t < 30).astype(int)
    >>> d.loc[rng.random(300) < 0.3, "x"] = np.nan
    >>> imp = cs.impute(d, time_col="months", event_col="event", covariates=["x", "z"],
    ...                 n_imputations=5, rng=2)
    >>> imp.missing["n_missing"].tolist()
    [76, 0]
    >>> fit = cs.pool(imp, cs.fit_cox, time_col="months", event_col="event",
    ...               covariates=["x", "z"])
    >>> fit.table["term"].tolist()
    ['x', 'z']

    A quadratic term and an interaction in the substantive model (R smcfcs passive
    variables ``x^2`` and ``x*z``):

    >>> imp2 = cs.impute(d, time_col="months", event_col="event",
    ...                  covariates=["x", "x_sq", "z", "x_z"], n_imputations=5, rng=2,
    ...                  terms={"x_sq": lambda c: c["x"] ** 2,
    ...                         "x_z": lambda c: c["x"] * c["z"]})
    >>> imp2.model_covariates
    ('x', 'x_sq', 'z', 'x_z')
    >>> fit2 = cs.pool(imp2, cs.fit_cox, time_col="months", event_col="event",
    ...                covariates=list(imp2.model_covariates))
    """
    func = "impute"
    check_dataframe(data, func=func)
    if terms is not None and not isinstance(terms, Mapping):
        raise ParameterError(
            f"The 'terms' parameter of {func} must be a dict of name -> callable (e.g. "
            "{'age_sq': lambda d: d['age'] ** 2}); got " f"{type(terms).__name__}.")
    model_names = list(covariates) if (terms and isinstance(covariates, Sequence)
                                       and not isinstance(covariates, str)) else None
    if model_names is not None and isinstance(terms, Mapping):
        covariates = [c for c in model_names if c not in terms]
    covariates = _columns(data, covariates, "covariates", func)
    if not covariates:
        raise ParameterError(f"The 'covariates' parameter of {func} must name at least one "
                             "covariate.")
    auxiliary = _columns(data, auxiliary, "auxiliary", func)
    both = sorted(set(covariates) & set(auxiliary))
    allv = covariates + auxiliary
    if both or len(set(allv)) != len(allv):
        raise ParameterError(f"{func}: a column is named twice in covariates/auxiliary "
                             f"({both or allv}).")
    check_choice(method, name="method", choices=("smcfcs", "fcs"), func=func)
    check_choice(count_model, name="count_model", choices=("poisson", "negbin"), func=func)
    check_choice(continuous_model, name="continuous_model", choices=("norm", "pmm"),
                 func=func)
    donors = check_int(donors, name="donors", func=func, minimum=1)
    if continuous_model == "pmm" and method != "fcs":
        raise ParameterError(
            f"{func}: continuous_model='pmm' (predictive mean matching) is a chained-equations "
            "method — use it with method='fcs'; smcfcs needs a normal model to sample from "
            "under the Cox model (R smcfcs has no pmm either).")
    check_choice(study_model, name="study_model", choices=("fixed", "random"), func=func)
    if study_model == "random" and study_col is None:
        raise ParameterError(f"The 'study_model' parameter of {func} is 'random' but no "
                             "study_col is given; name the study column (study_col=...).")
    check_choice(draw_between, name="draw_between", choices=("point", "posterior"), func=func)
    if not isinstance(competing_risks, bool):
        raise ParameterError(f"The 'competing_risks' parameter of {func} must be True or "
                             f"False; got {competing_risks!r}.")
    m = check_int(n_imputations, name="n_imputations", func=func, minimum=1)
    n_iter = check_int(n_iter, name="n_iter", func=func, minimum=1)
    rejection_limit = check_int(rejection_limit, name="rejection_limit", func=func, minimum=1)
    derived, extra = derived_terms(
        data, model_names or covariates, terms, outcome={time_col, event_col},
        auxiliary=auxiliary, complete={c for c in (study_col, strata_col) if c}, func=func)
    allv = covariates + extra + auxiliary
    types = dict(types or {})
    unknown = sorted(set(types) - set(allv))
    if unknown:
        raise ParameterError(f"The 'types' parameter of {func} names {unknown}, which are not "
                             "covariates or auxiliary variables.")
    gen = check_rng(rng)
    seed = int(gen.integers(2**31 - 1))
    for role, col in (("time_col", time_col), ("event_col", event_col),
                      ("volume_col", volume_col), ("study_col", study_col),
                      ("strata_col", strata_col)):
        if col is not None:
            _columns(data, [col], role, func)
            if data[col].isna().any():
                raise DataValidationError(
                    f"{role} {col!r} has {int(data[col].isna().sum())} missing values; "
                    f"{func} imputes covariates only — remove those rows (missing='drop' in "
                    "the analysis) or complete the column.")
    time = check_time_column(data, time_col)
    if competing_risks:
        event = check_event_codes(data, event_col).astype(float)
        causes = tuple(int(c) for c in np.unique(event[event > 0]))
        if not causes:
            raise DataValidationError(f"event_col {event_col!r} has no events (every code "
                                      "is 0); nothing informs the imputation model.")
    else:
        event = check_event_column(data, event_col).astype(float)
        causes = (1,)
    offset = None
    if volume_col is not None:
        offset = np.log(check_positive_column(data, volume_col, role="volume_col"))
    variables = [
        _var(data, c, kind, c not in auxiliary,
             continuous_model if kind == "continuous" else count_model)
        for c in allv for kind in [_kind(data[c], c, types.get(c))]]
    if strata_col is not None:
        if strata_col in allv or strata_col == study_col:
            raise ParameterError(f"{func}: strata_col {strata_col!r} is also among the "
                                 "covariates/auxiliary variables or study_col; name it once.")
        variables.append(_strata_var(data, strata_col, variables))
    # the study stays the last variable (ChainSpec.study, two-stage models)
    if study_col is not None:
        if study_col in allv:
            raise ParameterError(f"{func}: study_col {study_col!r} is also among the "
                                 "covariates/auxiliary variables; name it once, as study_col.")
        variables.append(_study_var(data, study_col, variables, study_model))
    two_stage = frozenset(
        i for i, v in enumerate(variables)
        if study_model == "random" and v.kind in TWO_STAGE_KINDS + CAT_KINDS
        and v.miss.any())
    if two_stage:
        _check_two_stage(variables, two_stage, 2 * len(causes) if method == "fcs" else 0)
    if offset is not None and not any(v.kind == "count" for v in variables):
        raise ParameterError(f"{func}: volume_col is the exposure of count variables; declare "
                             "the count column in types (e.g. types={'ctc_count': 'count'}).")
    names = [v.name for v in variables]
    cox = CoxModelSpec(
        plain=tuple(names.index(c) for c in (model_names or covariates) if c in names)
        + ((names.index(study_col),) if study_col is not None else ()),
        terms=tuple((t, tuple(names.index(c) for c in t.uses)) for t in derived),
        strata=None if strata_col is None else variables[names.index(strata_col)].x)
    order = _canonical_order(time, event, variables)
    spec = ChainSpec(
        method=method,
        variables=tuple(Var(v.name, v.kind, v.x[order], v.levels, v.numeric, v.in_model,
                            v.family) for v in variables),
        time=time[order], event=event[order],
        offset=None if offset is None else offset[order], n_iter=n_iter,
        rejection_limit=rejection_limit, causes=causes, donors=donors,
        draw_between=draw_between,
        study=None if study_col is None else len(variables) - 1, two_stage=two_stage,
        model=CoxModelSpec(plain=cox.plain, terms=cox.terms,
                           strata=None if cox.strata is None else cox.strata[order]))
    msgs: list[str] = []
    if not any(v.miss.any() for v in variables):
        msgs.append("no covariate has missing values; the data sets are copies of data")
    seeds = np.random.default_rng(seed).integers(2**63 - 1, size=m)
    chain = smcfcs_chain if method == "smcfcs" else fcs_chain
    out = run_chunks(_Chain(chain, spec), list(seeds), n_jobs=n_jobs, client=client,
                     caller=func, desc=func, progress=False)
    datasets: list[pd.DataFrame] = []
    trace_rows: list = []
    inverse = np.empty_like(order)
    inverse[order] = np.arange(order.size)
    for k, (imputed, rows, w) in enumerate(out, start=1):
        frame = data.copy()
        for v, vs, vals in zip(variables, spec.variables, imputed, strict=True):
            if vals.size:
                filled = vs.x.copy()
                filled[vs.miss] = vals
                frame[v.name] = _restore(data, v, filled[inverse])
        for col, vals in term_columns(frame, derived).items():
            frame[col] = vals
        datasets.append(frame)
        trace_rows.extend((name, k, it, stat, val) for name, it, stat, val in rows)
        msgs.extend(w)
    msgs = list(dict.fromkeys(msgs))
    for msg in msgs:
        warnings.warn(msg, CTCStatsWarning, stacklevel=2)
    return ImputationResult(
        datasets=tuple(datasets), missing=missing_table(data, allv),
        methods=_methods_table(variables, method, count_model, len(causes) > 1, study_col,
                               two_stage, strata_col, set(extra)),
        pattern=missing_pattern(data, allv),
        traces=pd.DataFrame(trace_rows, columns=["variable", "imputation", "iteration",
                                                 "statistic", "value"]),
        method=method, n_imputations=m, n_iter=n_iter, seed=seed, n_obs=int(len(data)),
        warnings=tuple(msgs),
        model_covariates=tuple(_model_columns(model_names or covariates, derived, study_col)),
        _masks={v.name: v.miss.copy() for v in variables})


class _Chain:
    """One chain for a seed (picklable for joblib/dask)."""

    def __init__(self, chain, spec: ChainSpec):
        self.chain = chain
        self.spec = spec

    def __call__(self, seed):
        return self.chain(self.spec, int(seed))


_MODEL = {"continuous": "normal linear", "binary": "logistic", "ordinal": "proportional odds",
          "categorical": "multinomial logistic"}


def _check_two_stage(variables: list[Var], two_stage: frozenset[int], n_outcome: int) -> None:
    """Every two-stage variable needs at least two studies able to fit its own model."""
    study = variables[-1]
    for i in sorted(two_stage):
        v = variables[i]
        q = 1 + n_outcome + sum(w.width for j, w in enumerate(variables[:-1]) if j != i)
        n_ok = 0
        for k in range(len(study.level_values)):
            obs = v.x[(study.x == k) & ~v.miss]
            if v.kind in CAT_KINDS:
                n_ok += viable_cat(v.kind, obs, q, len(v.level_values))
            else:
                n_ok += viable(v.kind, obs, q, v.family) and (v.kind != "binary"
                                                               or obs.size > q)
        if n_ok < 2:
            raise DataValidationError(
                f"covariate {v.name!r}: only {n_ok} stud{'y has' if n_ok == 1 else 'ies have'}"
                f" enough observed values for its own imputation model ({q} parameters; "
                "a continuous variable needs more than "
                f"{q + MIN_DF} observed values in a study, a binary one both levels, an "
                f"ordinal one two levels and more than {q} values, a categorical one every "
                f"category and more than {q} values per category equation, a count "
                f"more than {q} values ({q + 1} for a negative binomial), not all zero); the "
                "between-study distribution of study_model='random' needs at least two — "
                "use fewer covariates/auxiliary variables or study_model='fixed'.")


def _model_columns(names: list[str], derived, study: str | None) -> list[str]:
    by_name = {t.name: t.columns for t in derived}
    out = [c for n in names for c in by_name.get(n, [n])]
    return out + ([study] if study is not None else [])


def _methods_table(variables: list[Var], method: str, count_model: str,
                   competing: bool, study: str | None,
                   two_stage: frozenset[int] = frozenset(), strata: str | None = None,
                   in_terms: frozenset | set = frozenset()) -> pd.DataFrame:
    rows = []
    for i, v in enumerate(variables):
        n = int(v.miss.sum())
        model = _MODEL.get(v.kind, "Poisson" if count_model == "poisson"
                           else "negative binomial")
        if v.kind == "continuous" and v.family == "pmm" and i not in two_stage:
            model = "predictive mean matching"
        if i in two_stage:
            model += ", two-stage random effects by study"
            if v.kind == "ordinal":
                model += " (location and slopes; common cut-point spacing)"
        if n == 0:
            model = "(complete)"
        elif method == "smcfcs" and v.in_model:
            model += " + cause-specific Cox (smcfcs)" if competing else " + Cox (smcfcs)"
        elif method == "fcs":
            model += " on D_k, H_k(T) per cause" if competing else " on D, H(T)"
        role = ("study" if v.name == study else "strata" if v.name == strata
                else "covariate (in terms)" if v.name in in_terms
                else "covariate" if v.in_model else "auxiliary")
        rows.append({"variable": v.name, "type": v.kind, "model": model, "role": role,
                     "n_missing": n})
    return pd.DataFrame(rows, columns=["variable", "type", "model", "role", "n_missing"])

