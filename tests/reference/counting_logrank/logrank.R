# R reference for logrank_test(start_col=): the log-rank test on (start, stop] data
# (delayed entry). survdiff refuses counting-process data; the log-rank statistic is the score
# test at beta = 0 of the Cox model with the exact partial likelihood (ties = "exact": the
# conditional-logistic likelihood whose score is O - E and whose information at 0 is the
# hypergeometric variance). Inputs: ../counting/inputs (boot::channing, survival::cgd).
# Run from this folder: Rscript logrank.R
suppressPackageStartupMessages({library(survival); library(jsonlite)})
versions <- list(R = R.version.string, survival = as.character(packageVersion("survival")))
wj <- function(x, name) write_json(c(x, list(versions = versions)),
                                   file.path("outputs", paste0(name, ".json")),
                                   digits = NA, auto_unbox = TRUE)
ch <- read.csv("../counting/inputs/channing.csv")
f <- coxph(Surv(entry, exit, cens) ~ sex, data = ch, ties = "exact", iter.max = 0)
wj(list(score = unname(f$score)), "channing_sex")
cgd <- read.csv("../counting/inputs/cgd.csv")
cgd$hos_cat <- factor(cgd$hos_cat)
f <- coxph(Surv(tstart, tstop, status) ~ hos_cat, data = cgd, ties = "exact", iter.max = 0)
wj(list(levels = levels(cgd$hos_cat), score = unname(f$score)), "cgd_hos_cat")
f <- coxph(Surv(tstart, tstop, status) ~ treat + strata(sex), data = cgd, ties = "exact",
           iter.max = 0)
wj(list(score = unname(f$score)), "cgd_treat_strata_sex")
