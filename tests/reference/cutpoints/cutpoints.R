# R reference for ctcstats.cutpoints: maximally selected log-rank statistics (maxstat 0.7-25).
# Run from tests/reference/cutpoints/:  Rscript cutpoints.R
suppressPackageStartupMessages({
  library(survival)
  library(maxstat)
  library(jsonlite)
})

cases <- list(
  list(name = "ctc_small", file = "ctc_small", x = "ctc_count", t = "os_months", e = "os_event"),
  list(name = "ctc_large", file = "ctc_large", x = "ctc_count", t = "os_months", e = "os_event"),
  list(name = "continuous", file = "continuous", x = "marker", t = "time", e = "event"),
  list(name = "null_marker", file = "null_marker", x = "marker", t = "time", e = "event"),
  list(name = "gbsg2_pnodes", file = "gbsg2", x = "pnodes", t = "time", e = "cens"),
  list(name = "gbsg2_progrec", file = "gbsg2", x = "progrec", t = "time", e = "cens")
)
props <- list(c(0.1, 0.9), c(0.2, 0.8))

dir.create("outputs", showWarnings = FALSE)
for (cs in cases) {
  d <- read.csv(file.path("inputs", paste0(cs$file, ".csv")))
  f <- as.formula(paste0("Surv(", cs$t, ", ", cs$e, ") ~ ", cs$x))
  out <- list()
  # log-rank scores exactly as maxstat uses them (exactRankTests::cscores.Surv)
  out$scores <- as.numeric(exactRankTests::cscores(Surv(d[[cs$t]], d[[cs$e]]), type = "LogRank"))
  for (p in props) {
    key <- sprintf("p%02d_%02d", round(100 * p[1]), round(100 * p[2]))
    m92 <- maxstat.test(f, data = d, smethod = "LogRank", pmethod = "Lau92",
                        minprop = p[1], maxprop = p[2], alpha = 0.05)
    m94 <- maxstat.test(f, data = d, smethod = "LogRank", pmethod = "Lau94",
                        minprop = p[1], maxprop = p[2], alpha = 0.05)
    set.seed(20261121)
    mmc <- maxstat.test(f, data = d, smethod = "LogRank", pmethod = "condMC",
                        minprop = p[1], maxprop = p[2], B = 10000)
    est <- unname(m94$estimate)
    grp <- as.integer(d[[cs$x]] > est)
    sd <- survdiff(Surv(d[[cs$t]], d[[cs$e]]) ~ grp)
    out[[key]] <- list(
      min_prop = p[1], max_prop = p[2],
      statistic = unname(m94$statistic), estimate = est,
      p_lau92 = m92$p.value, p_lau94 = m94$p.value, p_condmc = mmc$p.value, B = 10000,
      quant_lau92 = m92$quant, quant_lau94 = m94$quant,
      cuts = as.numeric(m94$cuts), stats = as.numeric(m94$stats),
      survdiff_chisq = sd$chisq, survdiff_obs = as.numeric(sd$obs),
      survdiff_exp = as.numeric(sd$exp), survdiff_var = sd$var[1, 1]
    )
  }
  write_json(out, file.path("outputs", paste0(cs$name, ".json")), digits = NA, auto_unbox = TRUE)
}
