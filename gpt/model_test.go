package gpt

import (
	"bytes"
	"math"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"transformers/autograd"
	"transformers/tensor"
)

func tiny(pos string) Config {
	c := DefaultConfig(11)
	c.Context, c.Layers, c.Heads, c.DModel, c.DFF = 16, 2, 2, 8, 16
	c.Positions = pos
	return c
}

func rng(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, 1)) }

func randIDs(r *rand.Rand, n, v int) []int {
	ids := make([]int, n)
	for i := range ids {
		ids[i] = r.IntN(v)
	}
	return ids
}

func maxDiff(a, b []float32) float64 {
	if len(a) != len(b) {
		return math.Inf(1)
	}
	d := 0.0
	for i := range a {
		d = max(d, math.Abs(float64(a[i]-b[i])))
	}
	return d
}

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name  string
		edit  func(*Config)
		field string // "" means valid
	}{
		{"default", func(*Config) {}, ""},
		{"vocab", func(c *Config) { c.VocabSize = 0 }, "vocab_size"},
		{"heads divide", func(c *Config) { c.Heads = 3 }, "divisible"},
		{"positions", func(c *Config) { c.Positions = "abs" }, "positions"},
		{"rope odd head", func(c *Config) { c.Positions, c.DModel, c.Heads = PosRoPE, 6, 2 }, "even head"},
		{"norm", func(c *Config) { c.Norm = "batch" }, "norm"},
		{"ff", func(c *Config) { c.FF = "relu" }, "ff"},
		{"dropout", func(c *Config) { c.Dropout = 1 }, "dropout"},
		{"init", func(c *Config) { c.InitStd = 0 }, "init_std"},
	}
	for _, tt := range tests {
		c := tiny(PosLearned)
		tt.edit(&c)
		err := c.Validate()
		if tt.field == "" && err != nil {
			t.Errorf("%s: unexpected error %v", tt.name, err)
		}
		if tt.field != "" && (err == nil || !strings.Contains(err.Error(), tt.field)) {
			t.Errorf("%s: error %v does not name %q", tt.name, err, tt.field)
		}
	}
}

func TestConfigJSONRoundTrip(t *testing.T) {
	c := tiny(PosRoPE)
	c.PostLN, c.Norm, c.FF, c.Tied, c.Dropout, c.Bias, c.CrossAttention = true, NormRMS, FFSwiGLU, false, 0.1, true, true
	b, err := MarshalConfig(c)
	if err != nil {
		t.Fatal(err)
	}
	got, err := UnmarshalConfig(b)
	if err != nil || got != c {
		t.Fatalf("round trip: %+v, %v; want %+v", got, err, c)
	}
	if _, err := UnmarshalConfig([]byte(`{"vocab_size": 5, "n_layers": 2}`)); err == nil {
		t.Error("unknown key accepted")
	}
}

