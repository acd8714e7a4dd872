"""CTC-guided trial designs and "how many must we screen?" by simulation.

Interventional CTC trials randomise only the patients whose count qualifies them, so the
number to screen is the number to randomise divided by a chain of fractions: screening
prevalence (count above the threshold; not a filter when every screened patient is
randomised and the count only guides treatment, as in STIC CTC) × retest compliance (a
follow-up draw was taken) ×
persistence (still above the threshold at the retest, where the design retests) × the
fraction randomised (eligible and consenting). The trial designs live in
``ctcstats/trials/data/<key>.toml`` (SWOG S0500's randomised part, STIC CTC, DETECT III,
Treat CTC, CirCe01); each number carries its provenance exactly as the prognostic designs do
(``{value, status = "published", source}`` or ``{value, status = "assumption", reason}``), and
only numbers found in the project's compiled sources are published — for several of these
trials none was, and every number is a labelled assumption.

:func:`simulate_trial_power` draws, for a given number screened, the binomial attrition chain,
then the randomised trial (uniform accrual, exponential event times with the control median
and the design's hazard ratio, analysis after the follow-up), and fits every replicate's Cox
model at once on the batch engine; the trial succeeds when the hazard ratio is significantly
below 1 (superiority, two-sided ``alpha``) or when the upper limit of its ``conf_level`` CI
is below the margin (non-inferiority). :func:`screening_size` searches the number to screen.
"""

from __future__ import annotations

import math
import tomllib
import warnings
from dataclasses import dataclass, field
from importlib import resources
from typing import Any, ClassVar

import numpy as np
import pandas as pd
from scipy import stats

from .._results import Result, result
from .._typing import RandomState
from .._validation import check_int, check_real, check_rng
from ..errors import DataValidationError, DataWarning, ParameterError

__all__ = [
    "TrialDesign",
    "TrialPowerResult",
    "ScreeningSizeResult",
    "get_trial_design",
    "list_trial_designs",
    "screening_size",
    "simulate_trial",
    "simulate_trial_power",
]

_NUMBER_FIELDS = {
    "screening": ("threshold", "prevalence", "retest_compliance", "persistence",
                  "randomised_fraction"),
    "trial": ("hr", "hr_ci", "margin", "conf_level", "alpha", "control_median_months",
              "experimental_median_months", "accrual_months", "follow_up_months",
              "allocation"),
}
_DEFAULTS = {"screening.persistence": 1.0, "screening.retest_compliance": 1.0,
             "trial.alpha": 0.05, "trial.conf_level": 0.90, "trial.allocation": 0.5}


@dataclass(frozen=True)
class TrialDesign:
    """A randomised CTC-guided trial: screening chain, effect and analysis (see module notes).

    ``values`` maps ``section.field`` to the number; ``provenance`` to ``(status, source or
    reason)``; ``question`` is ``"superiority"`` or ``"noninferiority"``.
    """

    key: str
    title: str
    question: str
    citation: dict = field(repr=False)
    setting: dict = field(repr=False)
    values: dict = field(repr=False)
    provenance: dict = field(repr=False)
    not_found: tuple[str, ...] = ()

    def value(self, name: str) -> Any:
        if name in self.values:
            return self.values[name]
        return _DEFAULTS[name]

    def numbers(self) -> pd.DataFrame:
        """Every number with ``field, value, status, source, reason``."""
        rows = []
        for name, v in self.values.items():
            status, text = self.provenance[name]
            rows.append({"field": name, "value": v, "status": status,
                         "source": text if status == "published" else "",
                         "reason": text if status != "published" else ""})
        return pd.DataFrame(rows, columns=["field", "value", "status", "source", "reason"])

    @property
    def randomises(self) -> str:
        """``"positive"``: only marker-positive patients are randomised (the count is an
        eligibility filter); ``"all"``: every screened patient is randomised and the count
        only guides treatment within an arm (STIC CTC)."""
        return str(self.setting.get("randomises", "positive"))

    @property
    def screening_yield(self) -> float:
        """Expected fraction of the screened who are randomised (the product of the chain;
        without the prevalence when every screened patient is randomised)."""
        chain = ["retest_compliance", "persistence", "randomised_fraction"]
        if self.randomises == "positive":
            chain.insert(0, "prevalence")
        return float(np.prod([self.value(f"screening.{f}") for f in chain]))


