# R reference for ctcstats.missing.impute(study_col=...): pooled data, covariates missing
# sporadically within studies; smcfcs with the study as a fixed effect of the Cox model
# (smformula "Surv(t, d) ~ x + z + study"; smcfcs 1.7.1 does not take strata() there) and
# hence a factor predictor of the covariate models. Seeds 1..N_REP (run from this folder: Rscript missing_impute_study.R).
#
# inputs/study_mar.csv (seed 20261204, n = 600, 4 studies of 150):
#   study s = 1..4; x ~ N(0.3 (s - 2.5), 1); z ~ Bernoulli(plogis(-0.4 + 0.8 x));
#   hazard 0.02 s exp(0.7 x + 0.5 z) (baseline differs by study); censoring Uniform(5, 40);
#   x missing with P = plogis(-1.6 + 1.3 d + 0.2 s), z missing with P = plogis(-1.8 + 0.8 d).
suppressPackageStartupMessages({library(survival); library(mice); library(smcfcs)
  library(jsonlite)})
N_REP <- as.integer(Sys.getenv("N_REP", "10"))
set.seed(20261204)
n <- 600
s <- rep(1:4, each = 150)
x <- rnorm(n, 0.3 * (s - 2.5))
z <- rbinom(n, 1, plogis(-0.4 + 0.8 * x))
tt <- rexp(n, 0.02 * s * exp(0.7 * x + 0.5 * z))
cens <- runif(n, 5, 40)
dat <- data.frame(t = pmin(tt, cens), d = as.integer(tt <= cens), x = x, z = z,
                  study = paste0("S", s))
dat$x[runif(n) < plogis(-1.6 + 1.3 * dat$d + 0.2 * s)] <- NA
dat$z[runif(n) < plogis(-1.8 + 0.8 * dat$d)] <- NA
write.csv(dat, file.path("inputs", "study_mar.csv"), row.names = FALSE, na = "")

dat$study <- factor(dat$study)
f <- Surv(t, d) ~ x + z + study
reps <- lapply(seq_len(N_REP), function(r) {
  set.seed(r)
  invisible(capture.output(suppressWarnings(
    imp <- smcfcs(dat, smtype = "coxph", smformula = "Surv(t, d) ~ x + z + study",
                  method = c("", "", "norm", "logreg", ""), m = 10, numit = 10))))
  s <- summary(pool(as.mira(lapply(imp$impDatasets, function(x) coxph(f, data = x)))))
  list(estimate = s$estimate, std_error = s$std.error)
})
out <- list(
  versions = list(r = R.version.string, smcfcs = as.character(packageVersion("smcfcs")),
                  mice = as.character(packageVersion("mice")),
                  survival = as.character(packageVersion("survival"))),
  n_rep = N_REP, m = 10, numit = 10, n_missing = colSums(is.na(dat)), term = c("x", "z", "studyS2", "studyS3", "studyS4"),
  estimate = do.call(rbind, lapply(reps, `[[`, "estimate")),
  std_error = do.call(rbind, lapply(reps, `[[`, "std_error")))
write_json(out, file.path("outputs", "impute_study_reference.json"), digits = NA,
           auto_unbox = TRUE)
