# sig: f8(f8)
# global: helper = function
def kernel(x):
    return helper(x)


def helper(a):
    return a + "text"
