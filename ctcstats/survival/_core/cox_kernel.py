"""Compiled Cox kernel: R's ``coxph.fit`` per data set (replicate) in one pass per evaluation.

Used by the batch engine (:mod:`ctcstats.batch.cox`, through :mod:`ctcstats.batch._cox_inputs`)
and by :func:`ctcstats.survival._core.cox.fit_cox_arrays` for large unpenalised fits; imported
only when such a fit runs (``import ctcstats`` must not import numba). The numpy paths stay the
tested references: ``tests/test_batch_kernel.py`` checks the batch engine's kernel against its
numpy path (all replicates advanced together by array operations) on adversarial layouts,
strata, case weights (counts and R's weights), (start, stop] rows, Breslow and Efron ties, and
``tests/survival/test_cox_kernel_single.py`` the single fit against the numpy engine.

Each replicate's rows arrive sorted by (stratum, time) with R's tie rule applied, the
covariates centred and multiplied by R's scale factors (the fit iterates in R's scaled
coordinates, as ``coxfit6``). The derivatives are one backward scan per evaluation — as R's
``coxfit6``/``agfit4`` — accumulating the risk-set sums S0, S1, S2 stratum by stratum, a
tied group's event sums D0, D1, D2, and Efron's sub-steps at every event time; (start, stop]
rows leave the risk set when the scan passes their entry time (a pointer into the rows
ordered by (stratum, entry time)). The Newton–Raphson loop is
:func:`ctcstats.survival._core.newton.newton_raphson` (``rule="coxph"``) step for step, with
its linear algebra (:func:`~ctcstats.survival._core.newton.cholesky2`, ``chsolve2``,
``chinv2``) written out for one small matrix.
"""

from __future__ import annotations

import math

import numpy as np

from ..._jit import njit
from .cox import ETA_MAX, ETA_MIN

__all__ = ["cox_fit_batch", "cox_loglik_batch"]


@njit
def _cholesky2(m, toler):
    """R's cholesky2 on a copy of ``m`` (p, p): returns (factor in the lower triangle, rank)."""
    p = m.shape[0]
    a = m.copy()
    eps = 0.0
    finite = True
    for i in range(p):
        d = abs(a[i, i])
        if not np.isfinite(d):
            finite = False
        elif d > eps:
            eps = d
    eps = eps * toler if finite else toler
    if eps == 0.0:
        eps = toler
    rank = 0
    for i in range(p):
        piv = a[i, i]
        ok = np.isfinite(piv) and piv >= eps
        if ok:
            for j in range(i + 1, p):
                a[j, i] = a[j, i] / piv
            for j in range(i + 1, p):
                tj = a[j, i]
                for k in range(i + 1, p):
                    a[j, k] -= tj * a[k, i] * piv
            rank += 1
        else:
            for j in range(i + 1, p):
                a[j, i] = 0.0
            a[i, i] = 0.0
    for i in range(p):
        for j in range(i + 1, p):
            a[i, j] = 0.0
    return a, rank


@njit
def _chsolve2(c, y):
    p = c.shape[0]
    z = y.copy()
    for i in range(p):  # unit lower triangle
        s = z[i]
        for j in range(i):
            s -= c[i, j] * z[j]
        z[i] = s
    for i in range(p):
        z[i] = z[i] / c[i, i] if c[i, i] > 0 else 0.0
    for i in range(p - 1, -1, -1):  # its transpose
        s = z[i]
        for j in range(i + 1, p):
            s -= c[j, i] * z[j]
        z[i] = s
    return z


@njit
def _chinv2(c):
    p = c.shape[0]
    linv = np.zeros((p, p))
    for i in range(p):  # inverse of the unit lower triangle, column by column
        linv[i, i] = 1.0
        for j in range(i + 1, p):
            s = 0.0
            for k in range(i, j):
                s -= c[j, k] * linv[k, i]
            linv[j, i] = s
    out = np.zeros((p, p))
    for i in range(p):
        for j in range(p):
            s = 0.0
            for k in range(max(i, j), p):
                if c[k, k] > 0:
                    s += linv[k, i] * linv[k, j] / c[k, k]
            out[i, j] = s
    for k in range(p):
        if not c[k, k] > 0:
            for j in range(p):
                out[k, j] = 0.0
                out[j, k] = 0.0
    return out


