# R reference for ctcstats.missing.impute(study_col=..., study_model="random") with a COUNT
# covariate missing for whole studies. Oracle: mice with micemd's "2l.2stage.pois"
# (method_est = "mm"; two-stage Poisson, Resche-Rigon & White 2018), predictors: x, the
# event indicator d and the Nelson-Aalen H(T), the study as cluster (-2). micemd's Poisson
# method has no offset: the data have no sampled volume (ctcstats: no volume_col).
# Analysis coxph(Surv(t, d) ~ x + c + study), pooled by mice::pool, seeds 1..N_REP.
# Run from this folder: Rscript missing_multilevel_pois.R (micemd etc. in /work/rlib, see
# README.md).
#
# inputs/multilevel_count.csv (seed 20261217, n = 720, 6 studies of 120):
#   a_s ~ N(0, 0.5^2) (x mean), b_s ~ N(0, 0.3^2) (count log-mean), u_s ~ N(0, 0.3^2) (log
#   baseline hazard); x ~ N(a_s, 1); c ~ Poisson(exp(0.5 + 0.4 x + b_s));
#   hazard 0.03 exp(u_s + 0.5 x + 0.2 c); censoring Uniform(5, 40).
#   c missing for every patient of studies 2 and 5; sporadically elsewhere with
#   P = plogis(-2 + 1.0 d).
.libPaths(c("/work/rlib", .libPaths()))
suppressPackageStartupMessages({library(survival); library(mice); library(micemd)
  library(jsonlite)})
N_REP <- as.integer(Sys.getenv("N_REP", "40"))
M <- 5; MAXIT <- 5
set.seed(20261217)
K <- 6; nk <- 120; n <- K * nk
s <- rep(1:K, each = nk)
a <- rnorm(K, 0, 0.5); b <- rnorm(K, 0, 0.3); u <- rnorm(K, 0, 0.3)
x <- rnorm(n, a[s])
cc <- rpois(n, exp(0.5 + 0.4 * x + b[s]))
tt <- rexp(n, 0.03 * exp(u[s] + 0.5 * x + 0.2 * cc))
cens <- runif(n, 5, 40)
dat <- data.frame(t = pmin(tt, cens), d = as.integer(tt <= cens), x = x, c = cc,
                  study = paste0("S", s))
dat$c[runif(n) < plogis(-2 + 1.0 * dat$d)] <- NA
dat$c[s %in% c(2, 5)] <- NA
write.csv(dat, file.path("inputs", "multilevel_count.csv"), row.names = FALSE, na = "")

md <- data.frame(cl = s, d = dat$d, H = nelsonaalen(dat, t, d), x = dat$x, c = dat$c)
meth <- c(cl = "", d = "", H = "", x = "", c = "2l.2stage.pois")
pred <- matrix(0, 5, 5, dimnames = list(names(md), names(md)))
pred["c", ] <- c(-2, 1, 1, 1, 0)
f <- Surv(t, d) ~ x + c + study
reps <- lapply(seq_len(N_REP), function(r) {
  imp <- suppressWarnings(mice(md, m = M, maxit = MAXIT, method = meth,
                               predictorMatrix = pred, seed = r, printFlag = FALSE))
  fits <- lapply(seq_len(M), function(j) {
    cd <- complete(imp, j)
    coxph(f, data = data.frame(t = dat$t, d = dat$d, x = cd$x, c = cd$c, study = dat$study))
  })
  s <- summary(pool(as.mira(fits)))
  list(estimate = s$estimate, std_error = s$std.error)
})
out <- list(
  versions = list(r = R.version.string, micemd = as.character(packageVersion("micemd")),
                  mice = as.character(packageVersion("mice")),
                  mvmeta = as.character(packageVersion("mvmeta")),
                  survival = as.character(packageVersion("survival"))),
  n_rep = N_REP, m = M, maxit = MAXIT, n_missing = colSums(is.na(dat)),
  term = c("x", "c", paste0("studyS", 2:K)),
  estimate = do.call(rbind, lapply(reps, `[[`, "estimate")),
  std_error = do.call(rbind, lapply(reps, `[[`, "std_error")))
write_json(out, file.path("outputs", "multilevel_count_reference.json"), digits = NA,
           auto_unbox = TRUE)
