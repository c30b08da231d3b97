# layout: (n),()->(n)
# sig: void(f8[:], f8, f8[:])
# sig: void(f8[:], f8[:], f8[:])
# sig: void(f8[:], f8, f8)
# sig: void(f8[:, :], f8, f8[:])
# sig: f8(f8[:], f8, f8[:])
def bad_store(a, k, out):
    a[0] = k
    out[0] = k
