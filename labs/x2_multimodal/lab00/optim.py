"""AdamW (Loshchilov & Hutter, "Decoupled Weight Decay Regularization", ICLR 2019).

The decay shrinks the weights directly, p <- p - lr * wd * p, instead of being added to the
gradient: folded into the gradient it would be divided by Adam's sqrt(v) and weights with
large gradients would barely decay (the paper's point). Updates happen in place, so the
params dict the model holds is the one being trained.

    opt = AdamW(params, lr=1e-3, weight_decay=0.05)
    for step in ...:
        loss, grads = model.loss_and_grads(params, batch)  # grads keyed like params
        opt.step(grads, lr=schedule(step))
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np


def decay_matrices_only(name: str, value: np.ndarray) -> bool:
    """The usual choice: decay weight matrices, never biases or LayerNorm gains."""
    return value.ndim >= 2


class AdamW:
    def __init__(
        self,
        params: dict[str, np.ndarray],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.01,
        decays: Callable[[str, np.ndarray], bool] = decay_matrices_only,
    ) -> None:
        self.params = params
        self.lr = lr
        self.beta1, self.beta2 = betas
        self.eps = eps
        self.weight_decay = weight_decay
        self.decayed = {name for name, value in params.items() if decays(name, value)}
        self.m = {name: np.zeros_like(value) for name, value in params.items()}
        self.v = {name: np.zeros_like(value) for name, value in params.items()}
        self.t = 0

    def step(self, grads: dict[str, np.ndarray], lr: float | None = None) -> None:
        """One update of every parameter that has a gradient; `lr` overrides for this step."""
        lr = self.lr if lr is None else lr
        self.t += 1
        b1, b2 = self.beta1, self.beta2
        # bias corrections folded into the step size (Kingma & Ba, section 2)
        step_size = lr * math.sqrt(1.0 - b2**self.t) / (1.0 - b1**self.t)
        eps_hat = self.eps * math.sqrt(1.0 - b2**self.t)
        for name, g in grads.items():
            p, m, v = self.params[name], self.m[name], self.v[name]
            if name in self.decayed and self.weight_decay:
                p *= 1.0 - lr * self.weight_decay
            m *= b1
            m += (1.0 - b1) * g
            v *= b2
            v += (1.0 - b2) * (g * g)
            p -= step_size * m / (np.sqrt(v) + eps_hat)
