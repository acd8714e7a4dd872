# R reference for ctcstats prognostic metrics (run from this folder: Rscript prognostic_metrics.R).
# Reads inputs/*.csv and writes outputs/<name>.json:
#   concordance_<data>.json   survival::concordance, Harrell and Uno (timewt = "n/G2", ymax)
#   score_<data>.json         riskRegression::Score AUC, Brier (+ null model), IPA, IBS, with se
#   calibration_<data>.json   Austin, Harrell & van Klaveren (2020) recipe: coxph on an rcs of
#                             cloglog(predicted risk), ICI / E50 / E90, Cox slope, O/E
#   dca_<data>.json           decision curves computed by hand with survfit on the subsets
suppressPackageStartupMessages({
  library(survival); library(riskRegression); library(prodlim); library(jsonlite)
})
dir.create("outputs", showWarnings = FALSE)
rd <- function(name) read.csv(file.path("inputs", paste0(name, ".csv")))
wj <- function(x, name) write_json(x, file.path("outputs", paste0(name, ".json")),
                                   digits = NA, auto_unbox = TRUE)

specs <- list(
  synth = list(score = "score", probs = c("p12", "p24", "p36"), times = c(12, 24, 36),
               taus = c(24, 48), cal = "p24", cal_time = 24, dca = c("p24", "q24")),
  small = list(score = "score", probs = c("p12", "p24", "p36"), times = c(12, 24, 36),
               taus = c(30), cal = "p24", cal_time = 24, dca = c("p24", "q24")),
  gbsg2 = list(score = "lp", probs = c("p1000", "p1500", "p2000"),
               times = c(1000, 1500, 2000), taus = c(1500, 2000), cal = "p1500",
               cal_time = 1500, dca = c("p1500", "q1500"))
)

ver <- list(survival = as.character(packageVersion("survival")),
            riskRegression = as.character(packageVersion("riskRegression")),
            rms = as.character(packageVersion("rms")))

