"""Reference data for package gpt/hf: GPT-2-format checkpoints made by PyTorch,
their logits, and GPT-2 tokenizer encodings.

Hugging Face `transformers` is not installed on the project's machines, so the
GPT-2 forward pass is written out here exactly as transformers'
GPT2LMHeadModel computes it: Conv1D weights stored [in, out] (y = x @ W + b),
pre-LN blocks, "gelu_new" (GELU's tanh form), causal softmax(q k^T / sqrt(D)),
LayerNorm with the config's layer_norm_epsilon, lm_head tied to wte (or a
separate lm_head.weight when tie_word_embeddings is false). model.safetensors
is written and read by hand (the format is 8-byte header length, JSON header,
flat little-endian buffer).

Sub-commands (run from the repository root, CPU only, no network):

  python3 testdata/hf/gen_hf.py fixtures          # testdata/hf/tiny-*/ + logits.json (run once, stored)
  python3 testdata/hf/gen_hf.py make DIR SEED     # a fresh checkpoint + DIR/reference.json (never stored)
  python3 testdata/hf/gen_hf.py logits DIR 1,2,3  # load any GPT-2-format DIR, print {"logits": ...}
  python3 testdata/hf/gen_hf.py compare DIR 1,2,3 FILE.json  # max |torch - FILE.json["logits"]|
  python3 testdata/hf/gen_hf.py vocab             # testdata/hf/tokenizer/vocab.json from the hand-written merges.txt
  python3 testdata/hf/gen_hf.py tokens            # testdata/hf/tokenizer/expected.json (needs `regex`)
"""

import json
import math
import os
import struct
import sys

import torch

HERE = os.path.dirname(os.path.abspath(__file__))

# ---------------------------------------------------------------- safetensors

DT = {"F32": (torch.float32, 4), "F16": (torch.float16, 2), "BF16": (torch.bfloat16, 2)}


def st_write(path, tensors, dtype, raw_dtypes=None):
    """Write {name: tensor} with every tensor cast to dtype (F32/F16/BF16),
    except those named in raw_dtypes ({name: "BOOL" or "U8"}), stored as bytes."""
    tdt, size = DT[dtype]
    raw_dtypes = raw_dtypes or {}
    header, blobs, off = {}, [], 0
    for name in sorted(tensors):
        if name in raw_dtypes:
            t = tensors[name].detach().to(torch.uint8).contiguous()
            raw = t.numpy().tobytes()
            header[name] = {"dtype": raw_dtypes[name], "shape": list(t.shape), "data_offsets": [off, off + len(raw)]}
            blobs.append(raw)
            off += len(raw)
            continue
        t = tensors[name].detach().to(tdt).contiguous()
        if tdt == torch.bfloat16:
            raw = t.view(torch.int16).numpy().astype("<i2").tobytes()
        else:
            raw = t.numpy().astype(t.numpy().dtype.newbyteorder("<")).tobytes()
        header[name] = {"dtype": dtype, "shape": list(t.shape), "data_offsets": [off, off + len(raw)]}
        blobs.append(raw)
        off += len(raw)
    header["__metadata__"] = {"format": "pt"}
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)


def st_read(path):
    """Read every F32/F16/BF16 tensor of a safetensors file as float32."""
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8 : 8 + n])
    buf = data[8 + n :]
    out = {}
    for name, e in header.items():
        if name == "__metadata__":
            continue
        a, b = e["data_offsets"]
        raw = bytearray(buf[a:b])
        if e["dtype"] in ("BOOL", "U8"):
            t = torch.frombuffer(raw, dtype=torch.uint8)
        elif e["dtype"] == "BF16":
            t = torch.frombuffer(raw, dtype=torch.int16).view(torch.bfloat16)
        else:
            t = torch.frombuffer(raw, dtype=DT[e["dtype"]][0]) if raw else torch.zeros(0, dtype=DT[e["dtype"]][0])
        out[name] = t.reshape(e["shape"]).float()
    return out


# ---------------------------------------------------------------- GPT-2

