# R reference for fit_cox(..., frailty_col=, frailty=) (run from this folder:
# Rscript frailty.R). survival::coxph(Surv ~ x + frailty(g, distribution, sparse, eps)).
# Each model is fitted twice: with R's default outer tolerance (eps = 1e-5 for gamma, whose
# theta therefore moves in the 5th digit) and with a tight one (eps = 1e-10; outer.max 200),
# which ctcstats must match at 1e-5 (it solves for theta to full precision).
suppressPackageStartupMessages({library(survival); library(jsonlite)})
dir.create("outputs", showWarnings = FALSE)
write.csv(survival::rats, "inputs/rats.csv", row.names = FALSE)
write.csv(survival::kidney, "inputs/kidney.csv", row.names = FALSE)
versions <- list(r_version = R.version.string, survival = as.character(packageVersion("survival")))

one <- function(formula, data, tight_eps) {
  env <- environment()
  f <- coxph(formula, data = data, control = coxph.control(outer.max = 200, iter.max = 100))
  s <- summary(f)$coefficients
  fr <- grep("frailty", rownames(s))
  p <- length(coef(f))
  list(theta = f$history[[1]]$theta, coef = unname(coef(f)),
       se = unname(sqrt(diag(f$var))[seq_len(p)]), se2 = unname(sqrt(diag(f$var2))[seq_len(p)]),
       loglik = unname(f$loglik), c_loglik = if (is.null(f$history[[1]]$c.loglik)) NA else
         f$history[[1]]$c.loglik, df = unname(f$df), frailty_chisq = unname(s[fr, "Chisq"]),
       frailty_df = unname(s[fr, "DF"]), frailty_p = unname(s[fr, "p"]), frail = unname(f$frail),
       fvar = unname(f$fvar), iter = unname(f$iter), terms = names(coef(f)))
}

run <- function(name, data, rhs, group, dist, sparse) {
  fr <- sprintf("frailty(%s, distribution = '%s', sparse = %s%%s)", group, dist, sparse)
  f_def <- as.formula(sprintf("Surv(time, status) ~ %s + %s", rhs, sprintf(fr, "")))
  # the tightest tolerance R's outer root finder survives (gaussian's inverse interpolation
  # can fail with NaN when the residuals are already ~0)
  for (tight_eps in c(1e-10, 1e-8, 1e-7, 1e-6)) {
    f_tight <- as.formula(sprintf("Surv(time, status) ~ %s + %s", rhs,
                                  sprintf(fr, sprintf(", eps = %g", tight_eps))))
    tight <- tryCatch(one(f_tight, data), error = function(e) NULL)
    if (!is.null(tight)) break
  }
  res <- c(list(tight = tight, default = one(f_def, data), tight_eps = tight_eps),
           versions)
  write_json(res, file.path("outputs", paste0(name, ".json")), digits = NA, auto_unbox = TRUE)
}

rats <- read.csv("inputs/rats.csv")
kidney <- read.csv("inputs/kidney.csv"); kidney$disease <- factor(kidney$disease)
pooled <- read.csv("inputs/pooled.csv"); names(pooled)[4:5] <- c("time", "status")
run("rats_gamma", rats, "rx", "litter", "gamma", "FALSE")
run("rats_gamma_sparse", rats, "rx", "litter", "gamma", "TRUE")
run("rats_gaussian", rats, "rx", "litter", "gaussian", "FALSE")
run("rats_gaussian_sparse", rats, "rx", "litter", "gaussian", "TRUE")
run("kidney_gamma", kidney, "age + sex", "id", "gamma", "TRUE")
run("kidney_gaussian", kidney, "age + sex", "id", "gaussian", "TRUE")
run("pooled_gamma", pooled, "ctc_positive + age", "study", "gamma", "TRUE")
run("pooled_gaussian", pooled, "ctc_positive + age", "study", "gaussian", "TRUE")
run("pooled_gaussian_dense", pooled, "ctc_positive + age", "study", "gaussian", "FALSE")
# strata with a frailty; delayed entry ((start, stop] rows) with a frailty
run("kidney_gaussian_strata", kidney, "age + strata(sex)", "id", "gaussian", "TRUE")
pooled$entry <- round(pooled$time * ((seq_len(nrow(pooled)) %% 4) / 10), 1)
write.csv(pooled, "inputs/pooled_entry.csv", row.names = FALSE)
run_start <- function(name, dist) {
  for (tight_eps in c(1e-10, 1e-8, 1e-6)) {
    f <- tryCatch(one(as.formula(sprintf(
      "Surv(entry, time, status) ~ ctc_positive + age + frailty(study, distribution = '%s', sparse = TRUE, eps = %g)",
      dist, tight_eps)), pooled), error = function(e) NULL)
    if (!is.null(f)) break
  }
  write_json(c(list(tight = f, tight_eps = tight_eps), versions),
             file.path("outputs", paste0(name, ".json")), digits = NA, auto_unbox = TRUE)
}
run_start("pooled_entry_gamma", "gamma")
run_start("pooled_entry_gaussian", "gaussian")
