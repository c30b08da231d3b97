# layout: (n),()->(n),()
# sig: void(i4[:], i8, f8[:], i8[:])
# boundscheck: False
def scan(a, k, out, count):
    total = 0.0
    i = 0
    for v in a:
        if v < k:
            continue
        total += v
        out[i] = total
        i += 1
    count[0] = len(a) - i
    out[-1] = a.size + a.ndim
