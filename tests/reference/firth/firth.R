# Independent R oracle for Firth-penalised Cox regression (Heinze & Schemper 2001).
#
# coxphf is not packaged for Debian, so the penalised log partial likelihood is evaluated
# here from survival's own Cox machinery and maximised numerically — none of the Python
# algebra (modified score, third moments) is reused:
#
#   l*(beta) = fit$loglik[2] + 0.5 * log det(solve(fit$var)),
#   fit = survival::coxph.fit(x, y, strata, init = beta, control = coxph.control(iter.max = 0),
#                             method = ties)
#
# (iter.max = 0 evaluates the partial likelihood and the inverse information at `init`).
# The maximiser is found by Newton steps solve(I, g) with g the central-difference gradient
# of l* (h = 1e-5), to |g| < 1e-8; profile penalised-likelihood limits by uniroot() on
# 2 (l*max - max_{beta_r = b} l*) = qchisq(level, 1) with tol 1e-10; penalised LR tests by
# refitting with beta_r = 0. Also: l*, l and I at fixed beta points (component check) and
# the ordinary coxph(ties = "breslow") MLE for the mle_* files.
#
# Run from tests/reference/firth: Rscript firth.R
suppressPackageStartupMessages({
  library(survival)
  library(jsonlite)
})

evalf <- function(beta, X, y, strat, ties) {
  f <- coxph.fit(X, y, strata = strat, offset = NULL, init = beta,
                 control = coxph.control(iter.max = 0), weights = NULL,
                 method = ties, rownames = NULL, resid = FALSE)
  info <- solve(f$var)
  list(lstar = f$loglik[2] + 0.5 * as.numeric(determinant(info)$modulus),
       loglik = f$loglik[2], info = info)
}

lstar <- function(beta, ...) evalf(beta, ...)$lstar

num_grad <- function(beta, free, h, ...) {
  g <- numeric(length(beta))
  for (j in which(free)) {
    bp <- beta; bm <- beta
    bp[j] <- bp[j] + h; bm[j] <- bm[j] - h
    g[j] <- (lstar(bp, ...) - lstar(bm, ...)) / (2 * h)
  }
  g
}

maximise <- function(start, free, ...) {
  beta <- start
  for (it in 1:200) {
    e <- evalf(beta, ...)
    g <- num_grad(beta, free, 1e-5, ...)
    if (max(abs(g[free])) < 1e-8) break
    step <- solve(e$info[free, free, drop = FALSE], g[free])
    step <- pmax(pmin(step, 1), -1)
    cur <- e$lstar
    for (hs in 0:30) {
      trial <- beta
      trial[free] <- beta[free] + step
      if (lstar(trial, ...) >= cur - 1e-12) break
      step <- step / 2
    }
    beta <- trial
  }
  list(beta = beta, lstar = lstar(beta, ...), iter = it)
}

profile_limit <- function(r, side, fit, V, level, ...) {
  p <- length(fit$beta)
  free <- rep(TRUE, p); free[r] <- FALSE
  target <- fit$lstar - qchisq(level, 1) / 2
  prof <- function(b) {
    start <- fit$beta + (b - fit$beta[r]) * V[, r] / V[r, r]
    start[r] <- b
    if (p == 1) return(lstar(start, ...) - target)
    maximise(start, free, ...)$lstar - target
  }
  se <- sqrt(V[r, r])
  inner <- fit$beta[r]
  step <- se * sqrt(qchisq(level, 1))
  repeat {
    outer <- inner + side * step
    if (prof(outer) < 0) break
    inner <- outer; step <- 2 * step
  }
  uniroot(prof, sort(c(inner, outer)), tol = 1e-10)$root
}

