# R reference for ctcstats.longitudinal.fit_joint_model and JointModelResult.predict_survival:
# JMbayes2::jm (Bayesian; MCMC) on a GLMMadaptive Poisson mixed model of serial counts and a
# Cox model, association through the current value of the linear predictor (the latent
# log-concentration; the constant offset log(7.5) only shifts the baseline hazard).
# Run from tests/reference/longitudinal/: R_LIBS=/work/rlib Rscript jm.R
#
# Differences by design (stated in the Python test): JMbayes2 is Bayesian (posterior means and
# SDs under its default priors) and its baseline hazard is a penalised quadratic B-spline on
# log time, ctcstats' is a piecewise-constant / cubic B-spline log hazard by maximum
# likelihood; so agreement is judged as a fraction of the posterior SD.
suppressPackageStartupMessages({
  library(JMbayes2); library(GLMMadaptive); library(survival); library(jsonlite)
})
out <- function(x, name) {
  write_json(x, file.path("outputs", paste0(name, ".json")), digits = NA, auto_unbox = TRUE)
}
set.seed(20240601)
d <- read.csv("inputs/draws_pois.csv")
p <- read.csv("inputs/patients_pois.csv")
d <- merge(d[, c("patient_id", "draw_months", "ctc_count", "blood_volume_ml")],
           p, by = "patient_id")
d <- d[order(d$patient_id, d$draw_months), ]

t_glmm <- system.time(
  fm <- mixed_model(ctc_count ~ draw_months + visceral_mets + offset(log(blood_volume_ml)),
                    random = ~ draw_months | patient_id, data = d, family = poisson())
)[["elapsed"]]
cox <- coxph(Surv(os_months, os_event) ~ visceral_mets, data = p, x = TRUE)
t_jm <- system.time(
  jf <- jm(cox, fm, time_var = "draw_months", n_iter = 6000L, n_burnin = 1000L,
           n_chains = 2L, cores = 1L, seed = 20240601L)
)[["elapsed"]]
s <- summary(jf)
long <- s$Outcome1
surv <- s$Survival
D <- jf$statistics$Mean$D
Dsd <- jf$statistics$SD$D

# dynamic predictions for three patients still event-free at 3 months with >= 2 draws before
t0 <- 3
cand <- p$patient_id[p$os_months > t0]
nd_all <- d[d$patient_id %in% cand & d$draw_months < t0, ]
ndraws <- table(nd_all$patient_id)
ids <- as.integer(names(ndraws)[ndraws >= 2])[c(1, 2, 3)]
ND <- nd_all[nd_all$patient_id %in% ids, ]
ND$os_event <- 0
ND$os_months <- t0
horizons <- c(4, 6, 9, 12)
pr <- predict(jf, newdata = ND, process = "event", times = horizons, return_newdata = TRUE)
pr <- pr[pr$os_months > t0, ]

out(list(
  long_names = rownames(long), long_mean = long$Mean, long_sd = long$StDev,
  surv_names = rownames(surv), surv_mean = surv$Mean, surv_sd = surv$StDev,
  D_mean = as.vector(D), D_sd = as.vector(Dsd),
  pred_ids = pr$patient_id, pred_times = pr$os_months, pred_cif = pr$pred_CIF,
  pred_low = pr$low_CIF, pred_upp = pr$upp_CIF, landmark = t0,
  seconds = list(mixed_model = t_glmm, jm = t_jm),
  versions = list(R = R.version.string, JMbayes2 = as.character(packageVersion("JMbayes2")),
                  GLMMadaptive = as.character(packageVersion("GLMMadaptive")))
), "jm_pois_value")
cat("done\n")
