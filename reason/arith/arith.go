// Package arith makes multi-digit addition, subtraction and multiplication
// problems by code, writes their worked solutions in a fixed digit-by-digit
// scratchpad a tiny character-level model can learn, and reads a model's free
// text back into steps and a final answer.
//
// One problem has three output formats, selected by a trigger in the prompt:
//
//	Direct  "478+365\n"                 → "A:843\n"
//	Steps   "478+365 steps\n"           → "8+5+0=13 w3 c1\n7+6+1=14 w4 c1\n4+3+1=8 w8 c0\nA:843\n"
//	Think   "478+365 think\n"           → "<think>\n…steps…\n</think>\nA:843\n"
//
// Each scratchpad line handles one digit, right to left. Addition writes
// "a+b+c=s wD cK": digits a and b, incoming carry c, their sum s, the digit D
// written and the carry K passed on. Subtraction writes "a-b-r=d wD bK" with
// incoming borrow r, raw difference d (possibly negative), written digit D and
// outgoing borrow K. Multiplication multiplies the whole first operand by each
// digit of the second ("a*m+c=p wD cK" per digit, then "P…" for the shifted
// partial product) and adds each partial product to a running total with the
// addition lines ("R…" after each addition). A negative difference is worked
// as −(b−a), announced by a first line "neg".
//
// The final answer is always the last line "A:<integer>". The verifier reads
// only that answer; CheckSteps compares the steps with the gold scratchpad
// line by line, which gives exact step labels.
package arith

import (
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"strconv"
	"strings"

	"transformers/reason/parse"
)

// Op is an arithmetic operation: '+', '-' or '*'.
type Op byte

// The operations.
const (
	Add Op = '+'
	Sub Op = '-'
	Mul Op = '*'
)

// Format selects how a completion is written.
type Format int

// The formats: a bare answer, a worked scratchpad, or the scratchpad inside a
// <think> … </think> trace.
const (
	Direct Format = iota
	Steps
	Think
)

// Triggers appended to the question to select a format (Direct has none).
const (
	TriggerSteps = " steps"
	TriggerThink = " think"
	ThinkStart   = "<think>"
	ThinkEnd     = "</think>"
	AnswerPrefix = parse.AnswerPrefix // "A:"
)

// Alphabet is every character a prompt or gold completion can contain apart
// from the think markers (which are special tokens), so a character tokenizer
// built from it covers the task.
const Alphabet = "\n +-*=0123456789:ARPwcbnegstpshik<>/"

// Problem is one question a op b, asked in a given format.
type Problem struct {
	A, B   int
	Op     Op
	Format Format
}

// Question is "a op b" with no trigger, e.g. "478+365".
func (p Problem) Question() string {
	return strconv.Itoa(p.A) + string(p.Op) + strconv.Itoa(p.B)
}

// Prompt is the question, the format's trigger and a newline.
func (p Problem) Prompt() string {
	switch p.Format {
	case Steps:
		return p.Question() + TriggerSteps + "\n"
	case Think:
		return p.Question() + TriggerThink + "\n"
	}
	return p.Question() + "\n"
}

// Result is the exact value of a op b.
func (p Problem) Result() int {
	switch p.Op {
	case Add:
		return p.A + p.B
	case Sub:
		return p.A - p.B
	case Mul:
		return p.A * p.B
	}
	panic(fmt.Sprintf("arith.Result: unknown op %q", p.Op))
}

// Answer is the gold final answer as text, the form ParseAnswer returns.
func (p Problem) Answer() string { return strconv.Itoa(p.Result()) }

// GoldSteps is the worked scratchpad, one line per entry, without the answer
// line.
func (p Problem) GoldSteps() []string {
	switch p.Op {
	case Add:
		return addSteps(p.A, p.B)
	case Sub:
		if p.A < p.B {
			return append([]string{"neg"}, subSteps(p.B, p.A)...)
		}
		return subSteps(p.A, p.B)
	case Mul:
		return mulSteps(p.A, p.B)
	}
	panic(fmt.Sprintf("arith.GoldSteps: unknown op %q", p.Op))
}

// Completion is the gold completion in the problem's format.
func (p Problem) Completion() string {
	ans := AnswerPrefix + p.Answer() + "\n"
	switch p.Format {
	case Steps:
		return strings.Join(p.GoldSteps(), "\n") + "\n" + ans
	case Think:
		return ThinkStart + "\n" + strings.Join(p.GoldSteps(), "\n") + "\n" + ThinkEnd + "\n" + ans
	}
	return ans
}

// Verify reports whether completion's final answer equals a op b exactly;
// anything unparseable is wrong.
func (p Problem) Verify(completion string) bool {
	a, ok := ParseAnswer(completion)
	return ok && a == p.Answer()
}

// Reward is 1 for a correct final answer and 0 otherwise: a well-formed but
// wrong answer earns nothing.
func (p Problem) Reward(completion string) float64 {
	if p.Verify(completion) {
		return 1
	}
	return 0
}

// CheckSteps compares steps with the gold scratchpad line by line (ignoring
// surrounding spaces) and returns one label per given step: true while every
// step so far matches, false from the first mismatch on. Extra steps beyond
// the gold ones are false.
func (p Problem) CheckSteps(steps []string) []bool {
	gold := p.GoldSteps()
	out := make([]bool, len(steps))
	for i, s := range steps {
		if i >= len(gold) || strings.TrimSpace(s) != gold[i] {
			break
		}
		out[i] = true
	}
	return out
}

func digits(n int) []int { // least significant first; 0 → [0]
	if n == 0 {
		return []int{0}
	}
	var d []int
	for ; n > 0; n /= 10 {
		d = append(d, n%10)
	}
	return d
}

