"""Store the ``firthmodels`` (PyPI) Firth-Cox results as a second, independent oracle.

``firthmodels.FirthCoxPH`` implements Heinze & Schemper's penalised likelihood with Breslow
ties and no strata, so it is run on the inputs without strata (``ties_strata`` is fitted
ignoring its strata and stored as ``firthmodels_ties_nostrata``). Tight tolerances are
used so that the stored numbers are converged well below the test tolerance.
Called by ``make_inputs.py``; writes ``outputs/firthmodels_<name>.json``.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
CASES = {"coxphf_sep": "coxphf_sep", "monotone": "monotone", "rossi": "rossi",
         "ties_nostrata": "ties_strata"}


def main() -> None:
    import firthmodels
    from firthmodels import FirthCoxPH

    (HERE / "outputs").mkdir(exist_ok=True)
    for out_name, in_name in CASES.items():
        d = pd.read_csv(HERE / "inputs" / f"{in_name}.csv")
        xcols = [c for c in d.columns if c.startswith("x")]
        X = d[xcols].to_numpy(float)
        y = np.empty(len(d), dtype=[("event", bool), ("time", np.float64)])
        y["event"] = d["event"].to_numpy().astype(bool)
        y["time"] = d["time"].to_numpy(float)
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            model = FirthCoxPH(backend="numpy", max_iter=200, xtol=1e-10, gtol=1e-7,
                               max_step=0.5, max_halfstep=30).fit(X, y)
            ci = model.conf_int(alpha=0.05, method="pl", max_iter=500, tol=1e-10)
            # firthmodels' constrained (LRT) fits do not reach tolerances this tight, so
            # the LR p-values come from a fit at its default tolerances (error in the
            # constrained log-likelihood is second order: far below the test tolerance)
            lrt_model = FirthCoxPH(backend="numpy").fit(X, y).lrt()
        out = {
            "call": "FirthCoxPH(backend='numpy', max_iter=200, xtol=1e-10, gtol=1e-7, "
                    "max_step=0.5, max_halfstep=30).fit(X, y); lrt(); "
                    "conf_int(alpha=0.05, method='pl', max_iter=500, tol=1e-10); "
                    "FirthCoxPH(backend='numpy').fit(X, y).lrt()",
            "firthmodels_version": getattr(firthmodels, "__version__", "0.8.2"),
            "input": in_name,
            "covariates": xcols,
            "converged": bool(model.converged_),
            "coef": model.coef_.tolist(),
            "std_error": model.bse_.tolist(),
            "var": model._cov.tolist(),
            "loglik": float(model.loglik_),
            "ci_lower": ci[:, 0].tolist(),
            "ci_upper": ci[:, 1].tolist(),
            "lrt_p_value": lrt_model.lrt_pvalues_.tolist(),
        }
        with open(HERE / "outputs" / f"firthmodels_{out_name}.json", "w",
                  encoding="utf-8") as fh:
            json.dump(out, fh, indent=1)


if __name__ == "__main__":
    main()
