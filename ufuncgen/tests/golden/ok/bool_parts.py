# sig: (b1)
def k(b):
    return b.real + b.imag + b.conjugate() + abs(b) + np.abs(b)
