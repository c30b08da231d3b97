# layout: (n),()->()
# writable: 0
# sig: void(i8[:], i8, c16[:])
# sig: void(b1[:], u1, f4[:])
def inplace(a, k, out):
    a[0] += k
    a[len(a) - 1] = a[0]
    out[0] = a[0]
