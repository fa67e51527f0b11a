// Package hf reads and writes GPT-2 checkpoints in the Hugging Face layout, a
// directory holding config.json and model.safetensors, and implements GPT-2's
// byte-level BPE tokenizer from vocab.json and merges.txt.
//
// A Hugging Face GPT-2 differs from a gpt.Model only in bookkeeping: its
// linear maps are Conv1D modules whose weight is stored [in, out] (y = x·W + b)
// where ours are stored (out, in), its keys may carry a "transformer." prefix,
// and it stores the causal mask as buffers (attn.bias, attn.masked_bias) that
// hold no parameters. Load converts all three; Save writes them back, so the
// standard GPT2LMHeadModel class loads a model trained here (see README.md).
//
// Nothing here touches the network: every file is read from a local directory.
package hf

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"

	"transformers/gpt"
)

// Config is the part of a Hugging Face GPT2Config (config.json) that decides
// the computation. Pointer fields distinguish "absent" (the GPT-2 default)
// from an explicit value.
type Config struct {
	ModelType      string   `json:"model_type,omitempty"`
	Architectures  []string `json:"architectures,omitempty"`
	VocabSize      int      `json:"vocab_size"`
	NPositions     int      `json:"n_positions"`
	NCtx           int      `json:"n_ctx,omitempty"`
	NEmbd          int      `json:"n_embd"`
	NLayer         int      `json:"n_layer"`
	NHead          int      `json:"n_head"`
	NInner         *int     `json:"n_inner"` // null: 4·n_embd
	Activation     string   `json:"activation_function"`
	LayerNormEps   float64  `json:"layer_norm_epsilon"`
	InitRange      float64  `json:"initializer_range,omitempty"`
	ResidPdrop     float64  `json:"resid_pdrop"`
	EmbdPdrop      float64  `json:"embd_pdrop"`
	AttnPdrop      float64  `json:"attn_pdrop"`
	BOSTokenID     *int     `json:"bos_token_id,omitempty"`
	EOSTokenID     *int     `json:"eos_token_id,omitempty"`
	ScaleAttn      *bool    `json:"scale_attn_weights,omitempty"`              // default true: scores divided by √D
	ScaleByLayer   bool     `json:"scale_attn_by_inverse_layer_idx,omitempty"` // unsupported when true
	ReorderUpcast  bool     `json:"reorder_and_upcast_attn,omitempty"`         // numerics only: accepted
	CrossAttention bool     `json:"add_cross_attention,omitempty"`             // unsupported when true
	TieEmbeddings  *bool    `json:"tie_word_embeddings,omitempty"`             // default true
	TorchDType     string   `json:"torch_dtype,omitempty"`                     // informational
	UseCache       *bool    `json:"use_cache,omitempty"`                       // informational
	Version        string   `json:"transformers_version,omitempty"`            // informational
	TaskParams     any      `json:"task_specific_params,omitempty"`            // informational
	PadTokenID     *int     `json:"pad_token_id,omitempty"`                    // informational
	SummaryType    string   `json:"summary_type,omitempty"`                    // GPT2DoubleHeadsModel only
	SummaryUseProj *bool    `json:"summary_use_proj,omitempty"`                // GPT2DoubleHeadsModel only
	SummaryAct     *string  `json:"summary_activation"`                        // GPT2DoubleHeadsModel only
	SummaryLabels  *bool    `json:"summary_proj_to_labels,omitempty"`          // GPT2DoubleHeadsModel only
	SummaryDrop    *float64 `json:"summary_first_dropout,omitempty"`           // GPT2DoubleHeadsModel only
}

// activations lists the activation_function values Load accepts: both name
// GELU's tanh form 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))), the one
// gpt.FFGELU computes.
var activations = map[string]bool{"gelu_new": true, "gelu_pytorch_tanh": true}

// ParseConfig parses a config.json. Unknown keys are ignored (Hugging Face
// configs carry many that do not change the forward pass); the keys that do
// are checked by Config.GPT.
func ParseConfig(b []byte) (Config, error) {
	var c Config
	if err := json.NewDecoder(bytes.NewReader(b)).Decode(&c); err != nil {
		return Config{}, fmt.Errorf("config.json: %w", err)
	}
	return c, nil
}

// Tied reports whether lm_head shares wte's weight (tie_word_embeddings,
// true when absent).
func (c Config) Tied() bool { return c.TieEmbeddings == nil || *c.TieEmbeddings }

// Positions returns n_positions (or, in very old configs without it, n_ctx).
func (c Config) Positions() int {
	if c.NPositions == 0 {
		return c.NCtx
	}
	return c.NPositions
}

// Inner returns the MLP's hidden width: n_inner, or 4·n_embd when null.
func (c Config) Inner() int {
	if c.NInner == nil {
		return 4 * c.NEmbd
	}
	return *c.NInner
}

