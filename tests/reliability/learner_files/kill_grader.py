"""Kills its parent through libc (past the audit hook), then spins: the run must not pass,
nothing may linger. Under bubblewrap the parent it can see is the sandbox's own init."""

import ctypes
import os
import signal


def square(x):
    ctypes.CDLL(None).kill(os.getppid(), int(signal.SIGKILL))
    while True:
        pass
