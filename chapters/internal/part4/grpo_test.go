package part4

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"transformers/gpt"
	"transformers/nn"
	"transformers/reason"
)

// digitFirst is a toy verifiable task: a completion is right when it starts
// with a digit, which an untrained model rarely writes.
type digitFirst string

func (p digitFirst) Prompt() string { return string(p) }
func (p digitFirst) Verify(c string) bool {
	return c != "" && strings.ContainsRune("0123456789", rune(c[0]))
}

func newGRPO(t *testing.T, lr float64, beta float32, updates int) *GRPO {
	t.Helper()
	tok := Tokenizer()
	mc := gpt.DefaultConfig(tok.VocabSize())
	mc.Context, mc.Layers, mc.DModel, mc.DFF, mc.Heads = 16, 1, 16, 64, 4
	m := gpt.New(mc, rand.New(rand.NewPCG(3, 3)))
	pol := m.Clone()
	tr := &GRPO{Policy: pol, Ref: m.Reference(), Tok: tok,
		Opt:   nn.NewAdamW(nn.DecayGroups(pol.Parameters(), 0), lr),
		Loss:  reason.GRPOConfig{Clip: 0.2, Beta: beta, KL: reason.K3, Agg: reason.PerSequence},
		Group: 8, Updates: updates, MaxTokens: 4, Temperature: 1, Eps: 1e-4, GradClip: 1}
	if err := tr.Validate(); err != nil {
		t.Fatal(err)
	}
	return tr
}

func toyBatch() []reason.Problem {
	return []reason.Problem{digitFirst("12+3\n"), digitFirst("4+5\n"), digitFirst("7*8\n"), digitFirst("9-1\n")}
}

// TestGRPOFirstStep: at the first step the policy is the reference (KL 0)
// and the sampling policy (ratio 1, nothing clipped, with one update); the
// logged statistics agree with the samples.
func TestGRPOFirstStep(t *testing.T) {
	tr := newGRPO(t, 1e-2, 0.1, 1)
	st := tr.Step(toyBatch(), rand.New(rand.NewPCG(1, 2)))
	if st.KL != 0 || st.ClipFrac != 0 {
		t.Errorf("first step: KL %v, clip fraction %v; want exactly 0", st.KL, st.ClipFrac)
	}
	if len(st.Rewards) != 32 || len(st.Samples) != 32 {
		t.Fatalf("%d rewards, %d samples; want 32", len(st.Rewards), len(st.Samples))
	}
	mean, zero := 0.0, 0
	for g := range 4 {
		same := true
		for i := g * 8; i < g*8+8; i++ {
			r := st.Rewards[i]
			if r != 0 && r != 1 || (r == 1) != toyBatch()[g].Verify(st.Samples[i]) {
				t.Errorf("sample %q has reward %v", st.Samples[i], r)
			}
			mean += r / 32
			same = same && r == st.Rewards[g*8]
		}
		if same {
			zero++
		}
	}
	if math.Abs(st.Reward-mean) > 1e-12 || st.FracZeroStd != float64(zero)/4 {
		t.Errorf("reward %v, frac_reward_zero_std %v; recomputed %v, %v", st.Reward, st.FracZeroStd, mean, float64(zero)/4)
	}
	if st.Length < 1 || st.Length > 4 {
		t.Errorf("mean length %v outside [1, MaxTokens 4]", st.Length)
	}
	// A second update on the same samples moves the ratio off 1; the
	// policy has moved away from the reference.
	tr.Updates = 2
	st = tr.Step(toyBatch(), rand.New(rand.NewPCG(1, 3)))
	if !(st.KL > 0) {
		t.Errorf("second step: KL %v, want > 0 after an update", st.KL)
	}
}

// TestGRPOLearns: rewarding completions that start with a digit, a few
// GRPO steps raise the reward well above its starting rate (a digit is 10
// of the several hundred tokens an untrained model picks from).
func TestGRPOLearns(t *testing.T) {
	tr := newGRPO(t, 1e-2, 0, 2)
	rng := rand.New(rand.NewPCG(5, 5))
	var first, last float64
	for step := range 40 {
		st := tr.Step(toyBatch(), rng)
		if step < 5 {
			first += st.Reward / 5
		}
		if step >= 35 {
			last += st.Reward / 5
		}
	}
	t.Logf("reward %.3f → %.3f", first, last)
	if !(last > first+0.3) {
		t.Errorf("reward %.3f over the first 5 steps, %.3f over the last 5: GRPO does not learn", first, last)
	}
}

func TestGRPOValidate(t *testing.T) {
	for _, f := range []func(*GRPO){
		func(g *GRPO) { g.Group = 1 },
		func(g *GRPO) { g.Updates = 0 },
		func(g *GRPO) { g.Loss.KL = 0 },
		func(g *GRPO) { g.Loss.Clip = 0 },
		func(g *GRPO) { g.Temperature = 0 },
	} {
		g := &GRPO{Loss: reason.GRPOConfig{Clip: 0.2, KL: reason.K1}, Group: 4, Updates: 1, MaxTokens: 4, Temperature: 1}
		f(g)
		if g.Validate() == nil {
			t.Errorf("%+v: no error", g)
		}
	}
}
