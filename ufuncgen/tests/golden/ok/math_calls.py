# sig: (f4, i2)
# global: exp = callable math.exp
def k(x, n):
    return math.sqrt(x) + np.arcsin(x) + exp(n) + np.hypot(x, 1) + math.atan2(x, n)
