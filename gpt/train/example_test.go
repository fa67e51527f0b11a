package train_test

import (
	"fmt"
	"math/rand/v2"

	"transformers/gpt"
	"transformers/gpt/train"
)

// Example trains a tiny GPT for 40 steps on a repeating pattern of 8
// tokens and compares its validation loss with an untrained model's ln V.
func Example() {
	pattern := []int{3, 1, 4, 1, 5, 9, 2, 6}
	stream := make([]int, 1000)
	for i := range stream {
		stream[i] = pattern[i%len(pattern)]
	}
	cfg := gpt.DefaultConfig(10)
	cfg.Context, cfg.Layers, cfg.Heads, cfg.DModel, cfg.DFF = 16, 1, 2, 16, 32
	m := gpt.New(cfg, rand.New(rand.NewPCG(1, 0)))
	tr, err := train.New(m, stream[:800], stream[800:], train.Config{
		Steps: 40, Batch: 8, Accum: 1, SeqLen: 16, LR: 1e-2, Warmup: 5, Clip: 1, EvalBatches: 2, Seed: 1,
	})
	if err != nil {
		panic(err)
	}
	if err := tr.Run(); err != nil {
		panic(err)
	}
	v := *tr.History[len(tr.History)-1].ValLoss
	fmt.Printf("steps %d, validation loss below 1 nat (untrained ≈ ln 10 = 2.30): %v\n", tr.Step, v < 1)
	// Output:
	// steps 40, validation loss below 1 nat (untrained ≈ ln 10 = 2.30): true
}
