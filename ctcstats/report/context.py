"""The state shared by the report sections: the validated cohort, the marker grouping,
figure numbering and the warnings met on the way."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Literal, cast

import numpy as np
import pandas as pd

from .. import data as _data
from .._validation import (
    check_event_column,
    check_time_column,
    format_labels,
    group_levels,
    is_categorical,
)
from .._warnings import call_capturing
from ..errors import DataValidationError
from ._prefetch import Prefetch
from .format import figure
from .spec import AnalysisSpec, EndpointSpec
from .units import (
    TimeUnits,
    default_horizons,
    duration,
    durations,
    resolve_time_units,
    reverse_km_median,
    time_ticks,
)

__all__ = ["ReportContext", "as_levels", "prepare_context"]


# library advice that names an API call, and how a reader of the report is told the same
_PLAIN_WORDS = {
    "consider fit_piecewise_cox (period-specific hazard ratios)":
        "consider period-specific hazard ratios (a piecewise Cox model)",
    "refit with firth=True (Firth's penalised likelihood gives finite estimates)":
        "refit with Firth's penalised likelihood, which gives finite estimates",
    "use penalizer > 0 or fit_cox(firth=True)":
        "a penalised (ridge or Firth) fit gives finite estimates",
    "(in fit_cox use firth=True)": "(Firth's penalised likelihood gives one)",
    "CoxModel.fit: ": "",
}


def plain_words(message: str) -> str:
    """*message* with the API advice of :data:`_PLAIN_WORDS` in plain terms.

    >>> plain_words("...; consider fit_piecewise_cox (period-specific hazard ratios) or x")
    '...; consider period-specific hazard ratios (a piecewise Cox model) or x'
    """
    for api, plain in _PLAIN_WORDS.items():
        message = message.replace(api, plain)
    return message


_INDICATOR = re.compile(r"^(.+)\[(.+)\]$", re.S)  # a categorical term col[level]

@dataclass
class ReportContext:
    spec: AnalysisSpec
    frame: pd.DataFrame  # analysed complete cases, private copy, derived columns added
    flow: pd.DataFrame
    n_read: int
    marker_kind: str  # "count" or "binary"
    group_col: str  # ordered categorical: negative, positive label
    term: str  # 0/1 column of marker positivity used in Cox models
    neg_label: str
    pos_label: str
    horizons: tuple[float, ...]
    cox_covariates: tuple[str, ...]
    units: TimeUnits | None = None
    time_notes: tuple[str, ...] = ()
    source: str = ""
    data_sha256: str = ""
    png: bool = False  # also draw every figure as PNG (for --format docx)
    sections_done: list[str] = field(default_factory=list)
    data: pd.DataFrame | None = None  # the input as given (never modified): for imputation
    _n_fig: int = 0
    results: dict[str, Any] = field(default_factory=dict)
    prefetch: Prefetch | None = None  # calls started early in forked children (_prefetch.py)

    # ---- helpers --------------------------------------------------------------------------
    @property
    def unit(self) -> str:
        """The time unit shown in tables and axes."""
        return self.units.display if self.units is not None else (self.spec.time_unit
                                                                   or "months")

    def time_axis(self, ax, tmax: float | None = None) -> None:
        """Label a time x axis with the unit and, given *tmax*, put round ticks on it."""
        ax.set_xlabel(f"Time ({self.unit})")
        if tmax is not None:
            from matplotlib.ticker import FixedLocator

            ax.xaxis.set_major_locator(FixedLocator(time_ticks(tmax, self.unit).tolist()))

    def term_label(self, term: str) -> str:
        """How a Cox term is labelled in the report's tables and forest plots (the one
        place): a covariate with two values a < b = a + 1 (0/1) is "col (1 vs 0)", a
        True/False one "col (True vs False)" — the hazard ratio compares the second with
        the first; any other non-constant numeric covariate "col (per 1 unit)" (its hazard
        ratio is per one unit as recorded); a categorical indicator term ``col[level]`` is
        "col: level vs reference" (the reference the first level, as the design matrix
        codes it). The marker term (its name says which group it is) and names not in the
        analysed frame are left as they are."""
        fr = self.frame
        if term == self.term:
            return term
        m = _INDICATOR.match(term)
        if term not in fr.columns and m and m.group(1) in fr.columns \
                and is_categorical(fr[m.group(1)]):
            levels = [str(v) for v in group_levels(fr[m.group(1)])]
            if m.group(2) in levels[1:]:
                return f"{m.group(1)}: {m.group(2)} vs {levels[0]}"
        if term not in fr.columns:
            return term
        col = fr[term]
        if pd.api.types.is_bool_dtype(col):
            return f"{term} (True vs False)" if col.nunique() == 2 else term
        if not pd.api.types.is_numeric_dtype(col):
            return term
        values = np.unique(col.dropna().to_numpy(float))
        if len(values) == 2 and values[1] - values[0] == 1.0:
            return f"{term} ({values[1]:g} vs {values[0]:g})"
        return f"{term} (per 1 unit)" if len(values) > 1 else term

    @property
    def marker(self) -> str:
        return self.spec.marker_label

    @property
    def threshold(self) -> int:
        return self.spec.thresholds[0]

    def run(self, messages: list[str], fn, *args, **kwargs):
        """Call *fn*, recording every warning it issues in *messages* (not re-issued), in
        the report's words (API advice such as a function name is put in plain terms)."""
        out, caught = call_capturing(fn, *args, **kwargs)
        return self.record(messages, out, caught)

    def run_prefetched(self, messages: list[str], key: str, fn, *args, **kwargs):
        """:meth:`run` for a call that may have been started early under *key*
        (:meth:`Prefetch.start <ctcstats.report._prefetch.Prefetch.start>` with the same
        call): its value and warnings are taken from the child, else it is computed here."""
        if self.prefetch is None:
            return self.run(messages, fn, *args, **kwargs)
        out, caught = self.prefetch.result(key, fn, *args, **kwargs)
        return self.record(messages, out, caught)

    def record(self, messages: list[str], out, caught):
        """``out``, its captured warnings recorded in *messages* as :meth:`run` records
        them (for a call computed with others, each kept with its warnings)."""
        for w in caught:
            msg = f"{w.category.__name__}: {plain_words(str(w.message))}"
            if msg not in messages:
                messages.append(msg)
        return out

    def figure(self, fig, caption: str, *, title: str) -> dict:
        from .svg import figure_to_svg

        self._n_fig += 1
        png = None
        if self.png:  # the Word report embeds images (Word's SVG support is partial)
            import io

            buf = io.BytesIO()
            fig.savefig(buf, format="png", dpi=150, bbox_inches="tight", pad_inches=0.08,
                        metadata={"Software": None})
            png = buf.getvalue()
        svg = figure_to_svg(fig, id_prefix=f"fig{self._n_fig}", title=title)
        out = figure(svg, f"Figure {self._n_fig}. {caption}")
        if png is not None:
            out["png"] = png
        return out

    def endpoint_frame(self, ep: EndpointSpec) -> pd.DataFrame:
        return self.frame