func TestParameterNamesAndCounts(t *testing.T) {
	c := tiny(PosLearned)
	c.Bias = true
	m := New(c, rng(1))
	var names []string
	for _, p := range m.Parameters() {
		names = append(names, p.Name)
	}
	want := []string{"wte.weight", "wpe.weight",
		"h.0.ln_1.weight", "h.0.ln_1.bias", "h.0.attn.c_attn.weight", "h.0.attn.c_attn.bias",
		"h.0.attn.c_proj.weight", "h.0.attn.c_proj.bias", "h.0.ln_2.weight", "h.0.ln_2.bias",
		"h.0.mlp.c_fc.weight", "h.0.mlp.c_fc.bias", "h.0.mlp.c_proj.weight", "h.0.mlp.c_proj.bias"}
	if !slices.Equal(names[:len(want)], want) || names[len(names)-2] != "ln_f.weight" {
		t.Fatalf("names %v", names)
	}
	if s := m.Blocks[0].Attn.CAttn.Parameters()[0].Value.Shape; !slices.Equal(s, []int{24, 8}) {
		t.Errorf("c_attn weight shape %v, want (out, in) [24 8]", s)
	}
	V, T, C, F, L := 11, 16, 8, 16, 2
	perLayer := 2*C + (3*C*C + 3*C) + (C*C + C) + 2*C + (C*F + F) + (F*C + C)
	pc := m.ParamCount()
	want2 := ParamCounts{Embeddings: V*C + T*C, Attention: L * (3*C*C + 3*C + C*C + C), MLP: L * (2*C*F + F + C), Norms: L*4*C + 2*C}
	want2.Total = V*C + T*C + L*perLayer + 2*C
	if pc != want2 {
		t.Errorf("counts %+v, want %+v", pc, want2)
	}
	c.Tied, c.FF = false, FFSwiGLU
	m2 := New(c, rng(1))
	if pc2 := m2.ParamCount(); pc2.Head != V*C || pc2.MLP != L*(3*C*F+2*F+C) {
		t.Errorf("untied swiglu counts %+v", pc2)
	}
	var buf bytes.Buffer
	if err := pc.WriteTable(&buf); err != nil || !strings.Contains(buf.String(), "attention") {
		t.Errorf("table %q, %v", buf.String(), err)
	}
}

func TestInitStd(t *testing.T) {
	c := tiny(PosLearned)
	c.DModel, c.DFF, c.Layers, c.Heads = 64, 256, 8, 4
	m := New(c, rng(2))
	std := func(x *tensor.Tensor) float64 {
		s := 0.0
		for _, v := range x.Data {
			s += float64(v) * float64(v)
		}
		return math.Sqrt(s / float64(len(x.Data)))
	}
	if s := std(m.Blocks[0].MLP.FC.Parameters()[0].Value); math.Abs(s-0.02) > 0.002 {
		t.Errorf("c_fc std %.4f, want 0.02", s)
	}
	if s, w := std(m.Blocks[0].MLP.Proj.Parameters()[0].Value), 0.02/4; math.Abs(s-w) > 0.0005 {
		t.Errorf("c_proj std %.4f, want %.4f", s, w)
	}
}

func TestUntrainedLossIsLogV(t *testing.T) {
	c := tiny(PosLearned)
	c.VocabSize = 50
	m := New(c, rng(3))
	r := rng(4)
	ids := randIDs(r, 4*16, 50)
	g := autograd.NoGrad()
	out := m.Forward(g, ids, 4, 16, ForwardOptions{})
	if s := out.Logits.Value.Shape; !slices.Equal(s, []int{4, 16, 50}) {
		t.Fatalf("logits shape %v", s)
	}
	loss := g.CrossEntropy(out.Logits, randIDs(r, 64, 50), nil).Value.Data[0]
	if math.Abs(float64(loss)-math.Log(50)) > 0.05 {
		t.Errorf("untrained loss %.4f, want ≈ ln 50 = %.4f", loss, math.Log(50))
	}
}

var allVariants = []struct {
	name string
	edit func(*Config)
}{
	{"learned", func(c *Config) {}},
	{"sinusoidal", func(c *Config) { c.Positions = PosSinusoidal }},
	{"alibi", func(c *Config) { c.Positions = PosALiBi }},
	{"rope", func(c *Config) { c.Positions = PosRoPE }},
	{"postln-rms-swiglu-untied-bias", func(c *Config) {
		c.PostLN, c.Norm, c.FF, c.Tied, c.Bias = true, NormRMS, FFSwiGLU, false, true
	}},
}

