package modeldir_test

import (
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"transformers/gpt"
	"transformers/gpt/modeldir"
	"transformers/gpt/tokenizer"
)

// writeTiny saves a tiny model with a character tokenizer into dir, with
// the given metadata, and returns the tokenizer.
func writeTiny(t *testing.T, dir string, meta map[string]string) tokenizer.Tokenizer {
	t.Helper()
	tk := tokenizer.NewChar("hello world")
	cfg := gpt.DefaultConfig(tk.VocabSize())
	cfg.Context, cfg.Layers, cfg.Heads, cfg.DModel, cfg.DFF = 8, 1, 2, 8, 16
	m := gpt.New(cfg, rand.New(rand.NewPCG(1, 0)))
	if err := m.Save(filepath.Join(dir, "model.safetensors"), meta); err != nil {
		t.Fatal(err)
	}
	if err := tk.Save(filepath.Join(dir, "tokenizer.json")); err != nil {
		t.Fatal(err)
	}
	return tk
}

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	tk := writeTiny(t, dir, map[string]string{modeldir.MetaEOS: "true"})
	tests := []struct {
		name, path, kind string
		tokenizer        bool
	}{
		{"gpt train directory", dir, modeldir.KindCheckpoint, true},
		{"safetensors file", filepath.Join(dir, "model.safetensors"), modeldir.KindCheckpoint, true},
		{"hugging face directory", "../../testdata/hf/tiny-f32", modeldir.KindHuggingFace, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := modeldir.Load(tt.path)
			if err != nil {
				t.Fatal(err)
			}
			if d.Kind != tt.kind || (d.Tokenizer != nil) != tt.tokenizer || d.Model == nil {
				t.Errorf("kind %q, tokenizer %v; want %q, %v", d.Kind, d.Tokenizer != nil, tt.kind, tt.tokenizer)
			}
		})
	}
	d, err := modeldir.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	want := append([]int{tokenizer.EOSID}, tk.Encode("hello")...)
	if got := d.EncodePrompt("hello"); !slices.Equal(got, want) {
		t.Errorf("EncodePrompt = %v, want %v", got, want)
	}
}

// TestCharRunesMeta: a checkpoint without tokenizer.json whose metadata
// holds a character vocabulary (as the shipped story base does) opens with
// that tokenizer; one without either opens with none.
func TestCharRunesMeta(t *testing.T) {
	tk := tokenizer.NewChar("hello world")
	cfg := gpt.DefaultConfig(tk.VocabSize())
	cfg.Context, cfg.Layers, cfg.Heads, cfg.DModel, cfg.DFF = 8, 1, 2, 8, 16
	m := gpt.New(cfg, rand.New(rand.NewPCG(1, 0)))
	tests := []struct {
		name      string
		meta      map[string]string
		tokenizer bool
		err       string
	}{
		{"runes", map[string]string{modeldir.MetaCharRunes: string(tk.Runes())}, true, ""},
		{"none", map[string]string{}, false, ""},
		{"wrong vocabulary", map[string]string{modeldir.MetaCharRunes: "abc"}, false, "tokenizer has"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "model.safetensors")
			if err := m.Save(path, tt.meta); err != nil {
				t.Fatal(err)
			}
			d, err := modeldir.Load(path)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("err = %v, want one containing %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if (d.Tokenizer != nil) != tt.tokenizer {
				t.Fatalf("tokenizer %v, want %v", d.Tokenizer != nil, tt.tokenizer)
			}
			if tt.tokenizer {
				if got, want := d.Tokenizer.Encode("held"), tk.Encode("held"); !slices.Equal(got, want) {
					t.Errorf("Encode = %v, want %v", got, want)
				}
			}
		})
	}
}

func TestEncodePromptWithoutEOS(t *testing.T) {
	dir := t.TempDir()
	tk := writeTiny(t, dir, map[string]string{modeldir.MetaEOS: "false"})
	d, err := modeldir.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := d.EncodePrompt("hello"), tk.Encode("hello"); !slices.Equal(got, want) {
		t.Errorf("EncodePrompt = %v, want %v (no <|eos|> for a text without documents)", got, want)
	}
	if got := d.EncodePrompt(""); !slices.Equal(got, []int{tokenizer.EOSID}) {
		t.Errorf("EncodePrompt(\"\") = %v, want just <|eos|>", got)
	}
}

func TestLoadErrors(t *testing.T) {
	dir := t.TempDir()
	writeTiny(t, dir, nil)
	// A tokenizer whose vocabulary does not match the model's.
	bad := t.TempDir()
	writeTiny(t, bad, nil)
	if err := tokenizer.NewChar("abcdefghijklmnop").Save(filepath.Join(bad, "tokenizer.json")); err != nil {
		t.Fatal(err)
	}
	notModel := filepath.Join(t.TempDir(), "x.safetensors")
	if err := os.WriteFile(notModel, []byte("junk"), 0o644); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(t.TempDir(), "nope")
	for _, tt := range []struct{ path, want string }{
		{missing, missing},
		{bad, "tokenizer has"},
		{notModel, notModel},
	} {
		_, err := modeldir.Load(tt.path)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Load(%s) = %v, want an error mentioning %q", tt.path, err, tt.want)
		}
	}
}
