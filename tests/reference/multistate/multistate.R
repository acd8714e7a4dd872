# Multi-state reference values from R's survival and mstate packages
# (run from tests/reference/multistate/ with R_LIBS=/work/rlib, where mstate is built).
#
# Inputs: inputs/sites.csv (make_inputs.py: a synthetic DTC cohort, relapse in bone or another
# distant site, then death). The real data sets are written here first, because they ship
# with R packages: survival::mgus2 -> inputs/mgus2.csv, mstate::ebmt3 -> inputs/ebmt3.csv,
# mstate::ebmt4 -> inputs/ebmt4.csv; every computation below reads the CSV back, so R and
# Python see the same rows (and factor levels are the sorted strings, as in ctcstats).
#
# Outputs (outputs/):
#   msprep_<data>.csv        msprep(...) + expand.covs(..., longnames = FALSE): the long format
#   survfit_<data>.json      survfit(Surv(Tstart, Tstop, event) ~ group, id, istate) multi-state
#                            Aalen-Johansen: time, pstate, std.err (infinitesimal jackknife) per
#                            group; rmean at tau (summary(fit, rmean = tau)) and the IJ standard
#                            error of the restricted mean time in state from
#                            residuals(fit, times = tau, type = "sojourn")
#   mstate_np_<data>.json    nonparametric msfit (coxph(~ strata(trans), breslow)) with
#                            vartype aalen / greenwood, probtrans(predt, method) and ELOS
#   coxph_mgus2.json         coxph(Surv(tstart, tstop, event) ~ age + sex, id = id) multi-state
#                            (robust variance) on the illness-death mgus2 data, efron ties
#   mstate_cox_<data>.json   coxph(Surv(Tstart, Tstop, status) ~ expanded covariates +
#                            strata(trans)), msfit(newdata = profile) Haz and varHaz,
#                            probtrans (aalen, greenwood) and ELOS, for covariate profiles
#   competing_sites.json     first relapse site as competing risks: cause-specific coxph and
#                            cmprsk::crr per cause
#   versions.json            R and package versions
suppressPackageStartupMessages({
  library(survival)
  library(mstate)
  library(cmprsk)
  library(jsonlite)
})
invisible(Sys.setlocale("LC_COLLATE", "C"))
dir.create("outputs", showWarnings = FALSE)

wj <- function(x, name) {
  write_json(x, file.path("outputs", paste0(name, ".json")), digits = NA, auto_unbox = TRUE,
             pretty = FALSE)
}

# ---- real data sets, written as CSV inputs -------------------------------------------------
mg <- survival::mgus2
# a progression recorded on the day of death is moved 0.1 month earlier, as the survival
# vignette does ("ptime - .1"), so that every stay has positive length
ptemp <- with(mg, ifelse(ptime == futime & pstat == 1, ptime - 0.1, ptime))
write.csv(data.frame(id = mg$id, age = mg$age, sex = as.character(mg$sex), ptime = ptemp,
                     pstat = mg$pstat, futime = mg$futime, death = mg$death),
          file.path("inputs", "mgus2.csv"), row.names = FALSE)
data(ebmt3, package = "mstate")
write.csv(data.frame(id = ebmt3$id, prtime = ebmt3$prtime, prstat = ebmt3$prstat,
                     rfstime = ebmt3$rfstime, rfsstat = ebmt3$rfsstat,
                     dissub = as.character(ebmt3$dissub), age = as.character(ebmt3$age),
                     drmatch = as.character(ebmt3$drmatch), tcd = as.character(ebmt3$tcd)),
          file.path("inputs", "ebmt3.csv"), row.names = FALSE)
data(ebmt4, package = "mstate")
write.csv(data.frame(id = ebmt4$id, rec = ebmt4$rec, rec.s = ebmt4$rec.s, ae = ebmt4$ae,
                     ae.s = ebmt4$ae.s, recae = ebmt4$recae, recae.s = ebmt4$recae.s,
                     rel = ebmt4$rel, rel.s = ebmt4$rel.s, srv = ebmt4$srv, srv.s = ebmt4$srv.s,
                     year = as.character(ebmt4$year), agecl = as.character(ebmt4$agecl),
                     proph = as.character(ebmt4$proph), match = as.character(ebmt4$match)),
          file.path("inputs", "ebmt4.csv"), row.names = FALSE)

