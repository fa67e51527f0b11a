package finetune

import (
	"math"
	"path/filepath"
	"strings"
	"testing"

	"transformers/autograd"
	"transformers/gpt"
	"transformers/gpt/tokenizer"
	"transformers/nn"
	"transformers/nn/safetensors"
	"transformers/tensor"
)

func randVar(seed uint64, std float32, shape ...int) *autograd.Var {
	return autograd.Param("x", tensor.Randn(rng(seed), std, shape...))
}

func TestLoRAFreshEqualsBase(t *testing.T) {
	tests := []struct {
		name    string
		in, out int
		rank    int
		bias    bool
		xShape  []int
	}{
		{"matrix", 6, 4, 2, true, []int{5, 6}},
		{"batch", 6, 4, 1, false, []int{2, 3, 6}},
		{"vector", 5, 7, 3, true, []int{5}},
	}
	for _, tc := range tests {
		base := nn.NewLinear("l", tc.in, tc.out, tc.bias, 0.5, rng(1))
		want := base.Forward(autograd.NoGrad(), randVar(2, 1, tc.xShape...))
		l := NewLoRA("l", base, tc.rank, 16, rng(3))
		got := l.Forward(autograd.NoGrad(), randVar(2, 1, tc.xShape...))
		if !tensor.SameShape(got.Value.Shape, want.Value.Shape) {
			t.Fatalf("%s: shape %v, want %v", tc.name, got.Value.Shape, want.Value.Shape)
		}
		for i := range got.Value.Data {
			if got.Value.Data[i] != want.Value.Data[i] {
				t.Fatalf("%s: fresh adapter changed output %d: %v vs %v", tc.name, i, got.Value.Data[i], want.Value.Data[i])
			}
		}
		for _, p := range base.Parameters() {
			if p.RequiresGrad() {
				t.Errorf("%s: base parameter %s not frozen", tc.name, p.Name)
			}
		}
		if got := nn.NumParams(Trainable(l.Parameters())); got != tc.rank*(tc.in+tc.out) {
			t.Errorf("%s: %d trainable, want r(in+out) = %d", tc.name, got, tc.rank*(tc.in+tc.out))
		}
		if l.A.Name != "l.lora_A.weight" || l.B.Name != "l.lora_B.weight" {
			t.Errorf("names %s, %s", l.A.Name, l.B.Name)
		}
	}
}

// trainedLoRA returns an adapter on a 6 → 5 map whose B is nonzero, as after
// training.
func trainedLoRA(rank int, alpha float64) (*LoRA, *nn.Linear) {
	l, base := trainedLoRAOf(6, 5, rank)
	l.Alpha = alpha
	return l, base
}

func trainedLoRAOf(in, out, rank int) (*LoRA, *nn.Linear) {
	base := nn.NewLinear("l", in, out, true, 0.5, rng(1))
	l := NewLoRA("l", base, rank, 2*float64(rank), rng(2))
	copy(l.B.Value.Data, tensor.Randn(rng(3), 0.3, out, rank).Data)
	return l, base
}

func TestLoRAForwardFormula(t *testing.T) {
	l, base := trainedLoRA(2, 8)
	x := randVar(4, 1, 3, 6)
	got := l.Forward(autograd.NoGrad(), x).Value
	// y = x·(W + (α/r)·B·A)ᵀ + b computed directly.
	w := tensor.Add(base.Weight.Value, tensor.Scale(tensor.MatMul(l.B.Value, l.A.Value), 4))
	want := tensor.Add(tensor.MatMulNT(x.Value, w), base.Bias.Value)
	if d := maxAbsDiff(got.Data, want.Data); d > 1e-5 {
		t.Errorf("LoRA forward differs from x·(W + α/r·BA)ᵀ + b by %g", d)
	}
}

