# sig: (i8)
# global: factorial = callable math.factorial
def k(n):
    return factorial(n)
