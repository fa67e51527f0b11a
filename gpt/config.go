// Package gpt is the decoder-only transformer of Part 2: a GPT whose
// parameters follow GPT-2's names, with the options the book compares
// (learned, sinusoidal, ALiBi or RoPE positions; pre- or post-LN; LayerNorm
// or RMSNorm; GELU or SwiGLU; tied or separate output weights), generation
// with a KV cache, per-token log-probabilities for fine-tuning, scalar heads,
// and hooks for interpretability (every layer's residual stream and
// attention weights).
//
// The pieces, in the order a reader meets them:
//
//	cfg := gpt.DefaultConfig(vocab)            // the book's reference GPT; edit fields, then cfg.Validate()
//	m := gpt.New(cfg, rng)                     // GPT-2 initialisation from an explicit *rand.Rand
//	m.ParamCount().WriteTable(os.Stdout)       // parameters by component
//	out := m.Forward(g, ids, B, T, gpt.ForwardOptions{CaptureAttention: true})
//	loss := g.CrossEntropy(out.Logits, targets, nil)
//	m.LogitLens(g, out.Residuals[l])           // with CaptureResiduals
//	m.Generate(prompt, gpt.GenerateOptions{…}) // greedy / temperature / top-k / top-p, KV cache
//	lp, batch := m.LogProbs(g, prompts, completions) // per-token log p(completion | prompt)
//	ref := m.Reference()                       // a frozen copy (KL, DPO)
//	m.WrapLinears(match, wrap)                 // swap any Linear (LoRA)
//	m.Save(path, meta); gpt.Load(path)         // safetensors with the config in the metadata
//
// The model is one struct of plain fields. Every linear map is held as the
// Linear interface, so fine-tuning code can replace any of them (LoRA) through
// Model.Linears without the model knowing. Training lives in gpt/train.
package gpt

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
)

// Position encodings a Config may choose.
const (
	PosLearned    = "learned"    // a trained table wpe [Context, DModel] added to the token embeddings (GPT-2)
	PosSinusoidal = "sinusoidal" // the fixed table PE[p, 2i] = sin(p/10000^(2i/d)), PE[p, 2i+1] = cos(…) added to the embeddings
	PosALiBi      = "alibi"      // no table: −m_h·(i−j) added to head h's scores, m_h = 2^(−8(h+1)/H)
	PosRoPE       = "rope"       // queries and keys rotated pairwise by angle p·θ_i, θ_i = base^(−2i/D)
)

// Normalisation layers and feed-forward kinds a Config may choose.
const (
	NormLayer = "layernorm" // (x − μ)/√(σ² + ε) ⊙ γ + β
	NormRMS   = "rmsnorm"   // x/√(mean(x²) + ε) ⊙ γ
	FFGELU    = "gelu"      // c_proj(GELU(c_fc(x))), GELU's tanh approximation as GPT-2
	FFSwiGLU  = "swiglu"    // c_proj(SiLU(c_gate(x)) ⊙ c_fc(x))
)

// Config describes a GPT. Its JSON form (snake_case keys) travels inside
// every checkpoint's metadata, so a checkpoint alone rebuilds its model.
type Config struct {
	VocabSize int `json:"vocab_size"`
	Context   int `json:"n_ctx"`   // the longest sequence the model reads (rows of wpe)
	Layers    int `json:"n_layer"` // number of transformer blocks
	Heads     int `json:"n_head"`  // attention heads per block; DModel must be divisible by Heads
	DModel    int `json:"n_embd"`  // width of the residual stream
	DFF       int `json:"d_ff"`    // hidden width of the feed-forward network

	Positions string  `json:"positions"` // PosLearned, PosSinusoidal, PosALiBi or PosRoPE
	RoPEBase  float64 `json:"rope_base,omitempty"`
	PostLN    bool    `json:"post_ln"`  // false: x + f(LN(x)) (pre-LN, GPT-2); true: LN(x + f(x)) (the 2017 paper)
	Norm      string  `json:"norm"`     // NormLayer or NormRMS
	NormEps   float64 `json:"norm_eps"` // ε of every normalisation
	FF        string  `json:"ff"`       // FFGELU or FFSwiGLU
	Tied      bool    `json:"tied"`     // output head reuses wte (logits = h·wteᵀ); false adds lm_head.weight
	Dropout   float64 `json:"dropout"`  // probability for embedding, attention-output and MLP-output dropout
	Bias      bool    `json:"bias"`     // biases on every Linear
	InitStd   float64 `json:"init_std"` // std of weight matrices; residual projections use InitStd/√(2·Layers)

	// CrossAttention adds to every block a cross-attention sub-layer that
	// reads a memory [B, S, DModel] given in ForwardOptions.Memory (an
	// encoder–decoder or a conditioned model).
	CrossAttention bool `json:"cross_attention,omitempty"`
}

