package finetune

import (
	"math"
	"reflect"
	"testing"

	"transformers/autograd"
	"transformers/gpt"
	"transformers/gpt/corpus"
	"transformers/tensor"
)

func TestPackAndReplies(t *testing.T) {
	ids, mask, B, T := Pack([][]int{{10, 11}, {12}}, [][]int{{13, end}, {14}})
	if B != 2 || T != 4 ||
		!reflect.DeepEqual(ids, []int{10, 11, 13, end, 12, 14, pad, pad}) ||
		!reflect.DeepEqual(mask, []float32{1, 1, 1, 1, 1, 1, 0, 0}) {
		t.Errorf("Pack = %v %v %d %d", ids, mask, B, T)
	}
	tok, _ := chatTok()
	tests := []struct {
		ids  []int
		want string
	}{
		{Completion(tok, "ok"), "ok"},
		{append(Completion(tok, "hi"), tok.Encode("junk")...), "hi"},
		{append([]int{ast}, tok.Encode("yes")...), "yes"},
		{nil, ""},
	}
	for _, tc := range tests {
		if got := DecodeReply(tok, tc.ids); got != tc.want {
			t.Errorf("DecodeReply(%v) = %q, want %q", tc.ids, got, tc.want)
		}
	}
	w := corpus.NewWorld(1)
	prefs := Preferences(w, Instructions(w, 0, rng(1))[:2], rng(2))
	p := Tokenize(tok, prefs)
	if len(p.Prompts) != 4 || !reflect.DeepEqual(p.Prompts[0], Prompt(tok, prefs[0].Example.Prompt)) ||
		DecodeReply(tok, p.Rejected[1]) != prefs[1].Rejected || p.Chosen[0][len(p.Chosen[0])-1] != end {
		t.Errorf("Tokenize: %v", p)
	}
}

func TestEvaluateMatchesDirect(t *testing.T) {
	m, tok, exs, _ := sftSetup(t)
	ac := NewActorCritic(m, rng(3))
	// A value head that is not zero, so values are worth comparing.
	copy(ac.Value.Parameters()[0].Value.Data, tensor.Randn(rng(4), 0.5, 1, m.Config.DModel).Data)
	prompts := [][]int{Prompt(tok, exs[0].Prompt), Prompt(tok, exs[1].Prompt)}
	comps := [][]int{Completion(tok, exs[0].Answer), Completion(tok, "x")}
	ev := ac.Evaluate(autograd.NoGrad(), prompts, comps)
	lp, _ := m.LogProbs(autograd.NoGrad(), prompts, comps)
	if d := maxAbsDiff(ev.LogProbs.Value.Data, lp.Value.Data); d > 1e-6 {
		t.Errorf("log-probs differ from Model.LogProbs by %g", d)
	}
	ng := autograd.NoGrad()
	V := m.Config.VocabSize
	for b := range prompts {
		for j := range comps[b] {
			prefix := append(append([]int{}, prompts[b]...), comps[b][:j]...)
			out := m.Forward(ng, prefix, 1, len(prefix), gpt.ForwardOptions{})
			last := len(prefix) - 1
			v := ac.Value.Forward(ng, out.Hidden).Value.Data[last]
			z := out.Logits.Value.Data[last*V : (last+1)*V]
			h := Entropy(ng, autograd.Const(tensor.New(z, 1, V))).Value.Data[0]
			k := b*ev.Batch.MaxComp + j
			// log p(c_j | prefix) = z[c_j] − log Σ exp z, computed here in float64.
			lse := 0.0
			for _, v := range z {
				lse += math.Exp(float64(v))
			}
			direct := float64(z[comps[b][j]]) - math.Log(lse)
			if !near(float64(ev.LogProbs.Value.Data[k]), direct, 1e-5) {
				t.Errorf("row %d token %d: log-prob %g, direct %g", b, j, ev.LogProbs.Value.Data[k], direct)
			}
			if !near(float64(ev.Values.Value.Data[k]), float64(v), 1e-5) || !near(float64(ev.Entropy.Value.Data[k]), float64(h), 1e-5) {
				t.Errorf("row %d token %d: value %g entropy %g, direct %g %g", b, j, ev.Values.Value.Data[k], ev.Entropy.Value.Data[k], v, h)
			}
		}
	}
}

