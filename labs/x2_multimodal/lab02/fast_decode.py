"""Greedy decoding of whisper-tiny.en without `generate`: a static KV cache over the HF modules.

Whisper (Radford et al., 2022, "Robust Speech Recognition via Large-Scale Weak Supervision").
`generate` spends most of a short clip's decoding time around the network rather than in it:
a growing `DynamicCache`, a causal mask rebuilt per token, logits processors that walk the
whole sequence in Python. For one clip and one beam none of that is needed. This module runs
the same weights (the model's own modules, fp32 or a `quantize_dynamic` int8 copy) as:

- the encoder, layer by layer; in fp32 the two convolutions skip the silent tail of a padded
  clip (its log-mel columns are identical, so are their convolutions) and one GEMM computes
  Q, K and V;
- cross-attention K/V computed once per clip, for all decoder layers;
- a decoder self-attention cache preallocated to `max_target_positions` and written in place;
  each step attends to a prefix view of it with SDPA, so no mask is built;
- the suppression and timestamp rules `generate` applies for tiny.en (`DecodeRules`), fused
  into the loop with their state kept in Python ints;
- in fp32, the vocabulary projection screened through an int8 copy with an error bound
  (`ScreenedArgmax`), so a step reads 20 MB instead of 80 MB and still takes the fp32 argmax.

The decisions are `generate`'s: tests/lab02 compares token ids on every committed clip. The
eager `generate` path stays in `decoding.py` for what lab 02 inspects (timestamps with
transformers' own segments, cross-attention weights).
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass
from typing import Any

import numpy as np

from labs.x2_multimodal.lab02.whisper_model import EOT, NO_TIMESTAMPS, SOT, TIMESTAMP_BEGIN


@dataclass(frozen=True)
class DecodeRules:
    """What `generate` does to the logits of tiny.en before each greedy choice.

    In its order: `begin_suppress` at the first generated position only, `suppress` always,
    then (with timestamps) Whisper's timestamp rules: no `<|notimestamps|>`, timestamps in
    pairs, never decreasing, the first token a timestamp no later than
    `max_initial_timestamp_index` steps, and a timestamp whenever the timestamps' total
    probability beats the best text token.
    """

    suppress: tuple[int, ...]
    begin_suppress: tuple[int, ...]
    eot: int = EOT
    no_timestamps: int = NO_TIMESTAMPS
    timestamp_begin: int = TIMESTAMP_BEGIN
    max_initial_timestamp_index: int | None = 50

    @classmethod
    def from_generation_config(cls, config) -> DecodeRules:
        return cls(
            suppress=tuple(int(t) for t in config.suppress_tokens or ()),
            begin_suppress=tuple(int(t) for t in config.begin_suppress_tokens or ()),
            eot=int(config.eos_token_id),
            no_timestamps=int(config.no_timestamps_token_id),
            timestamp_begin=int(config.no_timestamps_token_id) + 1,
            max_initial_timestamp_index=getattr(config, "max_initial_timestamp_index", None),
        )


class TimestampState:
    """The timestamp rules over the tokens generated so far, updated one token at a time.

    Equivalent to transformers' `WhisperTimeStampLogitsProcessor` re-reading the sequence each
    step; here the three facts it needs (last two tokens' kinds, the last timestamp) are kept.
    """

    def __init__(self, rules: DecodeRules) -> None:
        self.rules = rules
        self.generated = 0
        self.last_is_ts = False
        self.penultimate_is_ts = True  # fewer than two tokens counts as "was a timestamp"
        self.last_timestamp: int | None = None

    def push(self, token: int) -> None:
        is_ts = token >= self.rules.timestamp_begin
        self.penultimate_is_ts = self.last_is_ts if self.generated >= 1 else True
        self.last_is_ts = is_ts
        if is_ts:
            self.last_timestamp = token
        self.generated += 1

    def apply(self, scores) -> None:
        """Mask `scores` (vocab,) in place, as the processor would at this step."""
        import torch

        r = self.rules
        ts = r.timestamp_begin
        scores[r.no_timestamps] = -float("inf")
        if self.generated >= 1 and self.last_is_ts:
            if self.penultimate_is_ts:
                scores[ts:] = -float("inf")  # a pair just closed: text (or EOT) next
            else:
                scores[: r.eot] = -float("inf")  # an open timestamp: another one, or EOT
        if self.last_timestamp is not None:
            closing = self.last_is_ts and not self.penultimate_is_ts
            first_allowed = self.last_timestamp if closing else self.last_timestamp + 1
            scores[ts:first_allowed] = -float("inf")
        if self.generated == 0:
            scores[:ts] = -float("inf")
            if r.max_initial_timestamp_index is not None:
                scores[ts + r.max_initial_timestamp_index + 1 :] = -float("inf")
        logprobs = torch.log_softmax(scores, dim=-1)
        if logprobs[ts:].logsumexp(dim=-1) > logprobs[:ts].max():
            scores[:ts] = -float("inf")


# --- the network, step by step -----------------------------------------------------------------


def _is_float_linear(module) -> bool:
    import torch

    return type(module) is torch.nn.Linear


def conv1d_constant_tail(conv, x, start: int):
    """`conv(x)` for x (1, C, T) whose columns start..T-2 are all equal (kernel 3, padding 1).

    A clip padded to 30 s has ~2,700 identical log-mel columns; every output whose receptive
    field lies inside them is the same vector, so it is computed once and repeated. The head
    and the last few outputs (which see the zero padding or a different last column) are
    computed by the convolution itself.
    """
    import torch
    import torch.nn.functional as F

    (stride,) = conv.stride
    T = x.shape[-1]
    assert conv.kernel_size == (3,) and conv.padding == (1,) and stride in (1, 2) and T % 2 == 0
    head_len = -(-(start + 4) // stride) * stride  # >= start + 4, a multiple of the stride
    tail_len = 4
    if head_len > T - tail_len - 2 * stride:
        return conv(x)
    weight, bias = conv.weight, conv.bias
    head = F.conv1d(x[..., :head_len], weight, bias, stride=stride, padding=1)
    n_head = (head_len - 2) // stride + 1  # outputs whose window ends inside the head
    tail = F.conv1d(x[..., T - tail_len :], weight, bias, stride=stride, padding=1)
    tail_first = (T - tail_len) // stride + 1  # outputs whose window starts inside the tail
    n_out = (T - 1) // stride + 1
    fill = head[..., n_head - 1 : n_head].expand(-1, -1, tail_first - n_head)
    out = torch.cat([head[..., :n_head], fill, tail[..., 1:]], dim=-1)
    assert out.shape[-1] == n_out
    return out


def constant_tail_start(features) -> int:
    """First column c such that columns c..T-1 of (1, M, T) features are all equal."""
    import torch

    x = features[0]
    same = (x == x[:, -1:]).all(dim=0)  # (T,)
    differs = torch.nonzero(~same)
    return int(differs[-1]) + 1 if differs.numel() else 0


class ScreenedArgmax:
    """argmax_i of the fp32 logits h . e_i without streaming the (V, D) fp32 matrix every step.

    The output projection is tiny.en's largest matrix (51864 x 384, 80 MB in fp32); a
    single-token step is bound by reading it. An int8 copy (per-row scales) is a quarter of
    that. Each step: quantise h to int8, take exact integer dot products with `torch._int_mm`,
    and bound how far each dequantised score can be from the fp32 logit:

        |h.e - h^.e^| <= |h - h^| |e| + |h^| |e - e^|      (Cauchy-Schwarz, both terms)

    plus the rounding of an fp32 dot product of length D (<= D u |h| |e|). Only rows whose
    upper bound reaches the best lower bound can be the argmax (typically 1-30 of 51864);
    their fp32 logits are computed from the original rows and the largest wins, first index
    on ties, as `torch.argmax` does. The result is the argmax of the full fp32 projection
    unless its top two logits are within a few ulps (then summation order decides either way).
    """

    def __init__(self, weight) -> None:
        import torch

        weight = weight.detach()
        scale = weight.abs().amax(dim=1).clamp_min(1e-30) / 127  # (V,)
        q = torch.round(weight / scale[:, None]).clamp_(-127, 127)
        # Norms in fp32 are within a few u of the exact ones; 1e-5 relative covers that.
        err = (weight - q * scale[:, None]).norm(dim=1)
        norm = weight.norm(dim=1)
        self.weight = weight  # (V, D) fp32, rows gathered for the candidates
        self.q_t = q.to(torch.int8).t()  # (D, V), a transposed view: what _int_mm wants
        self.scale = scale.double()
        self.row_norm = norm.double() * (1 + 1e-5)  # |e_i|
        self.quant_err = err.double() * (1 + 1e-5) + 1e-5 * self.row_norm  # |e_i - e^_i|
        self.fp32_dot = 1.01 * weight.shape[1] * 2.0**-24  # D u, with room for u/(1 - D u)
        self.candidates: list[int] = []  # per call, for tests and profiles

    def argmax(self, h, allowed) -> int:
        """h (D,) fp32; allowed (V,) bool. Index of the largest fp32 logit among allowed."""
        import torch
        import torch.nn.functional as F

        h64 = h.double()
        step = float(h64.abs().max()) / 127 or 1.0
        qh = torch.round(h64 / step)  # |qh| <= 127
        h_hat = qh * step
        acc = torch._int_mm(qh.to(torch.int8)[None], self.q_t)[0]  # exact int32 (V,)
        approx = acc.double() * (self.scale * step)
        bound = self.row_norm * (float((h64 - h_hat).norm()) + self.fp32_dot * float(h64.norm()))
        bound += self.quant_err * float(h_hat.norm())
        bound = bound * (1 + 1e-9) + 1e-9 * approx.abs()  # float64 arithmetic of the bound
        lower = torch.where(allowed, approx - bound, -torch.inf).max()
        rows = torch.nonzero(allowed & (approx + bound >= lower)).flatten()
        self.candidates.append(rows.numel())
        logits = F.linear(h[None], self.weight[rows])[0]
        return int(rows[int(logits.argmax())])


class FastWhisper:
    """Greedy decoding for one clip at a time over a (fp32 or dynamic-int8) Whisper model.

    Holds references to the model's modules; in fp32 it also keeps fused copies of the
    Q/K/V weights (encoder and decoder self-attention), of all decoder layers' cross K/V
    weights and, from the second clip on, the int8 screen of the output projection
    (`ScreenedArgmax`). Build it after the weights are final (`for_model` caches one per
    model). The int8 path adds nothing of its own: it calls the quantised modules in
    transformers' order, so its ids are those of `generate` on the same int8 copy.
    """

    def __init__(self, model, generation_config, max_positions: int | None = None) -> None:
        import torch

        # No reference to `model` itself: `_BUILT` is keyed by it weakly.
        self.rules = DecodeRules.from_generation_config(generation_config)
        cfg = model.config
        self.heads = cfg.encoder_attention_heads
        self.d_model = cfg.d_model
        self.head_dim = cfg.d_model // cfg.decoder_attention_heads
        self.scaling = self.head_dim**-0.5
        self.max_positions = max_positions or cfg.max_target_positions
        enc, dec = model.model.encoder, model.model.decoder
        self.encoder, self.decoder = enc, dec
        self.proj_out = model.proj_out
        self.fp32 = all(
            _is_float_linear(m) for m in model.modules() if "Linear" in type(m).__name__
        )
        with torch.no_grad():
            self.enc_qkv = [self._fuse_qkv(layer.self_attn) for layer in enc.layers]
            self.dec_qkv = [self._fuse_qkv(layer.self_attn) for layer in dec.layers]
            if self.fp32:
                kv = [(la.encoder_attn.k_proj, la.encoder_attn.v_proj) for la in dec.layers]
                self.cross_w = torch.cat([p.weight for pair in kv for p in pair]).contiguous()
                zero = torch.zeros(self.d_model)
                self.cross_b = torch.cat([torch.cat([zero, v.bias]) for _, v in kv])
        self.screened: ScreenedArgmax | None = None  # built by `screen()`
        self.clips = 0
        vocab = cfg.vocab_size
        self.allowed = torch.ones(vocab, dtype=torch.bool)
        self.allowed[list(self.rules.suppress)] = False
        self.allowed_first = self.allowed.clone()
        self.allowed_first[list(self.rules.begin_suppress)] = False

    def _fuse_qkv(self, attn):
        """fp32: one (3D, D) weight with the query scaling folded in (exact: it is 1/8)."""
        import torch

        if not self.fp32:
            return None
        s = self.scaling
        weight = torch.cat([attn.q_proj.weight * s, attn.k_proj.weight, attn.v_proj.weight])
        bias = torch.cat([attn.q_proj.bias * s, torch.zeros(self.d_model), attn.v_proj.bias])
        return weight.contiguous(), bias.contiguous()

    def screen(self) -> ScreenedArgmax | None:
        """The screened fp32 output projection, built on first use (~0.3 s of CPU)."""
        if self.fp32 and self.screened is None:
            self.screened = ScreenedArgmax(self.proj_out.weight)
        return self.screened

    @classmethod
    def for_model(cls, model, generation_config) -> FastWhisper:
        fast = _BUILT.get(model)
        if fast is None:
            fast = _BUILT[model] = cls(model, generation_config)
        return fast

    # --- shared pieces

    def _qkv(self, fused, attn, x):
        """x (L, D) -> q, k, v, each (1, H, L, Dh); q already scaled.

        fp32: strided views of one GEMM's output. int8: the operations of transformers'
        `WhisperAttention`, in its order, because a dynamically quantised Linear picks its
        activation scale from its input's range: a last-bit difference upstream moves the
        whole quantisation grid, and the int8 transcript with it. (Its `.contiguous()` copies
        are left out: SDPA gives bit-identical results on the strided views.)
        """
        import torch.nn.functional as F

        L = x.shape[0]
        if fused is not None:
            qkv = F.linear(x, *fused).view(1, L, 3, self.heads, self.head_dim)
            q, k, v = qkv.unbind(2)
            return q.transpose(1, 2), k.transpose(1, 2), v.transpose(1, 2)
        shape = (1, L, self.heads, self.head_dim)
        x = x[None]
        q = (attn.q_proj(x) * self.scaling).view(shape).transpose(1, 2)
        k = attn.k_proj(x).view(shape).transpose(1, 2)
        v = attn.v_proj(x).view(shape).transpose(1, 2)
        return q, k, v

    @staticmethod
    def _ln(norm, x):
        import torch.nn.functional as F

        return F.layer_norm(x, norm.normalized_shape, norm.weight, norm.bias, norm.eps)

    @staticmethod
    def _ffn(layer, x):
        import torch.nn.functional as F

        return layer.fc2(F.gelu(layer.fc1(x)))

    # --- encoder

    def encode(self, features):
        """features (1, 80, 3000) -> encoder states (1500, D)."""
        import torch.nn.functional as F

        enc = self.encoder
        if self.fp32:
            start = constant_tail_start(features)
            x = F.gelu(conv1d_constant_tail(enc.conv1, features, start))
            x = F.gelu(conv1d_constant_tail(enc.conv2, x, start + 1))  # (1, D, 1500)
        else:
            x = F.gelu(enc.conv2(F.gelu(enc.conv1(features))))
        h = x[0].t() + enc.embed_positions.weight  # (1500, D)
        for layer, fused in zip(enc.layers, self.enc_qkv, strict=True):
            attn = layer.self_attn
            q, k, v = self._qkv(fused, attn, self._ln(layer.self_attn_layer_norm, h))
            a = F.scaled_dot_product_attention(q, k, v, scale=1.0)  # (1, H, 1500, Dh)
            h = h + attn.out_proj(a.transpose(1, 2).reshape(h.shape))
            h = h + self._ffn(layer, self._ln(layer.final_layer_norm, h))
        return self._ln(enc.layer_norm, h)

    def cross_kv(self, states) -> list[tuple[Any, Any]]:
        """Each decoder layer's cross-attention K and V, (1, H, 1500, Dh), once per clip."""
        import torch.nn.functional as F

        S = states.shape[0]
        shape = (1, S, self.heads, self.head_dim)
        if self.fp32:
            kv = F.linear(states, self.cross_w, self.cross_b)  # (S, layers * 2 * D)
            kv = kv.view(S, -1, 1, self.heads, self.head_dim).permute(1, 2, 3, 0, 4).contiguous()
            return [(kv[2 * i], kv[2 * i + 1]) for i in range(len(self.decoder.layers))]
        out = []
        for layer in self.decoder.layers:
            ca = layer.encoder_attn
            k = ca.k_proj(states[None]).view(shape).transpose(1, 2).contiguous()
            v = ca.v_proj(states[None]).view(shape).transpose(1, 2).contiguous()
            out.append((k, v))
        return out

    # --- decoder

    def new_cache(self):
        """Self-attention K/V for every decoder layer: (layers, 2, 1, H, max_positions, Dh)."""
        import torch

        n = len(self.decoder.layers)
        return torch.empty(n, 2, 1, self.heads, self.max_positions, self.head_dim)

    def decoder_step(self, tokens, position: int, cache, cross) -> Any:
        """Final hidden state (D,) of the last of `tokens` (L ids at positions position..)."""
        import torch.nn.functional as F

        dec = self.decoder
        L = tokens.shape[0]
        end = position + L
        h = dec.embed_tokens(tokens) + dec.embed_positions.weight[position:end]  # (L, D)
        for i, layer in enumerate(dec.layers):
            sa = layer.self_attn
            q, k, v = self._qkv(self.dec_qkv[i], sa, self._ln(layer.self_attn_layer_norm, h))
            cache[i, 0, :, :, position:end] = k
            cache[i, 1, :, :, position:end] = v
            a = F.scaled_dot_product_attention(
                q, cache[i, 0, :, :, :end], cache[i, 1, :, :, :end], is_causal=L > 1, scale=1.0
            )  # (1, H, L, Dh)
            h = h + sa.out_proj(a.transpose(1, 2).reshape(L, self.d_model))
            ca = layer.encoder_attn
            x = self._ln(layer.encoder_attn_layer_norm, h)
            q = (ca.q_proj(x) * self.scaling).view(1, L, self.heads, self.head_dim).transpose(1, 2)
            a = F.scaled_dot_product_attention(q, *cross[i], scale=1.0)
            h = h + ca.out_proj(a.transpose(1, 2).reshape(L, self.d_model))
            h = h + self._ffn(layer, self._ln(layer.final_layer_norm, h))
        return self._ln(dec.layer_norm, h[-1])  # (D,)

    def greedy(self, features, timestamps: bool = False, max_new_tokens: int = 96) -> list[int]:
        """Generated ids after the prompt, EOT included when reached (as `generate` returns)."""
        import torch

        if features.ndim == 2:
            features = features[None]
        rules = self.rules
        prompt = [SOT] if timestamps else [SOT, rules.no_timestamps]
        max_new_tokens = min(max_new_tokens, self.max_positions - len(prompt))
        suppress = torch.tensor(rules.suppress, dtype=torch.long)
        begin_suppress = torch.tensor(rules.begin_suppress, dtype=torch.long)
        stamps = TimestampState(rules) if timestamps else None
        # Building the screen costs about what it saves on one clip: from the second on.
        self.clips += 1
        screened = self.screen() if stamps is None and self.clips > 1 else None
        out: list[int] = []
        with torch.inference_mode():
            cross = self.cross_kv(self.encode(features))
            cache = self.new_cache()
            tokens = torch.tensor(prompt, dtype=torch.long)
            position = 0
            for _ in range(max_new_tokens):
                h = self.decoder_step(tokens, position, cache, cross)
                position += tokens.shape[0]
                if screened is not None:
                    token = screened.argmax(h, self.allowed_first if not out else self.allowed)
                else:
                    scores = self.proj_out(h[None])[0]
                    if not out:
                        scores[begin_suppress] = -float("inf")
                    scores[suppress] = -float("inf")
                    if stamps is not None:
                        stamps.apply(scores)
                    token = int(scores.argmax())
                out.append(token)
                if token == rules.eot:
                    break
                if stamps is not None:
                    stamps.push(token)
                tokens = torch.tensor([token], dtype=torch.long)
        return out


_BUILT: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def greedy_ids(bundle, features: np.ndarray, model=None, timestamps: bool = False, **kw):
    """`FastWhisper.greedy` for a bundle's fp32 model (or `model`, e.g. an int8 copy)."""
    from labs.x2_multimodal.lab02.decoding import features_tensor

    model = bundle.model if model is None else model
    fast = FastWhisper.for_model(model, bundle.generation_config)
    return fast.greedy(features_tensor(features), timestamps=timestamps, **kw)
