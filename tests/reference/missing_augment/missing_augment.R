# Reference for ctcstats.missing._conditional.augment / fit_mlogit(weights=) / the weighted
# binomial GLM of _fit_binary: R mice's augment() (White, Daniel & Royston 2010) on the
# predictors (x, g) of a separated category z and binary b, then the weighted fits on the
# augmented data: nnet::multinom(weights=) (as mice.impute.polyreg) and glm(binomial,
# weights=) (as mice.impute.logreg). Run from this directory: Rscript missing_augment.R
suppressPackageStartupMessages({library(mice); library(nnet); library(jsonlite)})
d <- read.csv("inputs/separated.csv")
X <- as.matrix(d[, c("x", "g")])
ry <- rep(TRUE, nrow(d))
az <- mice:::augment(factor(d$z), ry, X, !ry)
ab <- mice:::augment(d$b, ry, X, !ry)
xa <- as.data.frame(az$x)
fz <- multinom(factor(az$y) ~ x + g, data = xa, weights = az$w, Hess = TRUE, trace = FALSE,
               maxit = 10000, reltol = 1e-14, abstol = 1e-300)
xb <- as.data.frame(ab$x)
fb <- suppressWarnings(glm(ab$y ~ x + g, data = xb, weights = ab$w, family = binomial,
                           control = glm.control(epsilon = 1e-14, maxit = 100)))
# without augmentation: the separated fit (for the record: huge estimates and SEs)
f0 <- suppressWarnings(glm(b ~ x + g, data = d, family = binomial))
out <- list(
  r_version = R.version.string,
  mice_version = as.character(packageVersion("mice")),
  nnet_version = as.character(packageVersion("nnet")),
  aug_z_x = unname(az$x[-(1:nrow(d)), ]), aug_z_y = as.integer(as.character(az$y[-(1:nrow(d))])),
  aug_z_w = az$w[-(1:nrow(d))],
  aug_b_x = unname(ab$x[-(1:nrow(d)), ]), aug_b_y = ab$y[-(1:nrow(d))],
  aug_b_w = ab$w[-(1:nrow(d))],
  # multinom's coef: rows = levels 1, 2 (vs 0), columns (Intercept), x, g
  multinom_coef = unname(coef(fz)), multinom_vcov = unname(vcov(fz)),
  glm_coef = unname(coef(fb)), glm_vcov = unname(vcov(fb)),
  glm_unaugmented_se = unname(sqrt(diag(vcov(f0))))
)
write_json(out, "outputs/augment.json", digits = NA, auto_unbox = TRUE)
