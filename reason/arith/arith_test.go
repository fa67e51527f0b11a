package arith

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"
)

func TestGoldSteps(t *testing.T) {
	tests := []struct {
		p    Problem
		want []string
	}{
		{Problem{A: 478, B: 365, Op: Add}, []string{"8+5+0=13 w3 c1", "7+6+1=14 w4 c1", "4+3+1=8 w8 c0"}},
		{Problem{A: 95, B: 7, Op: Add}, []string{"5+7+0=12 w2 c1", "9+0+1=10 w0 c1", "c1 w1"}},
		{Problem{A: 503, B: 78, Op: Sub}, []string{"3-8-0=-5 w5 b1", "0-7-1=-8 w2 b1", "5-0-1=4 w4 b0"}},
		{Problem{A: 12, B: 30, Op: Sub}, []string{"neg", "0-2-0=-2 w8 b1", "3-1-1=1 w1 b0"}},
		{Problem{A: 47, B: 36, Op: Mul}, []string{
			"7*6+0=42 w2 c4", "4*6+4=28 w8 c2", "c2 w2", "P282",
			"7*3+0=21 w1 c2", "4*3+2=14 w4 c1", "c1 w1", "P1410",
			"2+0+0=2 w2 c0", "8+1+0=9 w9 c0", "2+4+0=6 w6 c0", "0+1+0=1 w1 c0", "R1692",
		}},
	}
	for _, tt := range tests {
		if got := tt.p.GoldSteps(); !slices.Equal(got, tt.want) {
			t.Errorf("%s steps:\n got %q\nwant %q", tt.p.Question(), got, tt.want)
		}
	}
}

func TestCompletionFormats(t *testing.T) {
	p := Problem{A: 478, B: 365, Op: Add}
	tests := []struct {
		f            Format
		prompt, want string
	}{
		{Direct, "478+365\n", "A:843\n"},
		{Steps, "478+365 steps\n", "8+5+0=13 w3 c1\n7+6+1=14 w4 c1\n4+3+1=8 w8 c0\nA:843\n"},
		{Think, "478+365 think\n", "<think>\n8+5+0=13 w3 c1\n7+6+1=14 w4 c1\n4+3+1=8 w8 c0\n</think>\nA:843\n"},
	}
	for _, tt := range tests {
		p.Format = tt.f
		if got := p.Prompt(); got != tt.prompt {
			t.Errorf("format %d prompt %q, want %q", tt.f, got, tt.prompt)
		}
		if got := p.Completion(); got != tt.want {
			t.Errorf("format %d completion %q, want %q", tt.f, got, tt.want)
		}
		if !p.Verify(p.Completion()) {
			t.Errorf("format %d: gold completion does not verify", tt.f)
		}
		if !slices.Equal(ParseSteps(p.Completion()), p.GoldSteps()) && tt.f != Direct {
			t.Errorf("format %d: ParseSteps does not recover the gold steps", tt.f)
		}
	}
}

// replay recomputes the result from the scratchpad alone: the written digits
// of the digit lines (and the final carry) for + and −, the last R or P line
// for ×. It proves the scratchpad carries the answer.
func replay(p Problem, steps []string) int {
	if p.Op == Mul {
		last := steps[len(steps)-1]
		n, _ := strconv.Atoi(last[1:])
		return n
	}
	neg := len(steps) > 0 && steps[0] == "neg"
	if neg {
		steps = steps[1:]
	}
	n, place := 0, 1
	for _, s := range steps {
		i := strings.Index(s, " w")
		n += int(s[i+2]-'0') * place
		place *= 10
	}
	if neg {
		n = -n
	}
	return n
}

func TestScratchpadReplays(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, op := range []Op{Add, Sub, Mul} {
		for _, s := range []Split{Train, HeldOut} {
			for _, p := range Generate(rng, Config{Op: op, MinDigits: 1, MaxDigits: 5}, s, 300) {
				if got := replay(p, p.GoldSteps()); got != p.Result() {
					t.Fatalf("%s: scratchpad replays to %d, want %d (%q)", p.Question(), got, p.Result(), p.GoldSteps())
				}
			}
		}
	}
}

func TestVerifyAndReward(t *testing.T) {
	p := Problem{A: 478, B: 365, Op: Add, Format: Steps}
	tests := []struct {
		completion string
		want       bool
	}{
		{p.Completion(), true},
		{"A:843\n", true}, // the verifier judges the answer, not the steps
		{"A:0843\n", true},
		{"A:842\n", false},
		{"8+5+0=13 w3 c1\n7+6+1=14 w4 c1\n4+3+1=8 w8 c0\nA:844\n", false},
		{"843\n", false},
		{"A:843x\n", false},
		{"A:-843\n", false},
		{"", false},
		{"A:\n", false},
		{"<think>\n8+5+0=13 w3 c1\n", false}, // never finished thinking
	}
	for _, tt := range tests {
		if got := p.Verify(tt.completion); got != tt.want {
			t.Errorf("Verify(%q) = %v, want %v", tt.completion, got, tt.want)
		}
		want := 0.0
		if tt.want {
			want = 1
		}
		if got := p.Reward(tt.completion); got != want {
			t.Errorf("Reward(%q) = %v, want %v (a wrong answer must earn 0)", tt.completion, got, want)
		}
	}
}

