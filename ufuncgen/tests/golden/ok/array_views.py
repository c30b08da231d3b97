# layout: (m,n),(),()->(n)
# sig: void(f8[:, :], i8, i8, f8[:])
# global: total = function
# global: clear = function
def kernel(g, a, b, out):
    clear(out)
    row = g[a]
    pw = row[a:b:2]
    out[::-1] = g[-1, :]
    tmp = np.zeros(b, dtype=np.float32)
    tmp[1:] = 2.5
    out[0] = total(pw) + tmp[1]
    g = g[0, 0]
    out[1] = g


def total(x):
    s = 0.0
    for v in x:
        s += v
    return s


def clear(o):
    o[:] = 0
