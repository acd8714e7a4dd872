# Competing-risks reference values from R's cmprsk package (run from tests/reference/competing/).
#
# Inputs: inputs/<name>.csv with columns time, event (0 = censored, 1..k = causes), group,
# optionally strata, x, fac and other covariates. The two real data sets are written here first
# (they ship with R packages): MASS::Melanoma -> inputs/melanoma.csv and survival::mgus2 ->
# inputs/mgus2.csv; every fit below then reads the CSV, so R and Python see the same rows.
#
# Outputs: outputs/<name>.json with
#   cuminc_all     cuminc(time, event)                          curves per cause (no groups)
#   cuminc_group   cuminc(time, event, group)                   curves per group x cause, $Tests
#   cuminc_strata  cuminc(time, event, group, strata)           $Tests only (stratified Gray test)
#   timepoints_*   timepoints(<cuminc>, times)                  est / var at the given times
#   crr_<cause>    crr(time, event, cov1 = model.matrix(...)[, -1], failcode = cause)
#   crr_maxiter1   (medium only) the same for cause 1 with maxiter = 1 (not converged)
#                  coef, var (the sandwich variance), inf, loglik, loglik.null, converged, n
suppressPackageStartupMessages({
  library(cmprsk)
  library(survival)
  library(MASS)
  library(jsonlite)
})
invisible(Sys.setlocale("LC_COLLATE", "C"))

# ---- real data sets, written as CSV inputs -------------------------------------------------
mel <- MASS::Melanoma
write.csv(data.frame(
  time = mel$time,
  event = ifelse(mel$status == 1, 1L, ifelse(mel$status == 3, 2L, 0L)),  # 2 = alive -> 0
  group = ifelse(mel$ulcer == 1, "present", "absent"),
  sex = mel$sex, age = mel$age, thickness = mel$thickness, ulcer = mel$ulcer
), file.path("inputs", "melanoma.csv"), row.names = FALSE)

mg <- survival::mgus2
write.csv(data.frame(
  time = ifelse(mg$pstat == 1, mg$ptime, mg$futime),
  event = ifelse(mg$pstat == 1, 1L, 2L * mg$death),   # 1 = progression, 2 = death first
  group = as.character(mg$sex),
  age = mg$age, sex = as.character(mg$sex)
), file.path("inputs", "mgus2.csv"), row.names = FALSE)

# ---- helpers -----------------------------------------------------------------------------
curves <- function(fit, groups, causes) {
  out <- list()
  for (g in groups) for (cc in causes) {
    key <- paste(g, cc)
    if (!is.null(fit[[key]])) {
      out[[length(out) + 1]] <- list(group = g, cause = cc, time = fit[[key]]$time,
                                     est = fit[[key]]$est, var = fit[[key]]$var)
    }
  }
  out
}

tests <- function(fit) {
  tt <- fit$Tests
  list(cause = as.numeric(rownames(tt)), stat = unname(tt[, "stat"]),
       pv = unname(tt[, "pv"]), df = unname(tt[, "df"]))
}

tp <- function(fit, times) {
  z <- timepoints(fit, times)
  list(times = as.numeric(colnames(z$est)), names = rownames(z$est),
       est = lapply(seq_len(nrow(z$est)), function(i) unname(z$est[i, ])),
       var = lapply(seq_len(nrow(z$var)), function(i) unname(z$var[i, ])))
}

crr_fit <- function(d, cov1, cause, maxiter = 10) {
  f <- crr(d$time, d$event, cov1 = cov1, failcode = cause, maxiter = maxiter)
  list(terms = names(f$coef), coef = unname(f$coef), var = unname(f$var),
       inf = unname(f$inf), score = unname(f$score), loglik = f$loglik,
       loglik_null = f$loglik.null, converged = f$converged, n = f$n)
}

one_input <- function(name, covform) {
  d <- read.csv(file.path("inputs", paste0(name, ".csv")), stringsAsFactors = FALSE)
  causes <- sort(unique(d$event[d$event != 0]))
  groups <- sort(unique(as.character(d$group)))
  q <- function(p) unname(quantile(d$time, p, type = 1))
  times <- sort(unique(c(0, q(c(0.1, 0.25, 0.5, 0.75, 0.9, 0.99)),
                         q(c(0.3, 0.6)) + 0.25 * min(diff(sort(unique(d$time)))),
                         max(d$time), max(d$time) * 1.1)))
  out <- list(name = name, causes = causes, groups = groups, times = times)

  all_fit <- cuminc(d$time, d$event)
  out$cuminc_all <- curves(all_fit, "1", causes)
  out$timepoints_all <- tp(all_fit, times)

  grp_fit <- cuminc(d$time, d$event, d$group)
  out$cuminc_group <- curves(grp_fit, groups, causes)
  out$tests_group <- tests(grp_fit)
  out$timepoints_group <- tp(grp_fit, times)

  if ("strata" %in% names(d)) {
    st_fit <- cuminc(d$time, d$event, d$group, d$strata)
    out$tests_strata <- tests(st_fit)
  }

  if (!is.null(covform)) {
    for (cc in causes[1:min(2, length(causes))]) {
      mm <- model.matrix(covform, d)[, -1, drop = FALSE]
      out[[paste0("crr_", cc)]] <- crr_fit(d, mm, cc)
    }
  }
  if (name == "medium") {   # stopped after one Newton step: converged = FALSE
    mm <- model.matrix(covform, d)[, -1, drop = FALSE]
    out$crr_maxiter1 <- crr_fit(d, mm, 1, maxiter = 1)
  }
  write_json(out, file.path("outputs", paste0(name, ".json")), digits = NA, auto_unbox = TRUE)
}

one_input("small", ~ x + fac + group)
one_input("medium", ~ x + fac + group)
one_input("large", ~ x + fac + group)
one_input("edge", ~ x + group)
one_input("sparse", ~ x + fac + group)
one_input("melanoma", ~ sex + age + thickness + ulcer)
one_input("mgus2", ~ age + sex)
