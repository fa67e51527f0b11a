package gpt

import (
	"math"
	"math/rand/v2"
	"strconv"

	"transformers/autograd"
	"transformers/nn"
	"transformers/tensor"
)

// Linear is any map x [..., in] → [..., out] with parameters: *nn.Linear, or
// a wrapper around one (a LoRA adapter W + (α/r)·B·A). The model holds every
// linear map as this interface so Model.Linears can swap any of them.
type Linear interface {
	Forward(g *autograd.Graph, x *autograd.Var) *autograd.Var
	Parameters() []*autograd.Var
}

// Norm is a normalisation layer over the last axis (*nn.LayerNorm or
// *nn.RMSNorm).
type Norm interface {
	Forward(g *autograd.Graph, x *autograd.Var) *autograd.Var
	Parameters() []*autograd.Var
}

// SelfAttention is multi-head causal self-attention with a fused QKV
// projection: [q | k | v] = c_attn(x), each split into Heads heads of width
// D = DModel/Heads, O = softmax(q·kᵀ/√D + mask)·v, y = c_proj(concat heads).
type SelfAttention struct {
	CAttn Linear // "attn.c_attn": DModel → 3·DModel, rows ordered q, k, v
	CProj Linear // "attn.c_proj": DModel → DModel, writes into the residual stream
}

// CrossAttention lets a block read a memory M [B, S, DModel]: q = c_q(x),
// [k | v] = c_kv(M), y = c_proj(softmax(q·kᵀ/√D)·v), with no causal mask.
type CrossAttention struct {
	CQ    Linear // "crossattn.c_q": DModel → DModel
	CKV   Linear // "crossattn.c_kv": DModel → 2·DModel
	CProj Linear // "crossattn.c_proj": DModel → DModel
}

// MLP is the position-wise feed-forward network: c_proj(GELU(c_fc(x))), or
// with SwiGLU c_proj(SiLU(c_gate(x)) ⊙ c_fc(x)).
type MLP struct {
	FC   Linear // "mlp.c_fc": DModel → DFF
	Gate Linear // "mlp.c_gate": DModel → DFF (SwiGLU only, else nil)
	Proj Linear // "mlp.c_proj": DFF → DModel
}

// Block is one transformer layer. Pre-LN (GPT-2):
//
//	x ← x + attn(ln_1(x));  [x ← x + cross(ln_cross(x), M)];  x ← x + mlp(ln_2(x))
//
// Post-LN (the 2017 paper): x ← ln_1(x + attn(x)), and so on. Cross and
// LnCross are nil unless Config.CrossAttention.
type Block struct {
	Ln1     Norm
	Attn    *SelfAttention
	LnCross Norm
	Cross   *CrossAttention
	Ln2     Norm
	MLP     *MLP
}

// Model is a GPT. Its parameters carry GPT-2's names: wte.weight,
// wpe.weight (learned positions only), h.N.ln_1.*, h.N.attn.c_attn.*,
// h.N.attn.c_proj.*, h.N.ln_2.*, h.N.mlp.c_fc.*, h.N.mlp.c_proj.*,
// ln_f.*, and lm_head.weight when the output is not tied to wte.
type Model struct {
	Config Config
	WTE    *autograd.Var // [VocabSize, DModel]
	WPE    *autograd.Var // [Context, DModel], learned positions only
	Blocks []*Block
	LnF    Norm
	LMHead Linear // nil when Config.Tied: logits = h·wteᵀ
}

// New builds a model from cfg with GPT-2's initialisation: every weight
// matrix and embedding from N(0, InitStd²), the projections that write into
// the residual stream (attn.c_proj, mlp.c_proj, crossattn.c_proj) from
// N(0, InitStd²/(2·Layers)), biases 0, norm gains 1. It panics if cfg is
// invalid (call Validate first on user input).
func New(cfg Config, rng *rand.Rand) *Model {
	if err := cfg.Validate(); err != nil {
		panic(err)
	}
	C, std := cfg.DModel, cfg.InitStd
	resStd := std / math.Sqrt(2*float64(cfg.Layers))
	lin := func(name string, in, out int, s float64) Linear {
		return nn.NewLinear(name, in, out, cfg.Bias, s, rng)
	}
	norm := func(name string) Norm {
		if cfg.Norm == NormRMS {
			n := nn.NewRMSNorm(name, C)
			n.Eps = float32(cfg.NormEps)
			return n
		}
		n := nn.NewLayerNorm(name, C)
		n.Eps = float32(cfg.NormEps)
		return n
	}
	m := &Model{Config: cfg}
	m.WTE = autograd.Param("wte.weight", nn.Normal(rng, std, cfg.VocabSize, C))
	if cfg.Positions == PosLearned {
		m.WPE = autograd.Param("wpe.weight", nn.Normal(rng, std, cfg.Context, C))
	}
	for l := range cfg.Layers {
		p := "h." + strconv.Itoa(l)
		b := &Block{Ln1: norm(p + ".ln_1")}
		b.Attn = &SelfAttention{
			CAttn: lin(p+".attn.c_attn", C, 3*C, std),
			CProj: lin(p+".attn.c_proj", C, C, resStd),
		}
		if cfg.CrossAttention {
			b.LnCross = norm(p + ".ln_cross")
			b.Cross = &CrossAttention{
				CQ:    lin(p+".crossattn.c_q", C, C, std),
				CKV:   lin(p+".crossattn.c_kv", C, 2*C, std),
				CProj: lin(p+".crossattn.c_proj", C, C, resStd),
			}
		}
		b.Ln2 = norm(p + ".ln_2")
		b.MLP = &MLP{FC: lin(p+".mlp.c_fc", C, cfg.DFF, std)}
		if cfg.FF == FFSwiGLU {
			b.MLP.Gate = lin(p+".mlp.c_gate", C, cfg.DFF, std)
		}
		b.MLP.Proj = lin(p+".mlp.c_proj", cfg.DFF, C, resStd)
		m.Blocks = append(m.Blocks, b)
	}
	m.LnF = norm("ln_f")
	if !cfg.Tied {
		m.LMHead = nn.NewLinear("lm_head", C, cfg.VocabSize, false, std, rng)
	}
	return m
}

