# R references for ctcstats.counts: count regression (MASS, pscl), Vuong tests, the boundary
# LR test (pscl::odTest), exact Poisson / binomial intervals and the Wilson interval.
# Run from tests/reference/counts/ (regenerate.sh does): Rscript counts.R
#
# Convergence: the fits use tightened tolerances (glm.control(epsilon = 1e-12); optim reltol
# 1e-14 for zeroinfl/hurdle instead of pscl's 1.6e-10) so that the stored values are the
# maximum-likelihood estimates to ~1e-9 and the Python comparison at 1e-5 tests the estimator,
# not where one optimiser happened to stop. Standard errors are R's own: glm/glm.nb from the
# IRLS information at the fitted theta, SE.theta from MASS::theta.ml, zeroinfl/hurdle from optim's
# numerical Hessian (pscl reports the SE of log(theta)).
suppressPackageStartupMessages({
  library(MASS)
  library(pscl)
  library(jsonlite)
})

out <- function(x, name) {
  write_json(x, file.path("outputs", paste0(name, ".json")), digits = NA, auto_unbox = TRUE)
}

gctl <- glm.control(epsilon = 1e-12, maxit = 100)
zctl <- zeroinfl.control(reltol = 1e-14, maxit = 50000)
hctl <- hurdle.control(reltol = 1e-14, maxit = 50000)

# pscl::vuong prints its table and returns NULL; this is its body with the values returned.
vuong_values <- function(m1, m2) {
  p1 <- predprob(m1); p2 <- predprob(m2)
  y <- m1$y
  wc <- match(y, colnames(p1))
  m1p <- p1[cbind(seq_along(y), wc)]
  m2p <- p2[cbind(seq_along(y), wc)]
  k1 <- length(coef(m1)); k2 <- length(coef(m2))
  m <- log(m1p) - log(m2p)
  bad <- !is.finite(log(m1p)) | !is.finite(log(m2p)) | !is.finite(m)
  neff <- sum(!bad)
  aic.factor <- (k1 - k2) / neff
  bic.factor <- (k1 - k2) / (2 * neff) * log(neff)
  num <- cbind(m[!bad], m[!bad] - aic.factor, m[!bad] - bic.factor)
  v <- colSums(num) / (apply(num, 2, sd) * sqrt(neff))
  p <- ifelse(v > 0, 1 - pnorm(v), pnorm(v))
  list(statistic = unname(v), p_value = unname(p), k1 = k1, k2 = k2, n_eff = neff)
}

glm_out <- function(f) {
  s <- summary(f)$coefficients
  list(coef = unname(s[, 1]), se = unname(s[, 2]), names = rownames(s),
       loglik = as.numeric(logLik(f)), df = attr(logLik(f), "df"),
       aic = AIC(f), bic = BIC(f))
}

nb_out <- function(f) {
  r <- glm_out(f)
  r$theta <- f$theta; r$se_theta <- f$SE.theta; r$twologlik <- f$twologlik
  r$aic_fit <- f$aic
  r
}

pscl_out <- function(fits) {
  f <- fits$fine
  sd <- summary(fits$default)$coefficients
  s <- summary(f)$coefficients
  r <- list(coef_count = unname(s$count[, 1]), se_count = unname(s$count[, 2]),
            names_count = rownames(s$count),
            coef_zero = unname(s$zero[, 1]), se_zero = unname(s$zero[, 2]),
            names_zero = rownames(s$zero),
            loglik = as.numeric(logLik(f)), df = attr(logLik(f), "df"),
            aic = AIC(f), bic = BIC(f), converged = f$converged,
            coef_count_default = unname(sd$count[rownames(sd$count) != "Log(theta)", 1]),
            se_count_default = unname(sd$count[rownames(sd$count) != "Log(theta)", 2]),
            se_zero_default = unname(sd$zero[, 2]), loglik_default = as.numeric(logLik(fits$default)))
  if (identical(if (is.list(f$dist)) f$dist$count else f$dist, "negbin")) {
    r$theta <- unname(f$theta); r$se_logtheta <- unname(f$SE.logtheta)
    r$se_logtheta_default <- unname(fits$default$SE.logtheta)
    # summary() drops the Log(theta) row from the count table above; keep only coefficients
    r$coef_count <- r$coef_count[r$names_count != "Log(theta)"]
    r$se_count <- r$se_count[r$names_count != "Log(theta)"]
    r$names_count <- r$names_count[r$names_count != "Log(theta)"]
  }
  # predicted distribution and mean for the first 5 rows (predict(type = "prob"/"response"))
  pp <- predict(f, type = "prob")
  r$prob_first5 <- unname(pp[1:5, 1:min(ncol(pp), 8)])
  r$mean_first5 <- unname(predict(f, type = "response")[1:5])
  r
}

