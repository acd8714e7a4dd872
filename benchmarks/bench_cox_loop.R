# R loops over Cox replicates, for benchmarks/bench_batch_cox.py and bench_power.py (not a test).
# Usage: Rscript bench_cox_loop.R cohorts.csv [repeats]
#   columns: replicate, time, event, x1..xp, and optionally strata (integer codes) — or the
#   older single-covariate form (replicate, time, event, x)
# Prints CPU seconds (proc.time user + system) of four loops over the same replicates, each
# the same Efron fit:
#   coxph_seconds         coxph(Surv(time, event) ~ x1 + ... [+ strata(strata)])
#   coxph_fit_seconds     survival::coxph.fit on the model matrix (no formula, no model frame)
#   c_sorted_seconds      the C routine alone (survival's Ccoxfit6) on data sorted beforehand
#                         (sorting and R's set-up excluded: the floor of one fit)
#   c_with_sort_seconds   the same C routine with the order() it needs (sort included)
# and the first coefficient of the first replicates.
suppressPackageStartupMessages(library(survival))
args <- commandArgs(trailingOnly = TRUE)
d <- read.csv(args[1])
if ("x" %in% names(d) && !("x1" %in% names(d))) names(d)[names(d) == "x"] <- "x1"
xs <- grep("^x[0-9]+$", names(d), value = TRUE)
stratified <- "strata" %in% names(d) && length(unique(d$strata)) > 1
rhs <- paste(xs, collapse = " + ")
if (stratified) rhs <- paste(rhs, "+ strata(strata)")
form <- as.formula(paste("Surv(time, event) ~", rhs))
parts <- split(d, d$replicate)
cpu <- function() { p <- proc.time(); p[["user.self"]] + p[["sys.self"]] }
# each loop runs `repeats` times (argument 2, default 3); the least CPU time is reported (the
# shared machine's load inflates some runs)
repeats <- if (length(args) > 1) as.integer(args[2]) else 3L
best <- function(f) {
  out <- NULL; tmin <- Inf
  for (k in seq_len(repeats)) {
    t0 <- cpu(); out <- f(); tmin <- min(tmin, cpu() - t0)
  }
  list(value = out, seconds = tmin)
}
ctrl <- coxph.control()
r_formula <- best(function() vapply(parts, function(p) coef(coxph(form, data = p))[[1]], 0))
r_fit <- best(function() vapply(parts, function(p) {
  y <- Surv(as.double(p$time), as.double(p$event))
  st <- if (stratified) p$strata else NULL
  coxph.fit(as.matrix(p[, xs]), y, strata = st, offset = NULL, init = NULL, control = ctrl,
            weights = NULL, method = "efron", rownames = NULL)$coefficients[[1]]
}, 0))
coef_formula <- r_formula$value
coef_fit <- r_fit$value
# the C routine: inputs prepared as coxph.fit prepares them (sorted by stratum and time)
c_args <- function(p, o) {
  x <- as.matrix(p[o, xs]); storage.mode(x) <- "double"
  n <- nrow(x)
  newstrat <- if (stratified) {
    s <- p$strata[o]; as.integer(c(1 * (diff(as.numeric(s)) != 0), 1))
  } else as.integer(rep(0, n))
  list(stime = as.double(p$time[o]), sstat = as.integer(p$event[o]), x = x,
       off = double(n), w = rep(1, n), newstrat = newstrat, init = double(ncol(x)),
       scale = rep(1L, ncol(x)))
}
fit_c <- function(a) {
  .Call(survival:::Ccoxfit6, as.integer(ctrl$iter.max), a$stime, a$sstat, a$x, a$off, a$w,
        a$newstrat, 1L, as.double(ctrl$eps), as.double(ctrl$toler.chol), a$init,
        a$scale)$coef[[1]]
}
ord <- function(p) if (stratified) order(p$strata, p$time) else order(p$time)
prepared <- lapply(parts, function(p) c_args(p, ord(p)))
r_c <- best(function() vapply(prepared, fit_c, 0))
r_c2 <- best(function() vapply(parts, function(p) fit_c(c_args(p, ord(p))), 0))
coef_c <- r_c$value
coef_c2 <- r_c2$value
cat(sprintf("replicates %d\n", length(parts)))
cat(sprintf("coxph_seconds %.4f\n", r_formula$seconds))
cat(sprintf("coxph_fit_seconds %.4f\n", r_fit$seconds))
cat(sprintf("c_sorted_seconds %.4f\n", r_c$seconds))
cat(sprintf("c_with_sort_seconds %.4f\n", r_c2$seconds))
cat(sprintf("coef %s\n", paste(sprintf("%.12f", head(coef_formula, 5)), collapse = " ")))
cat(sprintf("max_abs_diff_fit %.3g\n", max(abs(coef_formula - coef_fit),
                                           abs(coef_formula - coef_c),
                                           abs(coef_formula - coef_c2))))
cat(sprintf("R %s survival %s\n", getRversion(), packageVersion("survival")))
