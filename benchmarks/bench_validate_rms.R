# rms::validate(cph, B = 200) and survival::concordance on the cohort written by
# bench_concordance.py (argument 1: its CSV). CPU seconds (proc.time user + system).
suppressMessages({library(rms); library(survival)})
args <- commandArgs(trailingOnly = TRUE)
d <- read.csv(args[1])
cpu <- function(expr) {
  t0 <- proc.time(); force(expr); el <- proc.time() - t0
  el[["user.self"]] + el[["sys.self"]]
}
f <- cph(Surv(os_months, os_event) ~ age + node_positive + ctc_positive, data = d,
         x = TRUE, y = TRUE, surv = TRUE, time.inc = 24)
set.seed(1)
cat(sprintf("rms_validate_cpu_s %.3f\n", cpu(validate(f, B = 200))))
lp <- f$linear.predictors
reps <- 50
s <- cpu(for (i in 1:reps) concordance(Surv(d$os_months, d$os_event) ~ lp, reverse = TRUE))
cat(sprintf("survival_concordance_ms %.3f\n", 1000 * s / reps))
cat(sprintf("versions R %s rms %s survival %s\n", getRversion(), packageVersion("rms"),
            packageVersion("survival")))