@njit
def _derivatives(ts, st, w, ev, X, start, sperm, has_start, efron, frequency, beta, info,
                 U, imat, r, eta):
    """Log partial likelihood at ``beta`` of one sorted replicate; fills ``U`` (p,) and,
    when ``info``, ``imat`` (p, p). Returns (loglik, status): status 0 ok, 1 a tied group's
    case counts are not whole numbers (frequency weights with Efron ties)."""
    n, p = X.shape
    npair = p * (p + 1) // 2
    for i in range(n):
        e = 0.0
        for j in range(p):
            e += X[i, j] * beta[j]
        eta[i] = e
        ec = min(max(e, ETA_MIN), ETA_MAX)
        r[i] = w[i] * math.exp(ec)
    for j in range(p):
        U[j] = 0.0
        for k in range(p):
            imat[j, k] = 0.0
    s1 = np.zeros(p)
    s2 = np.zeros(npair)
    d1 = np.zeros(p)
    d2 = np.zeros(npair)
    a1 = np.zeros(p)
    ll = 0.0
    s0 = 0.0
    i = n - 1
    sp = n - 1  # start-order pointer: rows sperm[sp + 1:] of this stratum have left
    while i >= 0:
        stratum = st[i]
        t = ts[i]
        d0 = 0.0
        deadwt = 0.0
        ndead = 0
        for j in range(p):
            d1[j] = 0.0
        for q in range(npair):
            d2[q] = 0.0
        while i >= 0 and st[i] == stratum and ts[i] == t:
            ri = r[i]
            if ri != 0.0:
                s0 += ri
                q = 0
                for j in range(p):
                    rx = ri * X[i, j]
                    s1[j] += rx
                    if info:
                        for k in range(j, p):
                            s2[q] += rx * X[i, k]
                            q += 1
            if ev[i] and w[i] > 0:
                wi = w[i]
                ndead += 1
                deadwt += wi
                ll += wi * min(max(eta[i], ETA_MIN), ETA_MAX)
                for j in range(p):
                    U[j] += wi * X[i, j]
                d0 += ri
                q = 0
                for j in range(p):
                    rx = ri * X[i, j]
                    d1[j] += rx
                    if info:
                        for k in range(j, p):
                            d2[q] += rx * X[i, k]
                            q += 1
            i -= 1
        if has_start:  # rows entering at or after t are not at risk at t
            while sp >= 0 and st[sperm[sp]] == stratum and start[sperm[sp]] >= t:
                k0 = sperm[sp]
                rk = r[k0]
                if rk != 0.0:
                    s0 -= rk
                    q = 0
                    for j in range(p):
                        rx = rk * X[k0, j]
                        s1[j] -= rx
                        if info:
                            for k in range(j, p):
                                s2[q] -= rx * X[k0, k]
                                q += 1
                sp -= 1
        if ndead > 0:
            if not efron:
                m = 1
            elif frequency:
                mf = np.rint(deadwt)
                if abs(mf - deadwt) > 1e-9:
                    return np.nan, 1
                m = int(mf)
            else:
                m = ndead
            a = deadwt / m
            for k in range(m):
                e = k / m if m > 1 else 0.0
                den = s0 - e * d0
                if not den > 0:
                    return -np.inf if den == 0 else np.nan, 0
                ll -= a * math.log(den)
                for j in range(p):
                    a1[j] = (s1[j] - e * d1[j]) / den
                    U[j] -= a * a1[j]
                if info:
                    q = 0
                    for j in range(p):
                        for k2 in range(j, p):
                            imat[j, k2] += a * ((s2[q] - e * d2[q]) / den - a1[j] * a1[k2])
                            q += 1
        if i >= 0 and st[i] != stratum:  # next stratum: empty risk set
            s0 = 0.0
            for j in range(p):
                s1[j] = 0.0
            for q in range(npair):
                s2[q] = 0.0
            if has_start:
                while sp >= 0 and st[sperm[sp]] == stratum:
                    sp -= 1
    for j in range(p):
        for k in range(j + 1, p):
            imat[k, j] = imat[j, k]
    return ll, 0


@njit
def _all_finite(ll, U, imat):
    if not np.isfinite(ll):
        return False
    p = U.shape[0]
    for j in range(p):
        if not np.isfinite(U[j]):
            return False
        for k in range(p):
            if not np.isfinite(imat[j, k]):
                return False
    return True


