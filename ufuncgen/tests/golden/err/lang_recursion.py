# sig: i8(i8)
# global: even = function
# global: odd = function
def kernel(n):
    return even(n)


def even(n):
    if n == 0:
        return True
    return odd(n - 1)


def odd(n):
    if n == 0:
        return False
    return even(n - 1)
