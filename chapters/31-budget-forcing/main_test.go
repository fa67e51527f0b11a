package main

import (
	"math/rand/v2"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"transformers/chapters/internal/golden"
	"transformers/chapters/internal/part2/part2test"
	"transformers/chapters/internal/part4"
	"transformers/reason"
	"transformers/reason/arith"
)

// tableRows returns the cells of the table whose header line starts with
// first: the columns are the dash groups of the separator under the header.
func tableRows(t *testing.T, out, first string) [][]string {
	t.Helper()
	lines := strings.Split(out, "\n")
	for i := 0; i+1 < len(lines); i++ {
		if !strings.HasPrefix(strings.TrimSpace(lines[i]), first) || !strings.HasPrefix(strings.TrimSpace(lines[i+1]), "---") {
			continue
		}
		spans := regexp.MustCompile(`-+`).FindAllStringIndex(lines[i+1], -1)
		var rows [][]string
		for _, l := range lines[i+2:] {
			if !strings.HasPrefix(l, "  ") {
				break
			}
			var row []string
			r := []rune(l) // cells align by characters ("×" is two bytes)
			for _, sp := range spans {
				row = append(row, strings.TrimSpace(string(r[min(sp[0], len(r)):min(sp[1], len(r))])))
			}
			rows = append(rows, row)
		}
		return rows
	}
	t.Fatalf("no table starting %q in:\n%s", first, out)
	return nil
}

func num(t *testing.T, s string) float64 {
	t.Helper()
	v, err := strconv.ParseFloat(strings.TrimSpace(strings.TrimSuffix(s, " %")), 64)
	if err != nil {
		t.Fatalf("%q is not a number", s)
	}
	return v
}

func TestRun(t *testing.T) {
	out := string(part2test.RunTest(t, run, []string{"-steps", "4", "-batch", "4", "-train", "40", "-test", "6", "-d-model", "16", "-layers", "1", "-digits", "2",
		"-budgets", "0,0.5,1", "-waits", "1,3"}, "accuracy.png"))
	golden.Contains(t, []byte(out), "Forcing the end of thinking", `Extending thinking with "Wait"`, "Waits inserted over all rows:", "headline:")
	// One row per budget plus the unlimited one; a forced row never thinks
	// longer than its budget on average (nor, as Budget guarantees, at all).
	sweep := tableRows(t, out, "budget ")
	if len(sweep) != 4 || sweep[3][0] != "unlimited" {
		t.Fatalf("budget table rows %v, want 3 budgets and unlimited", sweep)
	}
	for _, r := range sweep[:3] {
		mx, mean := num(t, r[1]), num(t, r[3])
		if mean > mx {
			t.Errorf("row %v: mean thinking %g above the budget %g", r, mean, mx)
		}
	}
	if sweep[0][1] != "0" || sweep[0][4] != "100.0 %" {
		t.Errorf("zero budget row %v: want max 0 and the end always forced", sweep[0])
	}
	// The extension table: no minimum, then {shortest, longest} × {1, 3}
	// Waits; Waits per problem never exceed the cap, and the total line
	// adds up the column.
	ext := tableRows(t, out, "minimum ")
	if len(ext) != 5 {
		t.Fatalf("extension rows %v, want 5", ext)
	}
	total := 0
	for _, r := range ext {
		maxW, ins, probs := int(num(t, r[2])), int(num(t, r[4])), int(num(t, r[5]))
		total += ins
		if ins > maxW*probs || probs > 6 || (ins > 0) != (probs > 0) {
			t.Errorf("row %v: %d Waits on %d problems with a cap of %d", r, ins, probs, maxW)
		}
	}
	m := regexp.MustCompile(`Waits inserted over all rows: (\d+)`).FindStringSubmatch(out)
	if got, _ := strconv.Atoi(m[1]); got != total {
		t.Errorf("total %d, column sums to %d", got, total)
	}
}

// stub writes the gold scratchpad one character at a time but proposes
// "</think>" after every line past the first unless it was just told to
// Wait; it answers right only with the whole scratchpad.
func stub(ps []arith.Problem) reason.TokenSampler {
	byPrompt := map[string]arith.Problem{}
	for _, p := range ps {
		byPrompt[p.Prompt()] = p
	}
	return reason.TokenSamplerFunc(func(text string, _ *rand.Rand) string {
		head, think, _ := strings.Cut(text, arith.ThinkStart)
		p := byPrompt[head]
		gold := "\n" + strings.Join(p.GoldSteps(), "\n") + "\n"
		if th, after, closed := strings.Cut(think, arith.ThinkEnd); closed {
			ans := "\nA:0\n"
			if strings.ReplaceAll(th, arith.Wait+"\n", "") == gold {
				ans = "\nA:" + p.Answer() + "\n"
			}
			if len(after) >= len(ans) {
				return ""
			}
			return ans[len(after) : len(after)+1]
		}
		done := strings.ReplaceAll(think, arith.Wait+"\n", "")
		if done == gold || strings.Count(done, "\n") >= 2 && strings.HasSuffix(done, "\n") && !strings.HasSuffix(think, arith.Wait+"\n") {
			return arith.ThinkEnd
		}
		return gold[len(done) : len(done)+1]
	})
}

