package tokenizer

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"transformers/gpt/corpus"
)

// roundTripCases are byte strings every tokenizer must reproduce exactly.
var roundTripCases = []string{
	"",
	"a",
	"hello world",
	"Mia had a red kite. \"Hello, Tom!\" said Mia.",
	"héllo ✓ 世界 🙂",
	"\xff\xfe\x00\x01",
	"\xe2\x82",         // truncated 3-byte sequence
	"\xe2\x82\xac\xe2", // valid € then a truncated one
	"\xed\xa0\x80",     // an encoded surrogate (invalid UTF-8)
	"\uFFFD literal replacement char",
	"<|eos|><|bos|><|pad|><|user|><|assistant|><|end|><think></think>",
	"<|eos", "<|eos|", "</think", "<<|bos|>>",
	"123 + 4567 = 4690",
	"   a  b\n\n\tc \r\n",
	strings.Repeat("ab", 100) + strings.Repeat(" ", 7),
	"aaaaaaa",
}

// testTokenizers returns a Char and a BPE trained on a small built-in corpus.
func testTokenizers(t testing.TB) []Tokenizer {
	t.Helper()
	text := corpus.Corpus(3, 30_000) + "héllo wörld, 世界世界 🙂🙂 naïve café café"
	b, err := TrainBPE(text, 500)
	if err != nil {
		t.Fatal(err)
	}
	return []Tokenizer{NewChar(text), b}
}

func TestRoundTrip(t *testing.T) {
	for _, tok := range testTokenizers(t) {
		for _, s := range roundTripCases {
			for name, enc := range map[string]func(string) []int{"Encode": tok.Encode, "EncodeWithSpecials": tok.EncodeWithSpecials} {
				ids := enc(s)
				if got := tok.Decode(ids); got != s {
					t.Errorf("%T %s(%q): ids %v decode to %q", tok, name, s, ids, got)
				}
				for _, id := range ids {
					if id < 0 || id >= tok.VocabSize() {
						t.Errorf("%T %s(%q): id %d outside vocabulary %d", tok, name, s, id, tok.VocabSize())
					}
				}
			}
		}
	}
}

func TestSpecials(t *testing.T) {
	if got := Specials(); len(got) != NumSpecial || got[BOSID] != BOS || got[EOSID] != EOS || got[PADID] != PAD ||
		got[UserID] != User || got[AssistantID] != Assistant || got[EndID] != End || got[ThinkID] != Think || got[ThinkEndID] != ThinkEnd {
		t.Fatalf("Specials() = %q", got)
	}
	for _, tok := range testTokenizers(t) {
		text := "<|bos|>Mia<|eos|><think>x</think><|end|>"
		ids := tok.EncodeWithSpecials(text)
		want := []int{BOSID}
		want = append(want, tok.Encode("Mia")...)
		want = append(want, EOSID, ThinkID)
		want = append(want, tok.Encode("x")...)
		want = append(want, ThinkEndID, EndID)
		if !slices.Equal(ids, want) {
			t.Errorf("%T EncodeWithSpecials(%q) = %v, want %v", tok, text, ids, want)
		}
		// Plain Encode never produces a special id, whatever the text.
		for _, id := range tok.Encode(text) {
			if IsSpecial(id) {
				t.Errorf("%T Encode(%q) produced special id %d", tok, text, id)
			}
		}
		for id := 0; id < NumSpecial; id++ {
			if got := tok.Decode([]int{id}); got != Specials()[id] {
				t.Errorf("%T Decode([%d]) = %q", tok, id, got)
			}
		}
	}
}

