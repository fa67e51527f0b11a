package corpus

import (
	"errors"
	"fmt"
	"hash/fnv"
	"io/fs"
	"math"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Defaults for the built-in corpus: about half a megabyte, which a ~1M-parameter
// model sees a few times over in a 3-minute CPU run.
const (
	DefaultSeed        = 1
	DefaultBytes       = 500_000
	DefaultValFraction = 0.1
)

// Corpus returns the built-in text: stories about NewWorld(seed), drawn from
// a generator seeded with seed, until the text holds at least nBytes bytes.
// Stories are separated by a blank line and the text ends with "\n". The
// same seed always gives the same bytes.
func Corpus(seed uint64, nBytes int) string {
	w := NewWorld(seed)
	rng := rand.New(rand.NewPCG(seed, 0x73746f72696573)) // "stories"
	var sb strings.Builder
	sb.Grow(nBytes + 1024)
	for sb.Len() < nBytes {
		if sb.Len() > 0 {
			sb.WriteString("\n")
		}
		sb.WriteString(w.Story(rng))
		sb.WriteString("\n")
	}
	return sb.String()
}

// SplitStories cuts text at blank lines into stories, trimmed of surrounding
// whitespace; empty pieces are dropped. For built-in text it returns exactly
// the generated stories.
func SplitStories(text string) []string {
	text = strings.ReplaceAll(text, "\r\n", "\n")
	var out []string
	for _, s := range strings.Split(text, "\n\n") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// Split divides text into training and validation text by whole stories: a
// story goes to validation when the FNV-1a hash of its text, mod 10⁶, is
// below valFraction·10⁶. The rule depends only on each story's text, so the
// split is reproducible, identical stories always land on the same side (no
// leakage of duplicates), and the two sides are disjoint. If valFraction > 0
// but no story qualifies, the story with the smallest hash goes to
// validation. Both results use the blank-line convention of Corpus.
//
// Text without a blank line (one "story", e.g. a -data file of plain lines)
// is cut once instead: validation is the last valFraction of its bytes,
// starting at a line start (or, with no newline there, a rune start).
func Split(text string, valFraction float64) (train, val string) {
	stories := SplitStories(text)
	if len(stories) < 2 {
		return cutTail(text, valFraction)
	}
	limit := uint64(valFraction * 1e6)
	isVal := make([]bool, len(stories))
	anyVal, minI, minH := false, -1, uint64(math.MaxUint64)
	for i, s := range stories {
		h := fnv.New64a()
		h.Write([]byte(s))
		v := h.Sum64() % 1_000_000
		isVal[i] = v < limit
		anyVal = anyVal || isVal[i]
		if v < minH {
			minI, minH = i, v
		}
	}
	if !anyVal && valFraction > 0 && len(stories) > 1 {
		for i, s := range stories {
			isVal[i] = s == stories[minI]
		}
	}
	var tr, va []string
	for i, s := range stories {
		if isVal[i] {
			va = append(va, s)
		} else {
			tr = append(tr, s)
		}
	}
	return join(tr), join(va)
}

func join(stories []string) string {
	if len(stories) == 0 {
		return ""
	}
	return strings.Join(stories, "\n\n") + "\n"
}

// LoadText reads a UTF-8 text file for training (-data FILE). It returns an
// error naming the file if it cannot be read, is empty, or is not valid
// UTF-8 (then with the byte offset of the first invalid sequence).
func LoadText(path string) (string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			return "", fmt.Errorf("corpus: %s: %w", path, pe.Err)
		}
		return "", fmt.Errorf("corpus: %s: %w", path, err)
	}
	if len(data) == 0 {
		return "", fmt.Errorf("corpus: %s: file is empty", path)
	}
	if off := invalidUTF8(data); off >= 0 {
		return "", fmt.Errorf("corpus: %s: invalid UTF-8 at byte offset %d", path, off)
	}
	return string(data), nil
}

// invalidUTF8 returns the offset of the first invalid UTF-8 sequence, or -1.
func invalidUTF8(b []byte) int {
	for i := 0; i < len(b); {
		r, size := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && size == 1 {
			return i
		}
		i += size
	}
	return -1
}

// UnigramEntropy is the entropy in nats of the empirical distribution of
// ids, H = −Σ_v p_v ln p_v with p_v = count(v)/len(ids). It is the
// cross-entropy of the best model that ignores context — the baseline a
// language model's validation loss must beat. It panics on an id outside
// [0, vocab); it returns 0 for no ids.
func UnigramEntropy(ids []int, vocab int) float64 {
	counts := make([]int, vocab)
	for _, id := range ids {
		if id < 0 || id >= vocab {
			panic(fmt.Sprintf("corpus: UnigramEntropy: id %d out of range [0, %d)", id, vocab))
		}
		counts[id]++
	}
	return entropy(counts, len(ids))
}

func entropy(counts []int, n int) float64 {
	h := 0.0
	for _, c := range counts {
		if c > 0 {
			p := float64(c) / float64(n)
			h -= p * math.Log(p)
		}
	}
	return h
}

// CharEntropy is the unigram entropy in nats of text's runes (invalid bytes
// count as U+FFFD).
func CharEntropy(text string) float64 {
	counts := map[rune]int{}
	n := 0
	for _, r := range text {
		counts[r]++
		n++
	}
	// Sum in rune order so the result does not depend on map iteration.
	rs := make([]rune, 0, len(counts))
	for r := range counts {
		rs = append(rs, r)
	}
	slices.Sort(rs)
	cs := make([]int, len(rs))
	for i, r := range rs {
		cs[i] = counts[r]
	}
	return entropy(cs, n)
}

// Stats summarises a text.
type Stats struct {
	Bytes         int
	Runes         int
	Stories       int     // blank-line separated pieces
	Words         int     // maximal runs of letters
	DistinctWords int     // case-folded
	CharEntropy   float64 // nats per rune (unigram)
}

// Measure computes the Stats of text.
func Measure(text string) Stats {
	s := Stats{Bytes: len(text), Runes: utf8.RuneCountInString(text), Stories: len(SplitStories(text)), CharEntropy: CharEntropy(text)}
	seen := map[string]bool{}
	for _, w := range strings.FieldsFunc(text, func(r rune) bool { return !unicode.IsLetter(r) }) {
		s.Words++
		seen[strings.ToLower(w)] = true
	}
	s.DistinctWords = len(seen)
	return s
}

// String renders the stats on one line.
func (s Stats) String() string {
	return fmt.Sprintf("%d bytes, %d runes, %d stories, %d words (%d distinct), unigram entropy %.3f nats/char",
		s.Bytes, s.Runes, s.Stories, s.Words, s.DistinctWords, s.CharEntropy)
}

// cutTail splits text at about (1−f)·len(text), moved forward to the start
// of the next line, or back to a rune start when no newline follows.
func cutTail(text string, f float64) (string, string) {
	if f <= 0 || text == "" {
		return text, ""
	}
	cut := int(float64(len(text)) * (1 - f))
	cut = max(1, min(cut, len(text)-1))
	if nl := strings.IndexByte(text[cut-1:], '\n'); nl >= 0 && cut+nl < len(text) {
		return text[:cut+nl], text[cut+nl:]
	}
	for cut > 0 && !utf8.RuneStart(text[cut]) {
		cut--
	}
	return text[:cut], text[cut:]
}
