package arith

import (
	"fmt"
	"strings"

	"transformers/reason/parse"
)

// Wait is the line budget forcing appends to make a model keep thinking
// (s1's "Wait"): parse.Wait, which ParseSteps drops. "W" and "a" are not in
// Alphabet, so a character tokenizer built from it writes them as byte
// tokens: "Wait\n" is five tokens (two byte tokens, "i", "t", "\n") that
// decode back to the same text, and a model learns them like any others.
// Extending Alphabet instead would change the vocabulary of every model
// already trained on it.
const Wait = parse.Wait

// ThinkStop is p's Think completion for a thinker that quits early: the
// first k scratchpad lines, then "</think>" and the right answer — which
// the model must now produce without the remaining lines. k = 0 is an empty
// think block; k = len(GoldSteps()) is the full Think completion.
func (p Problem) ThinkStop(k int) string {
	steps := p.goldPrefix(k)
	return ThinkStart + "\n" + steps + ThinkEnd + "\n" + AnswerPrefix + p.Answer() + "\n"
}

// ThinkWait is p's Think completion interrupted by a Wait after the first
// k scratchpad lines: the thinker resumes with the remaining lines, so the
// trace is the gold one with the line "Wait" inserted. A Wait after the
// last line (k = len(GoldSteps())) is followed directly by "</think>": the
// work is complete and the check confirms it. This is the format that
// teaches a model what to do when budget forcing appends a Wait.
func (p Problem) ThinkWait(k int) string {
	gold := p.GoldSteps()
	head := p.goldPrefix(k)
	tail := ""
	if k < len(gold) {
		tail = strings.Join(gold[k:], "\n") + "\n"
	}
	return ThinkStart + "\n" + head + Wait + "\n" + tail + ThinkEnd + "\n" + AnswerPrefix + p.Answer() + "\n"
}

// goldPrefix is the first k gold lines, each ending in a newline.
func (p Problem) goldPrefix(k int) string {
	gold := p.GoldSteps()
	if k < 0 || k > len(gold) {
		panic(fmt.Sprintf("arith: %d scratchpad lines asked of %s, which has %d", k, p.Question(), len(gold)))
	}
	if k == 0 {
		return ""
	}
	return strings.Join(gold[:k], "\n") + "\n"
}
