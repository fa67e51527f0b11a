package finetune

import (
	"math"
	"strings"
	"testing"

	"transformers/autograd"
	"transformers/gpt"
	"transformers/gpt/corpus"
	"transformers/gpt/tokenizer"
	"transformers/nn"
	"transformers/tensor"
)

// sftSetup returns a tiny untrained GPT, its character tokenizer and a few
// short chat conversations from world 1.
func sftSetup(t *testing.T) (*gpt.Model, *tokenizer.Char, []Example, []Rendered) {
	t.Helper()
	w := corpus.NewWorld(1)
	tok := tokenizer.NewChar(corpus.Corpus(1, 4000) + "?")
	var exs []Example
	for _, e := range Instructions(w, 0, rng(1)) {
		if e.Task == TaskReverse && len(e.Prompt) < 22 {
			exs = append(exs, e)
		}
		if len(exs) == 6 {
			break
		}
	}
	var rs []Rendered
	for _, e := range exs {
		rs = append(rs, Render(tok, Conversation(e.Prompt, e.Answer)))
	}
	cfg := gpt.DefaultConfig(tok.VocabSize())
	cfg.Context, cfg.Layers, cfg.Heads, cfg.DModel, cfg.DFF = 256, 2, 2, 32, 64
	return gpt.New(cfg, rng(2)), tok, exs, rs
}

func snapshot(ps []*autograd.Var) [][]float32 {
	out := make([][]float32, len(ps))
	for i, p := range ps {
		out[i] = append([]float32(nil), p.Value.Data...)
	}
	return out
}

// sftSteps takes n AdamW steps on params with two micro-batches per step and
// returns the masked loss before and after.
func sftSteps(m *gpt.Model, rs []Rendered, params []*autograd.Var, n int, lr float64) (before, after float64) {
	micro := []Batch{Collate(rs[:2], 0), Collate(rs[2:], 0)}
	total := TrainedTokens(micro)
	eval := func() float64 {
		s := 0.0
		for _, bt := range micro {
			s += float64(SFTLoss(autograd.NoGrad(), m, bt, total).Value.Data[0])
		}
		return s
	}
	opt := nn.NewAdamW([]nn.ParamGroup{{Params: params}}, lr)
	before = eval()
	for range n {
		opt.ZeroGrad()
		for _, bt := range micro {
			g := autograd.New()
			g.Backward(SFTLoss(g, m, bt, total))
		}
		opt.Step()
	}
	return before, eval()
}

func TestSFTReducesMaskedLoss(t *testing.T) {
	m, tok, _, rs := sftSetup(t)
	before, after := sftSteps(m, rs, m.Parameters(), 25, 3e-3)
	// An untrained model starts near ln V; a few steps on six short replies
	// must cut the masked loss well below that.
	if lnV := math.Log(float64(tok.VocabSize())); math.Abs(before-lnV) > 0.5 {
		t.Errorf("untrained masked loss %.3f, want ≈ ln V = %.3f", before, lnV)
	}
	if after > 0.6*before {
		t.Errorf("masked loss %.3f → %.3f after 25 SFT steps, want a clear drop", before, after)
	}
	t.Logf("masked loss %.3f → %.3f", before, after)
}

func TestLoRATrainsOnlyAdapters(t *testing.T) {
	m, _, _, rs := sftSetup(t)
	all := m.Parameters()
	base := snapshot(all)
	ads := ApplyLoRA(m, LoRAConfig{Rank: 4, Alpha: 8}, rng(3))
	params := Trainable(m.Parameters())
	// Per layer: c_attn 4·(32+96), attn.c_proj 4·(32+32), c_fc 4·(32+64), mlp.c_proj 4·(64+32).
	if len(params) != 2*len(ads) || NumTrainable(m.Parameters()) != 2*4*(128+64+96+96) {
		t.Fatalf("%d trainable tensors, %d scalars", len(params), NumTrainable(m.Parameters()))
	}
	adapt := snapshot(params)
	before, after := sftSteps(m, rs, params, 15, 1e-2)
	// With frozen, tiny tied output embeddings the adapters cannot move the
	// loss far (nor can full training of every linear map); the point here is
	// that they train and nothing else changes.
	if !(after < before-0.05) {
		t.Errorf("LoRA steps did not reduce the masked loss: %.4f → %.4f", before, after)
	}
	for i, p := range all {
		if maxAbsDiff(p.Value.Data, base[i]) != 0 {
			t.Errorf("frozen %s changed", p.Name)
		}
		if p.Grad != nil {
			t.Errorf("frozen %s has a gradient", p.Name)
		}
	}
	for i, p := range params {
		if maxAbsDiff(p.Value.Data, adapt[i]) == 0 {
			t.Errorf("adapter %s did not change", p.Name)
		}
	}
	t.Logf("LoRA masked loss %.3f → %.3f", before, after)
}

