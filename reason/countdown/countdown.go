// Package countdown makes countdown puzzles by code: reach a target from
// given numbers with + − × ÷, one operation per step, where every
// intermediate result must be a positive integer. It checks full solutions
// exactly, decides the solvability of any partial state exactly (a memoised
// search), and labels each step of a solution with whether the state after it
// can still reach the target — the step labels a process reward model learns.
//
// A state is the multiset of numbers still available. A step "a op b=c" takes
// a and b out of the state and puts c in. Subtraction needs a > b, division
// needs b to divide a. The puzzle is solved once a step produces the target;
// not every number has to be used.
//
// Prompt and completion, one step per line and the target as the answer:
//
//	"N:3 4 25 50 T:97\n" → "25*4=100\n100-3=97\nA:97\n"
package countdown

import (
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"

	"transformers/reason/parse"
)

// Problem is a countdown instance: the starting numbers and the target.
type Problem struct {
	Numbers []int
	Target  int
}

// Prompt is "N:<numbers> T:<target>\n", numbers in the given order.
func (p Problem) Prompt() string {
	s := make([]string, len(p.Numbers))
	for i, n := range p.Numbers {
		s[i] = strconv.Itoa(n)
	}
	return "N:" + strings.Join(s, " ") + " T:" + strconv.Itoa(p.Target) + "\n"
}

// Answer is the gold final answer: the target.
func (p Problem) Answer() string { return strconv.Itoa(p.Target) }

// Step is one operation a op b = c.
type Step struct {
	A, B, C int
	Op      byte // '+', '-', '*', '/'
}

// String is the step's line, "a op b=c".
func (s Step) String() string {
	return strconv.Itoa(s.A) + string(s.Op) + strconv.Itoa(s.B) + "=" + strconv.Itoa(s.C)
}

// apply returns a op b and whether it is a legal step (positive integer
// result).
func apply(a, b int, op byte) (int, bool) {
	switch op {
	case '+':
		return a + b, true
	case '-':
		return a - b, a > b
	case '*':
		return a * b, true
	case '/':
		if b == 0 || a%b != 0 {
			return 0, false
		}
		return a / b, a/b > 0
	}
	return 0, false
}

// ParseStep reads a step line "a op b=c" (spaces allowed around the parts);
// it checks the syntax, that a and b are positive and that c = a op b, not
// that a and b are available.
func ParseStep(line string) (Step, bool) {
	line = strings.ReplaceAll(line, " ", "")
	lhs, rhs, ok := strings.Cut(line, "=")
	if !ok {
		return Step{}, false
	}
	c, ok := parse.Int(rhs)
	if !ok {
		return Step{}, false
	}
	// The operator is the first op character after the first digit, so
	// that a minus sign cannot start the line.
	i := strings.IndexAny(lhs[min(1, len(lhs)):], "+-*/")
	if i < 0 {
		return Step{}, false
	}
	i++
	a, ok1 := parse.Int(lhs[:i])
	b, ok2 := parse.Int(lhs[i+1:])
	if !ok1 || !ok2 || a < 1 || b < 1 {
		return Step{}, false
	}
	s := Step{A: a, B: b, C: c, Op: lhs[i]}
	if v, legal := apply(a, b, s.Op); !legal || v != c {
		return Step{}, false
	}
	return s, true
}

// State is the multiset of available numbers, kept sorted.
type State []int

// Start is the initial state of p.
func (p Problem) Start() State {
	s := slices.Clone(p.Numbers)
	slices.Sort(s)
	return s
}

// Apply returns the state after step s, or ok=false if s is not legal here
// (wrong arithmetic, a number not available).
func (st State) Apply(s Step) (State, bool) {
	if v, legal := apply(s.A, s.B, s.Op); !legal || v != s.C {
		return nil, false
	}
	next := slices.Clone(st)
	for _, x := range []int{s.A, s.B} {
		i := slices.Index(next, x)
		if i < 0 {
			return nil, false
		}
		next = slices.Delete(next, i, i+1)
	}
	i, _ := slices.BinarySearch(next, s.C)
	return slices.Insert(next, i, s.C), true
}

// Moves lists every legal step from st once, in a fixed order (pairs by
// position, then + − × ÷; a commutative step is listed larger operand first).
func (st State) Moves() []Step {
	var out []Step
	seen := map[Step]bool{}
	for i := range st {
		for j := range st {
			if i == j {
				continue
			}
			for _, op := range []byte{'+', '-', '*', '/'} {
				a, b := st[i], st[j]
				if (op == '+' || op == '*') && a < b {
					continue // commutative: list once, larger first
				}
				c, ok := apply(a, b, op)
				s := Step{A: a, B: b, C: c, Op: op}
				if !ok || seen[s] {
					continue
				}
				seen[s] = true
				out = append(out, s)
			}
		}
	}
	return out
}

