"""The marker and the clinical factors (REMARK item 14): "Table 1" by marker status and
logistic regression of marker positivity on clinical factors.

Why not the ``tableone`` package: it returns formatted strings rather than numbers, tests two
groups of a non-normal variable with Kruskal–Wallis rather than the Mann–Whitney test with
continuity correction (R ``wilcox.test``), has no trend test for ordered factors and no exact
test beyond 2×2 tables, and would be a new runtime dependency. The tests below are scipy's,
chosen and parameterised to reproduce R exactly (see :func:`marker_table`).
"""

from __future__ import annotations

import html
import warnings as _warnings
from collections.abc import Sequence
from typing import ClassVar, Literal

import numpy as np
import pandas as pd
from scipy import special, stats

from ._results import Result, result
from ._validation import (
    check_choice,
    check_conf_level,
    check_dataframe,
    check_group_column,
    check_int,
    design_matrix,
    format_labels,
    group_levels,
    prepare_frame,
)
from ._warnings import capture
from .errors import (
    ConvergenceWarning,
    DataValidationError,
    DataWarning,
    MonotoneLikelihoodWarning,
    ParameterError,
    SmallSampleWarning,
)

__all__ = [
    "MarkerAssociationResult",
    "MarkerTableResult",
    "marker_association",
    "marker_table",
]

_MAX_TABLES = 3_000_000  # enumeration budget of the exact 2×c Fisher test
_FIXED_COLS = ("variable", "level", "overall", "missing", "test", "p_value", "smd")


# =========================================================================== tests
def fisher_2xc(table: np.ndarray) -> float | None:
    """Exact two-sided Fisher test of a 2×c table (R ``fisher.test``), or None if too large.

    The p-value sums the probabilities of all tables with the observed margins that are no
    more probable than the observed one (relative tolerance 1e-7, as R). Tables are
    enumerated column by column; scipy only offers a Monte-Carlo p-value beyond 2×2.
    """
    t = np.asarray(table, dtype=np.int64)
    if t.shape[0] != 2:
        t = t.T
    cols = t.sum(axis=0)
    r1 = int(t[0].sum())
    lchoose = lambda a, b: special.gammaln(a + 1) - special.gammaln(b + 1) - special.gammaln(a - b + 1)  # noqa: E731
    lp_obs = float(np.sum(lchoose(cols, t[0])))
    remaining = np.r_[np.cumsum(cols[::-1])[::-1][1:], 0]
    s = np.zeros(1, dtype=np.int64)
    lp = np.zeros(1)
    for j, cj in enumerate(cols):
        x = np.arange(cj + 1)
        s2 = (s[:, None] + x[None, :]).ravel()
        lp2 = (lp[:, None] + lchoose(cj, x)[None, :]).ravel()
        keep = (s2 <= r1) & (s2 + remaining[j] >= r1)
        s, lp = s2[keep], lp2[keep]
        if s.size > _MAX_TABLES:
            return None
    total = special.logsumexp(lp)
    sel = lp <= lp_obs + np.log1p(1e-7)
    return float(min(1.0, np.exp(special.logsumexp(lp[sel]) - total)))


def trend_test(table: np.ndarray) -> tuple[float, float]:
    """Cochran–Armitage trend test, as R ``prop.trend.test(x, n, score = 1:k)``.

    ``table`` is k ordered levels × 2 marker groups; ``x`` counts the second group. The
    statistic is the regression sum of squares of the weighted least-squares fit of the
    proportions on the scores (weights ``n / (p(1 − p))``), chi-square with 1 df.
    """
    x = table[:, 1].astype(float)
    n = table.sum(axis=1).astype(float)
    score = np.arange(1, len(n) + 1, dtype=float)
    p = x.sum() / n.sum()
    sbar = np.sum(n * score) / n.sum()
    num = np.sum(score * (x - n * p)) ** 2
    den = p * (1 - p) * np.sum(n * (score - sbar) ** 2)
    chisq = float(num / den)
    return chisq, float(stats.chi2.sf(chisq, 1))


def _smd_continuous(a: np.ndarray, b: np.ndarray) -> float:
    return float(abs(a.mean() - b.mean()) / np.sqrt((a.var(ddof=1) + b.var(ddof=1)) / 2))


