# Reference values for ctcstats.survival.landmark (run from the repo root):
#   Rscript tests/reference/landmark/landmark.R
# Counting-process data built by survival::tmerge(..., tdc()), time-varying Cox by
# coxph(Surv(tstart, tstop, death) ~ pos (+ age)), landmark Cox models by
# coxph(Surv(time - L, event) ~ pos, subset = time > L) with the last draw in [L - w, L].
suppressPackageStartupMessages({library(survival); library(jsonlite)})
here <- "tests/reference/landmark"
for (nm in c("60", "400", "jasa")) {
  p <- read.csv(file.path(here, "inputs", paste0("patients_", nm, ".csv")))
  d <- read.csv(file.path(here, "inputs", paste0("draws_", nm, ".csv")))
  base <- tmerge(p, p, id = patient_id, death = event(time, event))
  cp <- tmerge(base, d, id = patient_id, pos = tdc(draw_time, ctc_positive))
  cp <- cp[!is.na(cp$pos), ]
  cp <- cp[order(cp$patient_id, cp$tstart), ]
  f1 <- coxph(Surv(tstart, tstop, death) ~ pos, data = cp, ties = "efron")
  f2 <- coxph(Surv(tstart, tstop, death) ~ pos + age, data = cp, ties = "efron")
  out <- list(
    cp_id = cp$patient_id, cp_start = cp$tstart, cp_stop = cp$tstop, cp_event = cp$death,
    cp_pos = cp$pos,
    tv_coef = unname(coef(f1)), tv_se = unname(sqrt(diag(vcov(f1)))),
    tv_loglik = f1$loglik[2],
    tv2_coef = unname(coef(f2)), tv2_se = unname(sqrt(diag(vcov(f2)))),
    tv2_loglik = f2$loglik[2]
  )
  lms <- if (nm == "jasa") c(10, 30, 60) else c(0, 1, 2.5, 4)
  w <- if (nm == "jasa") 1e4 else 1.5
  lm_hr <- c(); lm_se <- c(); lm_n <- c(); lm_npos <- c(); lm_med0 <- c(); lm_med1 <- c()
  for (L in lms) {
    dd <- d[d$draw_time <= L & d$draw_time >= L - w, ]
    dd <- dd[order(dd$patient_id, dd$draw_time), ]
    last <- dd[!duplicated(dd$patient_id, fromLast = TRUE), c("patient_id", "ctc_positive")]
    r <- merge(p[p$time > L, ], last, by = "patient_id")
    r$t <- r$time - L
    f <- coxph(Surv(t, event) ~ ctc_positive, data = r, ties = "efron")
    med <- sapply(c(0, 1), function(g) {
      s <- r[r$ctc_positive == g, ]
      if (nrow(s) == 0) return(NA)
      unname(summary(survfit(Surv(t, event) ~ 1, data = s))$table["median"])
    })
    lm_hr <- c(lm_hr, unname(exp(coef(f)))); lm_se <- c(lm_se, unname(sqrt(vcov(f)[1, 1])))
    lm_n <- c(lm_n, nrow(r)); lm_npos <- c(lm_npos, sum(r$ctc_positive))
    lm_med0 <- c(lm_med0, med[1]); lm_med1 <- c(lm_med1, med[2])
  }
  out$landmarks <- lms; out$window <- w
  out$lm_hr <- lm_hr; out$lm_se <- lm_se; out$lm_n <- lm_n; out$lm_npos <- lm_npos
  out$lm_median_negative <- lm_med0; out$lm_median_positive <- lm_med1
  write_json(out, file.path(here, "outputs", paste0("landmark_", nm, ".json")),
             digits = NA, auto_unbox = TRUE)
}
