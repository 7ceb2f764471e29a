"""Lab 01: CLIP-style pairing of grammar icons and verb-form texts (your copy).

Fill in the functions marked TODO, one task at a time, and run that task's checks:

    harness check lab-01 --task tokenize

Tasks, in order: tokenize, temperature, info_nce, retrieval, train. The image tower (lab 00's
ViT), the text tower (lab 00's transformer block), AdamW, the icon generator and the training
loop are given; you write what makes them a CLIP. NumPy only.

Shapes: B pairs in a batch, E the shared embedding width, M texts, N icons, L tokens per text.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from labs.x2_multimodal.lab00.optim import AdamW
from labs.x2_multimodal.lab01.data import distinct_texts, training_icons
from labs.x2_multimodal.lab01.model import ClipConfig, ClipModel
from labs.x2_multimodal.lab01.train import (
    DistinctTextSampler,
    Progress,
    TrainConfig,
    cosine_lr,
    fit,
    recall_stop,
)

PAD, CLS = "<pad>", "<cls>"
MAX_LOG_SCALE = float(np.log(100.0))  # CLIP never lets the logit scale pass 100

# --------------------------------------------------------------------------- task: tokenize


def build_vocab(texts: list[str]) -> list[str]:
    """The vocabulary of a closed set of texts, one token per word.

    Returns ["<pad>", "<cls>", w1, w2, ...]: the two special tokens (so "<pad>" is id 0 and
    "<cls>" id 1), then every distinct whitespace-separated word of `texts` in sorted order.
    Example: ["she eats", "I eat"] -> ["<pad>", "<cls>", "I", "eat", "eats", "she"].
    """
    # TODO(lab-01, task tokenize): collect the words, sort them, put the specials first.
    raise NotImplementedError("build_vocab: task 'tokenize'")


def tokenize(
    texts: list[str], vocab: list[str], max_len: int | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Token ids (N, L) int64 and a mask (N, L) bool for N texts.

    Row n is [id of "<cls>", ids of the words of texts[n], id of "<pad>", ...] with L = max_len,
    or 1 + the number of words of the longest text when max_len is None. mask is True on
    "<cls>" and the words, False on padding. A word not in `vocab`, or a max_len too short
    for some text, raises ValueError naming the problem.
    """
    # TODO(lab-01, task tokenize): look every word up in the vocabulary and pad to L.
    raise NotImplementedError("tokenize: task 'tokenize'")


# --------------------------------------------------------------------------- task: temperature


def logit_scale(log_scale: float) -> float:
    """The inverse temperature: exp(log_scale), but never more than 100.

    CLIP learns log_scale (initialised to log(1/0.07), a scale of ~14.3) rather than the
    scale itself, so it stays positive and moves multiplicatively.
    """
    # TODO(lab-01, task temperature): exponentiate, clamped at 100.
    raise NotImplementedError("logit_scale: task 'temperature'")


def scaled_cosine_logits(
    image_features: np.ndarray, text_features: np.ndarray, log_scale: float
) -> np.ndarray:
    """CLIP's logits: logits[i, j] = logit_scale(log_scale) * cos(image i, text j).

    image_features (B, E) and text_features (M, E) are the towers' raw projections; L2
    normalise each row, take all dot products, multiply by the scale. Returns (B, M).
    """
    # TODO(lab-01, task temperature): normalise the rows, (B, E) @ (E, M), scale.
    raise NotImplementedError("scaled_cosine_logits: task 'temperature'")


def scaled_cosine_logits_backward(
    image_features: np.ndarray, text_features: np.ndarray, log_scale: float, d_logits: np.ndarray
) -> tuple[np.ndarray, np.ndarray, float]:
    """Backward of `scaled_cosine_logits` given d loss / d logits (B, M).

    Returns (d image_features (B, E), d text_features (M, E), d log_scale (a float)).
    Through u = x / |x| only the part of the gradient orthogonal to u survives:
    dx = (du - u * <du, u>) / |x|. d log_scale is sum(d_logits * cosines) * scale below the
    clamp and 0 above it (at exactly log(100) take the derivative from below).
    """
    # TODO(lab-01, task temperature): recompute the forward, then chain rule back to each input.
    raise NotImplementedError("scaled_cosine_logits_backward: task 'temperature'")


# --------------------------------------------------------------------------- task: info_nce


def info_nce(logits: np.ndarray) -> tuple[float, np.ndarray]:
    """The symmetric InfoNCE loss of a square batch, and its gradient.

    logits (B, B) holds image i against text j; the true pairs are on the diagonal.
    loss = (mean over i of cross-entropy of row i with target i
            + mean over j of cross-entropy of column j with target j) / 2.
    Returns (loss as a float, d loss / d logits (B, B)). Non-square logits raise ValueError.
    Use a numerically stable log-softmax: logits of 100 must not overflow.
    """
    # TODO(lab-01, task info_nce): a log-softmax over rows, one over columns, the diagonal.
    raise NotImplementedError("info_nce: task 'info_nce'")


