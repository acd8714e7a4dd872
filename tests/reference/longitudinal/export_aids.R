# Export JMbayes2's `aids` data (Abrams et al. 1994; ddI vs ddC in 467 HIV patients) as a real
# serial-count data set: CD4 in the data is the square root of the CD4 cell count, so CD4^2 is
# the count (integers, checked). Run: R_LIBS=/work/rlib Rscript export_aids.R
suppressPackageStartupMessages(library(JMbayes2))
d <- aids
stopifnot(all(abs(d$CD4^2 - round(d$CD4^2)) < 1e-6))
draws <- data.frame(patient = as.integer(as.character(d$patient)), obstime = d$obstime,
                    cd4_count = as.integer(round(d$CD4^2)))
p <- aids.id
patients <- data.frame(patient = as.integer(as.character(p$patient)), time = p$Time,
                       death = p$death, ddi = as.integer(p$drug == "ddI"),
                       prev_aids = as.integer(p$prevOI == "AIDS"))
write.csv(draws, "inputs/aids_draws.csv", row.names = FALSE)
write.csv(patients, "inputs/aids_patients.csv", row.names = FALSE)
cat("JMbayes2", as.character(packageVersion("JMbayes2")), "\n")
