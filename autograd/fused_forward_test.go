package autograd

import (
	"fmt"
	"math"
	"runtime"
	"slices"
	"strings"
	"testing"

	"transformers/tensor"
)

// fusedClose reports the first element where got and want differ by more
// than tol·max(1, |want|), or "" if none does.
func fusedClose(got []float32, want []float64, tol float64) string {
	if len(got) != len(want) {
		return fmt.Sprintf("length %d, want %d", len(got), len(want))
	}
	for i, w := range want {
		g := float64(got[i])
		if math.IsNaN(g) || math.Abs(g-w) > tol*math.Max(1, math.Abs(w)) {
			return fmt.Sprintf("element %d = %v, want %v", i, g, w)
		}
	}
	return ""
}

// fusedNaiveAttention is scaled dot-product attention written as the
// definition, in float64: scores, mask, softmax, weighted sum.
func fusedNaiveAttention(q, k, v *tensor.Tensor, opt AttentionOptions) (out, probs []float64) {
	nb, nh, tq, d := q.Shape[0], q.Shape[1], q.Shape[2], q.Shape[3]
	tk, dv := k.Shape[2], v.Shape[3]
	scale := float64(opt.Scale)
	if scale == 0 {
		scale = 1 / math.Sqrt(float64(d))
	}
	out = make([]float64, nb*nh*tq*dv)
	probs = make([]float64, nb*nh*tq*tk)
	for b := range nb {
		for h := range nh {
			for i := range tq {
				s := make([]float64, tk)
				allowed := make([]bool, tk)
				any := false
				for j := range tk {
					allowed[j] = (!opt.Causal || j <= tk-tq+i) && (opt.KeyPadding == nil || !opt.KeyPadding[b*tk+j])
					if !allowed[j] {
						continue
					}
					any = true
					for c := range d {
						s[j] += float64(q.Data[((b*nh+h)*tq+i)*d+c]) * float64(k.Data[((b*nh+h)*tk+j)*d+c])
					}
					s[j] *= scale
					if opt.Bias != nil {
						bs := opt.Bias.Value.Shape
						bb, bh := 0, 0
						if len(bs) == 4 && bs[0] > 1 {
							bb = b
						}
						if len(bs) >= 3 && bs[len(bs)-3] > 1 {
							bh = h
						}
						nbh := 1
						if len(bs) >= 3 {
							nbh = bs[len(bs)-3]
						}
						s[j] += float64(opt.Bias.Value.Data[((bb*nbh+bh)*tq+i)*tk+j])
					}
				}
				if !any {
					continue
				}
				z := 0.0
				for j := range tk {
					if allowed[j] {
						z += math.Exp(s[j])
					}
				}
				for j := range tk {
					if !allowed[j] {
						continue
					}
					p := math.Exp(s[j]) / z
					probs[((b*nh+h)*tq+i)*tk+j] = p
					for c := range dv {
						out[((b*nh+h)*tq+i)*dv+c] += p * float64(v.Data[((b*nh+h)*tk+j)*dv+c])
					}
				}
			}
		}
	}
	return out, probs
}