func TestPPOAtStepZero(t *testing.T) {
	m, tok, exs, _ := sftSetup(t)
	ref := m.Reference()
	ac := NewActorCritic(m, rng(3))
	var prompts [][]int
	for _, e := range exs[:4] {
		prompts = append(prompts, Prompt(tok, e.Prompt))
	}
	comps := Sample(m, prompts, 6, 1, rng(5))
	for i, c := range comps {
		if len(c) == 0 || len(c) > 6 {
			t.Fatalf("completion %d has %d tokens", i, len(c))
		}
	}
	scores := []float32{1, -0.5, 2, 0}
	cfg := DefaultPPOConfig()
	r := NewRollout(ac, ref, prompts, comps, scores, cfg)
	// The policy is the reference: the KL is zero everywhere, so the rewards
	// are the scores alone and the rlhf reward is the mean score.
	for i, k := range r.KL {
		if k != 0 {
			t.Fatalf("KL[%d] = %g with policy = reference", i, k)
		}
	}
	if r.Stats.KL != 0 || !near(r.Stats.RLHFReward, 0.625, 1e-7) || !near(r.Stats.Scores, 0.625, 1e-7) {
		t.Errorf("rollout stats %+v", r.Stats)
	}
	// The zero value head predicts 0, so δ_t = r_t and, with γ = 1, the
	// return of token j of a completion of n tokens is λ^(n−1−j)·score.
	for b := range r.B {
		n := len(comps[b])
		for j := range r.T {
			k := b*r.T + j
			want := 0.0
			if j < n {
				want = math.Pow(cfg.Lambda, float64(n-1-j)) * float64(scores[b])
			}
			if r.Values[k] != 0 || !near(float64(r.Returns[k]), want, 1e-6) {
				t.Errorf("row %d token %d: value %g return %g, want 0 and %g", b, j, r.Values[k], r.Returns[k], want)
			}
		}
	}
	g := autograd.New()
	loss, st := PPOLoss(g, ac, r, cfg)
	if st.Policy.Ratio != 1 || st.Policy.ClipFrac != 0 || st.Policy.ApproxKL != 0 || st.Value.ClipFrac != 0 {
		t.Errorf("step-zero policy stats %+v, value %+v", st.Policy, st.Value)
	}
	// Whitened advantages have mean 0, so the policy loss starts at 0.
	if math.Abs(st.Policy.Loss) > 1e-6 {
		t.Errorf("policy loss at step zero %g, want 0", st.Policy.Loss)
	}
	if st.Entropy <= 0 || st.Entropy > math.Log(float64(m.Config.VocabSize))+1e-4 {
		t.Errorf("entropy %g outside (0, ln V]", st.Entropy)
	}
	g.Backward(loss)
	if m.WTE.Grad == nil || ac.Value.Parameters()[0].Grad == nil || ref.WTE.Grad != nil {
		t.Error("gradients should reach policy and value head, not the reference")
	}
	for _, k := range StatNames() {
		if _, ok := st.Map()[k]; !ok {
			t.Errorf("missing %s", k)
		}
	}
}

func TestDPOStartsAtLn2OnAModel(t *testing.T) {
	m, tok, exs, _ := sftSetup(t)
	ref := m.Reference()
	p := Tokenize(tok, Preferences(corpus.NewWorld(1), exs[:3], rng(4)))
	for _, mean := range []bool{false, true} {
		g := autograd.New()
		loss, st := DPOBatchLoss(g, m, ref, p, 0.1, mean)
		if !near(float64(loss.Value.Data[0]), ln2, 1e-6) || st.Margin != 0 || st.Accuracy != 0 {
			t.Errorf("mean %v: DPO loss with π = ref is %g (stats %+v), want ln 2", mean, loss.Value.Data[0], st)
		}
		g.Backward(loss)
		if m.WTE.Grad == nil || ref.WTE.Grad != nil {
			t.Error("gradient should reach the policy and not the reference")
		}
		m.WTE.ZeroGrad()
	}
	// A few DPO steps raise the implicit-reward margin on the training pairs.
	var logged int
	stats := TrainDPO(m, ref, p, 0.5, false, PairTrainConfig{Steps: 8, BatchSize: p.Len(), LR: 3e-3,
		Log: func(int, RewardStats, DPOStats) { logged++ }}, rng(5))
	if st := stats[len(stats)-1]; st.Loss >= ln2 || st.Margin <= 0 || logged != 8 {
		t.Errorf("after DPO steps: %+v (%d log calls)", st, logged)
	}
}

