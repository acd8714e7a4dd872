# R reference values for ctcstats.survival.logrank (run from tests/reference/logrank/).
#
#   survdiff(Surv(time, event) ~ g [+ strata(s)], rho = rho)      plain / stratified / G-rho
#   fh_manual(...)            Fleming-Harrington G(rho, gamma) from the risk sets, by hand
#                             (survdiff has no gamma); checked against survdiff when gamma = 0
#   trend_from_survdiff(...)  (w'(O-E))^2 / (w'Vw), df = 1, from fit$obs, fit$exp, fit$var
#   pairwise(...)             survdiff on each pair's subset, then p.adjust(p, method)
#
# Every case is written as list(levels, obs, exp, var, chisq, df, pvalue [, scores]) with obs and
# exp summed over strata (rowSums of survdiff's per-stratum matrices) and var the k x k matrix.
suppressPackageStartupMessages({
  library(survival)
  library(jsonlite)
})
dir.create("outputs", showWarnings = FALSE)
# group levels in C-locale (code point) order, as ctcstats sorts string labels
rd <- function(name) read.csv(file.path("inputs", paste0(name, ".csv")), stringsAsFactors = FALSE)
wj <- function(x, name) {
  write_json(x, file.path("outputs", paste0(name, ".json")), digits = NA, auto_unbox = TRUE)
}

chisq_from <- function(o, e, v) {
  # exactly survdiff's statistic: drop groups with expected 0, then the first remaining group
  keep <- e > 0
  df <- sum(keep) - 1
  if (sum(keep) < 2) return(list(chisq = 0, df = df, pvalue = pchisq(0, df, lower.tail = FALSE)))
  u <- ((o - e)[keep])[-1]
  vv <- (v[keep, keep])[-1, -1, drop = FALSE]
  chi <- sum(solve(vv, u) * u)
  list(chisq = chi, df = df, pvalue = pchisq(chi, df, lower.tail = FALSE))
}

as_case <- function(levels, o, e, v, extra = list()) {
  out <- c(list(levels = levels, obs = o, exp = e, var = unname(split(v, row(v)))),
           chisq_from(o, e, v), extra)
  out
}

fit_survdiff <- function(d, group, strata = NULL, rho = 0) {
  d$g <- factor(d[[group]], levels = sort(unique(d[[group]]), method = "radix"))
  if (is.null(strata)) {
    fit <- survdiff(Surv(time, event) ~ g, data = d, rho = rho)
  } else {
    d$s <- d[[strata]]
    fit <- survdiff(Surv(time, event) ~ g + strata(s), data = d, rho = rho)
  }
  o <- if (is.matrix(fit$obs)) rowSums(fit$obs) else fit$obs
  e <- if (is.matrix(fit$exp)) rowSums(fit$exp) else fit$exp
  case <- as_case(levels(d$g), o, e, fit$var)
  # survdiff's own statistic and p-value, kept to prove chisq_from reproduces them
  stopifnot(isTRUE(all.equal(case$chisq, fit$chisq, tolerance = 1e-12)))
  stopifnot(isTRUE(all.equal(case$pvalue, fit$pvalue, tolerance = 1e-12)))
  case
}

# Fleming-Harrington G(rho, gamma) by hand: for each stratum, the pooled Kaplan-Meier from
# survfit, taken left-continuous (S(u-) = KM at the last time before u); at each event time u the
# weight w = S(u-)^rho * (1 - S(u-))^gamma multiplies the observed and expected events and w^2
# the hypergeometric variance D (N - D) / (N (N - 1)) * (diag(n) - n n' / N).
fh_manual <- function(d, group, strata = NULL, rho = 0, gamma = 0) {
  lev <- sort(unique(d[[group]]), method = "radix")
  k <- length(lev)
  st <- if (is.null(strata)) rep(1, nrow(d)) else d[[strata]]
  O <- rep(0, k); E <- rep(0, k); V <- matrix(0, k, k)
  for (s in unique(st)) {
    idx <- st == s
    t <- d$time[idx]; ev <- d$event[idx]; g <- factor(d[[group]][idx], levels = lev)
    km <- survfit(Surv(t, ev) ~ 1)
    for (u in sort(unique(t[ev == 1]))) {
      before <- km$time < u
      S <- if (any(before)) min(km$surv[before]) else 1
      w <- S^rho * (1 - S)^gamma
      n_k <- as.numeric(table(g[t >= u]))
      d_k <- as.numeric(table(g[t == u & ev == 1]))
      N <- sum(n_k); D <- sum(d_k)
      O <- O + w * d_k
      E <- E + w * D * n_k / N
      if (N > 1) V <- V + w^2 * D * (N - D) / (N * (N - 1)) * (diag(n_k) - outer(n_k, n_k) / N)
    }
  }
  as_case(lev, O, E, V, list(rho = rho, gamma = gamma))
}

check_manual <- function(d, group, strata = NULL, rho = 0) {
  a <- fh_manual(d, group, strata, rho = rho, gamma = 0)
  b <- fit_survdiff(d, group, strata, rho = rho)
  stopifnot(isTRUE(all.equal(a$obs, b$obs, tolerance = 1e-12)))
  stopifnot(isTRUE(all.equal(a$exp, b$exp, tolerance = 1e-12)))
  stopifnot(isTRUE(all.equal(a$var, b$var, tolerance = 1e-12)))
}

