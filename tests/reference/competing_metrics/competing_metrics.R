# R reference for ctcstats competing-risks prognostic metrics (run from this folder:
# Rscript competing_metrics.R). Reads inputs/*.csv (time, event 0/1/2, x1, x2, score,
# p12, p24, p36) and writes outputs/<name>.json:
#   score       riskRegression::Score(list(P), Hist(time, event) ~ 1, cause = 1, times,
#               metrics = c("auc", "brier"), summary = "ipa", cens.model = "km",
#               se.fit = TRUE, conservative = FALSE): AUC, se, Brier, se, Null model Brier
#               (Aalen-Johansen), IPA; the same AUC for the score column
#   cindex      pec::cindex(list(matrix), Hist(time, event) ~ 1, cause = 1, eval.times = tau,
#               cens.model = "marginal") for p<tau> and for the score, tau in 12, 24, 36
#   calibration cmprsk::cuminc per quartile group of p24 (cut at quantile(p24, 0:4/4),
#               include.lowest = TRUE) and timepoints(..., 24): est, var; mean of p24 per group
#   predict     cmprsk::predict.crr (crr on x1, x2, failcode 1) and riskRegression::CSC
#               (coxph on x1 + x2 per cause, Efron ties; product-limit survival) predictRisk
#               at 12, 24, 36 for the first 10 rows
suppressPackageStartupMessages({
  library(survival); library(riskRegression); library(prodlim); library(pec)
  library(cmprsk); library(jsonlite)
})
dir.create("outputs", showWarnings = FALSE)
rd <- function(name) read.csv(file.path("inputs", paste0(name, ".csv")))
wj <- function(x, name) write_json(x, file.path("outputs", paste0(name, ".json")),
                                   digits = NA, auto_unbox = TRUE)
ver <- list(R = R.version.string,
            riskRegression = as.character(packageVersion("riskRegression")),
            pec = as.character(packageVersion("pec")),
            prodlim = as.character(packageVersion("prodlim")),
            cmprsk = as.character(packageVersion("cmprsk")),
            survival = as.character(packageVersion("survival")))
times <- c(12, 24, 36)

for (nm in c("synth", "small")) {
  d <- rd(nm)
  # ------------------------------------------------------------------ Score, cause 1
  P <- as.matrix(d[, c("p12", "p24", "p36")])
  sc <- Score(list(model = P), formula = Hist(time, event) ~ 1, data = d, times = times,
              cause = 1, metrics = c("auc", "brier"), summary = "ipa", cens.model = "km",
              se.fit = TRUE, conservative = FALSE)
  auc <- as.data.frame(sc$AUC$score); auc$model <- as.character(auc$model)
  br <- as.data.frame(sc$Brier$score); br$model <- as.character(br$model)
  S <- matrix(rep(d$score, 3), ncol = 3)
  sc2 <- Score(list(score = S), formula = Hist(time, event) ~ 1, data = d, times = times,
               cause = 1, metrics = "auc", cens.model = "km", se.fit = TRUE,
               conservative = FALSE)
  auc2 <- as.data.frame(sc2$AUC$score); auc2$model <- as.character(auc2$model)
  wj(list(times = times,
          auc = auc[auc$model == "model", "AUC"], auc_se = auc[auc$model == "model", "se"],
          score_auc = auc2[auc2$model == "score", "AUC"],
          score_auc_se = auc2[auc2$model == "score", "se"],
          brier = br[br$model == "model", "Brier"], brier_se = br[br$model == "model", "se"],
          brier_null = br[br$model == "Null model", "Brier"],
          brier_null_se = br[br$model == "Null model", "se"],
          ipa = br[br$model == "model", "IPA"], versions = ver),
     paste0("score_", nm))

  # ------------------------------------------------------------------ pec::cindex, cause 1
  ci <- list()
  for (tau in times) {
    m <- as.matrix(d[[paste0("p", tau)]])
    c1 <- pec::cindex(list(model = m), formula = Hist(time, event) ~ 1, data = d,
                      eval.times = tau, cause = 1, cens.model = "marginal", verbose = FALSE)
    c2 <- pec::cindex(list(score = as.matrix(d$score)), formula = Hist(time, event) ~ 1,
                      data = d, eval.times = tau, cause = 1, cens.model = "marginal",
                      verbose = FALSE)
    ci[[length(ci) + 1]] <- list(
      tau = tau, cindex = unname(c1$AppCindex$model),
      pairs_a = unname(c1$Pairs$model$A), pairs_b = unname(c1$Pairs$model$B),
      concordant_a = unname(c1$Concordant$model$A),
      concordant_b = unname(c1$Concordant$model$B),
      score_cindex = unname(c2$AppCindex$score))
  }
  wj(list(cindex = ci, versions = ver), paste0("cindex_", nm))

  # ------------------------------------------------------------------ calibration at 24
  br4 <- quantile(d$p24, probs = seq(0, 1, length.out = 5))
  g <- cut(d$p24, breaks = unique(br4), include.lowest = TRUE, labels = FALSE)
  cal <- list()
  for (k in sort(unique(g))) {
    s <- g == k
    cf <- cuminc(d$time[s], d$event[s], cencode = 0)
    tp <- timepoints(cf, 24)
    cal[[length(cal) + 1]] <- list(group = k, n = sum(s), mean_predicted = mean(d$p24[s]),
                                   observed = unname(tp$est["1 1", 1]),
                                   observed_var = unname(tp$var["1 1", 1]))
  }
  wj(list(horizon = 24, breaks = unname(br4), groups = cal, versions = ver),
     paste0("calibration_", nm))

  # ------------------------------------------------------------------ predicted CIF
  X <- as.matrix(d[, c("x1", "x2")])
  fg <- crr(d$time, d$event, cov1 = X, failcode = 1, cencode = 0)
  pf <- predict(fg, cov1 = X[1:10, , drop = FALSE])
  fg_at <- sapply(times, function(t) {
    i <- findInterval(t, pf[, 1])
    if (i == 0) rep(0, 10) else pf[i, -1]
  })
  csc <- CSC(Hist(time, event) ~ x1 + x2, data = d)
  cs_at <- predictRisk(csc, newdata = d[1:10, ], times = times, cause = 1)
  wj(list(times = times, fine_gray_coef = unname(fg$coef),
          fine_gray = unname(split(fg_at, row(fg_at))),
          fine_gray_jump_times = unname(pf[, 1]),
          csc_coef = lapply(csc$models, function(m) unname(coef(m))),
          csc = unname(split(cs_at, row(cs_at))), versions = ver),
     paste0("predict_", nm))
}