func TestRewardModelTrains(t *testing.T) {
	m, tok, exs, _ := sftSetup(t)
	rm := NewRewardModel(m, rng(6))
	p := Tokenize(tok, Preferences(corpus.NewWorld(1), exs[:4], rng(7)))
	first := EvalRewardModel(rm, p, 3)
	// EvalRewardModel in batches of 3 equals scoring all pairs at once.
	g := autograd.NoGrad()
	direct := PairStats(rm.Score(g, p.Prompts, p.Chosen).Value.Data, rm.Score(g, p.Prompts, p.Rejected).Value.Data)
	if !near(first.Loss, direct.Loss, 1e-5) || !near(first.Margin, direct.Margin, 1e-5) || first.Accuracy != direct.Accuracy {
		t.Errorf("EvalRewardModel %+v, direct %+v", first, direct)
	}
	stats := TrainRewardModel(rm, p, PairTrainConfig{Steps: 15, BatchSize: p.Len(), LR: 3e-3}, rng(8))
	if len(stats) != 15 || !near(stats[0].Loss, first.Loss, 1e-5) {
		t.Errorf("%d steps; first batch loss %g, evaluated %g", len(stats), stats[0].Loss, first.Loss)
	}
	last := EvalRewardModel(rm, p, 8)
	if last.Loss > 0.6*first.Loss || last.Accuracy <= first.Accuracy {
		t.Errorf("reward model: %+v → %+v", first, last)
	}
	t.Logf("reward model on 8 pairs: %+v → %+v", first, last)
}

func TestPairBatches(t *testing.T) {
	cfg := PairTrainConfig{Steps: 5, BatchSize: 3}
	seen := map[int]int{}
	cfg.batches(5, rng(1), func(s int, idx []int) {
		if len(idx) != 3 {
			t.Errorf("step %d: %d pairs", s, len(idx))
		}
		for _, i := range idx {
			seen[i]++
		}
	})
	// 15 draws over 5 pairs: three full epochs, each pair exactly 3 times.
	for i := range 5 {
		if seen[i] != 3 {
			t.Errorf("pair %d drawn %d times, want 3", i, seen[i])
		}
	}
	p := Pairs{Prompts: [][]int{{1}, {2}, {3}}, Chosen: [][]int{{4}, {5}, {6}}, Rejected: [][]int{{7}, {8}, {9}}}
	if s := p.Subset([]int{2, 0}); !reflect.DeepEqual(s, Pairs{Prompts: [][]int{{3}, {1}}, Chosen: [][]int{{6}, {4}}, Rejected: [][]int{{9}, {7}}}) || p.Len() != 3 {
		t.Errorf("Subset = %+v", s)
	}
}

func TestBestOfN(t *testing.T) {
	m, tok, exs, _ := sftSetup(t)
	rm := NewRewardModel(m.Clone(), rng(8))
	prompts := [][]int{Prompt(tok, exs[0].Prompt), Prompt(tok, exs[1].Prompt)}
	one, s1 := BestOfN(m, rm, prompts, 1, 5, 1, rng(9))
	direct := Sample(m, prompts, 5, 1, rng(9))
	if !reflect.DeepEqual(one, direct) {
		t.Errorf("best of 1 %v differs from one sample %v", one, direct)
	}
	three, s3 := BestOfN(m, rm, prompts, 3, 5, 1, rng(9))
	again := rm.Score(autograd.NoGrad(), prompts, three).Value.Data
	for i := range prompts {
		if s3[i] < s1[i] {
			t.Errorf("prompt %d: best of 3 scored %g below best of 1 %g", i, s3[i], s1[i])
		}
		if !near(float64(again[i]), float64(s3[i]), 1e-5) {
			t.Errorf("prompt %d: reported score %g, rescored %g", i, s3[i], again[i])
		}
	}
}

func TestGoldScores(t *testing.T) {
	tok, _ := chatTok()
	exs := []Example{
		{Task: TaskReverse, Answer: "ih"},
		{Task: TaskReverse, Answer: "ih"},
		{Task: TaskReverse, Answer: "ih"},
	}
	comps := [][]int{Completion(tok, "ih"), Completion(tok, "ih. ok ok"), tok.Encode("hi")}
	got := GoldScores(Scorer{World: corpus.NewWorld(1)}, tok, exs, comps)
	if !reflect.DeepEqual(got, []float32{1, 0.5, 0}) {
		t.Errorf("GoldScores = %v, want [1 0.5 0]", got)
	}
}

