# R reference for ctcstats Cox regression (run from this folder: Rscript cox.R).
# Reads inputs/*.csv, fits survival::coxph and writes outputs/<model>.json.
suppressPackageStartupMessages({library(survival); library(jsonlite)})
dir.create("outputs", showWarnings = FALSE)
rd <- function(name) read.csv(file.path("inputs", paste0(name, ".csv")), stringsAsFactors = FALSE)

out <- function(fit, name, zph = TRUE, extra = list()) {
  cf <- coef(fit)
  res <- list(
    terms = names(cf), coef = unname(cf),
    se = unname(sqrt(diag(fit$var))),
    loglik = unname(fit$loglik), iter = fit$iter,
    concordance = unname(fit$concordance["concordance"]),
    concordance_std = unname(fit$concordance["std"]),
    n = fit$n, nevent = fit$nevent, r_version = as.character(packageVersion("survival")))
  if (!is.null(fit$naive.var)) res$se_naive <- unname(sqrt(diag(fit$naive.var)))
  if (!is.null(fit$penalty)) {
    res$penalty <- fit$penalty; res$df <- fit$df
    res$se2 <- unname(sqrt(diag(fit$var2)))
  }
  res$var <- unname(fit$var)
  if (zph) {
    z <- cox.zph(fit, transform = "km", terms = TRUE)
    res$zph_terms <- rownames(z$table); res$zph_chisq <- unname(z$table[, "chisq"])
    res$zph_df <- unname(z$table[, "df"]); res$zph_p <- unname(z$table[, "p"])
  }
  res <- c(res, extra)
  write_json(res, file.path("outputs", paste0(name, ".json")), digits = NA, auto_unbox = TRUE)
}

synth <- rd("synth"); synth$grp <- factor(synth$grp)
small <- rd("synth_small"); small$grp <- factor(small$grp)

# ---- synthetic data: ties, factor, strata, robust, cluster, weights, ridge
f <- coxph(Surv(time, status) ~ x1 + x2 + grp, data = synth, ties = "efron")
out(f, "synth_efron", extra = list(
  dfbeta = unname(residuals(f, type = "dfbeta")),
  score_resid = unname(residuals(f, type = "score")),
  schoenfeld = unname(residuals(f, type = "schoenfeld"))))
f <- coxph(Surv(time, status) ~ x1 + x2 + grp, data = synth, ties = "breslow")
out(f, "synth_breslow", extra = list(
  dfbeta = unname(residuals(f, type = "dfbeta")),
  schoenfeld = unname(residuals(f, type = "schoenfeld"))))
out(coxph(Surv(time, status) ~ x1 + x2 + grp + strata(s), data = synth), "synth_strata")
out(coxph(Surv(time, status) ~ x1 + x2 + grp + strata(s), data = synth, ties = "breslow"),
    "synth_strata_breslow")
out(coxph(Surv(time, status) ~ x1 + x2 + grp, data = synth, robust = TRUE), "synth_robust",
    zph = FALSE)
out(coxph(Surv(time, status) ~ x1 + x2 + grp, data = synth, cluster = id), "synth_cluster",
    zph = FALSE)
out(coxph(Surv(time, status) ~ x1 + x2 + strata(s), data = synth, cluster = id,
          ties = "breslow"), "synth_cluster_strata_breslow", zph = FALSE)
f <- coxph(Surv(time, status) ~ x1 + x2 + grp + strata(s), data = synth, weights = w)
out(f, "synth_weights", extra = list(dfbeta = unname(residuals(f, type = "dfbeta"))))
out(coxph(Surv(time, status) ~ ridge(x1, x2, theta = 2), data = synth),
    "synth_ridge", zph = FALSE)
out(coxph(Surv(time, status) ~ ridge(x1, x2, theta = 25) + strata(s),
          data = synth, ties = "breslow"), "synth_ridge_strata_breslow", zph = FALSE)