// TestCausal: changing a later token never changes earlier logits.
func TestCausal(t *testing.T) {
	for _, v := range allVariants {
		c := tiny(PosLearned)
		v.edit(&c)
		m := New(c, rng(5))
		ids := randIDs(rng(6), 10, c.VocabSize)
		a := m.Logits(autograd.NoGrad(), ids, 1, 10).Value.Data
		ids[7] = (ids[7] + 1) % c.VocabSize
		b := m.Logits(autograd.NoGrad(), ids, 1, 10).Value.Data
		V := c.VocabSize
		if d := maxDiff(a[:7*V], b[:7*V]); d != 0 {
			t.Errorf("%s: earlier logits moved by %g", v.name, d)
		}
		if d := maxDiff(a[7*V:], b[7*V:]); d == 0 {
			t.Errorf("%s: later logits did not move", v.name)
		}
	}
}

// TestModelGradCheck differentiates the whole model's loss with respect to
// a few parameters numerically, for every variant.
func TestModelGradCheck(t *testing.T) {
	for _, v := range allVariants {
		c := tiny(PosLearned)
		c.VocabSize, c.DModel, c.DFF, c.Context = 7, 4, 8, 6
		v.edit(&c)
		m := New(c, rng(7))
		// Larger weights so the check is not dominated by tiny gradients.
		for _, p := range m.Parameters() {
			if p.Value.Dims() == 2 {
				for i := range p.Value.Data {
					p.Value.Data[i] *= 10
				}
			}
		}
		r := rng(8)
		ids, tgt := randIDs(r, 2*5, 7), randIDs(r, 2*5, 7)
		ps := m.Parameters()
		check := []*autograd.Var{ps[0], m.Blocks[0].Attn.CAttn.Parameters()[0], m.Blocks[1].MLP.Proj.Parameters()[0]}
		res := autograd.GradCheck(func(g *autograd.Graph, _ []*autograd.Var) *autograd.Var {
			return g.CrossEntropy(m.Forward(g, ids, 2, 5, ForwardOptions{}).Logits, tgt, nil)
		}, check, 9, 1e-3) // wte rows have norm ≈ 0.2: a larger step leaves LayerNorm's linear range
		if res.MaxErr > 5e-3 {
			t.Errorf("%s: %v", v.name, res)
		}
	}
}

func TestRoPEGradAndRelative(t *testing.T) {
	r := rng(10)
	x := autograd.Param("x", tensor.Randn(r, 1, 2, 3, 5, 4))
	res := autograd.GradCheck(func(g *autograd.Graph, in []*autograd.Var) *autograd.Var {
		return RoPE(g, in[0], 3, 100)
	}, []*autograd.Var{x}, 11, 1e-2)
	if res.MaxErr > 1e-3 {
		t.Errorf("RoPE gradient: %v", res)
	}
	// q·k after rotation depends only on the offset between positions.
	q := autograd.Const(tensor.Randn(r, 1, 1, 1, 1, 8))
	k := autograd.Const(tensor.Randn(r, 1, 1, 1, 1, 8))
	dot := func(pq, pk int) float64 {
		g := autograd.NoGrad()
		a, b := RoPE(g, q, pq, 10000).Value.Data, RoPE(g, k, pk, 10000).Value.Data
		s := 0.0
		for i := range a {
			s += float64(a[i] * b[i])
		}
		return s
	}
	if d := math.Abs(dot(5, 2) - dot(13, 10)); d > 1e-5 {
		t.Errorf("RoPE scores depend on absolute position: diff %g", d)
	}
	if d := math.Abs(dot(5, 2) - dot(5, 3)); d < 1e-4 {
		t.Errorf("RoPE scores do not depend on the offset")
	}
}

func TestSplitHeadsGrad(t *testing.T) {
	x := autograd.Param("x", tensor.Randn(rng(12), 1, 2, 3, 12))
	for p := range 3 {
		res := autograd.GradCheck(func(g *autograd.Graph, in []*autograd.Var) *autograd.Var {
			return MergeHeads(g, SplitHeads(g, in[0], p, 3, 2))
		}, []*autograd.Var{x}, 13, 1e-2)
		if res.MaxErr > 1e-3 {
			t.Errorf("part %d: %v", p, res)
		}
	}
	g := autograd.NoGrad()
	y := MergeHeads(g, SplitHeads(g, x, 1, 3, 2)).Value
	want := tensor.Slice(x.Value, 2, 4, 8)
	if maxDiff(y.Data, want.Data) != 0 {
		t.Error("MergeHeads(SplitHeads(x, 1)) is not x's middle slice")
	}
}