rd <- function(name) read.csv(file.path("inputs", paste0(name, ".csv")), stringsAsFactors = TRUE)
sites <- rd("sites")
mgus <- rd("mgus2")
eb3 <- rd("ebmt3")
eb4 <- rd("ebmt4")

# ---- transition matrices --------------------------------------------------------------------
tm_sites <- transMat(list(c(2, 3, 4), c(4), c(4), c()),
                     names = c("disease_free", "bone", "other_distant", "death"))
tm_eb3 <- trans.illdeath(names = c("Tx", "PR", "RelDeath"))
tm_eb4 <- transMat(list(c(2, 3, 5, 6), c(4, 5, 6), c(4, 5, 6), c(5, 6), c(), c()),
                   names = c("Tx", "Rec", "AE", "Rec+AE", "Rel", "Death"))
tm_mgus <- trans.illdeath(names = c("mgus", "pcm", "death"))

# ---- msprep + expand.covs ------------------------------------------------------------------
ms_sites <- msprep(data = sites, trans = tm_sites,
                   time = c(NA, "relapse_months", "relapse_months", "os_months"),
                   status = c(NA, "bone_event", "other_event", "os_event"), id = "id",
                   keep = c("dtc_positive", "age", "grade"))
ms_sites <- expand.covs(ms_sites, c("dtc_positive", "age", "grade"), longnames = FALSE)
write.csv(as.data.frame(ms_sites), file.path("outputs", "msprep_sites.csv"), row.names = FALSE)

ms_eb3 <- msprep(data = eb3, trans = tm_eb3, time = c(NA, "prtime", "rfstime"),
                 status = c(NA, "prstat", "rfsstat"), id = "id",
                 keep = c("dissub", "age", "drmatch", "tcd"))
ms_eb3 <- expand.covs(ms_eb3, c("dissub", "age", "drmatch", "tcd"), longnames = FALSE)
write.csv(as.data.frame(ms_eb3), file.path("outputs", "msprep_ebmt3.csv"), row.names = FALSE)

ms_eb4 <- msprep(data = eb4, trans = tm_eb4,
                 time = c(NA, "rec", "ae", "recae", "rel", "srv"),
                 status = c(NA, "rec.s", "ae.s", "recae.s", "rel.s", "srv.s"), id = "id",
                 keep = c("match", "proph", "year", "agecl"))
# (only agecl is expanded in the stored file, to keep it small)
write.csv(as.data.frame(expand.covs(ms_eb4, "agecl", longnames = FALSE))[
  , c("id", "from", "to", "trans", "Tstart", "Tstop", "time", "status", "agecl",
      paste0("agecl", rep(1:2, each = 12), ".", 1:12))],
  file.path("outputs", "msprep_ebmt4.csv"), row.names = FALSE)

ms_mgus <- msprep(data = mgus, trans = tm_mgus, time = c(NA, "ptime", "futime"),
                  status = c(NA, "pstat", "death"), id = "id", keep = c("age", "sex"))

# reset clock: mstate's "time" column is the duration; written in msprep_*.csv already

# ---- survfit multi-state Aalen-Johansen ----------------------------------------------------
# one row per stay: (Tstart, Tstop], the state entered at Tstop (or censor), the state occupied
episodes <- function(msd, states, keep) {
  msd <- as.data.frame(msd)
  key <- paste(msd$id, msd$from)
  nxt <- tapply(seq_len(nrow(msd)), key, function(ii) {
    j <- ii[msd$status[ii] == 1]
    if (length(j)) msd$to[j] else 0L
  })
  first <- !duplicated(key)
  ep <- msd[first, c("id", "from", "Tstart", "Tstop", keep), drop = FALSE]
  ev <- nxt[key[first]]
  ep$event <- factor(ev, 0:length(states), labels = c("censor", states))
  ep$istate <- factor(ep$from, seq_along(states), labels = states)
  ep
}

