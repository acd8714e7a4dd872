"""Every public parameter is validated with a message naming it (issue 13).

For each function of the property registry (tests/property/_registry.py) and each of its
parameters that has an entry in ``BAD``, every bad value must raise a ctcstats error (a
``ParameterError`` or ``DataValidationError``) whose message names the parameter — never a raw
numpy/pandas/scipy exception, never a silently accepted value.
"""

from __future__ import annotations

import inspect
import math
import warnings

import pytest

import ctcstats as cs
from ctcstats.errors import CTCStatsError

from ._registry import CALLS, inputs

BAD: dict[str, list] = {
    "rng": [-1, "seed", 1.5],
    "n_boot": [-1, 2.5, "10"],
    "n_perm": [0, -5, 1.5],
    "conf_level": [95, 0, 1.0, "0.95", math.nan],
    "horizon": [-1.0, 0.0, math.nan, "12"],
    "tau": [-1.0, 0.0, math.nan],
    "n_groups": [0, 1.5, "4"],
    "n_knots": [2, 8],
    "n_folds": [1, 2.5],
    "n_repeats": [0],
    "max_iter": [-3, 2.5],  # 0 is allowed: R evaluates at the initial values
    "tol": [-1.0, 0.0, math.nan],
    "missing": ["ignore", None, 1],
    "min_prop": [-0.1, 0.0, 1.2],
    "max_prop": [0.0, 1.0, 1.5],
    "train_frac": [0.0, 1.0, -0.5],
    "per": [0.0, -7.5, math.nan],
    "thresholds": [(-1,), ()],
    "landmark": [-3.0, math.nan],
    "landmarks": [-3.0, math.nan],
    "digits": [-1, 2.5],
    "ties": ["exact", None],
    "method": ["bogus"],
    "kind": ["bogus"],
    "test": ["bogus"],
    "p_method": ["bogus"],
    "rho": [-1.0, math.nan],
    "gamma": [-1.0, math.nan],
    "asymmetry_tolerance": [-0.5, math.nan],
    "penalizer": [-1.0, math.nan],
    "cutoffs": [(0.0, 0.5), (0.5, 0.2), (1.5,)],
    "breaks": [(), (3, 1)],
    "event_of_interest": [0, -1, 1.5],
    "split_at": [(-5.0,), ()],
    "threshold": [-1, 1.5],
}

ANY = "<any value>"

# (function, parameter, value) where a value of BAD is legitimate (value ANY: all of
# them), with the reason
LEGITIMATE = {
    ("landmark_stack", "threshold", ANY): "a threshold on the (possibly log-transformed) "
                                           "marker: any real number",
    ("predict_risk", "horizon", 0.0): "the risk by time 0 is 0 (a model prediction, not an "
                                      "analysis of data at a horizon)",
    ("landmark_supermodel", "threshold", ANY): "a threshold on the (possibly "
                                                "log-transformed) marker: any real number",
    ("dynamic_performance", "missing", None): "None (the default) means the setting the "
                                              "models were fitted with",
    ("fit_count_mixed_model", "n_knots", ANY): "interior knots of the time spline: any "
                                                "count ≥ 0 (the 3–7 rule is for rcs terms)",
    ("fit_joint_model", "n_knots", ANY): "interior cut points of the baseline hazard: any "
                                          "count ≥ 0",
}

CASES = []
for _name in sorted(CALLS):
    _params = inspect.signature(getattr(cs, _name)).parameters
    for _p in _params:
        if (_name, _p, ANY) in LEGITIMATE:
            continue
        for _v in BAD.get(_p, []):
            if (_name, _p, _v) in LEGITIMATE:
                continue
            CASES.append(pytest.param(_name, _p, _v, id=f"{_name}-{_p}={_v!r}"))


def _inputs(name):
    return inputs(name)


@pytest.mark.parametrize("name,param,value", CASES)
def test_bad_parameter_is_named(name, param, value, monkeypatch):
    original = getattr(cs, name)

    def with_bad_value(*args, **kwargs):
        kwargs[param] = value
        return original(*args, **kwargs)

    monkeypatch.setattr(cs, name, with_bad_value)
    d, w = _inputs(name)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", cs.CTCStatsWarning)
        with pytest.raises(CTCStatsError, match=rf"\b{param}\b"):
            CALLS[name].run(d, w, 1.0)
