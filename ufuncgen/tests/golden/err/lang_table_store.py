# sig: f8(i8)
# global: T = array f8 3 : 1 2 3
def kernel(i):
    T[i] = 2.0
    return T[i]