func TestRewardModelReadsLastRealToken(t *testing.T) {
	m, tok, _, _ := sftSetup(t)
	rm := NewRewardModel(m, rng(5))
	a := tok.Encode("Mia has a cat.")
	b := tok.Encode("Leo.")
	// Right-padded batch of both vs each alone.
	T := len(a)
	ids := make([]int, 2*T)
	mask := make([]float32, 2*T)
	for i := range T {
		ids[i], mask[i] = a[i], 1
		ids[T+i] = tokenizer.PADID
		if i < len(b) {
			ids[T+i], mask[T+i] = b[i], 1
		}
	}
	both := rm.Rewards(autograd.NoGrad(), ids, mask, 2, T).Value.Data
	alone := func(x []int) float32 {
		return rm.Rewards(autograd.NoGrad(), x, ones(len(x)), 1, len(x)).Value.Data[0]
	}
	ra, rb := alone(a), alone(b)
	if !near(float64(both[0]), float64(ra), 1e-5) || !near(float64(both[1]), float64(rb), 1e-5) {
		t.Errorf("batched rewards %v, alone %v and %v", both, ra, rb)
	}
	// Reading at the last pad instead would give something else.
	wrong := rm.Rewards(autograd.NoGrad(), ids, ones(2*T), 2, T).Value.Data[1]
	if near(float64(wrong), float64(rb), 1e-5) {
		t.Error("reward at the padding equals the reward at the last real token: the test cannot tell")
	}
	// The Bradley–Terry loss trains both the head and the model.
	g := autograd.New()
	r := rm.Rewards(g, ids, mask, 2, T)
	loss := BradleyTerryLoss(g, g.Slice(r, 0, 0, 1), g.Slice(r, 0, 1, 2))
	g.Backward(loss)
	if rm.Head.Parameters()[0].Grad == nil || m.WTE.Grad == nil {
		t.Error("reward loss did not reach head and model")
	}
}

func ones(n int) []float32 {
	out := make([]float32, n)
	for i := range out {
		out[i] = 1
	}
	return out
}

func TestReplyAndEvaluate(t *testing.T) {
	m, tok, exs, _ := sftSetup(t)
	s := Scorer{World: corpus.NewWorld(1)}
	sum, replies := Evaluate(m, tok, s, exs[:2], 5)
	if sum.N != 2 || len(replies) != 2 {
		t.Fatalf("summary %+v, %d replies", sum, len(replies))
	}
	for _, r := range replies {
		if len([]rune(r)) > 5 {
			t.Errorf("reply %q longer than 5 tokens", r)
		}
		if strings.Contains(r, tokenizer.End) {
			t.Errorf("reply %q holds <|end|>", r)
		}
	}
}