def _is_binary(s: pd.Series) -> bool:
    if pd.api.types.is_bool_dtype(s):
        return True
    if not pd.api.types.is_numeric_dtype(s):
        return False
    vals = set(pd.unique(s.dropna()).tolist())
    return vals <= {0, 1}


def _one_line(exc: DataValidationError) -> str:
    lines = [re.sub(r"^- ", "", ln.strip()) for ln in str(exc).splitlines() if ln.strip()]
    if len(lines) > 1 and lines[0].endswith("problem(s):"):
        return "; ".join(lines[1:])
    return " ".join(lines)


def as_levels(s: pd.Series) -> pd.Categorical:
    """A categorical covariate with readable levels: whole numbers stored as floats print as
    ``1``, ``2``, ``3`` (not ``1.0``), numeric levels sort numerically (2 before 10). Missing
    values stay missing (the section on missing covariates codes its rows with this too, so
    that its terms read as the other sections', ``grade[2]`` not ``grade[2.0]``)."""
    obs = s.notna().to_numpy()
    out = np.full(len(s), np.nan, dtype=object)
    if isinstance(s.dtype, pd.CategoricalDtype):
        labels = [str(c) for c in s.cat.categories if (s == c).any()]
        out[obs] = s[obs].astype(str).to_numpy()
    elif pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s):
        x = s.to_numpy(dtype=float, na_value=np.nan)[obs]
        vals = np.unique(x)
        whole = bool(np.all(vals == np.round(vals)))
        labels = [f"{int(v)}" if whole else f"{v:g}" for v in vals]
        lab = dict(zip(vals.tolist(), labels, strict=True))
        out[obs] = [lab[v] for v in x.tolist()]
    else:
        text = s[obs].astype(str)
        labels = sorted(text.unique())
        out[obs] = text.to_numpy()
    return pd.Categorical(out, categories=labels)


