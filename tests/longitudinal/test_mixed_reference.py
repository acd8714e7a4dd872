"""fit_count_mixed_model against glmmTMB (Laplace) and GLMMadaptive (adaptive Gauss–Hermite).

Data (``tests/reference/longitudinal/``): two real serial-count data sets — ``MASS::epil``
(seizure counts of 59 patients at 4 two-week visits; ``weeks`` as exposure) and
``glmmTMB::Owls`` (sibling negotiations at each parent arrival in 27 nests; brood size as
exposure, zero-inflated) — and synthetic CTC draws from ``simulate_joint`` (Poisson in 7.5 mL;
negative binomial in 5–10 mL). R script: ``mixed.R`` (versions in ``outputs/versions.json``).

Tolerances, and why:

* Laplace vs glmmTMB — the same objective (the Laplace approximation with modes re-found at
  every parameter value) maximised by two optimisers to ~1e-10 in log-likelihood. Where the
  likelihood is flat (Owls, random slope) nlminb stops 2e-8 below our maximum, which moves a
  coefficient by 1.2e-4 of its value but only 4e-4 of its standard error. So estimates are
  compared on the scale of their standard errors (``|diff| <= 2e-3 SE``: numerically
  indistinguishable), standard errors (both from the Hessian of the Laplace marginal
  likelihood), theta and modes at ``rtol = 1e-4``; log-likelihoods to 1e-6.
* AGQ vs GLMMadaptive — the same quadrature rule (``n_quad`` = ``nAGQ`` points per dimension,
  nodes centred at the posterior modes and scaled by the inverse Cholesky factor of the
  curvature: our log-likelihood at GLMMadaptive's estimates reproduces its ``logLik`` to
  1e-9, ``test_agq_loglik_at_r_estimates``). GLMMadaptive maximises the quadrature with its
  nodes held where they were at the start of its last quasi-Newton run, ctcstats with the nodes
  following the parameters; the two optima differ by a fraction of the quadrature error,
  which moves estimates by up to 3.3e-4 relative on these data (variance components 8e-5).
  So estimates and modes at ``rtol = 5e-4`` (relative to the larger of |value| and 0.1),
  SDs and correlations at 2e-4; our maximum is never below theirs. Standard errors: from the
  Hessian *at fixed nodes* (GLMMadaptive's ``cd_vec`` of its score;
  ``MarginalModel.hessian(fixed_nodes=True)``) they agree to 8e-5, checked at ``rtol =
  2e-4``; our default SEs differentiate the moving nodes too (the exact information of the
  quadrature) and differ from GLMMadaptive's by up to 2.9e-3 (synthetic Poisson, 7 points in
  two dimensions), checked at 5e-3.
"""

from __future__ import annotations

import numpy as np
import pytest

from ctcstats.longitudinal import fit_count_mixed_model
from tests.reference._load import load_input, load_output

TOPIC = "longitudinal"


def _data(name):
    return load_input(TOPIC, name)


CASES = {
    "epil_pois_slope": dict(data="epil", count_col="y", id_col="subject", time_col="period",
                            volume_col="weeks", covariates=["trt", "lbase", "lage"],
                            random="slope", kind="poisson"),
    "epil_nb_intercept": dict(data="epil", count_col="y", id_col="subject",
                              time_col="period", covariates=["trt", "lbase", "lage"],
                              random="intercept", kind="negbin"),
    "owls_zip_intercept": dict(data="owls", count_col="count", id_col="nest",
                               time_col="arrival", volume_col="brood_size",
                               covariates=["satiated", "male"], random="intercept",
                               kind="zip"),
    "owls_zinb_intercept": dict(data="owls", count_col="count", id_col="nest",
                                time_col="arrival", volume_col="brood_size",
                                covariates=["satiated", "male"], random="intercept",
                                kind="zinb"),
    "owls_nb_slope": dict(data="owls", count_col="count", id_col="nest", time_col="arrival",
                          volume_col="brood_size", covariates=["satiated", "male"],
                          random="slope", kind="negbin"),
    "syn_nb_slope": dict(data="draws_nb", count_col="ctc_count", id_col="patient_id",
                         time_col="draw_months", volume_col="blood_volume_ml",
                         covariates=["visceral_mets"], random="slope", kind="negbin"),
    "syn_pois_slope": dict(data="draws_pois", count_col="ctc_count", id_col="patient_id",
                           time_col="draw_months", volume_col="blood_volume_ml",
                           covariates=["visceral_mets"], random="slope", kind="poisson"),
}
_FITS: dict = {}


def _fit(case, method):
    key = (case, method)
    if key not in _FITS:
        kw = dict(CASES[case])
        data = _data(kw.pop("data"))
        ref = load_output(TOPIC, case)
        _FITS[key] = fit_count_mixed_model(data, method=method, n_quad=ref["nAGQ"], **kw)
    return _FITS[key]


def _close(a, b, rtol, floor=0.1):
    a = np.atleast_1d(np.asarray(a, dtype=float))
    b = np.atleast_1d(np.asarray(b, dtype=float))
    err = np.abs(a - b) / np.maximum(np.abs(b), floor)
    assert err.max() <= rtol, f"max relative difference {err.max():.2e} > {rtol:g}: {a} vs {b}"


def _close_se(a, b, se, tol):
    err = np.abs(np.asarray(a, dtype=float) - np.asarray(b, dtype=float)) / np.asarray(se)
    assert err.max() <= tol, f"max |diff| / SE {err.max():.2e} > {tol:g}: {a} vs {b}"