func TestLoRAMergeUnmerge(t *testing.T) {
	for _, tc := range []struct {
		rank  int
		alpha float64
	}{{1, 1}, {2, 16}, {4, 4}} {
		l, base := trainedLoRA(tc.rank, tc.alpha)
		w0 := append([]float32(nil), base.Weight.Value.Data...)
		x := randVar(5, 1, 4, 6)
		adapter := append([]float32(nil), l.Forward(autograd.NoGrad(), x).Value.Data...)
		l.Merge()
		if !l.Merged() {
			t.Fatal("not merged")
		}
		merged := l.Forward(autograd.NoGrad(), x).Value.Data
		if d := maxAbsDiff(merged, adapter); d > 1e-5 {
			t.Errorf("r=%d α=%g: merged forward differs from adapter forward by %g", tc.rank, tc.alpha, d)
		}
		if d := maxAbsDiff(base.Weight.Value.Data, w0); d == 0 {
			t.Errorf("r=%d: merge left W unchanged", tc.rank)
		}
		l.Unmerge()
		delta := l.Delta().Data
		for i, v := range base.Weight.Value.Data {
			// Two float32 roundings: of W + Δ and of (W + Δ) − Δ.
			tol := 2 * 0x1p-23 * (math.Abs(float64(w0[i])) + math.Abs(float64(delta[i])))
			if math.Abs(float64(v-w0[i])) > tol {
				t.Fatalf("r=%d: unmerged W[%d] = %v, was %v (tol %g)", tc.rank, i, v, w0[i], tol)
			}
		}
		back := l.Forward(autograd.NoGrad(), x).Value.Data
		if d := maxAbsDiff(back, adapter); d > 1e-5 {
			t.Errorf("r=%d: unmerged forward differs by %g", tc.rank, d)
		}
	}
	l, _ := trainedLoRA(1, 1)
	mustPanic(t, "Unmerge before Merge", l.Unmerge)
	l.Merge()
	mustPanic(t, "Merge twice", l.Merge)
}

func mustPanic(t *testing.T, what string, f func()) {
	t.Helper()
	defer func() {
		if recover() == nil {
			t.Errorf("%s did not panic", what)
		}
	}()
	f()
}

func TestLoRAGradCheck(t *testing.T) {
	for _, shape := range [][]int{{3, 6}, {2, 2, 6}} {
		l, base := trainedLoRA(2, 6)
		x := randVar(6, 1, shape...)
		res := autograd.GradCheck(func(g *autograd.Graph, in []*autograd.Var) *autograd.Var {
			return l.Forward(g, in[0])
		}, []*autograd.Var{x, l.A, l.B, base.Weight}, 7, 1e-2)
		if res.MaxErr > 5e-3 {
			t.Errorf("shape %v: %v", shape, res)
		}
		// The base is frozen: backward must leave it without a gradient.
		g := autograd.New()
		g.Backward(g.SumAll(l.Forward(g, x)))
		if base.Weight.Grad != nil || base.Bias.Grad != nil {
			t.Error("frozen base received a gradient")
		}
		if l.A.Grad == nil || l.B.Grad == nil {
			t.Error("adapter received no gradient")
		}
	}
}

func TestLoRAShapePanics(t *testing.T) {
	base := nn.NewLinear("l", 6, 4, false, 0.5, rng(1))
	mustPanic(t, "rank 0", func() { NewLoRA("l", base, 0, 1, rng(1)) })
	mustPanic(t, "rank above min(in, out)", func() { NewLoRA("l", base, 5, 1, rng(1)) })
	l := NewLoRA("l", base, 2, 1, rng(1))
	mustPanic(t, "wrong input width", func() { l.Forward(autograd.NoGrad(), randVar(1, 1, 3, 5)) })
}

func tinyConfig() gpt.Config {
	c := gpt.DefaultConfig(tokenizer.NumSpecial + 256 + 12)
	c.Context, c.Layers, c.Heads, c.DModel, c.DFF = 48, 2, 2, 16, 32
	return c
}

