"""Seeded inputs for the longitudinal (count mixed model / joint model) references.

Run from the repository root: ``python tests/reference/longitudinal/make_inputs.py``. Writes
``tests/reference/longitudinal/inputs/``:

* ``draws_nb.csv`` / ``patients_nb.csv``: 150 patients from
  :func:`ctcstats.longitudinal.simulate_joint` (negative-binomial sampling, theta = 2), with
  the blood volume of each draw redrawn uniformly in 5–10 mL and the count resampled from the
  latent concentration, so that the exposure varies between draws.
* ``draws_pois.csv`` / ``patients_pois.csv``: 200 patients, Poisson sampling in 7.5 mL
  (the joint-model reference data).

The real data sets (``MASS::epil``, ``glmmTMB::Salamanders``) are exported by
``export_data.R``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ctcstats.longitudinal import simulate_joint

OUT = Path(__file__).resolve().parent / "inputs"


def main() -> None:
    OUT.mkdir(exist_ok=True)
    sim = simulate_joint(n=150, kind="negbin", theta=2.0, draw_jitter=0.2, rng=20240518)
    d = sim.draws.copy()
    g = np.random.default_rng(7)
    d["blood_volume_ml"] = np.round(g.uniform(5.0, 10.0, len(d)), 2)
    mu = d["blood_volume_ml"].to_numpy() * np.exp(d["true_log_concentration"].to_numpy())
    d["ctc_count"] = g.negative_binomial(2.0, 2.0 / (2.0 + mu))
    d.drop(columns="true_log_concentration").to_csv(OUT / "draws_nb.csv", index=False)
    sim.patients.to_csv(OUT / "patients_nb.csv", index=False)
    sim2 = simulate_joint(n=200, kind="poisson", draw_jitter=0.2, rng=20240519)
    sim2.draws.drop(columns="true_log_concentration").to_csv(OUT / "draws_pois.csv",
                                                              index=False)
    sim2.patients.to_csv(OUT / "patients_pois.csv", index=False)


if __name__ == "__main__":
    main()
