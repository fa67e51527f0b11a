package reason_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"transformers/reason"
	"transformers/reason/arith"
)

// bruteForcePassAtK enumerates every k-subset of n samples of which the
// first c are correct and returns the share that holds a correct one.
func bruteForcePassAtK(n, c, k int) float64 {
	hit, total := 0, 0
	for mask := 0; mask < 1<<n; mask++ {
		bits, good := 0, false
		for i := 0; i < n; i++ {
			if mask&(1<<i) != 0 {
				bits++
				if i < c {
					good = true
				}
			}
		}
		if bits != k {
			continue
		}
		total++
		if good {
			hit++
		}
	}
	return float64(hit) / float64(total)
}

func TestPassAtKBruteForce(t *testing.T) {
	for n := 1; n <= 10; n++ {
		for c := 0; c <= n; c++ {
			for k := 1; k <= n; k++ {
				got, want := reason.PassAtK(n, c, k), bruteForcePassAtK(n, c, k)
				if math.Abs(got-want) > 1e-12 {
					t.Fatalf("PassAtK(%d, %d, %d) = %v, brute force %v", n, c, k, got, want)
				}
			}
		}
	}
	tests := []struct {
		n, c, k int
		want    float64
	}{
		{10, 3, 1, 0.3},
		{100, 0, 10, 0},
		{100, 100, 1, 1},
		{200, 1, 200, 1},
	}
	for _, tt := range tests {
		if got := reason.PassAtK(tt.n, tt.c, tt.k); math.Abs(got-tt.want) > 1e-12 {
			t.Errorf("PassAtK(%d, %d, %d) = %v, want %v", tt.n, tt.c, tt.k, got, tt.want)
		}
	}
}

func TestMajorityVote(t *testing.T) {
	tests := []struct {
		name    string
		answers []string
		ok      []bool
		want    int
	}{
		{"plurality", []string{"5", "7", "7", "5", "7"}, []bool{true, true, true, true, true}, 1},
		{"tie goes to the answer seen first", []string{"7", "5", "5", "7"}, []bool{true, true, true, true}, 0},
		{"tie, other order", []string{"5", "7", "7", "5"}, []bool{true, true, true, true}, 0},
		{"late overtake", []string{"1", "2", "2"}, []bool{true, true, true}, 1},
		{"unparsed do not vote", []string{"", "", "", "9"}, []bool{false, false, false, true}, 3},
		{"unparsed text equal to an answer still does not vote", []string{"3", "3", "4"}, []bool{false, false, true}, 2},
		{"nothing parsed", []string{"", ""}, []bool{false, false}, -1},
		{"empty", nil, nil, -1},
	}
	for _, tt := range tests {
		if got := reason.MajorityVote(tt.answers, tt.ok); got != tt.want {
			t.Errorf("%s: MajorityVote = %d, want %d", tt.name, got, tt.want)
		}
	}
}

func heldOutArith(n int) []reason.Problem {
	ps := arith.Generate(rand.New(rand.NewPCG(11, 0)), arith.Config{Op: arith.Add, MinDigits: 2, MaxDigits: 3}, arith.HeldOut, n)
	out := make([]reason.Problem, len(ps))
	for i, p := range ps {
		out[i] = p
	}
	return out
}

