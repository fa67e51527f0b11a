package reason_test

import (
	"math"
	"math/rand/v2"
	"testing"

	"transformers/reason"
	"transformers/reason/countdown"
)

func TestAggregate(t *testing.T) {
	s := []float64{0.9, 0.2, 0.8}
	tests := []struct {
		agg  reason.StepAgg
		in   []float64
		want float64
	}{
		{reason.AggMin, s, 0.2},
		{reason.AggProd, s, 0.9 * 0.2 * 0.8},
		{reason.AggLast, s, 0.8},
		{reason.AggMean, s, (0.9 + 0.2 + 0.8) / 3},
		{reason.AggMin, nil, 0},
		{reason.AggLast, []float64{0.4}, 0.4},
	}
	for _, tt := range tests {
		if got := reason.Aggregate(tt.in, tt.agg); math.Abs(got-tt.want) > 1e-12 {
			t.Errorf("Aggregate(%v, %d) = %v, want %v", tt.in, tt.agg, got, tt.want)
		}
	}
}

// TestStepVersusAnswerScoring ranks candidate countdown solutions with a
// stub PRM that is exact on every step except that it cannot judge the last
// line (it scores every answer line 0.9): step-level aggregation (min) then
// rejects a solution whose middle is broken, answer-level scoring (last)
// cannot tell it from a right one and keeps the first sampled.
func TestStepVersusAnswerScoring(t *testing.T) {
	p := countdown.Problem{Numbers: []int{3, 4, 25, 50}, Target: 97}
	solver := countdown.NewSolver(p.Target)
	prm := reason.StepScorerFunc(func(_ string, steps []string) []float64 {
		labels := p.StepLabels(steps, solver)
		out := make([]float64, len(steps))
		for i, ok := range labels {
			if ok {
				out[i] = 1
			}
		}
		out[len(out)-1] = 0.9
		return out
	})
	wrong := "25*4=100\n100-4=96\nA:97\n" // broken middle, confident answer
	right := "25*4=100\n100-3=97\nA:97\n"
	stub := func() reason.Sampler {
		n := 0
		return reason.SamplerFunc(func(string, *rand.Rand) string {
			n++
			if n == 1 {
				return wrong
			}
			return right
		})
	}
	tests := []struct {
		agg  reason.StepAgg
		want string
	}{
		{reason.AggMin, right},
		{reason.AggProd, right},
		{reason.AggLast, wrong},
	}
	for _, tt := range tests {
		got, _ := reason.BestOfN(p, stub(), 2, reason.ProcessScorer(prm, tt.agg), rand.New(rand.NewPCG(1, 1)))
		if got != tt.want {
			t.Errorf("aggregation %d picked %q, want %q", tt.agg, got, tt.want)
		}
	}
}