out(coxph(Surv(time, status) ~ x1 + x2 + grp, data = small), "small_efron")
out(coxph(Surv(time, status) ~ x1 + x2 + grp, data = small, ties = "breslow"), "small_breslow")

# ---- piecewise (time-split) effects: survSplit + period-specific covariates
pw <- function(d, cuts, vars, name, strata = FALSE, others = character()) {
  sp <- survSplit(Surv(time, status) ~ ., data = d, cut = cuts, episode = "period")
  nm <- character()
  for (v in vars) for (k in seq_len(length(cuts) + 1)) {
    col <- paste0(v, "_p", k); sp[[col]] <- sp[[v]] * (sp$period == k); nm <- c(nm, col)
  }
  rhs <- paste(c(nm, others), collapse = " + ")
  if (strata) rhs <- paste(rhs, "+ strata(s)")
  fit <- coxph(as.formula(paste("Surv(tstart, time, status) ~", rhs)), data = sp)
  # the same model written as R users do, with x:strata(period)
  fit2 <- coxph(as.formula(paste("Surv(tstart, time, status) ~",
                                 paste(paste0(vars, ":strata(period)"), collapse = " + "),
                                 if (length(others)) paste("+", paste(others, collapse = "+")) else "",
                                 if (strata) "+ strata(s)" else "")), data = sp)
  stopifnot(max(abs(sort(coef(fit)) - sort(coef(fit2)))) < 1e-8)
  out(fit, name, zph = FALSE, extra = list(n_rows = nrow(sp), coef_tt_form = unname(coef(fit2)),
                                           terms_tt_form = names(coef(fit2))))
}
pw(synth, 24, c("x1", "x2"), "piecewise_synth")
pw(synth, c(12, 36), c("x2"), "piecewise_synth_two_cuts", strata = TRUE, others = c("x1"))
sp <- survSplit(Surv(time, status) ~ ., data = synth, cut = 24, episode = "period")
sp$x1_p1 <- sp$x1 * (sp$period == 1); sp$x1_p2 <- sp$x1 * (sp$period == 2)
f <- coxph(Surv(tstart, time, status) ~ x1_p1 + x1_p2 + x2 + strata(s), data = sp,
           ties = "breslow", cluster = id)
out(f, "piecewise_cluster_breslow", zph = TRUE)
f <- coxph(Surv(tstart, time, status) ~ x1_p1 + x1_p2 + x2, data = sp, cluster = id)
out(f, "piecewise_cluster_efron", zph = TRUE)

# ---- real data
g <- rd("gbsg2")
g$horTh <- factor(g$horTh); g$tgrade <- factor(g$tgrade)
out(coxph(Surv(time, cens) ~ horTh + age + tsize + pnodes + tgrade + strata(menostat), data = g),
    "gbsg2_strata")
out(coxph(Surv(time, cens) ~ horTh + age + tsize + pnodes + tgrade, data = g, robust = TRUE),
    "gbsg2_robust", zph = FALSE)
gs <- survSplit(Surv(time, cens) ~ ., data = g, cut = 1825, episode = "period")
gs$horTh_p1 <- (gs$horTh == "yes") * (gs$period == 1)
gs$horTh_p2 <- (gs$horTh == "yes") * (gs$period == 2)
out(coxph(Surv(tstart, time, cens) ~ horTh_p1 + horTh_p2 + age + tsize + pnodes + tgrade,
          data = gs), "piecewise_gbsg2", zph = FALSE)
m <- rd("monotone")
out(suppressWarnings(coxph(Surv(time, status) ~ x + g, data = m)), "monotone", zph = FALSE)
r <- rd("rossi")
fr <- arrest ~ fin + age + race + wexp + mar + paro + prio
out(coxph(update(fr, Surv(week, .) ~ .), data = r), "rossi_efron")
out(coxph(update(fr, Surv(week, .) ~ .), data = r, ties = "breslow"), "rossi_breslow")
