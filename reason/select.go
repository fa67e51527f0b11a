package reason

import (
	"math/rand/v2"
	"strings"
)

// Lines splits a completion into its non-empty lines, trimmed: the form in
// which a Scorer sees a full completion (steps and answer line).
func Lines(completion string) []string {
	var out []string
	for _, l := range strings.Split(completion, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}

// Join writes steps back as a completion, one per line.
func Join(steps []string) string {
	if len(steps) == 0 {
		return ""
	}
	return strings.Join(steps, "\n") + "\n"
}

// VerifierScorer scores a completion (given as lines) 1 if p verifies it and
// 0 otherwise: the exact outcome reward.
func VerifierScorer(p Problem) Scorer {
	return ScorerFunc(func(_ string, steps []string) float64 {
		if p.Verify(Join(steps)) {
			return 1
		}
		return 0
	})
}

// SelfConsistency samples k completions for p and returns the one whose
// parsed answer wins the majority vote (MajorityVote's tie-break), or the
// first sample when none parses. It makes k sampler calls.
func SelfConsistency(p Problem, s Sampler, k int, answer AnswerFunc, rng *rand.Rand) string {
	comps := make([]string, k)
	ans := make([]string, k)
	ok := make([]bool, k)
	for i := range comps {
		comps[i] = s.Sample(p.Prompt(), rng)
		ans[i], ok[i] = answer(comps[i])
	}
	if w := MajorityVote(ans, ok); w >= 0 {
		return comps[w]
	}
	return comps[0]
}

// BestOfN samples n completions for p, scores each (as lines) with sc, and
// returns the highest-scoring one, ties going to the earliest, with its
// score. It makes n sampler calls and n scorer calls.
func BestOfN(p Problem, s Sampler, n int, sc Scorer, rng *rand.Rand) (string, float64) {
	best, bestScore := "", 0.0
	for i := 0; i < n; i++ {
		c := s.Sample(p.Prompt(), rng)
		v := sc.Score(p.Prompt(), Lines(c))
		if i == 0 || v > bestScore {
			best, bestScore = c, v
		}
	}
	return best, bestScore
}

// RolloutLabels gives each step of a solution a Monte-Carlo label: for the
// prefix ending at step i, m completions are sampled from
// StepPrompt(prompt, steps[:i+1]) and the label is the fraction whose full
// text (prefix plus continuation) verifies. These are the rollout labels of
// a process reward model (Math-Shepherd style); it makes m·len(steps)
// sampler calls.
func RolloutLabels(p Problem, steps []string, s Sampler, m int, rng *rand.Rand) []float64 {
	out := make([]float64, len(steps))
	for i := range steps {
		prefix := Join(steps[:i+1])
		hit := 0
		for j := 0; j < m; j++ {
			if p.Verify(prefix + s.Sample(p.Prompt()+prefix, rng)) {
				hit++
			}
		}
		out[i] = float64(hit) / float64(m)
	}
	return out
}
