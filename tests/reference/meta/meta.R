# metafor reference values for ctcstats.meta (run from tests/reference/meta).
# Tight convergence controls so that R reports the exact optimum (metafor's defaults stop
# REML at |dtau2| < 1e-5 and uniroot at tol ~1.2e-4); the defaults are stored as well.
suppressPackageStartupMessages({library(metafor); library(jsonlite)})
bcg <- escalc(measure = "RR", ai = tpos, bi = tneg, ci = cpos, di = cneg, data = dat.bcg)
write.csv(data.frame(study = paste(bcg$author, bcg$year), yi = as.numeric(bcg$yi),
                     sei = sqrt(as.numeric(bcg$vi))), "inputs/bcg.csv", row.names = FALSE)
tight <- list(threshold = 1e-12, tol = 1e-12, maxiter = 1000)
one <- function(d, method, test, control) {
  fit <- rma(yi = d$yi, sei = d$sei, method = method, test = test, control = control)
  pr <- predict(fit)
  out <- list(estimate = as.numeric(fit$b), se = fit$se, ci_lb = fit$ci.lb, ci_ub = fit$ci.ub,
              zval = fit$zval, pval = fit$pval, tau2 = fit$tau2, I2 = fit$I2, H2 = fit$H2,
              QE = fit$QE, QEp = fit$QEp, pi_lb = if (is.null(pr$pi.lb)) pr$ci.lb else pr$pi.lb,
              pi_ub = if (is.null(pr$pi.ub)) pr$ci.ub else pr$pi.ub,
              weights = as.numeric(weights(fit)))
  if (method != "FE") {
    ci <- confint(fit, control = list(tol = 1e-12))$random
    out$tau2_ci <- as.numeric(ci["tau^2", c("ci.lb", "ci.ub")])
    out$I2_ci <- as.numeric(ci["I^2(%)", c("ci.lb", "ci.ub")])
  }
  out
}
for (name in c("published_ebc", "hetero", "homog", "bcg")) {
  d <- read.csv(file.path("inputs", paste0(name, ".csv")))
  res <- list()
  for (m in c("FE", "DL", "REML", "PM")) {
    res[[m]] <- one(d, m, "z", tight)
    if (m != "FE") res[[paste0(m, "_knha")]] <- one(d, m, "knha", tight)
  }
  res[["REML_default_control"]] <- one(d, "REML", "z", list())
  write_json(res, file.path("outputs", paste0(name, ".json")), digits = NA, auto_unbox = TRUE)
}
cat("metafor", as.character(packageVersion("metafor")), "\n")
