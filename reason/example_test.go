package reason_test

import (
	"fmt"
	"math/rand/v2"

	"strings"

	"transformers/reason"
	"transformers/reason/countdown"
)

// Tree of thoughts on a countdown puzzle with an exact evaluator: the
// proposer is a stub that picks a legal move uniformly at random, and the
// oracle keeps only steps after which the puzzle is still solvable.
func ExampleStepSearch_DFS() {
	p := countdown.Problem{Numbers: []int{2, 3, 5}, Target: 25}
	solver := countdown.NewSolver(p.Target)
	propose := reason.SamplerFunc(func(prompt string, rng *rand.Rand) string {
		q, steps, _ := countdown.ParsePrompt(prompt)
		st, reached, _ := q.StateAfter(steps)
		if reached {
			return "A:" + q.Answer()
		}
		moves := st.Moves()
		return moves[rng.IntN(len(moves))].String()
	})
	s := &reason.StepSearch{
		Prompt: p.Prompt(), Propose: propose, Done: p.Done,
		Score: reason.ScorerFunc(func(_ string, steps []string) float64 { return p.OracleValue(steps, solver) }),
		K:     6, MaxDepth: 4, Threshold: 0.5,
	}
	r := s.DFS(rand.New(rand.NewPCG(1, 1)))
	fmt.Println(r.Found, strings.Join(r.Steps, " | "))
	fmt.Println("verified:", p.Verify(reason.Join(r.Steps)), "calls:", r.Calls())
	// Output:
	// true 3+2=5 | 5*5=25 | A:25
	// verified: true calls: 26
}

// Budget forcing on a stub that always wants to stop thinking at once: two
// Waits are inserted to reach the minimum of two thinking tokens.
func ExampleBudget_Generate() {
	stub := reason.TokenSamplerFunc(func(text string, _ *rand.Rand) string {
		if strings.Contains(text, "</think>") {
			if strings.HasSuffix(text, "A:7") {
				return ""
			}
			return "A:7"
		}
		return "</think>"
	})
	b := reason.Budget{Min: 2, MaxWaits: 5, Wait: "Wait ", End: "</think>", AnswerTokens: 3}
	tr := b.Generate(stub, "3+4 think\n<think>", rand.New(rand.NewPCG(1, 1)))
	fmt.Printf("%q waits=%d thinking=%d\n", tr.Text, tr.WaitsInserted, tr.ThinkTokens)
	// Output:
	// "Wait Wait </think>A:7" waits=2 thinking=2
}

// The evaluation harness on a stub that is right 60 % of the time.
func ExampleCollect() {
	problems := heldOutArith(100)
	s := reason.Collect(problems, arithStub(0.6, 5), 16, 1, func(c string) (string, bool) {
		a, ok := strings.CutPrefix(strings.TrimSpace(c), "A:")
		return a, ok
	})
	var tab reason.Table
	tab.Header = []string{"samples", "pass@k", "maj@k"}
	for _, k := range []int{1, 4, 16} {
		tab.Add(fmt.Sprintf("k=%d", k), s.PassAtK(k), s.MajAtK(k))
	}
	fmt.Print(tab.String())
	fmt.Println("calls:", s.Calls)
	// Output:
	// samples  pass@k  maj@k
	// -------  ------  -----
	// k=1       0.596  0.596
	// k=4       0.972  0.775
	// k=16      1.000  1.000
	// calls: 1600
}
