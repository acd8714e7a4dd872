# R reference for ctcstats.landmark_supermodel (stacked landmark data + coxph).
# Run from this folder: Rscript supermodel.R
# Data: survival::pbc (patients 1..312; status 0 = censored, 1 = transplant, 2 = death,
# recoded here to 1 = death, 2 = transplant: inputs/pbc_patients_cr.csv) and survival::pbcseq
# (serial serum bilirubin; ../tmerge/inputs/pbcseq_draws.csv). The landmark stacking is coded
# here independently of ctcstats: at landmark s the patients with time > s, their last draw at
# or before s, follow-up to min(time, s + w), events after s + w censored.
suppressPackageStartupMessages({library(survival); library(jsonlite)})
versions <- list(R = R.version.string, survival = as.character(packageVersion("survival")))
wj <- function(x, name) write_json(c(x, list(versions = versions)),
                                   file.path("outputs", paste0(name, ".json")),
                                   digits = NA, auto_unbox = TRUE, na = "null")
p <- subset(survival::pbc, id <= 312, select = c(id, time, status, age))
p$status <- c(0L, 2L, 1L)[p$status + 1]
write.csv(p, "inputs/pbc_patients_cr.csv", row.names = FALSE)
pat <- read.csv("inputs/pbc_patients_cr.csv")
dr <- read.csv("../tmerge/inputs/pbcseq_draws.csv")[, c("id", "day", "bili")]
LMS <- c(0, 365, 730, 1095, 1461, 1826, 2191)
W <- 1826
f <- function(v) log1p(v)
stack_one <- function(s) {
  risk <- pat[pat$time > s, ]
  rows <- lapply(seq_len(nrow(risk)), function(i) {
    d <- dr[dr$id == risk$id[i] & dr$day <= s, ]
    if (nrow(d) == 0) return(NULL)
    d <- d[order(d$day), ]
    y <- f(d$bili)
    slope <- if (nrow(d) >= 2) unname(coef(lm(y ~ d$day))[2]) else 0
    data.frame(id = risk$id[i], LM = s, stop = min(risk$time[i], s + W),
               status = ifelse(risk$time[i] <= s + W, risk$status[i], 0L),
               cur = y[nrow(d)], chg = y[nrow(d)] - y[1], base = y[1], slope = slope,
               age = risk$age[i])
  })
  do.call(rbind, rows)
}
st <- do.call(rbind, lapply(LMS, stack_one))
u <- (st$LM - LMS[1]) / (LMS[length(LMS)] - LMS[1])
st$lm1 <- u; st$lm2 <- u^2
st$cur_lm1 <- st$cur * st$lm1; st$cur_lm2 <- st$cur * st$lm2
st$chg_lm1 <- st$chg * st$lm1; st$chg_lm2 <- st$chg * st$lm2
wj(list(id = st$id, LM = st$LM, stop = st$stop, status = st$status, cur = st$cur,
        chg = st$chg, slope = st$slope), "stack")
out <- function(fit, name, extra = list()) {
  wj(c(list(terms = names(coef(fit)), coef = unname(coef(fit)),
            se = unname(sqrt(diag(fit$var))), se_naive = unname(sqrt(diag(fit$naive.var))),
            loglik = unname(fit$loglik), n = fit$n, nevent = fit$nevent), extra), name)
}
# A: strata(LM), landmark-dependent effects of current value and change, robust by patient
st$death <- as.integer(st$status == 1)
st$tx <- as.integer(st$status == 2)
fa <- coxph(Surv(LM, stop, death) ~ cur + chg + age + cur_lm1 + cur_lm2 + chg_lm1 + chg_lm2 +
              strata(LM) + cluster(id), data = st, ties = "breslow")
# predictions for two new profiles at landmarks 730 and 1461
nd <- data.frame(cur = c(f(1.2), f(6.5)), chg = c(0.1, 1.0), age = c(50, 60))
pred <- list()
for (s in c(730, 1461)) {
  u <- (s - LMS[1]) / (LMS[length(LMS)] - LMS[1])
  ndi <- transform(nd, cur_lm1 = cur * u, cur_lm2 = cur * u^2, chg_lm1 = chg * u,
                   chg_lm2 = chg * u^2, LM = s)
  for (i in 1:2) {
    sf <- survfit(fa, newdata = ndi[i, ], se.fit = TRUE)
    ss <- summary(sf, times = s + W, extend = TRUE)
    pred[[length(pred) + 1]] <- c(s, i, ss$surv, ss$std.err / ss$surv, ss$lower, ss$upper)
  }
}
pred <- do.call(rbind, pred)
out(fa, "strata_varying", list(pred_landmark = pred[, 1], pred_profile = pred[, 2],
                               pred_surv = pred[, 3], pred_se_cumhaz = pred[, 4],
                               pred_lower = pred[, 5], pred_upper = pred[, 6]))