aj <- function(ep, formula, tau, times, group = NULL) {
  # residuals.survfit re-evaluates the call, so the data must be visible globally
  assign("EP", ep, envir = globalenv())
  fit <- do.call("survfit", list(formula = formula, data = quote(EP), id = quote(id),
                                 istate = quote(istate)))
  strata <- if (is.null(fit$strata)) rep("all", length(fit$time)) else
    rep(names(fit$strata), fit$strata)
  tab <- summary(fit, rmean = tau)$table
  # per group: a separate single-curve fit (the same Aalen-Johansen estimate) for the
  # influence-based quantities at chosen times
  levs <- if (is.null(group)) "all" else sort(unique(as.character(ep[[group]])))
  res <- list()
  for (g in levs) {
    sub <- if (is.null(group)) ep else ep[as.character(ep[[group]]) == g, ]
    assign("EPG", sub, envir = globalenv())
    fs <- survfit(Surv(Tstart, Tstop, event) ~ 1, data = EPG, id = id, istate = istate)
    r <- residuals(fs, times = tau, type = "sojourn")
    rp <- residuals(fs, times = times, type = "pstate")
    res[[length(res) + 1]] <- list(
      group = g,
      sojourn_se = sqrt(colSums(r^2)),
      pstate_at = summary(fs, times = times)$pstate,
      pstate_se_at = sqrt(apply(rp^2, c(2, 3), sum)))
  }
  list(states = fit$states, strata = strata, time = fit$time, pstate = fit$pstate,
       std_err = fit$std.err, n_risk = fit$n.risk, n_event = fit$n.event,
       rmean = unname(tab[, "rmean"]), rmean_rows = rownames(tab), tau = tau,
       times = times, by_group = res)
}

st_sites <- c("disease_free", "bone", "other_distant", "death")
ep_sites <- episodes(ms_sites, st_sites, "dtc_positive")
wj(aj(ep_sites, Surv(Tstart, Tstop, event) ~ dtc_positive, tau = 60, times = c(12, 36, 60),
      group = "dtc_positive"),
   "survfit_sites")
wj(aj(ep_sites, Surv(Tstart, Tstop, event) ~ 1, tau = 60, times = c(12, 36, 60)),
   "survfit_sites_all")
ep_eb4 <- episodes(ms_eb4, c("Tx", "Rec", "AE", "Rec+AE", "Rel", "Death"), "agecl")
wj(aj(ep_eb4, Surv(Tstart, Tstop, event) ~ 1, tau = 1000, times = c(100, 365, 1000)),
   "survfit_ebmt4")
ep_mgus <- episodes(ms_mgus, c("mgus", "pcm", "death"), c("sex", "age"))
wj(aj(ep_mgus, Surv(Tstart, Tstop, event) ~ sex, tau = 240, times = c(60, 120, 240),
      group = "sex"),
   "survfit_mgus2")

# ---- mstate: nonparametric transition probabilities P(s, t) --------------------------------
# msfit of the Cox model without covariates, one stratum per transition (Nelson-Aalen), with
# vartype aalen / greenwood; probtrans(predt = s, method = same) from every state; ELOS
pt_list <- function(pt, tmat) {
  S <- nrow(tmat)
  lapply(unname(which(rowSums(!is.na(tmat)) > 0)), function(s) {
    d <- pt[[s]]
    list(from = s, time = d$time, pstate = as.matrix(d[, paste0("pstate", 1:S)]),
         se = as.matrix(d[, paste0("se", 1:S)]))
  })
}

np_ref <- function(msd, tmat, cases, tau) {
  c0 <- coxph(Surv(Tstart, Tstop, status) ~ strata(trans), data = msd, method = "breslow")
  out <- list()
  for (cs in cases) {
    vt <- cs$method
    msf <- msfit(c0, vartype = vt, trans = tmat)
    pt <- probtrans(msf, predt = cs$predt, method = vt)
    out[[length(out) + 1]] <- list(method = vt, predt = cs$predt, tau = tau,
                                   probtrans = pt_list(pt, tmat),
                                   elos = unname(ELOS(pt, tau = tau)))
  }
  out
}

