# sig: float64(float64, float64)
# sig: f4(f4, f4)
# sig: int8(int8, int8)
# sig: (i4, u4)
def add(a, b):
    """Adds two numbers."""
    return a + b