func TestApplyLoRAOnModel(t *testing.T) {
	cfg := tinyConfig()
	ids := make([]int, 2*10)
	for i := range ids {
		ids[i] = (7 * i) % cfg.VocabSize
	}
	tests := []struct {
		name    string
		match   func(string) bool
		wrapped int
		params  int // trainable scalars
	}{
		// c_attn: 16 → 48, r = 4: 4·(16+48) = 256 per layer.
		{"attention c_attn", func(n string) bool { return strings.HasSuffix(n, "attn.c_attn") }, 2, 2 * 256},
		// c_attn 256 + c_proj 4·32 + c_fc 4·48 + mlp.c_proj 4·48 = 768 per layer.
		{"every linear", nil, 8, 2 * 768},
	}
	for _, tc := range tests {
		m := gpt.New(cfg, rng(1))
		before := append([]float32(nil), m.Logits(autograd.NoGrad(), ids, 2, 10).Value.Data...)
		sd0 := map[string][]float32{}
		for k, v := range m.StateDict() {
			sd0[k] = append([]float32(nil), v.Data...)
		}
		ads := ApplyLoRA(m, LoRAConfig{Rank: 4, Alpha: 8, Match: tc.match}, rng(2))
		if len(ads) != tc.wrapped {
			t.Fatalf("%s: %d adapters, want %d", tc.name, len(ads), tc.wrapped)
		}
		if n := NumTrainable(m.Parameters()); n != tc.params {
			t.Errorf("%s: %d trainable parameters, want %d", tc.name, n, tc.params)
		}
		after := m.Logits(autograd.NoGrad(), ids, 2, 10).Value.Data
		for i := range after {
			if after[i] != before[i] {
				t.Fatalf("%s: fresh adapters changed logit %d: %v vs %v", tc.name, i, after[i], before[i])
			}
		}
		// Pretend training, then compare merged and adapter forwards.
		for i, a := range ads {
			copy(a.B.Value.Data, tensor.Randn(rng(uint64(10+i)), 0.5, a.B.Value.Shape...).Data)
		}
		adapted := append([]float32(nil), m.Logits(autograd.NoGrad(), ids, 2, 10).Value.Data...)
		if maxAbsDiff(adapted, before) < 1e-4 {
			t.Errorf("%s: nonzero B did not change the logits", tc.name)
		}
		for _, a := range ads {
			a.Merge()
		}
		if d := maxAbsDiff(m.Logits(autograd.NoGrad(), ids, 2, 10).Value.Data, adapted); d > 1e-4 {
			t.Errorf("%s: merged model differs from adapted model by %g", tc.name, d)
		}
		// Remove the merged adapters: a plain model that keeps what they learned.
		if n := RemoveLoRA(m); n != tc.wrapped {
			t.Errorf("%s: removed %d", tc.name, n)
		}
		c := m.Clone()
		if d := maxAbsDiff(c.Logits(autograd.NoGrad(), ids, 2, 10).Value.Data, adapted); d > 1e-4 {
			t.Errorf("%s: clone of merged model differs by %g", tc.name, d)
		}
		for k, v := range m.StateDict() {
			if len(v.Data) != len(sd0[k]) {
				t.Errorf("%s: %s changed size", tc.name, k)
			}
		}
	}
}

func TestSaveLoadAdapters(t *testing.T) {
	cfg := tinyConfig()
	match := func(n string) bool { return strings.Contains(n, "attn") }
	m := gpt.New(cfg, rng(1))
	ads := ApplyLoRA(m, LoRAConfig{Rank: 2, Alpha: 4, Match: match}, rng(2))
	for i, a := range ads {
		copy(a.B.Value.Data, tensor.Randn(rng(uint64(20+i)), 0.5, a.B.Value.Shape...).Data)
	}
	path := filepath.Join(t.TempDir(), "adapter.safetensors")
	if err := SaveAdapters(path, ads); err != nil {
		t.Fatal(err)
	}
	sd, meta, err := safetensors.Read(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(sd) != 2*len(ads) || meta[MetaLoRARank] != "2" || meta[MetaLoRAAlpha] != "4" {
		t.Errorf("file holds %d tensors, meta %v", len(sd), meta)
	}
	if _, ok := sd["h.0.attn.c_attn.weight"]; ok {
		t.Error("adapter file holds a base weight")
	}

	fresh := func(rank int, alpha float64) []*LoRA {
		return ApplyLoRA(gpt.New(cfg, rng(1)), LoRAConfig{Rank: rank, Alpha: alpha, Match: match}, rng(3))
	}
	got := fresh(2, 4)
	if err := LoadAdapters(path, got); err != nil {
		t.Fatal(err)
	}
	for i := range ads {
		if maxAbsDiff(got[i].A.Value.Data, ads[i].A.Value.Data) != 0 || maxAbsDiff(got[i].B.Value.Data, ads[i].B.Value.Data) != 0 {
			t.Errorf("adapter %s not restored", ads[i].Name)
		}
	}
	bad := []struct {
		name string
		into []*LoRA
		want string
	}{
		{"rank", fresh(3, 4), "rank"},
		{"alpha", fresh(2, 8), "alpha"},
		{"missing adapters", ApplyLoRA(gpt.New(cfg, rng(1)), LoRAConfig{Rank: 2, Alpha: 4}, rng(3)), "missing"},
		{"fewer adapters", fresh(2, 4)[:1], "unexpected"},
	}
	for _, tc := range bad {
		before := append([]float32(nil), tc.into[0].A.Value.Data...)
		err := LoadAdapters(path, tc.into)
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), path) {
			t.Errorf("%s: error %v, want one naming %q and the file", tc.name, err, tc.want)
		}
		if maxAbsDiff(before, tc.into[0].A.Value.Data) != 0 {
			t.Errorf("%s: failed load changed an adapter", tc.name)
		}
	}
	if err := LoadAdapters(filepath.Join(t.TempDir(), "none"), got); err == nil {
		t.Error("missing file loaded")
	}
}
