# sig: (f4)
# global: SCALE = float 2.5
# global: N = int 3
# global: S32 = float32 0.5
# global: FLAG = bool True
def k(x):
    return x * SCALE + N + S32 + FLAG
