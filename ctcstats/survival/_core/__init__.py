"""The survival core: one implementation of each algorithm the survival functions share.

Private to ctcstats (not public API); its modules have public-within-package names and are
imported directly (``from ctcstats.survival._core.cox import fit_cox_arrays``). Every public
function that needs one of these algorithms calls it here — there are no copies elsewhere,
so Kaplan–Meier, the log-rank test, Cox, Fine–Gray, the prognostic metrics, the designs'
calibration and replication and the batch engine give one answer.

==================  ===========================================  ==========================
module              what lives there (R function matched)        who calls it
==================  ===========================================  ==========================
:mod:`.ties`        which times are ties (``aeqSurv``'s          every function taking a
                    relative rule) and the message recording     time column; the batch
                    a merge                                      layout (per replicate)
:mod:`.curves`      event tables ((start, stop], weights,        kaplan_meier, the metrics
                    bootstrap rows), Kaplan–Meier (``survfit``), (km_at, Censoring, IPCW),
                    censoring curves (``survfit`` and            ipcw_weights, Fine–Gray,
                    ``prodlim(reverse=TRUE)`` conventions), S(t) reclassification, designs
                    and S(t−), quantiles (``quantile.survfit``), calibration, log-rank FH
                    CIs (``survfit_confint``)                    weights, cuminc, cox.zph
:mod:`.newton`      Newton–Raphson (``coxph.fit`` and            fit_cox_arrays (Cox,
                    ``cmprsk::crr`` rules), ``cholesky2``/       ridge, Firth), Fine–Gray,
                    ``chsolve2``/``chinv2``, covariate scaling   the batch engine (all
                    (``coxfit6``); vectorised over replicates    replicates at once)
:mod:`.cox`         Cox partial likelihood (``coxfit6``/         fit_cox, fit_piecewise_cox,
                    ``agfit4``: strata, weights, offsets,        CoxModel, validation,
                    (start, stop]), the fit, penalty hook and    calibration, nomogram,
                    ridge (``ridge(scale=TRUE)``), residuals,    added_value, the designs'
                    baseline hazard, cox.zph, linear predictor   calibration, missing/pool
:mod:`.firth`       Firth's penalty on the same risk-set sums    fit_cox(firth=True)
                    (``coxphf``)
:mod:`.concordance` concordance and its standard error           fit_cox, concordance_index,
                    (``concordancefit``, time weights)           CoxModel.score, validation,
                                                                 added_value
:mod:`.logrank`     observed/expected/variance and chi-square    logrank_test, the pairwise
                    (``survdiff``)                               tests, optimal_cutpoint,
                                                                 batch_logrank
==================  ===========================================  ==========================
"""