for (nm in names(specs)) {
  s <- specs[[nm]]
  d <- rd(nm)
  d$risk <- d[[s$score]]
  # ---------------------------------------------------------------- concordance
  h <- concordance(Surv(time, status) ~ risk, data = d, reverse = TRUE)
  out <- list(harrell = list(estimate = unname(h$concordance), std_error = sqrt(h$var),
                             count = as.list(h$count)), uno = list(), versions = ver)
  h2 <- concordance(Surv(time, status) ~ risk, data = d, reverse = TRUE, ymax = s$taus[1])
  out$harrell_tau <- list(tau = s$taus[1], estimate = unname(h2$concordance),
                          std_error = sqrt(h2$var), count = as.list(h2$count))
  for (tau in s$taus) {
    u <- concordance(Surv(time, status) ~ risk, data = d, reverse = TRUE,
                     timewt = "n/G2", ymax = tau)
    out$uno[[length(out$uno) + 1]] <- list(tau = tau, estimate = unname(u$concordance),
                                           std_error = sqrt(u$var), count = as.list(u$count))
  }
  wj(out, paste0("concordance_", nm))

  # ---------------------------------------------------------------- Score
  P <- as.matrix(d[, s$probs])
  sc <- Score(list(model = P), formula = Hist(time, status) ~ 1, data = d, times = s$times,
              metrics = c("auc", "brier"), summary = c("ibs", "ipa"), cens.model = "km",
              se.fit = TRUE, conservative = FALSE)
  auc <- as.data.frame(sc$AUC$score)
  br <- as.data.frame(sc$Brier$score)
  br$model <- as.character(br$model)
  auc$model <- as.character(auc$model)
  # the reverse Kaplan-Meier (censoring) weights Score uses, for the record
  cf <- prodlim(Hist(time, status) ~ 1, data = d, reverse = TRUE)
  wj(list(times = s$times,
          auc = auc[auc$model == "model", "AUC"], auc_se = auc[auc$model == "model", "se"],
          brier = br[br$model == "model", "Brier"], brier_se = br[br$model == "model", "se"],
          brier_null = br[br$model == "Null model", "Brier"],
          brier_null_se = br[br$model == "Null model", "se"],
          ipa = br[br$model == "model", "IPA"], ibs = br[br$model == "model", "IBS"],
          ibs_null = br[br$model == "Null model", "IBS"],
          G_subject_minus = predictSurvIndividual(cf, lag = 1),
          G_times = as.numeric(predict(cf, times = s$times)),
          versions = ver),
     paste0("score_", nm))

  # ---------------------------------------------------------------- calibration
  t0 <- s$cal_time
  p <- d[[s$cal]]
  cll <- log(-log(1 - p))
  kn <- Hmisc::rcspline.eval(cll, nk = 3, knots.only = TRUE)
  B <- Hmisc::rcspline.eval(cll, knots = kn, inclx = TRUE)
  cd <- data.frame(time = d$time, status = d$status, b1 = B[, 1], b2 = B[, 2])
  fit <- coxph(Surv(time, status) ~ b1 + b2, data = cd, x = TRUE)
  sf <- survfit(fit, newdata = cd[, c("b1", "b2")])
  obs <- 1 - as.numeric(summary(sf, times = t0)$surv)
  grid <- seq(quantile(p, 0.01), quantile(p, 0.99), length.out = 100)
  G <- Hmisc::rcspline.eval(log(-log(1 - grid)), knots = kn, inclx = TRUE)
  sfg <- survfit(fit, newdata = data.frame(b1 = G[, 1], b2 = G[, 2]))
  obs_grid <- 1 - as.numeric(summary(sfg, times = t0)$surv)
  absd <- abs(obs - p)
  slope_fit <- coxph(Surv(time, status) ~ cll, data = data.frame(time = d$time,
                                                                   status = d$status, cll = cll))
  km <- survfit(Surv(time, status) ~ 1, data = d)
  skm <- summary(km, times = t0)
  observed <- 1 - skm$surv
  # calibration-in-the-large: alpha with mean(1 - exp(-exp(alpha + cll))) = 1 - KM(t0)
  alpha <- uniroot(function(a) mean(1 - exp(-exp(a + cll))) - observed,
                   c(-10, 10), tol = 1e-13)$root
  wj(list(time = t0, knots = kn, coef = unname(coef(fit)), observed = obs,
          grid = grid, observed_grid = obs_grid,
          ici = mean(absd), e50 = unname(median(absd)),
          e90 = unname(quantile(absd, 0.9)), emax = max(absd),
          slope = unname(coef(slope_fit)), slope_se = unname(sqrt(diag(slope_fit$var))),
          km_observed = observed, km_std_err = skm$std.err, mean_predicted = mean(p),
          oe_ratio = observed / mean(p), intercept = alpha, versions = ver),
     paste0("calibration_", nm))

  # ---------------------------------------------------------------- decision curves
  # Net benefit by hand (Vickers et al. 2008 survival version):
  #   NB(p) = (1 - S_pos(t)) P(pos) - S_pos(t) P(pos) p / (1 - p)
  # with S_pos the Kaplan-Meier estimate among patients with risk >= p (summary(extend=FALSE):
  # NA when the horizon is past their last follow-up, as dcurves::dca).
  th <- (1:98) / 100  # exact decimals (seq() accumulates rounding error)
  s_all <- summary(km, times = t0, extend = TRUE)$surv
  rows <- list()
  for (m in s$dca) {
    r <- d[[m]]
    nb <- npos <- numeric(length(th))
    for (k in seq_along(th)) {
      pos <- r >= th[k]
      npos[k] <- sum(pos)
      if (npos[k] == 0) { nb[k] <- 0; next }
      # as dcurves: no estimate (NA) past the last follow-up of the test-positives
      # (summary.survfit stops on a time past the last one without extend = TRUE)
      if (t0 > max(d$time[pos])) { nb[k] <- NA; next }
      sp <- summary(survfit(Surv(time, status) ~ 1, data = d[pos, ]), times = t0,
                    extend = FALSE)$surv
      ppos <- npos[k] / nrow(d)
      nb[k] <- (1 - sp) * ppos - sp * ppos * th[k] / (1 - th[k])
    }
    rows[[m]] <- list(net_benefit = nb, n_positive = npos)
  }
  wj(list(time = t0, thresholds = th, models = rows,
          treat_all = (1 - s_all) - s_all * th / (1 - th), versions = ver),
     paste0("dca_", nm))
}
