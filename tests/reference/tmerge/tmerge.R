# R reference for ctcstats.counting_process_data (survival::tmerge with tdc()).
# Run from this folder: python make_inputs.py && Rscript tmerge.R
# Inputs: survival::pbc (patients, id <= 312) and survival::pbcseq (serial lab draws; NAs in
# ascites, alk.phos, ...), exported to inputs/pbc_patients.csv and inputs/pbcseq_draws.csv by
# this script; a seeded synthetic set with delayed entry from make_inputs.py.
suppressPackageStartupMessages({library(survival); library(jsonlite)})
versions <- list(R = R.version.string, survival = as.character(packageVersion("survival")))
wj <- function(x, name) write_json(c(x, list(versions = versions)),
                                   file.path("outputs", paste0(name, ".json")),
                                   digits = NA, auto_unbox = TRUE, na = "null")
pat <- subset(survival::pbc, id <= 312, select = c(id, time, status, trt, age, sex))
pat$death <- as.integer(pat$status == 2)
pat$sex <- as.character(pat$sex)
pat <- pat[, c("id", "time", "death", "trt", "age", "sex")]
write.csv(pat, "inputs/pbc_patients.csv", row.names = FALSE)
sq <- survival::pbcseq
dr <- data.frame(id = sq$id, day = sq$day, bili = sq$bili, albumin = sq$albumin,
                 ascites = sq$ascites, alk_phos = sq$alk.phos, edema = sq$edema,
                 stage = sq$stage,
                 bili_cat = as.character(cut(sq$bili, c(0, 1, 3, Inf))))
write.csv(dr, "inputs/pbcseq_draws.csv", row.names = FALSE)
pat <- read.csv("inputs/pbc_patients.csv")
dr <- read.csv("inputs/pbcseq_draws.csv")
b <- tmerge(pat, pat, id = id, death = event(time, death))
m <- tmerge(b, dr, id = id, bili = tdc(day, bili), albumin = tdc(day, albumin),
            ascites = tdc(day, ascites), alk_phos = tdc(day, alk_phos),
            edema = tdc(day, edema), stage = tdc(day, stage), bili_cat = tdc(day, bili_cat))
wj(list(id = m$id, tstart = m$tstart, tstop = m$tstop, death = m$death, bili = m$bili,
        albumin = m$albumin, ascites = m$ascites, alk_phos = m$alk_phos, edema = m$edema,
        stage = m$stage, bili_cat = m$bili_cat, age = m$age), "pbc_tmerge")
m_pbc <- m
# the time-dependent Cox model on these rows (complete rows, as coxph's na.omit)
f <- coxph(Surv(tstart, tstop, death) ~ log(bili) + albumin + edema + ascites + age,
           data = m, id = id)
wj(list(coef = unname(coef(f)), se = unname(sqrt(diag(f$var))), n = f$n,
        nevent = f$nevent, loglik = unname(f$loglik)), "pbc_tmerge_cox")

sp <- read.csv("inputs/synth_patients.csv")
sd <- read.csv("inputs/synth_draws.csv")
b <- tmerge(sp, sp, id = pid, status = event(time, status), tstart = entry, tstop = time)
m <- tmerge(b, sd, id = pid, count = tdc(day, count), level = tdc(day, level),
            grade = tdc(day, grade))
wj(list(pid = m$pid, tstart = m$tstart, tstop = m$tstop, status = m$status, count = m$count,
        level = m$level, grade = m$grade, age = m$age), "synth_tmerge")
# a string-valued (categorical) time-dependent covariate next to a 0/1 and a numeric one
f2 <- coxph(Surv(tstart, tstop, death) ~ bili_cat + ascites + age, data = m_pbc, id = id)
wj(list(terms = names(coef(f2)), coef = unname(coef(f2)), se = unname(sqrt(diag(f2$var))),
        n = f2$n, nevent = f2$nevent, loglik = unname(f2$loglik)), "pbc_tmerge_cox_factor")

# recurrent events (the survival package's cgd0 example): follow-up to futime, one event per
# infection time etime1..etime7 (exported long: inputs/cgd0_patients.csv, cgd0_events.csv)
c0 <- survival::cgd0
cp0 <- data.frame(id = c0$id, futime = c0$futime, censored = 0L,
                  treat = as.integer(c0$treat), steroids = c0$steroids)
write.csv(cp0, "inputs/cgd0_patients.csv", row.names = FALSE)
ev <- do.call(rbind, lapply(1:7, function(k) {
  t <- c0[[paste0("etime", k)]]
  data.frame(id = c0$id[!is.na(t)], infection_day = t[!is.na(t)])
}))
write.csv(ev, "inputs/cgd0_events.csv", row.names = FALSE)
cp0 <- read.csv("inputs/cgd0_patients.csv")
ev <- read.csv("inputs/cgd0_events.csv")
nc <- tmerge(cp0, cp0, id = id, tstop = futime)
nc <- tmerge(nc, ev, id = id, infect = event(infection_day))
wj(list(id = nc$id, tstart = nc$tstart, tstop = nc$tstop, infect = nc$infect), "cgd0_tmerge")
f3 <- coxph(Surv(tstart, tstop, infect) ~ treat + steroids, data = nc, cluster = id)
wj(list(coef = unname(coef(f3)), se = unname(sqrt(diag(f3$var))), n = f3$n,
        nevent = f3$nevent), "cgd0_tmerge_cox")
