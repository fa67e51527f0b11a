package nn_test

// PyTorch parity: every case in ../testdata/torch/*.safetensors, written by
// ../testdata/torch/gen_parity.py, is recomputed here with our ops and
// compared element by element, outputs and gradients, at
//
//	|got − want| ≤ 1e-6 + 1e-5·|want|   (absolute 1e-6, relative 1e-5)
//
// Each file holds the inputs and parameters, the output "y", a random R ("r")
// and the gradients "grad.<name>" of loss = Σ(y ⊙ r) with respect to every
// input and parameter; the generator's doc string says exactly what each case
// computes. go test never needs Python.

import (
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"transformers/autograd"
	"transformers/nn"
	"transformers/nn/safetensors"
	"transformers/tensor"
)

const (
	parityDir  = "../testdata/torch"
	parityAtol = 1e-6
	parityRtol = 1e-5
)

// parityCase recomputes one stored case. run receives the file's tensors and
// metadata and returns the tensors it computed under the file's names ("y",
// "grad.x", "p1", ...); every such name in the file must be returned.
type parityCase struct {
	name string
	run  func(t *testing.T, ref map[string]*tensor.Tensor, meta map[string]string) map[string]*tensor.Tensor
}

// parityCompared reports whether name is a result (not an input) in a file.
func parityCompared(name string) bool {
	return name == "y" || strings.HasPrefix(name, "grad.") || name == "p1" || name == "p2"
}

// parityWorst returns max_i |got_i − want_i| / (atol + rtol·|want_i|) and
// the index where it occurs: ≤ 1 means every element is within tolerance.
// A shape mismatch or a NaN gives +Inf.
func parityWorst(got, want *tensor.Tensor) (float64, int) {
	if !tensor.SameShape(got.Shape, want.Shape) {
		return math.Inf(1), -1
	}
	worst, at := 0.0, -1
	for i, w := range want.Data {
		d := math.Abs(float64(got.Data[i]) - float64(w))
		r := d / (parityAtol + parityRtol*math.Abs(float64(w)))
		if math.IsNaN(r) {
			return math.Inf(1), i
		}
		if r > worst || at < 0 {
			worst, at = r, i
		}
	}
	return worst, at
}

func loadParity(t *testing.T, name string) (map[string]*tensor.Tensor, map[string]string) {
	t.Helper()
	ref, meta, err := safetensors.Read(filepath.Join(parityDir, name+".safetensors"))
	if err != nil {
		t.Fatalf("reading reference (regenerate with /usr/bin/python3 testdata/torch/gen_parity.py): %v", err)
	}
	return ref, meta
}

// parityNeed returns ref[name] or fails the test.
func parityNeed(t *testing.T, ref map[string]*tensor.Tensor, name string) *tensor.Tensor {
	t.Helper()
	v, ok := ref[name]
	if !ok {
		t.Fatalf("reference has no tensor %q", name)
	}
	return v
}

// parityInts converts a float tensor of exact small integers (targets) to ints.
func parityInts(t *testing.T, x *tensor.Tensor) []int {
	t.Helper()
	out := make([]int, len(x.Data))
	for i, v := range x.Data {
		out[i] = int(v)
		if float32(out[i]) != v {
			t.Fatalf("target %d is %v, not an integer", i, v)
		}
	}
	return out
}

// parityParams returns a Param per name, with a copy of the reference value so a
// case cannot modify the loaded data.
func parityParams(t *testing.T, ref map[string]*tensor.Tensor, names ...string) map[string]*autograd.Var {
	t.Helper()
	out := make(map[string]*autograd.Var, len(names))
	for _, n := range names {
		out[n] = autograd.Param(n, parityNeed(t, ref, n).Clone())
	}
	return out
}