// TestMajorityRisesWithK: a stub right 60 % of the time, its wrong answers
// spread over five values, gets more accurate under majority vote as k grows,
// while pass@k follows 1 − 0.4^k.
func TestMajorityRisesWithK(t *testing.T) {
	problems := heldOutArith(200)
	s := reason.Collect(problems, arithStub(0.6, 5), 32, 1, arith.ParseAnswer)
	if s.Calls != 200*32 {
		t.Fatalf("Calls = %d, want %d", s.Calls, 200*32)
	}
	var tab reason.Table
	tab.Header = []string{"k", "pass@k", "1-0.4^k", "maj@k"}
	prev := 0.0
	for _, k := range []int{1, 2, 4, 8, 16, 32} {
		pass, maj := s.PassAtK(k), s.MajAtK(k)
		tab.Add(k, pass, 1-math.Pow(0.4, float64(k)), maj)
		if math.Abs(pass-(1-math.Pow(0.4, float64(k)))) > 0.03 {
			t.Errorf("pass@%d = %.3f, want ≈ %.3f", k, pass, 1-math.Pow(0.4, float64(k)))
		}
		if k != 2 && maj <= prev {
			t.Errorf("maj@%d = %.3f did not rise above %.3f", k, maj, prev)
		}
		prev = maj
	}
	t.Logf("stub right 60%%, 200 held-out problems, 32 samples each:\n%s", tab.String())
	if m1 := s.MajAtK(1); math.Abs(m1-0.6) > 0.03 {
		t.Errorf("maj@1 = %.3f, want ≈ 0.6", m1)
	}
	if m32 := s.MajAtK(32); m32 < 0.98 {
		t.Errorf("maj@32 = %.3f, want ≥ 0.98", m32)
	}
	// A stub right only 15 % of the time, its wrong answers concentrated on
	// one value: voting makes it worse.
	bad := reason.Collect(problems, arithStub(0.15, 1), 16, 1, arith.ParseAnswer)
	if bad.MajAtK(16) >= bad.MajAtK(1) {
		t.Errorf("concentrated wrong answers: maj@16 %.3f should fall below maj@1 %.3f", bad.MajAtK(16), bad.MajAtK(1))
	}
}

func TestCollectIsSeeded(t *testing.T) {
	problems := heldOutArith(20)
	a := reason.Collect(problems, arithStub(0.5, 3), 4, 9, arith.ParseAnswer)
	b := reason.Collect(problems, arithStub(0.5, 3), 4, 9, arith.ParseAnswer)
	c := reason.Collect(problems, arithStub(0.5, 3), 4, 10, arith.ParseAnswer)
	if fmt.Sprint(a.Completions) != fmt.Sprint(b.Completions) {
		t.Error("same seed, different samples")
	}
	if fmt.Sprint(a.Completions) == fmt.Sprint(c.Completions) {
		t.Error("different seeds, same samples")
	}
}

func TestRunCountsCalls(t *testing.T) {
	problems := heldOutArith(50)
	for _, k := range []int{1, 5, 9} {
		sc := reason.Count(arithStub(0.6, 5))
		pt := reason.Run("self-consistency", k, problems, func(p reason.Problem, rng *rand.Rand) (string, int) {
			before := sc.Calls()
			c := reason.SelfConsistency(p, sc, k, arith.ParseAnswer, rng)
			return c, sc.Calls() - before
		}, 3)
		if pt.Calls != float64(k) {
			t.Errorf("k=%d: %.1f calls per problem, want %d", k, pt.Calls, k)
		}
		if sc.Calls() != 50*k {
			t.Errorf("k=%d: counter says %d calls, want %d", k, sc.Calls(), 50*k)
		}
	}
}

func TestTable(t *testing.T) {
	var tab reason.Table
	tab.Header = []string{"method", "N", "accuracy", "calls"}
	tab.Add("best-of-N", 1, 0.25, "1.0")
	tab.Add("best-of-N (verifier)", 16, 0.9375, "16.0")
	tab.AddPoints(reason.Point{Method: "ToT BFS", Budget: 3, Accuracy: 1, Calls: 41.25})
	want := "" +
		"method                 N  accuracy  calls\n" +
		"--------------------  --  --------  -----\n" +
		"best-of-N              1     0.250    1.0\n" +
		"best-of-N (verifier)  16     0.938   16.0\n" +
		"ToT BFS                3     1.000   41.2\n"
	if got := tab.String(); got != want {
		t.Errorf("table:\n%s\nwant:\n%s", got, want)
	}
}

func ExamplePassAtK() {
	// 10 samples, 3 correct: the chance that k random ones include a correct one.
	for _, k := range []int{1, 2, 5} {
		fmt.Printf("pass@%d = %.3f\n", k, reason.PassAtK(10, 3, k))
	}
	fmt.Println(reason.MajorityVote([]string{"12", "15", "15", "12", "7"}, []bool{true, true, true, true, true}))
	// Output:
	// pass@1 = 0.300
	// pass@2 = 0.533
	// pass@5 = 0.917
	// 0
}
