# R reference for ctcstats.random_marker_slope (run from this folder: Rscript random_slope.R).
# survSplit at the 1/6..5/6 quantiles of the event times (type 7), then
# lme4::glmer(event ~ factor(interval) + ctc_positive + age + offset(log(exposure)) +
#             (1 + ctc_positive | study), family = poisson) (Laplace, nAGQ = 1), with tight
# optimiser tolerances; also glmmTMB with the same model (a second oracle).
suppressPackageStartupMessages({library(survival); library(lme4); library(glmmTMB)
  library(jsonlite)})
d <- read.csv("inputs/ipd.csv")
cuts <- unique(quantile(d$months[d$event == 1], (1:5) / 6, type = 7))
s <- survSplit(Surv(months, event) ~ ., data = d, cut = cuts, episode = "interval",
               start = "tstart")
s$exposure <- s$months - s$tstart
s <- s[s$exposure > 0, ]
f <- glmer(event ~ factor(interval) + ctc_positive + age + offset(log(exposure)) +
             (1 + ctc_positive | study), family = poisson, data = s,
           control = glmerControl(optimizer = "bobyqa",
                                  optCtrl = list(maxfun = 1e5, rhobeg = 0.1, rhoend = 1e-10)))
vc <- as.data.frame(VarCorr(f))
tm <- glmmTMB(event ~ factor(interval) + ctc_positive + age + offset(log(exposure)) +
                (1 + ctc_positive | study), family = poisson, data = s)
vt <- VarCorr(tm)$cond$study
re <- ranef(f)$study
out <- list(
  cuts = unname(cuts), terms = names(fixef(f)), coef = unname(fixef(f)),
  se = unname(sqrt(diag(as.matrix(vcov(f))))),
  sd_intercept = vc$sdcor[1], sd_slope = vc$sdcor[2], cor = vc$sdcor[3],
  loglik = as.numeric(logLik(f)), ranef_study = rownames(re),
  ranef_slope = unname(re[, "ctc_positive"]),
  tmb_coef = unname(fixef(tm)$cond), tmb_se = unname(sqrt(diag(vcov(tm)$cond))),
  tmb_sd = unname(attr(vt, "stddev")), tmb_cor = attr(vt, "correlation")[1, 2],
  tmb_loglik = as.numeric(logLik(tm)), n_rows = nrow(s),
  r_version = R.version.string, lme4 = as.character(packageVersion("lme4")),
  glmmTMB = as.character(packageVersion("glmmTMB")),
  survival = as.character(packageVersion("survival")))
write_json(out, "outputs/ipd.json", digits = NA, auto_unbox = TRUE)
