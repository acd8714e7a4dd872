# R reference for ctcstats.marker_table: Table-1 tests by marker status and logistic regression.
# Run from tests/reference/marker_table/:  Rscript marker_table.R
suppressPackageStartupMessages(library(jsonlite))
dir.create("outputs", showWarnings = FALSE)

q7 <- function(v) as.numeric(quantile(v, c(0.25, 0.5, 0.75), na.rm = TRUE, type = 7))
smd_cont <- function(v, g) {
  l <- levels(g); a <- v[g == l[1]]; b <- v[g == l[2]]
  abs(mean(a, na.rm = TRUE) - mean(b, na.rm = TRUE)) /
    sqrt((var(a, na.rm = TRUE) + var(b, na.rm = TRUE)) / 2)
}
smd_cat <- function(v, g) {  # Yang & Dalton (2012), as R tableone
  tab <- table(v, g)
  p <- sweep(tab, 2, colSums(tab), "/")
  p1 <- p[-1, 1]; p2 <- p[-1, 2]
  cov_of <- function(pp) { S <- -outer(pp, pp); diag(S) <- pp * (1 - pp); S }
  S <- (cov_of(p1) + cov_of(p2)) / 2
  d <- p1 - p2
  sqrt(as.numeric(t(d) %*% solve(S) %*% d))
}
cont <- function(v, g) {
  ok <- !is.na(v)
  v <- v[ok]; g <- droplevels(g[ok])
  out <- list(n = length(v), mean = mean(v), sd = sd(v), q = q7(v),
              group_mean = as.numeric(tapply(v, g, mean)), group_sd = as.numeric(tapply(v, g, sd)),
              group_q1 = as.numeric(tapply(v, g, function(z) q7(z)[1])),
              group_median = as.numeric(tapply(v, g, median)),
              group_q3 = as.numeric(tapply(v, g, function(z) q7(z)[3])))
  if (nlevels(g) == 2) {
    tt <- t.test(v ~ g, var.equal = TRUE)
    wt <- wilcox.test(v ~ g, exact = FALSE, correct = TRUE)
    out$t_statistic <- unname(tt$statistic); out$t_p <- tt$p.value
    out$w_statistic <- unname(wt$statistic); out$w_p <- wt$p.value
    out$smd <- smd_cont(v, g)
  }
  ow <- oneway.test(v ~ g, var.equal = TRUE)
  av <- summary(aov(v ~ g))[[1]]
  kt <- kruskal.test(v ~ g)
  out$anova_f <- unname(ow$statistic); out$anova_p <- ow$p.value
  out$aov_p <- av[["Pr(>F)"]][1]
  out$kruskal_statistic <- unname(kt$statistic); out$kruskal_p <- kt$p.value
  out
}
categ <- function(v, g, ordered = FALSE) {
  ok <- !is.na(v)
  v <- factor(v[ok]); g <- droplevels(g[ok])
  tab <- table(v, g)
  cs <- suppressWarnings(chisq.test(tab))  # correct = TRUE (Yates for 2x2 only)
  out <- list(levels = rownames(tab), counts = as.numeric(tab), n = sum(tab),
              chisq_statistic = unname(cs$statistic), chisq_p = cs$p.value,
              chisq_df = unname(cs$parameter),
              expected_min = min(cs$expected), fisher_p = fisher.test(tab)$p.value)
  if (nlevels(g) == 2) {
    out$smd <- smd_cat(v, g)
    if (ordered) {
      pt <- prop.trend.test(tab[, 2], rowSums(tab))
      out$trend_statistic <- unname(pt$statistic); out$trend_p <- pt$p.value
    }
  }
  out
}

d <- read.csv("inputs/cohort.csv", stringsAsFactors = FALSE, na.strings = c("", "NA"))
d$ctc_positive <- as.integer(as.logical(d$ctc_positive))  # CSV holds True/False
res <- list()
for (mk in c("ctc_positive", "ctc_group")) {
  g <- factor(d[[mk]])
  res[[mk]] <- list(
    group_levels = levels(g), group_n = as.numeric(table(g)),
    age = cont(d$age, g), tumor_size_cm = cont(d$tumor_size_cm, g),
    grade = categ(d$grade, g, ordered = TRUE), node_positive = categ(d$node_positive, g),
    hr_status = categ(d$hr_status, g), histology = categ(d$histology, g),
    her2_positive = categ(d$her2_positive, g)
  )
}
# epsilon = 1e-12: R reports standard errors from the weights of the last IRLS iteration's
# start, so at the default 1e-8 they differ from those at the MLE by ~1e-5 relative.
fit <- glm(ctc_positive ~ age + tumor_size_cm + node_positive + hr_status,
           family = binomial, data = d,
           control = glm.control(epsilon = 1e-12, maxit = 100))
s <- summary(fit)$coefficients
res$glm <- list(terms = rownames(s), coef = s[, 1], se = s[, 2], z = s[, 3], p = s[, 4],
                ci = confint.default(fit), loglik = as.numeric(logLik(fit)), aic = AIC(fit),
                n = nobs(fit))
write_json(res, "outputs/cohort.json", digits = NA, auto_unbox = TRUE)

g2 <- read.csv("inputs/gbsg2.csv", stringsAsFactors = FALSE)
g <- factor(g2$pr_positive)
res <- list(
  group_levels = levels(g), group_n = as.numeric(table(g)),
  age = cont(g2$age, g), tsize = cont(g2$tsize, g), pnodes = cont(g2$pnodes, g),
  tgrade = categ(g2$tgrade, g, ordered = TRUE), menostat = categ(g2$menostat, g),
  horTh = categ(g2$horTh, g)
)
fit <- glm(pr_positive ~ age + menostat + tsize + tgrade + horTh, family = binomial, data = g2,
           control = glm.control(epsilon = 1e-12, maxit = 100))
s <- summary(fit)$coefficients
res$glm <- list(terms = rownames(s), coef = s[, 1], se = s[, 2], z = s[, 3], p = s[, 4],
                ci = confint.default(fit), loglik = as.numeric(logLik(fit)), aic = AIC(fit),
                n = nobs(fit))
write_json(res, "outputs/gbsg2.json", digits = NA, auto_unbox = TRUE)