func TestFusedAttentionForwardMatchesNaive(t *testing.T) {
	rng := fusedRng(1)
	tests := []struct {
		name              string
		nb, nh, tq, tk, d int
		dv                int
		opt               AttentionOptions
		bias              []int
	}{
		{"plain", 2, 3, 4, 4, 5, 5, AttentionOptions{}, nil},
		{"causal", 2, 3, 4, 4, 5, 5, AttentionOptions{Causal: true}, nil},
		{"causal+ALiBi-like bias", 1, 2, 5, 5, 4, 4, AttentionOptions{Causal: true}, []int{2, 5, 5}},
		{"bias[B,H,Tq,Tk]", 2, 2, 3, 4, 4, 2, AttentionOptions{}, []int{2, 2, 3, 4}},
		{"bias[B,1,Tq,Tk]", 2, 2, 3, 4, 4, 2, AttentionOptions{}, []int{2, 1, 3, 4}},
		{"bias[Tq,Tk]", 2, 2, 3, 4, 4, 2, AttentionOptions{}, []int{3, 4}},
		{"padding", 2, 1, 3, 3, 2, 2, AttentionOptions{KeyPadding: []bool{false, true, false, true, false, false}}, nil},
		{"causal+Tq<Tk (KV cache)", 1, 2, 2, 6, 3, 3, AttentionOptions{Causal: true}, nil},
		{"causal+Tq<Tk+padding+bias", 2, 2, 2, 6, 3, 3, AttentionOptions{Causal: true,
			KeyPadding: []bool{true, false, false, false, false, true, false, false, true, false, true, false}}, []int{1, 2, 2, 6}},
		{"scale", 1, 1, 3, 3, 2, 2, AttentionOptions{Scale: 2.5}, nil},
		{"parallel path", 2, 4, 32, 32, 16, 16, AttentionOptions{Causal: true}, []int{4, 32, 32}},
		// Several causal row blocks (attnRowBlock rows each), square and
		// with a KV-cache offset.
		{"causal row blocks", 1, 2, 3*attnRowBlock + 5, 3*attnRowBlock + 5, 4, 3, AttentionOptions{Causal: true}, nil},
		{"causal row blocks+Tq<Tk", 1, 2, 2*attnRowBlock + 3, 3*attnRowBlock + 1, 4, 3, AttentionOptions{Causal: true}, []int{2, 2*attnRowBlock + 3, 3*attnRowBlock + 1}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			q := fusedRandn(rng, tc.nb, tc.nh, tc.tq, tc.d)
			k := fusedRandn(rng, tc.nb, tc.nh, tc.tk, tc.d)
			v := fusedRandn(rng, tc.nb, tc.nh, tc.tk, tc.dv)
			opt := tc.opt
			if tc.bias != nil {
				opt.Bias = Const(fusedRandn(rng, tc.bias...))
			}
			out, p := NoGrad().AttentionWithWeights(Const(q), Const(k), Const(v), opt)
			wantOut, wantP := fusedNaiveAttention(q, k, v, opt)
			if !slices.Equal(out.Value.Shape, []int{tc.nb, tc.nh, tc.tq, tc.dv}) {
				t.Fatalf("output shape %v", out.Value.Shape)
			}
			if msg := fusedClose(out.Value.Data, wantOut, 1e-5); msg != "" {
				t.Errorf("output: %s", msg)
			}
			if msg := fusedClose(p.Data, wantP, 1e-6); msg != "" {
				t.Errorf("weights: %s", msg)
			}
		})
	}
}

func TestFusedAttentionFullyMaskedRowsAreZero(t *testing.T) {
	rng := fusedRng(2)
	inf := float32(math.Inf(-1))
	tests := []struct {
		name     string
		opt      AttentionOptions
		deadRows [][2]int // (batch, query row) whose keys are all masked
	}{
		{"batch 1 fully padded", AttentionOptions{KeyPadding: []bool{false, false, false, true, true, true}}, [][2]int{{1, 0}, {1, 1}, {1, 2}}},
		{"causal row 0 with key 0 padded", AttentionOptions{Causal: true, KeyPadding: []bool{true, false, false, false, false, false}}, [][2]int{{0, 0}}},
		{"bias of −∞ on row 1", AttentionOptions{Bias: Const(tensor.New([]float32{0, 0, 0, inf, inf, inf, 0, 0, 0}, 3, 3))}, [][2]int{{0, 1}, {1, 1}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			q, k, v := fusedParam(rng, "q", 2, 1, 3, 2), fusedParam(rng, "k", 2, 1, 3, 2), fusedParam(rng, "v", 2, 1, 3, 2)
			g := New()
			out, p := g.AttentionWithWeights(q, k, v, tc.opt)
			g.BackwardWith(out, tensor.Ones(out.Value.Shape...))
			for _, x := range [][]float32{out.Value.Data, p.Data, q.Grad.Data, k.Grad.Data, v.Grad.Data} {
				for i, f := range x {
					if math.IsNaN(float64(f)) || math.IsInf(float64(f), 0) {
						t.Fatalf("non-finite value %v at %d", f, i)
					}
				}
			}
			for _, r := range tc.deadRows {
				b, i := r[0], r[1]
				for c := range 2 {
					if o, dq := out.Value.Data[(b*3+i)*2+c], q.Grad.Data[(b*3+i)*2+c]; o != 0 || dq != 0 {
						t.Errorf("dead row (%d,%d): output %v, dq %v, want 0", b, i, o, dq)
					}
				}
				for j := range 3 {
					if w := p.Data[(b*3+i)*3+j]; w != 0 {
						t.Errorf("dead row (%d,%d): weight %v", b, i, w)
					}
				}
			}
		})
	}
}