def _pieces(fit):
    t = fit.table
    c = t.loc[t["component"] == "count"]
    z = t.loc[t["component"] == "zero"]
    v = fit.variance
    sd = v.loc[v["term"].str.startswith("sd("), "estimate"].to_numpy()
    cor = v.loc[v["term"].str.startswith("cor("), "estimate"].to_numpy()
    return c, z, sd, cor


def _ranef(fit, ids):
    re = fit.random_effects
    wide = re.pivot(index="id", columns="term", values="estimate")
    wide.index = wide.index.astype(str)
    return wide.loc[[str(i) for i in ids]]


@pytest.mark.parametrize("case", sorted(CASES))
def test_laplace_matches_glmmtmb(case):
    """glmmTMB(y ~ ... + offset(log(vol)) + (time | id), family = nbinom2, ziformula = ...)."""
    fit = _fit(case, "laplace")
    r = load_output(TOPIC, case)["glmmTMB"]
    assert fit.converged and fit.method == "laplace" and fit.n_quad == 1
    c, z, sd, cor = _pieces(fit)
    _close_se(c["coef"], r["coef"], c["std_error"], 2e-3)
    _close(c["std_error"], r["se"], 1e-4)
    sd_se = fit.variance["std_error"].to_numpy()
    _close_se(sd, r["sd"], sd_se[: sd.size], 2e-3)
    if cor.size:
        _close_se(cor, r["cor"], sd_se[sd.size:], 2e-3)
    assert fit.loglik == pytest.approx(r["loglik"], abs=1e-6)
    if "theta" in r:
        _close_se(fit.theta, r["theta"], fit.theta_std_error, 2e-3)
        _close(fit.theta_std_error / fit.theta, r["log_theta_se"], 1e-4)
    if "zi_coef" in r:
        _close_se(z["coef"], r["zi_coef"], z["std_error"], 2e-3)
        _close(z["std_error"], r["zi_se"], 1e-4)
    wide = _ranef(fit, r["ranef_ids"])
    _close(wide["intercept"], r["ranef"][0], 1e-4, floor=1.0)


def _engine(fit):
    """The fit's marginal likelihood (documented internal engine) at the same quadrature."""
    from ctcstats.longitudinal._agq import MarginalModel
    from ctcstats.longitudinal._count import count_block

    f = fit._fitted
    lay = f.layout
    m = f.ids.size
    blk = count_block(lay, y=f.y, x=f.x, z=f.z, offset=np.log(f.volume), w_zero=f.w_zero,
                      sub=f.sub, n_subjects=m, n_params=lay.end)
    return MarginalModel([blk], n_subjects=m, q=f.design.q, n_params=lay.end,
                         d_index=np.arange(lay.d.start, lay.d.stop), n_quad=fit.n_quad)


def _theta_from_r(fit, r):
    from ctcstats.longitudinal._agq import params_from_cov

    lay = fit._fitted.layout
    th = np.zeros(lay.end)
    th[lay.beta] = r["coef"]
    sd = np.atleast_1d(np.asarray(r["sd"], dtype=float))
    cor = np.eye(sd.size)
    if sd.size > 1:
        cor[np.tril_indices(sd.size, -1)] = r["cor"]
        cor = np.tril(cor) + np.tril(cor, -1).T
    th[lay.d] = params_from_cov(cor * np.outer(sd, sd))
    if lay.log_theta is not None:
        th[lay.log_theta] = np.log(r["theta"])
    if lay.gamma is not None:
        th[lay.gamma] = r["zi_coef"]
    return th


@pytest.mark.parametrize("case", sorted(CASES))
def test_agq_loglik_at_r_estimates(case):
    """Our adaptive quadrature at GLMMadaptive's estimates reproduces its logLik()."""
    fit = _fit(case, "agq")
    r = load_output(TOPIC, case)["GLMMadaptive"]
    model = _engine(fit)
    assert model.loglik(_theta_from_r(fit, r)) == pytest.approx(r["loglik"], abs=1e-7)


@pytest.mark.parametrize("case", sorted(CASES))
def test_agq_matches_glmmadaptive(case):
    """GLMMadaptive::mixed_model(fixed, random, family, nAGQ = n_quad, zi_fixed = ...)."""
    fit = _fit(case, "agq")
    r = load_output(TOPIC, case)["GLMMadaptive"]
    assert fit.converged and fit.n_quad == r.get("nAGQ", fit.n_quad)
    c, z, sd, cor = _pieces(fit)
    # our maximum of the same quadrature is at least theirs, and not far above
    assert r["loglik"] - 1e-7 <= fit.loglik <= r["loglik"] + 1e-4
    _close(c["coef"], r["coef"], 5e-4)
    _close(sd, r["sd"], 2e-4)
    if cor.size:
        _close(cor, r["cor"], 5e-4)
    if "theta" in r:
        _close(fit.theta, r["theta"], 2e-4)
    if "zi_coef" in r:
        _close(z["coef"], r["zi_coef"], 5e-4)
    _close(_ranef(fit, r["ranef_ids"])["intercept"], r["ranef"][0], 5e-4, floor=1.0)
    # standard errors: at fixed nodes as GLMMadaptive differentiates, and our default
    model = _engine(fit)
    th = fit._fitted.theta
    se_fixed = np.sqrt(np.diag(np.linalg.inv(-model.hessian(th, fixed_nodes=True))))
    lay = fit._fitted.layout
    _close(se_fixed[lay.beta], r["se"], 2e-4)
    _close(c["std_error"], r["se"], 5e-3)
    if "zi_coef" in r:
        _close(se_fixed[lay.gamma], r["zi_se"], 2e-4)
    if "theta" in r:
        _close(se_fixed[lay.log_theta], r["log_theta_se"], 2e-4)

