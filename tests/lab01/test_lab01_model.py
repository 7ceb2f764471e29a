"""The two towers end to end: every parameter's gradient against central differences."""

from __future__ import annotations

import numpy as np
import pytest

from labs.x2_multimodal.lab00 import vit
from labs.x2_multimodal.lab01 import contrastive as c
from labs.x2_multimodal.lab01.model import ClipConfig, ClipModel
from labs.x2_multimodal.lab01.tokenizer import build_vocab, tokenize

TEXTS = ["she eats", "I have eaten", "you will read", "I read", "she is reading"]


def small_model(text_encoder: str, text_pool: str = "mean") -> ClipModel:
    cfg = ClipConfig(
        embed_dim=6,
        image=vit.ViTConfig(image_size=8, patch=4, dim=8, depth=1, n_heads=2, mlp_ratio=2),
        text_encoder=text_encoder,
        text_pool=text_pool,
        text_dim=8,
        text_depth=2,
        text_heads=2,
        init_log_scale=1.5,
        dtype="float64",
    )
    return ClipModel(cfg, build_vocab(TEXTS), max_len=4, seed=0)


def loss_and_grads(model: ClipModel, images, ids, mask):
    img_f, img_cache = model.encode_images(images)
    txt_f, txt_cache = model.encode_texts(ids, mask)
    logits, cache = c.clip_logits(img_f, txt_f, model.log_scale)
    loss, d_logits = c.info_nce(logits)
    d_img, d_txt, d_log_scale = c.clip_logits_backward(d_logits, cache)
    grads = model.encode_images_backward(d_img, img_cache)
    grads.update(model.encode_texts_backward(d_txt, txt_cache))
    grads["log_scale"] = np.array([d_log_scale])
    return loss, grads


@pytest.mark.parametrize(
    "text_encoder, text_pool", [("transformer", "mean"), ("transformer", "cls"), ("bag", "mean")]
)
def test_every_parameter_gradient_matches_finite_differences(text_encoder, text_pool):
    model = small_model(text_encoder, text_pool)
    rng = np.random.default_rng(1)
    images = rng.random((len(TEXTS), 8, 8))
    ids, mask = tokenize(TEXTS, model.vocab, max_len=4)
    _, grads = loss_and_grads(model, images, ids, mask)
    assert set(grads) == set(model.params)
    for name, param in model.params.items():
        flat = param.reshape(-1)
        # a few random coordinates per tensor keep this fast; the used token rows are included
        coords = rng.choice(flat.size, size=min(6, flat.size), replace=False)
        if name == "text.tok":
            coords = np.unique(ids)[:6] * param.shape[1]
        analytic, numeric = [], []
        for i in coords:
            old = flat[i]
            flat[i] = old + 1e-5
            up, _ = loss_and_grads(model, images, ids, mask)
            flat[i] = old - 1e-5
            down, _ = loss_and_grads(model, images, ids, mask)
            flat[i] = old
            numeric.append((up - down) / 2e-5)
            analytic.append(grads[name].reshape(-1)[i])
        a, n = np.array(analytic), np.array(numeric)
        rel = np.linalg.norm(a - n) / max(np.linalg.norm(a) + np.linalg.norm(n), 1e-12)
        assert rel < 1e-5, f"{name}: relative error {rel:.2e}, analytic {a}, numeric {n}"


def test_padding_does_not_change_a_text_embedding():
    model = small_model("transformer")
    ids3, mask3 = tokenize(["she eats"], model.vocab)  # length 3, no padding
    ids4, mask4 = tokenize(["she eats"], model.vocab, max_len=4)
    a, _ = model.encode_texts(ids3, mask3)
    b, _ = model.encode_texts(ids4, mask4)
    assert np.allclose(a, b)


def test_texts_must_start_with_cls():
    model = small_model("transformer")
    ids, mask = tokenize(["she eats"], model.vocab)
    with pytest.raises(ValueError, match="<cls>"):
        model.encode_texts(ids[:, 1:], mask[:, 1:])