func TestFusedAttentionDeterministicAcrossGOMAXPROCS(t *testing.T) {
	// Large enough for the parallel path; "self" shares one Var (and one
	// gradient buffer) between q, k and v.
	run := func(self bool) [][]float32 {
		rng := fusedRng(3)
		q, k, v := fusedParam(rng, "q", 2, 4, 32, 16), fusedParam(rng, "k", 2, 4, 32, 16), fusedParam(rng, "v", 2, 4, 32, 16)
		if self {
			k, v = q, q
		}
		bias := fusedParam(rng, "bias", 4, 32, 32)
		g := New()
		out := g.Attention(q, k, v, AttentionOptions{Causal: true, Bias: bias})
		g.BackwardWith(out, fusedRandn(rng, out.Value.Shape...))
		return [][]float32{out.Value.Data, q.Grad.Data, k.Grad.Data, v.Grad.Data, bias.Grad.Data}
	}
	old := runtime.GOMAXPROCS(1)
	defer runtime.GOMAXPROCS(old)
	for _, self := range []bool{false, true} {
		runtime.GOMAXPROCS(1)
		one := run(self)
		for _, procs := range []int{2, 3, 8} {
			runtime.GOMAXPROCS(procs)
			got := run(self)
			for i := range one {
				if !slices.Equal(one[i], got[i]) {
					t.Errorf("self %v, GOMAXPROCS %d: tensor %d differs from GOMAXPROCS 1", self, procs, i)
				}
			}
		}
	}
}

func TestFusedCrossEntropyForward(t *testing.T) {
	rng := fusedRng(4)
	// Uniform logits: every class has probability 1/V, so the loss is ln V.
	for _, nv := range []int{1, 2, 5, 50257} {
		t.Run(fmt.Sprintf("uniform V=%d", nv), func(t *testing.T) {
			logits := Const(tensor.Full(3.25, 2, nv))
			loss := NoGrad().CrossEntropy(logits, []int{0, nv - 1}, nil)
			if got, want := float64(loss.Value.Data[0]), math.Log(float64(nv)); math.Abs(got-want) > 1e-6*max(1, want) {
				t.Errorf("loss %v, want ln %d = %v", got, nv, want)
			}
			if loss.Value.Dims() != 0 {
				t.Errorf("loss shape %v, want []", loss.Value.Shape)
			}
		})
	}
	tests := []struct {
		name    string
		shift   float32
		targets []int
		mask    []float32
	}{
		{"plain", 0, []int{1, 0, 4, 2}, nil},
		{"mask", 0, []int{1, 0, 4, 2}, []float32{1, 0, 0, 1}},
		{"weights+ignore", 0, []int{1, IgnoreIndex, 4, 2}, []float32{2, 1, 0.5, 0}},
		{"huge logits stay finite", 1e4, []int{1, 0, 4, 2}, nil},
		{"very negative logits", -1e4, []int{1, 0, 4, 2}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			z := fusedRandn(rng, 4, 5)
			for i := range z.Data {
				z.Data[i] = z.Data[i]*3 + tc.shift
			}
			loss := NoGrad().CrossEntropy(Const(z), tc.targets, tc.mask)
			// −log softmax from the definition, shifted by the row maximum in float64.
			sum, count := 0.0, 0.0
			for i, tg := range tc.targets {
				w := 1.0
				if tc.mask != nil {
					w = float64(tc.mask[i])
				}
				if tg == IgnoreIndex || w == 0 {
					continue
				}
				row := z.Data[i*5 : (i+1)*5]
				m := float64(slices.Max(row))
				s := 0.0
				for _, v := range row {
					s += math.Exp(float64(v) - m)
				}
				sum += w * -(float64(row[tg]) - m - math.Log(s))
				count += w
			}
			if msg := fusedClose(loss.Value.Data, []float64{sum / count}, 1e-6); msg != "" {
				t.Error(msg)
			}
		})
	}
}

