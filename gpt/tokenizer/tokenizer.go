// Package tokenizer turns text into token ids and back: a character-level
// tokenizer and a byte-level BPE tokenizer, both with the same fixed special
// tokens and both lossless — Decode(Encode(s)) == s for every byte string s,
// including invalid UTF-8.
//
// Every vocabulary has the same layout:
//
//	[0, NumSpecial)                     special tokens (<|bos|>, <|eos|>, …), fixed ids
//	[NumSpecial, NumSpecial+256)        one token per byte value (the fallback)
//	[NumSpecial+256, VocabSize())       tokenizer-specific: runes (Char) or merges (BPE)
//
// Encode treats special-token strings in the text as ordinary text; only
// EncodeWithSpecials turns "<|eos|>" in the text into the EOS id.
package tokenizer

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Special-token strings. Their ids are fixed: the position in Specials.
const (
	BOS        = "<|bos|>"       // beginning of a document
	EOS        = "<|eos|>"       // end of a document
	PAD        = "<|pad|>"       // padding in a batch (never trained on)
	User       = "<|user|>"      // start of a user turn (chat, Part 3)
	Assistant  = "<|assistant|>" // start of an assistant turn (chat, Part 3)
	End        = "<|end|>"       // end of a chat turn (trained, so the model learns to stop)
	Think      = "<think>"       // start of a reasoning trace (Part 4)
	ThinkEnd   = "</think>"      // end of a reasoning trace (Part 4)
	NumSpecial = 8               // number of special tokens; the byte tokens start here
)

// Fixed ids of the special tokens.
const (
	BOSID = iota
	EOSID
	PADID
	UserID
	AssistantID
	EndID
	ThinkID
	ThinkEndID
)

// ByteBase is the id of the token for byte 0; byte b has id ByteBase+b.
const ByteBase = NumSpecial

// specials is indexed by id; never modified.
var specials = [NumSpecial]string{BOS, EOS, PAD, User, Assistant, End, Think, ThinkEnd}

// Specials returns the special-token strings in id order (a fresh slice).
func Specials() []string { return append([]string(nil), specials[:]...) }

// IsSpecial reports whether id is one of the special tokens.
func IsSpecial(id int) bool { return id >= 0 && id < NumSpecial }

// Tokenizer maps text to token ids and back.
type Tokenizer interface {
	// Encode returns the ids of text; special-token strings in it are plain text.
	Encode(text string) []int
	// EncodeWithSpecials is Encode, except that occurrences of the special-token
	// strings become their ids.
	EncodeWithSpecials(text string) []int
	// Decode concatenates the tokens' bytes; a special token decodes to its
	// string. It panics on an id outside [0, VocabSize()).
	Decode(ids []int) string
	// Token returns the bytes one id stands for (as a string; it may be invalid
	// UTF-8 for a byte token).
	Token(id int) string
	// VocabSize is the number of ids: valid ids are [0, VocabSize()).
	VocabSize() int
	// Save writes the tokenizer as JSON to path, atomically.
	Save(path string) error
}

// encodeWithSpecials splits text at special-token strings, encodes the
// pieces between them with enc and emits the specials' ids. At each position
// the first special in id order that matches wins (no special is a prefix of
// another, so the choice is unambiguous).
func encodeWithSpecials(text string, enc func(string) []int) []int {
	var out []int
	start := 0
	for i := 0; i < len(text); {
		if text[i] != '<' {
			i++
			continue
		}
		id := -1
		for k, s := range specials {
			if strings.HasPrefix(text[i:], s) {
				id = k
				break
			}
		}
		if id < 0 {
			i++
			continue
		}
		if i > start {
			out = append(out, enc(text[start:i])...)
		}
		out = append(out, id)
		i += len(specials[id])
		start = i
	}
	if start < len(text) {
		out = append(out, enc(text[start:])...)
	}
	return out
}

// decode concatenates token strings, panicking with the tokenizer's name on
// an id out of range.
func decode(name string, ids []int, vocab int, token func(int) string) string {
	var sb strings.Builder
	for _, id := range ids {
		if id < 0 || id >= vocab {
			panic(fmt.Sprintf("tokenizer: %s.Decode: id %d out of range [0, %d)", name, id, vocab))
		}
		sb.WriteString(token(id))
	}
	return sb.String()
}

// fileFormat is the JSON layout shared by both tokenizers.
type fileFormat struct {
	Type     string   `json:"type"` // "char" or "bpe"
	Specials []string `json:"specials"`
	Runes    string   `json:"runes,omitempty"`  // Char: the vocabulary runes, in id order
	Merges   [][2]int `json:"merges,omitempty"` // BPE: merge i makes id NumSpecial+256+i
}

// writeFileAtomic writes data to a temporary file in path's directory and
// renames it over path, so a crash never leaves a half-written file.
func writeFileAtomic(path string, data []byte) error {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, filepath.Base(path)+".tmp*")
	if err != nil {
		return fmt.Errorf("tokenizer: save %s: %w", path, err)
	}
	tmp := f.Name()
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("tokenizer: save %s: %w", path, err)
	}
	return nil
}

func save(path string, ff fileFormat) error {
	ff.Specials = Specials()
	data, err := json.Marshal(ff)
	if err != nil {
		return fmt.Errorf("tokenizer: save %s: %w", path, err)
	}
	return writeFileAtomic(path, append(data, '\n'))
}

// Load reads a tokenizer saved by Char.Save or BPE.Save, whichever it is,
// and validates it. Errors name the file.
func Load(path string) (Tokenizer, error) {
	ff, err := readFile(path)
	if err != nil {
		return nil, err
	}
	switch ff.Type {
	case "char":
		return charFromFile(path, ff)
	case "bpe":
		return bpeFromFile(path, ff)
	}
	return nil, fmt.Errorf("tokenizer: %s: unknown type %q (want \"char\" or \"bpe\")", path, ff.Type)
}

func readFile(path string) (fileFormat, error) {
	var ff fileFormat
	data, err := os.ReadFile(path)
	if err != nil {
		return ff, fmt.Errorf("tokenizer: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&ff); err != nil {
		return ff, fmt.Errorf("tokenizer: %s: %w", path, err)
	}
	if len(ff.Specials) != NumSpecial {
		return ff, fmt.Errorf("tokenizer: %s: %d special tokens, want %d", path, len(ff.Specials), NumSpecial)
	}
	for i, s := range ff.Specials {
		if s != specials[i] {
			return ff, fmt.Errorf("tokenizer: %s: special token %d is %q, want %q", path, i, s, specials[i])
		}
	}
	return ff, nil
}
