# R reference for the two-stage negative-binomial model of impute(study_model="random",
# count_model="negbin") (ctcstats/missing/_negbin.py, _multilevel.py): its two stages on
# fixed data, not the imputation (no R package imputes a negative binomial count missing in
# whole studies).
# Stage 1: per study, MASS::glm.nb(c ~ x + z + offset(log(vol))) -> coef, vcov, theta,
#   SE.theta (inputs/multilevel_negbin.csv: 5 studies with the count observed).
# Stage 2 on those same per-study estimates: the coefficients pooled by
#   mvmeta(method = "mm") and mixmeta(method = "mm") (coef, vcov, Psi); the log dispersions
#   log alpha_k = -log theta_k with variance (SE.theta / theta)^2 pooled by
#   metafor::rma(method = "DL") (mu, se, tau2).
# Run from this folder: Rscript missing_multilevel_negbin.R (mvmeta, mixmeta in /work/rlib,
# see README.md; MASS and metafor from Debian).
#
# inputs/multilevel_negbin.csv (seed 20261218, 5 studies of 200): a_s ~ N(0, 0.4^2),
#   b_s ~ N(0, 0.3^2), log theta_s ~ N(log 1.5, 0.4^2); x ~ N(0, 1), z ~ Bernoulli(0.4),
#   vol ~ Uniform(5, 10); c ~ NB(size theta_s, mean vol exp(-0.5 + a_s + 0.3 x + (0.4 + b_s) z)).
.libPaths(c("/work/rlib", .libPaths()))
suppressPackageStartupMessages({library(MASS); library(mvmeta); library(mixmeta)
  library(metafor); library(jsonlite)})
set.seed(20261218)
K <- 5; nk <- 200; n <- K * nk
s <- rep(1:K, each = nk)
a <- rnorm(K, 0, 0.4); b <- rnorm(K, 0, 0.3); th <- exp(log(1.5) + rnorm(K, 0, 0.4))
x <- rnorm(n); z <- rbinom(n, 1, 0.4); vol <- runif(n, 5, 10)
mu <- vol * exp(-0.5 + a[s] + 0.3 * x + (0.4 + b[s]) * z)
cc <- rnbinom(n, size = th[s], mu = mu)
dat <- data.frame(study = paste0("S", s), c = cc, x = x, z = z, vol = vol)
write.csv(dat, file.path("inputs", "multilevel_negbin.csv"), row.names = FALSE)

fits <- lapply(split(dat, dat$study), function(d)
  glm.nb(c ~ x + z + offset(log(vol)), data = d, control = glm.control(epsilon = 1e-12,
                                                                       maxit = 100)))
B <- t(sapply(fits, coef))
S <- lapply(fits, function(f) unname(vcov(f)))
theta <- sapply(fits, function(f) f$theta)
se_theta <- sapply(fits, function(f) f$SE.theta)
mv <- mvmeta(B ~ 1, S = S, method = "mm")
mx <- mixmeta(B ~ 1, S = S, method = "mm")
la <- -log(theta); vla <- (se_theta / theta)^2
dl <- rma(yi = la, vi = vla, method = "DL")
out <- list(
  versions = list(r = R.version.string, MASS = as.character(packageVersion("MASS")),
                  mvmeta = as.character(packageVersion("mvmeta")),
                  mixmeta = as.character(packageVersion("mixmeta")),
                  metafor = as.character(packageVersion("metafor"))),
  studies = names(fits),
  coef = unname(B), vcov = S, theta = unname(theta), se_theta = unname(se_theta),
  loglik = unname(sapply(fits, function(f) as.numeric(logLik(f)))),
  mvmeta = list(coef = unname(coef(mv)), vcov = unname(vcov(mv)), psi = unname(mv$Psi)),
  mixmeta = list(coef = unname(coef(mx)), vcov = unname(vcov(mx)), psi = unname(mx$Psi)),
  dl = list(log_alpha = la, var = vla, mu = as.numeric(dl$b), se = dl$se, tau2 = dl$tau2))
write_json(out, file.path("outputs", "multilevel_negbin_reference.json"), digits = NA,
           auto_unbox = TRUE)
