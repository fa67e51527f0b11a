package hf

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"transformers/gpt/tokenizer"
)

// Tokenizer can stand wherever the project's tokenizers do (cmd/gpt).
var _ tokenizer.Tokenizer = (*Tokenizer)(nil)

var tokDir = filepath.Join(fixtures, "tokenizer")

func loadTok(t testing.TB) *Tokenizer {
	t.Helper()
	tk, err := LoadTokenizer(tokDir)
	if err != nil {
		t.Fatal(err)
	}
	return tk
}

func TestByteTable(t *testing.T) {
	tab := byteToRune()
	seen := map[rune]bool{}
	for _, r := range tab {
		seen[r] = true
	}
	if len(seen) != 256 {
		t.Fatalf("%d distinct symbols, want 256", len(seen))
	}
	for _, tc := range []struct {
		b    byte
		want rune
	}{
		{'!', '!'}, {'~', '~'}, {0x00, 0x100}, {' ', 'Ġ'}, {'\n', 'Ċ'}, {'\t', 'ĉ'},
		{0x7F, 0x121}, {0xA0, 0x142}, {0xA1, '¡'}, {0xAD, 0x143}, {0xAE, '®'}, {0xFF, 'ÿ'},
	} {
		if tab[tc.b] != tc.want {
			t.Errorf("byte 0x%02x → %U, want %U", tc.b, tab[tc.b], tc.want)
		}
	}
}