// parityBackward runs loss = Σ(y ⊙ r) backward on g and collects "y" and
// "grad.<name>" for each of vars.
func parityBackward(t *testing.T, g *autograd.Graph, y *autograd.Var, ref map[string]*tensor.Tensor, vars map[string]*autograd.Var) map[string]*tensor.Tensor {
	t.Helper()
	r := parityNeed(t, ref, "r")
	if !tensor.SameShape(r.Shape, y.Value.Shape) {
		t.Fatalf("output shape %v, torch's %v", y.Value.Shape, r.Shape)
	}
	g.BackwardWith(y, r.Clone())
	out := map[string]*tensor.Tensor{"y": y.Value}
	for n, v := range vars {
		if v.Grad == nil {
			t.Fatalf("no gradient reached %s", n)
		}
		out["grad."+n] = v.Grad
	}
	return out
}

var parityCases = []parityCase{
	{"linear_bias", parityLinear(true)},
	{"linear_nobias", parityLinear(false)},
	{"layernorm", parityLayerNorm},
	{"rmsnorm", parityRMSNorm},
	{"gelu_erf", parityPointwise((*autograd.Graph).GELU)},
	{"gelu_tanh", parityPointwise((*autograd.Graph).GELUTanh)},
	{"softmax", parityPointwise(func(g *autograd.Graph, x *autograd.Var) *autograd.Var { return g.Softmax(x, -1) })},
	{"cross_entropy", parityCrossEntropy},
	{"attention", parityAttention(false)},
	{"attention_alibi", parityAttention(true)},
	{"block", parityBlock},
	{"adamw", parityAdamW},
}

// parityMeta fails unless the file's metadata key has the value our default
// uses (so a changed default or a regenerated file cannot pass silently).
func parityMeta(t *testing.T, meta map[string]string, key string, ours float64) {
	t.Helper()
	v, err := strconv.ParseFloat(meta[key], 64)
	if err != nil {
		t.Fatalf("metadata %s = %q: %v", key, meta[key], err)
	}
	if float32(v) != float32(ours) {
		t.Fatalf("metadata %s = %v, ours %v", key, v, ours)
	}
}

// parityRNG is only used to build modules whose weights are then overwritten
// from the reference file.
func parityRNG() *rand.Rand { return rand.New(rand.NewPCG(1, 2)) }

// parityLoad copies the named reference tensors into m's parameters (by their
// full names, through LoadStateDict, which insists on an exact match).
func parityLoad(t *testing.T, m nn.Module, ref map[string]*tensor.Tensor) map[string]*autograd.Var {
	t.Helper()
	sd := map[string]*tensor.Tensor{}
	vars := map[string]*autograd.Var{}
	for _, p := range m.Parameters() {
		sd[p.Name] = parityNeed(t, ref, p.Name)
		vars[p.Name] = p
	}
	if err := nn.LoadStateDict(m, sd); err != nil {
		t.Fatal(err)
	}
	return vars
}

func parityLinear(bias bool) func(*testing.T, map[string]*tensor.Tensor, map[string]string) map[string]*tensor.Tensor {
	return func(t *testing.T, ref map[string]*tensor.Tensor, _ map[string]string) map[string]*tensor.Tensor {
		w := parityNeed(t, ref, "weight") // (out, in)
		lin := nn.NewLinear("", w.Shape[1], w.Shape[0], bias, nn.InitStd, parityRNG())
		vars := parityLoad(t, lin, ref)
		vars["x"] = autograd.Param("x", parityNeed(t, ref, "x").Clone())
		g := autograd.New()
		return parityBackward(t, g, lin.Forward(g, vars["x"]), ref, vars)
	}
}

func parityLayerNorm(t *testing.T, ref map[string]*tensor.Tensor, meta map[string]string) map[string]*tensor.Tensor {
	x := parityNeed(t, ref, "x")
	ln := nn.NewLayerNorm("", x.Shape[x.Dims()-1])
	parityMeta(t, meta, "eps", float64(ln.Eps))
	vars := parityLoad(t, ln, ref)
	vars["x"] = autograd.Param("x", x.Clone())
	g := autograd.New()
	return parityBackward(t, g, ln.Forward(g, vars["x"]), ref, vars)
}

