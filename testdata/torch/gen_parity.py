#!/usr/bin/env python3
"""Generate the PyTorch parity references that nn/parity_test.go compares against.

How to run (from the repository root; needs only PyTorch and NumPy, e.g. Debian's
`apt-get install python3-torch`):

    /usr/bin/python3 testdata/torch/gen_parity.py

What it writes: one file per case, testdata/torch/<case>.safetensors, next to this
script. The files are committed, so `go test` never needs Python. Every file is a
plain safetensors file (8-byte little-endian header length, a JSON header mapping
each tensor name to {"dtype": "F32", "shape": [...], "data_offsets": [begin, end]},
then the raw little-endian float32 data), written by hand below so that no extra
Python package is needed. Its "__metadata__" holds strings only: the case name,
the torch version, the seed, eps values and a one-line formula.

Everything is computed in float32 on the CPU with fixed seeds (torch.manual_seed),
so reruns with the same torch version reproduce the files bit for bit. For each
differentiable case the stored gradients are those of

    loss = Σ (Y ⊙ R)

for the stored random tensor R (name "r", same shape as the output Y, name "y"),
taken with respect to every input and parameter. Gradients are named
"grad.<name>" (e.g. "grad.x", "grad.weight", "grad.ln_1.weight"). When the
output is a scalar (cross-entropy) R is a scalar too (shape []). R is standard
normal, except in the block case where it is 0.1·N(0,1) (metadata "r_scale"):
with R ~ N(0,1) the block's gradients reach ~16, and entries that are exactly
zero in exact arithmetic (the key third of grad.attn.c_attn.bias: adding a
constant to every key shifts each softmax row by a constant) come out of any
float32 computation as rounding noise of ~1e-6, the size of the absolute
tolerance. With R scaled, everything is O(1) and the noise ~1e-7.

Integer data (class targets) is stored as F32 holding exact small integers, so a
reader that only knows F32 can load every file.

Cases (tiny shapes, all files are a few KB):

  linear_bias      x [2,5,8], weight [6,8] stored (out,in), bias [6];  y = x·Wᵀ + b
  linear_nobias    x [2,5,8], weight [6,8];                            y = x·Wᵀ
  layernorm        x [2,5,8] (row x[1,0] scaled by 1e-3 so that its variance,
                   ~4e-6, is comparable to eps), weight [8], bias [8], eps 1e-5;
                   y = (x − mean) / sqrt(var + eps) · weight + bias, var the biased
                   (divide by C) variance over the last axis
  rmsnorm          x [2,5,8] (row x[1,0] scaled by 1e-3, mean(x²) ~4e-6),
                   weight [8], eps 1e-6;
                   y = x / sqrt(mean(x²) + eps) · weight over the last axis.
                   torch 1.13 has no torch.nn.RMSNorm, so the formula is used
                   (metadata "impl" says which one was used)
  gelu_erf         x [4,8];  y = x·Φ(x) = 0.5·x·(1 + erf(x/√2))
  gelu_tanh        x [4,8];  y = 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³)))
  softmax          x [4,8];  y = softmax over the last axis
  cross_entropy    logits [10,7], targets [10] (class ids in 0..6 at every
                   position), mask [10] (1 = counted, 0 = ignored),
                   targets_ignore [10] (= targets, but −1 where mask is 0);
                   y = mean over positions with mask 1 of −log softmax(logits)[target]
                   (identical to F.cross_entropy(logits, targets_ignore,
                   ignore_index=−1), which is what computes it; the script asserts
                   both agree). r is a scalar; grad.logits is ∂(y·r)/∂logits.
  attention        q, k, v [B=2,H=2,T=5,D=4];
                   y = softmax(q·kᵀ/√D + causal) · v, causal = −∞ where key j > query i
  attention_alibi  as attention, plus an additive bias [H,T,T] (stored as "bias"):
                   bias[h,i,j] = −slope_h · (i − j) for j ≤ i, and 0 for j > i
                   (those entries are removed by the causal mask anyway),
                   slope_h = 2^(−8·(h+1)/H) for h = 0..H−1 (H=2: 1/16, 1/256);
                   y = softmax(q·kᵀ/√D + bias + causal) · v.  The bias is a constant
                   (no gradient).
  block            one pre-LN GPT-2 transformer block, x [B=2,T=5,C=8], H=2 heads:
                     a = ln_1(x);  qkv = a·attn.c_attn.weightᵀ + attn.c_attn.bias  [B,T,3C]
                     q, k, v = qkv[..., 0:C], qkv[..., C:2C], qkv[..., 2C:3C]
                     each reshaped [B,T,H,D] and transposed to [B,H,T,D] (D = C/H)
                     o = causal attention(q, k, v) (scale 1/√D), transposed back to
                         [B,T,H,D] and reshaped [B,T,C]
                     x1 = x + o·attn.c_proj.weightᵀ + attn.c_proj.bias
                     m  = gelu_tanh(ln_2(x1)·mlp.c_fc.weightᵀ + mlp.c_fc.bias)   [B,T,4C]
                     y  = x1 + m·mlp.c_proj.weightᵀ + mlp.c_proj.bias
                   LayerNorms with eps 1e-5. Parameter names follow GPT-2
                   (ln_1.weight, ln_1.bias, attn.c_attn.weight, attn.c_attn.bias,
                   attn.c_proj.weight, attn.c_proj.bias, ln_2.weight, ln_2.bias,
                   mlp.c_fc.weight, mlp.c_fc.bias, mlp.c_proj.weight, mlp.c_proj.bias),
                   but every Linear weight is stored (out,in) as in torch.nn.Linear
                   (HF's GPT-2 checkpoints store Conv1D weights (in,out)).
  adamw            p0 [3,4], gradients g1, g2 [3,4]; torch.optim.AdamW with lr 1e-3,
                   betas (0.9, 0.999), eps 1e-8, weight_decay 0.01 (decoupled:
                   p ← p·(1 − lr·wd) then the Adam step with bias correction);
                   p1 = after step 1 (gradient g1), p2 = after step 2 (gradient g2).

The script also redoes every case in float64 and prints the largest difference
between the stored float32 result and the float64 one, relative to the
parity tolerance used by the Go test (|a−b| ≤ 1e-6 + 1e-5·|b|), as a sanity
check that the references are themselves accurate enough for that tolerance.
"""

