package reason

import (
	"fmt"
	"math"
)

// StepScorer scores every step of a solution in one call, as a process
// reward model does: it reads the whole solution once and emits a score at
// the end of each step (the probability that the solution is still on a
// correct path). The result has one score per step.
type StepScorer interface {
	StepScores(prompt string, steps []string) []float64
}

// StepScorerFunc adapts a function to StepScorer.
type StepScorerFunc func(prompt string, steps []string) []float64

// StepScores calls f.
func (f StepScorerFunc) StepScores(prompt string, steps []string) []float64 { return f(prompt, steps) }

// StepAgg turns per-step scores into one solution score.
type StepAgg int

// The aggregations: the weakest step (min), the chance every step is right
// (product), the last step alone (what an answer-level scorer sees), and
// the mean.
const (
	AggMin StepAgg = iota
	AggProd
	AggLast
	AggMean
)

// Aggregate combines per-step scores; an empty solution scores 0.
func Aggregate(scores []float64, agg StepAgg) float64 {
	if len(scores) == 0 {
		return 0
	}
	switch agg {
	case AggMin:
		m := math.Inf(1)
		for _, s := range scores {
			m = math.Min(m, s)
		}
		return m
	case AggProd:
		p := 1.0
		for _, s := range scores {
			p *= s
		}
		return p
	case AggLast:
		return scores[len(scores)-1]
	case AggMean:
		sum := 0.0
		for _, s := range scores {
			sum += s
		}
		return sum / float64(len(scores))
	}
	panic(fmt.Sprintf("reason.Aggregate: unknown aggregation %d", agg))
}

// ProcessScorer makes a Scorer from a StepScorer: one StepScores call per
// solution, aggregated with agg. With AggLast it ranks like an answer-level
// scorer; with AggMin or AggProd one bad step sinks the solution.
func ProcessScorer(s StepScorer, agg StepAgg) Scorer {
	return ScorerFunc(func(prompt string, steps []string) float64 {
		sc := s.StepScores(prompt, steps)
		if len(sc) != len(steps) {
			panic(fmt.Sprintf("reason.ProcessScorer: %d scores for %d steps", len(sc), len(steps)))
		}
		return Aggregate(sc, agg)
	})
}
