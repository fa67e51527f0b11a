package tokenizer

import (
	"math/rand/v2"
	"slices"
	"testing"

	"transformers/gpt/corpus"
)

// referenceEncode is the obviously-correct BPE encoder: cut into chunks, then
// apply every merge, in rank order, once over each chunk (left to right).
// It equals "repeatedly merge the lowest-ranked pair present" because a
// merge only creates pairs that contain its new token, and every merge using
// that token has a higher rank.
func referenceEncode(t *BPE, text string) []int {
	var out []int
	for _, c := range Chunks(text) {
		ids := make([]int, len(c))
		for i := range len(c) {
			ids[i] = ByteBase + int(c[i])
		}
		for r, m := range t.merges {
			ids = mergePair(ids, m[0], m[1], MergeBase+r)
		}
		out = append(out, ids...)
	}
	return out
}

// referenceTrain is the obviously-correct trainer: recount every pair of
// every chunk before each merge.
func referenceTrain(text string, nMerges int) [][2]int {
	freq := map[string]int{}
	for _, c := range Chunks(text) {
		freq[c]++
	}
	type word struct {
		ids []int
		n   int
	}
	var words []word
	for c, n := range freq {
		ids := make([]int, len(c))
		for i := range len(c) {
			ids[i] = ByteBase + int(c[i])
		}
		words = append(words, word{ids, n})
	}
	var merges [][2]int
	for len(merges) < nMerges {
		counts := map[[2]int]int{}
		for _, w := range words {
			for i := 0; i+1 < len(w.ids); i++ {
				counts[[2]int{w.ids[i], w.ids[i+1]}] += w.n
			}
		}
		best, bestN := [2]int{}, 0
		for p, n := range counts {
			if n > bestN || n == bestN && (p[0] < best[0] || p[0] == best[0] && p[1] < best[1]) {
				best, bestN = p, n
			}
		}
		if bestN < 2 {
			break
		}
		id := MergeBase + len(merges)
		merges = append(merges, best)
		for i := range words {
			words[i].ids = mergePair(words[i].ids, best[0], best[1], id)
		}
	}
	return merges
}

// randomText mixes corpus words, digits, punctuation, multi-byte runes and
// invalid bytes.
func randomText(seed uint64, n int) string {
	rng := rand.New(rand.NewPCG(seed, 9))
	pieces := []string{"the", " cat", "aa", "a", " ", "  ", "\n", ".", "1", "23", "é", "世界", "\xff", "ab", "ba", "bab", "abab", "'s"}
	var b []byte
	for len(b) < n {
		b = append(b, pieces[rng.IntN(len(pieces))]...)
	}
	return string(b)
}

func TestTrainMatchesReference(t *testing.T) {
	texts := []string{
		"aaabdaaabac",
		corpus.Corpus(8, 8_000),
		randomText(1, 3_000),
		randomText(2, 6_000),
	}
	for i, text := range texts {
		want := referenceTrain(text, 150)
		got, _, _ := trainMerges(text, 150)
		if !slices.Equal(got, want) {
			n := 0
			for n < min(len(got), len(want)) && got[n] == want[n] {
				n++
			}
			t.Errorf("text %d: incremental training diverges from the reference at merge %d of %d/%d", i, n, len(got), len(want))
		}
	}
}

func TestEncodeMatchesReference(t *testing.T) {
	tok, err := TrainBPE(corpus.Corpus(8, 30_000)+randomText(3, 5_000), 700)
	if err != nil {
		t.Fatal(err)
	}
	for _, text := range append([]string{corpus.Corpus(9, 20_000), randomText(4, 5_000)}, roundTripCases...) {
		if got, want := tok.Encode(text), referenceEncode(tok, text); !slices.Equal(got, want) {
			t.Errorf("Encode differs from the reference on %.40q…", text)
		}
	}
}

func FuzzBPEReference(f *testing.F) {
	tok, err := TrainBPE(corpus.Corpus(3, 20_000)+randomText(5, 5_000), 600)
	if err != nil {
		f.Fatal(err)
	}
	for _, s := range roundTripCases {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := tok.Encode(s), referenceEncode(tok, s); !slices.Equal(got, want) {
			t.Fatalf("Encode(%q) = %v, reference %v", s, got, want)
		}
	})
}