// TestLoRAGradientIsProjectedFullGradient checks the adapter's gradients on a
// whole model against the plain model's weight gradient G = ∂L/∂W': with
// y = x·W'ᵀ and W' = W + s·B·A (s = α/r), ∂L/∂B = s·G·Aᵀ and ∂L/∂A = s·Bᵀ·G.
func TestLoRAGradientIsProjectedFullGradient(t *testing.T) {
	m, _, _, rs := sftSetup(t)
	bt := Collate(rs, 0)
	n := bt.Trained()
	ads := ApplyLoRA(m, LoRAConfig{Rank: 3, Alpha: 6, Match: func(n string) bool { return strings.HasSuffix(n, "mlp.c_fc") }}, rng(6))
	for i, a := range ads {
		copy(a.B.Value.Data, tensor.Randn(rng(uint64(30+i)), 0.2, a.B.Value.Shape...).Data)
	}
	g := autograd.New()
	g.Backward(SFTLoss(g, m, bt, n))
	// The same function as a plain model: merge, unwrap, unfreeze the weights.
	for _, a := range ads {
		a.Merge()
	}
	RemoveLoRA(m)
	for _, a := range ads {
		baseWeight(a.Base).SetRequiresGrad(true)
	}
	g = autograd.New()
	g.Backward(SFTLoss(g, m, bt, n))
	for _, a := range ads {
		G := baseWeight(a.Base).Grad
		s := float32(a.Scale())
		wantB := tensor.Scale(tensor.MatMulNT(G, a.A.Value), s) // [out, in]·[r, in]ᵀ
		wantA := tensor.Scale(tensor.MatMulTN(a.B.Value, G), s) // [out, r]ᵀ·[out, in]
		if maxAbsDiff(wantB.Data, make([]float32, len(wantB.Data))) < 1e-3 || maxAbsDiff(wantA.Data, make([]float32, len(wantA.Data))) < 1e-3 {
			t.Errorf("%s: gradients too small to compare", a.Name)
		}
		if d := maxAbsDiff(a.B.Grad.Data, wantB.Data); d > 1e-5 {
			t.Errorf("%s: ∂L/∂B differs from s·G·Aᵀ by %g", a.Name, d)
		}
		if d := maxAbsDiff(a.A.Grad.Data, wantA.Data); d > 1e-5 {
			t.Errorf("%s: ∂L/∂A differs from s·Bᵀ·G by %g", a.Name, d)
		}
	}
}

func TestTrainSFT(t *testing.T) {
	base, _, _, rs := sftSetup(t)
	cfg := SFTConfig{Steps: 4, BatchSize: 4, LR: 3e-3, MinLR: 3e-4, Warmup: 1, WeightDecay: 0.1, ClipNorm: 1}
	run := func(microBatch int) ([]SFTStep, *gpt.Model) {
		m := base.Clone()
		c := cfg
		c.MicroBatch = microBatch
		return TrainSFT(m, m.Parameters(), rs, c, rng(11)), m
	}
	whole, mw := run(0)
	again, _ := run(0)
	split, ms := run(1)
	for i := range whole {
		if whole[i].Loss != again[i].Loss || whole[i].Tokens != again[i].Tokens {
			t.Errorf("step %d: runs with one seed differ: %+v vs %+v", i, whole[i], again[i])
		}
		// Micro-batches of one conversation, normalised by the step's token
		// count, follow the same trajectory as whole batches.
		if !near(whole[i].Loss, split[i].Loss, 1e-4) || whole[i].Tokens != split[i].Tokens || !near(whole[i].GradNorm, split[i].GradNorm, 1e-4) {
			t.Errorf("step %d: whole batch %+v, micro-batches %+v", i, whole[i], split[i])
		}
	}
	pw, ps := mw.Parameters(), ms.Parameters()
	for i := range pw {
		if d := maxAbsDiff(pw[i].Value.Data, ps[i].Value.Data); d > 1e-4 {
			t.Errorf("%s differs by %g between whole and micro-batched training", pw[i].Name, d)
		}
	}
	// Warm-up of one step, then half a cosine: step 3 of 4 is at
	// 3e-4 + ½(1 + cos(2π/3))·(3e-3 − 3e-4) = 9.75e-4.
	if whole[0].LR != 3e-3 || !near(whole[3].LR, 9.75e-4, 1e-12) {
		t.Errorf("schedule: lr %g … %g", whole[0].LR, whole[3].LR)
	}

	m := base.Clone()
	before := MeanLoss(m, rs, 4, 0)
	var logged int
	long := cfg
	long.Steps, long.Log = 30, func(SFTStep) { logged++ }
	TrainSFT(m, m.Parameters(), rs, long, rng(12))
	after := MeanLoss(m, rs, 4, 0)
	if after > 0.6*before || logged != 30 {
		t.Errorf("30 SFT steps: loss %.3f → %.3f, %d log calls", before, after, logged)
	}
}