func parityRMSNorm(t *testing.T, ref map[string]*tensor.Tensor, meta map[string]string) map[string]*tensor.Tensor {
	x := parityNeed(t, ref, "x")
	rn := nn.NewRMSNorm("", x.Shape[x.Dims()-1])
	parityMeta(t, meta, "eps", float64(rn.Eps))
	vars := parityLoad(t, rn, ref)
	vars["x"] = autograd.Param("x", x.Clone())
	g := autograd.New()
	return parityBackward(t, g, rn.Forward(g, vars["x"]), ref, vars)
}

// parityPointwise checks a one-input op y = f(x) (GELU, softmax).
func parityPointwise(f func(*autograd.Graph, *autograd.Var) *autograd.Var) func(*testing.T, map[string]*tensor.Tensor, map[string]string) map[string]*tensor.Tensor {
	return func(t *testing.T, ref map[string]*tensor.Tensor, _ map[string]string) map[string]*tensor.Tensor {
		vars := parityParams(t, ref, "x")
		g := autograd.New()
		return parityBackward(t, g, f(g, vars["x"]), ref, vars)
	}
}

// parityAttention checks causal attention over q, k, v [B, H, T, D], with
// the stored ALiBi bias [H, T, T] as a constant if alibi.
func parityAttention(alibi bool) func(*testing.T, map[string]*tensor.Tensor, map[string]string) map[string]*tensor.Tensor {
	return func(t *testing.T, ref map[string]*tensor.Tensor, _ map[string]string) map[string]*tensor.Tensor {
		vars := parityParams(t, ref, "q", "k", "v")
		opt := autograd.AttentionOptions{Causal: true}
		if alibi {
			bias := parityNeed(t, ref, "bias")
			parityCheckALiBi(t, bias)
			opt.Bias = autograd.Const(bias.Clone())
		}
		g := autograd.New()
		return parityBackward(t, g, g.Attention(vars["q"], vars["k"], vars["v"], opt), ref, vars)
	}
}

// parityCheckALiBi confirms the stored bias is the one the generator documents:
// bias[h,i,j] = −2^(−8(h+1)/H)·(i−j) for j ≤ i, 0 above the diagonal.
func parityCheckALiBi(t *testing.T, bias *tensor.Tensor) {
	t.Helper()
	h, n := bias.Shape[0], bias.Shape[1]
	for hh := range h {
		slope := math.Pow(2, -8*float64(hh+1)/float64(h))
		for i := range n {
			for j := range n {
				want := float32(-slope * float64(max(i-j, 0)))
				if got := bias.At(hh, i, j); got != want {
					t.Fatalf("ALiBi bias[%d,%d,%d] = %v, want %v", hh, i, j, got, want)
				}
			}
		}
	}
}

// parityBlockModel is one pre-LN GPT-2 block assembled from nn modules,
// with GPT-2's parameter names:
//
//	x1 = x + c_proj(attention(split_heads(c_attn(ln_1(x)))))
//	y  = x1 + mlp(ln_2(x1))
type parityBlockModel struct {
	ln1, ln2     *nn.LayerNorm
	cAttn, cProj *nn.Linear
	mlp          *nn.MLP
	nHead, dim   int
}

func newParityBlock(dim, nHead int) *parityBlockModel {
	rng := parityRNG()
	return &parityBlockModel{
		ln1:   nn.NewLayerNorm("ln_1", dim),
		cAttn: nn.NewLinear("attn.c_attn", dim, 3*dim, true, nn.InitStd, rng),
		cProj: nn.NewLinear("attn.c_proj", dim, dim, true, nn.InitStd, rng),
		ln2:   nn.NewLayerNorm("ln_2", dim),
		mlp:   nn.NewMLP("mlp", dim, 4*dim, true, nn.InitStd, rng),
		nHead: nHead, dim: dim,
	}
}

func (b *parityBlockModel) Parameters() []*autograd.Var {
	return nn.Collect(b.ln1, b.cAttn, b.cProj, b.ln2, b.mlp)
}

