package hf

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"unicode/utf8"
)

// EndOfText is GPT-2's one special token, id 50256 in OpenAI's vocabulary.
const EndOfText = "<|endoftext|>"

// maxID bounds the ids a vocab.json may use, so a corrupt file cannot ask
// for a huge table.
const maxID = 1 << 24

// byteToRune is GPT-2's byte-to-unicode table: the 188 printable bytes
// ('!'…'~', '¡'…'¬', '®'…'ÿ') stand for themselves and the other 68 (control
// characters, space, DEL, NBSP, soft hyphen) for U+0100, U+0101, … in byte
// order, so every byte is a visible character in vocab.json and merges.txt
// ("Ġ" = U+0120 is the space byte 0x20).
func byteToRune() [256]rune {
	var t [256]rune
	n := rune(0)
	for b := range 256 {
		if ('!' <= b && b <= '~') || (0xA1 <= b && b <= 0xAC) || (0xAE <= b && b <= 0xFF) {
			t[b] = rune(b)
		} else {
			t[b] = 256 + n
			n++
		}
	}
	return t
}

// Tokenizer is GPT-2's byte-level BPE: text is split by Split, each piece's
// UTF-8 bytes are written as byteToRune characters, and adjacent symbols are
// merged, lowest merge rank first, until no ranked pair remains; each final
// symbol is looked up in the vocabulary. Because every byte has a symbol,
// Decode(Encode(s)) == s for every byte string s.
type Tokenizer struct {
	vocab   map[string]int // symbol string → id
	tokens  map[int]string // id → symbol string
	ranks   map[[2]string]int
	byteSym [256]string    // byte → its one-character symbol
	symByte map[rune]byte  // inverse of byteSym
	special map[string]int // "<|…|>" tokens, matched whole by EncodeWithSpecials
	merges  [][2]string    // in rank order, for Save
	size    int            // max id + 1
}

// NewTokenizer builds a tokenizer from a vocabulary (symbol string → id, as
// in vocab.json) and merges in rank order (as in merges.txt). Every byte's
// symbol must be in the vocabulary, as must every merge's result, and no two
// strings may share an id.
func NewTokenizer(vocab map[string]int, merges [][2]string) (*Tokenizer, error) {
	t := &Tokenizer{
		vocab: make(map[string]int, len(vocab)), tokens: make(map[int]string, len(vocab)),
		ranks: make(map[[2]string]int, len(merges)), symByte: make(map[rune]byte, 256),
		special: map[string]int{}, merges: slices.Clone(merges),
	}
	for s, id := range vocab {
		if id < 0 || id >= maxID {
			return nil, fmt.Errorf("vocab: token %q has id %d outside [0, %d)", s, id, maxID)
		}
		if prev, dup := t.tokens[id]; dup {
			return nil, fmt.Errorf("vocab: tokens %q and %q share id %d", min(prev, s), max(prev, s), id)
		}
		t.tokens[id] = s
		t.vocab[s] = id
		t.size = max(t.size, id+1)
		if len(s) > 4 && strings.HasPrefix(s, "<|") && strings.HasSuffix(s, "|>") {
			t.special[s] = id
		}
	}
	for b, r := range byteToRune() {
		s := string(r)
		if _, ok := t.vocab[s]; !ok {
			return nil, fmt.Errorf("vocab: no token for byte 0x%02x (symbol %q)", b, s)
		}
		t.byteSym[b] = s
		t.symByte[r] = byte(b)
	}
	for i, m := range merges {
		if m[0] == "" || m[1] == "" {
			return nil, fmt.Errorf("merges: rank %d has an empty side", i)
		}
		if _, ok := t.vocab[m[0]+m[1]]; !ok {
			return nil, fmt.Errorf("merges: rank %d (%q %q) makes %q, which is not in the vocab", i, m[0], m[1], m[0]+m[1])
		}
		if _, dup := t.ranks[m]; !dup {
			t.ranks[m] = i
		}
	}
	return t, nil
}

// ParseMerges reads merges.txt: an optional "#version" first line, then one
// merge per line as two symbols separated by one space, lowest rank first.
// Empty lines are skipped.
func ParseMerges(b []byte) ([][2]string, error) {
	var out [][2]string
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(nil, 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimRight(sc.Text(), "\r")
		if line == "" || (n == 1 && strings.HasPrefix(line, "#version")) {
			continue
		}
		a, c, ok := strings.Cut(line, " ")
		if !ok || a == "" || c == "" || strings.Contains(c, " ") {
			return nil, fmt.Errorf("merges.txt line %d: %q is not two symbols separated by one space", n, line)
		}
		out = append(out, [2]string{a, c})
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("merges.txt: %w", err)
	}
	return out, nil
}

// DecodeTokenizer builds a tokenizer from the bytes of vocab.json and
// merges.txt. Malformed input gives an error, never a panic.
func DecodeTokenizer(vocabJSON, mergesTxt []byte) (*Tokenizer, error) {
	var vocab map[string]int
	if err := json.Unmarshal(vocabJSON, &vocab); err != nil {
		return nil, fmt.Errorf("vocab.json: %w", err)
	}
	merges, err := ParseMerges(mergesTxt)
	if err != nil {
		return nil, err
	}
	return NewTokenizer(vocab, merges)
}

