# metafor reference for subgroup, leave-one-out and regtest (run from tests/reference/meta).
suppressPackageStartupMessages({library(metafor); library(jsonlite)})
tight <- list(threshold = 1e-12, tol = 1e-12, maxiter = 1000)
res <- list()
for (name in c("hetero", "bcg")) {
  d <- read.csv(file.path("inputs", paste0(name, ".csv")))
  out <- list()
  for (m in c("FE", "DL", "REML")) {
    fit <- rma(yi = d$yi, sei = d$sei, method = m, control = tight)
    l1 <- leave1out(fit)
    out[[paste0("leave1out_", m)]] <- list(estimate = l1$estimate, se = l1$se, zval = l1$zval,
      pval = l1$pval, ci_lb = l1$ci.lb, ci_ub = l1$ci.ub, Q = l1$Q, Qp = l1$Qp,
      tau2 = l1$tau2, I2 = l1$I2, H2 = l1$H2)
    rt <- regtest(fit)
    out[[paste0("regtest_rma_", m)]] <- list(zval = rt$zval, pval = rt$pval, est = rt$est,
      ci_lb = rt$ci.lb, ci_ub = rt$ci.ub)
  }
  rt <- regtest(rma(yi = d$yi, sei = d$sei, method = "FE"), model = "lm")
  out[["regtest_lm"]] <- list(zval = rt$zval, pval = rt$pval, dfs = rt$dfs, est = rt$est,
    ci_lb = rt$ci.lb, ci_ub = rt$ci.ub)
  # subgroups: first half vs second half of the rows (hetero), allocation (bcg)
  g <- if (name == "bcg") dat.bcg$alloc else rep(c("a", "b"), length.out = nrow(d))
  write.csv(data.frame(d, subgroup = g), file.path("inputs", paste0(name, "_subgroups.csv")),
            row.names = FALSE)
  for (m in c("DL", "REML")) {
    sub <- lapply(sort(unique(g)), function(s) {
      i <- g == s
      if (sum(i) == 1) return(c(d$yi[i], d$sei[i], NA))
      f <- rma(yi = d$yi[i], sei = d$sei[i], method = m, control = tight)
      c(as.numeric(f$b), f$se, f$tau2)
    })
    est <- sapply(sub, `[`, 1); se <- sapply(sub, `[`, 2)
    qb <- rma(yi = est, sei = se, method = "FE")
    out[[paste0("subgroup_", m)]] <- list(levels = sort(unique(g)), estimate = est, se = se,
      tau2 = sapply(sub, `[`, 3), QM = qb$QE, QMp = qb$QEp, df = length(est) - 1)
  }
  res[[name]] <- out
}
write_json(res, "outputs/sensitivity.json", digits = NA, auto_unbox = TRUE)
