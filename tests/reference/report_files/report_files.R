# Real files for the report (issue 14): R's survival::lung and survival::gbsg exported once to
# CSV (times in days, as R stores them), and the numbers the report prints for them:
# survfit medians (conf.type = "log-log", as the report states) and coxph hazard ratios
# (Efron ties, R's default and fit_cox's) on the report's complete cases. Versions are stored in
# outputs/report_files.json. Run from the repo root: Rscript tests/reference/report_files/report_files.R
suppressPackageStartupMessages({library(survival); library(jsonlite)})
dir <- "tests/reference/report_files"

# lung: event recoded to 0/1 (R codes 1 = censored, 2 = dead); ph.ecog (0-3) is the "count"
lung_out <- data.frame(inst = lung$inst, os_days = lung$time, os_event = lung$status - 1L,
                       age = lung$age, sex = lung$sex, ph_ecog = lung$ph.ecog,
                       ph_karno = lung$ph.karno, wt_loss = lung$wt.loss)
write.csv(lung_out, file.path(dir, "inputs/lung.csv"), row.names = FALSE, na = "")
# gbsg: nodes is the count (positive = nodes >= 4); grade categorical
gbsg_out <- data.frame(pid = gbsg$pid, rfs_days = gbsg$rfstime, rfs_event = gbsg$status,
                       age = gbsg$age, meno = gbsg$meno, size = gbsg$size, grade = gbsg$grade,
                       nodes = gbsg$nodes, pgr = gbsg$pgr, er = gbsg$er, hormon = gbsg$hormon)
write.csv(gbsg_out, file.path(dir, "inputs/gbsg.csv"), row.names = FALSE)
# colon as R stores it: two rows per patient (etype 1 = recurrence, 2 = death); its first 40
# patients, which the report must refuse (it needs one row per patient)
write.csv(subset(colon, id <= 40), file.path(dir, "inputs/colon_long.csv"), row.names = FALSE,
          na = "")

km_med <- function(fit) {
  s <- summary(fit)$table
  list(median = unname(s[, "median"]), lower = unname(s[, "0.95LCL"]),
       upper = unname(s[, "0.95UCL"]), n = unname(s[, "records"]), events = unname(s[, "events"]))
}
cox_hr <- function(fit) {
  s <- summary(fit)$conf.int
  list(term = rownames(s), hr = unname(s[, 1]), lower = unname(s[, 3]), upper = unname(s[, 4]),
       p = unname(summary(fit)$coefficients[, "Pr(>|z|)"]))
}

# lung report: marker ph_ecog >= 1, covariates age, sex (categorical); complete cases on the
# columns used (os_days, os_event, ph_ecog, age, sex)
L <- na.omit(lung_out[, c("os_days", "os_event", "ph_ecog", "age", "sex")])
L$pos <- as.integer(L$ph_ecog >= 1)
L$sex <- factor(L$sex)
lung_res <- list(
  n = nrow(L),
  km = km_med(survfit(Surv(os_days, os_event) ~ pos, data = L, conf.type = "log-log")),
  uni = cox_hr(coxph(Surv(os_days, os_event) ~ pos, data = L)),
  multi = cox_hr(coxph(Surv(os_days, os_event) ~ pos + age + sex, data = L))
)

# gbsg report: marker nodes >= 4, covariates age, size, grade (categorical), er
G <- gbsg_out
G$pos <- as.integer(G$nodes >= 4)
G$grade <- factor(G$grade)
gbsg_res <- list(
  n = nrow(G),
  km = km_med(survfit(Surv(rfs_days, rfs_event) ~ pos, data = G, conf.type = "log-log")),
  uni = cox_hr(coxph(Surv(rfs_days, rfs_event) ~ pos, data = G)),
  multi = cox_hr(coxph(Surv(rfs_days, rfs_event) ~ pos + age + size + grade + er, data = G))
)

out <- list(lung = lung_res, gbsg = gbsg_res,
            versions = list(R = R.version.string,
                            survival = as.character(packageVersion("survival"))))
writeLines(toJSON(out, auto_unbox = TRUE, digits = NA, pretty = TRUE),
           file.path(dir, "outputs/report_files.json"))