// GPT translates c into the gpt.Config of the same network: learned
// positions, pre-LN LayerNorm with ε = layer_norm_epsilon, GELU (tanh), biases
// on every linear map, and the output tied to wte unless tie_word_embeddings
// is false. Dropout is 0 (the model is loaded for inference). Every setting
// this package cannot reproduce is refused with an error naming its field.
func (c Config) GPT() (gpt.Config, error) {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf("config.json: "+format, args...)) }
	if c.ModelType != "" && c.ModelType != "gpt2" {
		bad("model_type %q is not supported (want gpt2)", c.ModelType)
	}
	pos := func(field string, v int) {
		if v <= 0 {
			bad("%s must be a positive integer, got %d", field, v)
		}
	}
	pos("vocab_size", c.VocabSize)
	pos("n_positions", c.Positions())
	pos("n_embd", c.NEmbd)
	pos("n_layer", c.NLayer)
	pos("n_head", c.NHead)
	if c.NInner != nil {
		pos("n_inner", *c.NInner)
	}
	if c.NHead > 0 && c.NEmbd > 0 && c.NEmbd%c.NHead != 0 {
		bad("n_embd %d is not divisible by n_head %d", c.NEmbd, c.NHead)
	}
	if !activations[c.Activation] {
		bad("activation_function %q is not supported (want gelu_new or gelu_pytorch_tanh, GELU's tanh form)", c.Activation)
	}
	if !(c.LayerNormEps > 0) {
		bad("layer_norm_epsilon must be positive, got %g", c.LayerNormEps)
	}
	if c.ScaleAttn != nil && !*c.ScaleAttn {
		bad("scale_attn_weights false is not supported (scores are always divided by √head_dim)")
	}
	if c.ScaleByLayer {
		bad("scale_attn_by_inverse_layer_idx true is not supported")
	}
	if c.CrossAttention {
		bad("add_cross_attention true is not supported")
	}
	if err := errors.Join(errs...); err != nil {
		return gpt.Config{}, err
	}
	std := c.InitRange
	if !(std > 0) {
		std = 0.02
	}
	g := gpt.Config{
		VocabSize: c.VocabSize, Context: c.Positions(), Layers: c.NLayer, Heads: c.NHead,
		DModel: c.NEmbd, DFF: c.Inner(),
		Positions: gpt.PosLearned, Norm: gpt.NormLayer, NormEps: c.LayerNormEps, FF: gpt.FFGELU,
		Tied: c.Tied(), Bias: true, InitStd: std,
	}
	if err := g.Validate(); err != nil {
		return gpt.Config{}, fmt.Errorf("config.json: %w", err)
	}
	return g, nil
}

// FromGPT returns the Hugging Face config of a gpt.Config that Supported
// accepts, as GPT2Config writes it (dropout probabilities 0, since the
// exported weights are for inference or further training at the user's
// choice).
func FromGPT(g gpt.Config) (Config, error) {
	if err := Supported(g); err != nil {
		return Config{}, err
	}
	inner, tied, scale := g.DFF, g.Tied, true
	return Config{
		ModelType: "gpt2", Architectures: []string{"GPT2LMHeadModel"},
		VocabSize: g.VocabSize, NPositions: g.Context, NCtx: g.Context,
		NEmbd: g.DModel, NLayer: g.Layers, NHead: g.Heads, NInner: &inner,
		Activation: "gelu_new", LayerNormEps: g.NormEps, InitRange: g.InitStd,
		ScaleAttn: &scale, TieEmbeddings: &tied, TorchDType: "float32",
	}, nil
}

// Supported reports why g cannot be written as a GPT-2 checkpoint, or nil:
// GPT-2 has learned positions, pre-LN LayerNorm, the tanh GELU MLP and no
// cross-attention. Biases may be absent (they are written as zeros) and the
// output head may be tied or separate (tie_word_embeddings).
func Supported(g gpt.Config) error {
	var errs []error
	if err := g.Validate(); err != nil {
		errs = append(errs, err)
	}
	if g.Positions != gpt.PosLearned {
		errs = append(errs, fmt.Errorf("hf: positions %q cannot be exported (GPT-2 has learned positions)", g.Positions))
	}
	if g.Norm != gpt.NormLayer {
		errs = append(errs, fmt.Errorf("hf: norm %q cannot be exported (GPT-2 uses layernorm)", g.Norm))
	}
	if g.PostLN {
		errs = append(errs, errors.New("hf: post_ln true cannot be exported (GPT-2 is pre-LN)"))
	}
	if g.FF != gpt.FFGELU {
		errs = append(errs, fmt.Errorf("hf: ff %q cannot be exported (GPT-2 uses gelu)", g.FF))
	}
	if g.CrossAttention {
		errs = append(errs, errors.New("hf: cross_attention true cannot be exported (GPT-2 has none)"))
	}
	return errors.Join(errs...)
}