import json
import math
import os
import struct
import sys

import torch
import torch.nn.functional as F

OUT_DIR = os.path.dirname(os.path.abspath(__file__))
SEED = 1234
ATOL, RTOL = 1e-6, 1e-5


def write_safetensors(path, tensors, metadata):
    """Write tensors (dict name -> float tensor) as a safetensors file, by hand.

    Layout: u64 little-endian N, then N bytes of JSON header (padded with spaces
    to a multiple of 8), then the concatenated little-endian float32 data in
    the order of the sorted names.
    """
    header = {"__metadata__": {k: str(v) for k, v in metadata.items()}}
    blobs = []
    offset = 0
    for name in sorted(tensors):
        t = tensors[name].detach().to(torch.float32).contiguous().cpu()
        data = t.numpy().astype("<f4").tobytes()
        header[name] = {
            "dtype": "F32",
            "shape": list(t.shape),
            "data_offsets": [offset, offset + len(data)],
        }
        blobs.append(data)
        offset += len(data)
    hjson = json.dumps(header, separators=(",", ":"), sort_keys=True).encode("utf-8")
    hjson += b" " * ((8 - len(hjson) % 8) % 8)
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(struct.pack("<Q", len(hjson)))
        f.write(hjson)
        for b in blobs:
            f.write(b)
    os.replace(tmp, path)


def base_metadata(case, formula, **extra):
    md = {
        "case": case,
        "torch_version": torch.__version__,
        "seed": str(SEED),
        "dtype": "float32",
        "loss": "sum(y*r)",
        "formula": formula,
    }
    md.update({k: str(v) for k, v in extra.items()})
    return md


def grads_of(fn, inputs, r):
    """Run y = fn(**inputs) with gradients; return y and d(sum(y*r))/d input."""
    leaves = {k: v.detach().clone().requires_grad_(True) for k, v in inputs.items()}
    y = fn(**leaves)
    (y * r).sum().backward()
    return y.detach(), {k: v.grad.detach() for k, v in leaves.items()}


