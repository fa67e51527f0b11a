package reason_test

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"transformers/reason"
)

func TestPUCT(t *testing.T) {
	if got, want := reason.PUCT(0.5, 0.25, 16, 1, 2), 0.5+2*0.25*4/2; math.Abs(got-want) > 1e-12 {
		t.Errorf("PUCT = %v, want %v", got, want)
	}
	tests := []struct {
		name   string
		kids   []reason.ChildStats
		parent int
		c      float64
		want   int
	}{
		// Unvisited: the prior decides.
		{"prior", []reason.ChildStats{{Prior: 0.2}, {Prior: 0.7}, {Prior: 0.1}}, 0, 1, 1},
		{"prior with N=1", []reason.ChildStats{{Prior: 0.2}, {Prior: 0.7}, {Prior: 0.1}}, 1, 1, 1},
		// Exploitation: mean value 0.9 beats a larger prior with value 0.
		{"value", []reason.ChildStats{{Prior: 0.5, Visits: 10, Value: 9}, {Prior: 0.5, Visits: 10, Value: 0}}, 20, 1, 0},
		// Exploration: a well-visited good child loses to an unvisited one
		// once c·p·√N outweighs the gap: 0.6 + 0.45·√100/11 = 1.01 < 0.5·10 = 5.
		{"exploration", []reason.ChildStats{{Prior: 0.9, Visits: 10, Value: 6}, {Prior: 0.1, Visits: 0}}, 100, 5, 1},
		// c = 0: pure greedy on the mean (unvisited count as 0).
		{"greedy", []reason.ChildStats{{Prior: 0.9, Visits: 10, Value: 6}, {Prior: 0.1, Visits: 0}}, 100, 0, 0},
		// Ties go to the lowest index.
		{"tie", []reason.ChildStats{{Prior: 0.5}, {Prior: 0.5}}, 4, 1, 0},
		{"none", nil, 4, 1, -1},
	}
	for _, tt := range tests {
		if got := reason.SelectPUCT(tt.kids, tt.parent, tt.c); got != tt.want {
			t.Errorf("%s: SelectPUCT = %d, want %d", tt.name, got, tt.want)
		}
	}
}

// TestMCTSToy: on the binary L/R tree whose only rewarded leaf is R-L-R, MCTS
// with the exact prefix value finds it; with rollouts and a leaf-only reward
// it finds it too, given iterations.
func TestMCTSToy(t *testing.T) {
	leaf := reason.ScorerFunc(func(_ string, s []string) float64 {
		if slices.Equal(s, []string{"R", "L", "R"}) {
			return 1
		}
		return 0
	})
	tests := []struct {
		name  string
		value reason.Scorer
		iters int
	}{
		{"value from scorer", toyScorer(true), 12},
		{"value from rollouts", nil, 30},
	}
	for _, tt := range tests {
		m := &reason.MCTS{Propose: alternating(), Value: tt.value, Reward: leaf,
			Done: func(s []string) bool { return len(s) == 3 }, K: 2, C: 1.5, Iterations: tt.iters, MaxDepth: 3}
		r := m.Search(rand.New(rand.NewPCG(2, 2)))
		if !r.Found || r.Reward != 1 || !slices.Equal(r.Steps, []string{"R", "L", "R"}) {
			t.Errorf("%s: found %v reward %v steps %q", tt.name, r.Found, r.Reward, r.Steps)
		}
		if r.ProposeCalls == 0 || r.ScoreCalls == 0 || r.Nodes < 4 {
			t.Errorf("%s: implausible counts %+v", tt.name, r)
		}
	}
}

// TestMCTSCountdown compares MCTS (PUCT, value from the exact oracle) with
// best-of-N whole chains under the verifier at equal model calls.
func TestMCTSCountdown(t *testing.T) {
	puzzles := countdownPuzzles(30)
	step := countdownStep(0.3, 0.05)
	mctsSolved, mctsCalls, bonSolved, bonCalls := 0, 0, 0, 0
	for i, p := range puzzles {
		rng := rand.New(rand.NewPCG(8, uint64(i)))
		m := &reason.MCTS{Prompt: p.Prompt(), Propose: step, Value: oracle(p), Reward: reason.VerifierScorer(p),
			Done: p.Done, K: 6, C: 1, Iterations: 20, MaxDepth: 5}
		r := m.Search(rng)
		if r.Found && r.Reward == 1 {
			if !p.Verify(reason.Join(r.Steps)) {
				t.Fatalf("%v: MCTS reward 1 but %q does not verify", p, r.Steps)
			}
			mctsSolved++
		}
		mctsCalls += r.Calls()
		s := &reason.StepSearch{Prompt: p.Prompt(), Propose: step, Done: p.Done, MaxDepth: 5}
		for spent, hit := 0, false; spent < r.Calls() && !hit; {
			g := s.Greedy(rng)
			spent += g.Calls() + 1 // the verifier call
			bonCalls += g.Calls() + 1
			if hit = p.Verify(reason.Join(g.Steps)); hit {
				bonSolved++
			}
		}
	}
	n := float64(len(puzzles))
	var tab reason.Table
	tab.Header = []string{"method", "solved", "calls/puzzle"}
	tab.Add("MCTS (K=6, 20 iterations, oracle value)", float64(mctsSolved)/n, float64(mctsCalls)/n)
	tab.Add("chains + verifier, budget = MCTS calls", float64(bonSolved)/n, float64(bonCalls)/n)
	t.Logf("30 held-out countdown puzzles:\n%s", tab.String())
	if mctsSolved < len(puzzles)*8/10 {
		t.Errorf("MCTS solved %d/%d, want ≥ 80 %%", mctsSolved, len(puzzles))
	}
}
