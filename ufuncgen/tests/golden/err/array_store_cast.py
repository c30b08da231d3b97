# layout: (n)->(n)
# sig: void(f8[:], i8[:])
# sig: void(i8[:], f8[:])
# sig: void(c8[:], f8[:])
def cast_store(a, out):
    for i in range(len(a)):
        out[i] = a[i]