# a column that names patients (the report needs one row per patient)
_ID_NAME = re.compile(r"^(?:id|pid|patid|ptid|mrn|subjid|usubjid|patient|subject|(?:patient|pat"
                      r"|subject|case|record)[_.\s-]?(?:id|no|number))$", re.I)


def check_one_row_per_patient(data: pd.DataFrame, strata_col: str | None) -> None:
    """Refuse a table with several rows for a patient, as far as a column named as a patient
    identifier (``id``, ``patient_id``, ``USUBJID`` …) shows it (within strata when given:
    pooled studies may number their patients from 1 each). Such a table — one row per event
    type, as R's ``survival::colon`` (``etype``), or per visit — would count its patients
    several times: n, events and every standard error would be wrong."""
    for col in data.columns:
        if not _ID_NAME.match(str(col)) or col == strata_col:
            continue
        keys = [strata_col, col] if strata_col else [col]
        ids = data[keys]
        seen = ids.notna().all(axis=1).to_numpy()
        dup = seen & ids.duplicated(keep=False).to_numpy()
        if not dup.any():
            continue
        first = ids[dup].iloc[0]
        same = dup & (ids == first).all(axis=1).to_numpy()
        n_pat = int((~ids[dup].duplicated()).sum())
        within = f" within {strata_col!r}" if strata_col else ""
        raise DataValidationError(
            f"column {col!r} looks like a patient identifier and {n_pat} of its values occur "
            f"in more than one row{within} ({int(dup.sum())} rows; e.g. "
            f"{format_labels([first[col]])} in rows {format_labels(data.index[same])}): the "
            "report needs one row per patient, and "
            "several rows per patient (one per event type, as R's survival::colon with etype, "
            "or one per visit) would count patients more than once. Keep one row per patient "
            "— a time and an event column per endpoint (e.g. os_days/os_event, "
            "rfs_days/rfs_event); serial marker values go in the draws table (--draws) — or "
            "rename the column if it does not identify patients."
        )


