# sig: (f8)
def k(x):
    return np.frobnicate(x)
