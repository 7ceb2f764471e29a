"""Tokenizer and retrieval metrics, checked against hand-worked cases."""

from __future__ import annotations

import numpy as np
import pytest

from labs.x2_multimodal.lab01 import retrieval as r
from labs.x2_multimodal.lab01.tokenizer import CLS, PAD, build_vocab, tokenize


def test_vocab_holds_specials_then_sorted_words():
    assert build_vocab(["she eats", "I will eat", "I eat"]) == [
        PAD,
        CLS,
        "I",
        "eat",
        "eats",
        "she",
        "will",
    ]


def test_tokenize_pads_and_masks():
    vocab = build_vocab(["she has eaten", "I eat"])
    ids, mask = tokenize(["I eat", "she has eaten"], vocab)
    index = {t: i for i, t in enumerate(vocab)}
    assert ids.tolist() == [
        [index[CLS], index["I"], index["eat"], index[PAD]],
        [index[CLS], index["she"], index["has"], index["eaten"]],
    ]
    assert mask.tolist() == [[True, True, True, False], [True, True, True, True]]


def test_tokenize_names_the_unknown_word():
    with pytest.raises(ValueError, match="'swims'"):
        tokenize(["she swims"], build_vocab(["she eats"]))


def test_tokenize_rejects_a_short_max_len():
    with pytest.raises(ValueError, match="max_len=2"):
        tokenize(["she has eaten"], build_vocab(["she has eaten"]), max_len=2)


def test_ranks_count_ties_against_the_query():
    sims = np.array([[0.9, 0.1, 0.5], [0.2, 0.2, 0.2]])
    assert r.image_to_text_ranks(sims, np.array([0, 1])).tolist() == [1, 3]


def test_text_to_image_rank_uses_the_best_relevant_image():
    # Images 0 and 1 show text 0, image 2 shows text 1.
    sims = np.array([[0.1, 0.0], [0.8, 0.9], [0.5, 0.2]])
    assert r.text_to_image_ranks(sims, np.array([0, 0, 1])).tolist() == [1, 2]


def test_collapsed_embeddings_score_zero_recall():
    metrics = r.retrieval_metrics(np.ones((6, 3)), np.ones((20, 3)), np.arange(6))
    assert metrics["i2t_R@1"] == 0.0
    assert metrics["i2t_R@10"] == 0.0
    assert metrics["i2t_median_rank"] == 20


def test_perfect_embeddings_score_full_recall():
    texts = np.eye(4)
    metrics = r.retrieval_metrics(texts[[0, 1, 2, 3, 1]] * 3, texts, np.array([0, 1, 2, 3, 1]))
    assert metrics["i2t_R@1"] == metrics["t2i_R@1"] == 1.0
    assert metrics["t2i_median_rank"] == 1.0
