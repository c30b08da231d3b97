# sig: i8(i8, i8)
# sig: f4(f4, f4)
def kernel(a, b):
    q, r = divmod(a, b)
    a, b = divmod(a, 3)
    return q + r + round(a, 2) + round(b, -1) + np.round(a, 1) + a + b