func (b *parityBlockModel) Forward(g *autograd.Graph, x *autograd.Var) *autograd.Var {
	bs, n, c := x.Value.Shape[0], x.Value.Shape[1], b.dim
	d := c / b.nHead
	qkv := g.Split(b.cAttn.Forward(g, b.ln1.Forward(g, x)), 2, c, c, c) // 3 × [B, T, C]
	// heads maps [B, T, C] to [B, H, T, D].
	heads := func(v *autograd.Var) *autograd.Var {
		return g.Transpose(g.Reshape(v, bs, n, b.nHead, d), 1, 2)
	}
	o := g.Attention(heads(qkv[0]), heads(qkv[1]), heads(qkv[2]), autograd.AttentionOptions{Causal: true})
	o = g.Reshape(g.Transpose(o, 1, 2), bs, n, c) // [B, H, T, D] → [B, T, C]
	x = g.Add(x, b.cProj.Forward(g, o))
	return g.Add(x, b.mlp.Forward(g, b.ln2.Forward(g, x)))
}

func parityBlock(t *testing.T, ref map[string]*tensor.Tensor, meta map[string]string) map[string]*tensor.Tensor {
	x := parityNeed(t, ref, "x")
	nHead, err := strconv.Atoi(meta["n_head"])
	if err != nil {
		t.Fatalf("metadata n_head = %q: %v", meta["n_head"], err)
	}
	if meta["gelu"] != "tanh" {
		t.Fatalf("metadata gelu = %q, the block uses the tanh form", meta["gelu"])
	}
	blk := newParityBlock(x.Shape[2], nHead)
	parityMeta(t, meta, "eps", float64(blk.ln1.Eps))
	if !blk.mlp.TanhGELU {
		t.Fatal("nn.NewMLP no longer defaults to the tanh GELU")
	}
	vars := parityLoad(t, blk, ref)
	vars["x"] = autograd.Param("x", x.Clone())
	g := autograd.New()
	return parityBackward(t, g, blk.Forward(g, vars["x"]), ref, vars)
}

// parityAdamW takes two AdamW steps on p0 with the stored gradients g1, g2.
func parityAdamW(t *testing.T, ref map[string]*tensor.Tensor, meta map[string]string) map[string]*tensor.Tensor {
	p := autograd.Param("p", parityNeed(t, ref, "p0").Clone())
	wd, err := strconv.ParseFloat(meta["weight_decay"], 64)
	if err != nil {
		t.Fatalf("metadata weight_decay = %q: %v", meta["weight_decay"], err)
	}
	lr, err := strconv.ParseFloat(meta["lr"], 64)
	if err != nil {
		t.Fatalf("metadata lr = %q: %v", meta["lr"], err)
	}
	opt := nn.NewAdamW([]nn.ParamGroup{{Params: []*autograd.Var{p}, WeightDecay: wd}}, lr)
	// The defaults must be PyTorch's, which the file was made with.
	parityMeta(t, meta, "beta1", opt.Beta1)
	parityMeta(t, meta, "beta2", opt.Beta2)
	parityMeta(t, meta, "eps", opt.Eps)
	out := map[string]*tensor.Tensor{}
	for _, step := range []string{"1", "2"} {
		p.Grad = parityNeed(t, ref, "g"+step).Clone()
		opt.Step()
		out["p"+step] = p.Value.Clone()
	}
	return out
}

func parityCrossEntropy(t *testing.T, ref map[string]*tensor.Tensor, _ map[string]string) map[string]*tensor.Tensor {
	// Three spellings of the same masked mean must all match torch's
	// cross_entropy(ignore_index=-1): a mask with full targets, ignored
	// targets without a mask, and both together.
	targets := parityInts(t, parityNeed(t, ref, "targets"))
	ignored := parityInts(t, parityNeed(t, ref, "targets_ignore"))
	mask := parityNeed(t, ref, "mask").Data
	variants := []struct {
		name    string
		targets []int
		mask    []float32
	}{
		{"mask", targets, mask},
		{"ignore_index", ignored, nil},
		{"both", ignored, mask},
	}
	var first map[string]*tensor.Tensor
	for _, v := range variants {
		vars := parityParams(t, ref, "logits")
		g := autograd.New()
		y := g.CrossEntropy(vars["logits"], v.targets, v.mask)
		got := parityBackward(t, g, y, ref, vars)
		if first == nil {
			first = got
			continue
		}
		for name, want := range parityResults(ref) {
			if w, i := parityWorst(got[name], want); w > 1 {
				t.Errorf("variant %s: %s[%d] = %v, torch %v (%.3g × tolerance)", v.name, name, i, got[name].Data[i], want.Data[i], w)
			}
		}
	}
	return first
}

