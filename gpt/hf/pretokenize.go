package hf

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// contractions are the first alternatives of GPT-2's pattern, tried in this
// order (case-sensitive, ASCII apostrophe only).
var contractions = [...]string{"'s", "'t", "'re", "'ve", "'m", "'ll", "'d"}

// class of a rune in GPT-2's pattern: a letter (\p{L}), a number (\p{N}),
// white space (\s, Unicode White_Space) or anything else. A byte that is not
// valid UTF-8 counts as "other", so every byte string splits.
type class uint8

const (
	classOther class = iota
	classLetter
	classNumber
	classSpace
)

func classify(r rune, size int) class {
	switch {
	case r == utf8.RuneError && size <= 1:
		return classOther
	case unicode.IsLetter(r):
		return classLetter
	case unicode.IsNumber(r):
		return classNumber
	case unicode.IsSpace(r):
		return classSpace
	}
	return classOther
}

// Split cuts text into the pieces GPT-2's pre-tokenizer yields, the matches
// of
//
//	's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
//
// written out by hand because Go's regexp has no look-ahead. At each
// position the first alternative that matches wins: a contraction; an
// optional space and a run of letters, of numbers, or of other symbols; a
// run of white space that stops before the last space when a non-space
// follows (so that space can start the next word, as in "a  b" → "a", " ",
// " b"); or a lone white space before a non-space. The pieces concatenate to
// text exactly, whatever its bytes.
func Split(text string) []string {
	var out []string
	for i := 0; i < len(text); {
		n := matchAt(text, i)
		out = append(out, text[i:i+n])
		i += n
	}
	return out
}

// runAt returns the byte length of the run of class c starting at i.
func runAt(text string, i int, c class) int {
	j := i
	for j < len(text) {
		r, size := utf8.DecodeRuneInString(text[j:])
		if classify(r, size) != c {
			break
		}
		j += size
	}
	return j - i
}

// matchAt returns the length (> 0) of the piece starting at byte i.
func matchAt(text string, i int) int {
	rest := text[i:]
	for _, c := range contractions {
		if strings.HasPrefix(rest, c) {
			return len(c)
		}
	}
	r, size := utf8.DecodeRuneInString(rest)
	cl := classify(r, size)
	// " ?\p{L}+", " ?\p{N}+", " ?[^\s\p{L}\p{N}]+": an optional ASCII space
	// then a run of one class.
	if r == ' ' && len(rest) > 1 {
		r2, size2 := utf8.DecodeRuneInString(rest[1:])
		if c2 := classify(r2, size2); c2 != classSpace {
			return 1 + runAt(text, i+1, c2)
		}
	}
	if cl != classSpace {
		return runAt(text, i, cl)
	}
	// "\s+(?!\S)": the whole run if it ends the text, else all but its
	// last character (which must then leave at least one); "\s+" otherwise.
	n := runAt(text, i, classSpace)
	if i+n == len(text) {
		return n
	}
	_, last := utf8.DecodeLastRuneInString(rest[:n])
	if n-last > 0 {
		return n - last
	}
	return n
}
