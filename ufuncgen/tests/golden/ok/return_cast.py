# sig: float32(i8)
# sig: int32(int64)
# sig: float64(f8)
def k(x):
    return x + 1
