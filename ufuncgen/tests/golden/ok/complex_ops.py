# sig: (c8, f4)
def k(z, x):
    w = z * x + 1j
    return cmath.exp(w) + cmath.sqrt(x) + w.conjugate() + z.imag + x.imag