func digit(d []int, i int) int {
	if i < len(d) {
		return d[i]
	}
	return 0
}

// addSteps writes a+b (a, b ≥ 0) one digit per line, right to left.
func addSteps(a, b int) []string {
	da, db := digits(a), digits(b)
	n := max(len(da), len(db))
	var lines []string
	c := 0
	for i := 0; i < n; i++ {
		x, y := digit(da, i), digit(db, i)
		s := x + y + c
		lines = append(lines, fmt.Sprintf("%d+%d+%d=%d w%d c%d", x, y, c, s, s%10, s/10))
		c = s / 10
	}
	if c > 0 {
		lines = append(lines, fmt.Sprintf("c%d w%d", c, c))
	}
	return lines
}

// subSteps writes a−b (a ≥ b ≥ 0) one digit per line, right to left.
func subSteps(a, b int) []string {
	da, db := digits(a), digits(b)
	var lines []string
	r := 0
	for i := range da {
		x, y := da[i], digit(db, i)
		d := x - y - r
		w, k := d, 0
		if d < 0 {
			w, k = d+10, 1
		}
		lines = append(lines, fmt.Sprintf("%d-%d-%d=%d w%d b%d", x, y, r, d, w, k))
		r = k
	}
	return lines
}

// mulSteps writes a×b (a, b ≥ 0): a partial product per digit of b, each
// added to the running total with addition lines.
func mulSteps(a, b int) []string {
	da, db := digits(a), digits(b)
	var lines []string
	total, shift := 0, 1
	for j, m := range db {
		c := 0
		for _, x := range da {
			p := x*m + c
			lines = append(lines, fmt.Sprintf("%d*%d+%d=%d w%d c%d", x, m, c, p, p%10, p/10))
			c = p / 10
		}
		if c > 0 {
			lines = append(lines, fmt.Sprintf("c%d w%d", c, c))
		}
		part := a * m * shift
		lines = append(lines, "P"+strconv.Itoa(part))
		if j > 0 {
			lines = append(lines, addSteps(total, part)...)
			lines = append(lines, "R"+strconv.Itoa(total+part))
		}
		total += part
		shift *= 10
	}
	return lines
}

// Config sets the difficulty of generated problems.
type Config struct {
	Op        Op
	MinDigits int // digits of each operand, drawn uniformly in [MinDigits, MaxDigits]
	MaxDigits int
	BDigits   int    // if > 0, the second operand has exactly this many digits (e.g. 1 for short multiplication)
	NoNeg     bool   // subtraction only: order the operands so the difference is ≥ 0
	Format    Format // format of the generated problems
}

// Split names the disjoint parts of the problem space.
type Split int

// Train and HeldOut never share a problem: Of decides by a hash of the
// question alone, so the split does not depend on the seed or the format.
const (
	Train Split = iota
	HeldOut
)

// HeldOutPercent is the share of all questions assigned to HeldOut.
const HeldOutPercent = 20

// SplitOf is the split question q (e.g. "478+365") belongs to: HeldOut when
// FNV-1a(q) mod 100 < HeldOutPercent.
func SplitOf(q string) Split {
	h := fnv.New32a()
	h.Write([]byte(q))
	if h.Sum32()%100 < HeldOutPercent {
		return HeldOut
	}
	return Train
}

func randDigits(rng *rand.Rand, n int) int {
	if n <= 1 {
		return rng.IntN(10)
	}
	lo := 1
	for i := 1; i < n; i++ {
		lo *= 10
	}
	return lo + rng.IntN(9*lo)
}

// Generate draws n distinct problems of split s from rng under cfg. It panics
// if cfg is invalid or the split holds fewer than n questions (after 1000·n
// draws without finding them).
func Generate(rng *rand.Rand, cfg Config, s Split, n int) []Problem {
	if cfg.MinDigits < 1 || cfg.MaxDigits < cfg.MinDigits || cfg.MaxDigits > 9 {
		panic(fmt.Sprintf("arith.Generate: digits [%d, %d] out of range 1..9", cfg.MinDigits, cfg.MaxDigits))
	}
	if cfg.Op != Add && cfg.Op != Sub && cfg.Op != Mul {
		panic(fmt.Sprintf("arith.Generate: unknown op %q", cfg.Op))
	}
	seen := map[string]bool{}
	var out []Problem
	for tries := 0; len(out) < n; tries++ {
		if tries > 1000*n+1000 {
			panic(fmt.Sprintf("arith.Generate: found only %d of %d problems", len(out), n))
		}
		nd := cfg.MinDigits + rng.IntN(cfg.MaxDigits-cfg.MinDigits+1)
		bd := cfg.BDigits
		if bd <= 0 {
			bd = cfg.MinDigits + rng.IntN(cfg.MaxDigits-cfg.MinDigits+1)
		}
		p := Problem{A: randDigits(rng, nd), B: randDigits(rng, bd), Op: cfg.Op, Format: cfg.Format}
		if cfg.NoNeg && p.Op == Sub && p.A < p.B {
			p.A, p.B = p.B, p.A
		}
		q := p.Question()
		if seen[q] || SplitOf(q) != s {
			continue
		}
		seen[q] = true
		out = append(out, p)
	}
	return out
}

// ParseAnswer reads the final answer "A:<integer>" from a model's free text
// (see parse.Answer); malformed text is not ok.
func ParseAnswer(completion string) (string, bool) { return parse.Answer(completion) }

// ParseSteps reads the scratchpad lines of a model's free text, before the
// answer line and without think markers (see parse.Steps).
func ParseSteps(completion string) []string { return parse.Steps(completion) }
