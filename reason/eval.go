package reason

import (
	"fmt"
	"math/rand/v2"
	"strings"
)

// PassAtK is the unbiased estimator of pass@k from n samples of which c are
// correct: 1 − C(n−c, k)/C(n, k), the probability that a random k-subset of
// the n samples holds at least one correct one. It is computed as
// 1 − Π_{i=n−c+1}^{n} (1 − k/i), which never forms a large binomial. It
// panics unless 0 ≤ c ≤ n and 1 ≤ k ≤ n.
func PassAtK(n, c, k int) float64 {
	if c < 0 || c > n || k < 1 || k > n {
		panic(fmt.Sprintf("reason.PassAtK: need 0 ≤ c ≤ n and 1 ≤ k ≤ n, got n=%d c=%d k=%d", n, c, k))
	}
	if n-c < k {
		return 1
	}
	prod := 1.0
	for i := n - c + 1; i <= n; i++ {
		prod *= 1 - float64(k)/float64(i)
	}
	return 1 - prod
}

// MajorityVote returns the index of the winning sample: among the answers
// that parsed (ok[i]), the answer given most often wins, ties going to the
// answer that appeared first; the index is that answer's first occurrence.
// It returns −1 when no answer parsed.
func MajorityVote(answers []string, ok []bool) int {
	if len(answers) != len(ok) {
		panic(fmt.Sprintf("reason.MajorityVote: %d answers but %d ok flags", len(answers), len(ok)))
	}
	count := map[string]int{}
	first := map[string]int{}
	best := -1
	for i, a := range answers {
		if !ok[i] {
			continue
		}
		if _, seen := first[a]; !seen {
			first[a] = i
		}
		count[a]++
		if best < 0 || count[a] > count[answers[best]] ||
			(count[a] == count[answers[best]] && first[a] < best) {
			best = first[a]
		}
	}
	return best
}

// AnswerFunc reads a final answer from a completion (e.g. arith.ParseAnswer).
type AnswerFunc func(completion string) (string, bool)

// Samples holds n sampled completions for each of a set of problems, graded
// exactly: the raw material for pass@k and maj@k at every k ≤ n.
type Samples struct {
	N           int
	Completions [][]string // [problem][sample]
	Correct     [][]bool
	Answers     [][]string
	Parsed      [][]bool
	Calls       int // model calls spent collecting
}

// Collect samples n completions per problem. Problem i draws from its own
// generator PCG(seed, i), so its samples do not depend on the other problems
// or on n's history; the same seed gives the same samples.
func Collect(problems []Problem, s Sampler, n int, seed uint64, answer AnswerFunc) *Samples {
	if n < 1 {
		panic(fmt.Sprintf("reason.Collect: n = %d samples per problem", n))
	}
	c := Count(s)
	out := &Samples{N: n}
	for i, p := range problems {
		rng := rand.New(rand.NewPCG(seed, uint64(i)))
		comps := make([]string, n)
		corr := make([]bool, n)
		ans := make([]string, n)
		ok := make([]bool, n)
		for j := range comps {
			comps[j] = c.Sample(p.Prompt(), rng)
			corr[j] = p.Verify(comps[j])
			ans[j], ok[j] = answer(comps[j])
		}
		out.Completions = append(out.Completions, comps)
		out.Correct = append(out.Correct, corr)
		out.Answers = append(out.Answers, ans)
		out.Parsed = append(out.Parsed, ok)
	}
	out.Calls = c.Calls()
	return out
}

// PassAtK is the mean over problems of the unbiased pass@k estimate.
func (s *Samples) PassAtK(k int) float64 {
	if len(s.Correct) == 0 {
		return 0
	}
	sum := 0.0
	for _, corr := range s.Correct {
		c := 0
		for _, b := range corr {
			if b {
				c++
			}
		}
		sum += PassAtK(s.N, c, k)
	}
	return sum / float64(len(s.Correct))
}

// MajAtK is the mean over problems of maj@k (see MajAtKEach).
func (s *Samples) MajAtK(k int) float64 {
	each := s.MajAtKEach(k)
	if len(each) == 0 {
		return 0
	}
	sum := 0.0
	for _, v := range each {
		sum += v
	}
	return sum / float64(len(each))
}

// MajAtKEach is maj@k problem by problem: the samples are cut into ⌊n/k⌋
// disjoint groups of k in order, each group votes (MajorityVote), and a
// problem scores the share of its groups whose winning completion is
// correct. No parsed answer scores 0.
func (s *Samples) MajAtKEach(k int) []float64 {
	if k < 1 || k > s.N {
		panic(fmt.Sprintf("reason.MajAtK: k = %d with n = %d", k, s.N))
	}
	out := make([]float64, len(s.Correct))
	groups := s.N / k
	for i := range s.Correct {
		hit := 0
		for g := 0; g < groups; g++ {
			lo := g * k
			w := MajorityVote(s.Answers[i][lo:lo+k], s.Parsed[i][lo:lo+k])
			if w >= 0 && s.Correct[i][lo+w] {
				hit++
			}
		}
		out[i] = float64(hit) / float64(groups)
	}
	return out
}

