# sig: c16(c16, f8)
# sig: c8(c8, f4)
def kernel(z, x):
    w = cmath.sin(z) + cmath.acos(z) + cmath.log10(z) + np.arctanh(z) + cmath.sqrt(x)
    p = cmath.phase(z) + np.angle(x) + abs(z)
    if cmath.isnan(w) or not cmath.isfinite(z + 1) or np.isinf(z):
        return np.conj(w) + np.real(z) + np.imag(z) + cmath.infj
    return w * p + z.conjugate() + z.real + z.imag
