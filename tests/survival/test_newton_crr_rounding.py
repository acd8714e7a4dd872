"""crr's rule in ``newton_raphson``: at the optimum the Newton step is of the order of rounding,
and whether its Armijo test passes depends on the last bits of the sums (it did differ between
two machines for braun2005's Fine–Gray fit, so the report's convergence warning came and went).
Where crr's own gradient rule already holds, a line search that cannot improve is the optimum."""

from __future__ import annotations

import numpy as np

from ctcstats.survival._core.newton import newton_raphson

# f(b) = -(b - 1)^2 / 2 + c: a concave log-likelihood with its maximum at b = 1
C = -50.0


def _derivatives(idx, b):
    ll = -0.5 * (b[:, 0] - 1.0) ** 2 + C
    return ll, -(b - 1.0), np.ones((len(idx), 1, 1))


def _noisy(shift):
    """loglik_only as a machine whose rounding makes every trial point look worse by
    ``shift`` (the Armijo test then fails at every halving)."""
    def loglik_only(idx, b):
        return _derivatives(idx, b)[0] - shift
    return loglik_only


def test_optimum_with_rounding_noise_is_converged():
    # start a hair off the optimum: the gradient rule holds (|score| < 1e-6 * |loglik|) but the
    # relative change of the log-likelihood over the last step is not yet <= tol, so one more
    # step is tried; rounding makes it fail the Armijo test at every halving
    b0 = np.array([[1.0 + 1e-9]])
    res = newton_raphson(_derivatives, b0, rule="crr", tol=1e-30, max_iter=10,
                         loglik_only=_noisy(1e-12))
    assert bool(res.converged[0])
    np.testing.assert_allclose(res.beta[0], [1.0 + 1e-9])


def test_failed_line_search_away_from_the_optimum_is_not_converged():
    # far from the optimum the gradient rule fails: an impossible line search stays a failure
    res = newton_raphson(_derivatives, np.array([[0.0]]), rule="crr", max_iter=10,
                         loglik_only=_noisy(1.0))
    assert not bool(res.converged[0])
    np.testing.assert_allclose(res.beta[0], [0.0])


def test_without_rounding_noise_the_same_fit_converges_by_the_usual_rule():
    res = newton_raphson(_derivatives, np.array([[0.0]]), rule="crr", max_iter=10)
    assert bool(res.converged[0])
    np.testing.assert_allclose(res.beta[0], [1.0], atol=1e-12)
