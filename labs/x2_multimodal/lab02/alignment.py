"""Cross-attention as a word aligner: which 20 ms of audio each text token looked at.

Whisper's paper (section 3.8 / appendix) and its `timing.py` pick a few decoder
cross-attention heads that track time well ("alignment heads"), normalise each head's
weights over the tokens, median-filter along time, average the heads and run dynamic time
warping (DTW) to get a monotone token -> time path. The same recipe is
`WhisperForConditionalGeneration._extract_token_timestamps` in transformers.
"""

from __future__ import annotations

import numpy as np

from labs.x2_multimodal.lab02.audio import frame_arithmetic

SECONDS_PER_POSITION = frame_arithmetic()["seconds_per_position"]  # 0.02


def median_filter(x: np.ndarray, width: int) -> np.ndarray:
    """Running median along the last axis, reflect-padded so the length is kept."""
    if width <= 1:
        return x
    if width % 2 == 0:
        raise ValueError(f"median filter width must be odd, got {width}")
    pad = width // 2
    if x.shape[-1] <= pad:
        return x  # too short to reflect; transformers returns it unchanged too
    padded = np.pad(x, [(0, 0)] * (x.ndim - 1) + [(pad, pad)], mode="reflect")
    windows = np.lib.stride_tricks.sliding_window_view(padded, width, axis=-1)
    return np.median(windows, axis=-1)


def alignment_matrix(
    cross_attentions: np.ndarray, heads, n_positions: int, medfilt_width: int = 7
) -> np.ndarray:
    """(L, H, T, S) attention probabilities -> (T, n_positions) token-by-time matrix."""
    cross_attentions = np.asarray(cross_attentions, dtype=np.float64)
    heads = np.asarray(heads, dtype=np.int64).reshape(-1, 2)
    weights = cross_attentions[heads[:, 0], heads[:, 1], :, :n_positions]  # (K, T, S')
    # Each head has its own scale; z-score over the tokens so every head votes equally.
    mean = weights.mean(axis=-2, keepdims=True)
    std = weights.std(axis=-2, keepdims=True)
    weights = (weights - mean) / std
    weights = median_filter(weights, medfilt_width)
    return weights.mean(axis=0)  # (T, S')


