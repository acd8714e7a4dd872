# R loop over replicates, for benchmarks/bench_power.py (not a test).
# Usage: Rscript bench_cox_loop.R cohorts.csv   (columns replicate, time, event, x)
# Prints "coxph_seconds <s>", "coxph_fit_seconds <s>" and the first coefficients.
suppressPackageStartupMessages(library(survival))
args <- commandArgs(trailingOnly = TRUE)
d <- read.csv(args[1])
parts <- split(d, d$replicate)
t0 <- proc.time()[["elapsed"]]
coef_formula <- vapply(parts, function(p) coef(coxph(Surv(time, event) ~ x, data = p)), 0)
t1 <- proc.time()[["elapsed"]]
ctrl <- coxph.control()
coef_fit <- vapply(parts, function(p) {
  y <- Surv(as.double(p$time), as.double(p$event))
  coxph.fit(matrix(as.double(p$x)), y, strata = NULL, offset = NULL, init = NULL,
            control = ctrl, weights = NULL, method = "efron", rownames = NULL)$coefficients
}, 0)
t2 <- proc.time()[["elapsed"]]
cat(sprintf("replicates %d\n", length(parts)))
cat(sprintf("coxph_seconds %.4f\n", t1 - t0))
cat(sprintf("coxph_fit_seconds %.4f\n", t2 - t1))
cat(sprintf("coef %s\n", paste(sprintf("%.10f", head(coef_formula, 5)), collapse = " ")))
cat(sprintf("max_abs_diff_fit %.3g\n", max(abs(coef_formula - coef_fit))))