func TestEvaluateOnAStubThatStopsEarly(t *testing.T) {
	ps := arith.Generate(rand.New(rand.NewPCG(1, 1)), arith.Config{Op: arith.Add, MinDigits: 3, MaxDigits: 3, Format: arith.Think}, arith.HeldOut, 20)
	tok := part4.Tokenizer()
	base := reason.Budget{Wait: arith.Wait + "\n", End: arith.ThinkEnd, AnswerTokens: 10}
	gen := stub(ps)
	at := func(min, waits, mx int, zero bool) result {
		b := base
		b.Min, b.MaxWaits, b.Max = min, waits, mx
		r := evaluate(gen, ps, setting{b: b, zero: zero}, 1)
		for _, tr := range r.traces {
			// Every Wait counted is in the text (the stub writes none itself),
			// and a Wait is 5 tokens of text but 1 thinking token.
			if n := strings.Count(tr.Text, arith.Wait+"\n"); n != tr.WaitsInserted {
				t.Errorf("min %d: %d Waits counted, %d in %q", min, tr.WaitsInserted, n, tr.Text)
			}
			if !zero && part4.ThinkTokens(tok, tr.Text) != tr.ThinkTokens+4*tr.WaitsInserted {
				t.Errorf("min %d: %d thinking tokens counted for %q", min, tr.ThinkTokens, tr.Text)
			}
			if mx > 0 && (tr.ThinkTokens > mx || tr.ForcedEnd != (tr.ThinkTokens == mx)) {
				t.Errorf("max %d: %d thinking tokens, end forced %v", mx, tr.ThinkTokens, tr.ForcedEnd)
			}
		}
		return r
	}
	free := at(0, 0, 0, false)
	if free.acc() != 0 || free.sum(waitsIn) != 0 {
		t.Errorf("unforced: accuracy %g, %d Waits; want 0 and 0 (every problem has ≥ 3 lines)", free.acc(), free.sum(waitsIn))
	}
	// Enough Waits: every early stop is overruled, the scratchpad finished.
	long := at(1000, 8, 0, false)
	if long.acc() != 1 {
		t.Errorf("min 1000, 8 Waits: accuracy %g, want 1", long.acc())
	}
	for i, tr := range long.traces {
		if n := len(ps[i].GoldSteps()); tr.WaitsInserted != 8 || strings.Count(strings.Split(tr.Text, arith.ThinkEnd)[0], "\n") < n {
			t.Errorf("%q: %d Waits", tr.Text, tr.WaitsInserted)
		}
	}
	if r, b := pairs(long, free); r != len(ps) || b != 0 {
		t.Errorf("rescued %d, broken %d; want %d, 0", r, b, len(ps))
	}
	// One Wait buys one more line: still short of ≥ 3.
	if one := at(1000, 1, 0, false); one.acc() != 0 || one.sum(waitsIn) != len(ps) {
		t.Errorf("1 Wait: accuracy %g with %d Waits", one.acc(), one.sum(waitsIn))
	}
	// A budget cuts thinking: the stub's first line alone is ≥ 14 tokens,
	// so a budget of 5 forces every end. A zero budget answers at once.
	if cut := at(0, 0, 5, false); cut.count(func(t reason.Trace) bool { return t.ForcedEnd }) != len(ps) {
		t.Error("max 5: the end was not always forced")
	}
	zero := at(0, 0, 0, true)
	for _, tr := range zero.traces {
		if !strings.HasPrefix(tr.Text, arith.ThinkEnd+"\nA:") || tr.ThinkTokens != 0 || !tr.ForcedEnd {
			t.Errorf("zero budget: %q %+v", tr.Text, tr)
		}
	}
}

func TestBadFlags(t *testing.T) {
	part2test.BadFlags(t, run, []string{"-steps", "0"}, []string{"-d-model", "30"}, []string{"-digits", "0"}, []string{"-digits", "9"},
		[]string{"-test", "0"}, []string{"-budgets", "0,x"}, []string{"-budgets", "-1"}, []string{"-waits", "0"}, []string{"-waits", ""},
		[]string{"-stop", "0.8", "-wait", "0.3"}, []string{"-temp", "-1"})
}
