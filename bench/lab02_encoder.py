"""Lab 02: can the fp32 encoder go faster? Variants of `FastWhisper.encode`, and the roofline.

    PYTHONPATH=. .venv/bin/python bench/lab02_encoder.py --threads 1 [--repeats 7]

Issue 18's target 5 (fp32 <= 1.0x CTranslate2 int8 per clip) is missed because the fp32
encoder alone costs about CTranslate2's whole clip. This times, interleaved on one clip's
features (07-drink.wav), median of `--repeats`:

- `eager`: `FastWhisper.encode` as the decoder runs it today;
- `jit_frozen`: the same function traced (`torch.jit.trace`) and frozen (`torch.jit.freeze`:
  weights become constants, oneDNN may fuse);
- `jit_optimized`: the frozen trace through `torch.jit.optimize_for_inference` (oneDNN
  prepacked Linear, conv+GELU fusions, MKLDNN layouts);
- `mkldnn_linear`: eager with every encoder Linear's weight prepacked for oneDNN
  (`torch.utils.mkldnn.to_mkldnn`), the attention left as it is.

With `--compile`, also `torch.compile` (inductor, max-autotune without CUDA graphs).
For each: wall and CPU time, the largest difference from `eager`'s states, and whether the
greedy ids on every committed clip stay what `eager` gives (the transcripts must not change).
Then the roofline: the encoder's FLOPs per clip and what one (1500 x 384) . (384 x 1536) GEMM
and one flash-attention layer reach here (GFLOP/s), so the measured time can be read against
what this core can do in fp32 at all.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
import warnings
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from labs.x2_multimodal.lab02 import fast_decode  # noqa: E402
from labs.x2_multimodal.lab02.audio import log_mel_spectrogram, read_wav  # noqa: E402
from labs.x2_multimodal.lab02.decoding import features_tensor  # noqa: E402
from labs.x2_multimodal.lab02.whisper_model import load_whisper  # noqa: E402

CLIPS = Path(__file__).resolve().parents[1] / "labs" / "x2_multimodal" / "lab02" / "clips"


def encoder_flops(cfg, positions: int = 1500, frames: int = 3000) -> dict[str, float]:
    """Multiply-adds x 2 of one 30 s window through the encoder, by part (GFLOP)."""
    d, f, n = cfg.d_model, cfg.encoder_ffn_dim, cfg.encoder_layers
    conv = 2 * (frames * 80 * 3 * d + positions * d * 3 * d)
    proj = n * 2 * positions * (3 * d * d + d * d + 2 * d * f)
    attention = n * 2 * 2 * positions * positions * d  # QK^T and PV over all heads
    return {k: v / 1e9 for k, v in {"conv": conv, "proj": proj, "attention": attention}.items()}


def timed(fn, *args, repeats: int = 1):
    import torch

    with torch.inference_mode():
        w0, c0 = time.perf_counter(), time.process_time()
        for _ in range(repeats):
            out = fn(*args)
        return out, (time.perf_counter() - w0) / repeats, (time.process_time() - c0) / repeats


def split_encode(fast):
    """`fast.encode` as (front: convolutions + positions, layers: the 4 blocks + final norm).

    The front depends on the clip (where its silent tail starts), so only the layers, ~95 % of
    the FLOPs, are traced; every variant shares the eager front.
    """
    import torch.nn.functional as F

    enc = fast.encoder

    def front(features):
        start = fast_decode.constant_tail_start(features)
        x = F.gelu(fast_decode.conv1d_constant_tail(enc.conv1, features, start))
        x = F.gelu(fast_decode.conv1d_constant_tail(enc.conv2, x, start + 1))
        return x[0].t() + enc.embed_positions.weight  # (1500, D)

    def layers(h):
        for layer, fused in zip(enc.layers, fast.enc_qkv, strict=True):
            attn = layer.self_attn
            q, k, v = fast._qkv(fused, attn, fast._ln(layer.self_attn_layer_norm, h))
            a = F.scaled_dot_product_attention(q, k, v, scale=1.0)
            h = h + attn.out_proj(a.transpose(1, 2).reshape(h.shape))
            h = h + fast._ffn(layer, fast._ln(layer.final_layer_norm, h))
        return fast._ln(enc.layer_norm, h)

    return front, layers


def variants(fast, h) -> dict:
    """{name: layers function}: eager, traced and frozen, frozen and optimised for inference."""
    import torch

    _, layers = split_encode(fast)
    out = {"eager": layers}
    with torch.inference_mode(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        traced = torch.jit.trace(layers, (h,), check_trace=False)

    class Layers(torch.nn.Module):  # freeze needs a ScriptModule
        def __init__(self, fn):
            super().__init__()
            self.fn = fn

        def forward(self, x):
            return self.fn(x)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        scripted = torch.jit.script(Layers(traced).eval())
        out["jit_frozen"] = torch.jit.freeze(scripted)
        out["jit_optimized"] = torch.jit.optimize_for_inference(torch.jit.freeze(scripted))
    return out


def mkldnn_layers(model, fast):
    """The layers with fc1, fc2 and out_proj as oneDNN prepacked Linears."""
    import copy

    from torch.utils import mkldnn as mkldnn_utils

    enc = copy.deepcopy(model.model.encoder)
    for layer in enc.layers:
        layer.fc1 = mkldnn_utils.to_mkldnn(layer.fc1)
        layer.fc2 = mkldnn_utils.to_mkldnn(layer.fc2)
        layer.self_attn.out_proj = mkldnn_utils.to_mkldnn(layer.self_attn.out_proj)
    other = copy.copy(fast)
    other.encoder = enc
    return split_encode(other)[1]


def roofline(repeats: int) -> dict[str, float]:
    import torch
    import torch.nn.functional as F

    a, w = torch.randn(1500, 384), torch.randn(1536, 384)
    timed(F.linear, a, w, repeats=1)
    _, _, cpu = timed(F.linear, a, w, repeats=4 * repeats)
    gemm = 2 * 1500 * 384 * 1536 / cpu / 1e9
    q = torch.randn(1, 6, 1500, 64)
    timed(F.scaled_dot_product_attention, q, q, q, repeats=1)
    _, _, cpu = timed(F.scaled_dot_product_attention, q, q, q, repeats=repeats)
    attention = 2 * 2 * 1500 * 1500 * 384 / cpu / 1e9
    return {"gemm_gflops": gemm, "flash_attention_gflops": attention}


def main() -> None:
    import torch

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--compile", action="store_true", help="also torch.compile (slow start)")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    print(f"threads {args.threads}; load average {os.getloadavg()[0]:.1f}")
    bundle = load_whisper()
    bundle.model.requires_grad_(False)
    fast = fast_decode.FastWhisper.for_model(bundle.model, bundle.generation_config)
    clips = sorted(CLIPS.glob("*.wav"))
    feats = {p.name: features_tensor(log_mel_spectrogram(read_wav(p))) for p in clips}
    front, _ = split_encode(fast)
    with torch.inference_mode():
        h = front(feats["07-drink.wav"])
    t0 = time.perf_counter()
    contenders = variants(fast, h)
    print(f"trace + freeze + optimize_for_inference: {time.perf_counter() - t0:.1f} s")
    contenders["mkldnn_linear"] = mkldnn_layers(bundle.model, fast)
    if args.compile:  # inductor writes C++ and needs a compiler (gcc here)
        t0 = time.perf_counter()
        compiled = torch.compile(contenders["eager"], mode="max-autotune-no-cudagraphs")
        timed(compiled, h)
        print(f"torch.compile (inductor), first call: {time.perf_counter() - t0:.1f} s")
        contenders["compiled"] = compiled
    base, _, _ = timed(contenders["eager"], h)
    for fn in contenders.values():  # warm-up (oneDNN and the JIT build kernels on first calls)
        for _ in range(3):
            timed(fn, h)
    times = {name: ([], []) for name in contenders}
    for _ in range(args.repeats):
        for name, fn in contenders.items():
            _, wall, cpu = timed(fn, h)
            times[name][0].append(wall)
            times[name][1].append(cpu)
    _, front_wall, _ = timed(front, feats["07-drink.wav"], repeats=args.repeats)
    flops = encoder_flops(bundle.model.config)
    layer_flops = flops["proj"] + flops["attention"]
    parts = ", ".join(f"{k} {v:.1f}" for k, v in flops.items())
    print(f"encoder GFLOP per window: {sum(flops.values()):.1f} ({parts})")
    print(f"front (convolutions on the silent tail once, positions): {front_wall * 1e3:.0f} ms")
    eager_cpu = statistics.median(times["eager"][1])
    eager_ids = {name: fast.greedy(f) for name, f in feats.items()}
    print("| layers | wall ms | cpu ms | cpu vs eager | GFLOP/s (cpu) | max abs diff | ids |")
    print("|---|---|---|---|---|---|---|")
    original = fast_decode.FastWhisper.encode
    for name, fn in contenders.items():
        wall = statistics.median(times[name][0])
        cpu = statistics.median(times[name][1])
        out, _, _ = timed(fn, h)
        diff = float((out - base).abs().max())
        same = "-"
        if name != "eager":

            def encode(self, features, fn=fn):
                return fn(front(features))

            fast_decode.FastWhisper.encode = encode
            try:
                same = sum(fast.greedy(f) == eager_ids[n] for n, f in feats.items())
                same = f"{same} of {len(feats)} equal"
            finally:
                fast_decode.FastWhisper.encode = original
        print(
            f"| {name} | {wall * 1e3:.0f} | {cpu * 1e3:.0f} | {cpu / eager_cpu:.2f} | "
            f"{layer_flops / cpu:.0f} | {diff:.1e} | {same} |"
        )
    total = sum(flops.values())
    peaks = roofline(args.repeats)
    print(
        f"roofline here (cpu time): GEMM (1500x384).(384x1536) {peaks['gemm_gflops']:.0f} GFLOP/s, "
        f"flash attention (1, 6, 1500, 64) {peaks['flash_attention_gflops']:.0f} GFLOP/s; "
        f"{total:.1f} GFLOP at the GEMM rate: "
        f"{total / peaks['gemm_gflops'] * 1e3:.0f} ms"
    )
    print(f"load average {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