all4 <- list(list(method = "aalen", predt = 0), list(method = "greenwood", predt = 0),
             list(method = "aalen", predt = 12), list(method = "greenwood", predt = 12))
wj(np_ref(ms_sites, tm_sites, all4, 60), "mstate_np_sites")
wj(np_ref(ms_sites[ms_sites$dtc_positive == 1, ], tm_sites,
          list(list(method = "greenwood", predt = 0)), 60), "mstate_np_sites_dtc1")
wj(np_ref(ms_eb4, tm_eb4, list(list(method = "greenwood", predt = 0),
                               list(method = "aalen", predt = 100)), 1000), "mstate_np_ebmt4")

# ---- competing first events: cuminc, cause-specific coxph, crr ------------------------------
ci <- cuminc(sites$first_months, sites$first_event, group = sites$dtc_positive)
cs <- list()
mm <- model.matrix(~ dtc_positive + age + grade, sites)[, -1]
for (k in 1:3) {
  f <- coxph(Surv(first_months, first_event == k) ~ dtc_positive + age + grade, data = sites)
  g <- crr(sites$first_months, sites$first_event, cov1 = mm, failcode = k)
  cs[[k]] <- list(cause = k, terms = colnames(mm), cox_coef = unname(coef(f)),
                  cox_se = unname(sqrt(diag(vcov(f)))), crr_coef = unname(g$coef),
                  crr_se = unname(sqrt(diag(g$var))))
}
gray <- ci$Tests
wj(list(models = cs,
        gray = list(cause = as.numeric(rownames(gray)), stat = unname(gray[, "stat"]),
                    pv = unname(gray[, "pv"]), df = unname(gray[, "df"])),
        timepoints = lapply(c("0 1", "1 1", "0 2", "1 2", "0 3", "1 3"), function(key)
          list(key = key, est = unname(timepoints(ci[key], c(12, 36, 60))$est[1, ]),
               var = unname(timepoints(ci[key], c(12, 36, 60))$var[1, ])))),
   "competing_sites")

# ---- survival::coxph multi-state (robust variance by id), mgus2 -----------------------------
f_mg <- coxph(Surv(Tstart, Tstop, event) ~ age + sex, data = ep_mgus, id = id, istate = istate)
wj(list(terms = names(coef(f_mg)), coef = unname(coef(f_mg)), var = unname(vcov(f_mg)),
        naive_var = unname(f_mg$naive.var), loglik = f_mg$loglik, n_event = f_mg$nevent),
   "coxph_mgus2")

# ---- mstate: transition-specific Cox models and predictions for covariate profiles --------
# msfit(newdata = one row per transition: the profile's expanded covariates + strata) gives
# the cumulative hazards and their (co)variances; probtrans the transition probabilities
cox_ref <- function(fit, newd, tmat, predts, tau) {
  msf <- msfit(fit, newdata = newd, trans = tmat)
  out <- list(terms = names(coef(fit)), coef = unname(coef(fit)),
              se = unname(sqrt(diag(vcov(fit)))), loglik = fit$loglik,
              haz_time = sort(unique(msf$Haz$time)),
              haz = unname(matrix(msf$Haz$Haz, ncol = nrow(newd))),
              var_haz = unname(lapply(
                split(msf$varHaz, list(msf$varHaz$trans1, msf$varHaz$trans2), drop = TRUE),
                function(d) list(trans1 = d$trans1[1], trans2 = d$trans2[1], var = d$varHaz))),
              probtrans = list())
  for (m in c("aalen", "greenwood")) for (s in predts) {
    pt <- probtrans(msf, predt = s, method = m)
    out$probtrans[[length(out$probtrans) + 1]] <- list(
      method = m, predt = s, tau = tau, p = pt_list(pt, tmat),
      elos = unname(ELOS(pt, tau = tau)))
  }
  out
}