def dtw_path(cost: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Cheapest monotone path from (0, 0) to (T-1, S-1) through `cost` (T, S).

    Steps: diagonal, down (next token, same time) or right (same token, next time). Each cell
    takes the diagonal only if it is strictly below both others, then down only if strictly
    below both others, else right (transformers' and openai-whisper's rule), and accumulates
    the chosen predecessor's cost: on tied costs that is not always the minimum, so the path
    need not be the cheapest there. Returns (token_indices, time_indices).
    """
    cost = np.asarray(cost, dtype=np.float64)
    n_tok, n_time = cost.shape
    acc = np.full((n_tok + 1, n_time + 1), np.inf)
    acc[0, 0] = 0.0
    trace = np.full((n_tok + 1, n_time + 1), -1, dtype=np.int8)
    for j in range(1, n_time + 1):
        for i in range(1, n_tok + 1):
            c0, c1, c2 = acc[i - 1, j - 1], acc[i - 1, j], acc[i, j - 1]
            if c0 < c1 and c0 < c2:
                best, step = c0, 0
            elif c1 < c0 and c1 < c2:
                best, step = c1, 1
            else:
                best, step = c2, 2
            acc[i, j] = cost[i - 1, j - 1] + best
            trace[i, j] = step
    trace[0, :] = 2
    trace[:, 0] = 1
    i, j = n_tok, n_time
    tokens, times = [], []
    while i > 0 or j > 0:
        tokens.append(i - 1)
        times.append(j - 1)
        step = trace[i, j]
        if step == 0:
            i, j = i - 1, j - 1
        elif step == 1:
            i -= 1
        else:
            j -= 1
    return np.array(tokens[::-1]), np.array(times[::-1])


# --- with the real model (torch inside) ------------------------------------------------------


def cross_attentions(bundle, features: np.ndarray, tokens: list[int]) -> np.ndarray:
    """Teacher-forced cross-attention probabilities, (L, H, T, 1500) float32.

    The fused sdpa kernel never materialises attention weights, so the model is switched to
    the eager implementation for this one forward pass and switched back afterwards.
    """
    import torch

    from labs.x2_multimodal.lab02.decoding import features_tensor

    model = bundle.model
    previous = model.config._attn_implementation
    model.set_attn_implementation("eager")
    try:
        with torch.inference_mode():
            out = model(
                input_features=features_tensor(features),
                decoder_input_ids=torch.tensor([tokens]),
                output_attentions=True,
                use_cache=False,
            )
    finally:
        model.set_attn_implementation(previous)
    return torch.stack(out.cross_attentions, dim=0)[:, 0].float().numpy()


def token_alignment(
    bundle, features: np.ndarray, text_ids: list[int], n_samples: int, medfilt_width: int = 7
) -> dict:
    """DTW over the alignment heads: a start and end time for every text token.

    Returns `tokens` (the decoder input), `matrix` (rows: text tokens then EOT; columns:
    20 ms encoder positions covering the real audio), `path` (token, time index pairs) and
    `words`: one dict per text token with `text`, `start`, `end` in seconds.
    """
    from labs.x2_multimodal.lab02.whisper_model import EOT, NO_TIMESTAMPS, SOT

    prompt = [SOT, NO_TIMESTAMPS]
    tokens = prompt + list(text_ids) + [EOT]
    attn = cross_attentions(bundle, features, tokens)
    hop = frame_arithmetic()["hop_length"]
    n_positions = min(attn.shape[-1], int(np.ceil(n_samples / hop / 2)))
    full = alignment_matrix(attn, bundle.alignment_heads, n_positions, medfilt_width)
    matrix = full[len(prompt) :]  # (n_text + 1, S'): text tokens and EOT
    rows, cols = dtw_path(-matrix)
    # A token starts where the path first enters its row.
    first = np.searchsorted(rows, np.arange(matrix.shape[0]))
    starts = cols[first] * SECONDS_PER_POSITION
    words = [
        {
            "token": int(t),
            "text": bundle.tokenizer.decode([int(t)]),
            "start": round(float(starts[k]), 2),
            "end": round(float(starts[k + 1]), 2),
        }
        for k, t in enumerate(text_ids)
    ]
    return {
        "tokens": tokens,
        "matrix": matrix.astype(np.float32),
        "path": np.stack([rows, cols], axis=1),
        "words": words,
        "n_positions": n_positions,
    }


# --- views -----------------------------------------------------------------------------------


SHADES = " .:-=+*#%@"


def text_heatmap(
    matrix: np.ndarray, labels: list[str], width: int = 60, path: np.ndarray | None = None
) -> str:
    """The alignment matrix as characters: one row per token, darker = more attention."""
    matrix = np.asarray(matrix, dtype=np.float64)
    n_time = matrix.shape[1]
    edges = np.linspace(0, n_time, min(width, n_time) + 1).astype(int)
    spans = zip(edges[:-1], edges[1:], strict=True)
    cols = np.stack([matrix[:, a:b].mean(axis=1) for a, b in spans], axis=1)  # (T, width)
    lo, hi = cols.min(), cols.max()
    levels = np.round((cols - lo) / max(hi - lo, 1e-12) * (len(SHADES) - 1)).astype(int)
    label_w = max(len(s) for s in labels) if labels else 0
    seconds = n_time * SECONDS_PER_POSITION
    lines = [f"{'':>{label_w}} |0 s{'':{max(cols.shape[1] - 8, 1)}}{seconds:.2f} s|"]
    for r, label in enumerate(labels):
        row = [SHADES[v] for v in levels[r]]
        if path is not None:  # mark where DTW placed this token
            for t in path[path[:, 0] == r][:, 1]:
                row[min(np.searchsorted(edges, t, side="right") - 1, len(row) - 1)] = "o"
        lines.append(f"{label:>{label_w}} |{''.join(row)}|")
    return "\n".join(lines)


def save_heatmap(
    matrix: np.ndarray, labels: list[str], out_png, path: np.ndarray | None = None, title: str = ""
) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    n_tok, n_time = matrix.shape
    fig, ax = plt.subplots(figsize=(max(6.0, n_time / 25), max(2.5, 0.35 * n_tok + 1)))
    ax.imshow(
        matrix,
        aspect="auto",
        cmap="magma",
        interpolation="nearest",
        extent=(0, n_time * SECONDS_PER_POSITION, n_tok - 0.5, -0.5),
    )
    if path is not None:
        ax.plot(
            (path[:, 1] + 0.5) * SECONDS_PER_POSITION,
            path[:, 0],
            color="cyan",
            lw=1.2,
            label="DTW path",
        )
        ax.legend(loc="upper right", fontsize=7)
    ax.set_yticks(range(n_tok), labels, fontsize=8)
    ax.set_xlabel("time (s) — one column per 20 ms encoder position")
    ax.set_title(title or "alignment heads, averaged (z-scored, median-filtered)", fontsize=9)
    fig.tight_layout()
    fig.savefig(out_png, dpi=110)
    plt.close(fig)
