package countdown

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

func TestParseStep(t *testing.T) {
	tests := []struct {
		in   string
		want Step
		ok   bool
	}{
		{"25*4=100", Step{25, 4, 100, '*'}, true},
		{" 100 - 3 = 97 ", Step{100, 3, 97, '-'}, true},
		{"12/4=3", Step{12, 4, 3, '/'}, true},
		{"3+4=7", Step{3, 4, 7, '+'}, true},
		{"3+4=8", Step{}, false},  // wrong arithmetic
		{"3-4=-1", Step{}, false}, // negative intermediate
		{"4-4=0", Step{}, false},  // zero is not positive
		{"7/2=3", Step{}, false},  // not exact
		{"7/0=0", Step{}, false},
		{"-3+4=1", Step{}, false},
		{"3+=3", Step{}, false},
		{"=3", Step{}, false},
		{"3+4", Step{}, false},
		{"", Step{}, false},
		{"A:97", Step{}, false},
	}
	for _, tt := range tests {
		got, ok := ParseStep(tt.in)
		if got != tt.want || ok != tt.ok {
			t.Errorf("ParseStep(%q) = %v, %v; want %v, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func TestApply(t *testing.T) {
	st := Problem{Numbers: []int{50, 3, 25, 4}}.Start()
	tests := []struct {
		s    Step
		want State
		ok   bool
	}{
		{Step{25, 4, 100, '*'}, State{3, 50, 100}, true},
		{Step{50, 25, 2, '/'}, State{2, 3, 4}, true},
		{Step{3, 3, 9, '*'}, nil, false}, // only one 3
		{Step{7, 3, 10, '+'}, nil, false},
		{Step{25, 4, 99, '*'}, nil, false},
	}
	for _, tt := range tests {
		got, ok := st.Apply(tt.s)
		if !slices.Equal(got, tt.want) || ok != tt.ok {
			t.Errorf("Apply(%v) = %v, %v; want %v, %v", tt.s, got, ok, tt.want, tt.ok)
		}
	}
	if !slices.Equal(st, State{3, 4, 25, 50}) {
		t.Errorf("Apply changed its receiver: %v", st)
	}
}

// reachable enumerates, without memo and independently of Moves, every value
// some sequence of legal steps from nums can produce.
func reachable(nums []int, out map[int]bool) {
	for i := range nums {
		for j := range nums {
			if i == j {
				continue
			}
			rest := []int{}
			for k, x := range nums {
				if k != i && k != j {
					rest = append(rest, x)
				}
			}
			a, b := nums[i], nums[j]
			var vals []int
			vals = append(vals, a+b, a*b)
			if a > b {
				vals = append(vals, a-b)
			}
			if b != 0 && a%b == 0 {
				vals = append(vals, a/b)
			}
			for _, v := range vals {
				out[v] = true
				reachable(append(slices.Clone(rest), v), out)
			}
		}
	}
}

func TestSolvableHandMade(t *testing.T) {
	tests := []struct {
		nums   []int
		target int
		want   bool
	}{
		{[]int{2, 3}, 6, true},
		{[]int{2, 3}, 7, false},
		{[]int{4, 6}, 2, true},
		{[]int{1, 1}, 3, false},
		{[]int{1, 1, 1}, 3, true},
		{[]int{3, 4, 25, 50}, 97, true},
		{[]int{5}, 5, true}, // already holds it
		{[]int{5}, 6, false},
		{[]int{2, 2, 2}, 7, false},
		{[]int{2, 2, 2}, 8, true},
		{[]int{7, 7, 7, 7}, 1, true},
	}
	for _, tt := range tests {
		s := NewSolver(tt.target)
		st := Problem{Numbers: tt.nums}.Start()
		if got := s.Solvable(st); got != tt.want {
			t.Errorf("Solvable(%v → %d) = %v, want %v", tt.nums, tt.target, got, tt.want)
		}
		if tt.want && !slices.Contains(tt.nums, tt.target) {
			p := Problem{Numbers: tt.nums, Target: tt.target}
			if c := p.Completion(); !p.Verify(c) {
				t.Errorf("%v → %d: solver's completion %q does not verify", tt.nums, tt.target, c)
			}
		}
	}
}

func TestSolvableAgreesWithBruteForce(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 5))
	for trial := 0; trial < 60; trial++ {
		nums := make([]int, 2+rng.IntN(3))
		for i := range nums {
			nums[i] = 1 + rng.IntN(12)
		}
		vals := map[int]bool{}
		reachable(nums, vals)
		for target := 1; target <= 60; target++ {
			want := vals[target] || slices.Contains(nums, target)
			if got := NewSolver(target).Solvable(Problem{Numbers: nums}.Start()); got != want {
				t.Fatalf("Solvable(%v → %d) = %v, brute force says %v", nums, target, got, want)
			}
		}
	}
}

func TestVerify(t *testing.T) {
	p := Problem{Numbers: []int{3, 4, 25, 50}, Target: 97}
	tests := []struct {
		name, completion string
		want             bool
	}{
		{"right", "25*4=100\n100-3=97\nA:97\n", true},
		{"right, spaces and think", "<think>\n 25 * 4 = 100\n100-3=97\n</think>\nA:97\n", true},
		{"target reached early, rest unused", "50+50=100\n", false},
		{"reuses a number", "25*4=100\n100-3=97\n97+3=100\nA:97\n", false},
		{"number not given", "25*4=100\n100-5=95\nA:97\n", false},
		{"bad arithmetic", "25*4=100\n100-3=98\nA:97\n", false},
		{"last step misses target", "25*4=100\n100+3=103\nA:97\n", false},
		{"overshoot then stop", "25*4=100\n100-3=97\n97+4=101\nA:97\n", false},
		{"wrong answer line", "25*4=100\n100-3=97\nA:96\n", false},
		{"no answer line", "25*4=100\n100-3=97\n", false},
		{"answer only", "A:97\n", false},
		{"garbage", "hello\nA:97\n", false},
		{"empty", "", false},
	}
	for _, tt := range tests {
		if got := p.Verify(tt.completion); got != tt.want {
			t.Errorf("%s: Verify = %v, want %v", tt.name, got, tt.want)
		}
		want := 0.0
		if tt.want {
			want = 1
		}
		if got := p.Reward(tt.completion); got != want {
			t.Errorf("%s: Reward = %v, want %v (wrong must earn 0)", tt.name, got, want)
		}
	}
}

func TestStepLabels(t *testing.T) {
	p := Problem{Numbers: []int{2, 3, 5}, Target: 25}
	tests := []struct {
		steps []string
		want  []bool
	}{
		{[]string{"2+3=5", "5*5=25"}, []bool{true, true}},
		{[]string{"2*3=6", "6+5=11"}, []bool{false, false}}, // {5,6} cannot make 25
		{[]string{"3-2=1", "5*1=5"}, []bool{false, false}},  // {1,5}: 6, 4, 5, 5 — no 25
		{[]string{"5*5=25"}, []bool{false}},                 // only one 5: illegal
		{[]string{"2+3=5", "oops", "5*5=25"}, []bool{true, false, false}},
		{nil, []bool{}},
	}
	for _, tt := range tests {
		if got := p.StepLabels(tt.steps, NewSolver(p.Target)); !slices.Equal(got, tt.want) {
			t.Errorf("StepLabels(%q) = %v, want %v", tt.steps, got, tt.want)
		}
	}
}

func TestDoneAndOracleValue(t *testing.T) {
	p := Problem{Numbers: []int{2, 3, 5}, Target: 25}
	s := NewSolver(p.Target)
	tests := []struct {
		steps []string
		done  bool
		value float64
	}{
		{nil, false, 1},
		{[]string{"2+3=5"}, false, 1},
		{[]string{"2+3=5", "5*5=25"}, false, 1}, // target reached: the answer line is still due
		{[]string{"2+3=5", "5*5=25", "A:25"}, true, 1},
		{[]string{"2*3=6"}, false, 0},
		{[]string{"2*3=6", "6+5=11"}, true, 0},
		{[]string{"A:25"}, true, 0},
		{[]string{"nonsense"}, true, 0},
	}
	for _, tt := range tests {
		if got := p.Done(tt.steps); got != tt.done {
			t.Errorf("Done(%q) = %v, want %v", tt.steps, got, tt.done)
		}
		if got := p.OracleValue(tt.steps, s); got != tt.value {
			t.Errorf("OracleValue(%q) = %v, want %v", tt.steps, got, tt.value)
		}
	}
}

func TestParsePrompt(t *testing.T) {
	p := Problem{Numbers: []int{3, 4, 25, 50}, Target: 97}
	got, steps, ok := ParsePrompt(p.Prompt() + "25*4=100\n")
	if !ok || !slices.Equal(got.Numbers, p.Numbers) || got.Target != 97 || !slices.Equal(steps, []string{"25*4=100"}) {
		t.Errorf("ParsePrompt = %v, %q, %v", got, steps, ok)
	}
	for _, bad := range []string{"", "N:3 4", "N:3 x T:5\n", "M:3 T:4\n", "N:3 T:\n"} {
		if _, _, ok := ParsePrompt(bad); ok {
			t.Errorf("ParsePrompt(%q) ok", bad)
		}
	}
}

func TestGenerate(t *testing.T) {
	cfg := Config{Count: 4, MaxNumber: 12, TargetMin: 10, TargetMax: 99, Solvable: true}
	a := Generate(rand.New(rand.NewPCG(1, 1)), cfg, Train, 40)
	b := Generate(rand.New(rand.NewPCG(1, 1)), cfg, Train, 40)
	if fmt.Sprint(a) != fmt.Sprint(b) {
		t.Fatal("same seed gave different puzzles")
	}
	held := Generate(rand.New(rand.NewPCG(2, 2)), cfg, HeldOut, 40)
	seen := map[string]bool{}
	for _, p := range a {
		k := fmt.Sprint(p.Start(), p.Target)
		seen[k] = true
		if len(p.Numbers) != 4 || p.Target < 10 || p.Target > 99 || slices.Contains(p.Numbers, p.Target) {
			t.Fatalf("puzzle %v outside the config", p)
		}
		if !p.Verify(p.Completion()) {
			t.Fatalf("%v: generated as solvable but its completion %q fails", p, p.Completion())
		}
	}
	for _, p := range held {
		if seen[fmt.Sprint(p.Start(), p.Target)] {
			t.Fatalf("%v in both splits", p)
		}
		if SplitOf(p) != HeldOut {
			t.Fatalf("%v: SplitOf = %d", p, SplitOf(p))
		}
	}
	un := Generate(rand.New(rand.NewPCG(3, 3)), Config{Count: 3, MaxNumber: 5, TargetMin: 50, TargetMax: 99, Unsolvable: true}, Train, 10)
	for _, p := range un {
		if NewSolver(p.Target).Solvable(p.Start()) {
			t.Fatalf("%v generated as unsolvable but is solvable", p)
		}
	}
}

func FuzzVerify(f *testing.F) {
	p := Problem{Numbers: []int{3, 4, 25, 50}, Target: 97}
	f.Add("25*4=100\n100-3=97\nA:97\n")
	f.Add("1/0=0\nA:97")
	f.Add("-9223372036854775808/-1=1\n")
	f.Fuzz(func(t *testing.T, s string) {
		if p.Verify(s) {
			st, reached, ok := p.StateAfter(ParseSteps(s))
			if !ok || !reached || len(st) == 0 {
				t.Fatalf("Verify(%q) true but StateAfter = %v, %v, %v", s, st, reached, ok)
			}
		}
		_ = p.StepLabels(ParseSteps(s), NewSolver(p.Target))
		_, _, _ = ParsePrompt(s)
		_ = p.Done(strings.Split(s, "\n"))
	})
}

func ExampleProblem_Verify() {
	p := Problem{Numbers: []int{3, 4, 25, 50}, Target: 97}
	fmt.Print(p.Prompt())
	fmt.Println(p.Verify("25*4=100\n100-3=97\nA:97\n"), p.Verify("50+50=100\n100-3=97\nA:97\n"))
	fmt.Println(p.StepLabels([]string{"25*4=100", "100*3=300"}, NewSolver(p.Target)))
	// Output:
	// N:3 4 25 50 T:97
	// true false
	// [true false]
}
