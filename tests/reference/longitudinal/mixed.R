# R references for ctcstats.longitudinal.fit_count_mixed_model:
#   glmmTMB (Laplace approximation)  <->  method = "laplace"
#   GLMMadaptive::mixed_model (adaptive Gauss-Hermite, nAGQ points per dimension) <-> "agq"
# Run from tests/reference/longitudinal/: R_LIBS=/work/rlib Rscript mixed.R
#
# Convergence: glmmTMB with nlminb rel.tol 1e-12. GLMMadaptive with optimizer = "nlminb",
# 100 EM iterations, then a second fit started at the first fit's estimates with iter_EM = 0,
# so that its adaptive quadrature is centred at the posterior modes of (essentially) the final
# parameters — the quadrature ctcstats evaluates at every parameter value. (With its default
# optim/BFGS and a tightened reltol, GLMMadaptive stopped 0.015 log-likelihood units short of
# the maximum on epil; nlminb reaches it.) GLMMadaptive's SEs are from its central-difference
# Hessian of the score at fixed nodes; glmmTMB's from sdreport.
suppressPackageStartupMessages({
  library(glmmTMB); library(GLMMadaptive); library(jsonlite)
})
out <- function(x, name) {
  write_json(x, file.path("outputs", paste0(name, ".json")), digits = NA, auto_unbox = TRUE)
}
tctl <- glmmTMBControl(optCtrl = list(iter.max = 1e4, eval.max = 1e4, rel.tol = 1e-12))

tmb_out <- function(f) {
  vc <- VarCorr(f)$cond[[1]]
  sdr <- f$sdr
  se_fixed <- sqrt(diag(sdr$cov.fixed))
  re <- ranef(f)$cond[[1]]
  res <- list(
    names = names(fixef(f)$cond), coef = unname(fixef(f)$cond),
    se = unname(sqrt(diag(vcov(f)$cond))),
    sd = unname(attr(vc, "stddev")),
    cor = unname(attr(vc, "correlation")[lower.tri(attr(vc, "correlation"))]),
    loglik = as.numeric(logLik(f)), df = attr(logLik(f), "df"),
    ranef_ids = rownames(re), ranef = lapply(seq_len(ncol(re)), function(k) unname(re[, k])))
  if (family(f)$family %in% c("nbinom2")) {
    res$theta <- sigma(f)
    res$log_theta_se <- unname(se_fixed[names(se_fixed) == "betad"])
  }
  if (length(fixef(f)$zi)) {
    res$zi_coef <- unname(fixef(f)$zi)
    res$zi_se <- unname(sqrt(diag(vcov(f)$zi)))
  }
  res
}

gla_fit <- function(fixed, random, data, family, nAGQ, zi_fixed = NULL) {
  args <- list(fixed = fixed, random = random, data = data, family = family, nAGQ = nAGQ,
               optimizer = "nlminb", iter_EM = 100, tol3 = 1e-12, iter_qN = 200)
  if (!is.null(zi_fixed)) args$zi_fixed <- zi_fixed
  f1 <- do.call(mixed_model, args)
  init <- list(betas = fixef(f1), D = f1$D)
  if (!is.null(f1$phis)) init$phis <- f1$phis
  if (!is.null(f1$gammas)) init$gammas <- f1$gammas
  args$initial_values <- init
  args$iter_EM <- 0
  do.call(mixed_model, args)
}

gla_out <- function(f) {
  V <- vcov(f)
  se <- sqrt(diag(V))
  D <- f$D
  sds <- sqrt(diag(D))
  C <- D / outer(sds, sds)
  re <- ranef(f)
  pv <- attr(ranef(f, post_vars = TRUE), "post_vars")
  res <- list(
    names = names(fixef(f)), coef = unname(fixef(f)),
    se = unname(se[names(fixef(f))]), sd = unname(sds), cor = unname(C[lower.tri(C)]),
    loglik = as.numeric(logLik(f)), df = attr(logLik(f), "df"),
    ranef_ids = rownames(re), ranef = lapply(seq_len(ncol(re)), function(k) unname(re[, k])),
    ranef_se = lapply(seq_len(ncol(re)), function(k) unname(sapply(pv, function(v) sqrt(v[k, k])))))
  if (!is.null(f$phis)) {
    res$theta <- exp(unname(f$phis))
    res$log_theta_se <- unname(se[grep("^phi", names(se))])
  }
  if (!is.null(f$gammas)) {
    res$zi_coef <- unname(f$gammas)
    res$zi_se <- unname(se[grep("^zi_", names(se))])
  }
  res
}

