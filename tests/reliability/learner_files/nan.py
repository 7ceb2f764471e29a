import numpy as np


def square(x):
    return np.full(np.shape(x), np.nan)