// Parameters lists every trainable tensor in a fixed order: wte, wpe, then
// each block (ln_1, attn, [ln_cross, crossattn], ln_2, mlp), ln_f, lm_head.
// A wrapped Linear contributes whatever its Parameters returns.
func (m *Model) Parameters() []*autograd.Var {
	ps := []*autograd.Var{m.WTE}
	if m.WPE != nil {
		ps = append(ps, m.WPE)
	}
	for _, b := range m.Blocks {
		ps = append(ps, b.Ln1.Parameters()...)
		ps = append(ps, b.Attn.CAttn.Parameters()...)
		ps = append(ps, b.Attn.CProj.Parameters()...)
		if b.Cross != nil {
			ps = append(ps, b.LnCross.Parameters()...)
			ps = append(ps, b.Cross.CQ.Parameters()...)
			ps = append(ps, b.Cross.CKV.Parameters()...)
			ps = append(ps, b.Cross.CProj.Parameters()...)
		}
		ps = append(ps, b.Ln2.Parameters()...)
		ps = append(ps, b.MLP.FC.Parameters()...)
		if b.MLP.Gate != nil {
			ps = append(ps, b.MLP.Gate.Parameters()...)
		}
		ps = append(ps, b.MLP.Proj.Parameters()...)
	}
	ps = append(ps, m.LnF.Parameters()...)
	if m.LMHead != nil {
		ps = append(ps, m.LMHead.Parameters()...)
	}
	return ps
}

// NamedLinear is one linear map of a model: its GPT-2 name without the
// ".weight" suffix ("h.0.attn.c_attn") and a pointer to the field holding it,
// so *Slot = wrap(*Slot) replaces it in place.
type NamedLinear struct {
	Name string
	Slot *Linear
}

// Linears lists every linear map of the model in Parameters order: attention
// (c_attn, c_proj), cross-attention, MLP (c_fc, c_gate, c_proj) and lm_head.
func (m *Model) Linears() []NamedLinear {
	var out []NamedLinear
	add := func(name string, s *Linear) {
		if *s != nil {
			out = append(out, NamedLinear{name, s})
		}
	}
	for l, b := range m.Blocks {
		p := "h." + strconv.Itoa(l)
		add(p+".attn.c_attn", &b.Attn.CAttn)
		add(p+".attn.c_proj", &b.Attn.CProj)
		if b.Cross != nil {
			add(p+".crossattn.c_q", &b.Cross.CQ)
			add(p+".crossattn.c_kv", &b.Cross.CKV)
			add(p+".crossattn.c_proj", &b.Cross.CProj)
		}
		add(p+".mlp.c_fc", &b.MLP.FC)
		add(p+".mlp.c_gate", &b.MLP.Gate)
		add(p+".mlp.c_proj", &b.MLP.Proj)
	}
	add("lm_head", &m.LMHead)
	return out
}

// WrapLinears replaces every linear map whose name satisfies match by
// wrap(name, old) and returns how many it replaced. LoRA uses it as
// m.WrapLinears(isAttention, lora.Wrap).
func (m *Model) WrapLinears(match func(name string) bool, wrap func(name string, l Linear) Linear) int {
	n := 0
	for _, nl := range m.Linears() {
		if match(nl.Name) {
			*nl.Slot = wrap(nl.Name, *nl.Slot)
			n++
		}
	}
	return n
}

// StateDict maps every parameter name to its value (shared, not copied).
func (m *Model) StateDict() map[string]*tensor.Tensor { return nn.StateDict(m) }

// LoadStateDict copies sd into the parameters in place; the keys and shapes
// must match exactly.
func (m *Model) LoadStateDict(sd map[string]*tensor.Tensor) error { return nn.LoadStateDict(m, sd) }

// Clone returns an independent copy: a model of the same Config whose
// parameters hold copies of m's values. It copies a plain model; merge or
// remove wrappers (LoRA) first, or Clone panics on the unexpected keys.
func (m *Model) Clone() *Model {
	c := New(m.Config, rand.New(rand.NewPCG(0, 0)))
	sd := m.StateDict()
	cp := make(map[string]*tensor.Tensor, len(sd))
	for k, v := range sd {
		cp[k] = v.Clone()
	}
	if err := c.LoadStateDict(cp); err != nil {
		panic("gpt.Model.Clone: " + err.Error())
	}
	return c
}

// Freeze turns gradients off for every parameter (a reference model for KL
// penalties or DPO; its forward passes then record nothing) and returns m.
func (m *Model) Freeze() *Model {
	for _, p := range m.Parameters() {
		p.SetRequiresGrad(false)
	}
	return m
}

// Reference returns a frozen copy of m: Clone followed by Freeze.
func (m *Model) Reference() *Model { return m.Clone().Freeze() }