func TestCharEncode(t *testing.T) {
	c := NewChar("banana\xff")
	// Runes sorted: a, b, n; the invalid byte is not a rune.
	if got, want := c.Runes(), []rune{'a', 'b', 'n'}; !slices.Equal(got, want) {
		t.Fatalf("Runes() = %q, want %q", got, want)
	}
	if got := c.VocabSize(); got != NumSpecial+256+3 {
		t.Fatalf("VocabSize() = %d", got)
	}
	const r0 = NumSpecial + 256
	tests := []struct {
		in   string
		want []int
	}{
		{"ban", []int{r0 + 1, r0, r0 + 2}},
		{"c", []int{ByteBase + 'c'}},
		{"é", []int{ByteBase + 0xc3, ByteBase + 0xa9}},
		{"a\xffb", []int{r0, ByteBase + 0xff, r0 + 1}},
		{"\uFFFD", []int{ByteBase + 0xef, ByteBase + 0xbf, ByteBase + 0xbd}},
	}
	for _, tt := range tests {
		if got := c.Encode(tt.in); !slices.Equal(got, tt.want) {
			t.Errorf("Encode(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
	// Same rune set in another order gives the same tokenizer.
	if !slices.Equal(NewChar("nab").Runes(), c.Runes()) {
		t.Error("vocabulary depends on the order of the training text")
	}
}

func TestChunks(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"", nil},
		{"Hello, world!", []string{"Hello", ",", " world", "!"}},
		{"a  b", []string{"a", " ", " b"}},
		{"x\n\ny", []string{"x", "\n\n", "y"}},
		{"x \n y", []string{"x", " \n", " y"}},
		{"123", []string{"1", "2", "3"}},
		{"has 42 eggs", []string{"has", " 4", "2", " eggs"}},
		{"héllo wörld", []string{"héllo", " wörld"}},
		{"a ", []string{"a", " "}},
		{" .", []string{" ."}},
		{"Mia's", []string{"Mia", "'", "s"}},
		{strings.Repeat("a", 70), []string{strings.Repeat("a", 32), strings.Repeat("a", 32), "aaaaaa"}},
		{" " + strings.Repeat("a", 40), []string{" " + strings.Repeat("a", 31), strings.Repeat("a", 9)}},
		{strings.Repeat("a", 31) + "é", []string{strings.Repeat("a", 31) + "é"}},
		{strings.Repeat("a", 31) + "€b", []string{strings.Repeat("a", 31) + "€", "b"}},
		{strings.Repeat("\x80", 40), []string{strings.Repeat("\x80", 35), strings.Repeat("\x80", 5)}},
		{strings.Repeat(" ", 40) + "x", []string{strings.Repeat(" ", 32), strings.Repeat(" ", 7), " x"}},
	}
	for _, tt := range tests {
		if got := Chunks(tt.in); !slices.Equal(got, tt.want) {
			t.Errorf("Chunks(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func mustBPE(t *testing.T, merges [][2]int) *BPE {
	t.Helper()
	b, err := NewBPE(merges)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestMergeOrder fails if merges are applied in any order but their rank, or
// if occurrences are not merged left to right.
func TestMergeOrder(t *testing.T) {
	a, b, c := int(ByteBase+'a'), int(ByteBase+'b'), int(ByteBase+'c')
	tests := []struct {
		name   string
		merges [][2]int
		in     string
		want   []int
	}{
		// (b,c) outranks (a,b): "abc" → a·bc, although a left-to-right
		// greedy pass would take ab first and then ab·c.
		{"rank beats position", [][2]int{{b, c}, {a, b}, {MergeBase + 1, c}}, "abc", []int{a, MergeBase}},
		// With (a,b) first the same merges give one token.
		{"rank order", [][2]int{{a, b}, {b, c}, {MergeBase, c}}, "abc", []int{MergeBase + 2}},
		// A later merge must wait for the earlier one that creates its input.
		{"chained", [][2]int{{a, a}, {MergeBase, MergeBase}}, "aaaa", []int{MergeBase + 1}},
		{"left to right", [][2]int{{a, a}}, "aaa", []int{MergeBase, a}},
		{"no cross-chunk merge", [][2]int{{a, ByteBase + ' '}}, "a a", []int{a, ByteBase + ' ', a}},
	}
	for _, tt := range tests {
		tok := mustBPE(t, tt.merges)
		if got := tok.Encode(tt.in); !slices.Equal(got, tt.want) {
			t.Errorf("%s: Encode(%q) = %v, want %v", tt.name, tt.in, got, tt.want)
		}
	}
}

// TestTrainBPEHand checks training against the classic "aaabdaaabac" example
// worked by hand: counts aa 4, ab 2 → merge (a,a) = Z; then "ZabdZabac" has
// Za 2 and ab 2, a tie broken by the smaller pair (a,b) = Y; then ZY 2 → X;
// then every pair occurs once and training stops.
func TestTrainBPEHand(t *testing.T) {
	a, b := int(ByteBase+'a'), int(ByteBase+'b')
	tok, err := TrainBPE("aaabdaaabac", 1000)
	if err != nil {
		t.Fatal(err)
	}
	want := [][2]int{{a, a}, {a, b}, {MergeBase, MergeBase + 1}}
	if got := tok.Merges(); !slices.Equal(got, want) {
		t.Fatalf("merges = %v, want %v", got, want)
	}
	if got := tok.VocabSize(); got != MergeBase+3 {
		t.Errorf("VocabSize() = %d, want %d", got, MergeBase+3)
	}
	if got, want := tok.Encode("aaabdaaabac"), []int{MergeBase + 2, ByteBase + 'd', MergeBase + 2, a, ByteBase + 'c'}; !slices.Equal(got, want) {
		t.Errorf("Encode = %v, want %v", got, want)
	}
	// vocabSize caps the number of merges.
	tok, _ = TrainBPE("aaabdaaabac", MergeBase+1)
	if got := tok.Merges(); !slices.Equal(got, want[:1]) {
		t.Errorf("vocab %d: merges = %v, want %v", MergeBase+1, got, want[:1])
	}
	if _, err := TrainBPE("abc", MergeBase-1); err == nil {
		t.Error("TrainBPE below the minimum vocabulary: no error")
	}
}

// TestTrainMatchesEncode: the segmentation training ends with for every
// distinct chunk must be exactly what Encode produces for it.
func TestTrainMatchesEncode(t *testing.T) {
	text := corpus.Corpus(5, 40_000) + "Zebras zigzag; 1234567 x aaaaaaa bbbb ÿÿÿ naïve naïve"
	merges, chunks, words := trainMerges(text, 400)
	tok := mustBPE(t, merges)
	if len(merges) != 400 {
		t.Fatalf("%d merges, want 400", len(merges))
	}
	for i, c := range chunks {
		want := make([]int, len(words[i]))
		for k, id := range words[i] {
			want[k] = int(id)
		}
		if got := tok.Encode(c); !slices.Equal(got, want) {
			t.Fatalf("chunk %q: Encode = %v, training ended with %v", c, got, want)
		}
	}
	// Training is deterministic (map iteration order must not leak in).
	again, _, _ := trainMerges(text, 400)
	if !slices.Equal(again, merges) {
		t.Error("two trainings on the same text differ")
	}
}

func TestCompression(t *testing.T) {
	text := corpus.Corpus(1, 50_000)
	prev := 1.0
	for _, v := range []int{MergeBase, 300, 400, 600} {
		tok, err := TrainBPE(text, v)
		if err != nil {
			t.Fatal(err)
		}
		bpt := float64(len(text)) / float64(len(tok.Encode(text)))
		if bpt < prev {
			t.Errorf("vocab %d: %.3f bytes/token, less than %.3f at a smaller vocabulary", v, bpt, prev)
		}
		prev = bpt
	}
	if prev < 2.5 {
		t.Errorf("vocab 600 compresses only %.2f bytes/token", prev)
	}
}

func TestSaveLoad(t *testing.T) {
	dir := t.TempDir()
	toks := testTokenizers(t)
	for _, tok := range toks {
		path := filepath.Join(dir, "tok.json")
		if err := tok.Save(path); err != nil {
			t.Fatal(err)
		}
		got, err := Load(path)
		if err != nil {
			t.Fatal(err)
		}
		if got.VocabSize() != tok.VocabSize() {
			t.Fatalf("%T: loaded vocabulary %d, want %d", tok, got.VocabSize(), tok.VocabSize())
		}
		for _, s := range roundTripCases {
			if !slices.Equal(got.Encode(s), tok.Encode(s)) {
				t.Errorf("%T: loaded tokenizer encodes %q differently", tok, s)
			}
		}
		entries, _ := os.ReadDir(dir)
		if len(entries) != 1 {
			t.Errorf("Save left %d files in the directory, want 1", len(entries))
		}
	}
	if _, err := LoadBPE(filepath.Join(dir, "tok.json")); err != nil { // last saved was BPE
		t.Error(err)
	}
	if _, err := LoadChar(filepath.Join(dir, "tok.json")); err == nil {
		t.Error("LoadChar accepted a BPE file")
	}
	if err := toks[1].Save(filepath.Join(dir, "missing", "tok.json")); err == nil || !strings.Contains(err.Error(), "missing") {
		t.Errorf("Save into a missing directory: %v", err)
	}
}

func TestLoadErrors(t *testing.T) {
	specials := `"specials":["<|bos|>","<|eos|>","<|pad|>","<|user|>","<|assistant|>","<|end|>","<think>","</think>"]`
	tests := []struct {
		name, json, want string
	}{
		{"not json", `{"type":`, "unexpected EOF"},
		{"unknown type", `{"type":"wordpiece",` + specials + `}`, "unknown type"},
		{"unknown field", `{"type":"bpe","vocab":3,` + specials + `}`, "unknown field"},
		{"missing specials", `{"type":"bpe","merges":[[8,9]]}`, "special tokens"},
		{"wrong special", `{"type":"bpe","specials":["<|bos|>","<|eos|>","<|pad|>","<|user|>","<|assistant|>","<|end|>","<think>","<x>"]}`, "special token 7"},
		{"future id", `{"type":"bpe",` + specials + `,"merges":[[8,9],[8,265]]}`, "merge 1"},
		{"special in merge", `{"type":"bpe",` + specials + `,"merges":[[0,9]]}`, "merge 0"},
		{"duplicate merge", `{"type":"bpe",` + specials + `,"merges":[[8,9],[8,9]]}`, "repeats merge 0"},
		{"char unsorted", `{"type":"char",` + specials + `,"runes":"ba"}`, "not strictly increasing"},
		{"char with merges", `{"type":"char",` + specials + `,"merges":[[8,9]]}`, "no merges"},
	}
	dir := t.TempDir()
	for _, tt := range tests {
		path := filepath.Join(dir, strings.ReplaceAll(tt.name, " ", "_")+".json")
		if err := os.WriteFile(path, []byte(tt.json), 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := Load(path)
		if err == nil || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: error %v, want one naming %s and containing %q", tt.name, err, path, tt.want)
		}
	}
	if _, err := Load(filepath.Join(dir, "nope.json")); err == nil || !strings.Contains(err.Error(), "nope.json") {
		t.Errorf("missing file: %v", err)
	}
}

func TestDecodePanics(t *testing.T) {
	for _, tok := range testTokenizers(t) {
		for _, id := range []int{-1, tok.VocabSize()} {
			func() {
				defer func() {
					if r := recover(); r == nil || !strings.Contains(r.(string), "out of range") {
						t.Errorf("%T Decode([%d]): panic %v", tok, id, r)
					}
				}()
				tok.Decode([]int{id})
			}()
		}
	}
}

func fuzzRoundTrip(f *testing.F, tok Tokenizer) {
	for _, s := range roundTripCases {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got := tok.Decode(tok.Encode(s)); got != s {
			t.Fatalf("Encode/Decode(%q) = %q", s, got)
		}
		if got := tok.Decode(tok.EncodeWithSpecials(s)); got != s {
			t.Fatalf("EncodeWithSpecials/Decode(%q) = %q", s, got)
		}
		if utf8.ValidString(s) && len(tok.Encode(s)) > len(s) {
			t.Fatalf("Encode(%q) has more tokens than bytes", s)
		}
	})
}

func FuzzCharRoundTrip(f *testing.F) {
	fuzzRoundTrip(f, NewChar(corpus.Corpus(3, 10_000)+"é世"))
}

func FuzzBPERoundTrip(f *testing.F) {
	tok, err := TrainBPE(corpus.Corpus(3, 30_000)+" héllo wörld 世界 123", 600)
	if err != nil {
		f.Fatal(err)
	}
	fuzzRoundTrip(f, tok)
}

func FuzzChunks(f *testing.F) {
	for _, s := range roundTripCases {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		chunks := Chunks(s)
		if got := strings.Join(chunks, ""); got != s {
			t.Fatalf("chunks of %q join to %q", s, got)
		}
		for _, c := range chunks {
			if c == "" || len(c) > MaxChunk+3 {
				t.Fatalf("chunk %q of %q: length %d outside [1, %d]", c, s, len(c), MaxChunk+3)
			}
		}
	})
}