func TestALiBi(t *testing.T) {
	s := ALiBiSlopes(4)
	if !slices.Equal(s, []float64{0.25, 0.0625, 0.015625, 0.00390625}) {
		t.Errorf("slopes %v", s)
	}
	b := ALiBiBias(4, 2, 5) // queries at positions 3 and 4
	if v := b.At(0, 1, 1); v != -0.75 {
		t.Errorf("bias[0,1,1] = %g, want −0.25·3", v)
	}
	if v := b.At(1, 0, 3); v != 0 {
		t.Errorf("bias on the diagonal = %g", v)
	}
}

func TestSinusoidal(t *testing.T) {
	pe := Sinusoidal(3, 2, 4)
	want := []float32{float32(math.Sin(3)), float32(math.Cos(3)), float32(math.Sin(0.03)), float32(math.Cos(0.03))}
	if maxDiff(pe.Data[:4], want) > 1e-7 {
		t.Errorf("PE[3] = %v, want %v", pe.Data[:4], want)
	}
}

// TestKVCacheMatchesFullForward: logits with the cache, fed one token or a
// chunk at a time, equal the uncached model's at every position.
func TestKVCacheMatchesFullForward(t *testing.T) {
	for _, v := range allVariants {
		c := tiny(PosLearned)
		v.edit(&c)
		m := New(c, rng(14))
		const B, T = 2, 12
		ids := randIDs(rng(15), B*T, c.VocabSize)
		full := m.Logits(autograd.NoGrad(), ids, B, T).Value
		V := c.VocabSize
		for _, chunks := range [][]int{{1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1}, {5, 1, 4, 2}} {
			cache := m.NewKVCache(B)
			pos := 0
			for _, n := range chunks {
				chunk := make([]int, 0, B*n)
				for b := range B {
					chunk = append(chunk, ids[b*T+pos:b*T+pos+n]...)
				}
				got := m.Forward(autograd.NoGrad(), chunk, B, n, ForwardOptions{Cache: cache}).Logits.Value
				for b := range B {
					w := full.Data[(b*T+pos)*V : (b*T+pos+n)*V]
					if d := maxDiff(got.Data[b*n*V:(b+1)*n*V], w); d > 1e-5 {
						t.Errorf("%s chunks %v: positions %d..%d differ by %g", v.name, chunks, pos, pos+n-1, d)
					}
				}
				pos += n
			}
			if cache.Len != T {
				t.Errorf("cache length %d, want %d", cache.Len, T)
			}
		}
	}
}

func TestCaptureAndLogitLens(t *testing.T) {
	m := New(tiny(PosALiBi), rng(16))
	ids := randIDs(rng(17), 2*6, 11)
	g := autograd.NoGrad()
	out := m.Forward(g, ids, 2, 6, ForwardOptions{CaptureResiduals: true, CaptureAttention: true})
	if len(out.Residuals) != 3 || len(out.Attention) != 2 {
		t.Fatalf("%d residuals, %d attention maps", len(out.Residuals), len(out.Attention))
	}
	w := out.Attention[1]
	if !slices.Equal(w.Shape, []int{2, 2, 6, 6}) {
		t.Fatalf("attention shape %v", w.Shape)
	}
	for row := range 2 * 2 * 6 {
		s := 0.0
		for j := range 6 {
			s += float64(w.Data[row*6+j])
		}
		if math.Abs(s-1) > 1e-5 || (row%6 == 0 && w.Data[row*6+1] != 0) {
			t.Fatalf("attention row %d sums to %g or is not causal", row, s)
		}
	}
	if d := maxDiff(m.LogitLens(g, out.Residuals[2]).Value.Data, out.Logits.Value.Data); d > 1e-6 {
		t.Errorf("logit lens of the last residual differs from the logits by %g", d)
	}
}