# ebmt3 (illness-death): every covariate transition-specific, strata(trans)
e3 <- ms_eb3
f3 <- paste("Surv(Tstart, Tstop, status) ~",
            paste(paste0(rep(c("dissub1", "dissub2", "age1", "age2", "drmatch", "tcd"), 3), ".",
                         rep(1:3, each = 6)), collapse = " + "), "+ strata(trans)")
newd3 <- function(dissub, age, drmatch, tcd, strata = 1:3) {
  nd <- data.frame(trans = 1:3, strata = strata)
  for (k in 1:3) for (v in c("dissub1", "dissub2", "age1", "age2", "drmatch", "tcd")) {
    nd[[paste0(v, ".", k)]] <- 0
  }
  for (k in 1:3) {
    nd[k, paste0("dissub1.", k)] <- as.numeric(dissub == "AML")
    nd[k, paste0("dissub2.", k)] <- as.numeric(dissub == "CML")
    nd[k, paste0("age1.", k)] <- as.numeric(age == "<=20")
    nd[k, paste0("age2.", k)] <- as.numeric(age == ">40")
    nd[k, paste0("drmatch.", k)] <- as.numeric(drmatch == "No gender mismatch")
    nd[k, paste0("tcd.", k)] <- as.numeric(tcd == "TCD")
  }
  nd
}
prof3 <- newd3("AML", "20-40", "Gender mismatch", "No TCD")
c3b <- coxph(as.formula(f3), data = e3, method = "breslow")
c3e <- coxph(as.formula(f3), data = e3, method = "efron")
# proportional baselines: transitions 2 (Tx -> RelDeath) and 3 (PR -> RelDeath) share a
# baseline hazard (strata(to)), with the indicator pr of transition 3
e3$pr <- as.numeric(e3$trans == 3)
c3p <- coxph(as.formula(sub("strata\\(trans\\)", "pr + strata(to)", f3)), data = e3,
             method = "breslow")
prof3p <- newd3("AML", "20-40", "Gender mismatch", "No TCD", strata = c(1, 2, 2))
prof3p$pr <- c(0, 0, 1)
wj(list(breslow = cox_ref(c3b, prof3, tm_eb3, c(0, 100), 1000),
        efron = cox_ref(c3e, prof3, tm_eb3, c(0), 1000),
        shared = cox_ref(c3p, prof3p, tm_eb3, c(0), 1000)), "mstate_cox_ebmt3")

# sites: dtc_positive transition-specific, grade only on the two relapse transitions, age
# shared by all transitions; profiles DTC-negative and DTC-positive (age 55, grade G3)
fs <- Surv(Tstart, Tstop, status) ~ dtc_positive.1 + dtc_positive.2 + dtc_positive.3 +
  dtc_positive.4 + dtc_positive.5 + grade1.1 + grade2.1 + grade1.2 + grade2.2 + age +
  strata(trans)
cs_b <- coxph(fs, data = ms_sites, method = "breslow")
prof_sites <- function(dtc) {
  nd <- data.frame(trans = 1:5, strata = 1:5, age = 55)
  for (k in 1:5) nd[[paste0("dtc_positive.", k)]] <- ifelse(1:5 == k, dtc, 0)
  for (v in c("grade1.1", "grade1.2")) nd[[v]] <- 0
  nd[["grade2.1"]] <- c(1, 0, 0, 0, 0)
  nd[["grade2.2"]] <- c(0, 1, 0, 0, 0)
  nd
}
wj(list(negative = cox_ref(cs_b, prof_sites(0), tm_sites, c(0, 12), 60),
        positive = cox_ref(cs_b, prof_sites(1), tm_sites, c(0, 12), 60)), "mstate_cox_sites")

# ---- versions ------------------------------------------------------------------------------
wj(list(R = R.version.string,
        packages = lapply(c(survival = "survival", mstate = "mstate", cmprsk = "cmprsk",
                            jsonlite = "jsonlite"),
                          function(p) as.character(packageVersion(p)))), "versions")
