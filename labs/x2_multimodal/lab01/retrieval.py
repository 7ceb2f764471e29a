"""Scoring a shared embedding: retrieval ranks, Recall@k, median rank, zero-shot accuracy.

Ties are counted against the query (a candidate that scores *equal* to the right answer is
ranked ahead of it), so a collapsed model whose embeddings are all equal ranks last, not first.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from labs.x2_multimodal.lab01.contrastive import l2_normalize


def cosine_similarities(image_emb: np.ndarray, text_emb: np.ndarray) -> np.ndarray:
    """Cosine similarity of every image (N, E) with every text (M, E): (N, M)."""
    return l2_normalize(image_emb)[0] @ l2_normalize(text_emb)[0].T


def image_to_text_ranks(sims: np.ndarray, text_of_image: np.ndarray) -> np.ndarray:
    """1-based rank (N,) of each image's own text among all M texts; sims is (N, M)."""
    own = sims[np.arange(len(sims)), text_of_image][:, None]  # (N, 1)
    return np.sum(sims >= own, axis=1)


def text_to_image_ranks(sims: np.ndarray, text_of_image: np.ndarray) -> np.ndarray:
    """1-based rank of the best matching image for each text that has at least one image.

    For text j the rank is 1 + the number of images of *other* texts scoring at least as high
    as the best image of text j. Texts without images are skipped; the result has one entry
    per distinct value of `text_of_image`, in increasing text order.
    """
    ranks = []
    for j in np.unique(text_of_image):
        column = sims[:, j]  # (N,)
        relevant = text_of_image == j
        best = column[relevant].max()
        ranks.append(1 + int(np.sum(column[~relevant] >= best)))
    return np.asarray(ranks, dtype=np.int64)


def recall_at(ranks: np.ndarray, ks: Sequence[int]) -> dict[str, float]:
    """Fraction of queries whose rank is at most k, for each k: {"R@1": ..., "R@5": ...}."""
    return {f"R@{k}": float(np.mean(ranks <= k)) for k in ks}


def retrieval_metrics(
    image_emb: np.ndarray,
    text_emb: np.ndarray,
    text_of_image: np.ndarray,
    ks: Sequence[int] = (1, 5, 10),
) -> dict[str, float]:
    """Image→text and text→image Recall@k and median rank, keys "i2t_R@1", "t2i_median_rank"...

    image_emb (N, E), text_emb (M, E) (one row per *distinct* text), text_of_image (N,) the
    row of text_emb that describes each image. Similarity is cosine.
    """
    sims = cosine_similarities(image_emb, text_emb)
    text_of_image = np.asarray(text_of_image, dtype=np.int64)
    metrics: dict[str, float] = {}
    for direction, ranks in (
        ("i2t", image_to_text_ranks(sims, text_of_image)),
        ("t2i", text_to_image_ranks(sims, text_of_image)),
    ):
        for name, value in recall_at(ranks, ks).items():
            metrics[f"{direction}_{name}"] = value
        metrics[f"{direction}_median_rank"] = float(np.median(ranks))
    return metrics


def zero_shot_accuracy(
    image_emb: np.ndarray, prompt_emb: np.ndarray, labels: np.ndarray
) -> tuple[float, np.ndarray]:
    """Classify each image (N, E) as its most similar prompt (C, E); (accuracy, predictions)."""
    predictions = np.argmax(cosine_similarities(image_emb, prompt_emb), axis=1)
    return float(np.mean(predictions == np.asarray(labels))), predictions
