# sig: (f4, u8, i1)
def k(x, u, s):
    # NEP 50: Python literals take the other operand's type
    a = x * 2.0
    b = u % 8
    c = s + 1
    return a + b + c
