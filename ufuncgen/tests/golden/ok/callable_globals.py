# sig: (f8)
# global: f32 = callable numpy.float32
# global: sq = callable math.sqrt
# global: mx = callable builtins.max
def k(x):
    return f32(x) + sq(x) + mx(x, 0)
