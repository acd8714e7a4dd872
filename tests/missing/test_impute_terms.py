"""impute(terms=...): non-linear and interaction terms of the substantive Cox model —
derived columns, exact equivalence with the plain model, errors. (Agreement with R smcfcs's
passive variables: test_impute_terms_reference.py.)"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose, assert_array_equal

import ctcstats as cs
from ctcstats.errors import DataValidationError, ParameterError
from ctcstats.prognostic.calibration import rcs_basis, rcs_knots

ROLES = {"time_col": "months", "event_col": "event"}


def _small(n=240, seed=3):
    rng = np.random.default_rng(seed)
    d = pd.DataFrame({"x": rng.normal(size=n), "z": rng.binomial(1, 0.4, n),
                      "g": rng.choice(["a", "b", "c"], n)})
    t = rng.exponential(20 / np.exp(0.5 * d.x + 0.3 * d.x**2 + 0.4 * d.z))
    d["months"], d["event"] = np.minimum(t, 30), (t < 30).astype(int)
    d.loc[rng.random(n) < 0.3, "x"] = np.nan
    d.loc[rng.random(n) < 0.2, "z"] = np.nan
    return d


def test_derived_columns_are_recomputed_from_the_imputed_values():
    d = _small()
    before = d.copy()
    imp = cs.impute(d, covariates=["x", "x_sq", "z", "x_g"], n_imputations=3, n_iter=3,
                    rng=1, terms={"x_sq": lambda c: c["x"] ** 2,
                                  "x_g": lambda c: c["x"] * (c["g"] == "b")}, **ROLES)
    pd.testing.assert_frame_equal(d, before)  # input unchanged
    assert imp.model_covariates == ("x", "x_sq", "z", "x_g")
    for frame in imp.datasets:
        assert not frame[["x", "z", "x_sq", "x_g"]].isna().any().any()
        assert_allclose(frame["x_sq"], frame["x"] ** 2, rtol=1e-15)
        assert_allclose(frame["x_g"], frame["x"] * (frame["g"] == "b"), rtol=1e-15)
        assert list(frame.columns) == list(d.columns) + ["x_sq", "x_g"]
    roles = imp.methods.set_index("variable")["role"]
    assert roles["x"] == "covariate"


def test_an_identity_term_gives_the_plain_model_exactly():
    """A term equal to its column (covariates ['z', 'x2'] with x2 = x) builds the same Cox
    design as ['z', 'x'] and the same variables in the same order: same draws, same data."""
    d = _small()
    plain = cs.impute(d, covariates=["z", "x"], n_imputations=2, n_iter=3, rng=5, **ROLES)
    via = cs.impute(d, covariates=["z", "x2"], terms={"x2": lambda c: c["x"]},
                    n_imputations=2, n_iter=3, rng=5, **ROLES)
    assert via.methods["role"].tolist() == ["covariate", "covariate (in terms)"]
    for a, b in zip(plain.datasets, via.datasets, strict=True):
        assert_array_equal(a["x"], b["x"])
        assert_array_equal(a["z"], b["z"])
        assert_array_equal(b["x2"], b["x"])


def test_terms_change_the_imputations_towards_the_true_curve():
    """x enters the true hazard with a quadratic term: the values imputed for events at
    extreme |x| are more spread out with the quadratic term than without it."""
    d = _small(n=600, seed=11)
    kw = dict(n_imputations=5, n_iter=5, rng=2, **ROLES)
    lin = cs.impute(d, covariates=["x", "z"], **kw)
    quad = cs.impute(d, covariates=["x", "x_sq", "z"],
                     terms={"x_sq": lambda c: c["x"] ** 2}, **kw)
    m = d["x"].isna().to_numpy() & (d["event"] == 1).to_numpy()
    sq_lin = np.mean([f["x"].to_numpy()[m] ** 2 for f in lin.datasets])
    sq_quad = np.mean([f["x"].to_numpy()[m] ** 2 for f in quad.datasets])
    assert sq_quad > sq_lin


def test_rcs_term_is_the_hmisc_basis():
    k = np.array([0.0, 1.0, 1.7, 2.9])
    x = np.array([0.0, 2.0, 5.0, 30.0])
    assert_allclose(cs.rcs_term("n", k)({"n": x}), rcs_basis(np.log1p(x), k), rtol=1e-15)
    assert_allclose(cs.rcs_term("n", k, transform=None)({"n": x}), rcs_basis(x, k))
    with pytest.raises(ParameterError, match="'knots' parameter of rcs_term"):
        cs.rcs_term("n", [1.0, 0.5, 2.0])
    with pytest.raises(ParameterError, match="with a number of knots, pass data"):
        cs.rcs_term("n", 4)
    d = pd.DataFrame({"n": np.r_[np.arange(40.0), [np.nan] * 5]})
    f = cs.rcs_term("n", 4, data=d)
    assert_allclose(f.knots, rcs_knots(np.log1p(np.arange(40.0)), 4))


@pytest.mark.parametrize(("kwargs", "error", "match"), [
    ({"terms": {"x_sq": lambda c: c["nope"] ** 2}}, DataValidationError,
     "term 'x_sq' reads 'nope', which is not a column"),
    ({"terms": {"x_sq": lambda c: c["months"] ** 2}}, ParameterError,
     "reads 'months', which is the outcome"),
    ({"terms": {"x_sq": lambda c: c["x"] ** 2}, "auxiliary": ["g"],
      "covariates": ["x", "z"]}, ParameterError, "term 'x_sq' is not among the covariates"),
    ({"terms": {"x_sq": lambda c: c["g"] == "a"}, "auxiliary": ["g"]}, ParameterError,
     "reads 'g', which is an auxiliary variable"),
    ({"terms": {"x_sq": lambda c: np.log(c["x"])}}, DataValidationError,
     "term 'x_sq' is not finite in"),
    ({"terms": {"x_sq": lambda c: c["x"][:3]}}, ParameterError,
     "must return one value per row"),
    ({"terms": {"z": lambda c: c["x"] ** 2}, "covariates": ["x", "z"]}, ParameterError,
     "term name 'z' of impute is already a column"),
    ({"terms": ["x_sq"]}, ParameterError, "'terms' parameter of impute must be a dict"),
    ({"terms": {"x_sq": lambda c: c.x ** 2}}, ParameterError, "could not be evaluated"),
])
def test_bad_terms_are_named(kwargs, error, match):
    d = _small()
    args = {"covariates": ["x", "x_sq", "z"], "n_imputations": 1, "n_iter": 1, **kwargs}
    with pytest.raises(error, match=match):
        cs.impute(d, **args, **ROLES)


def test_terms_with_competing_risks_fcs_and_to_dict():
    """Terms enter every cause-specific Cox model (smcfcs, competing_risks=True); with FCS
    they are recomputed from the imputed values (passive); the result stays JSON-safe."""
    import json

    d = _small(n=300, seed=8)
    d["event"] = np.where(d["event"] == 1, 1 + (np.arange(len(d)) % 2), 0)
    terms = {"x_sq": lambda c: c["x"] ** 2}
    for method in ("smcfcs", "fcs"):
        imp = cs.impute(d, covariates=["x", "x_sq", "z"], terms=terms, method=method,
                        competing_risks=True, n_imputations=2, n_iter=2, rng=3, **ROLES)
        assert imp.model_covariates == ("x", "x_sq", "z")
        for frame in imp.datasets:
            assert_allclose(frame["x_sq"], frame["x"] ** 2, rtol=1e-15)
        out = json.loads(json.dumps(imp.to_dict()))
        assert out["model_covariates"] == ["x", "x_sq", "z"]
