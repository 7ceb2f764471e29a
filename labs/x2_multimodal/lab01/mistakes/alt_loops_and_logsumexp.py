"""CORRECT alternative: dict-based tokenizer, logsumexp by hand, ranks by counting.

tasks: tokenize, temperature, info_nce, retrieval, train
why: written independently of the reference (a word index dict, the cosine backward through
  the product rule on norms, both InfoNCE terms from one logsumexp helper, ranks counted
  with broadcasting) to show the checks accept any implementation of the contract.
"""

from __future__ import annotations

import math

import numpy as np

from labs.x2_multimodal.lab00.optim import AdamW
from labs.x2_multimodal.lab01.data import distinct_texts, make_icon_set, training_icons
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


def _row_length(split, max_len):
    need = 1 + max((len(s) for s in split), default=0)
    length = need if max_len is None else max_len
    if length < need:
        raise ValueError(f"max_len={max_len} is too short; a text needs {need} tokens")
    return length


def _row_ids(words, index, text):
    missing = [w for w in words if w not in index]
    if missing:
        raise ValueError(f"unknown words {missing} in text {text!r}")
    return [index[CLS]] + [index[w] for w in words]


def tokenize(texts, vocab, max_len=None):
    index = {w: i for i, w in enumerate(vocab)}
    split = [t.split() for t in texts]
    length = _row_length(split, max_len)
    ids = np.zeros((len(texts), length), dtype=np.int64)
    mask = np.zeros((len(texts), length), dtype=bool)
    for n, words in enumerate(split):
        row = _row_ids(words, index, texts[n])
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
    return d_img, d_txt, _d_log_scale(d_logits, cos, log_scale)


def _d_log_scale(d_logits, cos, log_scale):
    """d loss / d log_scale: d scale / d log_scale = scale, and 0 above the clamp."""
    s = logit_scale(log_scale)
    d_log_scale = float((d_logits * cos).sum() * s) if log_scale < MAX_LOG_SCALE else 0.0
    if math.isclose(log_scale, MAX_LOG_SCALE):
        d_log_scale = float((d_logits * cos).sum() * s)
    return d_log_scale


# === task: info_nce


def _log_softmax_rows(z):
    top = z.max(axis=1, keepdims=True)
    return z - top - np.log(np.exp(z - top).sum(axis=1, keepdims=True))


def _loss_and_grad(rows, cols):
    """The mean of both cross-entropies from the row-wise (image->text) and column-wise
    (text->image) log-softmax, and its gradient with respect to the logits."""
    b = rows.shape[0]
    loss = -(np.trace(rows) + np.trace(cols)) / (2 * b)
    grad = (np.exp(rows) + np.exp(cols).T - 2 * np.eye(b)) / (2 * b)
    return loss, grad


def info_nce(logits):
    logits = np.asarray(logits)
    if logits.ndim != 2 or logits.shape[0] != logits.shape[1]:
        raise ValueError(f"info_nce needs square logits, got shape {logits.shape}")
    loss, grad = _loss_and_grad(_log_softmax_rows(logits), _log_softmax_rows(logits.T))
    return float(loss), grad.astype(logits.dtype)


# === task: retrieval


def _cosines(image_emb, text_emb):
    a = image_emb / np.linalg.norm(image_emb, axis=1, keepdims=True)
    b = text_emb / np.linalg.norm(text_emb, axis=1, keepdims=True)
    return a @ b.T  # (N, M)


def _image_to_text_ranks(sims, text_of_image):
    """1 + the texts scoring at least the image's own: ties count against the query."""
    own = sims[np.arange(len(sims)), text_of_image]
    return (sims >= own[:, None]).sum(axis=1)


def _text_rank(sims, mine, m):
    """1 + the icons of other texts scoring at least text m's best own icon (`mine`)."""
    best = sims[mine, m].max()
    return 1 + int((sims[~mine, m] >= best).sum())


def _text_to_image_ranks(sims, text_of_image):
    """Only the texts that have icons are queries; the others are distractors."""
    return np.array([_text_rank(sims, text_of_image == m, m) for m in np.unique(text_of_image)])


def _recalls(name, ranks, ks):
    out = {f"{name}_R@{k}": float((ranks <= k).mean()) for k in ks}
    out[f"{name}_median_rank"] = float(np.median(ranks))
    return out


def retrieval_metrics(image_emb, text_emb, text_of_image, ks=(1, 5, 10)):
    sims = _cosines(image_emb, text_emb)
    text_of_image = np.asarray(text_of_image)
    i2t = _image_to_text_ranks(sims, text_of_image)
    t2i = _text_to_image_ranks(sims, text_of_image)
    return {**_recalls("i2t", i2t, ks), **_recalls("t2i", t2i, ks)}


# === task: train


def train_step(model, opt, images, ids, mask, lr):
    img_f, img_cache = model.encode_images(images)
    txt_f, txt_cache = model.encode_texts(ids, mask)
    s = model.log_scale
    loss, d_logits = info_nce(scaled_cosine_logits(img_f, txt_f, s))
    d_img, d_txt, d_s = scaled_cosine_logits_backward(img_f, txt_f, s, d_logits)
    grads = model.encode_images_backward(d_img, img_cache)
    grads.update(model.encode_texts_backward(d_txt, txt_cache))
    grads["log_scale"] = np.array([d_s], dtype=model.params["log_scale"].dtype)
    opt.step(grads, lr=lr)
    model.params["log_scale"][...] = np.minimum(model.params["log_scale"], MAX_LOG_SCALE)
    return loss


def _recall_reached(model, texts, target, seed):
    """A `stop` for fit: R@1 (ties count against) on 256 unseen icons of this seed's own."""
    probe = make_icon_set(256, seed=seed + 11, split="heldout")
    rows = np.arange(len(probe.text_ids))

    def reached():
        scores = embed_images(model, probe.images) @ embed_texts(model, texts).T  # (256, T)
        own = scores[rows, probe.text_ids]
        first = (scores >= own[:, None]).sum(axis=1) == 1
        return bool(first.mean() >= target)

    return reached


def train(seed=0, time_budget_s=240.0, max_steps=None, progress=None, config=None,
          train_config=None, stop_at_recall=None):  # fmt: skip
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

    stop = None if stop_at_recall is None else _recall_reached(model, texts, stop_at_recall, seed)
    model.history = fit(step, sampler, time_budget_s, max_steps, progress, stop=stop)
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