// LoadTokenizer reads dir/vocab.json and dir/merges.txt. Errors name the
// file at fault.
func LoadTokenizer(dir string) (*Tokenizer, error) {
	v, err := os.ReadFile(filepath.Join(dir, VocabFile))
	if err != nil {
		return nil, fmt.Errorf("hf: %w", err)
	}
	m, err := os.ReadFile(filepath.Join(dir, MergesFile))
	if err != nil {
		return nil, fmt.Errorf("hf: %w", err)
	}
	t, err := DecodeTokenizer(v, m)
	if err != nil {
		return nil, fmt.Errorf("hf: %s: %w", dir, err)
	}
	return t, nil
}

// Save writes the tokenizer to dir as vocab.json and merges.txt (with the
// "#version: 0.2" header GPT-2's file has), the pair LoadTokenizer and
// transformers' GPT2Tokenizer read. With it, Tokenizer satisfies
// tokenizer.Tokenizer (whose Save takes a path: here, a directory).
func (t *Tokenizer) Save(dir string) error {
	var v bytes.Buffer
	enc := json.NewEncoder(&v)
	enc.SetEscapeHTML(false) // keep "<|endoftext|>" readable
	if err := enc.Encode(t.vocab); err != nil {
		return err
	}
	var m strings.Builder
	m.WriteString("#version: 0.2\n")
	for _, p := range t.merges {
		m.WriteString(p[0] + " " + p[1] + "\n")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("hf: %w", err)
	}
	if err := writeAtomic(filepath.Join(dir, VocabFile), v.Bytes()); err != nil {
		return err
	}
	return writeAtomic(filepath.Join(dir, MergesFile), []byte(m.String()))
}

// VocabSize is one more than the largest id (GPT-2: 50257).
func (t *Tokenizer) VocabSize() int { return t.size }

// ID returns the id of a vocabulary string (symbols as in vocab.json, e.g.
// "Ġthe" or EndOfText) and whether it exists.
func (t *Tokenizer) ID(s string) (int, bool) {
	id, ok := t.vocab[s]
	return id, ok
}

// EOS returns the id of EndOfText, or −1 if the vocabulary lacks it.
func (t *Tokenizer) EOS() int {
	if id, ok := t.vocab[EndOfText]; ok {
		return id
	}
	return -1
}

// Encode returns the ids of text. Special-token strings such as
// "<|endoftext|>" are encoded as ordinary text.
func (t *Tokenizer) Encode(text string) []int {
	var ids []int
	for _, piece := range Split(text) {
		for _, sym := range t.bpe(piece) {
			ids = append(ids, t.vocab[sym])
		}
	}
	return ids
}

// EncodeWithSpecials is Encode, except that each occurrence of a special
// token of the vocabulary ("<|…|>", e.g. EndOfText) becomes its id.
func (t *Tokenizer) EncodeWithSpecials(text string) []int {
	var ids []int
	for text != "" {
		at, tok := -1, ""
		for s := range t.special {
			if i := strings.Index(text, s); i >= 0 && (at < 0 || i < at || (i == at && len(s) > len(tok))) {
				at, tok = i, s
			}
		}
		if at < 0 {
			break
		}
		ids = append(ids, t.Encode(text[:at])...)
		ids = append(ids, t.special[tok])
		text = text[at+len(tok):]
	}
	return append(ids, t.Encode(text)...)
}

// bpe merges the byte symbols of one piece: while some adjacent pair has a
// rank, every occurrence (left to right, without overlap) of the
// lowest-ranked pair becomes one symbol.
func (t *Tokenizer) bpe(piece string) []string {
	syms := make([]string, len(piece))
	for i := range len(piece) {
		syms[i] = t.byteSym[piece[i]]
	}
	for len(syms) > 1 {
		best, bi := -1, -1
		for i := range len(syms) - 1 {
			if r, ok := t.ranks[[2]string{syms[i], syms[i+1]}]; ok && (best < 0 || r < best) {
				best, bi = r, i
			}
		}
		if bi < 0 {
			break
		}
		a, b := syms[bi], syms[bi+1]
		out := syms[:0:0]
		for i := 0; i < len(syms); i++ {
			if i+1 < len(syms) && syms[i] == a && syms[i+1] == b {
				out = append(out, a+b)
				i++
			} else {
				out = append(out, syms[i])
			}
		}
		syms = out
	}
	return syms
}

// Token returns the bytes id stands for (a string, possibly not valid
// UTF-8: a token may hold part of a character). A symbol outside the byte
// table (such as the ASCII of "<|endoftext|>", which maps to itself anyway)
// is kept as its UTF-8. It panics on an id that is not in the vocabulary.
func (t *Tokenizer) Token(id int) string {
	s, ok := t.tokens[id]
	if !ok {
		panic(fmt.Sprintf("hf.Tokenizer.Token: id %d is not in the vocabulary", id))
	}
	var b []byte
	for _, r := range s {
		if c, ok := t.symByte[r]; ok {
			b = append(b, c)
		} else {
			b = utf8.AppendRune(b, r)
		}
	}
	return string(b)
}

// Decode concatenates the bytes of ids. It panics on an id that is not in
// the vocabulary.
func (t *Tokenizer) Decode(ids []int) string {
	var sb strings.Builder
	for _, id := range ids {
		sb.WriteString(t.Token(id))
	}
	return sb.String()
}