@njit
def _timefix(ts, valid, tie_tol):
    """The survival core's tie rule (:func:`ctcstats.survival._core.ties.merge_sorted_rows`)
    on one sorted row, in place; returns the number of merged distinct values."""
    n = ts.shape[0]
    nd = 0
    tot = 0.0
    prev = 0.0
    have = False
    for i in range(n):  # distinct valid values and their mean |value|
        if valid[i] and np.isfinite(ts[i]):
            if not have or ts[i] != prev:
                nd += 1
                tot += abs(ts[i])
            prev = ts[i]
            have = True
    if nd < 2:
        return 0
    bound = tie_tol * (tot / nd)
    merged = 0
    have = False
    prev = 0.0
    cut = 0.0
    have_cut = False
    for i in range(n):
        v = ts[i]
        if valid[i] and np.isfinite(v) and (not have or v != prev):
            if not (have and v - prev <= bound):
                cut = v
                have_cut = True
            else:
                merged += 1
            prev = v
            have = True
        if have_cut:
            ts[i] = cut
    return merged


@njit
def _identity(n):
    """``np.arange(n)`` (int64; numba's arange compiles three more functions)."""
    out = np.empty(n, dtype=np.int64)
    for i in range(n):
        out[i] = i
    return out


@njit
def _stable_argsort(keys):
    """Stable argsort of ``keys`` (finite): ``np.argsort(keys, kind="stable")``, the same order
    (ties in row order). Written out because numba's ``np.argsort(kind=...)`` compiles its
    mergesort and the string handling of ``kind`` into every caller (~4 s of a cold compile):
    insertion sort of runs of 16, then bottom-up merges."""
    n = keys.shape[0]
    idx = _identity(n)
    tmp = np.empty(n, dtype=np.int64)
    run = 16
    for lo in range(0, n, run):
        hi = min(lo + run, n)
        for i in range(lo + 1, hi):
            v = idx[i]
            kv = keys[v]
            j = i - 1
            while j >= lo and keys[idx[j]] > kv:
                idx[j + 1] = idx[j]
                j -= 1
            idx[j + 1] = v
    width = run
    while width < n:
        for lo in range(0, n, 2 * width):
            mid = min(lo + width, n)
            hi = min(lo + 2 * width, n)
            i = lo
            j = mid
            k = lo
            while i < mid and j < hi:
                if keys[idx[j]] < keys[idx[i]]:  # the left one first when equal: stable
                    tmp[k] = idx[j]
                    j += 1
                else:
                    tmp[k] = idx[i]
                    i += 1
                k += 1
            while i < mid:
                tmp[k] = idx[i]
                i += 1
                k += 1
            while j < hi:
                tmp[k] = idx[j]
                j += 1
                k += 1
        idx, tmp = tmp, idx
        width *= 2
    return idx


@njit
def _stable_order(codes):
    """Stable argsort of integer codes ≥ 0 (a counting sort when the codes are small)."""
    n = codes.shape[0]
    hi = 0
    for i in range(n):
        if codes[i] > hi:
            hi = codes[i]
    if hi == 0:
        return _identity(n)
    if hi > 4 * n + 64:
        return _stable_argsort(codes)
    pos = np.zeros(hi + 2, dtype=np.int64)
    for i in range(n):
        pos[codes[i] + 1] += 1
    for k in range(1, hi + 2):
        pos[k] += pos[k - 1]
    out = np.empty(n, dtype=np.int64)
    for i in range(n):
        c = codes[i]
        out[pos[c]] = i
        pos[c] += 1
    return out


# rows of the ``base`` array: where each input's rows of replicate r begin
B_TIME, B_ORDER, B_EVENT, B_WEIGHT, B_STRATA, B_X, B_START = 0, 1, 2, 3, 4, 5, 6