def _parse(text: str, name: str) -> TrialDesign:
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise DataValidationError(f"trial design {name}: not valid TOML ({exc}).") from None
    values, prov = {}, {}
    for section, names in _NUMBER_FIELDS.items():
        block = raw.get(section, {})
        for k, entry in block.items():
            if k == "endpoint":
                continue
            if k not in names:
                raise DataValidationError(
                    f"trial design {name}: unknown field {section}.{k}; known: {names}.")
            if not isinstance(entry, dict) or "value" not in entry or "status" not in entry:
                raise DataValidationError(
                    f"trial design {name}: {section}.{k} must be {{value, status, source|"
                    "reason}}.")
            status = entry["status"]
            if status == "published" and "source" not in entry:
                raise DataValidationError(f"trial design {name}: published {section}.{k} "
                                          "needs a source.")
            if status == "assumption" and "reason" not in entry:
                raise DataValidationError(f"trial design {name}: assumption {section}.{k} "
                                          "needs a reason.")
            if status not in ("published", "assumption"):
                raise DataValidationError(f"trial design {name}: {section}.{k} has status "
                                          f"{status!r} (published or assumption).")
            values[f"{section}.{k}"] = entry["value"]
            prov[f"{section}.{k}"] = (status, entry.get("source", entry.get("reason", "")))
    for nf in raw.get("not_found", []):
        if nf in prov and prov[nf][0] == "published":
            raise DataValidationError(f"trial design {name}: {nf} is listed as not found but "
                                      "marked published.")
    question = raw.get("setting", {}).get("question", "superiority")
    if raw.get("setting", {}).get("randomises", "positive") not in ("positive", "all"):
        raise DataValidationError(f"trial design {name}: setting.randomises must be "
                                  "'positive' or 'all'.")
    if question == "noninferiority" and "trial.margin" not in values:
        raise DataValidationError(f"trial design {name}: a non-inferiority design needs "
                                  "trial.margin.")
    return TrialDesign(key=raw["key"], title=raw["title"], question=question,
                       citation=raw.get("citation", {}), setting=raw.get("setting", {}),
                       values=values, provenance=prov,
                       not_found=tuple(raw.get("not_found", [])))


def _files() -> dict[str, str]:
    root = resources.files("ctcstats.trials") / "data"
    return {e.name.removesuffix(".toml"): e.read_text(encoding="utf-8")
            for e in root.iterdir() if e.name.endswith(".toml")}


def get_trial_design(key: str | TrialDesign) -> TrialDesign:
    """The registered trial design ``key`` (e.g. ``"stic_ctc"``); a TrialDesign passes through."""
    if isinstance(key, TrialDesign):
        return key
    files = _files()
    if key not in files:
        raise ParameterError(
            f"unknown trial design {key!r}; registered: {', '.join(sorted(files))}.")
    return _parse(files[key], key)


def list_trial_designs() -> pd.DataFrame:
    """One row per registered trial design.

    Columns ``key, title, question, endpoint, prevalence, screening_yield, hr, n_published,
    n_assumptions`` (``screening_yield`` = the product of the screening chain).
    """
    rows = []
    for key in sorted(_files()):
        d = get_trial_design(key)
        st = [s for s, _ in d.provenance.values()]
        rows.append({"key": key, "title": d.title, "question": d.question,
                     "endpoint": _endpoint(key),
                     "prevalence": d.value("screening.prevalence"),
                     "screening_yield": d.screening_yield, "hr": d.value("trial.hr"),
                     "n_published": st.count("published"),
                     "n_assumptions": st.count("assumption")})
    return pd.DataFrame(rows)


def _endpoint(key: str) -> str:
    return str(tomllib.loads(_files()[key]).get("trial", {}).get("endpoint", ""))


