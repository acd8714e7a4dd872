"""Two-stage random-effects models of ordinal and unordered categorical covariates for pooled
data (``impute(study_model="random")``): the discrete counterparts of :mod:`._multilevel`.

Ordinal (``ordinal``): a proportional-odds model per study with a study-specific *location*
(a shift of all cut-points) and study-specific slopes, and a *common spacing* of the
cut-points,

    P(y <= j | x, study k) = expit(a_k + d_j - x' beta_k),   d_0 = 0 < d_1 < ... < d_{J-2}.

What is random and why: (a_k, beta_k) ~ N(theta, Psi) — the location carries the
between-study differences in the level frequencies (a centre that grades more severely or
sees later stages), the slopes the heterogeneity of the associations, as every coefficient
of micemd's two-stage models. The spacing d (the shape of the latent distribution: one
grading system) is common, for three reasons: a study that lacks some levels (no grade 3
in a small centre) has no estimate of its own cut-points but still one of its location
and slopes given d — so it keeps its own model instead of being treated as systematically
missing; the between-study covariance Psi has 1 + p rather than J - 1 + p dimensions, which
6–10 studies can estimate; and the log increments are nuisance parameters of the grading,
not of the association with the other covariates. The fit:

0. d by one pooled proportional-odds fit with study indicators (location per study) over the
   studies with their own fit (:func:`._ordinal.fit_polr`); its log increments are drawn
   from their asymptotic normal (the draw that makes the imputation proper in d);
1. per study, (a_k, beta_k) by Newton–Raphson with the cut offsets fixed at the drawn d
   (score and information from :mod:`._ordinal`'s analytic derivatives, chained through
   cuts = a + d); a study needs two observed levels and more observed values than
   parameters; non-convergence or a standard error above ``MAX_SE`` (separation) means no
   fit, and the study is imputed as systematically missing (a message says so);
2. pooling and drawing as the other kinds (:func:`._multilevel.draw_studies`: multivariate
   method of moments, theta* ~ N(theta_hat, Var), study posterior or N(theta*, Psi)).

The level is then drawn from the study's model (FCS), or from it times the Cox likelihood
of the outcome (smcfcs, as every discrete covariate).

Unordered categorical (``categorical``): a baseline-category (multinomial) logit per study,
all (K - 1) equations jointly — the (K - 1)(p + 1) coefficients of a study are one vector
b_k with its full covariance (the equations' estimates are correlated through the shared
baseline), pooled by the same multivariate method of moments and drawn jointly. No
approximation by separate logistic models. A study needs every category and more observed
values than coefficients; one lacking a category has no finite estimate of that equation's
intercept (as a binary study with one level, micemd ``2l.2stage.bin``) and is imputed as
systematically missing, with a message. With many predictors Psi is large for few studies:
the method of moments still returns a positive semi-definite estimate (truncated), but the
user is better served with few predictors (the methods table and the warnings tell).

Own code (no Python library fits these models; the per-study multinomial fit is a Newton
iteration checked against statsmodels' ``MNLogit`` in the tests).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import special

from ._conditional import draw_mvn, finish_fit, fit_mlogit, sample_codes, with_intercept
from ._multilevel import TooFewStudies, draw_studies
from ._ordinal import fit_polr, polr_derivatives, polr_loglik

__all__ = ["CAT_KINDS", "StudyDrawnCat", "fit_draw_two_stage_cat", "viable_cat"]

CAT_KINDS = ("ordinal", "categorical")


@dataclass(frozen=True)
class StudyDrawnCat:
    """A discrete covariate model with study-specific drawn parameters; the design ``X``
    carries the study code (0..K-1) in its last column, as :class:`._multilevel.StudyDrawn`.

    Ordinal: ``betas`` (K, 1 + p) = (location a_k, slopes beta_k), ``offsets`` d (J - 1).
    Categorical: ``betas`` (K, (p + 1)(J - 1)), equation by equation (intercept first)."""

    kind: str
    betas: np.ndarray
    n_levels: int
    offsets: np.ndarray | None = None
    mle: np.ndarray | None = None

    def log_probs(self, X: np.ndarray, offset: np.ndarray | None = None) -> np.ndarray:
        k = X[:, -1].astype(int)
        b = self.betas[k]
        if self.kind == "ordinal":
            assert self.offsets is not None
            eta = np.einsum("ij,ij->i", X[:, :-1], b[:, 1:])
            cdf = special.expit(b[:, :1] + self.offsets[None, :] - eta[:, None])
            n = X.shape[0]
            cdf = np.column_stack([np.zeros(n), cdf, np.ones(n)])
            with np.errstate(divide="ignore"):
                return np.log(np.clip(np.diff(cdf, axis=1), 0.0, None))
        Z = with_intercept(X[:, :-1])
        eta = np.einsum("ia,iaj->ij", Z, b.reshape(len(k), Z.shape[1], -1, order="F"))
        full = np.column_stack([np.zeros(len(k)), eta])
        return full - special.logsumexp(full, axis=1, keepdims=True)

    def sample(self, X: np.ndarray, rng: np.random.Generator,
               offset: np.ndarray | None = None) -> np.ndarray:
        return sample_codes(self.log_probs(X), rng)


def viable_cat(kind: str, y_obs: np.ndarray, q: int, n_levels: int) -> bool:
    """Whether a study's observed codes can support its own fit with ``q`` coefficients
    per equation (before trying it)."""
    seen = np.unique(y_obs).size
    if kind == "ordinal":
        return bool(seen >= 2 and y_obs.size > q)
    return bool(seen == n_levels and y_obs.size > q * (n_levels - 1))


# =========================================================================== stage 1
def fit_polr_shift(y: np.ndarray, X: np.ndarray, offsets: np.ndarray, *,
                   max_iter: int = 100, tol: float = 1e-10):
    """Proportional odds with fixed cut offsets: P(y <= j) = expit(a + d_j - x'beta) →
    ``(theta, cov)`` with theta = (a, beta), or ``None`` (no convergence, separation)."""
    y = np.asarray(y).astype(int)
    n, p = X.shape
    k1 = offsets.size
    J = np.zeros((p + k1, 1 + p))  # d(beta, cuts) / d(a, beta)
    J[:p, 1:] = np.eye(p)
    J[p:, 0] = 1.0
    cum = np.cumsum(np.bincount(y, minlength=k1 + 1))[:-1] / n
    inside = (cum > 0) & (cum < 1)
    a = float(np.mean(special.logit(cum[inside]) - offsets[inside])) if inside.any() else 0.0
    beta = np.zeros(p)

    def derivs(a, beta):
        ll, score, H = polr_derivatives(y, X, beta, a + offsets)
        return ll, J.T @ score, J.T @ H @ J

    ll, score, H = derivs(a, beta)
    for _ in range(max_iter):
        try:
            step = np.linalg.solve(-H, score)
        except np.linalg.LinAlgError:
            return None
        t = 1.0
        while True:
            na, nb = a + t * step[0], beta + t * step[1:]
            new = polr_loglik(y, X, nb, na + offsets)
            if new >= ll - 1e-12 * abs(ll) or t < 1e-8:
                break
            t /= 2
        a, beta = na, nb
        ll_old = ll
        ll, score, H = derivs(a, beta)
        if abs(ll - ll_old) <= tol * (abs(ll) + tol) and np.max(np.abs(t * step)) < 1e-6:
            return finish_fit(np.concatenate([[a], beta]), -H)
    return None


def _common_offsets(y: np.ndarray, X: np.ndarray, study: np.ndarray, ks: list[int],
                    n_levels: int, rng: np.random.Generator) -> np.ndarray:
    """Stage 0 of the ordinal model: the cut-point spacing from one proportional-odds fit
    with a location per study (indicators of the studies ``ks`` after the first; the rows
    given), log increments drawn from their asymptotic normal; returns d (J - 1,), d_0 = 0."""
    dummies = (study[:, None] == np.array(ks[1:])[None, :]).astype(float)
    D = np.column_stack([X, dummies])
    fit = fit_polr(y, D, n_levels)
    lo = D.shape[1] + 1  # the log increments follow the coefficients and c_0
    gaps = draw_mvn(rng, fit.params[lo:], fit.cov[lo:, lo:])
    return np.concatenate([[0.0], np.cumsum(np.exp(gaps))])


# =========================================================================== two stages
def fit_draw_two_stage_cat(kind: str, y: np.ndarray, X: np.ndarray, rng: np.random.Generator,
                           *, n_studies: int, n_levels: int, observed: np.ndarray,
                           all_rows: bool, labels: tuple[str, ...] | None = None,
                           draw_between: str = "point") -> tuple[StudyDrawnCat, list[str]]:
    """Fit the two-stage model of one ordinal or categorical variable (codes ``y``) and
    draw study-specific parameters; arguments as :func:`._multilevel.fit_draw_two_stage`."""
    P = X[:, :-1]
    study = X[:, -1].astype(int)
    Z = with_intercept(P)
    q = Z.shape[1]
    codes = np.where(np.isnan(y), 0, y).astype(int)
    rows_of: dict[int, np.ndarray] = {}
    msgs: list[str] = []
    for k in np.unique(study[observed]).tolist():  # the studies with observed values
        obs_k = observed & (study == k)
        if viable_cat(kind, codes[obs_k], q, n_levels):
            rows_of[k] = (study == k) if all_rows else obs_k
    if len(rows_of) < 2:
        raise TooFewStudies(len(rows_of))
    offsets = None
    if kind == "ordinal":
        ks0 = sorted(rows_of)
        rows = np.any([rows_of[k] for k in ks0], axis=0)
        if np.bincount(codes[rows], minlength=n_levels).min() == 0:
            # a level seen only in studies without their own fit (a single level there):
            # the spacing from every study's rows, those studies at the first's location
            rows = observed | (all_rows & np.isin(study, np.unique(study[observed])))
        offsets = _common_offsets(codes[rows], P[rows], study[rows], ks0, n_levels, rng)
    own = {k: (fit_mlogit(codes[r], Z[r], n_levels) if offsets is None
               else fit_polr_shift(codes[r], P[r], offsets)) for k, r in rows_of.items()}
    ks = sorted(k for k, fit in own.items() if fit is not None)
    for k in np.unique(study[observed & ~np.isin(study, ks)]).tolist():
        if (~observed & (study == k)).any():  # values to impute without the study's model
            name = labels[k] if labels is not None else k
            msgs.append(f"study {name!r}: too few observed values (a level absent, or "
                        "separation) for the study's own model; its missing values were "
                        "imputed as systematically missing (from the between-study "
                        "distribution)")
    if len(ks) < 2:
        raise TooFewStudies(len(ks))
    b = np.array([own[k][0] for k in ks])
    V = np.array([own[k][1] for k in ks])
    betas = draw_studies(b, V, ks, n_studies, rng, draw_between)
    return StudyDrawnCat(kind, betas, n_levels, offsets=offsets), msgs
