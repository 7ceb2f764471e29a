"""MISTAKE: the logit scale never gets a gradient

task: train
caught_by: test_train_step_learns_the_logit_scale
gate: fast
why: CLIP learns its temperature; without grads['log_scale'] AdamW never updates it and the
  scale stays at 1/0.07.
hint: set grads['log_scale'] from the logits backward before opt.step.
"""
# ruff: noqa: F405 (np and the base's names come from its import below)

from __future__ import annotations

from labs.x2_multimodal.lab01.mistakes.alt_loops_and_logsumexp import *  # noqa: F403 (base)

# === task: train


def train_step(model, opt, images, ids, mask, lr):
    img_f, img_cache = model.encode_images(images)
    txt_f, txt_cache = model.encode_texts(ids, mask)
    s = model.log_scale
    loss, d_logits = info_nce(scaled_cosine_logits(img_f, txt_f, s))
    d_img, d_txt, _ = scaled_cosine_logits_backward(img_f, txt_f, s, d_logits)
    grads = model.encode_images_backward(d_img, img_cache)
    grads.update(model.encode_texts_backward(d_txt, txt_cache))
    opt.step(grads, lr=lr)
    model.params["log_scale"][...] = np.minimum(model.params["log_scale"], MAX_LOG_SCALE)
    return loss