func TestTokenLogProbsGrad(t *testing.T) {
	z := autograd.Param("z", tensor.Randn(rng(18), 1, 2, 3, 5))
	res := autograd.GradCheck(func(g *autograd.Graph, in []*autograd.Var) *autograd.Var {
		return TokenLogProbs(g, in[0], []int{0, 5, -1, 3, 5}, []int{1, 4, 0, 0, 2})
	}, []*autograd.Var{z}, 19, 1e-2)
	if res.MaxErr > 1e-3 {
		t.Error(res)
	}
}

// TestLogProbs compares batched, padded log-probs with a direct per-sequence
// computation through LogSoftmax.
func TestLogProbs(t *testing.T) {
	m := New(tiny(PosRoPE), rng(20))
	prompts := [][]int{{1, 2, 3}, {4}, {5, 6}}
	comps := [][]int{{7, 8}, {9, 10, 1, 2}, {}}
	lp, bt := m.LogProbs(autograd.NoGrad(), prompts, comps)
	if !slices.Equal(lp.Value.Shape, []int{3, 4}) {
		t.Fatalf("shape %v", lp.Value.Shape)
	}
	for i := range prompts {
		seq := append(slices.Clone(prompts[i]), comps[i]...)
		g := autograd.NoGrad()
		ls := g.LogSoftmax(m.Logits(g, seq, 1, len(seq)), 2).Value
		for j := range 4 {
			got := lp.Value.Data[i*4+j]
			var want float32
			if j < len(comps[i]) {
				want = ls.Data[(len(prompts[i])+j-1)*11+comps[i][j]]
			}
			if math.Abs(float64(got-want)) > 1e-5 || (bt.Mask[i*4+j] == 1) != (j < len(comps[i])) {
				t.Errorf("row %d token %d: %g, want %g (mask %g)", i, j, got, want, bt.Mask[i*4+j])
			}
		}
	}
	g := autograd.NoGrad()
	seqLP := bt.SequenceLogProbs(g, lp, false).Value.Data
	if math.Abs(float64(seqLP[0]-(lp.Value.Data[0]+lp.Value.Data[1]))) > 1e-6 || seqLP[2] != 0 {
		t.Errorf("sequence log-probs %v", seqLP)
	}
	mean := bt.SequenceLogProbs(g, lp, true).Value.Data
	if math.Abs(float64(mean[1]-seqLP[1]/4)) > 1e-6 {
		t.Errorf("mean log-prob %g, want %g", mean[1], seqLP[1]/4)
	}
}

func TestCloneAndReference(t *testing.T) {
	m := New(tiny(PosLearned), rng(21))
	ref := m.Reference()
	ids := randIDs(rng(22), 6, 11)
	a := m.Logits(autograd.NoGrad(), ids, 1, 6).Value.Data
	if maxDiff(a, ref.Logits(autograd.NoGrad(), ids, 1, 6).Value.Data) != 0 {
		t.Fatal("clone computes different logits")
	}
	m.WTE.Value.Data[0] += 1 // the copy is independent
	if ref.WTE.Value.Data[0] == m.WTE.Value.Data[0] {
		t.Error("clone shares storage")
	}
	g := autograd.New()
	ref.Logits(g, ids, 1, 6)
	if g.Len() != 0 {
		t.Errorf("a frozen reference recorded %d nodes", g.Len())
	}
	for _, p := range ref.Parameters() {
		if p.RequiresGrad() {
			t.Fatalf("reference parameter %s is trainable", p.Name)
		}
	}
}

type countingLinear struct {
	Linear
	calls *int
}

func (c countingLinear) Forward(g *autograd.Graph, x *autograd.Var) *autograd.Var {
	*c.calls++
	return c.Linear.Forward(g, x)
}