func TestFusedCrossEntropyNothingCounts(t *testing.T) {
	tests := []struct {
		name    string
		shape   []int
		targets []int
		mask    []float32
	}{
		{"all masked", []int{3, 4}, []int{0, 1, 2}, []float32{0, 0, 0}},
		{"all ignored", []int{3, 4}, []int{IgnoreIndex, IgnoreIndex, IgnoreIndex}, nil},
		{"mixed", []int{2, 4}, []int{IgnoreIndex, 3}, []float32{1, 0}},
		{"no rows", []int{0, 4}, []int{}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			logits := Param("logits", fusedRandn(fusedRng(5), tc.shape...))
			g := New()
			loss := g.CrossEntropy(logits, tc.targets, tc.mask)
			g.Backward(loss)
			if loss.Value.Data[0] != 0 {
				t.Errorf("loss %v, want 0", loss.Value.Data[0])
			}
			if logits.Grad == nil {
				t.Fatal("no gradient")
			}
			for i, d := range logits.Grad.Data {
				if d != 0 {
					t.Errorf("grad[%d] = %v, want 0", i, d)
				}
			}
		})
	}
}

// A zero mask weight and IgnoreIndex drop the same token; CrossEntropyNorm
// over two micro-batches with the total token count equals CrossEntropy over
// the whole batch, loss and gradient.
func TestFusedCrossEntropyConsistency(t *testing.T) {
	rng := fusedRng(6)
	z := fusedRandn(rng, 6, 5)
	targets := []int{1, 0, 4, 2, 3, 3}
	mask := []float32{1, 1, 0, 1, 0, 1}

	ignored := slices.Clone(targets)
	for i, m := range mask {
		if m == 0 {
			ignored[i] = IgnoreIndex
		}
	}
	a := NoGrad().CrossEntropy(Const(z), targets, mask).Value.Data[0]
	b := NoGrad().CrossEntropy(Const(z), ignored, nil).Value.Data[0]
	if a != b {
		t.Errorf("mask gives %v, IgnoreIndex gives %v", a, b)
	}

	whole := Param("z", z.Clone())
	g := New()
	lw := g.CrossEntropy(whole, targets, mask)
	g.Backward(lw)

	// Micro-batches of 2 and 4 rows with 2 and 2 counted tokens: their own
	// means would weight the halves wrongly; the global count is 4.
	parts := Param("z", z.Clone())
	total := 0.0
	for _, r := range [][2]int{{0, 2}, {2, 6}} {
		micro := Param("micro", tensor.New(slices.Clone(z.Data[r[0]*5:r[1]*5]), r[1]-r[0], 5))
		g := New()
		l := g.CrossEntropyNorm(micro, targets[r[0]:r[1]], mask[r[0]:r[1]], 4)
		g.Backward(l)
		total += float64(l.Value.Data[0])
		for i, d := range micro.Grad.Data {
			parts.Value.Data[r[0]*5+i] = d // reuse as the gradient store
		}
	}
	if math.Abs(total-float64(lw.Value.Data[0])) > 1e-6 {
		t.Errorf("accumulated loss %v, whole-batch loss %v", total, lw.Value.Data[0])
	}
	want := make([]float64, len(whole.Grad.Data))
	for i, d := range whole.Grad.Data {
		want[i] = float64(d)
	}
	if msg := fusedClose(parts.Value.Data, want, 1e-6); msg != "" {
		t.Errorf("accumulated gradient: %s", msg)
	}
}