# A', model-based variance: the same model without cluster()
fa0 <- coxph(Surv(LM, stop, death) ~ cur + chg + age + cur_lm1 + cur_lm2 + chg_lm1 +
               chg_lm2 + strata(LM), data = st, ties = "breslow")
pred0 <- list()
for (s in c(730, 1461)) {
  u <- (s - LMS[1]) / (LMS[length(LMS)] - LMS[1])
  ndi <- transform(nd, cur_lm1 = cur * u, cur_lm2 = cur * u^2, chg_lm1 = chg * u,
                   chg_lm2 = chg * u^2, LM = s)
  for (i in 1:2) {
    ss <- summary(survfit(fa0, newdata = ndi[i, ]), times = s + W, extend = TRUE)
    pred0[[length(pred0) + 1]] <- c(ss$surv, ss$std.err / ss$surv)
  }
}
pred0 <- do.call(rbind, pred0)
wj(list(pred_surv = pred0[, 1], pred_se_cumhaz = pred0[, 2]), "strata_varying_naive_pred")
# B: smooth baseline (lm1 + lm2), current value with landmark-dependent effect, slope constant
fb <- coxph(Surv(LM, stop, death) ~ cur + slope + cur_lm1 + cur_lm2 + lm1 + lm2 + cluster(id),
            data = st, ties = "breslow")
H0 <- basehaz(fb, centered = FALSE)
predb <- c()
for (s in c(500, 1461)) {
  u <- (s - LMS[1]) / (LMS[length(LMS)] - LMS[1])
  x <- c(f(3), 0.0005, f(3) * u, f(3) * u^2, u, u^2)
  H <- function(t) { k <- H0$time <= t; if (any(k)) max(H0$hazard[k]) else 0 }
  predb <- c(predb, 1 - exp(-(H(s + W) - H(s)) * exp(sum(x * coef(fb)))))
}
out(fb, "smooth", list(pred_landmark = c(500, 1461), pred_risk = predb))
# C: cause-specific supermodels (death, transplant), strata(LM), constant effects
fc1 <- coxph(Surv(LM, stop, death) ~ cur + age + strata(LM) + cluster(id), data = st,
             ties = "breslow")
fc2 <- coxph(Surv(LM, stop, tx) ~ cur + age + strata(LM) + cluster(id), data = st,
             ties = "breslow")
cif <- c()
x <- c(f(2), 55)
for (s in c(0, 1095)) {
  steps <- function(fit) {
    b <- basehaz(fit, centered = FALSE); b <- b[b$strata == paste0("LM=", s), ]
    data.frame(time = b$time, dh = diff(c(0, b$hazard)) * exp(sum(x * coef(fit))))
  }
  a <- steps(fc1); b <- steps(fc2)
  tt <- sort(unique(c(a$time, b$time))); tt <- tt[tt <= s + W]
  d1 <- sapply(tt, function(t) sum(a$dh[a$time == t]))
  d2 <- sapply(tt, function(t) sum(b$dh[b$time == t]))
  Sm <- exp(-(cumsum(d1 + d2) - (d1 + d2)))
  cif <- c(cif, sum(Sm * d1))
}
out(fc1, "cs_death", list(pred_landmark = c(0, 1095), pred_cif = cif))
out(fc2, "cs_transplant")

# D: dynamic performance per landmark set (riskRegression::Score; survival::concordance).
# Baseline-only vs updated (current) log1p(bilirubin), each with landmark-dependent effects.
suppressPackageStartupMessages(library(riskRegression))
versions$riskRegression <- as.character(packageVersion("riskRegression"))
# (base is the first draw itself: cur - chg would break exact ties by rounding)
st$base_lm1 <- st$base * st$lm1; st$base_lm2 <- st$base * st$lm2
st$death_full <- as.integer(pat$status[match(st$id, pat$id)] == 1)
st$time_full <- pat$time[match(st$id, pat$id)] - st$LM
m0 <- coxph(Surv(LM, stop, death) ~ base + base_lm1 + base_lm2 + strata(LM) + cluster(id),
            data = st, ties = "breslow")
m1 <- coxph(Surv(LM, stop, death) ~ cur + cur_lm1 + cur_lm2 + strata(LM) + cluster(id),
            data = st, ties = "breslow")