def tol_ratio(a32, b64):
    """max over elements of |a−b| / (atol + rtol·|b|); ≤ 1 means within tolerance."""
    a = a32.double()
    return float(((a - b64).abs() / (ATOL + RTOL * b64.abs())).max())


class Case:
    """A differentiable case: fn over named inputs; consts are not differentiated."""

    def __init__(self, name, fn, inputs, consts=None, formula="", r_scale=1.0, **meta):
        self.name, self.fn, self.inputs = name, fn, inputs
        self.r_scale = r_scale
        if r_scale != 1.0:
            meta["r_scale"] = repr(r_scale)
        self.consts = consts or {}
        self.formula, self.meta = formula, meta

    def run(self):
        def call(dtype, r):
            ins = {k: v.to(dtype) for k, v in self.inputs.items()}
            cs = {k: v.to(dtype) for k, v in self.consts.items()}
            return grads_of(lambda **kw: self.fn(**kw, **cs), ins, r.to(dtype))

        with torch.no_grad():
            y0 = self.fn(**self.inputs, **self.consts)
        g = torch.Generator().manual_seed(SEED + 1)
        r = torch.randn(y0.shape, generator=g, dtype=torch.float32) * self.r_scale
        y, grads = call(torch.float32, r)
        y64, grads64 = call(torch.float64, r)

        worst = tol_ratio(y, y64)
        for k in grads:
            worst = max(worst, tol_ratio(grads[k], grads64[k]))

        tensors = dict(self.inputs)
        tensors.update(self.consts)
        tensors["y"] = y
        tensors["r"] = r
        for k, v in grads.items():
            tensors["grad." + k] = v
        write_safetensors(
            os.path.join(OUT_DIR, self.name + ".safetensors"),
            tensors,
            base_metadata(self.name, self.formula, **self.meta),
        )
        return worst


# ---------------------------------------------------------------- the ops


def layer_norm(x, weight, bias, eps=1e-5):
    return F.layer_norm(x, (x.shape[-1],), weight, bias, eps)


def rms_norm(x, weight, eps=1e-6):
    return x / torch.sqrt((x * x).mean(dim=-1, keepdim=True) + eps) * weight


def causal_attention(q, k, v, bias=None):
    """softmax(q·kᵀ/√D + bias + causal) · v over [B,H,T,D]."""
    T, D = q.shape[-2], q.shape[-1]
    s = q @ k.transpose(-2, -1) / math.sqrt(D)
    if bias is not None:
        s = s + bias
    future = torch.triu(torch.ones(T, T, dtype=torch.bool), diagonal=1)
    s = s.masked_fill(future, float("-inf"))
    return torch.softmax(s, dim=-1) @ v


def alibi_bias(H, T):
    """bias[h,i,j] = −slope_h·(i−j) for j ≤ i, 0 for j > i; slope_h = 2^(−8(h+1)/H)."""
    slopes = torch.tensor([2.0 ** (-8.0 * (h + 1) / H) for h in range(H)])
    i = torch.arange(T).view(T, 1)
    j = torch.arange(T).view(1, T)
    dist = (i - j).clamp(min=0).to(torch.float32)  # i−j below the diagonal, 0 above
    return -slopes.view(H, 1, 1) * dist.view(1, T, T)


BLOCK_PARAMS = [
    "ln_1.weight", "ln_1.bias",
    "attn.c_attn.weight", "attn.c_attn.bias",
    "attn.c_proj.weight", "attn.c_proj.bias",
    "ln_2.weight", "ln_2.bias",
    "mlp.c_fc.weight", "mlp.c_fc.bias",
    "mlp.c_proj.weight", "mlp.c_proj.bias",
]


