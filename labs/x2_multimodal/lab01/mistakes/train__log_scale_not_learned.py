"""MISTAKE: the logit scale never gets a gradient

task: train
caught_by: test_train_step_learns_the_logit_scale
gate: fast
why: CLIP learns its temperature; without grads['log_scale'] AdamW never updates it and the
  scale stays at 1/0.07.
hint: set grads['log_scale'] from the logits backward before opt.step.
"""

from __future__ import annotations

import math

import numpy as np

from labs.x2_multimodal.lab00.optim import AdamW
from labs.x2_multimodal.lab01.data import distinct_texts, training_icons
from labs.x2_multimodal.lab01.model import ClipConfig, ClipModel
from labs.x2_multimodal.lab01.train import (
    DistinctTextSampler,
    TrainConfig,
    cosine_lr,
    fit,
)

PAD, CLS = "<pad>", "<cls>"
MAX_LOG_SCALE = math.log(100.0)

# === task: tokenize


def build_vocab(texts):
    words = sorted({w for t in texts for w in t.split()})
    return [PAD, CLS, *words]


def tokenize(texts, vocab, max_len=None):
    index = {w: i for i, w in enumerate(vocab)}
    split = [t.split() for t in texts]
    need = 1 + max((len(s) for s in split), default=0)
    length = need if max_len is None else max_len
    if length < need:
        raise ValueError(f"max_len={max_len} is too short; a text needs {need} tokens")
    ids = np.zeros((len(texts), length), dtype=np.int64)
    mask = np.zeros((len(texts), length), dtype=bool)
    for n, words in enumerate(split):
        missing = [w for w in words if w not in index]
        if missing:
            raise ValueError(f"unknown words {missing} in text {texts[n]!r}")
        row = [index[CLS]] + [index[w] for w in words]
        ids[n, : len(row)] = row
        mask[n, : len(row)] = True
    return ids, mask


# === task: temperature


def logit_scale(log_scale):
    return float(min(math.exp(log_scale), 100.0))


def scaled_cosine_logits(image_features, text_features, log_scale):
    a = image_features / np.linalg.norm(image_features, axis=1, keepdims=True)
    b = text_features / np.linalg.norm(text_features, axis=1, keepdims=True)
    return logit_scale(log_scale) * (a @ b.T)


def scaled_cosine_logits_backward(image_features, text_features, log_scale, d_logits):
    na = np.linalg.norm(image_features, axis=1, keepdims=True)
    nb = np.linalg.norm(text_features, axis=1, keepdims=True)
    a, b = image_features / na, text_features / nb
    cos = a @ b.T
    s = logit_scale(log_scale)
    d_cos = s * d_logits
    da, db = d_cos @ b, d_cos.T @ a
    d_img = (da - a * (da * a).sum(axis=1, keepdims=True)) / na
    d_txt = (db - b * (db * b).sum(axis=1, keepdims=True)) / nb
    d_log_scale = float((d_logits * cos).sum() * s) if log_scale < MAX_LOG_SCALE else 0.0
    if math.isclose(log_scale, MAX_LOG_SCALE):
        d_log_scale = float((d_logits * cos).sum() * s)
    return d_img, d_txt, d_log_scale


# === task: info_nce


def _log_softmax_rows(z):
    top = z.max(axis=1, keepdims=True)
    return z - top - np.log(np.exp(z - top).sum(axis=1, keepdims=True))


def info_nce(logits):
    logits = np.asarray(logits)
    if logits.ndim != 2 or logits.shape[0] != logits.shape[1]:
        raise ValueError(f"info_nce needs square logits, got shape {logits.shape}")
    b = logits.shape[0]
    rows = _log_softmax_rows(logits)
    cols = _log_softmax_rows(logits.T)
    loss = -(np.trace(rows) + np.trace(cols)) / (2 * b)
    grad = (np.exp(rows) + np.exp(cols).T - 2 * np.eye(b)) / (2 * b)
    return float(loss), grad.astype(logits.dtype)


# === task: retrieval


def retrieval_metrics(image_emb, text_emb, text_of_image, ks=(1, 5, 10)):
    a = image_emb / np.linalg.norm(image_emb, axis=1, keepdims=True)
    b = text_emb / np.linalg.norm(text_emb, axis=1, keepdims=True)
    sims = a @ b.T  # (N, M)
    text_of_image = np.asarray(text_of_image)
    own = sims[np.arange(len(sims)), text_of_image]
    i2t = (sims >= own[:, None]).sum(axis=1)
    t2i = []
    for m in np.unique(text_of_image):
        mine = text_of_image == m
        best = sims[mine, m].max()
        t2i.append(1 + int((sims[~mine, m] >= best).sum()))
    out = {}
    for name, ranks in (("i2t", np.asarray(i2t)), ("t2i", np.asarray(t2i))):
        for k in ks:
            out[f"{name}_R@{k}"] = float((ranks <= k).mean())
        out[f"{name}_median_rank"] = float(np.median(ranks))
    return out


# === task: train


def train_step(model, opt, images, ids, mask, lr):
    img_f, img_cache = model.encode_images(images)
    txt_f, txt_cache = model.encode_texts(ids, mask)
    s = model.log_scale
    loss, d_logits = info_nce(scaled_cosine_logits(img_f, txt_f, s))
    d_img, d_txt, d_s = scaled_cosine_logits_backward(img_f, txt_f, s, d_logits)
    grads = model.encode_images_backward(d_img, img_cache)
    grads.update(model.encode_texts_backward(d_txt, txt_cache))
    opt.step(grads, lr=lr)
    model.params["log_scale"][...] = np.minimum(model.params["log_scale"], MAX_LOG_SCALE)
    return loss


def train(seed=0, time_budget_s=240.0, max_steps=None, progress=None, config=None,
          train_config=None):  # fmt: skip
    cfg = config or ClipConfig()
    tcfg = train_config or TrainConfig()
    texts = distinct_texts()
    vocab = build_vocab(texts)
    ids, mask = tokenize(texts, vocab)
    model = ClipModel(cfg, vocab, max_len=ids.shape[1], seed=seed)
    pool = training_icons(tcfg.n_train, seed=seed)
    opt = AdamW(model.params, lr=tcfg.lr, betas=(0.9, 0.98), weight_decay=tcfg.weight_decay)
    sampler = DistinctTextSampler(pool.text_ids, tcfg.batch_size, seed=seed + 1)

    def step(batch, fraction):
        lr = cosine_lr(tcfg.lr, opt.t, tcfg.warmup_steps, fraction, tcfg.min_lr_ratio)
        t = pool.text_ids[batch]
        return train_step(model, opt, pool.images[batch], ids[t], mask[t], lr), model.log_scale

    model.history = fit(step, sampler, time_budget_s, max_steps, progress)
    return model


def training_record(model):
    return {
        "steps": int(model.history.steps),
        "losses": [float(v) for v in model.history.losses],
        "log_scale": float(model.log_scale),
    }


def embed_images(model, images, batch_size=512):
    x = np.concatenate(
        [
            model.encode_images(images[i : i + batch_size])[0]
            for i in range(0, len(images), batch_size)
        ]
    )
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def embed_texts(model, texts):
    ids, mask = tokenize(texts, model.vocab, max_len=model.max_len)
    x = model.encode_texts(ids, mask)[0]
    return x / np.linalg.norm(x, axis=1, keepdims=True)
