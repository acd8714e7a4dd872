"""Figures of multiple imputation: pooled forest plot, missingness pattern, observed vs
imputed distributions (seaborn), convergence traces.

The numbers come from the results (:class:`~ctcstats.missing.PooledResult`,
:class:`~ctcstats.missing.ImputationResult`) or from the tables they hand over; nothing is
estimated here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:  # pragma: no cover
    from ..missing.impute import ImputationResult
    from ..missing.pooling import PooledResult

__all__ = [
    "plot_pooled_forest",
    "plot_missing_pattern",
    "plot_imputed_distributions",
    "plot_imputation_traces",
]


def plot_pooled_forest(result: PooledResult, ax=None, *, color: str = "C0",
                       annotate: bool = True):
    """Forest plot of pooled estimates: one row per term, estimate with its pooled interval.

    Ratios (hazard, rate or odds ratios) are drawn on a log axis with a reference line at 1;
    other quantities on their natural axis with a reference line at 0 (differences) or none.

    Returns
    -------
    matplotlib.axes.Axes
        Intervals: ``LineCollection`` gid ``"pooled-ci"``; estimates: ``Line2D`` gid
        ``"pooled-estimate"``; reference line gid ``"pooled-ref"``; annotations gid
        ``"pooled-label"``. y tick labels are the terms, first at the top.
    """
    import matplotlib.pyplot as plt
    from matplotlib.collections import LineCollection

    tab = result.table
    ratio = next((c for c in ("hr", "irr", "odds_ratio") if c in tab.columns), None)
    if ratio is not None:
        est = tab[ratio].to_numpy(float)
        lo = tab[f"{ratio}_ci_lower"].to_numpy(float)
        hi = tab[f"{ratio}_ci_upper"].to_numpy(float)
    else:
        keep = tab["ci_lower"].notna().to_numpy()
        tab = tab.loc[keep]
        est, lo, hi = (tab[c].to_numpy(float) for c in ("estimate", "ci_lower", "ci_upper"))
    k = len(tab)
    if ax is None:
        _, ax = plt.subplots(figsize=(6.0, 0.45 * k + 1.2))
    y = np.arange(k)[::-1].astype(float)
    segs = [[(a, yy), (b, yy)] for a, b, yy in zip(lo, hi, y, strict=True)]
    ax.add_collection(LineCollection(segs, colors=color, linewidths=1.5, gid="pooled-ci"))
    ax.plot(est, y, "s", color=color, gid="pooled-estimate")
    pct = f"{100 * result.conf_level:g}% CI"
    labels = [str(t) for t in tab["term"]]
    if "component" in tab.columns:
        labels = [f"{c}: {t}" for c, t in zip(tab["component"], labels, strict=True)]
    vals = np.concatenate([lo, hi, est])
    vals = vals[np.isfinite(vals)]
    if ratio is not None:
        ax.axvline(1.0, color="0.4", linestyle="--", linewidth=1, gid="pooled-ref")
        ax.set_xscale("log")
        vals = np.append(vals[vals > 0], 1.0)
        ax.set_xlim(vals.min() / 1.25, vals.max() * (2.5 if annotate else 1.25))
        ax.set_xlabel(f"{ratio.replace('_', ' ')} ({pct}, pooled over {result.m} imputations)")
    else:
        span = (vals.max() - vals.min()) or 1.0
        ax.set_xlim(vals.min() - 0.1 * span, vals.max() + (0.9 if annotate else 0.1) * span)
        ax.set_xlabel(f"estimate ({pct}, pooled over {result.m} imputations)")
    ax.set_ylim(-0.7, k - 0.3)
    ax.set_yticks(y)
    ax.set_yticklabels(labels)
    if annotate:
        for yy, e, a, b in zip(y, est, lo, hi, strict=True):
            ax.annotate(f"{e:.3g} ({a:.3g}–{b:.3g})", xy=(1.0, yy),
                        xycoords=("axes fraction", "data"), xytext=(-4, 0),
                        textcoords="offset points", ha="right", va="center", fontsize=8,
                        gid="pooled-label")
    return ax


def plot_missing_pattern(pattern: pd.DataFrame, ax=None, *, observed_color: str = "#4c72b0",
                         missing_color: str = "#dd8452"):
    """Missingness patterns as a grid (R ``mice::md.pattern``): one row per pattern, one
    column per variable; observed cells blue, missing cells orange; the row label gives the
    number of patients with that pattern, the column label the number missing.

    Parameters
    ----------
    pattern : DataFrame
        From :func:`ctcstats.missing.missing_pattern`: one row per pattern, a 0/1 column
        per variable (1 = observed) and ``n_patients`` / ``n_missing``.

    Returns
    -------
    matplotlib.axes.Axes
        The grid is a ``QuadMesh`` with gid ``"missing-pattern"``.
    """
    import matplotlib.pyplot as plt
    from matplotlib.colors import ListedColormap

    variables = [c for c in pattern.columns if c not in ("n_patients", "n_missing")]
    grid = pattern[variables].to_numpy(float)
    if ax is None:
        _, ax = plt.subplots(figsize=(1.0 + 0.7 * len(variables), 1.0 + 0.4 * len(grid)))
    cmap = ListedColormap([missing_color, observed_color])
    mesh = ax.pcolormesh(grid[::-1], cmap=cmap, vmin=0, vmax=1, edgecolors="white",
                         linewidth=1.5)
    mesh.set_gid("missing-pattern")
    ax.set_xticks(np.arange(len(variables)) + 0.5)
    n_missing = (1 - grid) * pattern["n_patients"].to_numpy()[:, None]
    ax.set_xticklabels([f"{v}\n({int(m)} missing)" for v, m in
                        zip(variables, n_missing.sum(axis=0), strict=True)],
                       rotation=45, ha="right", fontsize=8)
    ax.set_yticks(np.arange(len(grid)) + 0.5)
    ax.set_yticklabels([str(int(n)) for n in pattern["n_patients"].to_numpy()[::-1]])
    ax.set_ylabel("patients with the pattern")
    ax.set_title("Missingness patterns (blue observed, orange missing)")
    return ax


def plot_imputed_distributions(result: ImputationResult, variable: str, ax=None, *,
                               max_imputations: int = 5):
    """Observed vs imputed values of one variable (seaborn): densities for continuous
    variables and counts, bar charts of proportions for categorical ones.

    The observed values are drawn once (thick, blue); each of the first
    ``max_imputations`` imputations' imputed values in its own thin orange line/bar group,
    as R's ``mice::densityplot`` / ``smcfcs``'s diagnostics.

    Returns
    -------
    matplotlib.axes.Axes
        Lines (continuous) have gid ``"observed"`` and ``"imputed-<k>"``; bars (categorical)
        are in containers labelled ``observed`` and ``imputation <k>``.
    """
    import matplotlib.pyplot as plt
    import seaborn as sns

    if ax is None:
        _, ax = plt.subplots(figsize=(6.0, 3.5))
    frame = result.observed_vs_imputed(variable, max_imputations=max_imputations)
    kind = result.methods.set_index("variable").loc[variable, "type"]
    if kind in ("continuous", "count"):
        obs = frame.loc[frame["source"] == "observed", "value"].astype(float)
        sns.kdeplot(x=obs.to_numpy(), ax=ax, color="C0", linewidth=2.5, label="observed",
                    warn_singular=False)
        ax.lines[-1].set_gid("observed")
        for k, sub in frame.loc[frame["source"] != "observed"].groupby("imputation", observed=True):
            vals = sub["value"].astype(float).to_numpy()
            if vals.size > 1 and np.ptp(vals) > 0:
                sns.kdeplot(x=vals, ax=ax, color="C1", linewidth=0.9, alpha=0.8,
                            label=f"imputed ({int(k)})", warn_singular=False)
                ax.lines[-1].set_gid(f"imputed-{int(k)}")
        ax.set_xlabel(variable)
        ax.set_ylabel("density")
    else:
        props = (frame.assign(label=np.where(frame["source"] == "observed", "observed",
                                             "imputation " + frame["imputation"].astype(str)))
                 .groupby("label", observed=True)["value"].value_counts(normalize=True)
                 .rename("proportion").reset_index())
        order = ["observed"] + sorted(set(props["label"]) - {"observed"},
                                      key=lambda s: int(s.split()[-1]))
        palette = {lab: ("C0" if lab == "observed" else "C1") for lab in order}
        sns.barplot(data=props, x="value", y="proportion", hue="label", hue_order=order,
                    palette=palette, ax=ax)
        for cont, lab in zip(ax.containers, order, strict=False):
            cont.set_label(lab)
        ax.set_xlabel(variable)
    ax.set_title(f"{variable}: observed vs imputed")
    ax.legend(fontsize=7)
    return ax


def plot_imputation_traces(result: ImputationResult, variable: str, ax=None, *,
                           statistic: str = "mean"):
    """Convergence: the mean (or SD) of the imputed values of ``variable`` at each iteration,
    one line per imputation chain (R ``plot(mids)``). Chains that mix and show no trend
    indicate convergence.

    Returns
    -------
    matplotlib.axes.Axes
        One ``Line2D`` per chain with gid ``"chain-<k>"``.
    """
    import matplotlib.pyplot as plt

    tr = result.traces
    sub = tr.loc[(tr["variable"] == variable) & (tr["statistic"] == statistic)]
    if ax is None:
        _, ax = plt.subplots(figsize=(6.0, 3.5))
    for k, chain in sub.groupby("imputation", observed=True):
        ax.plot(chain["iteration"], chain["value"], linewidth=1, gid=f"chain-{int(k)}")
    ax.set_xlabel("iteration")
    ax.set_ylabel(f"{statistic} of imputed {variable}")
    ax.set_title(f"Convergence of {variable} ({sub['imputation'].nunique()} chains)")
    return ax
