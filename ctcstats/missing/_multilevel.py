"""Two-stage random-effects covariate models for pooled data (``impute(study_model="random")``).

A covariate that is missing for every patient of some study (*systematically missing*)
cannot have a study fixed effect in its imputation model. Here its model is multilevel: every
coefficient (intercept and slopes on the other covariates, and on the outcome summaries in
FCS) varies between studies, beta_k ~ N(beta, Psi). It is fitted in two stages (Resche-Rigon &
White 2018; R ``micemd::mice.impute.2l.2stage.norm`` / ``.bin`` / ``.pois``,
``method_est = "mm"``):

1. In every study where the variable is observed, a GLM is fitted (normal linear, logistic,
   or for a count Poisson or negative binomial — :mod:`._negbin`, as ``MASS::glm.nb`` —
   with the log sampled volume as offset when ``volume_col`` is given — micemd's Poisson
   method has no offset; without a volume the two coincide): estimates b_k with covariance
   V_k (and, for a continuous variable, the residual variance s_k^2 with df_k degrees of
   freedom; for a negative binomial the dispersion alpha_k = 1 / theta_k). A study with too little data for its own fit
   (normal: df_k <= 4; logistic: a level absent; Poisson: no more observed values than
   parameters or all zero; both: non-convergence or a standard error above 1000, i.e.
   separation) is treated as systematically missing, and a message says so.
2. The b_k are combined by the multivariate method of moments (Jackson, White & Riley 2013;
   mvmeta ``method = "mm"``): for the intercept-only model with W_k = V_k^-1,
   Q = sum_k W_k (b_k - b_F)(b_k - b_F)' has expectation (K - 1) I + (sum W_k -
   sum W_k (sum W_j)^-1 W_k) Psi, solved for Psi, symmetrised and truncated to be positive
   semi-definite; beta is then the GLS mean with weights (V_k + Psi)^-1. For a continuous
   variable the log residual variances are first pooled the same way (univariate,
   DerSimonian–Laird) with variance trigamma(df_k / 2) — the exact variance of log s^2
   for normal data (micemd uses 2 / (df_k - 4)). For a negative binomial the log
   dispersions log alpha_k are pooled the same way with their delta-method variances
   (SE.theta_k / theta_k)^2 and drawn per study like the log residual variances: the
   dispersion varies between studies (assays, volumes, populations) as the residual
   variance does, and a log scale keeps the draws positive; a study whose fit finds no
   overdispersion contributes its coefficients but no dispersion estimate.

Drawing (proper imputation): beta* ~ N(beta_hat, Var(beta_hat)) (and the mean log residual
variance likewise); a study with observed values gets beta_k* from its posterior given b_k,
N(beta* + Psi (Psi + V_k)^-1 (b_k - beta*), Psi - Psi (Psi + V_k)^-1 Psi), written without
inverting Psi so that a zero between-study variance means full pooling; a systematically
missing study gets beta_k* ~ N(beta*, Psi), its residual variance from the between-study
distribution of log variances. Psi itself is used at its estimate (``draw_between="point"``,
as micemd with the method of moments: its uncertainty is not propagated), or drawn first
from its approximate posterior (``"posterior"``, :func:`draw_psi`; the univariate tau^2 of
log variances and log dispersions likewise), then beta* from its posterior given the drawn
Psi (GLS mean and covariance). docs/simulations/multilevel_imputation.md compares the two.

Own code: no Python library fits these models; the per-study GLMs come from numpy least
squares (normal) and Newton–Raphson (logistic and Poisson; checked against statsmodels in
the tests). A drawn count is Poisson with mean exp(Z beta_k* + offset), or negative
binomial with that mean and the study's drawn dispersion.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import special

from ._conditional import MAX_SE, draw_mvn, sample_codes, with_intercept
from ._negbin import fit_negbin

__all__ = ["StudyDrawn", "draw_studies", "fit_draw_two_stage", "mm_meta", "viable",
           "TWO_STAGE_KINDS"]

TWO_STAGE_KINDS = ("continuous", "binary", "count")
MIN_DF = 4  # a normal fit needs more residual df than this (as micemd)
N_SWEEPS = 50  # Gibbs sweeps per draw of Psi (draw_between="posterior")


@dataclass(frozen=True)
class StudyDrawn:
    """A covariate model with study-specific drawn parameters. The design ``X`` given to
    :meth:`sample` and :meth:`log_probs` carries the study code (0..K-1) in its last
    column; the other columns are the predictors."""

    kind: str
    betas: np.ndarray  # (K, p + 1): intercept first
    sigmas: np.ndarray | None = None  # (K,) residual SDs (continuous)
    alphas: np.ndarray | None = None  # (K,) NB dispersions 1 / theta (negbin counts)
    mle: np.ndarray | None = None

    def _split(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return with_intercept(X[:, :-1]), X[:, -1].astype(int)

    def linear(self, X: np.ndarray) -> np.ndarray:
        Z, k = self._split(X)
        return np.einsum("ij,ij->i", Z, self.betas[k])

    def log_probs(self, X: np.ndarray, offset: np.ndarray | None = None) -> np.ndarray:
        eta = self.linear(X)
        return np.column_stack([-np.logaddexp(0.0, eta), -np.logaddexp(0.0, -eta)])

    def sample(self, X: np.ndarray, rng: np.random.Generator,
               offset: np.ndarray | None = None) -> np.ndarray:
        if self.kind == "count":
            eta = self.linear(X) + (0.0 if offset is None else offset)
            mu = np.exp(np.minimum(eta, 30.0))
            if self.alphas is None:
                return rng.poisson(mu).astype(float)
            a = self.alphas[X[:, -1].astype(int)]
            nb = rng.negative_binomial(1.0 / np.maximum(a, 1e-300), 1.0 / (1.0 + a * mu))
            return np.where(a > 1e-8, nb, rng.poisson(mu)).astype(float)
        if self.kind == "continuous":
            assert self.sigmas is not None
            k = X[:, -1].astype(int)
            return self.linear(X) + self.sigmas[k] * rng.standard_normal(X.shape[0])
        return sample_codes(self.log_probs(X), rng)


# =========================================================================== meta-analysis
def mm_meta(b: np.ndarray, V: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Multivariate random-effects meta-analysis by the method of moments (Jackson, White &
    Riley 2013), intercept-only: estimates ``b`` (K, p) with covariances ``V`` (K, p, p) →
    ``(beta, var_beta, Psi)``; as R ``mvmeta(b ~ 1, S = V, method = "mm")``."""
    K, p = b.shape
    W = np.linalg.inv(V)
    Wtot = W.sum(axis=0)
    Wtot_inv = np.linalg.inv(Wtot)
    b_fixed = Wtot_inv @ np.einsum("kij,kj->i", W, b)
    r = b - b_fixed
    Q = np.einsum("kij,kj,kl->il", W, r, r)
    A = Wtot - np.einsum("kij,jl,klm->im", W, Wtot_inv, W)
    psi = np.linalg.lstsq(A, Q - (K - 1) * np.eye(p), rcond=None)[0]
    psi = (psi + psi.T) / 2
    w, vec = np.linalg.eigh(psi)
    psi = (vec * np.clip(w, 0.0, None)) @ vec.T
    beta, var_beta = gls_mean(b, V, psi)
    return beta, var_beta, psi


