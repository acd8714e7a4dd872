# R reference for ctcstats prognostic models (run from this folder: Rscript prognostic_models.R).
# Reads inputs/*.csv; writes outputs/<data>_models.json (coxph fits, predicted risks from
# survfit / riskRegression::predictRisk, anova of nested models, IPCW weights and the IPCW
# logistic model), outputs/<data>_validate.json (rms::validate of cph, B = 200) and
# outputs/<data>_nomogram.json (rms::nomogram of cph with survival axes).
suppressPackageStartupMessages({
  library(survival); library(prodlim); library(riskRegression); library(rms); library(jsonlite)
})
dir.create("outputs", showWarnings = FALSE)
rd <- function(name) read.csv(file.path("inputs", paste0(name, ".csv")), stringsAsFactors = FALSE)
wj <- function(x, name) write_json(x, file.path("outputs", paste0(name, ".json")), digits = NA,
                                   auto_unbox = TRUE)

specs <- list(
  ctc300 = list(time = "os_months", event = "os_event",
                base = c("age", "tumor_size_cm", "node_positive", "grade"),
                new = c("ctc_positive"), times = c(12, 24, 36, 60), ridge = 2),
  ctc120 = list(time = "os_months", event = "os_event",
                base = c("age", "tumor_size_cm", "node_positive", "grade"),
                new = c("ctc_positive"), times = c(12, 24, 48), ridge = 0),
  gbsg2 = list(time = "time", event = "cens",
               base = c("age", "tsize", "pnodes", "grade", "hormon", "meno"),
               new = c("progrec", "estrec"), times = c(365, 730, 1095, 1825), ridge = 0)
)

for (name in names(specs)) {
  s <- specs[[name]]
  d <- rd(name)
  d$T <- d[[s$time]]; d$E <- d[[s$event]]
  fb <- as.formula(paste("Surv(T, E) ~", paste(s$base, collapse = " + ")))
  ff <- as.formula(paste("Surv(T, E) ~", paste(c(s$base, s$new), collapse = " + ")))
  base <- coxph(fb, data = d, x = TRUE, y = TRUE)
  full <- coxph(ff, data = d, x = TRUE, y = TRUE)
  fullb <- coxph(ff, data = d, x = TRUE, y = TRUE, ties = "breslow")
  a <- anova(base, full)
  risk_sf <- 1 - t(summary(survfit(full, newdata = d), times = s$times)$surv)
  risk_sfb <- 1 - t(summary(survfit(fullb, newdata = d), times = s$times)$surv)
  risk_pr <- predictRisk(full, newdata = d, times = s$times)
  h <- s$times[2]
  # riskRegression's ipcw returns the subject-time weights in time order (as Score sorts the
  # data first): compute on the time-sorted rows and put them back in row order
  o <- order(d$T, -d$E)
  w <- ipcw(Hist(T, E) ~ 1, data = d[o, ], method = "marginal", times = h,
            subject.times = d$T[o], keep = c("times", "fit"))
  Wsub <- numeric(nrow(d)); Wsub[o] <- w$IPCW.subject.times; Wt <- w$IPCW.times
  wt <- ifelse(d$T <= h & d$E == 1, 1 / Wsub, ifelse(d$T > h, 1 / Wt, 0))
  d$yh <- as.integer(d$T <= h & d$E == 1)
  fl <- as.formula(paste("yh ~", paste(c(s$base, s$new), collapse = " + ")))
  lg <- suppressWarnings(glm(fl, data = d[wt > 0, ], weights = wt[wt > 0], family = binomial))
  res <- list(
    features = c(s$base, s$new), times = s$times, horizon = h,
    coef_full = unname(coef(full)), coef_base = unname(coef(base)),
    loglik_full = unname(full$loglik), loglik_base = unname(base$loglik),
    lp_full = unname(predict(full, type = "lp")),
    means_full = unname(full$means),
    risk_survfit = unname(risk_sf), risk_predictrisk = unname(risk_pr),
    risk_survfit_breslow = unname(risk_sfb), coef_full_breslow = unname(coef(fullb)),
    lr_statistic = a$Chisq[2], lr_df = a$Df[2], lr_p_value = a[["Pr(>|Chi|)"]][2],
    concordance_full = unname(full$concordance["concordance"]),
    concordance_base = unname(base$concordance["concordance"]),
    ipcw_weights = unname(wt), logistic_coef = unname(coef(lg)),
    r_versions = c(survival = as.character(packageVersion("survival")),
                   riskRegression = as.character(packageVersion("riskRegression")),
                   rms = as.character(packageVersion("rms"))))
  if (s$ridge > 0) {
    fr <- as.formula(paste("Surv(T, E) ~ ridge(", paste(c(s$base, s$new), collapse = ", "),
                           ", theta = ", s$ridge, ")"))
    rf <- coxph(fr, data = d)
    res$ridge <- s$ridge
    res$coef_ridge <- unname(coef(rf))
    res$risk_ridge <- unname(1 - t(summary(survfit(rf, newdata = d), times = s$times)$surv))
  }
  wj(res, paste0(name, "_models"))

  # ---- rms: validate (apparent indexes exact; optimism by Monte Carlo) and nomogram
  dd <- datadist(d); options(datadist = "dd")
  # eps tightened from cph's 1e-4 so the fit is converged as coxph's (gbsg2 has covariates on
  # large scales, where 1e-4 leaves the coefficients visibly short of the maximum)
  cf <- cph(ff, data = d, x = TRUE, y = TRUE, surv = TRUE, eps = 1e-9, iter.max = 30)
  set.seed(20261121)
  v <- rms::validate(cf, B = 200)
  wj(list(index = rownames(v), index_orig = unname(v[, "index.orig"]),
          training = unname(v[, "training"]), test = unname(v[, "test"]),
          optimism = unname(v[, "optimism"]), corrected = unname(v[, "index.corrected"]),
          n = unname(v[, "n"]), B = 200), paste0(name, "_validate"))

  surv <- Survival(cf)
  t1 <- s$times[2]; t2 <- s$times[3]
  fat <- c(0.95, 0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2, 0.1, 0.05)
  nom <- nomogram(cf, fun = list(function(x) surv(t1, x), function(x) surv(t2, x)),
                  funlabel = c("s1", "s2"), fun.at = fat, lp = TRUE)
  info <- attr(nom, "info")
  vars <- lapply(c(s$base, s$new), function(v) list(
    covariate = v, value = unname(as.numeric(nom[[v]][[v]])),
    xbeta = unname(nom[[v]]$Xbeta), points = unname(nom[[v]]$points)))
  wj(list(times = c(t1, t2), fun_at = fat, center = unname(cf$center),
          coef = unname(coef(cf)), variables = vars,
          total_points = unname(nom$total.points$x),
          lp_points = unname(nom$lp$x), lp_at = unname(nom$lp$x.real),
          s1_points = unname(nom$s1$x), s1_at = unname(nom$s1$x.real),
          s2_points = unname(nom$s2$x), s2_at = unname(nom$s2$x.real),
          sc = info$sc, intercept = unname(info$Intercept),
          surv_t1_at_lp = unname(surv(t1, c(-1, 0, 1))),
          surv_t2_at_lp = unname(surv(t2, c(-1, 0, 1)))),
     paste0(name, "_nomogram"))
}
