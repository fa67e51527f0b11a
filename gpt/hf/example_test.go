package hf_test

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"

	"transformers/autograd"
	"transformers/gpt"
	"transformers/gpt/hf"
	"transformers/nn/safetensors"
)

// GPT-2's pre-tokenizer keeps a word's leading space and splits off
// contractions, digits and punctuation runs.
func ExampleSplit() {
	fmt.Printf("%q\n", hf.Split("It's  3 o'clock!\n"))
	// Output: ["It" "'s" " " " 3" " o" "'" "clock" "!" "\n"]
}

// A tokenizer from a vocab.json and merges.txt pair (here the small
// hand-written one of the tests).
func ExampleLoadTokenizer() {
	tk, err := hf.LoadTokenizer("../../testdata/hf/tokenizer")
	if err != nil {
		panic(err)
	}
	ids := tk.Encode(" the theme")
	fmt.Println(ids, tk.VocabSize(), tk.EOS())
	fmt.Printf("%q\n", tk.Decode(ids))
	// Output:
	// [258 295] 311 310
	// " the theme"
}

// A model trained here goes out as a Hugging Face GPT-2 directory and comes
// back with the same logits.
func ExampleSave() {
	cfg := gpt.DefaultConfig(50)
	cfg.Context, cfg.Layers, cfg.DModel, cfg.DFF = 16, 2, 32, 64
	m := gpt.New(cfg, rand.New(rand.NewPCG(1, 2)))
	dir, err := os.MkdirTemp("", "gpt2-export")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	if err := hf.Save(m, dir, safetensors.F32); err != nil {
		panic(err)
	}
	back, hc, err := hf.Load(dir)
	if err != nil {
		panic(err)
	}
	ids := []int{1, 2, 3}
	a := m.Logits(autograd.NoGrad(), ids, 1, 3).Value.Data
	b := back.Logits(autograd.NoGrad(), ids, 1, 3).Value.Data
	same := true
	for i := range a {
		same = same && a[i] == b[i]
	}
	_, err = os.Stat(filepath.Join(dir, "config.json"))
	fmt.Println(hc.Activation, hc.NLayer, hc.Tied(), err == nil, same)
	// Output: gelu_new 2 true true true
}