def gelu_new(x):
    return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * torch.pow(x, 3.0))))


def layer_norm(x, w, b, eps):
    return torch.nn.functional.layer_norm(x, (x.shape[-1],), w, b, eps)


def gpt2_logits(cfg, sd, ids, dtype=torch.float64):
    """GPT2LMHeadModel's logits for one sequence ids; sd keys without 'transformer.'."""
    p = {k: v.to(dtype) for k, v in sd.items()}
    C, H, eps = cfg["n_embd"], cfg["n_head"], cfg["layer_norm_epsilon"]
    D = C // H
    T = len(ids)
    ids = torch.tensor(ids)
    x = p["wte.weight"][ids] + p["wpe.weight"][torch.arange(T)]
    mask = torch.tril(torch.ones(T, T, dtype=torch.bool))
    for l in range(cfg["n_layer"]):
        q = lambda s: p[f"h.{l}.{s}"]
        h = layer_norm(x, q("ln_1.weight"), q("ln_1.bias"), eps)
        qkv = h @ q("attn.c_attn.weight") + q("attn.c_attn.bias")  # Conv1D: [in, out]
        qq, kk, vv = qkv.split(C, dim=-1)
        qq, kk, vv = (t.view(T, H, D).transpose(0, 1) for t in (qq, kk, vv))
        att = (qq @ kk.transpose(-1, -2)) / math.sqrt(D)
        att = att.masked_fill(~mask, torch.finfo(dtype).min).softmax(-1)
        y = (att @ vv).transpose(0, 1).reshape(T, C)
        x = x + (y @ q("attn.c_proj.weight") + q("attn.c_proj.bias"))
        h = layer_norm(x, q("ln_2.weight"), q("ln_2.bias"), eps)
        h = gelu_new(h @ q("mlp.c_fc.weight") + q("mlp.c_fc.bias"))
        x = x + (h @ q("mlp.c_proj.weight") + q("mlp.c_proj.bias"))
    x = layer_norm(x, p["ln_f.weight"], p["ln_f.bias"], eps)
    head = p["lm_head.weight"] if "lm_head.weight" in p and not cfg.get("tie_word_embeddings", True) else p["wte.weight"]
    return x @ head.T


def hf_config(V, P, C, H, L, eps=1e-5, n_inner=None, tied=True):
    """A config.json as transformers' GPT2Config.to_json_string writes it."""
    return {
        "activation_function": "gelu_new",
        "architectures": ["GPT2LMHeadModel"],
        "attn_pdrop": 0.1,
        "bos_token_id": V - 1,
        "embd_pdrop": 0.1,
        "eos_token_id": V - 1,
        "initializer_range": 0.02,
        "layer_norm_epsilon": eps,
        "model_type": "gpt2",
        "n_ctx": P,
        "n_embd": C,
        "n_head": H,
        "n_inner": n_inner,
        "n_layer": L,
        "n_positions": P,
        "reorder_and_upcast_attn": False,
        "resid_pdrop": 0.1,
        "scale_attn_by_inverse_layer_idx": False,
        "scale_attn_weights": True,
        "summary_activation": None,
        "summary_first_dropout": 0.1,
        "summary_proj_to_labels": True,
        "summary_type": "cls_index",
        "summary_use_proj": True,
        "tie_word_embeddings": tied,
        "torch_dtype": "float32",
        "use_cache": True,
        "vocab_size": V,
    }


