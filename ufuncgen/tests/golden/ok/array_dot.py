# layout: (n),(n)->()
# sig: void(float64[:], float64[:], float64[:])
# sig: (f4[:], f4[:], f8[:])
# sig: i8[:], i8[:], i8[:]
def dot(a, b, out):
    acc = 0
    for i in range(a.shape[0]):
        acc += a[i] * b[i]
    out[0] = acc