func TestFusedNormForward(t *testing.T) {
	rng := fusedRng(7)
	tests := []struct {
		name         string
		rms          bool
		gamma, beta  bool
		shape        []int
		offset, gain float32
	}{
		{"LayerNorm affine", false, true, true, []int{3, 7}, 5, 3},
		{"LayerNorm plain", false, false, false, []int{2, 3, 16}, -2, 0.1},
		{"LayerNorm beta only", false, false, true, []int{4, 5}, 0, 1},
		{"RMSNorm gamma", true, true, false, []int{3, 7}, 1, 2},
		{"RMSNorm plain", true, false, false, []int{2, 3, 16}, 0, 10},
	}
	const eps = 1e-5
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			x := fusedRandn(rng, tc.shape...)
			for i := range x.Data {
				x.Data[i] = x.Data[i]*tc.gain + tc.offset
			}
			c := tc.shape[len(tc.shape)-1]
			var gamma, beta *Var
			if tc.gamma {
				gamma = Const(fusedRandn(rng, c))
			}
			if tc.beta {
				beta = Const(fusedRandn(rng, c))
			}
			var y *Var
			if tc.rms {
				y = NoGrad().RMSNorm(Const(x), gamma, eps)
			} else {
				y = NoGrad().LayerNorm(Const(x), gamma, beta, eps)
			}
			want := make([]float64, len(x.Data))
			for r := range len(x.Data) / c {
				row := x.Data[r*c : (r+1)*c]
				mean, ms := 0.0, 0.0
				for _, v := range row {
					mean += float64(v) / float64(c)
				}
				if tc.rms {
					mean = 0
				}
				for _, v := range row {
					ms += (float64(v) - mean) * (float64(v) - mean) / float64(c)
				}
				for j, v := range row {
					h := (float64(v) - mean) / math.Sqrt(ms+eps)
					if gamma != nil {
						h *= float64(gamma.Value.Data[j])
					}
					if beta != nil {
						h += float64(beta.Value.Data[j])
					}
					want[r*c+j] = h
				}
			}
			if msg := fusedClose(y.Value.Data, want, 2e-6); msg != "" {
				t.Error(msg)
			}
			if gamma != nil || beta != nil {
				return
			}
			// Without affine: LayerNorm rows have mean 0 and variance
			// σ²/(σ²+eps) ≈ 1, RMSNorm rows have mean square ms/(ms+eps) ≈ 1.
			for r := range len(x.Data) / c {
				xm, xs := 0.0, 0.0
				for _, v := range x.Data[r*c : (r+1)*c] {
					xm += float64(v) / float64(c)
				}
				if tc.rms {
					xm = 0
				}
				for _, v := range x.Data[r*c : (r+1)*c] {
					xs += (float64(v) - xm) * (float64(v) - xm) / float64(c)
				}
				mean, sq := 0.0, 0.0
				for _, v := range y.Value.Data[r*c : (r+1)*c] {
					mean += float64(v) / float64(c)
					sq += float64(v) * float64(v) / float64(c)
				}
				if !tc.rms && math.Abs(mean) > 1e-6 {
					t.Errorf("row %d mean %v, want 0", r, mean)
				}
				if want := xs / (xs + eps); math.Abs(sq-want) > 1e-6 || math.Abs(sq-1) > 1e-2 {
					t.Errorf("row %d mean square %v, want %v", r, sq, want)
				}
			}
		})
	}
}