def random_state(cfg, gen):
    """Random GPT-2 parameters (HF names, Conv1D [in, out]); every tensor non-trivial."""
    V, P, C, L = cfg["vocab_size"], cfg["n_positions"], cfg["n_embd"], cfg["n_layer"]
    F = cfg["n_inner"] or 4 * C
    r = lambda *s, std=0.1: torch.randn(*s, generator=gen) * std
    sd = {"wte.weight": r(V, C, std=0.3), "wpe.weight": r(P, C, std=0.3)}
    for l in range(L):
        sd.update({
            f"h.{l}.ln_1.weight": 1 + r(C), f"h.{l}.ln_1.bias": r(C),
            f"h.{l}.attn.c_attn.weight": r(C, 3 * C, std=0.3), f"h.{l}.attn.c_attn.bias": r(3 * C),
            f"h.{l}.attn.c_proj.weight": r(C, C, std=0.2), f"h.{l}.attn.c_proj.bias": r(C),
            f"h.{l}.ln_2.weight": 1 + r(C), f"h.{l}.ln_2.bias": r(C),
            f"h.{l}.mlp.c_fc.weight": r(C, F, std=0.2), f"h.{l}.mlp.c_fc.bias": r(F),
            f"h.{l}.mlp.c_proj.weight": r(F, C, std=0.2), f"h.{l}.mlp.c_proj.bias": r(C),
        })
    sd["ln_f.weight"] = 1 + r(C)
    sd["ln_f.bias"] = r(C)
    if not cfg["tie_word_embeddings"]:
        sd["lm_head.weight"] = r(V, C, std=0.3)
    return sd


def rounded(sd, dtype):
    """The values a reader sees after the file stores sd as dtype."""
    return {k: v.to(DT[dtype][0]).float() for k, v in sd.items()}


def save_dir(d, cfg, sd, dtype, prefix, buffers, mask_dtype=None):
    """Write config.json and model.safetensors as save_pretrained lays them out:
    with prefix, every transformer key gets "transformer." (lm_head.weight stays);
    with buffers, the causal-mask buffers attn.bias / attn.masked_bias are stored too."""
    os.makedirs(d, exist_ok=True)
    out = {}
    for k, v in sd.items():
        out[k if (k == "lm_head.weight" or not prefix) else "transformer." + k] = v
    if buffers:
        P = cfg["n_positions"]
        pre = "transformer." if prefix else ""
        for l in range(cfg["n_layer"]):
            out[f"{pre}h.{l}.attn.bias"] = torch.tril(torch.ones(P, P)).view(1, 1, P, P)
            out[f"{pre}h.{l}.attn.masked_bias"] = torch.tensor(-1e4)
    with open(os.path.join(d, "config.json"), "w") as f:
        json.dump(cfg, f, indent=2, sort_keys=True)
        f.write("\n")
    raw = {k: mask_dtype for k in out if k.endswith(".attn.bias") and mask_dtype}
    st_write(os.path.join(d, "model.safetensors"), out, dtype, raw)


def strip(sd):
    return {k[len("transformer."):] if k.startswith("transformer.") else k: v for k, v in sd.items()
            if not k.endswith(".attn.bias") and not k.endswith(".attn.masked_bias")}


def load_dir(d):
    with open(os.path.join(d, "config.json")) as f:
        cfg = json.load(f)
    return cfg, strip(st_read(os.path.join(d, "model.safetensors")))


# ---------------------------------------------------------------- commands

FIXTURES = [
    # name, dtype, "transformer." prefix, mask buffers, config
    ("tiny-f32", "F32", True, True, dict(V=61, P=16, C=32, H=4, L=2)),
    ("tiny-f16", "F16", False, False, dict(V=61, P=16, C=32, H=4, L=2, eps=1e-6, n_inner=48)),
    ("tiny-bf16", "BF16", True, False, dict(V=61, P=16, C=24, H=2, L=3)),
    ("tiny-untied", "F32", False, True, dict(V=50, P=12, C=16, H=4, L=1, tied=False)),
    # Causal-mask buffers stored as BOOL, as save_pretrained wrote them in
    # the transformers versions that kept them persistent.
    ("tiny-boolmask", "F32", True, "BOOL", dict(V=40, P=8, C=8, H=2, L=2)),
]
SEQS = [[0, 5, 17, 60, 33, 2, 2, 9, 41, 12], [7, 3, 59, 1, 0, 44, 8, 8, 8, 30, 21, 13, 5, 6, 49, 10]]


