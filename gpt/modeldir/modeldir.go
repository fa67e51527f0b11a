// Package modeldir opens the model directories this project writes and
// reads: a folder written by `gpt train` (model.safetensors and
// tokenizer.json), a single .safetensors checkpoint (with a tokenizer.json
// beside it, if any), or a Hugging Face GPT-2 directory (config.json and
// model.safetensors, with vocab.json and merges.txt if any; see gpt/hf).
// It also holds the one rule for turning a prompt into ids the way the model
// was trained: a new document starts after the end-of-text token.
package modeldir

import (
	"fmt"
	"os"
	"path/filepath"

	"transformers/gpt"
	"transformers/gpt/hf"
	"transformers/gpt/tokenizer"
)

// MetaEOS is the checkpoint metadata key saying whether the training
// documents ended with <|eos|> ("true" or "false").
const MetaEOS = "documents_end_with_eos"

// MetaCharRunes is the checkpoint metadata key holding a character-level
// tokenizer's vocabulary (its runes in id order, as one string): a
// checkpoint that carries it needs no tokenizer.json.
const MetaCharRunes = "char_runes"

// Kinds of model directory Load recognises.
const (
	KindCheckpoint  = "checkpoint"   // written by gpt train (or any gpt.Model.Save)
	KindHuggingFace = "hugging-face" // a Hugging Face GPT-2 directory
)

// Dir is an opened model: the weights, the tokenizer (nil when the directory
// has none), the checkpoint metadata (nil for Hugging Face directories) and
// where it came from.
type Dir struct {
	Model     *gpt.Model
	Tokenizer tokenizer.Tokenizer
	Meta      map[string]string
	Path      string // as given to Load
	Kind      string // KindCheckpoint or KindHuggingFace
}

// Load opens path (see the package doc). Errors name the path at fault.
func Load(path string) (*Dir, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, unwrapPath(err))
	}
	if st.IsDir() && hf.IsCheckpoint(path) {
		return loadHF(path)
	}
	file, dir := path, filepath.Dir(path)
	if st.IsDir() {
		file, dir = filepath.Join(path, "model.safetensors"), path
	}
	m, meta, err := gpt.Load(file)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	d := &Dir{Model: m, Meta: meta, Path: path, Kind: KindCheckpoint}
	var tk tokenizer.Tokenizer
	tp := filepath.Join(dir, "tokenizer.json")
	switch _, err := os.Stat(tp); {
	case err == nil:
		if tk, err = tokenizer.Load(tp); err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
	case meta[MetaCharRunes] != "":
		tk = tokenizer.NewChar(meta[MetaCharRunes])
	default:
		return d, nil
	}
	if tk.VocabSize() != m.Config.VocabSize {
		return nil, fmt.Errorf("%s: tokenizer has %d ids but the model %d", path, tk.VocabSize(), m.Config.VocabSize)
	}
	d.Tokenizer = tk
	return d, nil
}

// loadHF reads a Hugging Face GPT-2 directory and, if it holds vocab.json
// and merges.txt, its byte-level BPE tokenizer.
func loadHF(dir string) (*Dir, error) {
	m, _, err := hf.Load(dir)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", dir, err)
	}
	d := &Dir{Model: m, Path: dir, Kind: KindHuggingFace}
	if _, err := os.Stat(filepath.Join(dir, hf.VocabFile)); err != nil {
		return d, nil
	}
	tk, err := hf.LoadTokenizer(dir)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", dir, err)
	}
	if tk.VocabSize() > m.Config.VocabSize {
		return nil, fmt.Errorf("%s: tokenizer has %d ids but the model %d", dir, tk.VocabSize(), m.Config.VocabSize)
	}
	d.Tokenizer = tk
	return d, nil
}

// unwrapPath drops the path from an *os.PathError, which the caller names.
func unwrapPath(err error) error {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err
	}
	return err
}

// EOS returns the id that ends a document for tk: <|eos|> for this
// project's tokenizers, <|endoftext|> for GPT-2's (−1 if its vocabulary
// lacks it, or if tk is nil).
func EOS(tk tokenizer.Tokenizer) int {
	switch t := tk.(type) {
	case nil:
		return -1
	case *hf.Tokenizer:
		return t.EOS()
	}
	return tokenizer.EOSID
}

// StartsWithEOS reports whether a prompt for this model begins after an
// end-of-text token: when the tokenizer has one and the training documents
// ended with it (any checkpoint that does not say otherwise, and GPT-2).
func (d *Dir) StartsWithEOS() bool {
	return EOS(d.Tokenizer) >= 0 && d.Meta[MetaEOS] != "false"
}

// EncodePrompt returns the ids of text as the model should read them: the
// tokenizer's ids, after the end-of-text token when StartsWithEOS (or when
// text is empty and the tokenizer has one, so there is something to
// continue). It returns nil when there is no tokenizer.
func (d *Dir) EncodePrompt(text string) []int {
	if d.Tokenizer == nil {
		return nil
	}
	ids := d.Tokenizer.Encode(text)
	if eos := EOS(d.Tokenizer); eos >= 0 && (d.StartsWithEOS() || len(ids) == 0) {
		ids = append([]int{eos}, ids...)
	}
	return ids
}
