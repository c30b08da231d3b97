# sig: (f4, f4)
f = vectorize(["f4(f4, f4)"])(lambda a, b: np.maximum(a, b) - 1)