def cmd_fixtures():
    ref = {}
    for i, (name, dtype, prefix, buffers, c) in enumerate(FIXTURES):
        cfg = hf_config(**c)
        gen = torch.Generator().manual_seed(100 + i)
        sd = random_state(cfg, gen)
        d = os.path.join(HERE, name)
        save_dir(d, cfg, sd, dtype, prefix, bool(buffers), buffers if isinstance(buffers, str) else None)
        seen = rounded(sd, dtype)
        rows = []
        for s in SEQS:
            s = [t % cfg["vocab_size"] for t in s][: cfg["n_positions"]]
            lg = gpt2_logits(cfg, seen, s)
            rows.append({"tokens": s, "logits": [[float("%.7g" % v) for v in r] for r in lg.tolist()]})
        # Round trip through our own reader: what the file holds is what was meant.
        cfg2, sd2 = load_dir(d)
        assert all(torch.equal(sd2[k], seen[k]) for k in seen), name
        ref[name] = rows
    with open(os.path.join(HERE, "logits.json"), "w") as f:
        json.dump(ref, f, separators=(",", ":"))
        f.write("\n")
    print("wrote", ", ".join(n for n, *_ in FIXTURES), "and logits.json")


def cmd_make(d, seed):
    """A checkpoint the tests never saw: another shape, seed and dtype."""
    seed = int(seed)
    cfg = hf_config(V=97, P=24, C=48, H=6, L=3, eps=1e-5)
    sd = random_state(cfg, torch.Generator().manual_seed(seed))
    save_dir(d, cfg, sd, "F32", True, True)
    g = torch.Generator().manual_seed(seed + 1)
    ids = torch.randint(0, cfg["vocab_size"], (20,), generator=g).tolist()
    lg = gpt2_logits(cfg, sd, ids)
    with open(os.path.join(d, "reference.json"), "w") as f:
        json.dump({"tokens": ids, "logits": lg.tolist()}, f)
    print(",".join(map(str, ids)))


def cmd_logits(d, toks):
    cfg, sd = load_dir(d)
    ids = [int(t) for t in toks.split(",")]
    print(json.dumps({"tokens": ids, "logits": gpt2_logits(cfg, sd, ids).tolist()}))


def cmd_compare(d, toks, path):
    cfg, sd = load_dir(d)
    ids = [int(t) for t in toks.split(",")]
    ref = gpt2_logits(cfg, sd, ids)
    with open(path) as f:
        got = torch.tensor(json.load(f)["logits"], dtype=torch.float64)
    print("max |torch - go| = %.3g over %d logits" % ((ref - got).abs().max().item(), got.numel()))


# ---------------------------------------------------------------- tokenizer

def bytes_to_unicode():
    """GPT-2's byte table: printable bytes map to themselves, the other 68 to
    U+0100, U+0101, ... in byte order."""
    keep = list(range(ord("!"), ord("~") + 1)) + list(range(0xA1, 0xAD)) + list(range(0xAE, 0x100))
    table, n = {}, 0
    for b in range(256):
        if b in keep:
            table[b] = chr(b)
        else:
            table[b] = chr(256 + n)
            n += 1
    return table


PATTERN = r"""'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"""


def bpe(word, ranks):
    parts = list(word)
    while len(parts) > 1:
        pairs = [(ranks.get((a, b), math.inf), i) for i, (a, b) in enumerate(zip(parts, parts[1:]))]
        r, _ = min(pairs)
        if r == math.inf:
            break
        a, b = [k for k, v in ranks.items() if v == r][0]
        out, i = [], 0
        while i < len(parts):
            if i + 1 < len(parts) and parts[i] == a and parts[i + 1] == b:
                out.append(a + b)
                i += 2
            else:
                out.append(parts[i])
                i += 1
        parts = out
    return parts


def gpt2_encode(text, vocab, ranks):
    import regex

    table = bytes_to_unicode()
    ids, pieces = [], []
    for piece in regex.findall(PATTERN, text):
        pieces.append(piece)
        word = "".join(table[b] for b in piece.encode("utf-8"))
        ids.extend(vocab[t] for t in bpe(word, ranks))
    return ids, pieces


