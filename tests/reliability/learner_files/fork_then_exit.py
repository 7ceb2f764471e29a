"""Forks a sleeper (through libc) that keeps the worker's pipes open, then the worker dies."""

import ctypes
import os
import time


def square(x):
    pid = ctypes.CDLL(None).fork()
    if pid == 0:
        time.sleep(600)
        os._exit(0)
    time.sleep(0.2)
    os._exit(0)
