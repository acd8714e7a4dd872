"""The survival core: one implementation of each algorithm the survival functions share.

Private to ctcstats (not public API); its modules have public-within-package names and are
imported directly (``from ctcstats.survival._core.cox import fit_cox_arrays``). Every public
function that needs one of these algorithms calls it here — there are no copies elsewhere,
so Kaplan–Meier, the log-rank test, Cox, Fine–Gray, the prognostic metrics, the designs'
calibration and replication and the batch engine give one answer.

========================  ===================================================================
module                    what lives there (R function matched)
========================  ===================================================================
:mod:`.ties`              which times are ties (``aeqSurv``'s relative rule), reported
:mod:`.curves`            event tables, Kaplan–Meier (``survfit``), censoring curves
                          (``survfit`` / ``prodlim(reverse=TRUE)`` conventions), evaluation
                          at t or t−, quantiles (``quantile.survfit``), CIs
                          (``survfit_confint``)
:mod:`.newton`            Newton–Raphson (``coxph.fit`` / ``cmprsk::crr`` rules), R's
                          ``cholesky2``/``chsolve2``/``chinv2``, covariate scaling
                          (``coxfit6``), vectorised over replicates
:mod:`.cox`               Cox partial likelihood (``coxfit6``/``agfit4``: strata, weights,
                          offsets, (start, stop]), fit, penalty hook and ridge
                          (``ridge(scale=TRUE)``), residuals, baseline hazard, cox.zph
:mod:`.firth`             Firth's penalty on the same risk-set sums (``coxphf``)
:mod:`.concordance`       concordance and its standard error (``concordancefit``)
:mod:`.logrank`           observed/expected/variance and chi-square (``survdiff``)
========================  ===================================================================
"""
