# R reference for ctcstats.missing.impute: pooled Cox estimates after smcfcs and mice, over
# many seeds (run from this folder: Rscript missing_impute.R; a few minutes).
#
# Imputation is random, so the reference is a distribution: for each data set and method the
# script imputes m = 10 data sets (10 cycles) with seeds 1..N_REP, fits coxph to each, pools
# with mice::pool and stores the pooled coefficient and its standard error per seed. The
# Python test compares the mean of a few of its own replicates with the mean of these, with
# the tolerance taken from the spread of these replicates (Monte-Carlo error).
#
# 1. inputs/synth_mar.csv — a synthetic cohort (seed 20261202, n = 600):
#      x ~ N(0, 1); z ~ Bernoulli(plogis(-0.4 + 0.8 x)); T ~ Exp(rate 0.05 exp(0.7 x + 0.6 z));
#      censoring Uniform(5, 40) months; then x missing with P = plogis(-1.8 + 1.4 event + 0.6 z)
#      and z missing with P = plogis(-1.6 + 0.8 event) — missing at random given the outcome.
#    Substantive model Surv(months, event) ~ x + z; smcfcs c("norm", "logreg"); mice
#    c("norm", "logreg") with event and the Nelson-Aalen H(T) as predictors (White & Royston).
# 2. inputs/colon_mar.csv (written by missing_pool.R: colon, death endpoint, with extra MAR
#    missingness in nodes and differ). Substantive model Surv(time, status) ~ rx + age +
#    obstruct + nodes + differ with differ a factor (levels 1, 2, 3); smcfcs c(nodes = "norm",
#    differ = "mlogit"); mice nodes "norm", differ "polyreg" with status and H(T).
suppressPackageStartupMessages({library(survival); library(mice); library(smcfcs)
  library(jsonlite)})
dir.create("outputs", showWarnings = FALSE)
N_REP <- as.integer(Sys.getenv("N_REP", "15"))
M <- 10

set.seed(20261202)
n <- 600
x <- rnorm(n)
z <- rbinom(n, 1, plogis(-0.4 + 0.8 * x))
t_ev <- rexp(n, 0.05 * exp(0.7 * x + 0.6 * z))
cens <- runif(n, 5, 40)
synth <- data.frame(months = pmin(t_ev, cens), event = as.integer(t_ev <= cens), x = x, z = z)
synth$x[runif(n) < plogis(-1.8 + 1.4 * synth$event + 0.6 * synth$z)] <- NA
synth$z[runif(n) < plogis(-1.6 + 0.8 * synth$event)] <- NA
write.csv(synth, file.path("inputs", "synth_mar.csv"), row.names = FALSE, na = "")

colon_mar <- read.csv(file.path("inputs", "colon_mar.csv"))
colon_mar <- colon_mar[, c("time", "status", "rx", "age", "obstruct", "nodes", "differ")]
colon_mar$rx <- factor(colon_mar$rx)  # alphabetical levels: Lev, Lev+5FU, Obs
colon_mar$differ <- factor(colon_mar$differ, levels = 1:3)

pooled <- function(sets, formula) {
  fits <- lapply(sets, function(d) coxph(formula, data = d))
  s <- summary(pool(as.mira(fits)))
  list(term = as.character(s$term), estimate = s$estimate, std_error = s$std.error)
}
run_smcfcs <- function(d, formula, method, seed) {
  invisible(capture.output(
    imp <- smcfcs(d, smtype = "coxph", smformula = deparse(formula), method = method, m = M,
                  numit = 10, noisy = FALSE)))
  pooled(imp$impDatasets, formula)
}
collect <- function(f) {
  reps <- lapply(seq_len(N_REP), f)
  list(term = reps[[1]]$term,
       estimate = do.call(rbind, lapply(reps, `[[`, "estimate")),
       std_error = do.call(rbind, lapply(reps, `[[`, "std_error")))
}
nelsonaalen_fix <- function(d, time, status) {
  fit <- coxph(as.formula(paste0("Surv(", time, ", ", status, ") ~ 1")), data = d)
  h <- basehaz(fit)
  h$hazard[match(d[[time]], h$time)]
}
run_mice <- function(d, formula, method, time, status, seed) {
  d$H <- nelsonaalen_fix(d, time, status)
  pred <- make.predictorMatrix(d)
  pred[, time] <- 0
  meth <- make.method(d)
  meth[names(method)] <- method
  imp <- mice(d, m = M, maxit = 10, method = meth, predictorMatrix = pred, seed = seed,
              printFlag = FALSE)
  pooled(lapply(1:M, function(i) complete(imp, i)), formula)
}

f_syn <- Surv(months, event) ~ x + z
f_col <- Surv(time, status) ~ rx + age + obstruct + nodes + differ
out <- list(
  versions = list(r = R.version.string, smcfcs = as.character(packageVersion("smcfcs")),
                  mice = as.character(packageVersion("mice")),
                  survival = as.character(packageVersion("survival"))),
  n_rep = N_REP, m = M, numit = 10,
  synth = list(
    n_missing = colSums(is.na(synth)),
    complete_case = {f <- coxph(f_syn, data = synth)
      list(estimate = unname(coef(f)), std_error = unname(sqrt(diag(vcov(f)))))},
    smcfcs = collect(function(r) {set.seed(r)
      run_smcfcs(synth, f_syn, c("", "", "norm", "logreg"), r)}),
    mice = collect(function(r) run_mice(transform(synth, z = factor(z)), f_syn,
                                        c(x = "norm", z = "logreg"), "months", "event", r))),
  colon = list(
    smcfcs = collect(function(r) {set.seed(r)
      run_smcfcs(colon_mar, f_col, c("", "", "", "", "", "norm", "mlogit"), r)}),
    mice = collect(function(r) run_mice(colon_mar, f_col, c(nodes = "norm", differ = "polyreg"),
                                        "time", "status", r)))
)
write_json(out, file.path("outputs", "impute_reference.json"), digits = NA, auto_unbox = TRUE,
           pretty = FALSE)
