# R reference for ctcstats.missing.pool / pooled_test (run from this folder: Rscript missing_pool.R).
#
# 1. survival::colon, death endpoint (etype == 2, n = 929). colon already misses `nodes` (18)
#    and `differ` (23); to make the between-imputation variance substantial we delete more,
#    missing at random given the outcome and observed covariates (seeded, stated here):
#      P(nodes missing)  = plogis(-1.6 + 0.8 status + 0.03 (age - 60))
#      P(differ missing) = plogis(-2.2 + 0.6 obstruct + 0.6 status)
#    -> inputs/colon_mar.csv (the incomplete cohort).
# 2. mice (m = 10, maxit = 10, seed 20260612): nodes by pmm, differ (ordered) by polr, with the
#    Nelson-Aalen cumulative hazard (mice::nelsonaalen) and status as predictors, time not
#    (White & Royston 2009) -> inputs/colon_imputed.csv (long format: .imp, .id, ...).
# 3. On those imputed data sets: coxph and a logistic glm per imputation, pooled with
#    mice::pool (Rubin's rules, Barnard-Rubin df), summary(conf.int = TRUE), and the multi-df
#    test of rx (2 df) by mice::D1, mice::D2 (both through mitml::testModels) and mice::D3
#    (glm only: mice 3.15 refuses coxph in D3, so the Cox D3 is the same Meng-Rubin formula
#    written out below with coxph log-likelihoods at the pooled coefficients).
suppressPackageStartupMessages({library(survival); library(mice); library(jsonlite)})
dir.create("outputs", showWarnings = FALSE)
dir.create("inputs", showWarnings = FALSE)

set.seed(20260612)
d <- colon[colon$etype == 2, c("id", "time", "status", "rx", "sex", "age", "obstruct",
                               "nodes", "differ", "extent")]
rownames(d) <- NULL
n <- nrow(d)
miss_nodes <- runif(n) < plogis(-1.6 + 0.8 * d$status + 0.03 * (d$age - 60))
miss_differ <- runif(n) < plogis(-2.2 + 0.6 * d$obstruct + 0.6 * d$status)
d$nodes[miss_nodes] <- NA
d$differ[miss_differ] <- NA
write.csv(d, file.path("inputs", "colon_mar.csv"), row.names = FALSE, na = "")

imp_data <- d
imp_data$differ <- factor(imp_data$differ, levels = 1:3, ordered = TRUE)
imp_data$H <- nelsonaalen(imp_data, time, status)
meth <- make.method(imp_data)
meth["nodes"] <- "pmm"; meth["differ"] <- "polr"
pred <- make.predictorMatrix(imp_data)
pred[, c("id", "time")] <- 0
imp <- mice(imp_data, m = 10, maxit = 10, method = meth, predictorMatrix = pred,
            seed = 20260612, printFlag = FALSE)
long <- complete(imp, action = "long")
long$differ <- as.integer(as.character(long$differ))
long <- long[, c(".imp", ".id", "id", "time", "status", "rx", "sex", "age", "obstruct",
                 "nodes", "differ", "extent")]
write.csv(long, file.path("inputs", "colon_imputed.csv"), row.names = FALSE)

# ---- analyses on the stored imputed data sets ---------------------------------------------
prep <- function(x) {
  x$rx <- factor(x$rx, levels = c("Obs", "Lev", "Lev+5FU"))
  x$differ <- factor(x$differ, levels = 1:3)
  x
}
sets <- lapply(1:10, function(i) prep(long[long$.imp == i, ]))
ctl <- glm.control(epsilon = 1e-14, maxit = 100)
cox1 <- lapply(sets, function(x) coxph(Surv(time, status) ~ rx + sex + age + obstruct + nodes +
                                         differ + extent, data = x))
cox0 <- lapply(sets, function(x) coxph(Surv(time, status) ~ sex + age + obstruct + nodes +
                                         differ + extent, data = x))
glm1 <- lapply(sets, function(x) glm(status ~ rx + sex + age + obstruct + nodes + differ + extent,
                                     family = binomial, data = x, control = ctl))
glm0 <- lapply(sets, function(x) glm(status ~ sex + age + obstruct + nodes + differ + extent,
                                     family = binomial, data = x, control = ctl))

