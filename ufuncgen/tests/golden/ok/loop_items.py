# layout: (n),(n)->()
# sig: void(f8[:], i4[:], f8[:])
def kernel(a, w, out):
    t = 0.0
    for i, v in enumerate(a, 1):
        t += i * v
    for x, y in zip(a, w):
        t += x * y
    for k in range(len(a)):
        pass
    out[0] = t + k