# test for trend from survdiff's pieces: scores w (1..k, or the numeric group values)
trend_from_survdiff <- function(d, group, strata = NULL, rho = 0, numeric_scores = FALSE) {
  case <- fit_survdiff(d, group, strata, rho)
  w <- if (numeric_scores) as.numeric(case$levels) else seq_along(case$levels)
  v <- do.call(rbind, case$var)
  u <- sum(w * (case$obs - case$exp))
  vw <- as.numeric(t(w) %*% v %*% w)
  chi <- u^2 / vw
  case$chisq <- chi; case$df <- 1; case$pvalue <- pchisq(chi, 1, lower.tail = FALSE)
  case$scores <- w; case$u <- u; case$v_trend <- vw
  case
}

pairwise <- function(d, group, strata = NULL, rho = 0) {
  lev <- sort(unique(d[[group]]), method = "radix")
  g1 <- c(); g2 <- c(); stat <- c(); p <- c()
  for (i in seq_along(lev)[-length(lev)]) for (j in (i + 1):length(lev)) {
    sub <- d[d[[group]] %in% lev[c(i, j)], ]
    case <- fit_survdiff(sub, group, strata, rho)
    g1 <- c(g1, lev[i]); g2 <- c(g2, lev[j]); stat <- c(stat, case$chisq); p <- c(p, case$pvalue)
  }
  list(group_1 = g1, group_2 = g2, statistic = stat, p_value = p,
       holm = p.adjust(p, "holm"), BH = p.adjust(p, "BH"),
       bonferroni = p.adjust(p, "bonferroni"), none = p.adjust(p, "none"))
}

# ----------------------------------------------------------------------------- synthetic, ties
for (size in c("small", "medium", "large")) {
  d <- rd(paste0("ties_", size))
  check_manual(d, "ctc_group")
  check_manual(d, "ctc_group", "site", rho = 1)
  check_manual(d, "ctc_group", "site", rho = 0.5)
  out <- list(
    two_group = fit_survdiff(d, "arm"),
    three_group = fit_survdiff(d, "ctc_group"),
    stratified = fit_survdiff(d, "ctc_group", "site"),
    stratified_two_group = fit_survdiff(d, "arm", "site"),
    rho1 = fit_survdiff(d, "ctc_group", rho = 1),
    rho05 = fit_survdiff(d, "ctc_group", rho = 0.5),
    rho1_stratified = fit_survdiff(d, "ctc_group", "site", rho = 1),
    gamma1 = fh_manual(d, "ctc_group", rho = 0, gamma = 1),
    rho1_gamma1 = fh_manual(d, "ctc_group", rho = 1, gamma = 1),
    rho05_gamma2_stratified = fh_manual(d, "ctc_group", "site", rho = 0.5, gamma = 2),
    trend = trend_from_survdiff(d, "ctc_group"),
    trend_numeric = trend_from_survdiff(d, "ctc_score", numeric_scores = TRUE),
    trend_stratified = trend_from_survdiff(d, "ctc_group", "site"),
    trend_rho1 = trend_from_survdiff(d, "ctc_group", rho = 1),
    pairwise = pairwise(d, "ctc_group"),
    pairwise_stratified = pairwise(d, "ctc_group", "site"),
    pairwise_rho1 = pairwise(d, "ctc_group", rho = 1)
  )
  wj(out, paste0("ties_", size))
}

# ----------------------------------------------------------------------------- edge cases
d <- rd("edge_no_events")
wj(list(three_group = fit_survdiff(d, "group"), pairwise = pairwise(d, "group")),
   "edge_no_events")
d <- rd("edge_zero_expected")
wj(list(three_group = fit_survdiff(d, "group"), pairwise = pairwise(d, "group")),
   "edge_zero_expected")
d <- rd("edge_near_ties")
wj(list(two_group = fit_survdiff(d, "group"), rho1 = fit_survdiff(d, "group", rho = 1)),
   "edge_near_ties")

# ----------------------------------------------------------------------------- GBSG2 (lifelines)
d <- rd("gbsg2")
d$event <- d$cens
check_manual(d, "tgrade", "menostat", rho = 1)
wj(list(
  horTh = fit_survdiff(d, "horTh"),
  tgrade = fit_survdiff(d, "tgrade"),
  horTh_by_menostat = fit_survdiff(d, "horTh", "menostat"),
  tgrade_by_menostat = fit_survdiff(d, "tgrade", "menostat"),
  tgrade_rho1 = fit_survdiff(d, "tgrade", rho = 1),
  tgrade_gamma1 = fh_manual(d, "tgrade", rho = 0, gamma = 1),
  tgrade_rho1_gamma1_by_menostat = fh_manual(d, "tgrade", "menostat", rho = 1, gamma = 1),
  tgrade_trend = trend_from_survdiff(d, "tgrade"),
  tgrade_trend_by_menostat = trend_from_survdiff(d, "tgrade", "menostat"),
  tgrade_pairwise = pairwise(d, "tgrade"),
  tgrade_pairwise_by_menostat = pairwise(d, "tgrade", "menostat")
), "gbsg2")
cat("logrank reference outputs written\n")