func TestFusedEmbeddingForward(t *testing.T) {
	w := tensor.New([]float32{0, 1, 10, 11, 20, 21, 30, 31}, 4, 2)
	tests := []struct {
		ids   []int
		shape []int
		want  []int
		data  []float32
	}{
		{[]int{2, 0, 2}, nil, []int{3, 2}, []float32{20, 21, 0, 1, 20, 21}},
		{[]int{3, 1, 0, 0}, []int{2, 2}, []int{2, 2, 2}, []float32{30, 31, 10, 11, 0, 1, 0, 1}},
		{[]int{}, nil, []int{0, 2}, []float32{}},
	}
	for _, tc := range tests {
		y := NoGrad().Embedding(Const(w), tc.ids, tc.shape...)
		if !slices.Equal(y.Value.Shape, tc.want) || !slices.Equal(y.Value.Data, tc.data) {
			t.Errorf("Embedding(%v, %v) = %v, want %v %v", tc.ids, tc.shape, y.Value, tc.want, tc.data)
		}
	}
	// The backward only touches looked-up rows, and repeated ids add up.
	p := Param("w", w.Clone())
	g := New()
	y := g.Embedding(p, []int{2, 0, 2})
	g.BackwardWith(y, tensor.New([]float32{1, 2, 3, 4, 5, 6}, 3, 2))
	if want := []float32{3, 4, 0, 0, 6, 8, 0, 0}; !slices.Equal(p.Grad.Data, want) {
		t.Errorf("grad %v, want %v", p.Grad.Data, want)
	}
}

// Frozen inputs receive nothing; a NoGrad graph records nothing; all-constant
// inputs record nothing either.
func TestFusedRecording(t *testing.T) {
	rng := fusedRng(8)
	x, gamma := Const(fusedRandn(rng, 2, 4)), fusedParam(rng, "gamma", 4)
	g := New()
	y := g.LayerNorm(x, gamma, nil, 1e-5)
	g.BackwardWith(y, tensor.Ones(2, 4))
	if x.Grad != nil || gamma.Grad == nil {
		t.Errorf("x.Grad %v (want nil), gamma.Grad %v (want set)", x.Grad, gamma.Grad)
	}
	ng := NoGrad()
	w := fusedParam(rng, "w", 5, 4)
	ng.CrossEntropy(ng.RMSNorm(ng.Embedding(w, []int{1, 2}), nil, 1e-6), []int{0, 1}, nil)
	if ng.Len() != 0 {
		t.Errorf("NoGrad graph recorded %d nodes", ng.Len())
	}
	cg := New()
	c := Const(fusedRandn(rng, 1, 1, 2, 3))
	if out := cg.Attention(c, c, c, AttentionOptions{}); out.RequiresGrad() || cg.Len() != 0 {
		t.Errorf("attention on constants recorded %d nodes", cg.Len())
	}
}

