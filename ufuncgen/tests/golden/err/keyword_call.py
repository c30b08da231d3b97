# sig: (f8)
def k(x):
    return np.exp(x=x)
