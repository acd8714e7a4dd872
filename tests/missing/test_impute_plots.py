"""Diagnostics of an imputation drawn on Agg: pattern grid, observed vs imputed, traces."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from ctcstats.errors import ParameterError  # noqa: E402
from ctcstats.missing import impute  # noqa: E402


@pytest.fixture(scope="module")
def imputed():
    rng = np.random.default_rng(8)
    n = 250
    d = pd.DataFrame({"x": rng.normal(size=n), "site": rng.choice(["a", "b", "c"], n)})
    t = rng.exponential(20 / np.exp(0.5 * d.x))
    d["months"], d["event"] = np.minimum(t, 30), (t < 30).astype(int)
    d.loc[rng.random(n) < 0.3, "x"] = np.nan
    d.loc[rng.random(n) < 0.2, "site"] = np.nan
    return impute(d, time_col="months", event_col="event", covariates=["x", "site"],
                  n_imputations=3, n_iter=4, rng=1)


def test_pattern_grid(imputed):
    fig, ax = plt.subplots()
    out = imputed.plot(ax=ax)
    assert out is ax
    mesh = [c for c in ax.collections if c.get_gid() == "missing-pattern"]
    assert len(mesh) == 1
    assert mesh[0].get_array().size == len(imputed.pattern) * 2
    assert [t.get_text() for t in ax.get_yticklabels()][::-1] == [
        str(v) for v in imputed.pattern["n_patients"]]
    plt.close(fig)


def test_observed_vs_imputed_density_and_bars(imputed):
    fig, (a1, a2) = plt.subplots(1, 2)
    imputed.plot_distributions("x", ax=a1)
    gids = {line.get_gid() for line in a1.lines}
    assert {"observed", "imputed-1", "imputed-2", "imputed-3"} <= gids
    imputed.plot_distributions("site", ax=a2)
    labels = [c.get_label() for c in a2.containers]
    assert labels == ["observed", "imputation 1", "imputation 2", "imputation 3"]
    # the observed bars are the observed proportions
    obs = imputed.observed_vs_imputed("site").query("source == 'observed'")["value"]
    heights = sorted(b.get_height() for b in a2.containers[0])
    assert np.allclose(heights, sorted(obs.value_counts(normalize=True)))
    plt.close(fig)


def test_traces_one_line_per_chain(imputed):
    fig, ax = plt.subplots()
    imputed.plot_traces("x", ax=ax, statistic="sd")
    chains = [line for line in ax.lines if (line.get_gid() or "").startswith("chain-")]
    assert len(chains) == 3
    assert all(len(line.get_xdata()) == 4 for line in chains)
    with pytest.raises(ParameterError, match="'statistic' parameter of plot_traces"):
        imputed.plot_traces("x", ax=ax, statistic="median")
    with pytest.raises(ParameterError, match="'variable' parameter"):
        imputed.plot_traces("months", ax=ax)
    plt.close(fig)
