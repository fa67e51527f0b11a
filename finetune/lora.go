package finetune

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"strconv"

	"transformers/autograd"
	"transformers/gpt"
	"transformers/nn"
	"transformers/nn/safetensors"
	"transformers/tensor"
)

// LoRA is a low-rank adapter around a linear map with weight W [out, in]
// (Hu et al. 2021):
//
//	y = base(x) + (α/r)·(x·Aᵀ)·Bᵀ,   i.e.  W' = W + (α/r)·B·A
//
// with A [r, in] and B [out, r]. B starts at zero, so a fresh adapter leaves
// the model exactly as it was; only A and B are trained, the base is frozen.
// Parameters are named "<name>.lora_A.weight" and "<name>.lora_B.weight".
type LoRA struct {
	Name   string
	Base   gpt.Linear
	A, B   *autograd.Var
	Rank   int
	Alpha  float64
	merged bool
}

// NewLoRA wraps base, whose first parameter must be its weight [out, in]
// (as for *nn.Linear), in a rank-r adapter with scale α/r. It freezes the
// base's parameters, draws A from U(−1/√in, 1/√in) with rng (PEFT's default,
// Kaiming-uniform with a = √5) and sets B to zero.
func NewLoRA(name string, base gpt.Linear, rank int, alpha float64, rng *rand.Rand) *LoRA {
	w := baseWeight(base)
	out, in := w.Value.Shape[0], w.Value.Shape[1]
	if rank < 1 || rank > min(out, in) {
		panic(fmt.Sprintf("finetune.NewLoRA: rank %d for weight %v", rank, w.Value.Shape))
	}
	for _, p := range base.Parameters() {
		p.SetRequiresGrad(false)
	}
	bound := float32(1 / math.Sqrt(float64(in)))
	return &LoRA{
		Name:  name,
		Base:  base,
		A:     autograd.Param(name+".lora_A.weight", tensor.Uniform(rng, -bound, bound, rank, in)),
		B:     autograd.Param(name+".lora_B.weight", tensor.Zeros(out, rank)),
		Rank:  rank,
		Alpha: alpha,
	}
}

func baseWeight(l gpt.Linear) *autograd.Var {
	ps := l.Parameters()
	if len(ps) == 0 || len(ps[0].Value.Shape) != 2 {
		panic("finetune.LoRA: the wrapped linear map's first parameter must be a weight [out, in]")
	}
	return ps[0]
}

// Scale returns α/r.
func (l *LoRA) Scale() float64 { return l.Alpha / float64(l.Rank) }

// Merged reports whether the update is folded into the base weight.
func (l *LoRA) Merged() bool { return l.merged }

// Forward maps x [..., in] to base(x) + (α/r)·(x·Aᵀ)·Bᵀ; when merged, to
// base(x) alone (W already holds the update).
func (l *LoRA) Forward(g *autograd.Graph, x *autograd.Var) *autograd.Var {
	y := l.Base.Forward(g, x)
	if l.merged {
		return y
	}
	xs := x.Value.Shape
	in := l.A.Value.Shape[1]
	if len(xs) == 0 || xs[len(xs)-1] != in {
		panic(fmt.Sprintf("finetune.LoRA: input shape %v does not match lora_A %v (r, in)", xs, l.A.Value.Shape))
	}
	x2 := x
	if len(xs) == 1 {
		x2 = g.Reshape(x, 1, in)
	}
	d := g.MatMulNT(g.MatMulNT(x2, l.A), l.B)
	if len(xs) == 1 {
		d = g.Reshape(d, l.B.Value.Shape[0])
	}
	return g.Add(y, g.Scale(d, float32(l.Scale())))
}

// Parameters returns the base's parameters (frozen) followed by A and B, so
// a model's state dict holds both; Trainable keeps only A and B.
func (l *LoRA) Parameters() []*autograd.Var {
	return append(append([]*autograd.Var{}, l.Base.Parameters()...), l.A, l.B)
}

// Delta returns (α/r)·B·A [out, in], accumulated in float64.
func (l *LoRA) Delta() *tensor.Tensor {
	out, r := l.B.Value.Shape[0], l.Rank
	in := l.A.Value.Shape[1]
	d := tensor.Zeros(out, in)
	s := l.Scale()
	a, b := l.A.Value.Data, l.B.Value.Data
	for i := range out {
		for j := range in {
			acc := 0.0
			for k := range r {
				acc += float64(b[i*r+k]) * float64(a[k*in+j])
			}
			d.Data[i*in+j] = float32(s * acc)
		}
	}
	return d
}

// Merge folds the update into the base weight, W ← W + (α/r)·B·A, so the
// forward pass costs no more than the base's. It panics if already merged.
func (l *LoRA) Merge() {
	if l.merged {
		panic("finetune.LoRA.Merge: " + l.Name + " is already merged")
	}
	w := baseWeight(l.Base).Value.Data
	for i, v := range l.Delta().Data {
		w[i] += v
	}
	l.merged = true
}

// Unmerge subtracts the update again, W ← W − (α/r)·B·A, restoring the base
// weight up to float32 rounding. It panics if not merged.
func (l *LoRA) Unmerge() {
	if !l.merged {
		panic("finetune.LoRA.Unmerge: " + l.Name + " is not merged")
	}
	w := baseWeight(l.Base).Value.Data
	for i, v := range l.Delta().Data {
		w[i] -= v
	}
	l.merged = false
}

