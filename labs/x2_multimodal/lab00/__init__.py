"""Lab 00: a 4-block Vision Transformer in NumPy, forward and hand-written backward."""