func TestFusedShapeErrorsPanic(t *testing.T) {
	rng := fusedRng(9)
	v := func(shape ...int) *Var { return Const(fusedRandn(rng, shape...)) }
	tests := []struct {
		name string
		op   string
		f    func(g *Graph)
	}{
		{"CE targets length", "CrossEntropy", func(g *Graph) { g.CrossEntropy(v(3, 4), []int{0, 1}, nil) }},
		{"CE mask length", "CrossEntropy", func(g *Graph) { g.CrossEntropy(v(3, 4), []int{0, 1, 2}, []float32{1}) }},
		{"CE target range", "CrossEntropy", func(g *Graph) { g.CrossEntropy(v(2, 4), []int{0, 4}, nil) }},
		{"CE negative target", "CrossEntropy", func(g *Graph) { g.CrossEntropy(v(2, 4), []int{0, -2}, nil) }},
		{"CE negative mask", "CrossEntropy", func(g *Graph) { g.CrossEntropy(v(2, 4), []int{0, 1}, []float32{1, -1}) }},
		{"CE scalar logits", "CrossEntropy", func(g *Graph) { g.CrossEntropy(v(), []int{0}, nil) }},
		{"CENorm zero denom", "CrossEntropyNorm", func(g *Graph) { g.CrossEntropyNorm(v(2, 4), []int{0, 1}, nil, 0) }},
		{"LayerNorm gamma", "LayerNorm", func(g *Graph) { g.LayerNorm(v(2, 4), v(3), nil, 1e-5) }},
		{"LayerNorm beta", "LayerNorm", func(g *Graph) { g.LayerNorm(v(2, 4), nil, v(1, 4), 1e-5) }},
		{"RMSNorm gamma", "RMSNorm", func(g *Graph) { g.RMSNorm(v(2, 4), v(5), 1e-5) }},
		{"Embedding weight rank", "Embedding", func(g *Graph) { g.Embedding(v(4), []int{0}) }},
		{"Embedding id range", "Embedding", func(g *Graph) { g.Embedding(v(4, 2), []int{0, 4}) }},
		{"Embedding shape", "Embedding", func(g *Graph) { g.Embedding(v(4, 2), []int{0, 1, 2}, 2, 2) }},
		{"Attention rank", "Attention", func(g *Graph) { g.Attention(v(2, 3, 4), v(2, 3, 4), v(2, 3, 4), AttentionOptions{}) }},
		{"Attention k head size", "Attention", func(g *Graph) {
			g.Attention(v(1, 2, 3, 4), v(1, 2, 3, 5), v(1, 2, 3, 4), AttentionOptions{})
		}},
		{"Attention v length", "Attention", func(g *Graph) {
			g.Attention(v(1, 2, 3, 4), v(1, 2, 3, 4), v(1, 2, 2, 4), AttentionOptions{})
		}},
		{"Attention causal Tq>Tk", "Attention", func(g *Graph) {
			g.Attention(v(1, 1, 4, 2), v(1, 1, 3, 2), v(1, 1, 3, 2), AttentionOptions{Causal: true})
		}},
		{"Attention padding length", "Attention", func(g *Graph) {
			g.Attention(v(2, 1, 3, 2), v(2, 1, 3, 2), v(2, 1, 3, 2), AttentionOptions{KeyPadding: make([]bool, 3)})
		}},
		{"Attention bias heads", "Attention", func(g *Graph) {
			g.Attention(v(1, 2, 3, 2), v(1, 2, 3, 2), v(1, 2, 3, 2), AttentionOptions{Bias: v(3, 3, 3)})
		}},
		{"Attention bias Tk", "Attention", func(g *Graph) {
			g.Attention(v(1, 2, 3, 2), v(1, 2, 4, 2), v(1, 2, 4, 2), AttentionOptions{Bias: v(3, 3)})
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			defer func() {
				r := recover()
				msg, _ := r.(string)
				if r == nil || !strings.Contains(msg, "autograd."+tc.op+":") {
					t.Errorf("recovered %v, want a panic naming autograd.%s", r, tc.op)
				}
			}()
			tc.f(New())
		})
	}
}

func TestFusedCrossEntropyDeterministicAcrossGOMAXPROCS(t *testing.T) {
	// 64 rows × 300 classes is above the parallel threshold.
	run := func() []float32 {
		rng := fusedRng(11)
		logits := fusedParam(rng, "logits", 64, 300)
		targets := make([]int, 64)
		mask := make([]float32, 64)
		for i := range targets {
			targets[i] = rng.IntN(300)
			mask[i] = float32(rng.IntN(2))
		}
		g := New()
		loss := g.CrossEntropy(logits, targets, mask)
		g.Backward(loss)
		return append([]float32{loss.Value.Data[0]}, logits.Grad.Data...)
	}
	old := runtime.GOMAXPROCS(1)
	defer runtime.GOMAXPROCS(old)
	one := run()
	for _, procs := range []int{2, 3, 8} {
		runtime.GOMAXPROCS(procs)
		if got := run(); !slices.Equal(one, got) {
			t.Errorf("GOMAXPROCS %d: loss or gradient differs from GOMAXPROCS 1", procs)
		}
	}
}
