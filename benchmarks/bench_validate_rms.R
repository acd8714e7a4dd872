# rms::validate(cph, B = 200) and survival::concordance on a cohort CSV (argument 1), for
# bench_concordance.py (its cohort: os_months, os_event ~ age + node_positive + ctc_positive)
# and bench_validation.py --janni (arguments 2 and 3: the time and event columns; every other
# column is a covariate). CPU seconds (proc.time user + system).
suppressMessages({library(rms); library(survival)})
args <- commandArgs(trailingOnly = TRUE)
d <- read.csv(args[1])
cpu <- function(expr) {
  t0 <- proc.time(); force(expr); el <- proc.time() - t0
  el[["user.self"]] + el[["sys.self"]]
}
if (length(args) >= 3) {
  tcol <- args[2]; ecol <- args[3]
  xs <- setdiff(names(d), c(tcol, ecol))
  form <- as.formula(sprintf("Surv(%s, %s) ~ %s", tcol, ecol, paste(xs, collapse = " + ")))
} else {
  tcol <- "os_months"; ecol <- "os_event"
  form <- Surv(os_months, os_event) ~ age + node_positive + ctc_positive
}
f <- cph(form, data = d, x = TRUE, y = TRUE, surv = TRUE, time.inc = 24)
set.seed(1)
cat(sprintf("rms_validate_cpu_s %.3f\n", cpu(validate(f, B = 200))))
lp <- f$linear.predictors
reps <- 50
y <- Surv(d[[tcol]], d[[ecol]])
s <- cpu(for (i in 1:reps) concordance(y ~ lp, reverse = TRUE))
cat(sprintf("survival_concordance_ms %.3f\n", 1000 * s / reps))
cat(sprintf("versions R %s rms %s survival %s\n", getRversion(), packageVersion("rms"),
            packageVersion("survival")))