// Point is one measurement on an accuracy-against-compute curve.
type Point struct {
	Method   string
	Budget   int     // samples, beam width, iterations…: the method's own knob
	Accuracy float64 // fraction of problems solved
	Calls    float64 // mean model calls per problem (the fair compute axis)
	Solved   []bool  // per problem, when the point was measured by Run (for paired comparisons)
}

// Curve returns pass@k and maj@k at each k as points whose Calls is k (one
// model call per sample).
func (s *Samples) Curve(ks []int) (pass, maj []Point) {
	for _, k := range ks {
		pass = append(pass, Point{Method: "pass@k", Budget: k, Accuracy: s.PassAtK(k), Calls: float64(k)})
		maj = append(maj, Point{Method: "maj@k", Budget: k, Accuracy: s.MajAtK(k), Calls: float64(k)})
	}
	return pass, maj
}

// Method solves one problem at some budget and returns its final completion
// and the model calls it spent (sampler and learned-scorer calls).
type Method func(p Problem, rng *rand.Rand) (completion string, calls int)

// Run applies m to every problem (problem i with generator PCG(seed, i)) and
// returns the solve rate and the mean model calls per problem.
func Run(name string, budget int, problems []Problem, m Method, seed uint64) Point {
	pt := Point{Method: name, Budget: budget}
	if len(problems) == 0 {
		return pt
	}
	solved, calls := 0, 0
	pt.Solved = make([]bool, len(problems))
	for i, p := range problems {
		c, n := m(p, rand.New(rand.NewPCG(seed, uint64(i))))
		if p.Verify(c) {
			solved++
			pt.Solved[i] = true
		}
		calls += n
	}
	pt.Accuracy = float64(solved) / float64(len(problems))
	pt.Calls = float64(calls) / float64(len(problems))
	return pt
}

// Table is a result table printed with aligned columns: columns of numbers
// right-aligned (header included), others left-aligned.
type Table struct {
	Header []string
	Rows   [][]string
}

// Add appends a row; floats print with three decimals, everything else with
// %v.
func (t *Table) Add(cells ...any) {
	row := make([]string, len(cells))
	for i, c := range cells {
		switch v := c.(type) {
		case float64:
			row[i] = fmt.Sprintf("%.3f", v)
		case float32:
			row[i] = fmt.Sprintf("%.3f", v)
		default:
			row[i] = fmt.Sprint(v)
		}
	}
	t.Rows = append(t.Rows, row)
}

// AddPoints appends one row per point: method, budget, accuracy, calls.
func (t *Table) AddPoints(pts ...Point) {
	for _, p := range pts {
		t.Add(p.Method, p.Budget, p.Accuracy, fmt.Sprintf("%.1f", p.Calls))
	}
}

func numeric(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if !strings.ContainsRune("0123456789.-+e%", r) {
			return false
		}
	}
	return true
}

// String renders the table: columns separated by two spaces, a dashed rule
// under the header, no trailing spaces.
func (t *Table) String() string {
	ncol := len(t.Header)
	for _, r := range t.Rows {
		ncol = max(ncol, len(r))
	}
	width := make([]int, ncol)
	all := append([][]string{t.Header}, t.Rows...)
	for _, r := range all {
		for i, c := range r {
			width[i] = max(width[i], len([]rune(c)))
		}
	}
	// A column is right-aligned, header included, when all its cells are numbers.
	right := make([]bool, ncol)
	for i := range right {
		right[i] = len(t.Rows) > 0
		for _, r := range t.Rows {
			if i < len(r) && !numeric(r[i]) {
				right[i] = false
			}
		}
	}
	var b strings.Builder
	line := func(r []string, rule bool) {
		var parts []string
		for i := 0; i < ncol; i++ {
			c := ""
			if i < len(r) {
				c = r[i]
			}
			pad := strings.Repeat(" ", width[i]-len([]rune(c)))
			if rule {
				c, pad = strings.Repeat("-", width[i]), ""
			}
			if right[i] && !rule {
				parts = append(parts, pad+c)
			} else {
				parts = append(parts, c+pad)
			}
		}
		b.WriteString(strings.TrimRight(strings.Join(parts, "  "), " "))
		b.WriteByte('\n')
	}
	if len(t.Header) > 0 {
		line(t.Header, false)
		line(nil, true)
	}
	for _, r := range t.Rows {
		line(r, false)
	}
	return b.String()
}
