package tokenizer

import (
	"fmt"
	"slices"
	"unicode/utf8"
)

// Char is a character-level tokenizer: one id per rune seen in its training
// text (sorted by code point, so the vocabulary depends only on the set of
// runes), with the 256 byte tokens as a fallback for runes it has not seen and
// for invalid UTF-8. Its vocabulary is NumSpecial + 256 + len(runes).
type Char struct {
	runes []rune               // id NumSpecial+256+i is runes[i]
	ids   map[rune]int         // rune → id
	ascii [utf8.RuneSelf]int32 // ASCII rune → id, or -1: the fast path of Encode
}

// NewChar builds a character tokenizer from the distinct valid runes of text.
// Bytes of invalid UTF-8 in text are skipped (they are covered by the byte
// tokens anyway), as is a literal U+FFFD.
func NewChar(text string) *Char {
	seen := map[rune]bool{}
	for _, r := range text {
		if r != utf8.RuneError {
			seen[r] = true
		}
	}
	runes := make([]rune, 0, len(seen))
	for r := range seen {
		runes = append(runes, r)
	}
	slices.Sort(runes)
	return newCharFromRunes(runes)
}

func newCharFromRunes(runes []rune) *Char {
	c := &Char{runes: runes, ids: make(map[rune]int, len(runes))}
	for i := range c.ascii {
		c.ascii[i] = -1
	}
	for i, r := range runes {
		c.ids[r] = NumSpecial + 256 + i
		if r < utf8.RuneSelf {
			c.ascii[r] = int32(NumSpecial + 256 + i)
		}
	}
	return c
}

// Runes returns the vocabulary's runes in id order (a fresh slice).
func (c *Char) Runes() []rune { return slices.Clone(c.runes) }

// VocabSize returns NumSpecial + 256 + the number of runes.
func (c *Char) VocabSize() int { return NumSpecial + 256 + len(c.runes) }

// Encode returns one id per rune of text; a rune outside the vocabulary, or a
// byte that is not valid UTF-8, becomes one byte token per byte.
func (c *Char) Encode(text string) []int {
	out := make([]int, 0, len(text))
	for i := 0; i < len(text); {
		if b := text[i]; b < utf8.RuneSelf {
			if id := c.ascii[b]; id >= 0 {
				out = append(out, int(id))
			} else {
				out = append(out, ByteBase+int(b))
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(text[i:])
		if id, ok := c.ids[r]; ok && !(r == utf8.RuneError && size == 1) {
			out = append(out, id)
		} else {
			for k := 0; k < size; k++ {
				out = append(out, ByteBase+int(text[i+k]))
			}
		}
		i += size
	}
	return out
}

// EncodeWithSpecials is Encode with special-token strings mapped to their ids.
func (c *Char) EncodeWithSpecials(text string) []int { return encodeWithSpecials(text, c.Encode) }

// Token returns the text of one id.
func (c *Char) Token(id int) string {
	switch {
	case id < 0 || id >= c.VocabSize():
		panic(fmt.Sprintf("tokenizer: Char.Token: id %d out of range [0, %d)", id, c.VocabSize()))
	case id < NumSpecial:
		return specials[id]
	case id < NumSpecial+256:
		return string([]byte{byte(id - ByteBase)})
	}
	return string(c.runes[id-NumSpecial-256])
}

// Decode concatenates the tokens' text.
func (c *Char) Decode(ids []int) string { return decode("Char", ids, c.VocabSize(), c.Token) }

// Save writes the tokenizer as JSON ({"type":"char","runes":...}) atomically.
func (c *Char) Save(path string) error {
	return save(path, fileFormat{Type: "char", Runes: string(c.runes)})
}

// LoadChar reads a tokenizer written by Char.Save.
func LoadChar(path string) (*Char, error) {
	ff, err := readFile(path)
	if err != nil {
		return nil, err
	}
	if ff.Type != "char" {
		return nil, fmt.Errorf("tokenizer: %s: type %q, want \"char\"", path, ff.Type)
	}
	return charFromFile(path, ff)
}

// charFromFile validates the rune list: valid UTF-8, strictly increasing, no U+FFFD.
func charFromFile(path string, ff fileFormat) (*Char, error) {
	if ff.Merges != nil {
		return nil, fmt.Errorf("tokenizer: %s: a char tokenizer has no merges", path)
	}
	if !utf8.ValidString(ff.Runes) {
		return nil, fmt.Errorf("tokenizer: %s: runes are not valid UTF-8", path)
	}
	runes := []rune(ff.Runes)
	for i, r := range runes {
		if r == utf8.RuneError {
			return nil, fmt.Errorf("tokenizer: %s: rune %d is U+FFFD", path, i)
		}
		if i > 0 && runes[i-1] >= r {
			return nil, fmt.Errorf("tokenizer: %s: runes not strictly increasing at %d (%q after %q)", path, i, r, runes[i-1])
		}
	}
	return newCharFromRunes(runes), nil
}