func TestWrapLinears(t *testing.T) {
	c := tiny(PosLearned)
	c.Tied = false
	m := New(c, rng(23))
	ids := randIDs(rng(24), 5, 11)
	before := m.Logits(autograd.NoGrad(), ids, 1, 5).Value.Data
	calls := 0
	n := m.WrapLinears(func(name string) bool { return strings.Contains(name, ".attn.") },
		func(_ string, l Linear) Linear { return countingLinear{l, &calls} })
	if n != 4 {
		t.Errorf("wrapped %d linears, want 4", n)
	}
	after := m.Logits(autograd.NoGrad(), ids, 1, 5).Value.Data
	if calls != 4 || maxDiff(before, after) != 0 {
		t.Errorf("%d wrapped calls, logits moved by %g", calls, maxDiff(before, after))
	}
	if len(m.Linears()) != 2*4+1 {
		t.Errorf("%d linears, want 9", len(m.Linears()))
	}
}

func TestScalarHead(t *testing.T) {
	m := New(tiny(PosLearned), rng(25))
	head := NewScalarHead("v_head", 8, 0.02, rng(26))
	g := autograd.New()
	out := m.Forward(g, randIDs(rng(27), 2*4, 11), 2, 4, ForwardOptions{SkipLogits: true})
	v := head.Forward(g, out.Hidden)
	last := AtPositions(g, v, []int{3, 1})
	if !slices.Equal(last.Value.Shape, []int{2}) || last.Value.Data[1] != v.Value.Data[1*4+1] {
		t.Fatalf("AtPositions %v from %v", last.Value.Data, v.Value.Data)
	}
	g.Backward(g.SumAll(last))
	if head.Parameters()[1].Grad.Data[0] != 2 {
		t.Errorf("bias gradient %v, want 2", head.Parameters()[1].Grad.Data)
	}
}

func TestCrossAttention(t *testing.T) {
	c := tiny(PosLearned)
	c.CrossAttention = true
	m := New(c, rng(28))
	ids := randIDs(rng(29), 4, 11)
	mem := autograd.Param("mem", tensor.Randn(rng(30), 1, 1, 3, 8))
	g := autograd.New()
	lg := m.Forward(g, ids, 1, 4, ForwardOptions{Memory: mem}).Logits
	g.Backward(g.SumAll(g.Mul(lg, lg)))
	if mem.Grad == nil || tensor.SumAll(tensor.Abs(mem.Grad)) == 0 {
		t.Fatal("no gradient reached the memory")
	}
	mem2 := autograd.Const(tensor.Randn(rng(31), 1, 1, 3, 8))
	lg2 := m.Forward(autograd.NoGrad(), ids, 1, 4, ForwardOptions{Memory: mem2}).Logits
	if maxDiff(lg.Value.Data, lg2.Value.Data) == 0 {
		t.Error("the memory does not change the output")
	}
}

func TestSaveLoad(t *testing.T) {
	c := tiny(PosRoPE)
	c.Tied = false
	m := New(c, rng(32))
	path := filepath.Join(t.TempDir(), "m.safetensors")
	if err := m.Save(path, map[string]string{"step": "7"}); err != nil {
		t.Fatal(err)
	}
	m2, meta, err := Load(path)
	if err != nil || meta["step"] != "7" || m2.Config != c {
		t.Fatalf("load: %v, meta %v, config %+v", err, meta, m2.Config)
	}
	ids := randIDs(rng(33), 7, 11)
	if d := maxDiff(m.Logits(autograd.NoGrad(), ids, 1, 7).Value.Data, m2.Logits(autograd.NoGrad(), ids, 1, 7).Value.Data); d != 0 {
		t.Errorf("reloaded logits differ by %g", d)
	}
	if _, _, err := Load(filepath.Join(t.TempDir(), "missing")); err == nil || !strings.Contains(err.Error(), "missing") {
		t.Errorf("missing file: %v", err)
	}
}
