"""Benchmark: the competing-risks prognostic metrics against R (riskRegression, pec, cmprsk).

Run from the repository root: ``python benchmarks/bench_competing_metrics.py [n ...]``
(default n = 1,000 and 5,000). Prints CPU seconds (``time.process_time``; R ``proc.time()``
user + system) side by side, for the same data written to a temporary CSV:

* AUC + Brier with influence-function SEs at one horizon, cause 1:
  ``competing_time_dependent_auc`` + ``competing_brier_score`` vs ``riskRegression::Score(...,
  cause = 1, metrics = c("auc", "brier"), se.fit = TRUE, conservative = FALSE)``;
* Wolbers' C truncated at the horizon: ``competing_concordance_index`` vs ``pec::cindex(...,
  cause = 1, eval.times = horizon)`` (both O(n²) over pairs);
* predicted cumulative incidence at the horizon: ``predict_cumulative_incidence`` (Fine–Gray,
  cause-specific Cox) vs ``cmprsk::crr`` + ``predict.crr`` and ``riskRegression::CSC`` +
  ``predictRisk``.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

R_SCRIPT = r"""
suppressPackageStartupMessages({library(riskRegression); library(pec); library(cmprsk);
  library(prodlim); library(survival)})
a <- commandArgs(TRUE); d <- read.csv(a[1]); h <- as.numeric(a[2])
cpu <- function(expr) { t0 <- proc.time(); force(expr); t <- proc.time() - t0; t[[1]] + t[[2]] }
w <- d[seq_len(200), ]  # warm-up: lazy loading and byte-compilation are not timed
invisible(Score(list(m = as.matrix(w$p)), Hist(time, event) ~ 1, data = w, times = h,
                cause = 1, metrics = c("auc", "brier"), se.fit = TRUE))
invisible(pec::cindex(list(m = as.matrix(w$p)), Hist(time, event) ~ 1, data = w,
                      eval.times = h, cause = 1, verbose = FALSE))
invisible(predictRisk(CSC(Hist(time, event) ~ x1 + x2, data = w), w, times = h, cause = 1))
s1 <- cpu(Score(list(m = as.matrix(d$p)), Hist(time, event) ~ 1, data = d, times = h, cause = 1,
               metrics = c("auc", "brier"), cens.model = "km", se.fit = TRUE,
               conservative = FALSE))
s2 <- cpu(pec::cindex(list(m = as.matrix(d$p)), Hist(time, event) ~ 1, data = d,
                      eval.times = h, cause = 1, cens.model = "marginal", verbose = FALSE))
X <- as.matrix(d[, c("x1", "x2")])
s3 <- cpu({f <- crr(d$time, d$event, cov1 = X, failcode = 1); predict(f, cov1 = X)})
s4 <- cpu({f <- CSC(Hist(time, event) ~ x1 + x2, data = d); predictRisk(f, d, times = h, cause = 1)})
cat(s1, s2, s3, s4, "\n")
"""


def data(n: int, rng: np.random.Generator) -> pd.DataFrame:
    x1, x2 = rng.normal(size=n), rng.integers(0, 2, n)
    t1 = rng.exponential(60 * np.exp(-(0.6 * x1 + 0.5 * x2)))
    t2 = rng.exponential(90 * np.exp(-0.4 * x2))
    c = rng.uniform(12, 120, n)
    t = np.minimum.reduce([t1, t2, c])
    ev = np.where(c <= np.minimum(t1, t2), 0, np.where(t1 <= t2, 1, 2))
    p = 1 - np.exp(-(36 / 60) * np.exp(0.6 * x1 + 0.5 * x2))
    return pd.DataFrame({"time": np.round(t, 2) + 0.01, "event": ev, "x1": np.round(x1, 4),
                         "x2": x2, "p": np.round(p, 4)})


def cpu(f) -> float:
    t0 = time.process_time()
    f()
    return time.process_time() - t0


def main(argv: list[str]) -> None:
    from ctcstats.prognostic.competing import (
        competing_brier_score,
        competing_concordance_index,
        competing_time_dependent_auc,
    )
    from ctcstats.prognostic.competing_predict import predict_cumulative_incidence

    sizes = [int(a) for a in argv] or [1000, 5000]
    h = 36.0
    kw = dict(time_col="time", event_col="event")
    w = data(300, np.random.default_rng(0))  # warm-up: imports are not timed
    competing_time_dependent_auc(w, **kw, risk_col="p", horizon=h)
    competing_concordance_index(w, **kw, risk_col="p", tau=h)
    predict_cumulative_incidence(w, **kw, covariates=["x1"], horizon=h, method="cause_specific")
    print(f"{'n':>6} {'quantity':<34} {'ctcstats s':>10} {'R s':>8} {'R / ctcstats':>12}")
    for n in sizes:
        d = data(n, np.random.default_rng(n))
        py = [
            cpu(lambda d=d: (competing_time_dependent_auc(d, **kw, risk_col="p", horizon=h),
                             competing_brier_score(d, **kw, risk_col="p", horizon=h))),
            cpu(lambda d=d: competing_concordance_index(d, **kw, risk_col="p", tau=h)),
            cpu(lambda d=d: predict_cumulative_incidence(d, **kw, covariates=["x1", "x2"],
                                                         horizon=h)),
            cpu(lambda d=d: predict_cumulative_incidence(d, **kw, covariates=["x1", "x2"],
                                                         horizon=h, method="cause_specific")),
        ]
        r = [float("nan")] * 4
        if shutil.which("Rscript"):
            with tempfile.TemporaryDirectory() as tmp:
                csv, script = Path(tmp) / "d.csv", Path(tmp) / "b.R"
                d.to_csv(csv, index=False)
                script.write_text(R_SCRIPT)
                out = subprocess.run(["Rscript", str(script), str(csv), str(h)],
                                     capture_output=True, text=True, check=True)
                r = [float(v) for v in out.stdout.split()]
        names = ["AUC + Brier with SEs (Score)", "Wolbers C (pec::cindex)",
                 "Fine–Gray fit + CIF (crr)", "cause-specific CIF (CSC)"]
        for name, a, b in zip(names, py, r, strict=True):
            print(f"{n:>6} {name:<34} {a:>10.3f} {b:>8.3f} {b / max(a, 1e-3):>12.1f}")


if __name__ == "__main__":
    main(sys.argv[1:])