// TestSplit pins GPT-2's pre-tokenization on the cases its pattern's
// alternatives decide.
func TestSplit(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []string
	}{
		{"", nil},
		{"hello world", []string{"hello", " world"}},
		{"it's they're we've I'm you'll he'd don't", []string{"it", "'s", " they", "'re", " we", "'ve", " I", "'m", " you", "'ll", " he", "'d", " don", "'t"}},
		{"'S 'LL", []string{"'", "S", " '", "LL"}}, // upper case is no contraction
		{"a  b", []string{"a", " ", " b"}},
		{"a   b", []string{"a", "  ", " b"}},
		{"a \n b", []string{"a", " \n", " b"}},
		{"a\n\nb", []string{"a", "\n", "\n", "b"}},
		{"a\nb", []string{"a", "\n", "b"}},
		{"end   ", []string{"end", "   "}},
		{"  x", []string{" ", " x"}},
		{"x 123 4.5", []string{"x", " 123", " 4", ".", "5"}},
		{"ab12cd", []string{"ab", "12", "cd"}},
		{"hi!!! ?!", []string{"hi", "!!!", " ?!"}},
		{"café ü", []string{"café", " ü"}},
		{"日本 語", []string{"日本", " 語"}},
		{"a\u00a0b", []string{"a", "\u00a0", "b"}},
		{"\xff\xfe a", []string{"\xff\xfe", " a"}},
		{"x²½", []string{"x", "²½"}},
	} {
		got := Split(tc.in)
		if !slices.Equal(got, tc.want) {
			t.Errorf("Split(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

type tokRef struct {
	Text   string   `json:"text"`
	Pieces []string `json:"pieces"`
	IDs    []int    `json:"ids"`
}

// TestMatchesReference compares pieces and ids with the encodings that
// gen_hf.py computed with Python's regex module and the BPE algorithm of
// OpenAI's encoder (tokenizer/expected.json).
func TestMatchesReference(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(tokDir, "expected.json"))
	if err != nil {
		t.Fatal(err)
	}
	var refs []tokRef
	if err := json.Unmarshal(b, &refs); err != nil {
		t.Fatal(err)
	}
	if len(refs) < 100 {
		t.Fatalf("only %d reference encodings", len(refs))
	}
	tk := loadTok(t)
	for _, r := range refs {
		if got := Split(r.Text); !slices.Equal(got, r.Pieces) && !(len(got) == 0 && len(r.Pieces) == 0) {
			t.Errorf("Split(%q) = %q, want %q", r.Text, got, r.Pieces)
		}
		ids := tk.Encode(r.Text)
		if !slices.Equal(ids, r.IDs) && !(len(ids) == 0 && len(r.IDs) == 0) {
			t.Errorf("Encode(%q) = %v, want %v", r.Text, ids, r.IDs)
		}
		if got := tk.Decode(ids); got != r.Text {
			t.Errorf("Decode(Encode(%q)) = %q", r.Text, got)
		}
	}
}

func TestEncodeMerges(t *testing.T) {
	tk := loadTok(t)
	for _, tc := range []struct {
		in   string
		want []string // the tokens' strings as in vocab.json
	}{
		{" the", []string{"Ġthe"}},
		{" theme", []string{"Ġtheme"}},
		{" there", []string{"Ġthere"}},
		{"   x", []string{"ĠĠ", "Ġ", "x"}},
		{"they'll", []string{"t", "he", "y", "'ll"}},
		{"123", []string{"123"}},
		{"....", []string{"..", ".."}}, // every ". ." merges before ".. ." is looked at
		{"...", []string{"..."}},
		{"é", []string{"Ã©"}},
		{"\n\n", []string{"ĊĊ"}},
	} {
		ids := tk.Encode(tc.in)
		var got []string
		for _, id := range ids {
			got = append(got, tk.tokens[id])
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("Encode(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	if tk.VocabSize() != 311 || tk.EOS() != 310 {
		t.Errorf("VocabSize %d, EOS %d; want 311, 310", tk.VocabSize(), tk.EOS())
	}
	if id, ok := tk.ID("Ġ"); !ok || id != 220 {
		t.Errorf(`ID("Ġ") = %d, %v; want 220 as in GPT-2`, id, ok)
	}
}

func TestEncodeWithSpecials(t *testing.T) {
	tk := loadTok(t)
	in := "a<|endoftext|>b<|endoftext|>"
	got := tk.EncodeWithSpecials(in)
	want := append(append(append(tk.Encode("a"), 310), tk.Encode("b")...), 310)
	if !slices.Equal(got, want) {
		t.Errorf("EncodeWithSpecials = %v, want %v", got, want)
	}
	if plain := tk.Encode(in); slices.Contains(plain, 310) {
		t.Errorf("Encode turned the special string into its id: %v", plain)
	}
	if tk.Decode(got) != in {
		t.Errorf("Decode(EncodeWithSpecials(%q)) = %q", in, tk.Decode(got))
	}
}

func TestRoundTrip(t *testing.T) {
	tk := loadTok(t)
	for _, s := range []string{
		"", " ", "\x00", "\xff", "\xc3", "a\xc3\xa9\xc3", "\xf0\x9f\x98", "emoji 😀🚀!",
		"tabs\t\t\tand  \r\n\r\n", "'''s'", strings.Repeat(" ", 50), "\u2028\u3000x",
	} {
		if got := tk.Decode(tk.Encode(s)); got != s {
			t.Errorf("Decode(Encode(%q)) = %q", s, got)
		}
	}
	all := make([]byte, 256)
	for i := range all {
		all[i] = byte(i)
	}
	if got := tk.Decode(tk.Encode(string(all))); got != string(all) {
		t.Error("the string of all 256 bytes does not round-trip")
	}
}

func TestTokenizerSaveLoad(t *testing.T) {
	tk := loadTok(t)
	dir := t.TempDir()
	if err := tk.Save(dir); err != nil {
		t.Fatal(err)
	}
	back, err := LoadTokenizer(dir)
	if err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(filepath.Join(dir, VocabFile)); err != nil || !strings.Contains(string(b), `"<|endoftext|>":310`) {
		t.Errorf("vocab.json lacks a readable <|endoftext|> (err %v)", err)
	}
	s := "It's 123 naïve   words\n\nhere"
	if a, b := tk.Encode(s), back.Encode(s); !slices.Equal(a, b) {
		t.Errorf("after Save/Load: %v, want %v", b, a)
	}
}

func TestTokenizerErrors(t *testing.T) {
	vocab, err := os.ReadFile(filepath.Join(tokDir, VocabFile))
	if err != nil {
		t.Fatal(err)
	}
	var v map[string]int
	if err := json.Unmarshal(vocab, &v); err != nil {
		t.Fatal(err)
	}
	enc := func(edit func(map[string]int)) []byte {
		c := map[string]int{}
		for k, x := range v {
			c[k] = x
		}
		edit(c)
		b, _ := json.Marshal(c)
		return b
	}
	for _, tc := range []struct {
		name          string
		vocab, merges []byte
		want          string
	}{
		{"missing byte", enc(func(c map[string]int) { delete(c, "Ġ") }), []byte(""), "byte 0x20"},
		{"shared id", enc(func(c map[string]int) { c["zz"] = 0 }), []byte(""), "share id 0"},
		{"negative id", enc(func(c map[string]int) { c["zz"] = -1 }), []byte(""), "outside"},
		{"merge not in vocab", vocab, []byte("#version: 0.2\nq q\n"), `"qq"`},
		{"bad merge line", vocab, []byte("#version: 0.2\na b c\n"), "line 2"},
		{"one-sided merge", vocab, []byte("ab\n"), "line 1"},
		{"not json", []byte("["), []byte(""), "vocab.json"},
	} {
		_, err := DecodeTokenizer(tc.vocab, tc.merges)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want one containing %q", tc.name, err, tc.want)
		}
	}
}

// FuzzTokenizer checks on any byte string that the pieces tile the text
// and that Decode(Encode(s)) == s.
func FuzzTokenizer(f *testing.F) {
	tk := loadTok(f)
	for _, s := range []string{"", "It's 12 cafés!\n\n  ok ", "\xff 'll\t\u3000", "a  b   c\n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		pieces := Split(s)
		for _, p := range pieces {
			if p == "" {
				t.Fatalf("Split(%q) has an empty piece", s)
			}
		}
		if strings.Join(pieces, "") != s {
			t.Fatalf("Split(%q) = %q does not concatenate to the text", s, pieces)
		}
		if got := tk.Decode(tk.Encode(s)); got != s {
			t.Fatalf("Decode(Encode(%q)) = %q", s, got)
		}
	})
}

// FuzzDecodeTokenizer feeds arbitrary vocab.json and merges.txt bytes to
// the tokenizer's loader: an error or a working tokenizer, never a panic.
func FuzzDecodeTokenizer(f *testing.F) {
	v, err1 := os.ReadFile(filepath.Join(tokDir, VocabFile))
	m, err2 := os.ReadFile(filepath.Join(tokDir, MergesFile))
	if err1 != nil || err2 != nil {
		f.Fatal(err1, err2)
	}
	f.Add(v, m)
	f.Add([]byte(`{"a": 1}`), []byte("a b\n"))
	f.Fuzz(func(t *testing.T, v, m []byte) {
		tk, err := DecodeTokenizer(v, m)
		if err != nil {
			return
		}
		s := "It's 12 cafés!\n\n  ok \xff"
		if got := tk.Decode(tk.Encode(s)); got != s {
			t.Fatalf("Decode(Encode(%q)) = %q", s, got)
		}
	})
}
