# Reference for ctcstats.meta.ipd (run from tests/reference/ipd).
suppressPackageStartupMessages({library(survival); library(metafor); library(jsonlite)})
d <- read.csv("inputs/studies.csv")
ctl <- coxph.control(eps = 1e-12, toler.chol = 1e-13, iter.max = 50)
per <- lapply(sort(unique(d$study)), function(s) {
  f <- coxph(Surv(os_months, os_event) ~ dtc_positive + age, data = d[d$study == s, ],
             control = ctl)
  list(study = s, coef = unname(coef(f)), se = unname(sqrt(diag(vcov(f)))), n = f$n,
       nevent = f$nevent)
})
one <- coxph(Surv(os_months, os_event) ~ dtc_positive + age + strata(study), data = d,
             control = ctl)
full <- coxph(Surv(os_months, os_event) ~ dtc_positive + age + dtc_positive:factor(study) +
                strata(study), data = d, control = ctl)
a <- anova(one, full)
yi <- sapply(per, function(p) p$coef[1]); sei <- sapply(per, function(p) p$se[1])
fe <- rma(yi = yi, sei = sei, method = "FE")
re <- rma(yi = yi, sei = sei, method = "REML", control = list(threshold = 1e-12))
write_json(list(per_study = per, one_stage = list(coef = unname(coef(one)),
  se = unname(sqrt(diag(vcov(one)))), loglik = one$loglik),
  interaction = list(chisq = a$Chisq[2], df = a$Df[2], p = a$`Pr(>|Chi|)`[2]),
  fe = list(b = as.numeric(fe$b), se = fe$se), re = list(b = as.numeric(re$b), se = re$se,
  tau2 = re$tau2)), "outputs/ipd.json", digits = NA, auto_unbox = TRUE)