def block(x, n_head, **p):
    B, T, C = x.shape
    D = C // n_head
    a = layer_norm(x, p["ln_1.weight"], p["ln_1.bias"])
    qkv = F.linear(a, p["attn.c_attn.weight"], p["attn.c_attn.bias"])
    q, k, v = qkv.split(C, dim=-1)
    q, k, v = (t.reshape(B, T, n_head, D).transpose(1, 2) for t in (q, k, v))
    o = causal_attention(q, k, v).transpose(1, 2).reshape(B, T, C)
    x = x + F.linear(o, p["attn.c_proj.weight"], p["attn.c_proj.bias"])
    m = F.gelu(F.linear(layer_norm(x, p["ln_2.weight"], p["ln_2.bias"]),
                        p["mlp.c_fc.weight"], p["mlp.c_fc.bias"]), approximate="tanh")
    return x + F.linear(m, p["mlp.c_proj.weight"], p["mlp.c_proj.bias"])


# ---------------------------------------------------------------- the cases


def cases():
    torch.manual_seed(SEED)
    rn = torch.randn
    out = []

    x = rn(2, 5, 8)
    w, b = rn(6, 8) * 0.3, rn(6) * 0.1
    out.append(Case("linear_bias", lambda x, weight, bias: F.linear(x, weight, bias),
                    {"x": x, "weight": w, "bias": b}, formula="y = x·weightᵀ + bias"))
    out.append(Case("linear_nobias", lambda x, weight: F.linear(x, weight),
                    {"x": x, "weight": w}, formula="y = x·weightᵀ"))

    x = rn(2, 5, 8) * 2 + 0.5
    x[1, 0] *= 1e-3  # variance ~4e-6, comparable to eps: a wrong eps shows
    out.append(Case("layernorm", layer_norm,
                    {"x": x, "weight": 1 + 0.2 * rn(8), "bias": 0.1 * rn(8)},
                    formula="y = (x − mean)/sqrt(var + eps)·weight + bias, biased var, last axis",
                    eps="1e-05"))

    has_rms = hasattr(torch.nn, "RMSNorm")
    if has_rms:
        def rms(x, weight):
            return F.rms_norm(x, (x.shape[-1],), weight, 1e-6)
    else:
        rms = rms_norm
    x = rn(2, 5, 8) * 2 + 0.5
    x[1, 0] *= 1e-3  # mean(x²) ~4e-6, comparable to eps: a wrong eps shows
    out.append(Case("rmsnorm", rms, {"x": x, "weight": 1 + 0.2 * rn(8)},
                    formula="y = x/sqrt(mean(x²) + eps)·weight, last axis", eps="1e-06",
                    impl="torch.nn.functional.rms_norm" if has_rms
                    else "formula x/sqrt(mean(x^2)+eps)*weight (torch has no nn.RMSNorm)"))

    # GELU inputs: a grid over [-5, 5] plus random values, so the tails are covered.
    x = torch.cat([torch.linspace(-5, 5, 16), rn(16) * 2]).view(4, 8)
    out.append(Case("gelu_erf", lambda x: F.gelu(x), {"x": x},
                    formula="y = 0.5·x·(1 + erf(x/√2))"))
    out.append(Case("gelu_tanh", lambda x: F.gelu(x, approximate="tanh"), {"x": x},
                    formula="y = 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³)))"))

    x = rn(4, 8) * 3
    x[0] += 50  # a shifted row: the stable softmax must subtract the max
    out.append(Case("softmax", lambda x: torch.softmax(x, dim=-1), {"x": x},
                    formula="y = softmax(x) over the last axis"))

    N, V = 10, 7
    logits = rn(N, V) * 2
    targets = torch.randint(0, V, (N,))
    mask = torch.ones(N)
    mask[[2, 5, 6, 9]] = 0
    tign = torch.where(mask > 0, targets, torch.full_like(targets, -1))

    def ce(logits, targets_ignore, targets=None, mask=None):
        # targets and mask are stored for the reader; the loss uses ignore_index.
        return F.cross_entropy(logits, targets_ignore.long(), ignore_index=-1)

    with torch.no_grad():
        per = F.cross_entropy(logits, targets, reduction="none")
        via_mask = (per * mask).sum() / mask.sum()
        assert torch.allclose(via_mask, ce(logits, tign.float()), rtol=1e-6, atol=1e-7)
    out.append(Case("cross_entropy", ce, {"logits": logits},
                    consts={"targets_ignore": tign.float(), "targets": targets.float(),
                            "mask": mask},
                    formula="y = mean over mask==1 of −log softmax(logits)[target]; "
                            "= cross_entropy(ignore_index=-1) with targets_ignore",
                    ignore_index="-1"))

    B, H, T, D = 2, 2, 5, 4
    q, k, v = rn(B, H, T, D), rn(B, H, T, D), rn(B, H, T, D)
    out.append(Case("attention", causal_attention, {"q": q, "k": k, "v": v},
                    formula="y = softmax(q·kᵀ/√D + causal)·v, causal = −inf for key j > query i",
                    scale="1/sqrt(D)"))
    out.append(Case("attention_alibi", causal_attention, {"q": q, "k": k, "v": v},
                    consts={"bias": alibi_bias(H, T)},
                    formula="y = softmax(q·kᵀ/√D + bias + causal)·v",
                    bias="bias[h,i,j] = -slope_h*(i-j) for j<=i, 0 for j>i; "
                         "slope_h = 2^(-8*(h+1)/H), h = 0..H-1",
                    scale="1/sqrt(D)"))

    B, T, C, H = 2, 5, 8, 2
    p = {}
    for name in BLOCK_PARAMS:
        if name.startswith("ln_"):
            p[name] = (1 + 0.2 * rn(C)) if name.endswith("weight") else 0.1 * rn(C)
            continue
        shape = {
            "attn.c_attn": (3 * C, C), "attn.c_proj": (C, C),
            "mlp.c_fc": (4 * C, C), "mlp.c_proj": (C, 4 * C),
        }[name.rsplit(".", 1)[0]]
        if name.endswith("weight"):
            p[name] = rn(*shape) / math.sqrt(shape[1])
        else:
            p[name] = 0.1 * rn(shape[0])
    x = rn(B, T, C)
    out.append(Case("block", lambda **kw: block(n_head=H, **kw), dict(x=x, **p),
                    formula="x1 = x + attn(ln_1(x)); y = x1 + mlp(ln_2(x1)); "
                            "fused c_attn split q,k,v; causal; mlp gelu tanh",
                    r_scale=0.1, n_head=str(H), eps="1e-05", gelu="tanh",
                    weight_layout="(out,in) as torch.nn.Linear"))
    return out


