# sig: (c8)
def k(z):
    return np.exp(z) * np.sqrt(z) + np.log(z) + abs(z)
