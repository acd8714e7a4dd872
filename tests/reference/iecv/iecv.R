# R reference for ctcstats.internal_external_validation (run from this folder: Rscript iecv.R).
# Leave one study out: coxph on the others, validate on it (concordance of the linear
# predictor, calibration slope coxph(Surv ~ lp), observed 1 - KM(t) vs expected mean
# 1 - exp(-H0(t) exp(lp)) with H0 from basehaz(centered = FALSE)); pool logit C, slope and
# log O/E with metafor::rma(method = "REML"), test = "knha" with metamisc valmeta's prediction
# interval (t on k - 2 df) and test = "z" with predict().
# Inputs: lung.csv = survival::lung complete cases of age, sex, ph.ecog in the institutions with
# >= 13 such patients (status recoded 0/1); pooled.csv = the 8-study synthetic cohort of
# tests/reference/frailty.
suppressPackageStartupMessages({library(survival); library(metafor); library(jsonlite)})
iecv <- function(d, study, covs, horizon, name) {
  studies <- sort(unique(d[[study]]))
  rows <- lapply(studies, function(s) {
    dev <- d[d[[study]] != s, ]; val <- d[d[[study]] == s, ]
    f <- coxph(as.formula(paste("Surv(time, status) ~", paste(covs, collapse = " + "))),
               data = dev)
    X <- as.matrix(val[, covs]); lp <- as.vector(X %*% coef(f))
    val$lp <- lp
    cc <- concordance(Surv(time, status) ~ lp, data = val, reverse = TRUE)
    sl <- coxph(Surv(time, status) ~ lp, data = val)
    bh <- basehaz(f, centered = FALSE)
    h0 <- if (any(bh$time <= horizon)) max(bh$hazard[bh$time <= horizon]) else 0
    expected <- mean(1 - exp(-h0 * exp(lp)))
    km <- summary(survfit(Surv(time, status) ~ 1, data = val), times = horizon)
    observed <- 1 - km$surv
    c(study = s, c = unname(cc$concordance), c_se = sqrt(unname(cc$var)),
      slope = unname(coef(sl)), slope_se = sqrt(vcov(sl)[1, 1]),
      observed = observed, expected = expected, se_log_o = km$std.err / observed)
  })
  m <- do.call(rbind, rows)
  pool <- function(yi, sei, test = "z") {
    r <- rma(yi = yi, sei = sei, method = "REML", test = test)
    if (test == "z") {
      p <- predict(r); pi <- c(p$pi.lb, p$pi.ub)
    } else {  # metamisc::valmeta's calcPredInt: t on k - 2 df with the KNHA standard error
      h <- qt(0.975, df = r$k - 2) * sqrt(r$tau2 + r$se^2)
      pi <- unname(coef(r)) + c(-h, h)
    }
    list(estimate = unname(coef(r)), se = r$se, ci_lb = r$ci.lb, ci_ub = r$ci.ub,
         pi_lb = pi[1], pi_ub = pi[2], tau2 = r$tau2, i2 = r$I2)
  }
  cvals <- as.numeric(m[, "c"])
  out <- list(
    study = m[, "study"], c = cvals, c_se = as.numeric(m[, "c_se"]),
    slope = as.numeric(m[, "slope"]), slope_se = as.numeric(m[, "slope_se"]),
    observed = as.numeric(m[, "observed"]), expected = as.numeric(m[, "expected"]),
    se_log_o = as.numeric(m[, "se_log_o"]),
    pool_c = pool(qlogis(cvals), as.numeric(m[, "c_se"]) / (cvals * (1 - cvals))),
    pool_slope = pool(as.numeric(m[, "slope"]), as.numeric(m[, "slope_se"])),
    pool_oe = pool(log(as.numeric(m[, "observed"]) / as.numeric(m[, "expected"])),
                   as.numeric(m[, "se_log_o"])),
    pool_c_knha = pool(qlogis(cvals), as.numeric(m[, "c_se"]) / (cvals * (1 - cvals)), "knha"),
    pool_slope_knha = pool(as.numeric(m[, "slope"]), as.numeric(m[, "slope_se"]), "knha"),
    pool_oe_knha = pool(log(as.numeric(m[, "observed"]) / as.numeric(m[, "expected"])),
                        as.numeric(m[, "se_log_o"]), "knha"),
    r_version = R.version.string, survival = as.character(packageVersion("survival")),
    metafor = as.character(packageVersion("metafor")))
  write_json(out, file.path("outputs", paste0(name, ".json")), digits = NA, auto_unbox = TRUE)
}
dir.create("inputs", showWarnings = FALSE); dir.create("outputs", showWarnings = FALSE)
cc <- c("inst", "time", "status", "age", "sex", "ph.ecog")
lung <- survival::lung[complete.cases(survival::lung[, cc]), cc]
lung <- lung[lung$inst %in% as.numeric(names(which(table(lung$inst) >= 13))), ]
lung$status <- lung$status - 1
write.csv(lung, "inputs/lung.csv", row.names = FALSE)
invisible(file.copy("../frailty/inputs/pooled.csv", "inputs/pooled.csv", overwrite = TRUE))
lung <- read.csv("inputs/lung.csv")
iecv(lung, "inst", c("age", "sex", "ph.ecog"), 365, "lung")
pooled <- read.csv("inputs/pooled.csv"); names(pooled)[4:5] <- c("time", "status")
iecv(pooled, "study", c("ctc_positive", "age"), 24, "pooled")
