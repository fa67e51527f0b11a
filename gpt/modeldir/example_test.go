package modeldir_test

import (
	"fmt"

	"transformers/gpt/modeldir"
)

// Example opens the tiny Hugging Face GPT-2 checkpoint kept in testdata.
func Example() {
	d, err := modeldir.Load("../../testdata/hf/tiny-f32")
	if err != nil {
		panic(err)
	}
	c := d.Model.Config
	fmt.Printf("%s: %d layers, %d heads, context %d, tokenizer %v\n", d.Kind, c.Layers, c.Heads, c.Context, d.Tokenizer != nil)
	// Output:
	// hugging-face: 2 layers, 4 heads, context 16, tokenizer false
}
