"""The analytic proportional-odds fit behind ordinal covariate models (missing/_ordinal.py).

Reference: statsmodels ``OrderedModel`` (logit), the engine it replaced — an independent
implementation with numerical derivatives. Tolerances: its BFGS stops at a gradient
tolerance, so its estimates are within ~1e-4 of the maximum (``fit_polr`` converges to
1e-10 in the log-likelihood and its log-likelihood is never lower); its covariance is a
numerical Hessian inverse, equal to the analytic one to ~1e-5 relative.
"""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_allclose
from statsmodels.miscmodels.ordinal_model import OrderedModel

from ctcstats.missing import _conditional
from ctcstats.missing._ordinal import fit_polr


def _data(n, seed, levels=4, scale=1.0):
    rng = np.random.default_rng(seed)
    X = np.column_stack([rng.normal(60 * (scale != 1), 10 * scale, n),
                         rng.binomial(1, 0.4, n), rng.gamma(2.0, 1.2, n)])
    cuts = np.linspace(-1, 2, levels - 1)
    y = np.digitize(X @ np.array([0.08 / scale, -0.5, 0.3]) - 0.08 / scale * X[:, 0].mean()
                    + rng.logistic(size=n), cuts)
    return y, X


@pytest.mark.parametrize(("n", "seed", "levels", "scale"),
                         [(300, 1, 3, 1.0), (2000, 2, 4, 1.0), (800, 3, 5, 10.0)])
def test_matches_statsmodels_ordered_model(n, seed, levels, scale):
    y, X = _data(n, seed, levels, scale)
    res = OrderedModel(y, X, distr="logit").fit(method="bfgs", disp=0, maxiter=1000,
                                               gtol=1e-8)
    fit = fit_polr(y, X, levels)
    assert fit.converged
    assert fit.loglik >= res.llf - 1e-9
    assert_allclose(fit.params, np.asarray(res.params), atol=1e-4)
    assert_allclose(np.sqrt(np.diag(fit.cov)), np.sqrt(np.diag(res.cov_params())),
                    rtol=1e-4)


def test_warm_start_gives_the_same_fit():
    y, X = _data(1000, 4)
    cold = fit_polr(y, X, 4)
    warm = fit_polr(y, X, 4, start=cold.params + 0.05)
    assert warm.converged and warm.n_iter < cold.n_iter + 3
    assert_allclose(warm.params, cold.params, atol=1e-7)


def test_fit_draw_falls_back_to_statsmodels_when_a_level_is_empty():
    """Codes 0, 1, 3 observed with n_levels = 4: fit_polr's cut 1 is not identified, the
    covariate model is fitted by OrderedModel (on the observed levels) and still draws."""
    y, X = _data(400, 5)
    y = np.where(y == 2, 3, y)
    drawn, msgs = _conditional.fit_draw("ordinal", y.astype(float), X,
                                        np.random.default_rng(1), n_levels=4)
    assert drawn.kind == "ordinal" and np.all(np.isfinite(drawn.beta))
    assert drawn.cuts is not None and np.all(np.diff(drawn.cuts) > 0)


def test_fit_draw_uses_the_analytic_fit():
    y, X = _data(500, 6)
    drawn, _ = _conditional.fit_draw("ordinal", y.astype(float), X,
                                     np.random.default_rng(2), n_levels=4)
    assert_allclose(drawn.mle, fit_polr(y, X, 4).params)
