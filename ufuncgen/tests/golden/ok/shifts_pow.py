# sig: (u8, i2, f4)
def k(a, b, c):
    return (a << 2) + (b >> 1) + a ** 2 + c ** 2 + pow(b, 3) + np.power(c, b)