def gls_mean(b: np.ndarray, V: np.ndarray, psi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The pooled mean given Psi: GLS with weights (V_k + Psi)^-1, and its covariance (the
    posterior of beta given Psi under a flat prior)."""
    U = np.linalg.inv(V + psi[None])
    var_beta = np.linalg.inv(U.sum(axis=0))
    return var_beta @ np.einsum("kij,kj->i", U, b), var_beta


def draw_psi(b: np.ndarray, V: np.ndarray, psi0: np.ndarray, rng: np.random.Generator,
             n_sweeps: int = N_SWEEPS) -> np.ndarray:
    """One draw of Psi from its approximate posterior (``draw_between="posterior"``).

    Model: b_k ~ N(theta_k, V_k), theta_k ~ N(beta, Psi), flat prior on beta and an
    inverse-Wishart prior IW(p, S0) on Psi with S0 the mean within-study covariance
    mean_k V_k (p pseudo-studies whose heterogeneity is of the order of one study's
    estimation error: proper, weak, and equivariant under linear reparametrisation of the
    predictors, so rescaling a predictor rescales the draws). Blocked Gibbs sampler
    started at the moment estimate ``psi0`` (Quartagno & Carpenter 2016 use the same
    conjugate step for the between-study covariance): beta | Psi, b by GLS, theta_k |
    beta, Psi, b_k, Psi | theta, beta ~ IW(p + K, S0 + sum (theta_k - beta)(theta_k -
    beta)'); the last of ``n_sweeps`` sweeps is returned. Its posterior mean is about the
    scatter of the theta_k over K - 1, so small numbers of studies give wide, right-skewed
    draws."""
    K, p = b.shape
    S0 = V.mean(axis=0)
    S0 = (S0 + S0.T) / 2
    Vinv = np.linalg.inv(V)
    Vb = np.einsum("kij,kj->ki", Vinv, b)
    # start: the moment estimate, kept away from singular (a zero Psi is a point the
    # sampler cannot leave)
    psi = psi0 + S0 / (K + p)
    for _ in range(n_sweeps):
        beta, var_beta = gls_mean(b, V, psi)
        beta = draw_mvn(rng, beta, var_beta)
        prec = np.linalg.inv(psi)
        post_cov = np.linalg.inv(Vinv + prec[None])
        post_mean = np.einsum("kij,kj->ki", post_cov, Vb + (prec @ beta)[None])
        root = np.linalg.cholesky((post_cov + np.swapaxes(post_cov, 1, 2)) / 2)
        theta = post_mean + np.einsum("kij,kj->ki", root, rng.standard_normal((K, p)))
        r = theta - beta
        psi = _inv_wishart(p + K, S0 + r.T @ r, rng)
    return psi


def _inv_wishart(df: int, scale: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One draw of IW(df, scale) (Bartlett decomposition of the Wishart(df, scale^-1))."""
    p = scale.shape[0]
    L = np.linalg.cholesky(np.linalg.inv((scale + scale.T) / 2))
    A = np.zeros((p, p))
    A[np.diag_indices(p)] = np.sqrt(rng.chisquare(df - np.arange(p)))
    A[np.tril_indices(p, -1)] = rng.standard_normal(p * (p - 1) // 2)
    LA = L @ A
    out = np.linalg.inv(LA @ LA.T)
    return (out + out.T) / 2


# =========================================================================== stage 1
def _fit_normal(y: np.ndarray, Z: np.ndarray):
    n, q = Z.shape
    if n - q <= MIN_DF or np.linalg.matrix_rank(Z) < q:
        return None
    coef, *_ = np.linalg.lstsq(Z, y, rcond=None)
    df = n - q
    s2 = float(np.sum((y - Z @ coef) ** 2) / df)
    if not s2 > 1e-12 * float(np.mean(y**2)):  # an exact fit: no residual variance
        return None
    return coef, np.linalg.inv(Z.T @ Z), s2, df


def _fit_logistic(y: np.ndarray, Z: np.ndarray, max_iter: int = 30, tol: float = 1e-10):
    """Logistic regression by Newton–Raphson (as R ``glm``: IRLS from zero, stopping at a
    relative deviance change below 1e-10); ``None`` on separation (no convergence, or a
    standard error above ``MAX_SE``)."""
    n, q = Z.shape
    if n <= q or np.unique(y).size < 2 or np.linalg.matrix_rank(Z) < q:
        return None
    beta = np.zeros(q)
    dev_old = np.inf
    for _ in range(max_iter):
        eta = Z @ beta
        p = special.expit(eta)
        w = p * (1 - p)
        info = Z.T @ (Z * w[:, None])
        try:
            beta = beta + np.linalg.solve(info, Z.T @ (y - p))
        except np.linalg.LinAlgError:
            return None
        dev = 2 * float(np.sum(np.logaddexp(0, Z @ beta) - y * (Z @ beta)))
        if abs(dev - dev_old) < tol * (abs(dev) + 0.1):
            break
        dev_old = dev
    else:
        return None
    p = special.expit(Z @ beta)
    try:
        cov = np.linalg.inv(Z.T @ (Z * (p * (1 - p))[:, None]))
    except np.linalg.LinAlgError:
        return None
    se = np.sqrt(np.clip(np.diag(cov), 0.0, None))
    if not (np.all(np.isfinite(se)) and np.all(se < MAX_SE)):
        return None
    return beta, cov


def _fit_poisson(y: np.ndarray, Z: np.ndarray, offset: np.ndarray | None = None,
                 max_iter: int = 50, tol: float = 1e-10):
    """Poisson regression (log link, optional offset) by Newton–Raphson (as R ``glm``:
    started at log(y + 0.1), stopping at a relative deviance change below 1e-10); ``None``
    when it cannot be estimated (too few values, all zero, no convergence, or a standard
    error above ``MAX_SE``)."""
    n, q = Z.shape
    if n <= q or not np.any(y > 0) or np.linalg.matrix_rank(Z) < q:
        return None
    off = np.zeros(n) if offset is None else offset
    try:  # start: least squares of log(y + 0.1) - offset (a first IRLS step's target)
        beta = np.linalg.lstsq(Z, np.log(y + 0.1) - off, rcond=None)[0]
    except np.linalg.LinAlgError:
        return None

    def deviance(b):
        mu = np.exp(np.minimum(Z @ b + off, 700.0))
        return 2 * float(np.sum(special.xlogy(y, y / mu) - (y - mu)))

    dev_old = deviance(beta)
    for _ in range(max_iter):
        mu = np.exp(np.minimum(Z @ beta + off, 700.0))
        info = Z.T @ (Z * mu[:, None])
        try:
            step = np.linalg.solve(info, Z.T @ (y - mu))
        except np.linalg.LinAlgError:
            return None
        dev = deviance(beta + step)
        while not dev <= dev_old + 1e-12 * (abs(dev_old) + 1) and np.max(np.abs(step)) > 1e-12:
            step = step / 2  # step halving, as glm does when the deviance is not finite
            dev = deviance(beta + step)
        beta = beta + step
        if abs(dev - dev_old) < tol * (abs(dev) + 0.1):
            break
        dev_old = dev
    else:
        return None
    mu = np.exp(np.minimum(Z @ beta + off, 700.0))
    try:
        cov = np.linalg.inv(Z.T @ (Z * mu[:, None]))
    except np.linalg.LinAlgError:
        return None
    se = np.sqrt(np.clip(np.diag(cov), 0.0, None))
    if not (np.all(np.isfinite(se)) and np.all(se < MAX_SE)):
        return None
    return beta, cov


def viable(kind: str, y_obs: np.ndarray, q: int, family: str = "poisson") -> bool:
    """Whether a study's observed values can support its own fit with ``q`` parameters
    (before trying it; a negative-binomial count has one more, its dispersion)."""
    if kind == "continuous":
        return bool(y_obs.size - q > MIN_DF)
    if kind == "count":
        return bool(y_obs.size > q + (family == "negbin") and np.any(y_obs > 0))
    return bool(np.unique(y_obs).size == 2)


# =========================================================================== two stages
def fit_draw_two_stage(kind: str, y: np.ndarray, X: np.ndarray, rng: np.random.Generator, *,
                       n_studies: int, observed: np.ndarray, all_rows: bool,
                       labels: tuple[str, ...] | None = None,
                       offset: np.ndarray | None = None,
                       draw_between: str = "point",
                       family: str = "poisson") -> tuple[StudyDrawn, list[str]]:
    """Fit the two-stage model of one variable and draw study-specific parameters.

    ``X`` holds the predictors and the study code in its last column (every row);
    ``observed`` marks the rows where the variable is observed. Stage 1 uses, in each study
    with observed values, the observed rows (``all_rows=False``, FCS) or all its rows at
    their current values (``all_rows=True``, smcfcs, which fits the covariate model to the
    completed data). ``offset`` (every row) is the log exposure of a count, ``family``
    its model ("poisson" or "negbin")."""
    Z = with_intercept(X[:, :-1])
    study = X[:, -1].astype(int)
    q = Z.shape[1]
    fits: dict[int, tuple] = {}
    msgs: list[str] = []
    for k in range(n_studies):
        in_k = study == k
        obs_k = observed & in_k
        if not obs_k.any():
            continue
        rows = in_k if all_rows else in_k & observed
        fit = None
        if not viable(kind, y[obs_k], q, family):
            pass
        elif kind == "continuous":
            fit = _fit_normal(y[rows], Z[rows])
        elif kind == "count":
            fit = _fit_poisson(y[rows], Z[rows], None if offset is None else offset[rows])
            if fit is not None and family == "negbin":
                nb = fit_negbin(y[rows], Z[rows], None if offset is None else offset[rows],
                                start=fit[0])
                fit = None if nb is None else (nb.coef, nb.cov, nb)
        else:
            fit = _fit_logistic(y[rows], Z[rows])
        if fit is not None:
            fits[k] = fit
        elif (in_k & ~observed).any():
            name = labels[k] if labels is not None else k
            msgs.append(f"study {name!r}: too few observed values (or separation) for the "
                        "study's own model; its missing values were imputed as "
                        "systematically missing (from the between-study distribution)")
    if len(fits) < 2:
        raise TooFewStudies(len(fits))
    ks = sorted(fits)
    b = np.array([fits[k][0] for k in ks])
    sigmas = alphas = None
    if kind == "count" and family == "negbin":
        alphas = _draw_dispersions(ks, fits, n_studies, rng, draw_between)
    if kind == "continuous":
        s2_draw = _draw_log_variances(ks, fits, n_studies, rng, draw_between)
        V = np.array([s2_draw[k] * fits[k][1] for k in ks])
        sigmas = np.sqrt(s2_draw)
    else:
        V = np.array([fits[k][1] for k in ks])
    betas = draw_studies(b, V, ks, n_studies, rng, draw_between)
    return StudyDrawn(kind, betas, sigmas=sigmas, alphas=alphas), msgs


def draw_studies(b: np.ndarray, V: np.ndarray, ks: list[int], n_studies: int,
                 rng: np.random.Generator, draw_between: str = "point") -> np.ndarray:
    """Stage 2 and the draw: per-study estimates ``b`` (len(ks), q) with covariances ``V``
    of the studies ``ks`` pooled by :func:`mm_meta` (with ``draw_between="posterior"``
    Psi then drawn by :func:`draw_psi` and beta_hat, Var(beta_hat) taken given it); beta*
    drawn from N(beta_hat, Var(beta_hat)), then every study's parameters (n_studies, q) —
    from its posterior given b_k (studies in ``ks``) or from N(beta*, Psi) (the others)."""
    beta, var_beta, psi = mm_meta(b, V)
    if draw_between == "posterior":
        psi = draw_psi(b, V, psi, rng)
        beta, var_beta = gls_mean(b, V, psi)
    beta_star = draw_mvn(rng, beta, var_beta)
    betas = np.empty((n_studies, b.shape[1]))
    for k in range(n_studies):
        if k in ks:
            j = ks.index(k)
            gain = psi @ np.linalg.pinv(psi + V[j])
            mean = beta_star + gain @ (b[j] - beta_star)
            betas[k] = draw_mvn(rng, mean, psi - gain @ psi)
        else:
            betas[k] = draw_mvn(rng, beta_star, psi)
    return betas


def _draw_dispersions(ks, fits, n_studies, rng, draw_between="point") -> np.ndarray:
    """Study NB dispersions alpha = 1 / theta: log alpha_k pooled by DerSimonian–Laird (or
    with tau^2 drawn) with the delta-method variance of glm.nb's SE.theta, drawn as the log
    residual variances of a continuous variable; a study whose fit found no overdispersion
    (theta beyond ``THETA_MAX``) has no estimate and draws from the between-study
    distribution. No study with an estimate: alpha = 0 (the Poisson model)."""
    est = [k for k in ks if fits[k][2].dispersion_estimated]
    if not est:
        return np.zeros(n_studies)
    la = np.array([fits[k][2].log_alpha for k in est])
    v = np.array([fits[k][2].var_log_alpha for k in est])
    return np.exp(draw_univariate(la, v, [est.index(k) if k in est else None
                                          for k in range(n_studies)], rng, draw_between))


def _draw_log_variances(ks, fits, n_studies, rng, draw_between="point") -> np.ndarray:
    """Study residual variances: log s_k^2 pooled by DerSimonian–Laird (variance
    trigamma(df_k / 2)); drawn from the posterior (studies with a fit) or the between-study
    distribution (the others), after a draw of the mean."""
    ell = np.array([np.log(fits[k][2]) for k in ks])
    v = special.polygamma(1, np.array([fits[k][3] for k in ks]) / 2.0)
    return np.exp(draw_univariate(ell, v, [ks.index(k) if k in fits else None
                                           for k in range(n_studies)], rng, draw_between))


def draw_univariate(est: np.ndarray, var: np.ndarray, which: list[int | None],
                    rng: np.random.Generator, draw_between: str = "point") -> np.ndarray:
    """Study values of a scalar parameter (a log residual variance, a log dispersion) from
    the univariate random-effects model of the estimates ``est`` with variances ``var``
    (DerSimonian–Laird, or the posterior draw of tau^2 as :func:`draw_psi`), after a draw of
    the mean: study j with ``which[j] = i`` from its posterior given ``est[i]``, a study
    with ``None`` from the between-study distribution."""
    mu, var_mu, tau2 = mm_meta(est[:, None], var[:, None, None])
    if draw_between == "posterior":
        tau2 = draw_psi(est[:, None], var[:, None, None], tau2, rng)
        mu, var_mu = gls_mean(est[:, None], var[:, None, None], tau2)
    mu_star = float(mu[0] + np.sqrt(var_mu[0, 0]) * rng.standard_normal())
    t2 = float(tau2[0, 0])
    out = np.empty(len(which))
    for k, j in enumerate(which):
        if j is not None:
            g = t2 / (t2 + var[j])
            out[k] = mu_star + g * (est[j] - mu_star) + np.sqrt(t2 * (1 - g)) * rng.standard_normal()
        else:
            out[k] = mu_star + np.sqrt(t2) * rng.standard_normal()
    return out


class TooFewStudies(ValueError):
    """Fewer than two studies have their own fit: no between-study distribution."""

    def __init__(self, n: int):
        super().__init__(n)
        self.n = n
