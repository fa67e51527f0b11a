package reason_test

import (
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"

	"transformers/reason"
	"transformers/reason/arith"
	"transformers/reason/countdown"
)

// alternating proposes "L", "R", "L", "R", … regardless of the prompt, so
// every expansion with K = 2 sees both moves in that order.
func alternating() reason.Sampler {
	n := 0
	return reason.SamplerFunc(func(string, *rand.Rand) string {
		n++
		if n%2 == 1 {
			return "L\n"
		}
		return "R"
	})
}

// toyScorer values a path on the binary toy tree whose only good leaf is
// R-L-R: an exact scorer gives 1 to prefixes of it and 0 otherwise; an
// optimistic one gives every unfinished path 0.5 and only the leaf RLR 1.
func toyScorer(exact bool) reason.Scorer {
	best := []string{"R", "L", "R"}
	return reason.ScorerFunc(func(_ string, steps []string) float64 {
		if len(steps) == 3 {
			if slices.Equal(steps, best) {
				return 1
			}
			return 0
		}
		if !exact {
			return 0.5
		}
		if slices.Equal(steps, best[:len(steps)]) {
			return 1
		}
		return 0
	})
}

func toySearch(exact bool) *reason.StepSearch {
	return &reason.StepSearch{
		Propose: alternating(), Score: toyScorer(exact),
		Done: func(s []string) bool { return len(s) == 3 },
		K:    2, Beam: 1, MaxDepth: 3, Threshold: 0.75,
	}
}

func TestTreeSearchToy(t *testing.T) {
	tests := []struct {
		name                     string
		run                      func(*reason.StepSearch, *rand.Rand) reason.SearchResult
		exact                    bool
		threshold                float64
		propose, score, backtrks int
	}{
		// BFS, beam 1, exact scorer: three expansions of two proposals.
		{"BFS exact", (*reason.StepSearch).BFS, true, 0.75, 6, 6, 0},
		// DFS, exact scorer prunes every wrong prefix: no backtracking.
		{"DFS exact", (*reason.StepSearch).DFS, true, 0.75, 6, 6, 0},
		// DFS, optimistic scorer (0.5 everywhere, threshold 0.5): it walks
		// L-L, L-R, back out of L, then R-L, where it finds R-L-R:
		// expansions root, L, LL, LR, R, RL; backtracks at LL, LR and L.
		{"DFS optimistic", (*reason.StepSearch).DFS, false, 0.5, 12, 12, 3},
	}
	for _, tt := range tests {
		s := toySearch(tt.exact)
		s.Threshold = tt.threshold
		r := tt.run(s, rand.New(rand.NewPCG(1, 1)))
		if !r.Found || !slices.Equal(r.Steps, []string{"R", "L", "R"}) {
			t.Errorf("%s: found %v steps %q, want R L R", tt.name, r.Found, r.Steps)
		}
		if r.ProposeCalls != tt.propose || r.ScoreCalls != tt.score || r.Backtracks != tt.backtrks {
			t.Errorf("%s: %d proposals, %d scores, %d backtracks; want %d, %d, %d",
				tt.name, r.ProposeCalls, r.ScoreCalls, r.Backtracks, tt.propose, tt.score, tt.backtrks)
		}
	}
	// BFS with the optimistic scorer and beam 1 keeps the first child (L)
	// and can never reach R-L-R: it reports the best it saw, not a find.
	s := toySearch(false)
	s.Threshold = 0.75
	if r := s.BFS(rand.New(rand.NewPCG(1, 1))); r.Found {
		t.Errorf("beam-1 BFS with an uninformative scorer should miss, got %q", r.Steps)
	}
	s = toySearch(false)
	s.Threshold, s.Beam = 0.75, 4
	if r := s.BFS(rand.New(rand.NewPCG(1, 1))); !r.Found || !slices.Equal(r.Steps, []string{"R", "L", "R"}) {
		t.Errorf("beam-4 BFS covers the whole tree and should find R L R, got %v %q", r.Found, r.Steps)
	}
}

func countdownPuzzles(n int) []countdown.Problem {
	return countdown.Generate(rand.New(rand.NewPCG(21, 0)),
		countdown.Config{Count: 4, MaxNumber: 12, TargetMin: 20, TargetMax: 99, Solvable: true}, countdown.HeldOut, n)
}

func oracle(p countdown.Problem) reason.Scorer {
	solver := countdown.NewSolver(p.Target)
	return reason.ScorerFunc(func(_ string, steps []string) float64 { return p.OracleValue(steps, solver) })
}

