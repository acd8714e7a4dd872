"""fit_locf_cox against R: ``survival::tmerge`` (``tdc``) + ``coxph(Surv(tstart, tstop, event))``.

The synthetic Poisson draws of ``tests/reference/longitudinal/inputs`` (200 patients, 1,242
draws, the first at time 0). R script ``locf.R``; versions in its output. Both sides fit the
same partial likelihood (Efron ties) with Newton–Raphson converged far below 1e-9, so the
coefficients, model-based standard errors and log-likelihood agree to ``rtol = 1e-7``.
"""

from __future__ import annotations

import numpy as np

import ctcstats as cs
from tests.reference._load import load_input, load_output


def test_locf_cox_equals_tmerge_coxph():
    ref = load_output("longitudinal", "locf_pois")
    draws = load_input("longitudinal", "draws_pois")
    patients = load_input("longitudinal", "patients_pois")
    res = cs.fit_locf_cox(patients, draws=draws, time_col="os_months", event_col="os_event",
                          id_col="patient_id", count_col="ctc_count",
                          draw_time_col="draw_months", volume_col="blood_volume_ml",
                          covariates=["visceral_mets"])
    assert res.table.index.tolist() == ["log_concentration", "visceral_mets"]
    np.testing.assert_allclose(res.table["coef"], ref["coef"], rtol=1e-7)
    np.testing.assert_allclose(res.table["std_error"], ref["se"], rtol=1e-7)
    np.testing.assert_allclose(res.loglik, ref["loglik"], rtol=1e-9)
    assert res.n_intervals == ref["n_intervals"]
    assert res.n_events == ref["n_events"]
