"""Ufuncs compiled ahead of time by ufuncgen; importing them needs NumPy only."""

from ._kernels import clip01, norm2, scaled_add

__all__ = ["clip01", "norm2", "scaled_add"]
