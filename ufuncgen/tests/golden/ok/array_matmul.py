# layout: (m,n),(n,p)->(m,p)
# sig: void(f8[:, :], f8[:, :], f8[:, ::1])
def matmul(a, b, out):
    m, n = a.shape
    p = b.shape[-1]
    for i in range(m):
        for j in range(p):
            out[i, j] = 0
            for k in range(n):
                out[i, j] += a[i, k] * b[k, j]