// DefaultConfig returns the book's reference GPT for a vocabulary of the
// given size: context 256, 4 layers, 4 heads, d_model 256, d_ff 1024, pre-LN
// LayerNorm, learned positions, GELU, tied output weights, no biases on the
// linear maps, no dropout, init N(0, 0.02²).
func DefaultConfig(vocab int) Config {
	return Config{
		VocabSize: vocab, Context: 256, Layers: 4, Heads: 4, DModel: 256, DFF: 1024,
		Positions: PosLearned, RoPEBase: 10000, Norm: NormLayer, NormEps: 1e-5, FF: FFGELU,
		Tied: true, InitStd: 0.02,
	}
}

// HeadDim returns DModel/Heads, the width of one attention head.
func (c Config) HeadDim() int { return c.DModel / c.Heads }

// Validate reports every inconsistency in c, naming the field at fault.
func (c Config) Validate() error {
	var errs []error
	pos := func(name string, v int) {
		if v <= 0 {
			errs = append(errs, fmt.Errorf("gpt: %s must be positive, got %d", name, v))
		}
	}
	pos("vocab_size", c.VocabSize)
	pos("n_ctx", c.Context)
	pos("n_layer", c.Layers)
	pos("n_head", c.Heads)
	pos("n_embd", c.DModel)
	pos("d_ff", c.DFF)
	if c.Heads > 0 && c.DModel%c.Heads != 0 {
		errs = append(errs, fmt.Errorf("gpt: n_embd %d is not divisible by n_head %d", c.DModel, c.Heads))
	}
	switch c.Positions {
	case PosLearned, PosSinusoidal, PosALiBi:
	case PosRoPE:
		if c.Heads > 0 && c.DModel%c.Heads == 0 && c.HeadDim()%2 != 0 {
			errs = append(errs, fmt.Errorf("gpt: rope needs an even head width, got %d", c.HeadDim()))
		}
		if c.RoPEBase <= 1 {
			errs = append(errs, fmt.Errorf("gpt: rope_base must be > 1, got %g", c.RoPEBase))
		}
	default:
		errs = append(errs, fmt.Errorf("gpt: positions %q is not one of learned, sinusoidal, alibi, rope", c.Positions))
	}
	if c.Positions == PosSinusoidal && c.DModel%2 != 0 {
		errs = append(errs, fmt.Errorf("gpt: sinusoidal positions need an even n_embd, got %d", c.DModel))
	}
	if c.Norm != NormLayer && c.Norm != NormRMS {
		errs = append(errs, fmt.Errorf("gpt: norm %q is not one of layernorm, rmsnorm", c.Norm))
	}
	if !(c.NormEps > 0) {
		errs = append(errs, fmt.Errorf("gpt: norm_eps must be positive, got %g", c.NormEps))
	}
	if c.FF != FFGELU && c.FF != FFSwiGLU {
		errs = append(errs, fmt.Errorf("gpt: ff %q is not one of gelu, swiglu", c.FF))
	}
	if !(c.Dropout >= 0 && c.Dropout < 1) {
		errs = append(errs, fmt.Errorf("gpt: dropout must lie in [0, 1), got %g", c.Dropout))
	}
	if !(c.InitStd > 0) {
		errs = append(errs, fmt.Errorf("gpt: init_std must be positive, got %g", c.InitStd))
	}
	return errors.Join(errs...)
}

// MarshalConfig returns c as indented JSON.
func MarshalConfig(c Config) ([]byte, error) { return json.MarshalIndent(c, "", "  ") }

// UnmarshalConfig parses JSON written by MarshalConfig (unknown keys are an
// error, so a typo cannot silently fall back to a default) and validates it.
func UnmarshalConfig(b []byte) (Config, error) {
	var c Config
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		return Config{}, fmt.Errorf("gpt: config JSON: %w", err)
	}
	if err := c.Validate(); err != nil {
		return Config{}, err
	}
	return c, nil
}
