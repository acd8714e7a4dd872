# R reference for ctcstats.trials.stepp (run from this folder:
# R_LIBS=/work/rlib Rscript stepp.R). The stepp package (built from its CRAN source mirror,
# github:cran/stepp): sliding windows (r1 = 60, r2 = 120) over ctc_count, KM survival at
# 12 months per arm (stepp.KM), permutation tests with 2500 permutations; per-window Cox
# log hazard ratios by survival::coxph on each window (stepp's own HR is log-rank based).
suppressPackageStartupMessages({library(stepp); library(survival); library(jsonlite)})
trial <- read.csv("inputs/trial.csv")
set.seed(20261202)
win <- stepp.win(type = "sliding", r1 = 60, r2 = 120)
sp <- stepp.subpop(swin = win, cov = trial$ctc_count)
km <- stepp.KM(coltrt = trial$arm, survTime = trial$months, censor = trial$event,
               trts = c(1, 0), timePoint = 12)
res <- stepp.test(sp, km, nperm = 2500, showstatus = FALSE)
e <- res@effect
t <- res@testresults$Res[[1]]
subpop <- res@subpop
cox <- lapply(seq_len(subpop@nsubpop), function(i) {
  s <- trial[subpop@subpop[, i] == 1, ]
  f <- coxph(Surv(months, event) ~ arm, data = s)
  c(coef(f), sqrt(vcov(f)[1, 1]))
})
fo <- coxph(Surv(months, event) ~ arm, data = trial)
out <- list(
  nsubpop = subpop@nsubpop, npatsub = subpop@npatsub, minc = subpop@minc, maxc = subpop@maxc,
  medianz = subpop@medianz,
  s_treated = e$TrtEff[[1]]$sObs, se_treated = e$TrtEff[[1]]$sSE,
  s_control = e$TrtEff[[2]]$sObs, se_control = e$TrtEff[[2]]$sSE,
  o_treated = e$TrtEff[[1]]$oObs, o_control = e$TrtEff[[2]]$oObs,
  o_se_treated = e$TrtEff[[1]]$oSE, o_se_control = e$TrtEff[[2]]$oSE,
  sup_pvalue = t$pvalue, chi2_pvalue = t$chi2pvalue, nperm = 2500,
  cox_coef = sapply(cox, `[`, 1), cox_se = sapply(cox, `[`, 2),
  cox_overall = unname(coef(fo)), cox_overall_se = sqrt(vcov(fo)[1, 1]),
  r_version = R.version.string, stepp = as.character(packageVersion("stepp")),
  survival = as.character(packageVersion("survival")))
write_json(out, "outputs/stepp_trial.json", digits = NA, auto_unbox = TRUE)
