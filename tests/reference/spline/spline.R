# R reference for the report's marker spline (run from this folder: Rscript spline.R).
# Restricted cubic spline of log(count + 1) with Hmisc's default knots (nk = 4) in a Cox
# model adjusted for age; tests of non-linearity (LR and Wald, the latter also as
# rms::anova(cph(... rcs(lx, 4) ...))) and the hazard ratio against count 0 on a grid.
suppressPackageStartupMessages({library(survival); library(Hmisc); library(rms);
  library(jsonlite)})
dir.create("outputs", showWarnings = FALSE)
grid <- c(0, 1, 2, 3, 5, 10, 20, 50, 100, 200)
for (name in c("plateau", "linear")) {
  d <- read.csv(file.path("inputs", paste0(name, ".csv")))
  d$lx <- log(d$count + 1)
  k <- rcspline.eval(d$lx, nk = 4, knots.only = TRUE)
  B <- rcspline.eval(d$lx, knots = k, inclx = TRUE)
  colnames(B) <- paste0("s", seq_len(ncol(B)))
  d <- cbind(d, B)
  sp <- colnames(B); nl <- sp[-1]
  fs <- coxph(as.formula(paste("Surv(time, event) ~", paste(sp, collapse = " + "), "+ age")),
              data = d)
  fl <- coxph(Surv(time, event) ~ s1 + age, data = d)
  f0 <- coxph(Surv(time, event) ~ age, data = d)
  b <- coef(fs)[nl]; V <- vcov(fs)[nl, nl, drop = FALSE]
  Bg <- rcspline.eval(log(grid + 1), knots = k, inclx = TRUE)
  B0 <- rcspline.eval(0, knots = k, inclx = TRUE)
  D <- sweep(Bg, 2, as.numeric(B0))
  lhr <- as.numeric(D %*% coef(fs)[sp])
  se <- sqrt(rowSums((D %*% vcov(fs)[sp, sp]) * D))
  dd <- datadist(d); options(datadist = "dd")
  fr <- cph(Surv(time, event) ~ rcs(lx, 4) + age, data = d)
  a <- anova(fr)
  res <- list(knots = k, coef = unname(coef(fs)), loglik = unname(fs$loglik),
              lr_nonlinear = 2 * (fs$loglik[2] - fl$loglik[2]), df_nonlinear = length(nl),
              wald_nonlinear = as.numeric(t(b) %*% solve(V) %*% b),
              rms_wald_nonlinear = unname(a[" Nonlinear", "Chi-Square"]),
              rms_knots = unname(fr$Design$parms$lx),
              lr_overall = 2 * (fs$loglik[2] - f0$loglik[2]), df_overall = length(sp),
              grid = grid, log_hr = lhr, se_log_hr = unname(se),
              r_version = as.character(getRversion()),
              survival_version = as.character(packageVersion("survival")),
              hmisc_version = as.character(packageVersion("Hmisc")),
              rms_version = as.character(packageVersion("rms")))
  write_json(res, file.path("outputs", paste0(name, ".json")), digits = NA, auto_unbox = TRUE)
}
