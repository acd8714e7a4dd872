# R reference for ctcstats.missing.impute(study_col=..., study_model="random") with an ordinal
# and an unordered categorical covariate missing for whole studies (systematically missing)
# and sporadically. R has no two-stage method for ordinal or categorical variables (micemd:
# norm/bin/pois only), so the oracle is the joint multilevel model of R jomo (Quartagno &
# Carpenter): jomo1rancat — both variables as latent normals (K - 1 each) with study random
# intercepts (a 4 x 4 between-study covariance), the complete x, the event indicator d and
# the Nelson-Aalen H(T) as covariates (the FCS predictors of White & Royston 2009), the
# study as cluster; a study with no observed value of a variable gets its random effect from
# the between-study distribution, as in the two-stage model. Analysis coxph(Surv(t, d) ~ x +
# grade + site + study) (grade linear), pooled by mice::pool. Seeds 1..N_REP, each one chain
# (nburn = NBURN, nbetween = NBETWEEN, M imputations). Run from this folder:
#   Rscript missing_multilevel_cat.R      (about 40 s per seed)
#
# inputs/multilevel_cat.csv (seed 20261202, n = 1200, 8 studies of 150):
#   x ~ N(0, 1); grade = 1 + #{cut-points -1, 1 below a_s + 0.8 x + logistic},
#   a_s ~ N(0, 0.6^2); site bone/liver/lung with log-odds against bone 0.2 + u1_s + 0.6 x and
#   -0.3 + u2_s - 0.5 x, u_s ~ N(0, 0.5^2 I); hazard exp(g_s + 0.5 x + 0.4 grade + 0.6 liver
#   - 0.4 lung - 0.4) / 30, g_s ~ N(0, 0.3^2); censoring Uniform(10, 60). grade missing for
#   every patient of studies 2 and 6, site of studies 3 and 6; sporadically elsewhere with
#   P = plogis(-1.8 + 0.8 d + 0.3 x) (grade), plogis(-2.1 + 0.8 d + 0.3 x) (site).
suppressPackageStartupMessages({library(survival); library(mice); library(jomo)
  library(jsonlite)})
N_REP <- as.integer(Sys.getenv("N_REP", "30"))
M <- 10; NBURN <- 1000; NBETWEEN <- 200
set.seed(20261202)
K <- 8; nk <- 150; n <- K * nk
s <- rep(1:K, each = nk)
x <- rnorm(n)
grade <- as.integer(cut(rnorm(K, 0, 0.6)[s] + 0.8 * x + rlogis(n), c(-Inf, -1, 1, Inf)))
u <- matrix(rnorm(2 * K, 0, 0.5), K)[s, ]
eta <- cbind(0, 0.2 + u[, 1] + 0.6 * x, -0.3 + u[, 2] - 0.5 * x)
p <- exp(eta) / rowSums(exp(eta))
site <- c("bone", "liver", "lung")[apply(p, 1, function(pr) sample(3, 1, prob = pr))]
lp <- rnorm(K, 0, 0.3)[s] + 0.5 * x + 0.4 * grade +
  ifelse(site == "liver", 0.6, ifelse(site == "lung", -0.4, 0))
tt <- rexp(n, exp(lp - 0.4) / 30)
cens <- runif(n, 10, 60)
dat <- data.frame(study = paste0("S", s), x = x, grade = grade, site = site,
                  t = pmin(tt, cens), d = as.integer(tt <= cens))
dat$grade[runif(n) < plogis(-1.8 + 0.8 * dat$d + 0.3 * x)] <- NA
dat$site[runif(n) < plogis(-2.1 + 0.8 * dat$d + 0.3 * x)] <- NA
dat$grade[s %in% c(2, 6)] <- NA
dat$site[s %in% c(3, 6)] <- NA
write.csv(dat, file.path("inputs", "multilevel_cat.csv"), row.names = FALSE, na = "")

Y <- data.frame(grade = factor(dat$grade), site = factor(dat$site))
X <- data.frame(cons = 1, x = dat$x, d = dat$d, H = nelsonaalen(dat, t, d))
Z <- data.frame(cons = rep(1, n))
f <- Surv(t, d) ~ x + grade + site + study
reps <- lapply(seq_len(N_REP), function(r) {
  set.seed(r)
  imp <- jomo1rancat(Y, c(3, 3), X = X, Z = Z, clus = s, nburn = NBURN,
                     nbetween = NBETWEEN, nimp = M, output = 0)
  fits <- lapply(seq_len(M), function(j) {
    cd <- imp[imp$Imputation == j, ]
    stopifnot(all(cd$id == seq_len(n)))
    coxph(f, data = data.frame(t = dat$t, d = dat$d, x = dat$x,
                               grade = as.integer(as.character(cd$grade)),
                               site = factor(as.character(cd$site)), study = dat$study))
  })
  sm <- summary(pool(as.mira(fits)))
  list(estimate = sm$estimate, std_error = sm$std.error, term = as.character(sm$term))
})
out <- list(
  versions = list(r = R.version.string, jomo = as.character(packageVersion("jomo")),
                  mice = as.character(packageVersion("mice")),
                  survival = as.character(packageVersion("survival"))),
  n_rep = N_REP, m = M, nburn = NBURN, nbetween = NBETWEEN,
  n_missing = as.list(colSums(is.na(dat))),
  term = reps[[1]]$term,
  estimate = do.call(rbind, lapply(reps, `[[`, "estimate")),
  std_error = do.call(rbind, lapply(reps, `[[`, "std_error")))
write_json(out, file.path("outputs", "multilevel_cat_reference.json"), digits = NA,
           auto_unbox = TRUE)