// parityResults returns the tensors of ref that a case must reproduce.
func parityResults(ref map[string]*tensor.Tensor) map[string]*tensor.Tensor {
	out := map[string]*tensor.Tensor{}
	for n, v := range ref {
		if parityCompared(n) {
			out[n] = v
		}
	}
	return out
}

func TestPyTorchParity(t *testing.T) {
	for _, c := range parityCases {
		t.Run(c.name, func(t *testing.T) {
			ref, meta := loadParity(t, c.name)
			got := c.run(t, ref, meta)
			want := parityResults(ref)
			names := make([]string, 0, len(want))
			for n := range want {
				names = append(names, n)
			}
			sort.Strings(names)
			for _, n := range names {
				g, ok := got[n]
				if !ok {
					t.Errorf("%s: not computed", n)
					continue
				}
				w, i := parityWorst(g, want[n])
				switch {
				case i < 0:
					t.Errorf("%s: shape %v, torch %v", n, g.Shape, want[n].Shape)
				case w > 1:
					t.Errorf("%s[%d] = %v, torch %v (%.3g × tolerance)", n, i, g.Data[i], want[n].Data[i], w)
				default:
					t.Logf("%-22s max error %.3g × tolerance", n, w)
				}
			}
		})
	}
}

// TestParityFilesCovered fails if a reference file has no case here (so a
// new case in the generator cannot go untested) or a case has no file.
func TestParityFilesCovered(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(parityDir, "*.safetensors"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no reference files in %s (%v)", parityDir, err)
	}
	have := map[string]bool{}
	for _, c := range parityCases {
		have[c.name] = true
	}
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".safetensors")
		if !have[name] {
			t.Errorf("%s has no parity case", f)
		}
		delete(have, name)
	}
	for name := range have {
		t.Errorf("case %s has no file %s.safetensors", name, name)
	}
	if _, err := os.Stat(filepath.Join(parityDir, "gen_parity.py")); err != nil {
		t.Errorf("generator script missing: %v", err)
	}
}

// TestParityToleranceCanFail checks the comparison itself: a reference
// output nudged by twice the tolerance at one element must be rejected, and
// one nudged by half of it accepted.
func TestParityToleranceCanFail(t *testing.T) {
	ref, _ := loadParity(t, "cross_entropy")
	want := parityNeed(t, ref, "grad.logits")
	for _, tc := range []struct {
		factor float64
		ok     bool
	}{{0.5, true}, {2, false}} {
		got := want.Clone()
		i := len(got.Data) / 2
		w := float64(got.Data[i])
		got.Data[i] = float32(w + tc.factor*(parityAtol+parityRtol*math.Abs(w)))
		if worst, _ := parityWorst(got, want); (worst <= 1) != tc.ok {
			t.Errorf("nudge %.1f × tolerance: worst %.3g, accepted %v, want %v", tc.factor, worst, worst <= 1, tc.ok)
		}
	}
	if worst, _ := parityWorst(tensor.Zeros(2), tensor.Zeros(3)); !math.IsInf(worst, 1) {
		t.Errorf("shape mismatch accepted: %v", worst)
	}
	nan := tensor.New([]float32{float32(math.NaN())}, 1)
	if worst, _ := parityWorst(nan, tensor.Zeros(1)); !math.IsInf(worst, 1) {
		t.Errorf("NaN accepted: %v", worst)
	}
}
