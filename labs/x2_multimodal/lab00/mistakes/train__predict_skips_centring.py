"""MISTAKE: predict skips the pixel centring that train applies

task: train
caught_by: test_train_verb_classifier_beats_80_percent_on_unseen_icons
why: train centres the pixels ((x - 0.2) / 0.33) once, on its precomputed tokens, and watches
  its own validation accuracy on them; predict patchifies the raw icons, so the model sees
  inputs it never trained on and scores 10-20% while its own validation says 85%.
hint: preprocess in one function that train and predict both call (channel axis, centring,
  patch size), and watch progress through predict itself.
"""
# ruff: noqa: F405 (np and the base's names come from its import below)

from __future__ import annotations

from labs.x2_multimodal.lab00.mistakes.alt_explicit_heads import *  # noqa: F403 (base)

# === task: train


def _forward(cfg, p, t):  # t: tokens (B, N, P*P), already preprocessed
    x = t @ p["embed_w"] + p["embed_b"] + p["pos"]
    caches = []
    for i in range(cfg["depth"]):
        x, c = block(x, _block_params(p, i), cfg["n_heads"])
        caches.append(c)
    pooled = x.mean(axis=1)
    z, cn = layernorm(pooled, p["norm_g"], p["norm_b"])
    logits = {h: z @ p[f"head.{h}.w"] + p[f"head.{h}.b"] for h, _ in cfg["heads"]}
    return logits, (t, caches, cn, z, x.shape[1])


def train(config, seed, time_budget_s):
    start = time.perf_counter()
    target = config.get("target", "verb")
    cfg = {"dim": 64, "depth": 4, "n_heads": 4, "patch": 8, "heads": HEADS[target]}
    max_steps = int(config.get("max_steps", 10**9))
    stop_at = config.get("stop_at_accuracy")
    rng = np.random.default_rng(seed)
    images, labels = icon_dataset(8000, seed, "train")
    val_images, val_labels = icon_dataset(500, seed, "heldout")
    tokens, val_tokens = _tokens(images, cfg["patch"]), _tokens(val_images, cfg["patch"])
    p = _init(cfg, rng)
    opt = AdamW(p, lr=2e-3, betas=(0.9, 0.999), weight_decay=0.05)
    step = 0
    while step < max_steps and time.perf_counter() - start < time_budget_s - 15:
        batch = rng.integers(0, len(images), 64)
        logits, cache = _forward(cfg, p, tokens[batch])
        dlogits = {}
        for h, _ in cfg["heads"]:
            _, dlogits[h] = softmax_cross_entropy(logits[h], labels[h][batch])
        lr = 2e-3 * min(1.0, (step + 1) / 30)
        opt.step(_backward(cfg, p, dlogits, cache), lr=lr)
        step += 1
        if stop_at is not None and step % 50 == 0:
            pred = _argmax(cfg, p, val_tokens)
            if np.mean(pred["verb"] == val_labels["verb"]) >= stop_at:
                break
    return {"cfg": cfg, "p": p}


def _argmax(cfg, p, tokens):
    out = {h: [] for h, _ in cfg["heads"]}
    for i in range(0, len(tokens), 256):
        logits, _ = _forward(cfg, p, tokens[i : i + 256])
        for h in out:
            out[h].append(logits[h].argmax(axis=-1))
    return {h: np.concatenate(v).astype(np.int64) for h, v in out.items()}


def predict(params, images):
    cfg, p = params["cfg"], params["p"]
    tokens = patchify(np.asarray(images, dtype=np.float32)[..., None], cfg["patch"])
    return _argmax(cfg, p, tokens)
