// Package parse reads a model's free-text completion back into reasoning
// steps and a final answer. It never panics: malformed text yields ok=false
// (which every verifier scores as wrong), never an error a caller could miss.
//
// The shared completion layout is one step per line, optionally inside a
// "<think>" … "</think>" block, and a final line "A:<answer>".
package parse

import (
	"strconv"
	"strings"
)

// AnswerPrefix starts the final-answer line.
const AnswerPrefix = "A:"

// MaxIntDigits bounds the digits Int accepts, so parsing never overflows.
const MaxIntDigits = 18

// Int parses s as an optionally negative decimal integer with at most
// MaxIntDigits digits, leading and trailing spaces allowed; anything else
// (empty, "+5", "1e3", "12a", "--1") is not ok.
func Int(s string) (int, bool) {
	s = strings.TrimSpace(s)
	neg := strings.HasPrefix(s, "-")
	if neg {
		s = s[1:]
	}
	if len(s) == 0 || len(s) > MaxIntDigits {
		return 0, false
	}
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	if neg {
		n = -n
	}
	return n, true
}

// Answer returns the integer on the first line of text (think markers count
// as line breaks) that starts with AnswerPrefix (after leading spaces), in canonical form (no leading zeros,
// "-0" as "0"); ok is false when there is no such line or it does not hold
// exactly one integer. Text after the answer line is ignored, as a sampler
// may run on past the end.
func Answer(text string) (string, bool) {
	for _, line := range lines(text) {
		line = strings.TrimSpace(line)
		if rest, found := strings.CutPrefix(line, AnswerPrefix); found {
			n, ok := Int(rest)
			if !ok {
				return "", false
			}
			return strconv.Itoa(n), true
		}
	}
	return "", false
}

// Wait is the line budget forcing inserts to extend thinking; Steps drops
// it, so a forced trace's steps line up with the gold ones.
const Wait = "Wait"

// Steps returns the non-empty lines of text before the first answer line,
// trimmed of spaces, with the think markers removed (a line "<think>" or
// "</think>" is dropped, and a marker inside a line breaks it in two) and
// lines that are exactly Wait dropped. A text without an answer line yields
// all its step lines.
func Steps(text string) []string {
	var steps []string
	for _, line := range lines(text) {
		line = strings.TrimSpace(line)
		if strings.HasPrefix(line, AnswerPrefix) {
			break
		}
		if line != "" && line != Wait {
			steps = append(steps, line)
		}
	}
	return steps
}

// lines splits text into lines, the think markers acting as line breaks.
func lines(text string) []string {
	text = strings.ReplaceAll(text, "</think>", "\n")
	text = strings.ReplaceAll(text, "<think>", "\n")
	return strings.Split(text, "\n")
}

// Think splits text at the first "</think>": the thinking (without a leading
// "<think>") and what follows. closed is false when the thinking never ends.
func Think(text string) (thinking, after string, closed bool) {
	t := strings.TrimPrefix(strings.TrimLeft(text, " \n"), "<think>")
	thinking, after, closed = strings.Cut(t, "</think>")
	return thinking, after, closed
}
