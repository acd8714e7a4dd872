# R reference for counting-process (start, stop] data in ctcstats: fit_cox(start_col=, id_col=)
# and kaplan_meier(start_col=). Run from this folder: Rscript counting.R
# The inputs are R data sets, exported here to inputs/*.csv (so this script is also their
# generator): survival::cgd and survival::bladder2 (recurrent events, several rows per
# subject), survival::pbc + pbcseq merged with tmerge (time-dependent covariates, as in the
# survival package's "timedep" vignette) and boot::channing (left truncation: age at entry).
# A synthetic set from make_inputs.py (ties between entry and event times, strata, weights)
# is read from inputs/synth_cp.csv.
suppressPackageStartupMessages({library(survival); library(jsonlite); library(boot)})
dir.create("inputs", showWarnings = FALSE)
dir.create("outputs", showWarnings = FALSE)
wj <- function(x, name) write_json(x, file.path("outputs", paste0(name, ".json")),
                                   digits = NA, auto_unbox = TRUE)
versions <- list(R = R.version.string, survival = as.character(packageVersion("survival")),
                 boot = as.character(packageVersion("boot")))

# ---- inputs from R data sets
cgd0 <- survival::cgd
cgd_out <- data.frame(id = cgd0$id, tstart = cgd0$tstart, tstop = cgd0$tstop,
                      status = cgd0$status, treat = as.integer(cgd0$treat == "rIFN-g"),
                      sex = as.integer(cgd0$sex == "female"), age = cgd0$age,
                      inherit = as.integer(cgd0$inherit == "X-linked"),
                      steroids = cgd0$steroids, propylac = cgd0$propylac,
                      hos_cat = as.character(cgd0$hos.cat))
write.csv(cgd_out, "inputs/cgd.csv", row.names = FALSE)
write.csv(survival::bladder2, "inputs/bladder2.csv", row.names = FALSE)
temp <- subset(survival::pbc, id <= 312, select = c(id:sex, edema, stage))
pbc2 <- tmerge(temp, temp, id = id, death = event(time, status == 2))
pbc2 <- tmerge(pbc2, survival::pbcseq, id = id, ascites = tdc(day, ascites),
               bili = tdc(day, bili), albumin = tdc(day, albumin),
               protime = tdc(day, protime), alk.phos = tdc(day, alk.phos))
pbc2 <- data.frame(id = pbc2$id, tstart = pbc2$tstart, tstop = pbc2$tstop,
                   death = pbc2$death, age = pbc2$age, log_bili = log(pbc2$bili),
                   log_protime = log(pbc2$protime), albumin = pbc2$albumin,
                   edema = pbc2$edema)
write.csv(pbc2, "inputs/pbc_tmerge.csv", row.names = FALSE)
ch <- boot::channing
ch <- ch[ch$exit > ch$entry, ]  # one resident left on the day of entry (R drops it as NA)
write.csv(data.frame(sex = as.character(ch$sex), entry = ch$entry, exit = ch$exit,
                     cens = ch$cens), "inputs/channing.csv", row.names = FALSE)

# ---- Cox on (start, stop] data
cox_out <- function(fit, name, zph = TRUE) {
  res <- list(terms = names(coef(fit)), coef = unname(coef(fit)),
              se = unname(sqrt(diag(fit$var))), var = unname(fit$var),
              loglik = unname(fit$loglik), iter = fit$iter,
              concordance = unname(fit$concordance["concordance"]),
              concordance_std = unname(fit$concordance["std"]),
              n = fit$n, nevent = fit$nevent, versions = versions)
  if (!is.null(fit$naive.var)) res$se_naive <- unname(sqrt(diag(fit$naive.var)))
  if (zph) {
    z <- cox.zph(fit, transform = "km", terms = TRUE)
    res$zph_terms <- rownames(z$table); res$zph_chisq <- unname(z$table[, "chisq"])
    res$zph_df <- unname(z$table[, "df"])
  }
  wj(res, name)
}
cgd <- read.csv("inputs/cgd.csv")
f <- coxph(Surv(tstart, tstop, status) ~ treat + sex + age + inherit + steroids + propylac,
           data = cgd, cluster = id)
cox_out(f, "cgd_cluster_efron")
f <- coxph(Surv(tstart, tstop, status) ~ treat + sex + age + inherit + steroids + propylac,
           data = cgd, id = id, ties = "breslow")
cox_out(f, "cgd_id_breslow")
f <- coxph(Surv(tstart, tstop, status) ~ treat + age + strata(hos_cat), data = cgd,
           cluster = id)
cox_out(f, "cgd_strata")
b2 <- read.csv("inputs/bladder2.csv")
f <- coxph(Surv(start, stop, event) ~ rx + number + size, data = b2, cluster = id)
cox_out(f, "bladder2_cluster")
pbc2 <- read.csv("inputs/pbc_tmerge.csv")
f <- coxph(Surv(tstart, tstop, death) ~ log_bili + log_protime + albumin + age + edema,
           data = pbc2, id = id)
cox_out(f, "pbc_tmerge_id")
syn <- read.csv("inputs/synth_cp.csv")
f <- coxph(Surv(start, stop, event) ~ x1 + x2 + strata(s), data = syn, cluster = id)
cox_out(f, "synth_cp_strata")
f <- coxph(Surv(start, stop, event) ~ x1 + x2, data = syn, id = id, ties = "breslow")
cox_out(f, "synth_cp_breslow")

# ---- Kaplan-Meier with entry times (left truncation)
km_out <- function(fit, name, times) {
  s <- summary(fit, censored = TRUE)
  st <- if (is.null(s$strata)) rep("all", length(s$time)) else as.character(s$strata)
  q <- quantile(fit, 0.5)
  at <- summary(fit, times = times, extend = TRUE)
  at_st <- if (is.null(at$strata)) rep("all", length(at$time)) else as.character(at$strata)
  wj(list(strata = st, time = s$time, n_risk = s$n.risk, n_event = s$n.event,
          n_censor = s$n.censor, surv = s$surv, std_err = s$std.err, lower = s$lower,
          upper = s$upper, median = unname(c(q$quantile)), median_lower = unname(c(q$lower)),
          median_upper = unname(c(q$upper)), at_strata = at_st, at_time = at$time,
          at_n_risk = at$n.risk, at_surv = at$surv, at_std_err = at$std.err,
          versions = versions), name)
}
ch <- read.csv("inputs/channing.csv")
km_out(survfit(Surv(entry, exit, cens) ~ sex, data = ch, conf.type = "log-log"),
       "channing_sex", times = c(800, 900, 1000, 1100))
km_out(survfit(Surv(entry, exit, cens) ~ 1, data = ch[ch$sex == "Male", ],
               conf.type = "log-log"), "channing_male", times = c(850, 950, 1050))
km_out(survfit(Surv(start, stop, event) ~ 1, data = syn, conf.type = "log-log"),
       "synth_cp_km", times = c(5, 10, 20))