@njit
def _prepare(rep, n, base, time, orders, event, weight, strata, X, start, has_weight,
             has_strata, has_start, do_timefix, tie_tol, ts, st, w, ev, xs, sta, sperm, scale):
    """Sort replicate ``rep`` (``n`` rows) by (stratum, time) into the work arrays, apply the
    tie rule, centre the covariates and write R's scale factors to ``scale`` (the fit
    multiplies the columns by them: :func:`_scale_columns`).

    The inputs are flat: replicate r's rows of input k start at ``base[k, r]`` (equal for
    every replicate when the input is shared); ``orders`` holds each replicate's rows ordered
    by time (0..n-1). Returns (n_merged, weighted events, rows kept).

    Rows of weight 0 (e.g. patients absent from a bootstrap resample, about 37% of the rows)
    are left out when there are no (start, stop] rows: they add nothing to any sum of the
    fit (each sum skips them, in the same order, so the fit is bitwise the same) and the
    work arrays hold only the first ``rows kept`` rows. With (start, stop] rows they are
    kept (their entry times would move where the scan subtracts the leavers).
    """
    p = xs.shape[1]
    bt, bo, be, bw = base[B_TIME, rep], base[B_ORDER, rep], base[B_EVENT, rep], base[B_WEIGHT, rep]
    bs, bx, bst = base[B_STRATA, rep], base[B_X, rep], base[B_START, rep]
    order0 = orders[bo:bo + n]
    compact = has_weight and not has_start
    order = np.empty(n, dtype=np.int64) if compact else order0
    m = 0
    for i in range(n):
        k = order0[i]
        wk = weight[bw + k] if has_weight else 1.0
        if compact:
            if wk == 0.0:
                continue
            order[m] = k
        ts[m] = time[bt + k]
        w[m] = wk
        st[m] = strata[bs + k] if has_strata else 0
        m += 1
    n = m
    order = order[:n]
    ts, st, w, ev, xs, sta, sperm = ts[:n], st[:n], w[:n], ev[:n], xs[:n], sta[:n], sperm[:n]
    n_merged = 0
    if do_timefix:
        n_merged = _timefix(ts, w > 0, tie_tol)
    if has_strata:
        # gathers written as loops: ``ts[:] = ts[o2]`` would compile the string formatting
        # of numpy's shape-mismatch error (~3 s of a cold compile; see _jit.py)
        o2 = _stable_order(st)
        final = np.empty(n, dtype=np.int64)
        tsc = np.empty(n)
        wc = np.empty(n)
        stc = np.empty(n, dtype=np.int64)
        for i in range(n):
            k = o2[i]
            final[i] = order[k]
            tsc[i] = ts[k]
            wc[i] = w[k]
            stc[i] = st[k]
        for i in range(n):
            ts[i] = tsc[i]
            w[i] = wc[i]
            st[i] = stc[i]
    else:
        final = order
    wsum = 0.0
    means = np.zeros(p)
    nev = 0.0
    for i in range(n):
        k = final[i]
        ev[i] = event[be + k] and w[i] > 0
        if ev[i]:
            nev += w[i]
        wsum += w[i]
        for j in range(p):
            v = X[bx + k, j]
            xs[i, j] = v
            means[j] += w[i] * v
    for j in range(p):
        means[j] = means[j] / wsum if wsum > 0 else 0.0
    mad = np.zeros(p)
    for i in range(n):  # row by row (xs is row-major); each column summed in row order
        wi = w[i]
        for j in range(p):
            v = xs[i, j] - means[j]
            xs[i, j] = v
            mad[j] += wi * abs(v)
    for j in range(p):
        scale[j] = wsum / mad[j] if mad[j] > 0 else 1.0
    if has_start:
        for i in range(n):
            sta[i] = start[bst + final[i]]
        o3 = _stable_argsort(sta)
        st3 = np.empty(n, dtype=np.int64)
        for i in range(n):
            st3[i] = st[o3[i]]
        o4 = _stable_order(st3)
        for i in range(n):
            sperm[i] = o3[o4[i]]
    return n_merged, nev, n


@njit
def _scale_columns(xs, scale):
    n, p = xs.shape
    for i in range(n):
        for j in range(p):
            xs[i, j] *= scale[j]


@njit
def _no_event_level(xs, w, ev, has_weight):
    """A two-valued covariate with a value without events (monotone likelihood), as the
    numpy path's check (on the centred, scaled columns)."""
    n, p = xs.shape
    for j in range(p):
        lo = np.inf
        hi = -np.inf
        for i in range(n):
            if not has_weight or w[i] > 0:
                lo = min(lo, xs[i, j])
                hi = max(hi, xs[i, j])
        if not hi > lo:
            continue
        two = True
        ev_lo = False
        ev_hi = False
        for i in range(n):
            v = xs[i, j]
            if v == lo:
                ev_lo = ev_lo or ev[i]
            elif v == hi:
                ev_hi = ev_hi or ev[i]
            elif not has_weight or w[i] > 0:
                two = False
                break
        if two and not (ev_lo and ev_hi):
            return True
    return False


