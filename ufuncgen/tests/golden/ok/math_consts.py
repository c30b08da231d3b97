# sig: (f4)
def k(x):
    return x * math.pi + np.e - math.tau * (x > math.inf) + np.nan
