//! NumPy's functions of 1-d arrays written in the kernel language (see `array_fns`). Each
//! follows NumPy's algorithm where the bits depend on it (`np.arange`'s fill, `np.linspace`'s
//! scaling, `np.interp`'s fallbacks, `np.cumsum`'s sequential sums) and NumPy's order for NaN
//! (NaN sorts last; `argmin`/`argmax` stop at the first NaN). Checks NumPy makes before it
//! starts are guards at the call site, not here, so their errors name the user's line.

/// `np.argmin(a)` of a non-empty array: the first minimum, or the first NaN.
pub(super) const ARGMIN: &str = "\
def argmin(a):
    best = a[0]
    if best != best:
        return 0
    k = 0
    for i in range(1, len(a)):
        v = a[i]
        if v < best:
            best = v
            k = i
        elif v != v:
            return i
    return k
";

/// `np.argmax(a)` of a non-empty array: the first maximum, or the first NaN.
pub(super) const ARGMAX: &str = "\
def argmax(a):
    best = a[0]
    if best != best:
        return 0
    k = 0
    for i in range(1, len(a)):
        v = a[i]
        if v > best:
            best = v
            k = i
        elif v != v:
            return i
    return k
";

/// `np.nanargmin(a)`: the first minimum among the non-NaN elements; -1 when all are NaN.
pub(super) const NANARGMIN: &str = "\
def nanargmin(a):
    k = -1
    best = a[0]
    for i in range(len(a)):
        v = a[i]
        if v == v:
            if k < 0 or v < best:
                best = v
                k = i
    return k
";

/// `np.nanargmax(a)`: the first maximum among the non-NaN elements; -1 when all are NaN.
pub(super) const NANARGMAX: &str = "\
def nanargmax(a):
    k = -1
    best = a[0]
    for i in range(len(a)):
        v = a[i]
        if v == v:
            if k < 0 or v > best:
                best = v
                k = i
    return k
";

/// `np.var(a, ddof)` (`root`: `np.std`) as NumPy's `_var`: the mean, then the mean squared
/// deviation divided by `max(n - ddof, 0)`; `cnt` and `ddof` come in the computation's type.
pub(super) const VAR: &str = "\
def var(a, cnt, ddof, root):
    zero = cnt - cnt
    s = zero
    for i in range(len(a)):
        s += a[i]
    m = s / cnt
    q = zero
    for i in range(len(a)):
        d = a[i] - m
        q += d * d
    den = cnt - ddof
    if den < 0:
        den = zero
    v = q / den
    if root:
        return np.sqrt(v)
    return v
";

/// `np.nanvar(a, ddof)` (`root`: `np.nanstd`) of a float array as NumPy's `_nanvar`: NaN
/// elements left out; NaN without a floating-point flag when no degrees of freedom remain.
pub(super) const NANVAR: &str = "\
def nanvar(a, zero, ddof, root):
    s = zero
    c = zero
    for i in range(len(a)):
        v = a[i]
        if v == v:
            s += v
            c += 1
    dof = c - ddof
    if dof <= 0:
        return zero + np.nan
    m = s / c
    q = zero
    for i in range(len(a)):
        v = a[i]
        if v == v:
            d = v - m
            q += d * d
    r = q / dof
    if root:
        return np.sqrt(r)
    return r
";

/// `np.searchsorted(a, v, side='left')`: the first index whose element is not less than `v`
/// (NaN sorts after everything).
pub(super) const SEARCHSORTED_LEFT: &str = "\
def searchsorted_left(a, v):
    lo = 0
    hi = len(a)
    while lo < hi:
        mid = (lo + hi) >> 1
        x = a[mid]
        if x < v or (v != v and x == x):
            lo = mid + 1
        else:
            hi = mid
    return lo
";

/// `np.searchsorted(a, v, side='right')`: the first index whose element is greater than `v`.
pub(super) const SEARCHSORTED_RIGHT: &str = "\
def searchsorted_right(a, v):
    lo = 0
    hi = len(a)
    while lo < hi:
        mid = (lo + hi) >> 1
        x = a[mid]
        if v < x or (x != x and v == v):
            hi = mid
        else:
            lo = mid + 1
    return lo
";

/// `np.dot(a, b)` of two 1-d arrays of equal length (`zero` of the result type).
pub(super) const DOT: &str = "\
def dot(a, b, zero):
    s = zero
    for i in range(len(a)):
        s += a[i] * b[i]
    return s
";

/// `np.linalg.norm(x)` / `ord=2` of a real 1-d array: the root of the sum of squares.
pub(super) const NORM2: &str = "\
def norm2(x, zero):
    s = zero
    for i in range(len(x)):
        v = x[i]
        s += v * v
    return np.sqrt(s)
";

/// `np.linalg.norm(x)` of a complex 1-d array: the root of the sum of squared moduli.
pub(super) const NORM2_COMPLEX: &str = "\
def norm2_complex(x, zero):
    s = zero
    for i in range(len(x)):
        v = x[i]
        s += v.real * v.real + v.imag * v.imag
    return np.sqrt(s)
";

