# sig: f8(f8, i4)
# sig: f4(f4, i8)
# global: helper = function
# global: scale = function
def kernel(x, n):
    return helper(x, n) + helper(n, n) + helper(x, n) + scale(x)


def helper(a, b):
    if b > 2:
        return a * scale(a)
    return a + b


def scale(v):
    return v * 2.0