risk_of <- function(fit, vars) {
  b <- basehaz(fit, centered = FALSE)
  lp <- as.matrix(st[, vars]) %*% coef(fit)
  H0 <- sapply(seq_len(nrow(st)), function(i) {
    k <- b$strata == paste0("LM=", st$LM[i]) & b$time <= st$LM[i] + W
    if (any(k)) max(b$hazard[k]) else 0
  })
  1 - exp(-H0 * exp(lp[, 1]))
}
st$risk0 <- risk_of(m0, c("base", "base_lm1", "base_lm2"))
st$risk1 <- risk_of(m1, c("cur", "cur_lm1", "cur_lm2"))
perf <- list()
for (s in LMS) {
  d <- st[st$LM == s, ]
  d$wtime <- d$stop - d$LM
  for (m in c("risk0", "risk1")) {
    sc <- Score(list(r = d[[m]]), formula = Hist(time_full, death_full) ~ 1, data = d,
                times = W, metrics = c("auc", "brier"), summary = "ipa", cens.model = "km",
                null.model = TRUE, se.fit = TRUE)
    au <- sc$AUC$score[sc$AUC$score$model == "r", ]
    br <- sc$Brier$score
    cc <- concordance(Surv(wtime, death) ~ d[[m]], data = d, reverse = TRUE)
    km <- summary(survfit(Surv(time_full, death_full) ~ 1, data = d), times = W,
                  extend = TRUE)$surv
    d$cll <- log(-log(1 - d[[m]]))
    cal <- coxph(Surv(wtime, death) ~ cll, data = d)
    perf[[length(perf) + 1]] <- data.frame(
      model = m, landmark = s, n = nrow(d), auc = au$AUC, auc_se = au$se,
      brier = br$Brier[br$model == "r"], brier_se = br$se[br$model == "r"],
      null_brier = br$Brier[br$model == "Null model"], ipa = br$IPA[br$model == "r"],
      c_index = unname(cc$concordance), c_se = sqrt(unname(cc$var)), observed = 1 - km,
      mean_risk = mean(d[[m]]), cal_slope = unname(coef(cal)),
      cal_slope_se = unname(sqrt(diag(cal$var))))
  }
}
perf <- do.call(rbind, perf)
wj(as.list(perf), "performance")

# E: ties = "efron" (R's default): model A's predictions with survfit's Efron hazard/variance
fe <- coxph(Surv(LM, stop, death) ~ cur + chg + age + cur_lm1 + cur_lm2 + chg_lm1 + chg_lm2 +
              strata(LM) + cluster(id), data = st, ties = "efron")
prede <- list()
for (s in c(730, 1461)) {
  u <- (s - LMS[1]) / (LMS[length(LMS)] - LMS[1])
  ndi <- transform(nd, cur_lm1 = cur * u, cur_lm2 = cur * u^2, chg_lm1 = chg * u,
                   chg_lm2 = chg * u^2, LM = s)
  for (i in 1:2) {
    ss <- summary(survfit(fe, newdata = ndi[i, ]), times = s + W, extend = TRUE)
    prede[[length(prede) + 1]] <- c(ss$surv, ss$lower, ss$upper)
  }
}
prede <- do.call(rbind, prede)
out(fe, "strata_varying_efron", list(pred_surv = prede[, 1], pred_lower = prede[, 2],
                                     pred_upper = prede[, 3]))

# F: cox.zph on the strata(LM) supermodel A (transform = "km", terms = TRUE)
z <- cox.zph(fa, transform = "km", terms = TRUE)
wj(list(terms = rownames(z$table), chisq = unname(z$table[, "chisq"]),
        df = unname(z$table[, "df"])), "strata_varying_zph")

# G: the stacking by dynpred::cutLM (CRAN dynpred, built from its source mirror into
# /work/rlib; an oracle only) on the tmerge rows of pbc + pbcseq bilirubin, long format;
# right = FALSE: a draw taken at the landmark itself counts (as in ctcstats)
if (requireNamespace("dynpred", quietly = TRUE)) {
  versions$dynpred <- as.character(packageVersion("dynpred"))
  b <- tmerge(pat, pat, id = id, ev = event(time, status))
  tm <- tmerge(b, dr, id = id, bili = tdc(day, bili))
  lm_rows <- do.call(rbind, lapply(LMS, function(s)
    dynpred::cutLM(tm, outcome = list(time = "time", status = "status"), LM = s,
                   horizon = s + W, covs = list(fixed = "age", varying = "bili"),
                   format = "long", id = "id", rtime = "tstart", right = FALSE)))
  wj(list(id = lm_rows$id, LM = lm_rows$LM, time = lm_rows$time, status = lm_rows$status,
          bili = lm_rows$bili), "dynpred_cutLM")
}