def prepare_context(data: pd.DataFrame, spec: AnalysisSpec) -> ReportContext:
    """Check the data against the spec and build the analysed cohort.

    Raises DataValidationError (one line, naming the column) on any problem.
    """
    if not isinstance(data, pd.DataFrame):
        raise DataValidationError(
            f"data must be a pandas DataFrame; got {type(data).__name__} (read files with "
            "ctcstats.io.read_table)."
        )
    cols = set(map(str, data.columns))
    need = [("marker_col", spec.marker_col)]
    for ep in spec.endpoints:
        need += [(f"time_col of endpoint {ep.name!r}", ep.time_col),
                 (f"event_col of endpoint {ep.name!r}", ep.event_col)]
    if spec.volume_col:
        need.append(("volume_col", spec.volume_col))
    if spec.strata_col:
        need.append(("strata_col", spec.strata_col))
    need += [("covariate", c) for c in spec.covariates]
    if spec.relapse_site_col:
        need.append(("relapse_site_col", spec.relapse_site_col))
    for role, col in need:
        if col not in cols:
            shown = ", ".join(sorted(cols)[:15]) + (", …" if len(cols) > 15 else "")
            raise DataValidationError(
                f"{role} {col!r} is not a column of the data (columns: {shown})."
            )
    if data.shape[0] == 0:
        raise DataValidationError("data has no rows; the report needs at least one patient.")
    check_one_row_per_patient(data, spec.strata_col)
    binary = _is_binary(data[spec.marker_col])
    first = spec.endpoints[0]
    other_cols = []
    for ep in spec.endpoints[1:]:
        other_cols += [c for c in (ep.time_col, ep.event_col) if c not in other_cols]
    try:
        cohort = _data.validate_cohort(
            data,
            time_col=first.time_col,
            event_col=first.event_col,
            marker_col=spec.marker_col if binary else None,
            count_col=None if binary else spec.marker_col,
            volume_col=spec.volume_col,
            strata_col=spec.strata_col,
            covariates=[c for c in spec.covariates] + [c for c in other_cols
                                                      if c not in spec.covariates],
            missing=cast(Literal["raise", "drop"], spec.missing),
        )
        # the rows validate_cohort kept (complete cases of the used columns), by position:
        # the caller's row labels may repeat
        kept = ~data[list(cohort.data.columns)].isna().any(axis=1).to_numpy()
        frame = data.iloc[np.flatnonzero(kept)].copy()
        for ep in spec.endpoints[1:]:
            check_time_column(frame, ep.time_col)
            check_event_column(frame, ep.event_col)
    except DataValidationError as exc:
        raise DataValidationError(_one_line(exc)) from None
    flow = cohort.flow.copy()
    # the flow's "covariate" roles for other endpoints' columns are endpoint columns
    if binary:
        pos = frame[spec.marker_col].astype(float).to_numpy() > 0
        neg_label, pos_label = f"{spec.marker_label} negative", f"{spec.marker_label} positive"
    else:
        t = spec.thresholds[0]
        pos = frame[spec.marker_col].astype(float).to_numpy() >= t
        neg_label, pos_label = f"{spec.marker_label} < {t}", f"{spec.marker_label} ≥ {t}"
    if pos.all() or (~pos).all():
        which = "positive" if pos.all() else "negative"
        raise DataValidationError(
            f"marker_col {spec.marker_col!r}: every analysed patient is marker-{which} "
            f"({neg_label if which == 'negative' else pos_label}); the report compares two "
            "groups — check the threshold."
        )
    group_col = "marker group"
    term = pos_label
    frame[group_col] = pd.Categorical(np.where(pos, pos_label, neg_label),
                                      categories=[neg_label, pos_label], ordered=True)
    frame[term] = pos.astype(int)
    for c in spec.categorical:
        frame[c] = as_levels(frame[c])
    t1 = frame[first.time_col].to_numpy(float)
    e1 = frame[first.event_col].to_numpy(float)
    try:
        units = resolve_time_units(spec.time_unit, spec.display_unit,
                                   [ep.time_col for ep in spec.endpoints], t1, e1)
    except DataValidationError as exc:
        raise DataValidationError(_one_line(exc)) from None
    if units.factor != 1.0:
        for c in dict.fromkeys(ep.time_col for ep in spec.endpoints):
            frame[c] = frame[c].to_numpy(float) * units.factor
        t1 = t1 * units.factor
    notes = list(units.notes)
    t_last = float(t1.max())
    if spec.horizons:
        horizons = tuple(h for h in spec.horizons if h < t_last)
        beyond = [h for h in spec.horizons if h >= t_last]
        if not horizons:
            raise DataValidationError(
                f"horizons {durations(spec.horizons, units.display)} are all at or beyond "
                f"the longest follow-up of {first.time_col!r} "
                f"({duration(t_last, units.display)}); give horizons within the follow-up "
                f"(--horizons, in {units.display}) or check the time unit (--time-unit)."
            )
        if beyond:
            notes.append(f"Horizons {durations(beyond, units.display)} are beyond the "
                         f"longest follow-up ({duration(t_last, units.display)}) and are not "
                         "reported.")
    else:
        horizons = default_horizons(reverse_km_median(t1, e1), units.display, time=t1)
        horizons = tuple(h for h in horizons if h < t_last) or horizons[:1]
    return ReportContext(
        spec=spec, frame=frame, flow=flow, n_read=int(data.shape[0]),
        marker_kind="binary" if binary else "count", group_col=group_col, term=term,
        neg_label=neg_label, pos_label=pos_label, horizons=tuple(horizons),
        cox_covariates=tuple(spec.covariates), units=units, time_notes=tuple(notes),
        data=data,
    )
