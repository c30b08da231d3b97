# sig: (f8, c16)
def k(x, z):
    return int(x) + float(x) + np.float32(x) + np.int8(3) + bool(x) + complex(x, 1) + z.real