TOKENIZER_STRINGS = [
    "",
    "hello world",
    "Hello, World!",
    "It's here. I'm sure they're right; you'll see, we've said we'd go. Don't!",
    "'s 's's ''s 'S 'LL",
    "two  spaces, three   spaces,\ttab\t\tand trailing   ",
    "line one\nline two\n\n\nthree newlines\r\n crlf",
    "  leading spaces and \n  indented\n",
    "numbers 123 4567 3.14 -42 1,000,000 ² ½",
    "punctuation!!! ... ?!? (parens) [brackets] {braces} --- ***",
    "caf\u00e9 na\u00efve \u00fcber \u00c5ngstr\u00f6m",
    "\u65e5\u672c\u8a9e\u306e\u30c6\u30ad\u30b9\u30c8 \u4e2d\u6587",
    "emoji \U0001F600\U0001F680 mixed\U0001F600text",
    "\u0645\u0631\u062d\u0628\u0627 \u05e9\u05dc\u05d5\u05dd \u043f\u0440\u0438\u0432\u0435\u0442",
    "the theme then there the",
    "x  \n  y",
    " \u00a0nbsp\u3000ideographic space",
    "<|endoftext|> is plain text here",
]


def cmd_vocab():
    """vocab.json for the hand-written merges.txt: the 256 byte symbols in
    GPT-2's order (printable bytes first, as OpenAI's ids 0-255), then each
    merge's result in rank order (first occurrence), then <|endoftext|>."""
    d = os.path.join(HERE, "tokenizer")
    table = bytes_to_unicode()
    order = sorted(range(256), key=lambda b: ord(table[b]))
    vocab = {}
    for b in order:
        vocab[table[b]] = len(vocab)
    with open(os.path.join(d, "merges.txt"), encoding="utf-8") as f:
        for l in f:
            l = l.rstrip("\n")
            if l and not l.startswith("#version"):
                a, b = l.split(" ")
                vocab.setdefault(a + b, len(vocab))
    vocab["<|endoftext|>"] = len(vocab)
    with open(os.path.join(d, "vocab.json"), "w", encoding="utf-8") as f:
        json.dump(vocab, f, ensure_ascii=False)
        f.write("\n")
    print("wrote", len(vocab), "tokens")


def cmd_tokens():
    d = os.path.join(HERE, "tokenizer")
    with open(os.path.join(d, "vocab.json"), encoding="utf-8") as f:
        vocab = json.load(f)
    with open(os.path.join(d, "merges.txt"), encoding="utf-8") as f:
        lines = [l.rstrip("\n") for l in f]
    merges = [tuple(l.split(" ")) for l in lines if l and not l.startswith("#version")]
    ranks = {m: i for i, m in enumerate(merges)}
    # Plus random strings over an alphabet of every character class the
    # pattern distinguishes (seeded, so the file is reproducible).
    import random

    rnd = random.Random(6)
    alphabet = list("  \n\t\r'sStTrmldve123.!?-,") + ["\u00a0", "\u3000", "\u00e9", "\u00b2", "\u65e5", "\U0001F600", "\u0661", "\u2028"]
    texts = list(TOKENIZER_STRINGS) + ["".join(rnd.choice(alphabet) for _ in range(rnd.randrange(1, 24))) for _ in range(300)]
    out = []
    for s in texts:
        ids, pieces = gpt2_encode(s, vocab, ranks)
        out.append({"text": s, "pieces": pieces, "ids": ids})
    with open(os.path.join(d, "expected.json"), "w", encoding="utf-8") as f:
        f.write("[\n" + ",\n".join(json.dumps(e, ensure_ascii=False) for e in out) + "\n]\n")
    print("wrote", len(out), "encodings")


if __name__ == "__main__":
    torch.set_num_threads(1)
    cmd, args = sys.argv[1], sys.argv[2:]
    {"fixtures": cmd_fixtures, "make": cmd_make, "logits": cmd_logits, "compare": cmd_compare,
     "tokens": cmd_tokens, "vocab": cmd_vocab}[cmd](*args)