// TestTreeOfThoughtsBeatsGreedy: on solvable countdown puzzles, a step
// proposer that picks a good step only 30 % of the time (random legal steps
// otherwise, junk 5 %) rarely solves them in one greedy chain;
// tree of thoughts with the exact oracle evaluator solves (almost) all, at a
// measured number of model calls.
func TestTreeOfThoughtsBeatsGreedy(t *testing.T) {
	puzzles := countdownPuzzles(40)
	step := countdownStep(0.3, 0.05)
	type tally struct{ solved, calls int }
	var greedy, bfs, dfs, resample tally
	missedByGreedy := 0
	for i, p := range puzzles {
		rng := rand.New(rand.NewPCG(5, uint64(i)))
		s := &reason.StepSearch{Prompt: p.Prompt(), Propose: step, Score: oracle(p), Done: p.Done,
			K: 8, Beam: 2, MaxDepth: 5, Threshold: 0.5, MaxCalls: 400}
		g := s.Greedy(rng)
		gOK := p.Verify(reason.Join(g.Steps))
		if gOK {
			greedy.solved++
		}
		greedy.calls += g.Calls()
		b := s.BFS(rng)
		if b.Found != p.Verify(reason.Join(b.Steps)) {
			t.Fatalf("%v: BFS Found=%v disagrees with Verify of %q", p, b.Found, b.Steps)
		}
		if b.Found {
			bfs.solved++
			if !gOK {
				missedByGreedy++
			}
		}
		bfs.calls += b.Calls()
		// Equal compute: whole chains sampled until BFS's call count is
		// spent, solved if any chain verifies (pass@N with a verifier).
		for spent, hit := 0, false; spent < b.Calls() && !hit; {
			g := s.Greedy(rng)
			spent += g.Calls()
			resample.calls += g.Calls()
			if hit = p.Verify(reason.Join(g.Steps)); hit {
				resample.solved++
			}
		}
		d := s.DFS(rng)
		if d.Found && p.Verify(reason.Join(d.Steps)) {
			dfs.solved++
		}
		dfs.calls += d.Calls()
	}
	n := float64(len(puzzles))
	var tab reason.Table
	tab.Header = []string{"method", "solved", "calls/puzzle"}
	tab.Add("greedy chain", float64(greedy.solved)/n, float64(greedy.calls)/n)
	tab.Add("ToT BFS (K=8, b=2, oracle)", float64(bfs.solved)/n, float64(bfs.calls)/n)
	tab.Add("ToT DFS (K=8, oracle)", float64(dfs.solved)/n, float64(dfs.calls)/n)
	tab.Add("chains + verifier, budget = BFS calls", float64(resample.solved)/n, float64(resample.calls)/n)
	t.Logf("40 held-out solvable countdown puzzles (4 numbers ≤ 12, target 20..99):\n%s", tab.String())
	if greedy.solved > len(puzzles)/2 {
		t.Errorf("greedy solved %d/%d; the stub should rarely succeed", greedy.solved, len(puzzles))
	}
	if bfs.solved < len(puzzles)*9/10 || dfs.solved < len(puzzles)*9/10 {
		t.Errorf("ToT solved BFS %d, DFS %d of %d; want ≥ 90 %%", bfs.solved, dfs.solved, len(puzzles))
	}
	if missedByGreedy == 0 {
		t.Error("no puzzle that greedy missed was solved by ToT")
	}
	if bfs.calls <= greedy.calls {
		t.Errorf("ToT should cost more calls than greedy: %d vs %d", bfs.calls, greedy.calls)
	}
}

func TestBestOfN(t *testing.T) {
	problems := heldOutArith(100)
	tests := []struct {
		name   string
		n      int
		scorer func(reason.Problem) reason.Scorer
		lo, hi float64
	}{
		// With an exact verifier best-of-N is pass@N: 1 − 0.7^N.
		{"verifier N=1", 1, reason.VerifierScorer, 0.2, 0.4},
		{"verifier N=8", 8, reason.VerifierScorer, 0.9, 1},
		// A flawed scorer that prefers larger answers picks a wrong
		// answer whenever one is sampled: more samples hurt
		// (over-optimisation).
		{"bigger-is-better N=1", 1, biggest, 0.2, 0.4},
		{"bigger-is-better N=8", 8, biggest, 0, 0.05},
	}
	for _, tt := range tests {
		pt := reason.Run(tt.name, tt.n, problems, func(p reason.Problem, rng *rand.Rand) (string, int) {
			c := reason.Count(arithStub(0.3, 4))
			out, _ := reason.BestOfN(p, c, tt.n, tt.scorer(p), rng)
			return out, c.Calls()
		}, 4)
		if pt.Accuracy < tt.lo || pt.Accuracy > tt.hi || pt.Calls != float64(tt.n) {
			t.Errorf("%s: accuracy %.3f (want %.2f..%.2f), calls %.1f", tt.name, pt.Accuracy, tt.lo, tt.hi, pt.Calls)
		}
	}
}

func biggest(reason.Problem) reason.Scorer {
	return reason.ScorerFunc(func(_ string, lines []string) float64 {
		a, ok := arith.ParseAnswer(reason.Join(lines))
		if !ok {
			return 0
		}
		n, _ := strconv.Atoi(a)
		return float64(n)
	})
}

func TestRolloutLabels(t *testing.T) {
	p := countdown.Problem{Numbers: []int{2, 3, 5}, Target: 25}
	// From "2+3=5" the stub's legal moves on {5,5} are 5+5, 5*5 (5-5 and 5/5
	// give 0 and 1; 5/5=1 is legal): the label estimates the chance of
	// picking 5*5. From "2*3=6" nothing reaches 25.
	labels := reason.RolloutLabels(p, []string{"2+3=5", "2*3=6"}[:1], countdownChain(countdownStep(0, 0), 4), 400, rand.New(rand.NewPCG(1, 2)))
	if labels[0] < 0.25 || labels[0] > 0.42 {
		t.Errorf("rollout label after 2+3=5 = %.3f, want ≈ 1/3", labels[0])
	}
	bad := reason.RolloutLabels(p, []string{"2*3=6", "6+5=11"}, countdownChain(countdownStep(0, 0), 4), 50, rand.New(rand.NewPCG(1, 2)))
	if bad[0] != 0 || bad[1] != 0 {
		t.Errorf("labels of a dead-end prefix = %v, want zeros", bad)
	}
	if !strings.HasPrefix(reason.StepPrompt(p.Prompt(), []string{"x"}), p.Prompt()) {
		t.Error("StepPrompt must extend the prompt")
	}
}
