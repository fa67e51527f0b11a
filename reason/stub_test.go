package reason_test

import (
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"

	"transformers/reason"
	"transformers/reason/arith"
	"transformers/reason/countdown"
)

// arithStub answers an arith prompt directly: right with probability pRight,
// otherwise off by d ∈ {1, …, spread} (so wrong answers scatter and the right
// one is the plurality).
func arithStub(pRight float64, spread int) reason.Sampler {
	return reason.SamplerFunc(func(prompt string, rng *rand.Rand) string {
		q := strings.Fields(prompt)[0]
		i := strings.IndexAny(q, "+-*")
		a, _ := strconv.Atoi(q[:i])
		b, _ := strconv.Atoi(q[i+1:])
		ans := arith.Problem{A: a, B: b, Op: arith.Op(q[i])}.Result()
		if rng.Float64() >= pRight {
			ans += 1 + rng.IntN(spread)
		}
		return "A:" + strconv.Itoa(ans) + "\n"
	})
}

// countdownStep is a step sampler for countdown that knows the rules: after
// reaching the target it writes the answer line; otherwise, with probability
// pGood it proposes a step that keeps the puzzle solvable (chosen uniformly
// among those, by the exact oracle), else a legal step uniformly at random,
// and with probability pJunk an illegal "1+1=2" to exercise the parsers. It
// is a stand-in for a weak model whose next-step distribution is known.
func countdownStep(pGood, pJunk float64) reason.Sampler {
	solvers := map[int]*countdown.Solver{}
	return reason.SamplerFunc(func(prompt string, rng *rand.Rand) string {
		p, steps, ok := countdown.ParsePrompt(prompt)
		if !ok {
			return "?"
		}
		st, reached, ok := p.StateAfter(steps)
		if !ok {
			return "?"
		}
		if reached {
			return "A:" + p.Answer() + "\n"
		}
		if rng.Float64() < pJunk {
			return "1+1=2\n"
		}
		moves := st.Moves()
		if len(moves) == 0 {
			return "A:" + p.Answer() + "\n"
		}
		if rng.Float64() < pGood {
			if solvers[p.Target] == nil {
				solvers[p.Target] = countdown.NewSolver(p.Target)
			}
			var good []countdown.Step
			for _, m := range moves {
				next, _ := st.Apply(m)
				if m.C == p.Target || solvers[p.Target].Solvable(next) {
					good = append(good, m)
				}
			}
			if len(good) > 0 {
				return good[rng.IntN(len(good))].String() + "\n"
			}
		}
		return moves[rng.IntN(len(moves))].String() + "\n"
	})
}

// countdownChain samples a whole countdown solution from a step sampler,
// step by step until the puzzle's Done or maxDepth.
func countdownChain(step reason.Sampler, maxDepth int) reason.Sampler {
	return reason.SamplerFunc(func(prompt string, rng *rand.Rand) string {
		p, prior, _ := countdown.ParsePrompt(prompt)
		var steps []string
		for len(prior)+len(steps) < maxDepth {
			steps = append(steps, reason.FirstLine(step.Sample(reason.StepPrompt(prompt, steps), rng)))
			if p.Done(append(slices.Clone(prior), steps...)) {
				break
			}
		}
		return reason.Join(steps)
	})
}