run_one <- function(name, ties, level = 0.95, extra_points = TRUE, tag = ties) {
  d <- read.csv(file.path("inputs", paste0(name, ".csv")))
  xcols <- grep("^x[0-9]+$", names(d), value = TRUE)
  X <- as.matrix(d[, xcols, drop = FALSE])
  storage.mode(X) <- "double"
  y <- Surv(as.numeric(d$time), d$event)
  strat <- if ("stratum" %in% names(d)) as.integer(factor(d$stratum)) else NULL
  # coxph.fit needs the rows sorted by stratum when strata are given
  if (!is.null(strat)) {
    o <- order(strat)
    X <- X[o, , drop = FALSE]; y <- y[o]; strat <- strat[o]
  }
  args <- list(X = X, y = y, strat = strat, ties = ties)
  p <- ncol(X)
  mx <- function(start, free) do.call(maximise, c(list(start = start, free = free), args))
  fit <- mx(rep(0, p), rep(TRUE, p))
  V <- solve(do.call(evalf, c(list(beta = fit$beta), args))$info)
  ci_lower <- ci_upper <- chisq <- numeric(p)
  for (r in seq_len(p)) {
    ci_lower[r] <- do.call(profile_limit, c(list(r = r, side = -1, fit = fit, V = V,
                                                 level = level), args))
    ci_upper[r] <- do.call(profile_limit, c(list(r = r, side = 1, fit = fit, V = V,
                                                 level = level), args))
    free <- rep(TRUE, p); free[r] <- FALSE
    start <- fit$beta - fit$beta[r] * V[, r] / V[r, r]; start[r] <- 0
    l0 <- if (p == 1) do.call(lstar, c(list(beta = start), args)) else mx(start, free)$lstar
    chisq[r] <- 2 * (fit$lstar - l0)
  }
  out <- list(
    call = sprintf("Firth Cox (%s ties) by numerical maximisation of coxph.fit loglik + 0.5 log det(I)", ties),
    ties = ties, conf_level = level,
    coef = fit$beta, var = V, std_error = sqrt(diag(V)),
    loglik = fit$lstar,
    loglik_null = do.call(lstar, c(list(beta = rep(0, p)), args)),
    ci_lower = ci_lower, ci_upper = ci_upper,
    lr_chisq = chisq, p_value = pchisq(chisq, 1, lower.tail = FALSE)
  )
  if (extra_points) {
    # fixed beta points: component check of l*, l and I (closed form given beta)
    pts <- rbind(rep(0, p), rep(0.3, p), seq(-0.5, 0.5, length.out = p))
    out$points <- lapply(seq_len(nrow(pts)), function(i) {
      e <- do.call(evalf, c(list(beta = pts[i, ]), args))
      list(beta = pts[i, ], lstar = e$lstar, loglik = e$loglik, info = e$info)
    })
  }
  write_json(out, file.path("outputs", sprintf("r_%s_%s.json", name, tag)),
             digits = NA, auto_unbox = TRUE, matrix = "rowmajor")
}

dir.create("outputs", showWarnings = FALSE)
for (name in c("coxphf_sep", "ties_strata", "monotone", "rossi", "lung")) {
  for (ties in c("breslow", "efron")) run_one(name, ties)
}
run_one("ties_strata", "breslow", level = 0.9, extra_points = FALSE, tag = "breslow_level90")

# ordinary Breslow MLE (coxph) for the Firth -> MLE comparison, and for the monotone data
for (name in c("mle_n200", "mle_n1000", "mle_n5000", "monotone")) {
  d <- read.csv(file.path("inputs", paste0(name, ".csv")))
  fit <- suppressWarnings(coxph(Surv(time, event) ~ x1 + x2, data = d, ties = "breslow"))
  write_json(list(call = "coxph(Surv(time, event) ~ x1 + x2, data = d, ties = 'breslow')",
                  coef = unname(coef(fit)), std_error = unname(sqrt(diag(vcov(fit)))),
                  loglik = fit$loglik[2], iter = fit$iter),
             file.path("outputs", sprintf("coxph_%s.json", name)), digits = NA,
             auto_unbox = TRUE)
}
# Firth fits of the mle_* files (coefficients only)
for (name in c("mle_n200", "mle_n1000", "mle_n5000")) {
  d <- read.csv(file.path("inputs", paste0(name, ".csv")))
  X <- as.matrix(d[, c("x1", "x2")]); y <- Surv(d$time, d$event)
  args <- list(X = X, y = y, strat = NULL, ties = "breslow")
  fit <- do.call(maximise, c(list(start = c(0, 0), free = c(TRUE, TRUE)), args))
  write_json(list(coef = fit$beta, loglik = fit$lstar),
             file.path("outputs", sprintf("r_%s_breslow.json", name)), digits = NA,
             auto_unbox = TRUE)
}
