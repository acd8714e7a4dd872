# R reference for ctcstats.trials (run from this folder: Rscript trials.R).
# marker_treatment_interaction: coxph(treatment * marker + covariates [+ strata]), anova LR,
# Wald test of the interaction terms, subgroup coxph, survfit rmean; noninferiority_test.
suppressPackageStartupMessages({library(survival); library(jsonlite)})
dir.create("outputs", showWarnings = FALSE)
versions <- list(r_version = R.version.string,
                 survival = as.character(packageVersion("survival")))

interaction_ref <- function(d, trt, mk, covs, strata, tau, name) {
  rhs_cov <- paste(c(covs, if (!is.null(strata)) sprintf("strata(%s)", strata)), collapse = " + ")
  plus <- if (nchar(rhs_cov)) paste(" +", rhs_cov) else ""
  f_full <- as.formula(sprintf("Surv(time, status) ~ %s * %s%s", trt, mk, plus))
  f_main <- as.formula(sprintf("Surv(time, status) ~ %s + %s%s", trt, mk, plus))
  full <- coxph(f_full, data = d)
  main <- coxph(f_main, data = d)
  a <- anova(main, full)
  inter <- grep(":", names(coef(full)))
  b <- coef(full)[inter]; V <- vcov(full)[inter, inter, drop = FALSE]
  wald <- as.numeric(t(b) %*% solve(V, b))
  sub <- list()
  for (lev in levels(d[[mk]])) {
    s <- d[d[[mk]] == lev, ]
    f_sub <- as.formula(sprintf("Surv(time, status) ~ %s%s", trt, plus))
    fs <- coxph(f_sub, data = s)
    km <- survfit(as.formula(sprintf("Surv(time, status) ~ %s", trt)), data = s)
    tab <- summary(km, rmean = tau)$table
    sub[[lev]] <- list(level = lev, coef = unname(coef(fs)[1]),
                       se = unname(sqrt(vcov(fs)[1, 1])),
                       p = unname(summary(fs)$coefficients[1, "Pr(>|z|)"]),
                       nevent = fs$nevent, n = fs$n,
                       rmean = unname(tab[, "rmean"]), se_rmean = unname(tab[, "se(rmean)"]))
  }
  res <- c(list(terms = names(coef(full)), coef = unname(coef(full)),
                se = unname(sqrt(diag(vcov(full)))), loglik = unname(full$loglik),
                lr = a$Chisq[2], lr_df = a$Df[2], lr_p = a[["Pr(>|Chi|)"]][2],
                wald = wald, tau = tau, subgroups = unname(sub)), versions)
  write_json(res, file.path("outputs", paste0(name, ".json")), digits = NA, auto_unbox = TRUE)
}

ni_ref <- function(d, trt, covs, strata, margin, level, name) {
  rhs <- paste(c(trt, covs, if (!is.null(strata)) sprintf("strata(%s)", strata)), collapse = " + ")
  fit <- coxph(as.formula(paste("Surv(time, status) ~", rhs)), data = d)
  ci <- exp(confint(fit, level = level))[1, ]
  b <- coef(fit)[1]; se <- sqrt(vcov(fit)[1, 1])
  z <- (b - log(margin)) / se
  res <- c(list(hr = unname(exp(b)), ci_lower = unname(ci[1]), ci_upper = unname(ci[2]),
                coef = unname(b), se = unname(se), z = unname(z), p = unname(pnorm(z)),
                margin = margin, level = level), versions)
  write_json(res, file.path("outputs", paste0(name, ".json")), digits = NA, auto_unbox = TRUE)
}

trial <- read.csv("inputs/trial.csv", stringsAsFactors = FALSE)
trial$ctc_group <- factor(trial$ctc_group, levels = c("0", "1-4", ">=5"))
names(trial)[names(trial) == "months"] <- "time"
names(trial)[names(trial) == "event"] <- "status"
interaction_ref(trial, "arm", "ctc_group", c("age"), "site", 24, "trial_interaction")
interaction_ref(trial, "arm", "ctc_group", character(0), NULL, 24, "trial_interaction_plain")
ni_ref(trial, "arm", c("age"), "site", 1.25, 0.90, "trial_ni")

write.csv(survival::veteran, "inputs/veteran.csv", row.names = FALSE)
vet <- read.csv("inputs/veteran.csv", stringsAsFactors = FALSE)
vet$celltype <- factor(vet$celltype, levels = sort(unique(vet$celltype)))
vet$trt <- factor(vet$trt)
interaction_ref(vet, "trt", "celltype", c("karno"), NULL, 100, "veteran_interaction")
ni_ref(vet, "trt", c("karno"), NULL, 1.25, 0.90, "veteran_ni")