def adamw():
    torch.manual_seed(SEED + 7)
    hp = dict(lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.01)

    def run(dtype):
        p0 = torch.randn(3, 4)
        g1 = torch.randn(3, 4) * torch.tensor([1e-3, 1.0, 10.0]).view(3, 1)
        g2 = torch.randn(3, 4)
        p = torch.nn.Parameter(p0.to(dtype).clone())
        opt = torch.optim.AdamW([p], **hp)
        res = {"p0": p0, "g1": g1, "g2": g2}
        for step, g in ((1, g1), (2, g2)):
            p.grad = g.to(dtype).clone()
            opt.step()
            res["p%d" % step] = p.detach().clone()
        return res

    torch.manual_seed(SEED + 7)
    r32 = run(torch.float32)
    torch.manual_seed(SEED + 7)
    r64 = run(torch.float64)
    worst = max(tol_ratio(r32[k], r64[k]) for k in ("p1", "p2"))
    write_safetensors(
        os.path.join(OUT_DIR, "adamw.safetensors"), r32,
        base_metadata("adamw", "torch.optim.AdamW: p ← p·(1−lr·wd); m,v Adam moments; "
                      "p ← p − lr·(m/(1−β1^t)) / (sqrt(v/(1−β2^t)) + eps)",
                      lr="0.001", beta1="0.9", beta2="0.999", eps="1e-08",
                      weight_decay="0.01", loss="none"))
    return worst


def main():
    torch.set_num_threads(1)  # reproducible reductions
    print("torch", torch.__version__)
    for c in cases():
        worst = c.run()
        print("%-16s float32 vs float64: max |a-b|/(1e-6+1e-5|b|) = %.3g" % (c.name, worst))
    print("%-16s float32 vs float64: max |a-b|/(1e-6+1e-5|b|) = %.3g" % ("adamw", adamw()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
