"""Benchmark: count mixed models and joint models, ctcstats against glmmTMB / GLMMadaptive /
JMbayes2 on the same data (CPU seconds, printed side by side).

Run from the repository root (not part of the test suite; needs ``Rscript`` with glmmTMB,
GLMMadaptive and JMbayes2, e.g. ``R_LIBS=/work/rlib``)::

    python benchmarks/bench_longitudinal.py [--quick]

Data: the synthetic draws of ``tests/reference/longitudinal/inputs/`` (200 patients, Poisson
counts in 7.5 mL, random intercept and slope). ctcstats is timed in this process
(``time.process_time``: CPU seconds, best of ``--repeat``); R in one ``Rscript`` run per
method (``proc.time()`` user + system of the fit only, best of the same number of repeats).
JMbayes2 is timed at its default MCMC length (3 chains of 3,500 iterations, one core).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

import ctcstats as cs

ROOT = Path(__file__).resolve().parents[1]
INPUTS = ROOT / "tests" / "reference" / "longitudinal" / "inputs"

R_CODE = r"""
suppressPackageStartupMessages({library(glmmTMB); library(GLMMadaptive); library(JMbayes2);
  library(survival); library(jsonlite)})
args <- commandArgs(TRUE); reps <- as.integer(args[2]); quick <- args[3] == "1"
d <- read.csv(file.path(args[1], "draws_pois.csv")); p <- read.csv(file.path(args[1], "patients_pois.csv"))
d <- merge(d, p, by = c("patient_id", "visceral_mets"))
cpu <- function(expr) { best <- Inf; for (k in seq_len(reps)) { t0 <- proc.time()
  force(eval.parent(substitute(expr))); t1 <- proc.time() - t0
  best <- min(best, t1[["user.self"]] + t1[["sys.self"]]) }; best }
f <- ctc_count ~ draw_months + visceral_mets + offset(log(blood_volume_ml))
res <- list(
  glmmTMB = cpu(glmmTMB(update(f, . ~ . + (draw_months | patient_id)), data = d, family = poisson())),
  GLMMadaptive = cpu(mixed_model(f, random = ~ draw_months | patient_id, data = d,
                                 family = poisson(), nAGQ = 7)))
if (!quick) {
  fm <- mixed_model(f, random = ~ draw_months | patient_id, data = d, family = poisson())
  cox <- coxph(Surv(os_months, os_event) ~ visceral_mets, data = p)
  res$JMbayes2 <- cpu(jm(cox, fm, time_var = "draw_months", cores = 1L))
}
cat(toJSON(res, auto_unbox = TRUE, digits = NA))
"""

ROLES = dict(time_col="os_months", event_col="os_event", id_col="patient_id",
             count_col="ctc_count", draw_time_col="draw_months", volume_col="blood_volume_ml")


def _cpu(fn, reps):
    best = float("inf")
    for _ in range(reps):
        t0 = time.process_time()
        fn()
        best = min(best, time.process_time() - t0)
    return best


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="skip the joint models")
    ap.add_argument("--repeat", type=int, default=3)
    a = ap.parse_args()
    d = pd.read_csv(INPUTS / "draws_pois.csv")
    p = pd.read_csv(INPUTS / "patients_pois.csv")
    mm = dict(count_col="ctc_count", id_col="patient_id", time_col="draw_months",
              volume_col="blood_volume_ml", covariates=["visceral_mets"], random="slope",
              kind="poisson")
    ours = {
        "laplace": _cpu(lambda: cs.fit_count_mixed_model(d, method="laplace", **mm), a.repeat),
        "agq": _cpu(lambda: cs.fit_count_mixed_model(d, method="agq", n_quad=7, **mm),
                    a.repeat),
    }
    if not a.quick:
        ours["joint"] = _cpu(lambda: cs.fit_joint_model(
            p, draws=d, covariates=["visceral_mets"], long_covariates=["visceral_mets"],
            random="slope", baseline="bspline", n_quad=7, **ROLES), 1)
    with tempfile.NamedTemporaryFile("w", suffix=".R", delete=False) as fh:
        fh.write(R_CODE)
    out = subprocess.run(["Rscript", fh.name, str(INPUTS), str(a.repeat),
                          "1" if a.quick else "0"], capture_output=True, text=True,
                         check=True, env=os.environ)
    r = json.loads(out.stdout.strip().splitlines()[-1])
    print(f"load average at the end: {os.getloadavg()}")
    print(f"{'model (200 patients, ' + str(len(d)) + ' draws)':52s} {'ctcstats':>10s} "
          f"{'R':>10s}  R package")
    print(f"{'Poisson GLMM, random slope, Laplace':52s} {ours['laplace']:10.2f} "
          f"{r['glmmTMB']:10.2f}  glmmTMB")
    print(f"{'Poisson GLMM, random slope, AGQ 7 points':52s} {ours['agq']:10.2f} "
          f"{r['GLMMadaptive']:10.2f}  GLMMadaptive")
    if not a.quick:
        print(f"{'joint model (ML, AGQ 7) vs JMbayes2 (MCMC)':52s} {ours['joint']:10.2f} "
              f"{r['JMbayes2']:10.2f}  JMbayes2")
    return 0


if __name__ == "__main__":
    sys.exit(main())
