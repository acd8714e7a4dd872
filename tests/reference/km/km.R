# Kaplan–Meier reference values from R's survival package (run from tests/reference/km/).
#
# For every inputs/<name>.csv (columns time, event[, group]) this writes outputs/<name>.json:
#   fits[[setting]]  for conf.type "log-log", "log", "plain" at conf.int 0.95, and "log-log" at 0.90:
#     table      summary(fit, censored = TRUE)        (std.err there is the Greenwood SE of S)
#     at         summary(fit, times = times)          (extend = FALSE: times past a curve's end dropped)
#     at_extend  summary(fit, times = times, extend = TRUE)
#     quantile   quantile(fit, probs = 0.5)           (median and its CI, survival:::findq rule)
#     printed    summary(fit)$table median / LCL / UCL (print.survfit, survival:::survmean rule)
#     rmean      summary(fit, rmean = tau)$table rmean, se(rmean) for each tau
#     reverse    quantile(survfit(Surv(time, 1 - event) ~ group), 0.5) and the same for ~ 1
suppressPackageStartupMessages({
  library(survival)
  library(jsonlite)
})

strata_labels <- function(fit, n) {
  if (is.null(fit$strata)) rep("all", n) else NULL
}

clean <- function(x) sub("^group=", "", as.character(x))

fit_frame <- function(s, n) {
  strata <- if (is.null(s$strata)) rep("all", length(s$time)) else clean(s$strata)
  list(strata = strata, time = s$time, n_risk = s$n.risk, n_event = s$n.event,
       n_censor = s$n.censor, surv = s$surv, std_err = s$std.err,
       lower = s$lower, upper = s$upper)
}

quant_frame <- function(fit) {
  q <- quantile(fit, probs = 0.5)
  strata <- if (is.null(fit$strata)) "all" else clean(names(fit$strata))
  list(strata = strata, median = unname(as.vector(q$quantile)),
       lower = unname(as.vector(q$lower)), upper = unname(as.vector(q$upper)))
}

table_matrix <- function(tab) {
  if (is.null(dim(tab))) tab <- matrix(tab, nrow = 1, dimnames = list(NULL, names(tab)))
  tab
}

one_input <- function(name) {
  d <- read.csv(file.path("inputs", paste0(name, ".csv")))
  grouped <- "group" %in% names(d)
  if (grouped) d$group <- factor(d$group)
  form <- if (grouped) Surv(time, event) ~ group else Surv(time, event) ~ 1
  rform <- if (grouped) Surv(time, 1 - event) ~ group else Surv(time, 1 - event) ~ 1
  q <- function(p) unname(quantile(d$time, p, type = 1))
  times <- sort(unique(c(0, q(c(0.1, 0.3, 0.5, 0.7, 0.9)), q(c(0.2, 0.6)) + 0.25,
                         max(d$time), max(d$time) * 1.25)))
  taus <- sort(unique(c(q(0.8), q(0.6) + 0.3, max(d$time))))
  settings <- list(
    "log-log" = list(type = "log-log", level = 0.95),
    "log" = list(type = "log", level = 0.95),
    "plain" = list(type = "plain", level = 0.95),
    "log-log-0.9" = list(type = "log-log", level = 0.90)
  )
  fits <- list()
  for (key in names(settings)) {
    st <- settings[[key]]
    fit <- survfit(form, data = d, conf.type = st$type, conf.int = st$level)
    tab <- table_matrix(summary(fit)$table)
    lcl <- grep("LCL$", colnames(tab)); ucl <- grep("UCL$", colnames(tab))
    strata <- if (is.null(fit$strata)) "all" else clean(names(fit$strata))
    rmean <- lapply(taus, function(tau) {
      tb <- table_matrix(summary(fit, rmean = tau)$table)
      list(tau = tau, strata = strata, rmean = unname(tb[, "rmean"]),
           se = unname(tb[, "se(rmean)"]))
    })
    rfit <- survfit(rform, data = d, conf.type = st$type, conf.int = st$level)
    rall <- survfit(Surv(time, 1 - event) ~ 1, data = d, conf.type = st$type,
                    conf.int = st$level)
    fits[[key]] <- list(
      conf_type = st$type, conf_level = st$level,
      table = fit_frame(summary(fit, censored = TRUE)),
      at = fit_frame(summary(fit, times = times)),
      at_extend = fit_frame(summary(fit, times = times, extend = TRUE)),
      quantile = quant_frame(fit),
      printed = list(strata = strata, median = unname(tab[, "median"]),
                     lower = unname(tab[, lcl]), upper = unname(tab[, ucl])),
      rmean = rmean,
      reverse = quant_frame(rfit),
      reverse_all = quant_frame(rall)
    )
  }
  out <- list(name = name, grouped = grouped, times = times, taus = taus,
              r_version = R.version.string,
              survival_version = as.character(packageVersion("survival")),
              fits = fits)
  write_json(out, file.path("outputs", paste0(name, ".json")), digits = NA,
             auto_unbox = TRUE, na = "string")
}

dir.create("outputs", showWarnings = FALSE)
for (f in sort(list.files("inputs", pattern = "\\.csv$"))) {
  one_input(sub("\\.csv$", "", f))
}