# --------------------------------------------------------------------------- task: retrieval


def retrieval_metrics(
    image_emb: np.ndarray,
    text_emb: np.ndarray,
    text_of_image: np.ndarray,
    ks: Sequence[int] = (1, 5, 10),
) -> dict[str, float]:
    """Recall@k and median rank in both directions, by cosine similarity.

    image_emb (N, E); text_emb (M, E), one row per *distinct* text; text_of_image (N,) int, the
    row of text_emb that describes each icon. Ranks are 1-based and ties count against the
    query (a candidate scoring equal to the right answer is ranked ahead of it).
      image->text: the rank of each icon's own text among the M texts.
      text->image: for each text that has icons, 1 + the number of icons of *other* texts
                   scoring at least as high as its best icon.
    Returns {"i2t_R@1": ..., "i2t_R@5": ..., "i2t_R@10": ..., "i2t_median_rank": ...,
             "t2i_R@1": ..., ..., "t2i_median_rank": ...} (one "R@k" key per k in ks).
    """
    # TODO(lab-01, task retrieval): cosine similarities (N, M), ranks, recalls, medians.
    raise NotImplementedError("retrieval_metrics: task 'retrieval'")


# --------------------------------------------------------------------------- task: train


def train_step(
    model: ClipModel, opt: AdamW, images: np.ndarray, ids: np.ndarray, mask: np.ndarray, lr: float
) -> float:
    """One contrastive update on B (icon, text) pairs whose texts are all different.

    images (B, H, W); ids, mask (B, L) from `tokenize`. Returns the loss before the update.
      img_f, img_cache = model.encode_images(images)            # (B, E)
      txt_f, txt_cache = model.encode_texts(ids, mask)          # (B, E)
      logits from scaled_cosine_logits with model.log_scale, loss from info_nce,
      gradients from scaled_cosine_logits_backward, then
      grads = model.encode_images_backward(d_img, img_cache) | model.encode_texts_backward(...)
      grads["log_scale"] = np.array([d_log_scale], dtype=model.params["log_scale"].dtype)
      opt.step(grads, lr=lr), and clamp model.params["log_scale"] at MAX_LOG_SCALE in place.
    """
    # TODO(lab-01, task train): wire the towers, your logits and your loss into one AdamW step.
    raise NotImplementedError("train_step: task 'train'")


def train(
    seed: int = 0,
    time_budget_s: float = 240.0,
    max_steps: int | None = None,
    progress: Callable[[Progress], None] | None = None,
    config: ClipConfig | None = None,
    train_config: TrainConfig | None = None,
    stop_at_recall: float | None = None,
) -> ClipModel:
    """Given: trains with your `train_step` until the time budget runs out."""
    cfg = config or ClipConfig()
    tcfg = train_config or TrainConfig()
    texts = distinct_texts()
    vocab = build_vocab(texts)
    ids, mask = tokenize(texts, vocab)  # (T, L): one row per distinct text
    model = ClipModel(cfg, vocab, max_len=ids.shape[1], seed=seed)
    pool = training_icons(tcfg.n_train, seed=seed)
    opt = AdamW(model.params, lr=tcfg.lr, betas=(0.9, 0.98), weight_decay=tcfg.weight_decay)
    sampler = DistinctTextSampler(pool.text_ids, tcfg.batch_size, seed=seed + 1)

    def step(batch: np.ndarray, fraction: float) -> tuple[float, float]:
        lr = cosine_lr(tcfg.lr, opt.t, tcfg.warmup_steps, fraction, tcfg.min_lr_ratio)
        t = pool.text_ids[batch]
        return train_step(model, opt, pool.images[batch], ids[t], mask[t], lr), model.log_scale

    stop = None
    if stop_at_recall is not None:  # the checks stop training once their bar is in reach
        stop = recall_stop(model, embed_images, embed_texts, texts, stop_at_recall, seed)
    model.history = fit(step, sampler, time_budget_s, max_steps, progress, stop=stop)
    return model


def training_record(model: ClipModel) -> dict:
    """Given: what the checks read after training: the steps taken, the loss of each step and the
    learned log_scale (so a check can see the temperature was learned, not left at its start)."""
    return {
        "steps": int(model.history.steps),
        "losses": [float(v) for v in model.history.losses],
        "log_scale": float(model.log_scale),
    }


def embed_images(model: ClipModel, images: np.ndarray, batch_size: int = 512) -> np.ndarray:
    """Given: L2-normalised image embeddings (N, E) for icons (N, H, W)."""
    chunks = [
        model.encode_images(images[i : i + batch_size])[0]
        for i in range(0, len(images), batch_size)
    ]
    x = np.concatenate(chunks)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def embed_texts(model: ClipModel, texts: list[str]) -> np.ndarray:
    """Given: L2-normalised text embeddings (M, E), one row per text."""
    ids, mask = tokenize(texts, model.vocab, max_len=model.max_len)
    x = model.encode_texts(ids, mask)[0]
    return x / np.linalg.norm(x, axis=1, keepdims=True)