@njit
def _copy_score(u, i, U, imat):
    """``U[:] = u; imat[:, :] = i`` as loops (see :func:`_prepare`)."""
    p = u.shape[0]
    for j in range(p):
        U[j] = u[j]
        for k in range(p):
            imat[j, k] = i[j, k]


@njit
def _newton(ts, st, w, ev, xs, sta, sperm, has_start, efron, frequency, eps, iter_max,
            toler_chol, r, eta):
    """R's coxph Newton–Raphson (:func:`ctcstats.survival._core.newton.newton_raphson`,
    ``rule="coxph"``) for one sorted replicate, in its coordinates."""
    p = xs.shape[1]
    info = np.bool_(True)  # not the constant True: see _jit.py on literal arguments
    u0 = np.zeros(p)
    i0 = np.zeros((p, p))
    nu = np.zeros(p)
    ni = np.zeros((p, p))
    beta = np.zeros(p)
    ll0, stat = _derivatives(ts, st, w, ev, xs, sta, sperm, has_start, efron, frequency,
                             beta, info, u0, i0, r, eta)
    chol, rank = _cholesky2(i0, toler_chol)
    a = _chsolve2(chol, u0)
    sctest = 0.0
    for j in range(p):
        sctest += u0[j] * a[j]
    best = ll0
    newbeta = beta + a
    halving = 0.0
    converged = False
    n_iter = 0
    ll = ll0
    U = u0.copy()
    imat = i0.copy()
    bad0 = not np.isfinite(ll0)
    done = bad0 or iter_max == 0 or stat != 0
    for it in range(1, iter_max + 1):
        if done:
            break
        nl, stat = _derivatives(ts, st, w, ev, xs, sta, sperm, has_start, efron, frequency,
                                newbeta, info, nu, ni, r, eta)
        n_iter = it
        ll = nl
        _copy_score(nu, ni, U, imat)
        finite = _all_finite(nl, nu, ni)
        if finite and nl != 0.0 and abs(1.0 - best / nl) <= eps:
            for j in range(p):
                beta[j] = newbeta[j]
            converged = True
            break
        if it == iter_max:
            break
        if not finite or nl < best:
            halving += 1.0
            newbeta = (newbeta + halving * beta) / (halving + 1.0)
        else:
            halving = 0.0
            best = nl
            ch, _ = _cholesky2(ni, toler_chol)
            step = _chsolve2(ch, nu)
            for j in range(p):
                beta[j] = newbeta[j]
            newbeta = newbeta + step
    if not converged and not bad0 and iter_max > 1 and stat == 0:
        ll, stat = _derivatives(ts, st, w, ev, xs, sta, sperm, has_start, efron, frequency,
                                beta, info, U, imat, r, eta)
    if bad0:
        ll = ll0
        _copy_score(u0, i0, U, imat)
    chol, rank = _cholesky2(imat, toler_chol)
    return beta, ll, U, imat, _chinv2(chol), rank, n_iter, converged, ll0, sctest, stat


