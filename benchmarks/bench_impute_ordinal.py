"""Ordinal covariate models of ``impute``: statsmodels ``OrderedModel`` (numerical score and
Hessian, the previous engine) vs the analytic Newton fit of ``ctcstats.missing._ordinal``.

Prints side-by-side CPU seconds (process time) of one proportional-odds fit at n = 4,703,
cold and warm-started as the chains do, the largest parameter and SE differences, and the
CPU time of a whole smcfcs imputation (an ordinal grade and a continuous covariate, 20% and
20% missing) with each engine. ``python benchmarks/bench_impute_ordinal.py`` (~1 minute).
"""

from __future__ import annotations

import time
from unittest import mock

import numpy as np
import pandas as pd

import ctcstats as cs
from ctcstats.missing import _conditional
from ctcstats.missing._ordinal import fit_polr

N = 4703


def _cpu(f, k=5):
    t = time.process_time()
    for _ in range(k):
        out = f()
    return (time.process_time() - t) / k, out


def _statsmodels_fit(codes, X, n_levels, *, start=None):
    """The previous engine, in fit_polr's return shape."""
    from statsmodels.miscmodels.ordinal_model import OrderedModel

    res = OrderedModel(codes, X, distr="logit").fit(method="bfgs", disp=0, maxiter=500,
                                                    start_params=start)
    return type("Fit", (), {"params": np.asarray(res.params),
                            "cov": np.asarray(res.cov_params()), "converged": True})()


def main() -> None:
    rng = np.random.default_rng(0)
    X = np.column_stack([rng.normal(size=N), rng.binomial(1, 0.4, N), rng.normal(size=N)])
    y = np.digitize(X @ [0.8, -0.5, 0.3] + rng.logistic(size=N), [-1, 0.5, 2])
    t_sm, sm = _cpu(lambda: _statsmodels_fit(y, X, 4))
    t_own, own = _cpu(lambda: fit_polr(y, X, 4))
    t_sm_w, _ = _cpu(lambda: _statsmodels_fit(y, X, 4, start=sm.params))
    t_own_w, _ = _cpu(lambda: fit_polr(y, X, 4, start=own.params))
    print(f"one proportional-odds fit, n = {N}, 3 covariates, 4 levels (CPU s)")
    print(f"{'':24s}{'statsmodels':>12s}{'analytic':>12s}{'ratio':>8s}")
    print(f"{'cold start':24s}{t_sm:12.4f}{t_own:12.4f}{t_sm / t_own:8.1f}")
    print(f"{'warm start':24s}{t_sm_w:12.4f}{t_own_w:12.4f}{t_sm_w / t_own_w:8.1f}")
    print(f"max |param diff| {np.abs(sm.params - own.params).max():.2e}, max |SE diff| "
          f"{np.abs(np.sqrt(np.diag(sm.cov)) - np.sqrt(np.diag(own.cov))).max():.2e}")

    x = rng.normal(size=N)
    g = np.digitize(x + rng.logistic(size=N), [-1, 1]) + 1
    t = rng.exponential(20 / np.exp(0.5 * x + 0.3 * g))
    d = pd.DataFrame({"x": x, "grade": g.astype(float), "months": np.minimum(t, 30),
                      "event": (t < 30).astype(int)})
    d.loc[rng.random(N) < 0.2, "grade"] = np.nan
    d.loc[rng.random(N) < 0.2, "x"] = np.nan

    def run():
        return cs.impute(d, time_col="months", event_col="event", covariates=["x", "grade"],
                         n_imputations=2, n_iter=10, rng=1)

    t_new, _ = _cpu(run, k=1)
    with mock.patch.object(_conditional, "fit_polr", _statsmodels_fit):
        t_old, _ = _cpu(run, k=1)
    print(f"impute (smcfcs, m = 2, 10 cycles, n = {N}): statsmodels {t_old:.2f} s, "
          f"analytic {t_new:.2f} s, ratio {t_old / t_new:.1f}")


if __name__ == "__main__":
    main()
