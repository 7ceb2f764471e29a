"""Constants lab 01 gives: CLIP's temperature bounds and the text side's special tokens.

Shared by the given model (model.py) and the reference solution (tokenizer.py,
contrastive.py), so the model stays importable while the solution is hidden from graded
learner code.
"""

from __future__ import annotations

import math

INIT_LOG_SCALE = math.log(1 / 0.07)  # CLIP's initial temperature 0.07, i.e. a logit scale of ~14.3
MAX_LOG_SCALE = math.log(100.0)  # CLIP clamps the logit scale at 100

PAD = "<pad>"
CLS = "<cls>"
SPECIALS = (PAD, CLS)  # PAD is id 0, CLS id 1
