# R reference for ctcstats.longitudinal.fit_joint_model on real serial counts: JMbayes2's `aids`
# data exported by export_aids.R (467 patients, 1,405 CD4 cell counts, 188 deaths).
# GLMMadaptive negative-binomial mixed model (random intercept and slope in months) joined by
# JMbayes2::jm to a Cox model (ddI, previous AIDS), association through the current value of
# the linear predictor. Bayesian (MCMC): the Python test compares in posterior SDs.
# Run from tests/reference/longitudinal/: R_LIBS=/work/rlib Rscript jm_aids.R
suppressPackageStartupMessages({
  library(JMbayes2); library(GLMMadaptive); library(survival); library(jsonlite)
})
set.seed(20261202)
d <- read.csv("inputs/aids_draws.csv")
p <- read.csv("inputs/aids_patients.csv")
d <- merge(d, p, by = "patient")
d <- d[order(d$patient, d$obstime), ]
fm <- mixed_model(cd4_count ~ obstime + prev_aids, random = ~ obstime | patient, data = d,
                  family = negative.binomial())
cox <- coxph(Surv(time, death) ~ ddi + prev_aids, data = p, x = TRUE)
t_jm <- system.time(
  jf <- jm(cox, fm, time_var = "obstime", n_iter = 4000L, n_burnin = 1000L, n_chains = 2L,
           cores = 1L, seed = 20261202L)
)[["elapsed"]]
s <- summary(jf)
long <- s$Outcome1
surv <- s$Survival
write_json(list(
  long_names = rownames(long), long_mean = long$Mean, long_sd = long$StDev,
  surv_names = rownames(surv), surv_mean = surv$Mean, surv_sd = surv$StDev,
  D_mean = as.vector(jf$statistics$Mean$D), D_sd = as.vector(jf$statistics$SD$D),
  seconds = list(jm = t_jm),
  versions = list(R = R.version.string, JMbayes2 = as.character(packageVersion("JMbayes2")),
                  GLMMadaptive = as.character(packageVersion("GLMMadaptive")))
), file.path("outputs", "jm_aids_negbin.json"), digits = NA, auto_unbox = TRUE)
cat("done\n")
