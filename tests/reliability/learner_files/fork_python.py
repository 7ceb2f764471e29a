"""Starts a process the plain Python way: refused while graded."""

import subprocess


def square(x):
    subprocess.Popen(["sleep", "600"])
    return x * x