// TestPPORaisesAStubReward trains a tiny policy over a vocabulary of 16 ids
// with a stub reward — the share of completion tokens equal to 7 — and checks
// that PPO raises it while the KL to the reference grows from zero.
func TestPPORaisesAStubReward(t *testing.T) {
	cfg := gpt.DefaultConfig(16)
	cfg.Context, cfg.Layers, cfg.Heads, cfg.DModel, cfg.DFF = 32, 1, 2, 16, 32
	m := gpt.New(cfg, rng(1))
	ref := m.Reference()
	ac := NewActorCritic(m, rng(2))
	prompts := [][]int{{0, 9}, {0, 10, 11}, {0, 12}}
	tc := PPOTrainConfig{
		PPOConfig: DefaultPPOConfig(), Updates: 25, BatchSize: 8, Epochs: 2,
		LR: 1e-2, ClipNorm: 1, MaxTokens: 6, Temperature: 1,
	}
	var logged int
	tc.Log = func(int, PPOStats) { logged++ }
	stats := TrainPPO(ac, ref, prompts, shareOf7, tc, rng(3))
	if logged != tc.Updates || len(stats) != tc.Updates {
		t.Fatalf("%d stats, %d log calls", len(stats), logged)
	}
	mean := func(ss []PPOStats, f func(PPOStats) float64) float64 {
		s := 0.0
		for _, x := range ss {
			s += f(x) / float64(len(ss))
		}
		return s
	}
	score := func(s PPOStats) float64 { return s.Rollout.Scores }
	early, late := mean(stats[:5], score), mean(stats[len(stats)-5:], score)
	if stats[0].Rollout.KL != 0 {
		t.Errorf("first rollout KL %g, want 0 (policy = reference)", stats[0].Rollout.KL)
	}
	if late < early+0.15 {
		t.Errorf("stub reward %.3f → %.3f: PPO did not raise it", early, late)
	}
	if stats[len(stats)-1].Rollout.KL <= 0 {
		t.Errorf("final KL %g, want > 0", stats[len(stats)-1].Rollout.KL)
	}
	t.Logf("share of 7s %.3f → %.3f; last update %v", early, late, stats[len(stats)-1].Map())
}

// TestKLCoefficientHoldsThePolicyBack runs the stub-reward PPO twice: a
// larger KL coefficient β must leave the policy closer to the reference.
func TestKLCoefficientHoldsThePolicyBack(t *testing.T) {
	finalKL := func(beta float64) float64 {
		cfg := gpt.DefaultConfig(16)
		cfg.Context, cfg.Layers, cfg.Heads, cfg.DModel, cfg.DFF = 32, 1, 2, 16, 32
		m := gpt.New(cfg, rng(1))
		ref := m.Reference()
		ac := NewActorCritic(m, rng(2))
		pc := DefaultPPOConfig()
		pc.KLCoef = beta
		tc := PPOTrainConfig{PPOConfig: pc, Updates: 20, BatchSize: 8, Epochs: 2, LR: 1e-2, ClipNorm: 1, MaxTokens: 6, Temperature: 1}
		stats := TrainPPO(ac, ref, [][]int{{0, 9}, {0, 10, 11}}, shareOf7, tc, rng(3))
		kl := 0.0
		for _, s := range stats[len(stats)-5:] {
			kl += s.Rollout.KL / 5
		}
		return kl
	}
	low, high := finalKL(0.01), finalKL(1)
	if !(high < 0.5*low) {
		t.Errorf("final KL %.3f with β = 1, %.3f with β = 0.01: the penalty did not hold the policy back", high, low)
	}
	t.Logf("final KL: β = 0.01 → %.3f, β = 1 → %.3f", low, high)
}

// shareOf7 is a stub reward: the share of a completion's tokens equal to 7.
func shareOf7(_, comps [][]int) []float32 {
	out := make([]float32, len(comps))
	for i, c := range comps {
		for _, id := range c {
			if id == 7 {
				out[i] += 1 / float32(len(c))
			}
		}
	}
	return out
}