@njit
def _cox_batch(off, base, time, orders, event, weight, strata, X, start, has_weight,
               has_strata, has_start, do_timefix, tie_tol, efron, frequency, eps, iter_max,
               toler_chol, fit, beta):
    """:func:`cox_fit_batch` (``fit``) or :func:`cox_loglik_batch` (not ``fit``: the log
    likelihood at ``beta`` in the ``loglik`` output, the other outputs not filled) — one
    compiled kernel for both, so that a process using both compiles their shared parts
    once."""
    R = off.shape[0] - 1
    p = X.shape[1]
    nmax = 1
    for rep in range(R):
        nmax = max(nmax, off[rep + 1] - off[rep])
    beta_o = np.zeros((R, p))
    var_o = np.zeros((R, p, p))
    I_o = np.zeros((R, p, p))
    U_o = np.zeros((R, p))
    ll_o = np.zeros(R)
    rank_o = np.zeros(R, dtype=np.int64)
    it_o = np.zeros(R, dtype=np.int64)
    conv_o = np.zeros(R, dtype=np.bool_)
    ll0_o = np.zeros(R)
    sc_o = np.zeros(R)
    nev_o = np.zeros(R)
    nm_o = np.zeros(R, dtype=np.int64)
    mono_o = np.zeros(R, dtype=np.bool_)
    status = np.zeros(R, dtype=np.int64)
    ts0 = np.empty(nmax)
    st0 = np.empty(nmax, dtype=np.int64)
    w0 = np.empty(nmax)
    ev0 = np.empty(nmax, dtype=np.bool_)
    xs0 = np.empty((nmax, p))
    sta0 = np.empty(nmax)
    sperm0 = np.zeros(nmax, dtype=np.int64)
    r0 = np.empty(nmax)
    eta0 = np.empty(nmax)
    scale = np.empty(p)  # filled by _prepare
    u_work = np.zeros(p)
    i_work = np.zeros((p, p))
    no_info = np.bool_(False)  # not the constant False: see _jit.py on literal arguments
    for rep in range(R):
        n = off[rep + 1] - off[rep]
        ts, st, w, ev, xs = ts0[:n], st0[:n], w0[:n], ev0[:n], xs0[:n]
        sta, sperm = sta0[:n], sperm0[:n]
        nm_o[rep], nev_o[rep], n = _prepare(rep, n, base, time, orders, event, weight,
                                            strata, X, start, has_weight, has_strata,
                                            has_start, do_timefix, tie_tol, ts, st, w, ev, xs,
                                            sta, sperm, scale)
        ts, st, w, ev, xs = ts[:n], st[:n], w[:n], ev[:n], xs[:n]
        sta, sperm = sta[:n], sperm[:n]
        if not fit:  # centred, not scaled
            ll_o[rep], status[rep] = _derivatives(ts, st, w, ev, xs, sta, sperm, has_start,
                                                  efron, frequency, beta[rep], no_info,
                                                  u_work, i_work, r0[:n], eta0[:n])
            continue
        _scale_columns(xs, scale)
        mono_o[rep] = _no_event_level(xs, w, ev, has_weight)
        bet, ll, U, imat, var, rank, n_iter, conv, ll0, sctest, stat = _newton(
            ts, st, w, ev, xs, sta, sperm, has_start, efron, frequency, eps, iter_max,
            toler_chol, r0[:n], eta0[:n])
        for j in range(p):
            beta_o[rep, j] = bet[j] * scale[j]
            U_o[rep, j] = U[j] / scale[j]
            for k in range(p):
                var_o[rep, j, k] = var[j, k] * scale[j] * scale[k]
                I_o[rep, j, k] = imat[j, k] / (scale[j] * scale[k])
        ll_o[rep] = ll
        rank_o[rep] = rank
        it_o[rep] = n_iter
        conv_o[rep] = conv
        ll0_o[rep] = ll0
        sc_o[rep] = sctest
        status[rep] = stat
    return (beta_o, var_o, U_o, ll_o, rank_o, it_o, conv_o, ll0_o, sc_o, nev_o, nm_o, mono_o,
            status, I_o)


def cox_fit_batch(off, base, time, orders, event, weight, strata, X, start, has_weight,
                  has_strata, has_start, do_timefix, tie_tol, efron, frequency, eps, iter_max,
                  toler_chol):
    """Sort, tie-fix, centre and scale each replicate, then fit it (R's coxph.fit).

    Replicate r has ``off[r + 1] - off[r]`` rows; its rows of each flat input start at
    ``base[k, r]`` (see :func:`_prepare`; ``X`` is (rows, p)). Returns per replicate, in the
    covariates' own units: beta (R, p), variance (R, p, p), score (R, p), loglik, rank,
    n_iter, converged, loglik at 0, score test, weighted events, merged times, the
    no-event-level flag, a status (1: frequency weights of a tied group are not whole
    numbers) and the information matrix (R, p, p).
    """
    return _cox_batch(off, base, time, orders, event, weight, strata, X, start, has_weight,
                      has_strata, has_start, do_timefix, tie_tol, efron, frequency, eps,
                      iter_max, toler_chol, True, np.zeros((0, X.shape[1])))


def cox_loglik_batch(off, base, time, orders, event, weight, strata, X, start, has_weight,
                     has_strata, has_start, do_timefix, tie_tol, efron, frequency, beta):
    """Log partial likelihood of every replicate at ``beta`` (R, p) (covariates centred, not
    scaled); inputs as :func:`cox_fit_batch`. Returns (loglik, status)."""
    out = _cox_batch(off, base, time, orders, event, weight, strata, X, start, has_weight,
                     has_strata, has_start, do_timefix, tie_tol, efron, frequency, 0.0, 0, 0.0,
                     False, np.ascontiguousarray(beta, dtype=float))
    return out[3], out[12]