# =========================================================================== simulation
@result
class TrialPowerResult(Result):
    """Power of a CTC-guided trial for a number screened (see :func:`simulate_trial_power`).

    ``power`` with its Clopper–Pearson ``ci_lower, ci_upper``; ``expected_randomised``
    (n_screened × screening yield); ``replicates`` has ``replicate, n_positive, n_retested,
    n_eligible, n_randomised, n_events, log_hr, std_error, ci_upper, p_value, success``
    (``n_retested`` counts the retested among the positives, or among everyone screened when
    the design randomises all).
    """

    _title: ClassVar[str] = "Power of a CTC-guided trial (screening attrition simulated)"

    design: str
    question: str
    n_screened: int
    expected_randomised: float
    mean_randomised: float
    mean_events: float
    power: float
    ci_lower: float
    ci_upper: float
    n_sim: int
    replicates: pd.DataFrame
    warnings: tuple[str, ...] = ()

    def _summary_frames(self) -> list[tuple[str, pd.DataFrame]]:
        return [("replicates", self.replicates.head(10))]


def _draw_trials(g, d: TrialDesign, n_screened: int, n_sim: int, hr: float):
    v = d.value
    pos = g.binomial(n_screened, v("screening.prevalence"), n_sim)
    eligible = pos if d.randomises == "positive" else np.full(n_sim, n_screened)
    ret = g.binomial(eligible, v("screening.retest_compliance"))
    eli = g.binomial(ret, v("screening.persistence"))
    rnd = g.binomial(eli, v("screening.randomised_fraction"))
    lam0 = math.log(2.0) / v("trial.control_median_months")
    acc, fu = v("trial.accrual_months"), v("trial.follow_up_months")
    times, events, xs = [], [], []
    for m in rnd:
        arm = (g.random(m) < v("trial.allocation")).astype(float)
        t = g.exponential(1.0, m) / (lam0 * np.where(arm == 1, hr, 1.0))
        entry = g.uniform(0.0, acc, m)
        admin = acc + fu - entry
        times.append(np.minimum(t, admin))
        events.append((t <= admin).astype(float))
        xs.append(arm[:, None])
    return pos, ret, eli, rnd, times, events, xs


