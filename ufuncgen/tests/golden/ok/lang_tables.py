# sig: f8(i8, i4)
# sig: f4(i8, i4)
# global: T = array f8 2 3 : 1 2 3 4 5 6
# global: W = array i4 4 : 10 20 30 40
def kernel(i, j):
    acc = 0.0
    for k in range(len(W)):
        acc += W[k]
    return T[i, j] + T.shape[1] + W[j] + T.size + T.ndim + W[-1] + acc
