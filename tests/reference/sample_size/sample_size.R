# R reference for ctcstats.model_sample_size (run from this folder:
# R_LIBS=/work/rlib Rscript sample_size.R). pmsampsize (built from its CRAN source mirror,
# github:cran/pmsampsize) for time-to-event models, type = "s": its documented example
# (csrsquared 0.051, 30 parameters, rate 0.065, timepoint 2, meanfup 2.07) and a grid.
suppressPackageStartupMessages({library(pmsampsize); library(jsonlite)})
cases <- list(
  list(csrsquared = 0.051, parameters = 30, rate = 0.065, timepoint = 2, meanfup = 2.07),
  list(csrsquared = 0.12, parameters = 10, rate = 0.2, timepoint = 3, meanfup = 4),
  list(csrsquared = 0.03, parameters = 8, rate = 0.05, timepoint = 5, meanfup = 5.2),
  list(csrsquared = 0.2, parameters = 6, rate = 0.04, timepoint = 1, meanfup = 1.5),
  list(csrsquared = 0.08, parameters = 12, rate = 0.1, timepoint = 5, meanfup = 3, shrinkage = 0.95),
  list(nagrsquared = 0.25, parameters = 10, rate = 0.08, timepoint = 5, meanfup = 4)
)
out <- lapply(cases, function(a) {
  r <- do.call(pmsampsize, c(list(type = "s"), a))
  list(input = a, sample_size = r$sample_size, final_shrinkage = r$final_shrinkage,
       r2a = r$r2a, max_r2a = r$max_r2a, nag_r2 = r$nag_r2, events = r$events,
       table_n = unname(r$results_table[, "Samp_size"]),
       table_shrinkage = unname(r$results_table[, "Shrinkage"]),
       int_uci = r$int_uci, int_lci = r$int_lci, int_cuminc = r$int_cuminc)
})
write_json(list(cases = out, r_version = R.version.string,
                pmsampsize = as.character(packageVersion("pmsampsize"))),
           "outputs/pmsampsize_survival.json", digits = NA, auto_unbox = TRUE)
