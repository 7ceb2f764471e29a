"""Puts tests/ on sys.path (pytest does that for a folder holding a conftest.py), so the lab
tests share one finite-difference helper: `from gradcheck import numeric_grad`."""
