# sig: (f4)
def k(x):
    return x * int(2.7) + float(3) + complex(1, 2).imag
