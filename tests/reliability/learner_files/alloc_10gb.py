import numpy as np


def square(x):
    hog = np.ones(10 * 1024**3 // 8)  # 10 GB of float64
    return hog[: x.size].reshape(x.shape)