def simulate_trial_power(
    design: str | TrialDesign,
    *,
    n_screened: int,
    n_sim: int = 500,
    hr: float | None = None,
    rng: RandomState = None,
) -> TrialPowerResult:
    """Power of the trial when ``n_screened`` patients are screened (attrition simulated).

    Parameters
    ----------
    design : str or TrialDesign
        A key of :func:`list_trial_designs` or a design.
    n_screened : int
        Patients screened (CTC drawn at baseline).
    n_sim : int, default 500
    hr : float, optional
        Hazard ratio (experimental vs control) to simulate instead of the design's.
    rng : int, Generator or None

    Returns
    -------
    TrialPowerResult

    Examples
    --------
    >>> from ctcstats.trials import simulate_trial_power
    >>> res = simulate_trial_power("detect3", n_screened=1500, n_sim=40, rng=1)
    >>> 0.0 <= res.power <= 1.0 and res.expected_randomised == 1500 * 0.15 * 0.8
    True
    """
    from ..batch.cox import batch_cox_arrays

    func = "simulate_trial_power"
    d = get_trial_design(design)
    n_scr = check_int(n_screened, name="n_screened", func=func, minimum=1)
    ns = check_int(n_sim, name="n_sim", func=func, minimum=2)
    h = float(d.value("trial.hr")) if hr is None else check_real(
        hr, name="hr", func=func, low=0.0, low_inclusive=False)
    g = check_rng(rng)
    pos, ret, eli, rnd, times, events, xs = _draw_trials(g, d, n_scr, ns, h)
    n_ev = np.array([e.sum() for e in events])
    ok = (rnd >= 4) & (n_ev >= 2)
    for i in np.flatnonzero(ok):
        x = xs[i][:, 0]
        ok[i] = bool(x.min() < x.max())
    log_hr = np.full(ns, np.nan)
    se = np.full(ns, np.nan)
    idx = np.flatnonzero(ok)
    if idx.size:
        fit = batch_cox_arrays([times[i] for i in idx], [events[i] for i in idx],
                               [xs[i] for i in idx])
        log_hr[idx] = np.asarray(fit.coef)[:, 0]
        se[idx] = np.asarray(fit.std_error)[:, 0]
    if d.question == "noninferiority":
        cl = float(d.value("trial.conf_level"))
        upper = np.exp(log_hr + stats.norm.ppf(0.5 + cl / 2) * se)
        success = upper < float(d.value("trial.margin"))
        p = stats.norm.cdf((log_hr - np.log(float(d.value("trial.margin")))) / se)
    else:
        alpha = float(d.value("trial.alpha"))
        upper = np.exp(log_hr + stats.norm.ppf(1 - alpha / 2) * se)
        p = 2 * stats.norm.sf(np.abs(log_hr / se))
        success = (p < alpha) & (log_hr < 0)
    success = np.where(ok, success, False)
    k = int(success.sum())
    lo = float(stats.beta.ppf(0.025, k, ns - k + 1)) if k > 0 else 0.0
    hi = float(stats.beta.ppf(0.975, k + 1, ns - k)) if k < ns else 1.0
    reps = pd.DataFrame({
        "replicate": np.arange(ns), "n_positive": pos, "n_retested": ret, "n_eligible": eli,
        "n_randomised": rnd, "n_events": n_ev.astype(int), "log_hr": log_hr,
        "std_error": se, "ci_upper": upper, "p_value": p, "success": success})
    msgs = []
    if (~ok).any():
        msgs.append(f"{int((~ok).sum())} of {ns} simulated trials randomised too few patients "
                    "(or had < 2 events) to fit the Cox model; they count as failures.")
        warnings.warn(msgs[-1], DataWarning, stacklevel=2)
    return TrialPowerResult(
        design=d.key, question=d.question, n_screened=n_scr,
        expected_randomised=n_scr * d.screening_yield, mean_randomised=float(rnd.mean()),
        mean_events=float(n_ev.mean()), power=k / ns, ci_lower=lo, ci_upper=hi, n_sim=ns,
        replicates=reps, warnings=tuple(msgs))


@result
class ScreeningSizeResult(Result):
    """How many must be screened (see :func:`screening_size`).

    ``table``: ``n_screened, expected_randomised, mean_events, power, ci_lower, ci_upper``
    per candidate; ``n_screened`` the smallest candidate reaching ``target_power`` (-1 if
    none), ``expected_randomised`` for it, ``screening_yield`` of the design.
    """

    _title: ClassVar[str] = "How many must we screen? (simulation)"

    design: str
    target_power: float
    n_screened: int
    expected_randomised: float
    screening_yield: float
    table: pd.DataFrame
    n_sim: int
    warnings: tuple[str, ...] = ()


def screening_size(
    design: str | TrialDesign,
    *,
    target_power: float = 0.8,
    n_grid: tuple[int, ...] | None = None,
    n_sim: int = 400,
    hr: float | None = None,
    rng: RandomState = None,
) -> ScreeningSizeResult:
    """The number of patients to screen for ``target_power`` (simulated over ``n_grid``).

    ``n_grid`` defaults to numbers screened that randomise about 100–1600 patients
    (100 · 2^k / screening yield). Each candidate is simulated with its own seed drawn from
    ``rng``.

    Examples
    --------
    >>> from ctcstats.trials import screening_size
    >>> res = screening_size("swog_s0500", n_grid=(1000, 4000), n_sim=30, rng=2)
    >>> list(res.table["n_screened"])
    [1000, 4000]
    """
    func = "screening_size"
    d = get_trial_design(design)
    tp = check_real(target_power, name="target_power", func=func, low=0.0, high=1.0,
                    low_inclusive=False, high_inclusive=False)
    y = d.screening_yield
    grid = (tuple(int(math.ceil(100 * 2**k / y)) for k in range(5)) if n_grid is None
            else tuple(check_int(v, name="n_grid", func=func, minimum=1) for v in n_grid))
    g = check_rng(rng)
    rows: list = []
    msgs: list[str] = []
    for n in grid:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DataWarning)  # recorded below, issued once
            r = simulate_trial_power(d, n_screened=n, n_sim=n_sim, hr=hr,
                                     rng=int(g.integers(2**31 - 1)))
        rows.append({"n_screened": n, "expected_randomised": r.expected_randomised,
                     "mean_events": r.mean_events, "power": r.power,
                     "ci_lower": r.ci_lower, "ci_upper": r.ci_upper})
        msgs.extend(r.warnings)
    table = pd.DataFrame(rows)
    for m in dict.fromkeys(msgs):
        warnings.warn(m, DataWarning, stacklevel=2)
    hit = table.loc[table["power"] >= tp, "n_screened"]
    n_best = int(hit.iloc[0]) if len(hit) else -1
    return ScreeningSizeResult(
        design=d.key, target_power=tp, n_screened=n_best,
        expected_randomised=n_best * y if n_best > 0 else float("nan"), screening_yield=y,
        table=table, n_sim=int(n_sim), warnings=tuple(dict.fromkeys(msgs)))


