"""The report's "Relapse sites" section: present only when the spec names a relapse-site
column (spec field relapse_site_col, CLI --relapse-site-col), numbers equal to the public
functions, clear errors."""

from __future__ import annotations

import html as html_mod
import re

import numpy as np
import pytest

import ctcstats as cs
from ctcstats.cli import main
from ctcstats.errors import DataValidationError
from ctcstats.multistate import add_relapse_sites
from ctcstats.report import SpecError, build_report, spec_from_dict

ENDPOINTS = [{"name": "dfs", "time_col": "dfs_months", "event_col": "dfs_event"},
             {"name": "os", "time_col": "os_months", "event_col": "os_event"}]


@pytest.fixture(scope="module")
def cohort():
    return add_relapse_sites(cs.simulate_cohort("braun2005", n=500, rng=3), rng=4)


def _spec(**kw):
    return spec_from_dict({"marker_col": "dtc_positive", "marker_label": "DTC",
                           "endpoints": ENDPOINTS, "horizons": [24, 60],
                           "analyses": {"prognostic": False}, **kw})


def _section(html: str) -> str:
    i = html.index('id="relapse-sites"')
    seg = html[i:html.index("</section>", i)]
    seg = re.sub(r"<svg.*?</svg>", "[SVG]", seg, flags=re.S)
    return re.sub(r"\s+", " ", html_mod.unescape(re.sub(r"<[^>]+>", " ", seg)))


@pytest.fixture(scope="module")
def html(cohort):
    return build_report(cohort, _spec(relapse_site_col="relapse_site"))


def test_section_only_with_the_spec_field(cohort, html):
    assert "7.1 Relapse sites" in html
    without = build_report(cohort, _spec())
    assert 'id="relapse-sites"' not in without


def test_section_numbers_are_the_public_functions(cohort, html):
    text = _section(html)
    assert text.count("[SVG]") == 2  # stacked incidence and state probabilities
    code = cohort["first_event"].to_numpy()
    # first-event counts by site (all patients)
    n_bone = int((cohort["relapse_site"] == "bone").sum())
    assert re.search(rf"bone \d+ \([\d.]+%\) \d+ \([\d.]+%\) {n_bone} \(", text)
    labels = {1: "bone", 2: "local", 3: "other_distant", 4: "death / other first event"}
    remap = {2: 1, 1: 2, 3: 3, 4: 4}  # add_relapse_sites codes: 1 local, 2 bone
    fr = cohort.assign(ev=np.vectorize(lambda c: remap.get(c, 0))(code),
                       grp=np.where(cohort["dtc_positive"] == 1, "DTC positive",
                                    "DTC negative"))
    ci = cs.competing_incidence(fr, time_col="dfs_months", event_col="ev",
                                cause_labels=labels, group_col="grp")
    p_bone = ci.gray_tests.set_index("cause").loc["bone", "p_value"]
    at = ci.at(60).set_index(["cause", "group"])
    cif = at.loc[("bone", "DTC positive"), "cif"]
    assert f"{100 * cif:.1f} (" in text
    assert ("< 0.001" if p_bone < 0.001 else f"{p_bone:.3f}"[:4]) in text
    assert "cause-specific HR" in text and "subdistribution HR" in text
    assert "Expected time in each state during the first 60 months" in text
    assert "relapse: bone" in text


def test_cli_flag(tmp_path, cohort):
    p = tmp_path / "c.csv"
    cohort.to_csv(p, index=False)
    out = tmp_path / "r.html"
    rc = main(["report", str(p), "--time-col", "dfs_months", "--event-col", "dfs_event",
               "--marker-col", "dtc_positive", "--relapse-site-col", "relapse_site",
               "--quiet", "--out", str(out)])
    assert rc == 0
    assert "Relapse sites" in out.read_text(encoding="utf-8")


def test_spec_round_trip_and_errors():
    s = _spec(relapse_site_col="relapse_site", relapse_endpoint="dfs")
    assert 'relapse_site_col = "relapse_site"' in s.to_toml()
    with pytest.raises(SpecError, match="'relapse_endpoint' needs relapse_site_col"):
        _spec(relapse_endpoint="dfs")
    with pytest.raises(SpecError, match=r"'relapse_endpoint' must name an endpoint \(dfs, os\)"):
        _spec(relapse_site_col="relapse_site", relapse_endpoint="ddfs")
    with pytest.raises(SpecError, match="'relapse_site_col' must not be the marker"):
        _spec(relapse_site_col="dtc_positive")


def test_data_errors(cohort):
    with pytest.raises(DataValidationError, match="relapse_site_col 'site' is not a column"):
        build_report(cohort, _spec(relapse_site_col="site"))
    bad = cohort.copy()
    i = bad.index[bad["dfs_event"] == 0][0]
    bad.loc[i, "relapse_site"] = "bone"
    with pytest.raises(DataValidationError, match="names a relapse site for 1 patients whose "
                       "dfs event indicator 'dfs_event' is 0"):
        build_report(bad, _spec(relapse_site_col="relapse_site"))