pool_out <- function(fits) {
  p <- pool(as.mira(fits))
  s <- summary(p, conf.int = TRUE)
  per <- lapply(fits, function(f) list(estimate = unname(coef(f)),
                                        std_error = unname(sqrt(diag(vcov(f))))))
  list(term = as.character(p$pooled$term), m = p$m,
       estimate = p$pooled$estimate, ubar = p$pooled$ubar, b = p$pooled$b, t = p$pooled$t,
       dfcom = p$pooled$dfcom, df = p$pooled$df, riv = p$pooled$riv,
       lambda = p$pooled$lambda, fmi = p$pooled$fmi, std_error = s$std.error,
       statistic = s$statistic, p_value = s$p.value, ci_lower = s[["2.5 %"]],
       ci_upper = s[["97.5 %"]], per_imputation = per)
}
test_out <- function(t) {
  r <- as.vector(t$result)  # D1/D2: a 1 x 5 matrix, D3: a vector (F, df1, df2, p, riv)
  list(statistic = r[1], df1 = r[2], df2 = r[3], p_value = r[4], riv = r[5], dfcom = t$dfcom)
}

# Meng-Rubin D3 for coxph, mice's formula; coxph(init = beta, iter.max = 0) gives the
# log partial likelihood at fixed coefficients
cox_d3 <- function(fit1, fit0) {
  m <- length(fit1)
  q1 <- rowMeans(sapply(fit1, coef)); q0 <- rowMeans(sapply(fit0, coef))
  k <- length(q1) - length(q0)
  ll_fixed <- function(fits, beta) sapply(seq_along(fits), function(i) {
    x <- sets[[i]]
    g <- coxph(formula(fits[[i]]), data = x, init = beta, control = coxph.control(iter.max = 0))
    g$loglik[2]
  })
  dev1.M <- -2 * sapply(fit1, function(f) f$loglik[2])
  dev0.M <- -2 * sapply(fit0, function(f) f$loglik[2])
  dev1.L <- -2 * ll_fixed(fit1, q1)
  dev0.L <- -2 * ll_fixed(fit0, q0)
  dev.M <- mean(dev0.M - dev1.M); dev.L <- mean(dev0.L - dev1.L)
  rm <- ((m + 1) / (k * (m - 1))) * (dev.M - dev.L)
  Dm <- dev.L / (k * (1 + rm))
  v <- k * (m - 1)
  w <- if (v > 4) 4 + (v - 4) * ((1 + (1 - 2 / v) * (1 / rm))^2) else
    v * (1 + 1 / k) * ((1 + 1 / rm)^2) / 2
  list(statistic = Dm, df1 = k, df2 = w, p_value = pf(Dm, k, w, lower.tail = FALSE), riv = rm,
       loglik1_own = -dev1.M / 2, loglik0_own = -dev0.M / 2, loglik1_pooled = -dev1.L / 2,
       loglik0_pooled = -dev0.L / 2)
}

versions <- list(r = R.version.string, mice = as.character(packageVersion("mice")),
                 mitml = as.character(packageVersion("mitml")),
                 survival = as.character(packageVersion("survival")))
res <- list(
  versions = versions,
  n = n, n_missing_nodes = sum(is.na(d$nodes)), n_missing_differ = sum(is.na(d$differ)),
  cox = pool_out(cox1), cox_null = pool_out(cox0),
  glm = pool_out(glm1), glm_null = pool_out(glm0),
  cox_d1 = test_out(D1(as.mira(cox1), as.mira(cox0))),
  cox_d2 = test_out(D2(as.mira(cox1), as.mira(cox0))),
  cox_d3 = cox_d3(cox1, cox0),
  glm_d1 = test_out(D1(as.mira(glm1), as.mira(glm0))),
  glm_d2 = test_out(D2(as.mira(glm1), as.mira(glm0))),
  glm_d3 = test_out(D3(as.mira(glm1), as.mira(glm0))),
  # D1 with the large-sample reference (dfcom = Inf in mitml: df.com = NULL)
  cox_d1_inf = {
    t <- mitml::testModels(mice:::as.mitml.result(as.mira(cox1)), mice:::as.mitml.result(as.mira(cox0)),
                           method = "D1")
    list(statistic = unname(t$test[1, 1]), df1 = unname(t$test[1, 2]),
         df2 = unname(t$test[1, 3]), p_value = unname(t$test[1, 4]),
         riv = unname(t$test[1, 5]))
  }
)
write_json(res, file.path("outputs", "pool_colon.json"), digits = NA, auto_unbox = TRUE)
cat("written outputs/pool_colon.json\n")