epil <- read.csv("inputs/epil.csv")
owls <- read.csv("inputs/owls.csv")
dnb <- read.csv("inputs/draws_nb.csv")
dpo <- read.csv("inputs/draws_pois.csv")

cases <- list(
  epil_pois_slope = list(data = epil, fixed = y ~ period + trt + lbase + lage + offset(log(weeks)),
                         random = ~ period | subject, tmb_re = "(period | subject)",
                         fam = "poisson", nAGQ = 7),
  epil_nb_intercept = list(data = epil, fixed = y ~ period + trt + lbase + lage,
                           random = ~ 1 | subject, tmb_re = "(1 | subject)",
                           fam = "negbin", nAGQ = 11),
  owls_zip_intercept = list(data = owls, fixed = count ~ arrival + satiated + male +
                              offset(log(brood_size)),
                            random = ~ 1 | nest, tmb_re = "(1 | nest)",
                            fam = "zip", zi = ~ 1, nAGQ = 11),
  owls_zinb_intercept = list(data = owls, fixed = count ~ arrival + satiated + male +
                               offset(log(brood_size)),
                             random = ~ 1 | nest, tmb_re = "(1 | nest)",
                             fam = "zinb", zi = ~ 1, nAGQ = 11),
  owls_nb_slope = list(data = owls, fixed = count ~ arrival + satiated + male +
                         offset(log(brood_size)),
                       random = ~ arrival | nest, tmb_re = "(arrival | nest)",
                       fam = "negbin", nAGQ = 7),
  syn_nb_slope = list(data = dnb, fixed = ctc_count ~ draw_months + visceral_mets +
                        offset(log(blood_volume_ml)),
                      random = ~ draw_months | patient_id,
                      tmb_re = "(draw_months | patient_id)", fam = "negbin", nAGQ = 7),
  syn_pois_slope = list(data = dpo, fixed = ctc_count ~ draw_months + visceral_mets +
                          offset(log(blood_volume_ml)),
                        random = ~ draw_months | patient_id,
                        tmb_re = "(draw_months | patient_id)", fam = "poisson", nAGQ = 7)
)

fam_tmb <- list(poisson = poisson(), negbin = nbinom2(), zip = poisson(), zinb = nbinom2())
fam_gla <- list(poisson = poisson(), negbin = negative.binomial(), zip = zi.poisson(),
                zinb = zi.negative.binomial())

for (nm in names(cases)) {
  cs <- cases[[nm]]
  ftmb <- update(cs$fixed, as.formula(paste(". ~ . +", cs$tmb_re)))
  zi <- if (is.null(cs$zi)) ~0 else cs$zi
  t_tmb <- system.time(
    ft <- glmmTMB(ftmb, data = cs$data, family = fam_tmb[[cs$fam]], ziformula = zi,
                  control = tctl))[["elapsed"]]
  t_gla <- system.time(
    fg <- gla_fit(cs$fixed, cs$random, cs$data, fam_gla[[cs$fam]], cs$nAGQ, cs$zi)
  )[["elapsed"]]
  out(list(case = nm, nAGQ = cs$nAGQ, glmmTMB = tmb_out(ft), GLMMadaptive = gla_out(fg),
           seconds = list(glmmTMB = t_tmb, GLMMadaptive = t_gla)), nm)
  cat(nm, "done\n")
}

out(list(R = R.version.string, glmmTMB = as.character(packageVersion("glmmTMB")),
         TMB = as.character(packageVersion("TMB")),
         GLMMadaptive = as.character(packageVersion("GLMMadaptive"))), "versions")
