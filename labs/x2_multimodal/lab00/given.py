"""What lab 00 gives the learner: GELU and softmax cross-entropy, forward and backward.

These are not tasks, so they stay importable while learner code is graded (the reference
solution, nn.py, vit.py and tiny_vit.py, is hidden then). Same conventions as nn.py:
`<op>_forward(...) -> (out, cache)`, `<op>_backward(d_out, cache) -> grads`.

GELU is the tanh approximation (Hendrycks & Gimpel 2016, eq. 2), the one GPT-2 and
`torch.nn.GELU(approximate="tanh")` use: cheaper than erf and within 1e-3 of it.
"""

from __future__ import annotations

import math

import numpy as np

GELU_C = math.sqrt(2.0 / math.pi)
GELU_K = 0.044715


# --------------------------------------------------------------------------- GELU


def gelu_forward(x: np.ndarray) -> tuple[np.ndarray, tuple]:
    """GELU, tanh approximation: 0.5 x (1 + tanh(u)), u = sqrt(2/pi) (x + 0.044715 x^3).

    Computed as x * sigmoid(2u), the same function since (1 + tanh u) / 2 = sigmoid(2u):
    NumPy's exp is about twice as fast as its tanh. The in-place steps avoid temporaries.
    """
    s = x * x
    s *= -2.0 * GELU_C * GELU_K
    s -= 2.0 * GELU_C
    s *= x  # -2u
    with np.errstate(over="ignore"):  # exp(-2u) = inf for very negative x gives s = 0, as it should
        np.exp(s, out=s)
    s += 1.0
    np.reciprocal(s, out=s)  # sigmoid(2u)
    return x * s, (x, s)


def gelu_backward(dy: np.ndarray, cache: tuple) -> np.ndarray:
    """d/dx [x s] with s = sigmoid(2u): s + 2 x s (1 - s) u'(x), u' = c (1 + 3k x^2)."""
    x, s = cache
    d = x * x
    d *= 6.0 * GELU_C * GELU_K
    d += 2.0 * GELU_C  # 2 u'
    d *= x
    d *= s
    d *= 1.0 - s
    d += s
    d *= dy
    return d


def softmax_cross_entropy(logits: np.ndarray, labels: np.ndarray) -> tuple[float, np.ndarray]:
    """Mean cross-entropy of logits (B, K) against int labels (B,); returns (loss, dlogits)."""
    B = logits.shape[0]
    z = logits - logits.max(axis=-1, keepdims=True)
    logsumexp = np.log(np.exp(z).sum(axis=-1, keepdims=True))
    logp = z - logsumexp  # (B, K)
    loss = -float(logp[np.arange(B), labels].mean())
    dlogits = np.exp(logp)
    dlogits[np.arange(B), labels] -= 1.0
    return loss, dlogits / B