// LoRAConfig chooses which linear maps get adapters and their size.
type LoRAConfig struct {
	Rank  int
	Alpha float64
	// Match selects linear maps by name ("h.0.attn.c_attn"); nil selects all.
	Match func(name string) bool
}

// ApplyLoRA freezes every parameter of m and wraps the linear maps cfg.Match
// selects in fresh adapters (A drawn from rng, B zero). It returns the
// adapters in model order; the model's output is unchanged until they train.
func ApplyLoRA(m *gpt.Model, cfg LoRAConfig, rng *rand.Rand) []*LoRA {
	m.Freeze()
	match := cfg.Match
	if match == nil {
		match = func(string) bool { return true }
	}
	var out []*LoRA
	m.WrapLinears(match, func(name string, l gpt.Linear) gpt.Linear {
		a := NewLoRA(name, l, cfg.Rank, cfg.Alpha, rng)
		out = append(out, a)
		return a
	})
	return out
}

// RemoveLoRA puts the base linear maps back in place of m's adapters (merge
// first to keep what they learned) and returns how many it removed; the model
// is then plain again (Clone and Save work on it).
func RemoveLoRA(m *gpt.Model) int {
	n := 0
	for _, nl := range m.Linears() {
		if a, ok := (*nl.Slot).(*LoRA); ok {
			*nl.Slot = a.Base
			n++
		}
	}
	return n
}

// Trainable returns the parameters that require a gradient, in order.
func Trainable(params []*autograd.Var) []*autograd.Var {
	var out []*autograd.Var
	for _, p := range params {
		if p.RequiresGrad() {
			out = append(out, p)
		}
	}
	return out
}

// AdapterParams returns every adapter's A and B, in order.
func AdapterParams(adapters []*LoRA) []*autograd.Var {
	var out []*autograd.Var
	for _, a := range adapters {
		out = append(out, a.A, a.B)
	}
	return out
}

// Metadata keys of an adapter file.
const (
	MetaLoRARank  = "lora_rank"
	MetaLoRAAlpha = "lora_alpha"
)

// SaveAdapters writes only the adapters' A and B (by parameter name) to a
// safetensors file, with rank and α in its metadata: a few kilobytes instead
// of the whole model.
func SaveAdapters(path string, adapters []*LoRA) error {
	if len(adapters) == 0 {
		return fmt.Errorf("finetune.SaveAdapters %s: no adapters", path)
	}
	sd := map[string]*tensor.Tensor{}
	for _, a := range adapters {
		if a.Rank != adapters[0].Rank || a.Alpha != adapters[0].Alpha {
			return fmt.Errorf("finetune.SaveAdapters %s: adapters differ in rank or alpha", path)
		}
		sd[a.A.Name], sd[a.B.Name] = a.A.Value, a.B.Value
	}
	meta := map[string]string{
		MetaLoRARank:  strconv.Itoa(adapters[0].Rank),
		MetaLoRAAlpha: strconv.FormatFloat(adapters[0].Alpha, 'g', -1, 64),
	}
	return safetensors.Write(path, sd, meta)
}

// LoadAdapters copies A and B from a file written by SaveAdapters into
// adapters (built the same way, e.g. by ApplyLoRA on the same base model).
// The names, shapes, rank and α must match exactly; nothing changes on error.
// Merged adapters are refused (unmerge first).
func LoadAdapters(path string, adapters []*LoRA) error {
	sd, meta, err := safetensors.Read(path)
	if err != nil {
		return err
	}
	params := AdapterParams(adapters)
	for _, a := range adapters {
		if a.merged {
			return fmt.Errorf("finetune.LoadAdapters %s: adapter %s is merged", path, a.Name)
		}
		if meta[MetaLoRARank] != strconv.Itoa(a.Rank) || meta[MetaLoRAAlpha] != strconv.FormatFloat(a.Alpha, 'g', -1, 64) {
			return fmt.Errorf("finetune.LoadAdapters %s: file has rank %q alpha %q, adapter %s has %d and %g",
				path, meta[MetaLoRARank], meta[MetaLoRAAlpha], a.Name, a.Rank, a.Alpha)
		}
	}
	var problems []string
	want := map[string]bool{}
	for _, p := range params {
		want[p.Name] = true
		t, ok := sd[p.Name]
		switch {
		case !ok:
			problems = append(problems, "missing "+p.Name)
		case !tensor.SameShape(t.Shape, p.Value.Shape):
			problems = append(problems, fmt.Sprintf("%s has shape %v, want %v", p.Name, t.Shape, p.Value.Shape))
		}
	}
	for k := range sd {
		if !want[k] {
			problems = append(problems, "unexpected "+k)
		}
	}
	if len(problems) > 0 {
		sort.Strings(problems)
		return fmt.Errorf("finetune.LoadAdapters %s: %v", path, problems)
	}
	for _, p := range params {
		copy(p.Value.Data, sd[p.Name].Data)
	}
	return nil
}

// NumTrainable returns the number of scalar parameters that require a
// gradient; after ApplyLoRA that is Σ r·(in + out) over the adapters.
func NumTrainable(params []*autograd.Var) int { return nn.NumParams(Trainable(params)) }
