"""Lab 01 task surface: CLIP-style pairing of grammar icons and verb-form texts (reference).

The DoD checks call these functions through `harness.grading.worker`; they take and return only
arrays, scalars, strings and lists/dicts of those, except `train`, whose model comes back
as a handle to pass to `embed_images` / `embed_texts`.

Tasks (`@pytest.mark.task` ids in checks/test_lab01_dod.py):
  tokenize     build_vocab, tokenize
  temperature  logit_scale, scaled_cosine_logits, scaled_cosine_logits_backward
  info_nce     info_nce
  retrieval    retrieval_metrics
  train        train_step (the starter gives train, embed_images and embed_texts, which
               call it; the check trains with `train` and scores the embeddings itself)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from labs.x2_multimodal.lab00.optim import AdamW
from labs.x2_multimodal.lab01 import contrastive, retrieval, tokenizer
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

# --------------------------------------------------------------------------- task: tokenize


def build_vocab(texts: list[str]) -> list[str]:
    """["<pad>", "<cls>", then every distinct word of `texts`, sorted]."""
    return tokenizer.build_vocab(texts)


def tokenize(
    texts: list[str], vocab: list[str], max_len: int | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Token ids (N, L) int64 and mask (N, L) bool: `<cls>`, the words, `<pad>` to L."""
    return tokenizer.tokenize(texts, vocab, max_len)


# --------------------------------------------------------------------------- task: temperature


def logit_scale(log_scale: float) -> float:
    """exp(log_scale) clamped at 100."""
    return contrastive.logit_scale(log_scale)


def scaled_cosine_logits(
    image_features: np.ndarray, text_features: np.ndarray, log_scale: float
) -> np.ndarray:
    """logits (B, M) = logit_scale(log_scale) * cos(image_features[i], text_features[j])."""
    return contrastive.clip_logits(image_features, text_features, log_scale)[0]


def scaled_cosine_logits_backward(
    image_features: np.ndarray, text_features: np.ndarray, log_scale: float, d_logits: np.ndarray
) -> tuple[np.ndarray, np.ndarray, float]:
    """(d image_features (B, E), d text_features (M, E), d log_scale) given d_logits (B, M)."""
    _, cache = contrastive.clip_logits(image_features, text_features, log_scale)
    return contrastive.clip_logits_backward(d_logits, cache)


# --------------------------------------------------------------------------- task: info_nce


def info_nce(logits: np.ndarray) -> tuple[float, np.ndarray]:
    """Symmetric InfoNCE of square logits (B, B), pairs on the diagonal: (loss, d_logits)."""
    return contrastive.info_nce(logits)


# --------------------------------------------------------------------------- task: retrieval


def retrieval_metrics(
    image_emb: np.ndarray,
    text_emb: np.ndarray,
    text_of_image: np.ndarray,
    ks: Sequence[int] = (1, 5, 10),
) -> dict[str, float]:
    """i2t/t2i Recall@k and median rank, keys like "i2t_R@1" and "t2i_median_rank"."""
    return retrieval.retrieval_metrics(image_emb, text_emb, text_of_image, ks)


# --------------------------------------------------------------------------- task: train


def train_step(
    model: ClipModel, opt: AdamW, images: np.ndarray, ids: np.ndarray, mask: np.ndarray, lr: float
) -> float:
    """One contrastive update on a batch of B (icon, text) pairs with distinct texts."""
    img_f, img_cache = model.encode_images(images)  # (B, E)
    txt_f, txt_cache = model.encode_texts(ids, mask)  # (B, E)
    logits = scaled_cosine_logits(img_f, txt_f, model.log_scale)  # (B, B)
    loss, d_logits = info_nce(logits)
    d_img, d_txt, d_log_scale = scaled_cosine_logits_backward(
        img_f, txt_f, model.log_scale, d_logits
    )
    grads = model.encode_images_backward(d_img, img_cache)
    grads.update(model.encode_texts_backward(d_txt, txt_cache))
    grads["log_scale"] = np.array([d_log_scale], dtype=model.params["log_scale"].dtype)
    opt.step(grads, lr=lr)
    # CLIP's clamp, applied to the parameter after the update so the scale never passes 100
    np.minimum(model.params["log_scale"], contrastive.MAX_LOG_SCALE, out=model.params["log_scale"])
    return loss


def train(
    seed: int = 0,
    time_budget_s: float = 240.0,
    max_steps: int | None = None,
    progress: Callable[[Progress], None] | None = None,
    config: ClipConfig | None = None,
    train_config: TrainConfig | None = None,
    stop_at_recall: float | None = None,
) -> ClipModel:
    """Train a CLIP on freshly generated training icons until the time budget runs out.

    Returns the model (a handle for the checks); `model.history` holds the losses.
    """
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
    """What the checks read after training: the steps taken, the loss of each step and the
    learned log_scale (so a check can see the temperature was learned, not left at its start)."""
    return {
        "steps": int(model.history.steps),
        "losses": [float(v) for v in model.history.losses],
        "log_scale": float(model.log_scale),
    }


def embed_images(model: ClipModel, images: np.ndarray, batch_size: int = 512) -> np.ndarray:
    """L2-normalised image embeddings (N, E) for icons (N, H, W)."""
    chunks = [
        model.encode_images(images[i : i + batch_size])[0]
        for i in range(0, len(images), batch_size)
    ]
    return contrastive.l2_normalize(np.concatenate(chunks))[0]


def embed_texts(model: ClipModel, texts: list[str]) -> np.ndarray:
    """L2-normalised text embeddings (M, E), one row per text."""
    ids, mask = tokenize(texts, model.vocab, max_len=model.max_len)
    return contrastive.l2_normalize(model.encode_texts(ids, mask)[0])[0]