def _smd_categorical(tab: np.ndarray) -> float:
    """Yang & Dalton (2012) multinomial SMD (as R tableone): levels × 2 groups counts."""
    p = tab / tab.sum(axis=0, keepdims=True)
    p1, p2 = p[1:, 0], p[1:, 1]

    def cov(pp):
        s = -np.outer(pp, pp)
        s[np.diag_indices_from(s)] = pp * (1 - pp)
        return s

    d = p1 - p2
    s = (cov(p1) + cov(p2)) / 2
    try:
        return float(np.sqrt(d @ np.linalg.solve(s, d)))
    except np.linalg.LinAlgError:
        return float("nan")


# =========================================================================== results
@result
class MarkerTableResult(Result):
    """Clinical factors by marker status (see :func:`marker_table`)."""

    _title: ClassVar[str] = "Clinical factors by marker status"

    table: pd.DataFrame
    summary: pd.DataFrame
    tests: pd.DataFrame
    marker_col: str
    groups: tuple
    n_obs: int
    n_dropped: int = 0
    warnings: tuple[str, ...] = ()

    def _summary_frames(self):
        return [("table", self.table)]

    def _repr_html_(self) -> str:
        esc = html.escape
        t = self.table
        gcols = [c for c in t.columns if c not in _FIXED_COLS]
        head = ["", "level", "Overall", *gcols, "Missing", "Test", "p", "SMD"]
        out = [f"<div class='ctcstats-result'><h4>{esc(self._title)}: "
               f"{esc(self.marker_col)}</h4><table class='ctcstats-table1'><thead><tr>"]
        out.extend(f"<th>{esc(str(h))}</th>" for h in head)
        out.append("</tr></thead><tbody>")
        for _, r in t.iterrows():
            is_level = r["level"] != "" and r["variable"] != "n" and pd.isna(r["missing"])
            name = "" if is_level else str(r["variable"])
            lvl = ("&nbsp;&nbsp;" if is_level else "") + esc(str(r["level"]))
            p = r["p_value"]
            ptxt = "" if pd.isna(p) else ("<0.001" if p < 0.001 else f"{p:.3f}")
            smd = "" if pd.isna(r["smd"]) else f"{r['smd']:.3f}"
            miss = "" if pd.isna(r["missing"]) else str(int(r["missing"]))
            cells = [esc(name), lvl, esc(str(r["overall"])),
                     *(esc(str(r[c])) for c in gcols), miss, esc(str(r["test"])), ptxt, smd]
            out.append("<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
        out.append("</tbody></table>")
        if self.warnings:
            out.append("<p><b>warnings</b></p><ul>")
            out.extend(f"<li>{esc(w)}</li>" for w in self.warnings)
            out.append("</ul>")
        out.append("</div>")
        return "".join(out)


@result
class MarkerAssociationResult(Result):
    """Logistic regression of marker positivity on clinical factors."""

    _title: ClassVar[str] = "Marker positivity vs clinical factors (logistic regression)"

    table: pd.DataFrame
    loglik: float
    aic: float
    n_positive: int
    conf_level: float
    n_obs: int
    n_dropped: int = 0
    warnings: tuple[str, ...] = ()


# =========================================================================== marker_table
def _warn(msg, caught, cls=SmallSampleWarning):
    _warnings.warn(msg, cls, stacklevel=3)
    caught.append(msg)


def _names(arg, name, func, covariates):
    if arg is None:
        return []
    if isinstance(arg, str):
        raise ParameterError(
            f"The {name!r} parameter of {func} must be a list of column names; got the string "
            f"{arg!r} (write [{arg!r}])."
        )
    arg = list(arg)
    extra = [c for c in arg if c not in covariates]
    if extra:
        raise ParameterError(
            f"The {name!r} parameter of {func} must name columns listed in 'covariates'; "
            f"got {extra}."
        )
    return arg


def _fmt(v: float, digits: int) -> str:
    return "NA" if not np.isfinite(v) else f"{v:.{digits}f}"


def marker_table(
    data: pd.DataFrame,
    *,
    marker_col: str,
    covariates: Sequence[str],
    categorical: Sequence[str] | None = None,
    nonnormal: Sequence[str] | None = None,
    tests: bool = True,
    smd: bool = False,
    digits: int = 1,
    missing: Literal["raise", "report", "drop"] = "raise",
) -> MarkerTableResult:
    """Clinical factors by marker status — a "Table 1" (REMARK item 14).

    Categorical variables: n (%) per level with Pearson's chi-square test (R
    ``chisq.test(table(variable, marker))`` with its default ``correct = TRUE``, i.e. Yates'
    continuity correction for 2×2 tables only — the choice of R's ``tableone::CreateTableOne``),
    or Fisher's exact test when an expected count is below 5 (R ``fisher.test``: scipy for
    2×2, an exact enumeration here for 2×c and r×2; for larger tables no exact test is
    available and the chi-square p-value is reported with a :class:`SmallSampleWarning`).
    An *ordered* pandas Categorical against a binary marker gets the Cochran–Armitage trend
    test (R ``prop.trend.test(x, n)`` with scores 1..k, no continuity correction).
    Continuous variables: mean (SD) with Student's t-test (R ``t.test(var.equal = TRUE)``)
    or one-way ANOVA (R ``oneway.test(var.equal = TRUE)`` / ``aov``) for more than two
    groups; variables listed in ``nonnormal``: median [Q1, Q3] (R ``quantile`` type 7) with
    the Mann–Whitney test (R ``wilcox.test(exact = FALSE, correct = TRUE)``) or
    Kruskal–Wallis (R ``kruskal.test``).

    Parameters
    ----------
    data : DataFrame
    marker_col : str
        Marker status defining the columns (bool, 0/1, or a categorical such as
        ``"0" / "1-4" / "≥5"``; a Categorical keeps its category order).
    covariates : list of str
        Clinical factors, one block of rows each, in this order.
    categorical : list of str, optional
        Numeric columns to treat as categorical (e.g. grade coded 1/2/3). Non-numeric,
        boolean and Categorical columns are always categorical.
    nonnormal : list of str, optional
        Continuous variables summarised by median [IQR] with rank tests.
    tests : bool
        Compute p-values.
    smd : bool
        Add absolute standardised mean differences (binary marker only): continuous
        ``|m1 − m2| / sqrt((s1² + s2²)/2)``, categorical the Yang & Dalton (2012)
        multinomial form (as R tableone).
    digits : int
        Decimals of the formatted percentages, means and quantiles.
    missing : {"raise", "report", "drop"}
        ``"raise"`` (default): any missing value is an error. ``"report"`` (what a Table 1
        usually wants): missing values of a covariate are *counted* in the ``missing``
        column and excluded from that covariate's percentages and test — describing
        missingness is what Table 1 is for, so a gap in one factor must not remove patients
        from the others. Rows with a missing marker cannot be placed in a column; they are
        excluded with a :class:`DataWarning` and counted in ``n_dropped``. ``"drop"``:
        complete cases over marker and covariates.

    Returns
    -------
    MarkerTableResult
        ``table``: the display table, one row for ``n``, one per continuous variable and a
        header row plus one row per level for each categorical variable, with columns
        ``variable, level, overall, <one column per marker group, named by its label>,
        missing, test, p_value, smd`` (cells of the group columns are formatted text;
        ``missing`` is the number of patients with the variable missing; ``p_value`` and
        ``smd`` are numbers). ``summary``: the same numbers untransformed, one row per
        variable, level and group (``overall`` included) with columns ``variable, level,
        group, n, percent, mean, sd, median, q1, q3``. ``tests``: one row per variable with
        ``variable, kind, test, statistic, df, p_value, smd``.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> import ctcstats as cs
    >>> from ctcstats.association import marker_table
    >>> rng = np.random.default_rng(0)
    >>> df = pd.DataFrame({"ctc_positive": rng.random(200) < 0.3,
    ...                    "age": rng.normal(60, 10, 200),
    ...                    "grade": pd.Categorical(rng.choice([1, 2, 3], 200), ordered=True)})
    >>> res = marker_table(df, marker_col="ctc_positive", covariates=["age", "grade"])
    >>> list(res.table["test"][res.table["variable"] == "grade"])[0]
    'Cochran–Armitage trend'
    """
    func = "marker_table"
    check_dataframe(data, func=func)
    check_choice(missing, name="missing", choices=("raise", "report", "drop"), func=func)
    digits = check_int(digits, name="digits", func=func, minimum=0)
    if isinstance(covariates, str):
        raise ParameterError(
            f"The 'covariates' parameter of {func} must be a list of column names; got the "
            f"string {covariates!r} (write [{covariates!r}])."
        )
    covariates = list(covariates)
    if not covariates or len(set(covariates)) != len(covariates):
        raise ParameterError(
            f"The 'covariates' parameter of {func} must list distinct column names; got "
            f"{covariates!r}."
        )
    if marker_col in covariates:
        raise ParameterError(
            f"The 'covariates' parameter of {func} must not include marker_col {marker_col!r}."
        )
    categorical = _names(categorical, "categorical", func, covariates)
    nonnormal = _names(nonnormal, "nonnormal", func, covariates)
    caught: list[str] = []
    if missing == "report":
        prep_all = prepare_frame(data, func=func, missing="drop",
                                 roles={"marker_col": marker_col})
        for v in covariates:  # existence check, same message as prepare_frame
            if v not in data.columns:
                prepare_frame(data, func=func, roles={"covariates": [v]}, missing="drop")
        # by position: row labels may repeat
        frame = data.iloc[prep_all.positions][list(covariates)].copy()
        frame[marker_col] = prep_all.frame[marker_col].to_numpy()
        n_dropped = prep_all.n_dropped
        if n_dropped:
            _warn(f"marker_col {marker_col!r} has {n_dropped} missing values (first row "
                  f"labels: {format_labels(prep_all.dropped_index)}); those patients are "
                  "excluded from the table.", caught, DataWarning)
    else:
        prep_all = prepare_frame(data, func=func, missing=missing,
                                 roles={"marker_col": marker_col, "covariates": covariates})
        frame, n_dropped = prep_all.frame, prep_all.n_dropped
    gvals, glevels = check_group_column(frame, marker_col, role="marker_col", func=func)
    k = len(glevels)
    if smd and k != 2:
        raise ParameterError(
            f"The 'smd' parameter of {func} needs a binary marker; marker_col {marker_col!r} "
            f"has {k} levels."
        )
    gcodes = np.empty(len(gvals), dtype=np.int64)
    for i, lev in enumerate(glevels):
        gcodes[gvals == lev] = i
    glabels = []
    for lev in glevels:
        lab = str(lev)
        glabels.append(f"{marker_col}={lab}" if lab in _FIXED_COLS or lab in glabels else lab)
    n_g = np.bincount(gcodes, minlength=k)

    rows: list[dict] = []
    summ: list[dict] = []
    test_rows: list[dict] = []

    def row(variable, level, overall, cells, miss, test="", p=np.nan, s=np.nan):
        d = {"variable": variable, "level": level, "overall": overall}
        d.update(dict(zip(glabels, cells, strict=True)))
        d.update({"missing": miss, "test": test, "p_value": p, "smd": s})
        rows.append(d)

    row("n", "", str(len(gcodes)), [str(int(c)) for c in n_g], pd.NA)
    for v in covariates:
        s = frame[v]
        na = s.isna().to_numpy()
        n_miss = int(na.sum())
        is_cat = (v in categorical or isinstance(s.dtype, pd.CategoricalDtype)
                  or pd.api.types.is_bool_dtype(s) or not pd.api.types.is_numeric_dtype(s))
        if is_cat and v in nonnormal:
            raise ParameterError(
                f"The 'nonnormal' parameter of {func} lists {v!r}, which is categorical."
            )
        g = gcodes[~na]
        if is_cat:
            _categorical_block(v, s[~na], g, k, n_miss, tests, smd, digits, row, summ,
                               test_rows, caught)
        else:
            x = s.to_numpy(dtype=float)[~na]
            if np.isinf(x).any():
                raise DataValidationError(f"covariate {v!r} has infinite values; values must "
                                          "be finite.")
            _continuous_block(v, x, g, k, n_miss, v in nonnormal, tests, smd, digits, row,
                              summ, test_rows, caught)
    table = pd.DataFrame(rows)
    table["missing"] = table["missing"].astype("Int64")
    table["p_value"] = table["p_value"].astype(float)
    table["smd"] = table["smd"].astype(float)
    summary = pd.DataFrame(summ, columns=["variable", "level", "group", "n", "percent", "mean",
                                          "sd", "median", "q1", "q3"])
    tests_df = pd.DataFrame(test_rows, columns=["variable", "kind", "test", "statistic", "df",
                                                "p_value", "smd"])
    return MarkerTableResult(
        table=table, summary=summary, tests=tests_df, marker_col=str(marker_col),
        groups=tuple(glevels), n_obs=int(len(gcodes)), n_dropped=int(n_dropped),
        warnings=tuple(caught),
    )


def _categorical_block(v, s, g, k, n_miss, tests, smd, digits, row, summ, test_rows, caught):
    levels = group_levels(s)
    vals = s.to_numpy(dtype=object)
    tab = np.zeros((len(levels), k), dtype=np.int64)
    for i, lev in enumerate(levels):
        tab[i] = np.bincount(g[vals == lev], minlength=k)
    ordered = isinstance(s.dtype, pd.CategoricalDtype) and bool(s.dtype.ordered)
    test, stat, df, p = "", np.nan, np.nan, np.nan
    tab_t = tab[:, tab.sum(axis=0) > 0]  # marker groups with no non-missing value drop out
    if tests and len(levels) >= 2 and tab_t.shape[1] >= 2:
        expected = np.outer(tab_t.sum(1), tab_t.sum(0)) / tab_t.sum()
        if ordered and tab_t.shape[1] == 2:
            test, df = "Cochran–Armitage trend", 1.0
            stat, p = trend_test(tab_t)
        elif expected.min() < 5 and tab_t.shape == (2, 2):
            test = "Fisher's exact"
            p = float(stats.fisher_exact(tab_t).pvalue)
        else:
            res = stats.chi2_contingency(tab_t, correction=True)
            stat, df, p = float(res.statistic), float(res.dof), float(res.pvalue)
            test = "chi-square (Yates)" if tab_t.shape == (2, 2) else "chi-square"
            if expected.min() < 5:
                exact = fisher_2xc(tab_t) if min(tab_t.shape) == 2 else None
                if exact is not None:
                    test, stat, df, p = "Fisher's exact", np.nan, np.nan, exact
                else:
                    _warn(f"variable {v!r}: an expected count is below 5 in its "
                          f"{tab_t.shape[0]}×{tab_t.shape[1]} table and no exact test is "
                          "available for it; the chi-square p-value is approximate (consider "
                          "merging sparse levels).", caught)
                    test = "chi-square (expected < 5)"
    s_val = _smd_categorical(tab) if smd and k == 2 and len(levels) >= 2 else np.nan
    row(v, "", "", [""] * k, n_miss, test, p, s_val)
    test_rows.append({"variable": v, "kind": "ordered" if ordered else "categorical",
                      "test": test, "statistic": stat, "df": df, "p_value": p, "smd": s_val})
    tot = tab.sum(axis=1)
    n_all, n_col = tab.sum(), tab.sum(axis=0)
    for i, lev in enumerate(levels):
        pct_all = 100 * tot[i] / n_all
        with np.errstate(divide="ignore", invalid="ignore"):
            pct = 100 * tab[i] / n_col
        row(v, str(lev), f"{tot[i]} ({pct_all:.{digits}f}%)",
            [f"{c} ({_fmt(q, digits)}%)" for c, q in zip(tab[i], pct, strict=True)], pd.NA)
        summ.append({"variable": v, "level": str(lev), "group": "overall", "n": int(tot[i]),
                     "percent": float(pct_all)})
        for j in range(k):
            summ.append({"variable": v, "level": str(lev), "group": j, "n": int(tab[i, j]),
                         "percent": float(pct[j])})


def _describe(x):
    if x.size == 0:
        return dict(n=0, mean=np.nan, sd=np.nan, median=np.nan, q1=np.nan, q3=np.nan)
    q1, med, q3 = np.percentile(x, [25, 50, 75])  # linear = R quantile type 7
    return dict(n=int(x.size), mean=float(x.mean()),
                sd=float(x.std(ddof=1)) if x.size > 1 else np.nan,
                median=float(med), q1=float(q1), q3=float(q3))


def _continuous_block(v, x, g, k, n_miss, nonnormal, tests, smd, digits, row, summ,
                      test_rows, caught):
    parts = [x[g == j] for j in range(k)]
    descs = [_describe(x)] + [_describe(p) for p in parts]

    def cell(d):
        if nonnormal:
            return (f"{_fmt(d['median'], digits)} [{_fmt(d['q1'], digits)}, "
                    f"{_fmt(d['q3'], digits)}]")
        return f"{_fmt(d['mean'], digits)} ({_fmt(d['sd'], digits)})"

    test, stat, df, p = "", np.nan, np.nan, np.nan
    usable = [q for q in parts if q.size > 0]
    if tests and len(usable) >= 2:
        if any(q.size < 2 for q in usable) or np.all(x == x[0]):
            _warn(f"variable {v!r}: a marker group has fewer than 2 values (or the variable "
                  "is constant); no test is computed.", caught)
        elif nonnormal and len(usable) == 2:
            test = "Mann–Whitney"
            r = stats.mannwhitneyu(usable[0], usable[1], use_continuity=True,
                                   alternative="two-sided", method="asymptotic")
            stat, p = float(r.statistic), float(r.pvalue)
        elif nonnormal:
            test = "Kruskal–Wallis"
            r = stats.kruskal(*usable)
            stat, df, p = float(r.statistic), float(len(usable) - 1), float(r.pvalue)
        elif len(usable) == 2:
            test = "t-test"
            r = stats.ttest_ind(usable[0], usable[1], equal_var=True)
            stat, df, p = float(r.statistic), float(r.df), float(r.pvalue)
        else:
            test = "ANOVA"
            r = stats.f_oneway(*usable)
            stat, df, p = float(r.statistic), float(len(usable) - 1), float(r.pvalue)
    s_val = np.nan
    if smd and k == 2 and min(q.size for q in parts) > 1:
        s_val = _smd_continuous(parts[0], parts[1])
    row(v, "median [IQR]" if nonnormal else "mean (SD)", cell(descs[0]),
        [cell(d) for d in descs[1:]], n_miss, test, p, s_val)
    test_rows.append({"variable": v, "kind": "nonnormal" if nonnormal else "continuous",
                      "test": test, "statistic": stat, "df": df, "p_value": p, "smd": s_val})
    for j, d in enumerate(descs):
        summ.append({"variable": v, "level": "", "group": "overall" if j == 0 else j - 1,
                     "percent": np.nan, **d})


# =========================================================================== association
def _binary_marker(frame, col):
    s = frame[col]
    if pd.api.types.is_bool_dtype(s):
        return s.to_numpy(dtype=float)
    if pd.api.types.is_numeric_dtype(s):
        x = s.to_numpy(dtype=float)
        bad = ~np.isin(x, (0.0, 1.0))
    else:
        x = None
        bad = np.ones(len(s), dtype=bool)
    if bad.any():
        found = sorted({str(v) for v in s[bad]})[:5]
        raise DataValidationError(
            f"marker_col {col!r} must contain only 0/1 or True/False (1 = marker-positive); "
            f"found {{{', '.join(found)}}} in {int(bad.sum())} rows (first row labels: "
            f"{format_labels(s.index[bad])}). Dichotomise it first, e.g. "
            "data['ctc_positive'] = data['ctc_count'] >= 5."
        )
    return x


def marker_association(
    data: pd.DataFrame,
    *,
    marker_col: str,
    covariates: Sequence[str],
    conf_level: float = 0.95,
    missing: Literal["raise", "drop"] = "raise",
) -> MarkerAssociationResult:
    """Logistic regression of marker positivity on clinical factors.

    Matches R ``glm(marker ~ covariates, family = binomial)`` (coefficients, standard errors,
    Wald z and p from ``summary``, Wald intervals as ``confint.default``); fitted by
    statsmodels' ``GLM(..., family=Binomial())`` (IRLS, as R).

    Parameters
    ----------
    data : DataFrame
    marker_col : str
        Marker status, 0/1 or bool (1 = positive).
    covariates : list of str
        Numeric columns enter as they are; other columns become indicator terms
        ``col[level]`` against their first level (R's treatment contrasts).
    conf_level : float
    missing : {"raise", "drop"}

    Returns
    -------
    MarkerAssociationResult
        ``table`` indexed by ``term`` (the intercept is ``intercept``) with columns ``coef,
        std_error, odds_ratio, ci_lower, ci_upper, z, p_value`` (``ci_*`` are odds-ratio
        limits); ``loglik``, ``aic``, ``n_positive``.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> import ctcstats as cs
    >>> from ctcstats.association import marker_association
    >>> rng = np.random.default_rng(0)
    >>> df = pd.DataFrame({"age": rng.normal(60, 10, 300), "node": rng.integers(0, 2, 300)})
    >>> df["ctc_pos"] = rng.random(300) < 1 / (1 + np.exp(-(-1 + 0.8 * df["node"])))
    >>> res = marker_association(df, marker_col="ctc_pos", covariates=["age", "node"])
    >>> list(res.table.index)
    ['intercept', 'age', 'node']
    """
    import statsmodels.api as sm

    func = "marker_association"
    conf_level = check_conf_level(conf_level, func=func)
    if isinstance(covariates, str):
        raise ParameterError(
            f"The 'covariates' parameter of {func} must be a list of column names; got the "
            f"string {covariates!r} (write [{covariates!r}])."
        )
    prep = prepare_frame(data, func=func, missing=missing,
                         roles={"marker_col": marker_col, "covariates": list(covariates)})
    y = _binary_marker(prep.frame, marker_col)
    n_pos = int(y.sum())
    if n_pos == 0 or n_pos == y.size:
        raise DataValidationError(
            f"marker_col {marker_col!r} is {'never' if n_pos == 0 else 'always'} positive; "
            "a logistic regression needs both marker-positive and marker-negative patients."
        )
    x, names = design_matrix(prep.frame, covariates, func=func)
    X = np.column_stack([np.ones(y.size), x])
    names = ["intercept", *names]
    if np.linalg.matrix_rank(X) < X.shape[1]:
        raise DataValidationError(
            f"the covariates {list(covariates)} are collinear (the design matrix has rank "
            f"{np.linalg.matrix_rank(X)} < {X.shape[1]} columns); remove a redundant one."
        )
    caught: list[str] = []
    with capture() as rec:
        fit = sm.GLM(y, X, family=sm.families.Binomial()).fit(tol=1e-10, maxiter=100)
    mu = fit.fittedvalues
    separated = any("separation" in w.message.lower() for w in rec) or bool(
        np.any((mu < 1e-8) | (mu > 1 - 1e-8)))
    if separated:
        _warn("fitted probabilities numerically 0 or 1 occurred (complete or quasi-complete "
              "separation); coefficients and standard errors are unreliable — inspect "
              "pd.crosstab of the marker against each categorical covariate, merge sparse "
              "levels or use a Firth-penalised fit.", caught, MonotoneLikelihoodWarning)
    elif not fit.converged:
        _warn("the IRLS fit did not converge in 100 iterations; estimates are unreliable.",
              caught, ConvergenceWarning)
    coef = np.asarray(fit.params, dtype=float)
    se = np.asarray(fit.bse, dtype=float)
    z = coef / se
    zc = stats.norm.ppf(0.5 + conf_level / 2)
    with np.errstate(over="ignore"):  # an infinite limit is the honest answer (warned above)
        table = pd.DataFrame({
            "coef": coef, "std_error": se, "odds_ratio": np.exp(coef),
            "ci_lower": np.exp(coef - zc * se), "ci_upper": np.exp(coef + zc * se),
            "z": z, "p_value": 2 * stats.norm.sf(np.abs(z)),
        }, index=pd.Index(names, name="term"))
    return MarkerAssociationResult(
        table=table, loglik=float(fit.llf), aic=float(fit.aic), n_positive=n_pos,
        conf_level=conf_level, n_obs=prep.n_obs, n_dropped=prep.n_dropped,
        warnings=tuple(caught),
    )