func TestCheckSteps(t *testing.T) {
	p := Problem{A: 478, B: 365, Op: Add}
	tests := []struct {
		steps []string
		want  []bool
	}{
		{p.GoldSteps(), []bool{true, true, true}},
		{[]string{"8+5+0=13 w3 c1", "7+6+1=14 w5 c1", "4+3+1=8 w8 c0"}, []bool{true, false, false}},
		{[]string{" 8+5+0=13 w3 c1 "}, []bool{true}},
		{[]string{"8+5+0=13 w3 c1", "7+6+1=14 w4 c1", "4+3+1=8 w8 c0", "c0 w0"}, []bool{true, true, true, false}},
		{[]string{"garbage"}, []bool{false}},
		{nil, []bool{}},
	}
	for _, tt := range tests {
		if got := p.CheckSteps(tt.steps); !slices.Equal(got, tt.want) {
			t.Errorf("CheckSteps(%q) = %v, want %v", tt.steps, got, tt.want)
		}
	}
}

func TestGenerate(t *testing.T) {
	cfg := Config{Op: Add, MinDigits: 2, MaxDigits: 3, Format: Steps}
	a := Generate(rand.New(rand.NewPCG(7, 7)), cfg, Train, 200)
	b := Generate(rand.New(rand.NewPCG(7, 7)), cfg, Train, 200)
	if !slices.Equal(a, b) {
		t.Fatal("same seed gave different problems")
	}
	held := Generate(rand.New(rand.NewPCG(8, 8)), cfg, HeldOut, 200)
	train := map[string]bool{}
	for _, p := range a {
		if SplitOf(p.Question()) != Train {
			t.Fatalf("%s generated for Train but SplitOf says %d", p.Question(), SplitOf(p.Question()))
		}
		if train[p.Question()] {
			t.Fatalf("duplicate %s", p.Question())
		}
		train[p.Question()] = true
		for _, x := range []int{p.A, p.B} {
			if d := len(strconv.Itoa(x)); d < 2 || d > 3 {
				t.Fatalf("%s: operand %d has %d digits, want 2..3", p.Question(), x, d)
			}
		}
		if p.Format != Steps {
			t.Fatalf("format %d, want Steps", p.Format)
		}
	}
	for _, p := range held {
		if train[p.Question()] {
			t.Fatalf("%s is in both splits", p.Question())
		}
	}
	for _, p := range Generate(rand.New(rand.NewPCG(4, 4)), Config{Op: Sub, MinDigits: 1, MaxDigits: 4, NoNeg: true}, Train, 200) {
		if p.Result() < 0 {
			t.Fatalf("NoNeg gave %s", p.Question())
		}
	}
	short := Generate(rand.New(rand.NewPCG(9, 9)), Config{Op: Mul, MinDigits: 3, MaxDigits: 3, BDigits: 1}, HeldOut, 50)
	for _, p := range short {
		if p.B > 9 || p.A < 100 {
			t.Fatalf("BDigits=1 gave %s", p.Question())
		}
	}
}

func TestAlphabetCovers(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 3))
	for _, op := range []Op{Add, Sub, Mul} {
		for _, f := range []Format{Direct, Steps, Think} {
			for _, p := range Generate(rng, Config{Op: op, MinDigits: 1, MaxDigits: 4, Format: f}, Train, 50) {
				text := p.Prompt() + p.Completion()
				text = strings.ReplaceAll(strings.ReplaceAll(text, ThinkEnd, ""), ThinkStart, "")
				for _, r := range text {
					if !strings.ContainsRune(Alphabet, r) {
						t.Fatalf("%q not in Alphabet (from %q)", r, p.Prompt()+p.Completion())
					}
				}
			}
		}
	}
}

func FuzzVerify(f *testing.F) {
	p := Problem{A: 478, B: 365, Op: Add, Format: Steps}
	f.Add(p.Completion())
	f.Add("A:843")
	f.Add("<think>\nA:843</think>")
	f.Fuzz(func(t *testing.T, s string) {
		ok := p.Verify(s)
		if ok {
			if a, _ := ParseAnswer(s); a != "843" {
				t.Fatalf("Verify(%q) true with answer %q", s, a)
			}
		}
		_ = p.CheckSteps(ParseSteps(s))
	})
}

func ExampleProblem_Completion() {
	p := Problem{A: 95, B: 7, Op: Add, Format: Steps}
	fmt.Print(p.Prompt())
	fmt.Print(p.Completion())
	// Output:
	// 95+7 steps
	// 5+7+0=12 w2 c1
	// 9+0+1=10 w0 c1
	// c1 w1
	// A:102
}
