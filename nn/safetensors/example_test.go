package safetensors_test

import (
	"fmt"
	"log"
	"os"
	"path/filepath"

	"transformers/nn/safetensors"
	"transformers/tensor"
)

func Example() {
	dir, err := os.MkdirTemp("", "safetensors-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "model.safetensors")

	weights := map[string]*tensor.Tensor{
		"wte.weight": tensor.New([]float32{0.5, -1, 2, 0.25}, 2, 2),
		"ln_f.bias":  tensor.New([]float32{0, 0.125}, 2),
	}
	if err := safetensors.Write(path, weights, map[string]string{"n_layer": "1"}); err != nil {
		log.Fatal(err)
	}
	loaded, meta, err := safetensors.Read(path)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(loaded["wte.weight"], loaded["ln_f.bias"], meta["n_layer"])

	// A damaged file is refused with an error naming the file and the problem.
	b, _ := os.ReadFile(path)
	os.WriteFile(path, b[:len(b)-4], 0o644)
	_, _, err = safetensors.Read(path)
	fmt.Println(err != nil)
	// Output:
	// Tensor[2 2] [0.5000 -1.0000 2.0000 0.2500] Tensor[2] [0.0000 0.1250] 1
	// true
}
