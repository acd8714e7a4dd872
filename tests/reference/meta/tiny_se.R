# metafor reference for one study with a tiny standard error (issue 13): metafor computes Q,
# tau2 and I2 and warns "Ratio of largest to smallest sampling variance extremely large".
# Run from tests/reference/meta; writes inputs/tiny_se.csv and outputs/tiny_se.json.
suppressPackageStartupMessages({library(metafor); library(jsonlite)})
d <- data.frame(study = c("A", "B", "C", "D", "E"), yi = c(0.42, 0.61, 0.15, 0.88, 0.30),
                sei = c(0.20, 0.25, 1e-6, 0.30, 0.22))
write.csv(d, "inputs/tiny_se.csv", row.names = FALSE)
res <- list()
for (m in c("FE", "DL", "REML", "PM")) {
  msgs <- character()
  fit <- withCallingHandlers(
    rma(yi = d$yi, sei = d$sei, method = m,
        control = list(threshold = 1e-12, tol = 1e-12, maxiter = 1000)),
    warning = function(w) {
      msgs <<- c(msgs, conditionMessage(w)); invokeRestart("muffleWarning")
    })
  res[[m]] <- list(estimate = as.numeric(fit$b), se = fit$se, tau2 = fit$tau2, I2 = fit$I2,
                   H2 = fit$H2, QE = fit$QE, QEp = fit$QEp, warnings = msgs)
}
res$versions <- list(R = R.version.string, metafor = as.character(packageVersion("metafor")))
write_json(res, "outputs/tiny_se.json", digits = NA, auto_unbox = TRUE)