/// `np.linalg.norm(x, 1)`: the sum of absolute values.
pub(super) const NORM1: &str = "\
def norm1(x, zero):
    s = zero
    for i in range(len(x)):
        s += abs(x[i])
    return s
";

/// `np.linalg.norm(x, np.inf)` of a non-empty array: the largest absolute value (NaN wins).
pub(super) const NORM_INF: &str = "\
def norm_inf(x, zero):
    s = abs(x[0]) + zero
    for i in range(1, len(x)):
        v = abs(x[i]) + zero
        if not v <= s:
            s = v
    return s
";

/// `np.linalg.norm(x, -np.inf)` of a non-empty array: the smallest absolute value (NaN wins).
pub(super) const NORM_NEG_INF: &str = "\
def norm_neg_inf(x, zero):
    s = abs(x[0]) + zero
    for i in range(1, len(x)):
        v = abs(x[i]) + zero
        if not v >= s:
            s = v
    return s
";

/// `np.interp(x, xp, fp, left, right)` for one float64 `x` and non-empty `xp`, `fp` of equal
/// length, as NumPy's `arr_interp` (a bisection for the last `xp[j] <= x`; the slope from the
/// right-hand point when the left one gives NaN).
pub(super) const INTERP: &str = "\
def interp(x, xp, fp, has_left, left, has_right, right):
    n = len(xp)
    if not has_left:
        left = np.float64(fp[0])
    if not has_right:
        right = np.float64(fp[n - 1])
    if n == 1:
        if x < xp[0]:
            return left
        if x > xp[0]:
            return right
        return np.float64(fp[0])
    if x != x:
        return x
    if x > xp[n - 1]:
        return right
    if x < xp[0]:
        return left
    lo = 0
    hi = n
    while lo < hi:
        mid = (lo + hi) >> 1
        if x >= xp[mid]:
            lo = mid + 1
        else:
            hi = mid
    j = lo - 1
    if j == n - 1:
        return np.float64(fp[j])
    if xp[j] == x:
        return np.float64(fp[j])
    f0 = np.float64(fp[j])
    f1 = np.float64(fp[j + 1])
    slope = (f1 - f0) / (np.float64(xp[j + 1]) - np.float64(xp[j]))
    r = slope * (x - xp[j]) + f0
    if r != r:
        r = slope * (x - xp[j + 1]) + f1
        if r != r and f0 == f1:
            r = f0
    return r
";

/// `out[:] = np.interp(xs, xp, fp, left, right)` element by element.
pub(super) const INTERP_ARRAY: &str = "\
def interp_array(xs, xp, fp, has_left, left, has_right, right, out):
    for i in range(len(xs)):
        out[i] = interp(np.float64(xs[i]), xp, fp, has_left, left, has_right, right)
";

/// `np.cumsum(a)` into `out` (NumPy's `add.accumulate`: sequential sums in `out`'s type).
pub(super) const CUMSUM: &str = "\
def cumsum(a, out):
    n = len(a)
    if n > 0:
        out[0] = a[0]
        for i in range(1, n):
            out[i] = out[i - 1] + a[i]
";

/// `np.cumprod(a)` into `out`.
pub(super) const CUMPROD: &str = "\
def cumprod(a, out):
    n = len(a)
    if n > 0:
        out[0] = a[0]
        for i in range(1, n):
            out[i] = out[i - 1] * a[i]
";

/// Sorts `a` in place, NaN last (a heap sort: no scratch memory).
pub(super) const SORT: &str = "\
def sort(a):
    n = len(a)
    start = n // 2 - 1
    end = n - 1
    while end > 0:
        if start >= 0:
            root = start
            start -= 1
            size = n
        else:
            t = a[0]
            a[0] = a[end]
            a[end] = t
            root = 0
            size = end
            end -= 1
        while True:
            child = 2 * root + 1
            if child >= size:
                break
            if child + 1 < size:
                x = a[child]
                y = a[child + 1]
                if x < y or (y != y and x == x):
                    child += 1
            x = a[root]
            y = a[child]
            if x < y or (y != y and x == x):
                a[root] = y
                a[child] = x
                root = child
            else:
                break
";

/// `a` copied into `out`, then sorted.
pub(super) const SORTED: &str = "\
def sorted_copy(a, out):
    for i in range(len(a)):
        out[i] = a[i]
    sort(out)
";

/// `np.argsort(a, kind='stable')` into `idx` (a bottom-up merge sort through `tmp`; equal
/// elements keep their order, NaN last).
pub(super) const ARGSORT: &str = "\
def argsort(a, idx, tmp):
    n = len(a)
    for i in range(n):
        idx[i] = i
    width = 1
    while width < n:
        lo = 0
        while lo < n - width:
            mid = lo + width
            hi = min(lo + 2 * width, n)
            i = lo
            j = mid
            k = lo
            while i < mid and j < hi:
                x = a[idx[j]]
                y = a[idx[i]]
                if x < y or (y != y and x == x):
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
            for t in range(lo, hi):
                idx[t] = tmp[t]
            lo += 2 * width
        width *= 2
";

