# R reference for fit_cox(..., frailty="gaussian", frailty_method="ml") (run from this folder:
# R_LIBS=/work/rlib Rscript coxme.R). coxme (built from its CRAN source mirror with bdsmatrix):
# coxme(Surv ~ x + (1 | group)) — Laplace-approximated integrated partial likelihood; BFGS on
# the variance with reltol 1e-12 (default 1e-5) and inner eps 1e-10, so that theta is converged.
suppressPackageStartupMessages({library(coxme); library(jsonlite)})
run <- function(name, formula, data) {
  f <- coxme(formula, data = data, control = coxme.control(eps = 1e-10,
             optpar = list(method = "BFGS", control = list(reltol = 1e-12))))
  out <- list(theta = unname(unlist(f$vcoef)), coef = unname(fixef(f)),
              se = unname(sqrt(diag(as.matrix(vcov(f))))), loglik = unname(f$loglik),
              frail = unname(unlist(ranef(f))), r_version = R.version.string,
              coxme = as.character(packageVersion("coxme")),
              bdsmatrix = as.character(packageVersion("bdsmatrix")))
  write_json(out, file.path("outputs", paste0(name, ".json")), digits = NA, auto_unbox = TRUE)
}
rats <- read.csv("inputs/rats.csv")
kidney <- read.csv("inputs/kidney.csv")
pooled <- read.csv("inputs/pooled.csv")
run("coxme_rats", Surv(time, status) ~ rx + (1 | litter), rats)
run("coxme_kidney", Surv(time, status) ~ age + sex + (1 | id), kidney)
run("coxme_pooled", Surv(months, event) ~ ctc_positive + age + (1 | study), pooled)