# =========================================================================== patient level
def simulate_trial(
    design: str | TrialDesign,
    *,
    n_screened: int,
    hr_negative: float | None = None,
    rng: RandomState = None,
) -> pd.DataFrame:
    """One simulated trial, patient by patient: the screening chain and the randomised outcome.

    Parameters
    ----------
    design : str or TrialDesign
    n_screened : int
    hr_negative : float, optional
        Hazard ratio (experimental vs control) among marker-negative randomised patients, for
        designs that randomise everyone (``randomises = "all"``, e.g. STIC CTC); default the
        design's HR (no interaction). Lets :func:`marker_treatment_interaction` and
        :func:`stepp` be tried on a trial design.
    rng : int, Generator or None

    Returns
    -------
    DataFrame
        One row per screened patient: ``patient_id``, ``ctc_positive`` (0/1), ``retested``,
        ``eligible``, ``randomised`` (bool), ``arm`` (0 control / 1 experimental, -1 when not
        randomised), ``<endpoint>_months`` and ``<endpoint>_event`` (NaN when not
        randomised). Same design, n and seed give the same frame.

    Examples
    --------
    >>> from ctcstats.trials import simulate_trial
    >>> df = simulate_trial("stic_ctc", n_screened=200, rng=1)
    >>> int(df["randomised"].sum()) > 150 and {"pfs_months", "pfs_event"} <= set(df.columns)
    True
    """
    func = "simulate_trial"
    d = get_trial_design(design)
    n = check_int(n_screened, name="n_screened", func=func, minimum=1)
    g = check_rng(rng)
    v = d.value
    hr = float(v("trial.hr"))
    hr_neg = hr if hr_negative is None else check_real(
        hr_negative, name="hr_negative", func=func, low=0.0, low_inclusive=False)
    pos = g.random(n) < v("screening.prevalence")
    eligible_pool = pos if d.randomises == "positive" else np.ones(n, bool)
    retested = eligible_pool & (g.random(n) < v("screening.retest_compliance"))
    eligible = retested & (g.random(n) < v("screening.persistence"))
    randomised = eligible & (g.random(n) < v("screening.randomised_fraction"))
    arm = np.where(randomised, (g.random(n) < v("trial.allocation")).astype(int), -1)
    lam0 = math.log(2.0) / v("trial.control_median_months")
    effect = np.where(arm == 1, np.where(pos, hr, hr_neg), 1.0)
    t = g.exponential(1.0, n) / (lam0 * effect)
    admin = v("trial.accrual_months") + v("trial.follow_up_months") - g.uniform(
        0.0, v("trial.accrual_months"), n)
    ep = _endpoint(d.key) or "outcome"
    months = np.where(randomised, np.minimum(t, admin), np.nan)
    ev = np.where(randomised, (t <= admin).astype(float), np.nan)
    return pd.DataFrame({
        "patient_id": np.arange(1, n + 1), "ctc_positive": pos.astype(int),
        "retested": retested, "eligible": eligible, "randomised": randomised, "arm": arm,
        f"{ep}_months": months, f"{ep}_event": ev})
