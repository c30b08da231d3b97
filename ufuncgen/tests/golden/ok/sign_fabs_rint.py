# sig: (b1, i2, f4)
def k(b, i, x):
    return np.sign(b) + np.sign(i) + np.fabs(i) + np.rint(x) + np.trunc(x) + math.fabs(x)
