# R reference for ctcstats.missing.impute(method="fcs", continuous_model="pmm"): mice with
# predictive mean matching (mice.impute.pmm, donors = 5, matchtype = 1) for the continuous
# covariate, over many seeds (run from this folder: Rscript impute_pmm.R; ~1 minute).
#
# Input: ../missing/inputs/synth_mar.csv (written by ../missing/missing_impute.R: x ~ N(0, 1)
# ~39% missing, z binary ~23% missing, Cox log HRs 0.7 / 0.6, missing at random given the
# event). mice: x "pmm", z "logreg", the event indicator and the Nelson-Aalen H(T) as
# predictors (White & Royston 2009), m = 10, maxit = 10, seeds 1..N_REP; coxph
# Surv(months, event) ~ x + z on each data set, pooled with mice::pool. Also stored: the
# pooled distribution of the imputed x (mean, SD, 10/50/90% quantiles of the imputed values
# over the m data sets) per seed.
suppressPackageStartupMessages({library(survival); library(mice); library(jsonlite)})
N_REP <- as.integer(Sys.getenv("N_REP", "40"))
M <- 10
synth <- read.csv(file.path("..", "missing", "inputs", "synth_mar.csv"))
synth$z <- factor(synth$z)
fit0 <- coxph(Surv(months, event) ~ 1, data = synth)
h <- basehaz(fit0)
synth$H <- h$hazard[match(synth$months, h$time)]
pred <- make.predictorMatrix(synth)
pred[, "months"] <- 0
meth <- make.method(synth)
meth[c("x", "z")] <- c("pmm", "logreg")
miss_x <- is.na(synth$x)
f <- Surv(months, event) ~ x + z
reps <- lapply(seq_len(N_REP), function(r) {
  imp <- mice(synth, m = M, maxit = 10, method = meth, predictorMatrix = pred, seed = r,
              printFlag = FALSE, donors = 5L, matchtype = 1L)
  sets <- lapply(1:M, function(i) complete(imp, i))
  s <- summary(pool(as.mira(lapply(sets, function(d) coxph(f, data = d)))))
  xi <- unlist(lapply(sets, function(d) d$x[miss_x]))
  list(estimate = s$estimate, std_error = s$std.error,
       imputed = c(mean(xi), sd(xi), quantile(xi, c(0.1, 0.5, 0.9), names = FALSE)))
})
out <- list(
  versions = list(r = R.version.string, mice = as.character(packageVersion("mice")),
                  survival = as.character(packageVersion("survival"))),
  n_rep = N_REP, m = M, maxit = 10, donors = 5, matchtype = 1, term = c("x", "z"),
  estimate = do.call(rbind, lapply(reps, `[[`, "estimate")),
  std_error = do.call(rbind, lapply(reps, `[[`, "std_error")),
  imputed_stats = c("mean", "sd", "q10", "q50", "q90"),
  imputed = do.call(rbind, lapply(reps, `[[`, "imputed")))
write_json(out, file.path("outputs", "impute_pmm_reference.json"), digits = NA,
           auto_unbox = TRUE)