fit_all <- function(d, resp, xterms, zterms, offset_term) {
  off <- if (is.null(offset_term)) "" else paste0(" + offset(", offset_term, ")")
  fx <- paste(resp, "~", paste(xterms, collapse = " + "), off)
  fz <- paste(fx, "|", paste(zterms, collapse = " + "))
  pois <- glm(as.formula(fx), data = d, family = poisson, control = gctl)
  nb <- glm.nb(as.formula(fx), data = d, control = gctl)
  # zeroinfl / hurdle twice: with pscl's default Hessian step (optim ndeps = 1e-3, whose
  # finite-difference error in the SEs is ~1e-3 relative when a covariate has a large scale,
  # e.g. age in years) and with ndeps = 1e-6 (the observed information to ~1e-8). Hurdles are
  # fitted jointly (separate = FALSE; same estimates, the likelihood separates) so that one ndeps
  # vector fits the one optim call.
  zi_fit <- function(dist) {
    f0 <- zeroinfl(as.formula(fz), data = d, dist = dist, control = zctl)
    k <- length(f0$optim$par)
    f1 <- zeroinfl(as.formula(fz), data = d, dist = dist,
                   control = zeroinfl.control(reltol = 1e-14, maxit = 50000, ndeps = rep(1e-6, k)))
    list(default = f0, fine = f1)
  }
  h_fit <- function(dist) {
    f0 <- hurdle(as.formula(fz), data = d, dist = dist, zero.dist = "binomial", control = hctl)
    k <- length(coef(f0)) + (dist == "negbin")
    f1 <- hurdle(as.formula(fz), data = d, dist = dist, zero.dist = "binomial",
                 control = hurdle.control(reltol = 1e-14, maxit = 50000, separate = FALSE,
                                          ndeps = rep(1e-6, k)))
    list(default = f0, fine = f1)
  }
  zip2 <- zi_fit("poisson"); zinb2 <- zi_fit("negbin")
  hp2 <- h_fit("poisson"); hnb2 <- h_fit("negbin")
  zip <- zip2$fine; zinb <- zinb2$fine; hp <- hp2$fine; hnb <- hnb2$fine
  models <- list(poisson = pois, negbin = nb, zip = zip, zinb = zinb,
                 hurdle_poisson = hp, hurdle_negbin = hnb)
  res <- list(poisson = glm_out(pois), negbin = nb_out(nb), zip = pscl_out(zip2),
              zinb = pscl_out(zinb2), hurdle_poisson = pscl_out(hp2),
              hurdle_negbin = pscl_out(hnb2))
  pairs <- list(c("poisson", "zip"), c("negbin", "zinb"), c("poisson", "hurdle_poisson"),
                c("negbin", "hurdle_negbin"), c("zip", "hurdle_poisson"),
                c("zinb", "hurdle_negbin"))
  res$vuong <- lapply(pairs, function(p) {
    v <- vuong_values(models[[p[1]]], models[[p[2]]])
    c(list(model_1 = p[1], model_2 = p[2]), v)
  })
  # pscl::odTest(nb): LR = 2 (logLik(nb) - logLik(poisson)), p = pchisq(LR, 1, lower = FALSE) / 2
  lr <- 2 * (as.numeric(logLik(nb)) - as.numeric(logLik(pois)))
  res$odtest <- list(statistic = lr, p_value = pchisq(lr, df = 1, lower.tail = FALSE) / 2)
  # glm.nb with R's default control: how far the default stopping rule is from the optimum
  nb_default <- glm.nb(as.formula(fx), data = d)
  res$negbin_default <- nb_out(nb_default)
  res$n <- nrow(d)
  res
}

for (nm in c("ctc_small", "ctc_large")) {
  d <- read.csv(file.path("inputs", paste0(nm, ".csv")))
  d$stage <- factor(d$stage)
  out(fit_all(d, "ctc_count", c("age", "node_positive", "stage"), c("node_positive", "age"),
              "log(blood_volume_ml)"), paste0("models_", nm))
}
rand <- read.csv(file.path("inputs", "randhie.csv"))
out(fit_all(rand, "mdvis", c("lncoins", "idp", "physlm", "disea"),
            c("lncoins", "idp", "physlm", "disea"), NULL), "models_randhie")

# exact Poisson interval for a rate: poisson.test(x, T = volume)$conf.int, two conf levels
pc <- read.csv(file.path("inputs", "poisson_ci.csv"))
pint <- function(level) t(mapply(function(x, v) poisson.test(x, T = v, conf.level = level)$conf.int,
                                 pc$count, pc$volume_ml))
p95 <- pint(0.95); p90 <- pint(0.90)
out(list(lower_95 = p95[, 1], upper_95 = p95[, 2], lower_90 = p90[, 1], upper_90 = p90[, 2]),
    "poisson_ci")

# Clopper-Pearson binom.test(x, n)$conf.int and Wilson prop.test(x, n, correct = FALSE)$conf.int
bc <- read.csv(file.path("inputs", "binom_ci.csv"))
bint <- function(level) t(mapply(function(x, n) binom.test(x, n, conf.level = level)$conf.int,
                                 bc$x, bc$n))
wint <- function(level) t(mapply(function(x, n) suppressWarnings(
  prop.test(x, n, correct = FALSE, conf.level = level)$conf.int), bc$x, bc$n))
b95 <- bint(0.95); b90 <- bint(0.90); w95 <- wint(0.95); w90 <- wint(0.90)
out(list(exact_lower_95 = b95[, 1], exact_upper_95 = b95[, 2],
         exact_lower_90 = b90[, 1], exact_upper_90 = b90[, 2],
         wilson_lower_95 = w95[, 1], wilson_upper_95 = w95[, 2],
         wilson_lower_90 = w90[, 1], wilson_upper_90 = w90[, 2]), "binom_ci")