/// `np.arange(start, stop, step)` into `out` as NumPy fills it: the first two values, then
/// `start + i * delta` with `delta` the difference of those two.
pub(super) const ARANGE: &str = "\
def arange(start, step, out):
    n = len(out)
    if n > 0:
        out[0] = start
    if n > 1:
        second = start + step
        out[1] = second
        delta = second - start
        for i in range(2, n):
            out[i] = start + i * delta
";

/// `np.linspace(start, stop, len(out), endpoint)` as NumPy computes it (the step scaled by
/// the index, the division first when the step underflows to zero, `stop` stored last).
pub(super) const LINSPACE: &str = "\
def linspace(start, stop, endpoint, out):
    num = len(out)
    div = num
    if endpoint:
        div = num - 1
    delta = stop - start
    if div > 0:
        step = delta / div
        if step == 0:
            for i in range(num):
                out[i] = (i / div) * delta + start
        else:
            for i in range(num):
                out[i] = i * step + start
    else:
        for i in range(num):
            out[i] = i * delta + start
    if endpoint and num > 1:
        out[num - 1] = stop
";

/// `np.hanning(M)` (`a0 = a1 = 0.5`) and `np.hamming(M)` (0.54, 0.46): `a0 + a1 cos(pi n /
/// (M - 1))` on `n = 1 - M, 3 - M, ..., M - 1` as NumPy writes them.
pub(super) const COSINE_WINDOW: &str = "\
def cosine_window(a0, a1, out):
    m = len(out)
    if m == 1:
        out[0] = 1.0
    else:
        for i in range(m):
            out[i] = a0 + a1 * np.cos(np.pi * (1 - m + 2 * i) / (m - 1))
";

/// `np.blackman(M)`.
pub(super) const BLACKMAN: &str = "\
def blackman(out):
    m = len(out)
    if m == 1:
        out[0] = 1.0
    else:
        for i in range(m):
            n = 1 - m + 2 * i
            out[i] = 0.42 + 0.5 * np.cos(np.pi * n / (m - 1)) + 0.08 * np.cos(2.0 * np.pi * n / (m - 1))
";

/// `np.bartlett(M)`.
pub(super) const BARTLETT: &str = "\
def bartlett(out):
    m = len(out)
    if m == 1:
        out[0] = 1.0
    else:
        for i in range(m):
            n = 1 - m + 2 * i
            if n <= 0:
                out[i] = 1 + n / (m - 1)
            else:
                out[i] = 1 - n / (m - 1)
";

/// `np.convolve(a, v, mode)` into `out` for non-empty `a` and `v` with `len(v) <= len(a)`:
/// `out[i]` is element `i + first` of the full convolution.
pub(super) const CONVOLVE: &str = "\
def convolve(a, v, first, zero, out):
    n = len(a)
    m = len(v)
    for i in range(len(out)):
        k = i + first
        lo = max(0, k - m + 1)
        hi = min(k, n - 1)
        s = zero
        for j in range(lo, hi + 1):
            s += a[j] * v[k - j]
        out[i] = s
";

/// `np.histogram(a, bins=len(counts), range=(first, last))` as NumPy computes equal bins:
/// edges by `linspace`; each value's bin from `(x - first) / (last - first) * bins`, then
/// moved by one where that lands across an edge; values outside the range (and NaN) left out.
/// `nbins` is the bin count in the edges' type, `zero` a zero of it (integers count in float64).
pub(super) const HISTOGRAM_UNIFORM: &str = "\
def histogram_uniform(a, first, last, nbins, zero, counts, edges):
    nb = len(counts)
    if first == last:
        first = first - 0.5
        last = last + 0.5
    linspace(first, last, True, edges)
    for k in range(nb):
        counts[k] = 0
    denom = last - first
    for i in range(len(a)):
        x = zero + a[i]
        if x >= first and x <= last:
            j = int((x - first) / denom * nbins)
            if j == nb:
                j -= 1
            if x < edges[j]:
                j -= 1
            elif x >= edges[j + 1] and j != nb - 1:
                j += 1
            counts[j] += 1
";

/// `np.histogram(a, bins=edges)` for increasing `edges`: `edges[k] <= x < edges[k + 1]`, the
/// last bin closed on the right; values outside (and NaN) left out.
pub(super) const HISTOGRAM_EDGES: &str = "\
def histogram_edges(a, edges, counts, edges_out):
    nb = len(counts)
    for k in range(nb):
        counts[k] = 0
    for k in range(nb + 1):
        edges_out[k] = edges[k]
    if nb == 0:
        return
    lo = edges[0]
    hi = edges[nb]
    for i in range(len(a)):
        x = a[i]
        if x >= lo and x <= hi:
            if x == hi:
                counts[nb - 1] += 1
            else:
                l = 0
                h = nb + 1
                while l < h:
                    mid = (l + h) >> 1
                    if x < edges[mid]:
                        h = mid
                    else:
                        l = mid + 1
                counts[l - 1] += 1
";

/// True when `edges` never decreases.
pub(super) const INCREASING: &str = "\
def increasing(edges):
    for k in range(1, len(edges)):
        if edges[k - 1] > edges[k]:
            return False
    return True
";