// Solver decides solvability of states for one target, remembering every
// state it has decided. It is not safe for concurrent use.
type Solver struct {
	Target int
	memo   map[string]bool
	Calls  int // states actually searched (memo misses), for measurements
}

// NewSolver returns a solver for target.
func NewSolver(target int) *Solver { return &Solver{Target: target, memo: map[string]bool{}} }

func key(st State) string {
	var b strings.Builder
	for _, x := range st {
		b.WriteString(strconv.Itoa(x))
		b.WriteByte(',')
	}
	return b.String()
}

// Solvable reports whether some sequence of legal steps from st produces the
// target. A state is solvable if it already holds the target or some legal
// step leads to a solvable state; the answer is exact (exhaustive, memoised).
func (s *Solver) Solvable(st State) bool {
	if slices.Contains(st, s.Target) {
		return true
	}
	if len(st) < 2 {
		return false
	}
	k := key(st)
	if v, ok := s.memo[k]; ok {
		return v
	}
	s.Calls++
	res := false
	for _, m := range st.Moves() {
		next, _ := st.Apply(m)
		if m.C == s.Target || s.Solvable(next) {
			res = true
			break
		}
	}
	s.memo[k] = res
	return res
}

// Solution returns a solution from st, found depth-first along moves that
// keep the state solvable and finishing in one step as soon as one step
// reaches the target (so it is short, not necessarily shortest); nil if st
// cannot reach the target or already holds it.
func (s *Solver) Solution(st State) []Step {
	if slices.Contains(st, s.Target) || !s.Solvable(st) {
		return nil
	}
	for _, m := range st.Moves() {
		if m.C == s.Target {
			return []Step{m}
		}
	}
	for _, m := range st.Moves() {
		next, _ := st.Apply(m)
		if s.Solvable(next) {
			return append([]Step{m}, s.Solution(next)...)
		}
	}
	return nil // unreachable: Solvable said some move works
}

// Completion is a gold completion for p (a solution found by the solver),
// or "" if p is unsolvable.
func (p Problem) Completion() string {
	sol := NewSolver(p.Target).Solution(p.Start())
	if sol == nil {
		return ""
	}
	return FormatSteps(sol, p.Target)
}

// FormatSteps writes steps one per line followed by the answer line.
func FormatSteps(steps []Step, answer int) string {
	var b strings.Builder
	for _, s := range steps {
		b.WriteString(s.String())
		b.WriteByte('\n')
	}
	b.WriteString(parse.AnswerPrefix + strconv.Itoa(answer) + "\n")
	return b.String()
}

// ParseAnswer reads the final answer line (see parse.Answer).
func ParseAnswer(completion string) (string, bool) { return parse.Answer(completion) }

// ParseSteps reads the step lines of completion (see parse.Steps) without
// judging them.
func ParseSteps(completion string) []string { return parse.Steps(completion) }

// Verify reports whether completion solves p exactly: every step line parses,
// is legal in the state left by the steps before it, the last step produces
// the target, and the answer line names the target. Malformed text is wrong.
func (p Problem) Verify(completion string) bool {
	lines := parse.Steps(completion)
	if len(lines) == 0 {
		return false
	}
	if a, ok := parse.Answer(completion); !ok || a != p.Answer() {
		return false
	}
	st := p.Start()
	for _, line := range lines {
		s, ok := ParseStep(line)
		if !ok {
			return false
		}
		if st, ok = st.Apply(s); !ok {
			return false
		}
	}
	last, _ := ParseStep(lines[len(lines)-1])
	return last.C == p.Target
}

// Reward is 1 for an exactly verified solution and 0 otherwise.
func (p Problem) Reward(completion string) float64 {
	if p.Verify(completion) {
		return 1
	}
	return 0
}

// StepLabels labels each step line of a partial or full solution with whether
// the state after it is still solvable (the target produced counts as
// solvable). An illegal or unparseable step is false and so is every step
// after it. These are the exact oracle labels for process-reward training.
func (p Problem) StepLabels(lines []string, solver *Solver) []bool {
	out := make([]bool, len(lines))
	st := p.Start()
	for i, line := range lines {
		s, ok := ParseStep(line)
		if !ok {
			break
		}
		if st, ok = st.Apply(s); !ok {
			break
		}
		out[i] = s.C == p.Target || solver.Solvable(st)
	}
	return out
}

// StateAfter returns the state after the given step lines, with ok=false if a
// line is malformed or illegal, and whether a step has produced the target.
func (p Problem) StateAfter(lines []string) (st State, reached, ok bool) {
	st = p.Start()
	for _, line := range lines {
		s, good := ParseStep(line)
		if !good {
			return nil, false, false
		}
		if st, good = st.Apply(s); !good {
			return nil, false, false
		}
		reached = s.C == p.Target
	}
	return st, reached, true
}

