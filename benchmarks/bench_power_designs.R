# R loop over power replicates with a design's real analysis, for benchmarks/bench_power.py
# (--designs / --scaling; not a test).
# Usage: Rscript bench_power_designs.R cohorts.csv
#   columns: replicate, time, event, strata (integer code, or all 0 when unstratified), x1..xp
# Prints CPU seconds (user + system) of a coxph loop and of a bare coxph.fit loop, and the
# marker coefficient of the first replicates.
suppressPackageStartupMessages(library(survival))
args <- commandArgs(trailingOnly = TRUE)
d <- read.csv(args[1])
xs <- grep("^x[0-9]+$", names(d), value = TRUE)
stratified <- length(unique(d$strata)) > 1
rhs <- paste(xs, collapse = " + ")
if (stratified) rhs <- paste(rhs, "+ strata(strata)")
form <- as.formula(paste("Surv(time, event) ~", rhs))
parts <- split(d, d$replicate)
cpu <- function() { p <- proc.time(); p[["user.self"]] + p[["sys.self"]] }
t0 <- cpu()
coef_formula <- vapply(parts, function(p) coef(coxph(form, data = p))[[1]], 0)
t1 <- cpu()
ctrl <- coxph.control()
coef_fit <- vapply(parts, function(p) {
  y <- Surv(as.double(p$time), as.double(p$event))
  o <- if (stratified) order(p$strata, p$time) else order(p$time)
  st <- if (stratified) as.integer(factor(p$strata[o])) else NULL
  coxph.fit(as.matrix(p[o, xs]), y[o], strata = st, offset = NULL, init = NULL,
            control = ctrl, weights = NULL, method = "efron", rownames = NULL)$coefficients[[1]]
}, 0)
t2 <- cpu()
cat(sprintf("replicates %d\n", length(parts)))
cat(sprintf("coxph_seconds %.4f\n", t1 - t0))
cat(sprintf("coxph_fit_seconds %.4f\n", t2 - t1))
cat(sprintf("coef %s\n", paste(sprintf("%.12f", head(coef_formula, 5)), collapse = " ")))
cat(sprintf("max_abs_diff_fit %.3g\n", max(abs(coef_formula - coef_fit))))
cat(sprintf("R %s survival %s\n", getRversion(), packageVersion("survival")))
