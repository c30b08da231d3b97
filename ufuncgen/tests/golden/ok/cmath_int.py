# sig: (i8, f4)
def k(n, x):
    return cmath.exp(n) + cmath.log(x) + n.real + n.imag + x.conjugate()
