// Package reason holds the model-agnostic machinery of Part 4: the sampler
// interface every method calls, an evaluation harness (pass@k, maj@k,
// accuracy against samples and against model calls), selection and search
// over reasoning steps (self-consistency, best-of-N, tree of thoughts, MCTS
// with PUCT), budget forcing of <think> traces, and the pieces of GRPO
// (group-relative advantages, outcome rewards, the clipped objective with a
// KL penalty).
//
// Nothing here knows about a network: a Sampler is any function from a prompt
// to a completion, so every algorithm is tested with stub samplers whose
// behaviour is known exactly. The tasks themselves live in reason/arith and
// reason/countdown, and the free-text parsers in reason/parse.
package reason

import (
	"math/rand/v2"
	"strings"
	"sync/atomic"
)

// Problem is a task instance with an exact verifier.
type Problem interface {
	// Prompt is the text the model continues.
	Prompt() string
	// Verify reports whether a completion is exactly right; malformed text
	// is wrong.
	Verify(completion string) bool
}

// Sampler turns a prompt into a completion: one call is one model call.
// Implementations draw all randomness from rng.
type Sampler interface {
	Sample(prompt string, rng *rand.Rand) string
}

// SamplerFunc adapts a function to Sampler.
type SamplerFunc func(prompt string, rng *rand.Rand) string

// Sample calls f.
func (f SamplerFunc) Sample(prompt string, rng *rand.Rand) string { return f(prompt, rng) }

// Counter wraps a Sampler and counts its calls, the compute axis on which
// methods are compared fairly. It is safe for concurrent use.
type Counter struct {
	S     Sampler
	calls atomic.Int64
}

// Count wraps s in a Counter starting at zero.
func Count(s Sampler) *Counter { return &Counter{S: s} }

// Sample forwards to the wrapped sampler and counts the call.
func (c *Counter) Sample(prompt string, rng *rand.Rand) string {
	c.calls.Add(1)
	return c.S.Sample(prompt, rng)
}

// Calls is the number of calls so far.
func (c *Counter) Calls() int { return int(c.calls.Load()) }

// Reset sets the count back to zero.
func (c *Counter) Reset() { c.calls.Store(0) }

// Scorer scores a partial or full solution (the prompt and the steps so far):
// a verifier, an outcome or process reward model, or an exact oracle. Higher
// is better; values in [0, 1] are read as a probability of success.
type Scorer interface {
	Score(prompt string, steps []string) float64
}

// ScorerFunc adapts a function to Scorer.
type ScorerFunc func(prompt string, steps []string) float64

// Score calls f.
func (f ScorerFunc) Score(prompt string, steps []string) float64 { return f(prompt, steps) }

// CountedScorer wraps a Scorer and counts its calls (a learned scorer is a
// model call too).
type CountedScorer struct {
	S     Scorer
	calls atomic.Int64
}

// CountScorer wraps s in a CountedScorer starting at zero.
func CountScorer(s Scorer) *CountedScorer { return &CountedScorer{S: s} }

// Score forwards to the wrapped scorer and counts the call.
func (c *CountedScorer) Score(prompt string, steps []string) float64 {
	c.calls.Add(1)
	return c.S.Score(prompt, steps)
}

// Calls is the number of calls so far.
func (c *CountedScorer) Calls() int { return int(c.calls.Load()) }

// StepPrompt is the text a step sampler continues: the prompt followed by the
// steps so far, one per line. A step sampler returns the next line.
func StepPrompt(prompt string, steps []string) string {
	if len(steps) == 0 {
		return prompt
	}
	return prompt + strings.Join(steps, "\n") + "\n"
}

// FirstLine returns the first line of s without its newline and surrounding
// spaces: how a step sampler's free text becomes one step.
func FirstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return strings.TrimSpace(line)
}
