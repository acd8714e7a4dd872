"""Every figure of ctcstats: Axes in (``ax=None`` creates one), Axes out; nothing computed here.

matplotlib is imported lazily inside each function so that importing ctcstats stays cheap
and never touches pyplot state. Submodules are split by procedure (survival, counts, ...).

seaborn draws the figures of raw data where it is the natural tool: the distribution of the
counts by group, the counts against a clinical factor and the serial counts per patient
(:mod:`ctcstats.plotting.distributions`, also the imputed-value densities and the
per-patient concentrations of ``missing`` and ``longitudinal``): it groups, normalises per
group and colours by a column from a long table in one call. The figures of fitted results
(survival curves with risk tables, forest plots, rootograms, calibration, decision curves)
are plain matplotlib: they draw precomputed tables with artists the tests identify by gid,
which seaborn's statistical layer would only get in the way of.
"""

from .distributions import plot_count_by_factor, plot_count_distribution, plot_serial_counts

__all__ = ["plot_count_distribution", "plot_count_by_factor", "plot_serial_counts"]
