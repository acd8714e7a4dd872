# R reference for ctcstats.missing.impute(study_col=..., study_model="random"): pooled data
# with covariates missing for whole studies (systematically missing) and sporadically.
# Oracle: mice with micemd's two-stage random-effects methods (Resche-Rigon & White 2018):
# x "2l.2stage.norm", z "2l.2stage.bin" (method_est = "mm"), predictors: the other
# covariate, the event indicator d and the Nelson-Aalen H(T) (White & Royston 2009), the
# study as cluster (-2). Analysis coxph(Surv(t, d) ~ x + z + study), pooled by mice::pool.
# Seeds 1..N_REP. Also: mvmeta(method = "mm") on a fixed set of multivariate estimates (the
# pooling step of the two-stage model). Run from this folder: Rscript missing_multilevel.R
#
# micemd 1.10.1 built from its CRAN source mirror (github:cran/micemd) into /work/rlib with
# the GJRM import removed from NAMESPACE/DESCRIPTION (GJRM is needed only by the Heckman
# methods, not used here, and is not in Debian); mvmeta 1.0.3, mixmeta 1.2.0 from their CRAN
# mirrors; pbivnorm from Debian (r-cran-pbivnorm).
#
# inputs/multilevel_mar.csv (seed 20261216, n = 1200, 8 studies of 150):
#   study s = 1..8 with study effects a_s ~ N(0, 0.5^2) (x mean), c_s ~ N(0, 0.4^2) (z
#   log-odds), u_s ~ N(0, 0.3^2) (log baseline hazard); x ~ N(a_s, 1);
#   z ~ Bernoulli(plogis(-0.3 + 0.7 x + c_s)); hazard 0.03 exp(u_s + 0.6 x + 0.5 z);
#   censoring Uniform(5, 40). x missing for every patient of studies 2 and 6, z of study 4;
#   sporadically elsewhere: x with P = plogis(-2 + 1.0 d), z with P = plogis(-2.2 + 0.6 d).
.libPaths(c("/work/rlib", .libPaths()))
suppressPackageStartupMessages({library(survival); library(mice); library(micemd)
  library(mvmeta); library(jsonlite)})
N_REP <- as.integer(Sys.getenv("N_REP", "20"))
M <- 10; MAXIT <- 10
set.seed(20261216)
K <- 8; nk <- 150; n <- K * nk
s <- rep(1:K, each = nk)
a <- rnorm(K, 0, 0.5); cz <- rnorm(K, 0, 0.4); u <- rnorm(K, 0, 0.3)
x <- rnorm(n, a[s])
z <- rbinom(n, 1, plogis(-0.3 + 0.7 * x + cz[s]))
tt <- rexp(n, 0.03 * exp(u[s] + 0.6 * x + 0.5 * z))
cens <- runif(n, 5, 40)
dat <- data.frame(t = pmin(tt, cens), d = as.integer(tt <= cens), x = x, z = z,
                  study = paste0("S", s))
dat$x[runif(n) < plogis(-2 + 1.0 * dat$d)] <- NA
dat$z[runif(n) < plogis(-2.2 + 0.6 * dat$d)] <- NA
dat$x[s %in% c(2, 6)] <- NA
dat$z[s == 4] <- NA
write.csv(dat, file.path("inputs", "multilevel_mar.csv"), row.names = FALSE, na = "")

md <- data.frame(cl = s, d = dat$d, H = nelsonaalen(dat, t, d), x = dat$x,
                 z = factor(dat$z, levels = 0:1))
meth <- c(cl = "", d = "", H = "", x = "2l.2stage.norm", z = "2l.2stage.bin")
pred <- matrix(0, 5, 5, dimnames = list(names(md), names(md)))
pred["x", ] <- c(-2, 1, 1, 0, 1)
pred["z", ] <- c(-2, 1, 1, 1, 0)
f <- Surv(t, d) ~ x + z + study
reps <- lapply(seq_len(N_REP), function(r) {
  imp <- suppressWarnings(mice(md, m = M, maxit = MAXIT, method = meth,
                               predictorMatrix = pred, seed = r, printFlag = FALSE))
  fits <- lapply(seq_len(M), function(j) {
    cd <- complete(imp, j)
    coxph(f, data = data.frame(t = dat$t, d = dat$d, x = cd$x,
                               z = as.integer(as.character(cd$z)), study = dat$study))
  })
  s <- summary(pool(as.mira(fits)))
  list(estimate = s$estimate, std_error = s$std.error)
})

# the pooling step alone: mvmeta(method = "mm") on fixed estimates (3 parameters, 6 studies)
set.seed(7)
b <- matrix(rnorm(18, rep(c(0.5, -0.2, 1), each = 6), 0.4), 6, 3)
S <- lapply(1:6, function(k) {A <- matrix(rnorm(9, 0, 0.3), 3); crossprod(A) + diag(0.05, 3)})
mm <- mvmeta(b ~ 1, S = S, method = "mm")
out <- list(
  versions = list(r = R.version.string, micemd = as.character(packageVersion("micemd")),
                  mice = as.character(packageVersion("mice")),
                  mvmeta = as.character(packageVersion("mvmeta")),
                  survival = as.character(packageVersion("survival"))),
  n_rep = N_REP, m = M, maxit = MAXIT, n_missing = colSums(is.na(dat)),
  term = c("x", "z", paste0("studyS", 2:K)),
  estimate = do.call(rbind, lapply(reps, `[[`, "estimate")),
  std_error = do.call(rbind, lapply(reps, `[[`, "std_error")),
  mm = list(b = b, S = lapply(S, unname), coef = unname(coef(mm)), vcov = unname(vcov(mm)),
            psi = unname(mm$Psi)))
write_json(out, file.path("outputs", "multilevel_reference.json"), digits = NA,
           auto_unbox = TRUE)