// Config sets the difficulty of generated puzzles.
type Config struct {
	Count      int // how many starting numbers
	MaxNumber  int // starting numbers are drawn uniformly from 1..MaxNumber
	TargetMin  int // target drawn uniformly from TargetMin..TargetMax
	TargetMax  int
	Solvable   bool // keep only solvable puzzles (decided exactly)
	Unsolvable bool // keep only unsolvable puzzles (for calibration sets)
}

// Split names the disjoint parts of the puzzle space.
type Split int

// Train and HeldOut never share a puzzle: SplitOf decides by a hash of the
// sorted numbers and the target, so reordering the numbers does not move a
// puzzle across the split.
const (
	Train Split = iota
	HeldOut
)

// HeldOutPercent is the share of all puzzles assigned to HeldOut.
const HeldOutPercent = 20

// SplitOf is the split of p: HeldOut when FNV-1a of its canonical form
// (sorted numbers, target) mod 100 < HeldOutPercent.
func SplitOf(p Problem) Split {
	h := fnv.New32a()
	h.Write([]byte(key(p.Start()) + "T" + strconv.Itoa(p.Target)))
	if h.Sum32()%100 < HeldOutPercent {
		return HeldOut
	}
	return Train
}

// Generate draws n distinct puzzles of split s from rng under cfg. The target
// never appears among the starting numbers. It panics on an invalid cfg or if
// 1000·n draws do not find n puzzles.
func Generate(rng *rand.Rand, cfg Config, s Split, n int) []Problem {
	if cfg.Count < 2 || cfg.MaxNumber < 1 || cfg.TargetMin < 1 || cfg.TargetMax < cfg.TargetMin {
		panic(fmt.Sprintf("countdown.Generate: invalid config %+v", cfg))
	}
	seen := map[string]bool{}
	var out []Problem
	for tries := 0; len(out) < n; tries++ {
		if tries > 1000*n+1000 {
			panic(fmt.Sprintf("countdown.Generate: found only %d of %d puzzles for %+v", len(out), n, cfg))
		}
		p := Problem{Numbers: make([]int, cfg.Count), Target: cfg.TargetMin + rng.IntN(cfg.TargetMax-cfg.TargetMin+1)}
		for i := range p.Numbers {
			p.Numbers[i] = 1 + rng.IntN(cfg.MaxNumber)
		}
		k := key(p.Start()) + "T" + strconv.Itoa(p.Target)
		if seen[k] || slices.Contains(p.Numbers, p.Target) || SplitOf(p) != s {
			continue
		}
		if cfg.Solvable || cfg.Unsolvable {
			ok := NewSolver(p.Target).Solvable(p.Start())
			if (cfg.Solvable && !ok) || (cfg.Unsolvable && ok) {
				continue
			}
		}
		seen[k] = true
		out = append(out, p)
	}
	return out
}

// ParsePrompt reads a prompt written by Prompt, optionally followed by step
// lines (as a step sampler sees it), back into the problem and the steps.
func ParsePrompt(text string) (Problem, []string, bool) {
	head, rest, _ := strings.Cut(text, "\n")
	nums, target, ok := strings.Cut(strings.TrimPrefix(head, "N:"), " T:")
	if !ok || !strings.HasPrefix(head, "N:") {
		return Problem{}, nil, false
	}
	t, ok := parse.Int(target)
	if !ok {
		return Problem{}, nil, false
	}
	p := Problem{Target: t}
	for _, f := range strings.Fields(nums) {
		n, ok := parse.Int(f)
		if !ok {
			return Problem{}, nil, false
		}
		p.Numbers = append(p.Numbers, n)
	}
	var steps []string
	for _, l := range strings.Split(rest, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			steps = append(steps, l)
		}
	}
	return p, steps, true
}

// Done reports whether a partial solution (step lines, possibly ending with
// the answer line) is finished: it gave an answer, has a malformed or
// illegal step, or is stuck (fewer than two numbers left, target not
// produced). Producing the target is not the end: the answer line follows.
func (p Problem) Done(steps []string) bool {
	if len(steps) == 0 {
		return false
	}
	if strings.HasPrefix(steps[len(steps)-1], parse.AnswerPrefix) {
		return true
	}
	st, reached, ok := p.StateAfter(steps)
	return !ok || (len(st) < 2 && !reached)
}

// OracleValue is the exact value of a partial solution: 1 if it can still
// be completed correctly, else 0. With an answer line it is the verdict of
// Verify; otherwise every step must be legal and the state solvable (or the
// target already produced).
func (p Problem) OracleValue(steps []string, solver *Solver) float64 {
	if len(steps) > 0 && strings.HasPrefix(steps[len(steps)-1], parse.AnswerPrefix) {
		if p.Verify(strings.Join(steps, "\n") + "\n") {
			return 1
		}
		return 0
	}
	st, reached, ok := p.StateAfter(steps)
	if ok && (reached || solver.Solvable(st)) {
		return 1
	}
	return 0
}
