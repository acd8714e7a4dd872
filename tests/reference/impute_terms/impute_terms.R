# R reference for ctcstats.missing.impute(terms=...): smcfcs with passive variables, i.e. a Cox
# substantive model with a quadratic term, a restricted cubic spline of log(count + 1) and a
# log(count + 1) x treatment interaction (run from this folder: Rscript impute_terms.R; ~5 min of CPU per 12 seeds).
#
# inputs/terms_mar.csv (seed 20261210, n = 800):
#   a ~ N(0, 1) (age, standardised); trt ~ Bernoulli(0.5), complete;
#   ctc ~ Poisson(exp(1.2 + 0.3 a + U)), U ~ N(0, 0.8^2) (an overdispersed count);
#   lc = log(ctc + 1); hazard 0.02 exp(0.3 a + 0.25 a^2 + 1.1 lc - 0.25 lc^2 - 0.4 trt
#   + 0.35 lc trt); censoring Uniform(5, 40) months;
#   a missing with P = plogis(-2 + 1.0 event), ctc missing with
#   P = plogis(-1.8 + 0.8 event + 0.5 trt) (missing at random given the outcome).
# The spline knots are Hmisc's default for nk = 4 on log(ctc + 1) of the observed counts
# (rcspline.eval(knots.only = TRUE)), stored in the output; the spline's non-linear columns
# (Hmisc rcspline.eval, norm = 2) are written out as passive expressions with these knots.
# Substantive model Surv(months, event) ~ a + asq + lc + lc1 + lc2 + trt + lctrt with the
# passive variables asq = a^2, lc = log(ctc + 1), lc1, lc2 (spline), lctrt = lc * trt;
# smcfcs methods a = "norm", ctc = "poisson". m = 10, numit = 10, seeds 1..N_REP; pooled with
# mice::pool.
suppressPackageStartupMessages({library(survival); library(mice); library(smcfcs)
  library(Hmisc); library(jsonlite)})
dir.create("outputs", showWarnings = FALSE)
dir.create("inputs", showWarnings = FALSE)
N_REP <- as.integer(Sys.getenv("N_REP", "12"))
M <- 10

set.seed(20261210)
n <- 800
a <- rnorm(n)
trt <- rbinom(n, 1, 0.5)
ctc <- rpois(n, exp(1.2 + 0.3 * a + rnorm(n, 0, 0.8)))
lc <- log(ctc + 1)
t_ev <- rexp(n, 0.02 * exp(0.3 * a + 0.25 * a^2 + 1.1 * lc - 0.25 * lc^2 - 0.4 * trt +
                           0.35 * lc * trt))
cens <- runif(n, 5, 40)
dat <- data.frame(months = pmin(t_ev, cens), event = as.integer(t_ev <= cens), a = a,
                  trt = trt, ctc = ctc)
dat$a[runif(n) < plogis(-2 + 1.0 * dat$event)] <- NA
dat$ctc[runif(n) < plogis(-1.8 + 0.8 * dat$event + 0.5 * dat$trt)] <- NA
write.csv(dat, file.path("inputs", "terms_mar.csv"), row.names = FALSE, na = "")

knots <- rcspline.eval(log(dat$ctc[!is.na(dat$ctc)] + 1), nk = 4, knots.only = TRUE)
k <- sprintf("%.17g", knots)
kd <- sprintf("%.17g", (knots[4] - knots[1])^(2 / 3))
rcs_col <- function(j) sprintf(paste0(
  "pmax((log(ctc + 1) - %s) / %s, 0)^3 + ((%s - %s) * pmax((log(ctc + 1) - %s) / %s, 0)^3",
  " - (%s - %s) * pmax((log(ctc + 1) - %s) / %s, 0)^3) / (%s - %s)"),
  k[j], kd, k[3], k[j], k[4], kd, k[4], k[j], k[3], kd, k[4], k[3])
# check the expressions against Hmisc on the complete counts
lc_obs <- log(dat$ctc[!is.na(dat$ctc)] + 1)
chk <- rcspline.eval(lc_obs, knots = knots, inclx = FALSE)
ctc <- dat$ctc[!is.na(dat$ctc)]
stopifnot(max(abs(chk[, 1] - eval(parse(text = rcs_col(1))))) < 1e-10,
          max(abs(chk[, 2] - eval(parse(text = rcs_col(2))))) < 1e-10)

work <- transform(dat, asq = a^2, lc = log(ctc + 1))
work$lc1 <- with(work, eval(parse(text = rcs_col(1))))
work$lc2 <- with(work, eval(parse(text = rcs_col(2))))
work$lctrt <- work$lc * work$trt
meth <- c(months = "", event = "", a = "norm", trt = "", ctc = "poisson", asq = "a^2",
          lc = "log(ctc + 1)", lc1 = rcs_col(1), lc2 = rcs_col(2), lctrt = "lc * trt")
stopifnot(identical(names(meth), names(work)))
smf <- "Surv(months, event) ~ a + asq + lc + lc1 + lc2 + trt + lctrt"
f <- as.formula(smf)
pred <- matrix(0, ncol(work), ncol(work), dimnames = list(names(work), names(work)))
pred["a", c("ctc", "trt")] <- 1
pred["ctc", c("a", "trt")] <- 1
# seeds in parallel (forked workers; each replicate sets its own seed, so the result does
# not depend on the number of cores)
reps <- parallel::mclapply(seq_len(N_REP), mc.cores = as.integer(Sys.getenv("CORES", "3")),
                           FUN = function(r) {
  set.seed(r)
  invisible(capture.output(suppressWarnings(
    imp <- smcfcs(work, smtype = "coxph", smformula = smf, method = unname(meth),
                  predictorMatrix = pred, m = M, numit = 10))))
  s <- summary(pool(as.mira(lapply(imp$impDatasets, function(x) coxph(f, data = x)))))
  list(estimate = s$estimate, std_error = s$std.error)
})
full <- coxph(f, data = transform(work))
out <- list(
  versions = list(r = R.version.string, smcfcs = as.character(packageVersion("smcfcs")),
                  mice = as.character(packageVersion("mice")),
                  survival = as.character(packageVersion("survival")),
                  hmisc = as.character(packageVersion("Hmisc"))),
  n_rep = N_REP, m = M, numit = 10, n_missing = colSums(is.na(dat)), knots = knots,
  term = c("a", "asq", "lc", "lc1", "lc2", "trt", "lctrt"),
  complete_case = list(estimate = unname(coef(full)),
                       std_error = unname(sqrt(diag(vcov(full))))),
  estimate = do.call(rbind, lapply(reps, `[[`, "estimate")),
  std_error = do.call(rbind, lapply(reps, `[[`, "std_error")))
write_json(out, file.path("outputs", "impute_terms_reference.json"), digits = NA,
           auto_unbox = TRUE)
