# R reference for ctcstats.longitudinal.fit_locf_cox: the observed log-concentration
# log((count + 0.5) / volume) of the latest draw carried forward (survival::tmerge + tdc),
# then coxph(Surv(tstart, tstop, event) ~ logc + visceral_mets) (Efron ties, model-based SE:
# one event per patient). Run from tests/reference/longitudinal/: Rscript locf.R
suppressPackageStartupMessages({ library(survival); library(jsonlite) })
d <- read.csv("inputs/draws_pois.csv")
p <- read.csv("inputs/patients_pois.csv")
d$logc <- log((d$ctc_count + 0.5) / d$blood_volume_ml)
base <- tmerge(p[, c("patient_id", "visceral_mets")], p, id = patient_id,
               death = event(os_months, os_event))
cp <- tmerge(base, d, id = patient_id, logc = tdc(draw_months, logc))
fit <- coxph(Surv(tstart, tstop, death) ~ logc + visceral_mets, data = cp, ties = "efron")
s <- summary(fit)$coefficients
write_json(list(terms = rownames(s), coef = unname(s[, "coef"]), se = unname(s[, "se(coef)"]),
                loglik = fit$loglik[2], n_intervals = sum(!is.na(cp$logc)),
                n_events = fit$nevent,
                versions = list(R = R.version.string,
                                survival = as.character(packageVersion("survival")))),
           file.path("outputs", "locf_pois.json"), digits = NA, auto_unbox = TRUE)
cat("done\n")
