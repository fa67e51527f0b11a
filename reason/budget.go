package reason

import (
	"fmt"
	"math/rand/v2"
	"strings"
)

// TokenSampler proposes the next token given all text so far; "" means the
// model has stopped (end of sequence). One call is one forward pass.
type TokenSampler interface {
	Next(text string, rng *rand.Rand) string
}

// TokenSamplerFunc adapts a function to TokenSampler.
type TokenSamplerFunc func(text string, rng *rand.Rand) string

// Next calls f.
func (f TokenSamplerFunc) Next(text string, rng *rand.Rand) string { return f(text, rng) }

// Budget controls how long a model thinks (s1's budget forcing). Thinking
// runs from the prompt (which should end with "<think>") to the end-of-
// thinking token End. While fewer than Min thinking tokens have been
// produced, an End the model proposes is dropped and Wait is appended
// instead, at most MaxWaits times; once Max thinking tokens are reached End
// is appended by force. After thinking the model writes its answer, at most
// AnswerTokens tokens or until it stops.
type Budget struct {
	Min, Max     int    // thinking-token bounds (Max ≤ 0: no upper bound)
	MaxWaits     int    // most Waits inserted
	Wait         string // extension text, e.g. "Wait\n"; counts as one thinking token
	End          string // end-of-thinking token, e.g. "</think>"
	AnswerTokens int    // cap on tokens after thinking
}

// Trace is a budget-forced generation with counts of what was done to it.
type Trace struct {
	Text          string // the completion (without the prompt)
	ThinkTokens   int    // thinking tokens, inserted Waits included
	WaitsInserted int    // Waits actually appended (not merely allowed)
	ForcedEnd     bool   // End was appended because Max was reached
	Calls         int    // TokenSampler calls
}

// Generate runs gen from prompt under the budget.
func (b Budget) Generate(gen TokenSampler, prompt string, rng *rand.Rand) Trace {
	if b.End == "" || b.Wait == "" {
		panic(fmt.Sprintf("reason.Budget: empty End %q or Wait %q", b.End, b.Wait))
	}
	if b.Max > 0 && b.Min > b.Max {
		panic(fmt.Sprintf("reason.Budget: Min %d > Max %d", b.Min, b.Max))
	}
	var t Trace
	var out strings.Builder
	thinking := true
	for thinking {
		if b.Max > 0 && t.ThinkTokens >= b.Max {
			out.WriteString(b.End)
			t.ForcedEnd = true
			break
		}
		t.Calls++
		tok := gen.Next(prompt+out.String(), rng)
		switch {
		case tok == b.End || tok == "":
			// The model wants to stop thinking (or stop altogether).
			if t.ThinkTokens < b.Min && t.WaitsInserted < b.MaxWaits {
				out.WriteString(b.Wait)
				t.WaitsInserted++
				t.ThinkTokens++
				continue
			}
			out.WriteString(b.End)
			thinking = false
		default:
			out.WriteString(tok)
			t.ThinkTokens++
		}
	}
	for i := 0; i < b.AnswerTokens; i++ {
		t.Calls++
		tok := gen.Next(prompt+out.String(), rng)
		if tok == "" {
			break
		}
		out.WriteString(tok)
	}
	t.Text = out.String()
	return t
}
