package finetune

import (
	"testing"

	"transformers/autograd"
	"transformers/gpt"
	"transformers/gpt/corpus"
	"transformers/gpt/tokenizer"
)

// benchSFT times one SFT step (forward, backward, AdamW) of a small GPT on
// eight conversations, training every parameter or only rank-8 adapters on
// every linear map: the "time per step" of LoRA vs full fine-tuning.
func benchSFT(b *testing.B, lora bool) {
	w := corpus.NewWorld(1)
	tok := tokenizer.NewChar(corpus.Corpus(1, 4000) + "?")
	var rs []Rendered
	for _, e := range Instructions(w, 0, rng(1))[:8] {
		rs = append(rs, Render(tok, Conversation(e.Prompt, e.Answer)))
	}
	cfg := gpt.DefaultConfig(tok.VocabSize())
	cfg.Context, cfg.Layers, cfg.Heads, cfg.DModel, cfg.DFF = 128, 4, 4, 128, 512
	m := gpt.New(cfg, rng(2))
	params := m.Parameters()
	if lora {
		params = AdapterParams(ApplyLoRA(m, LoRAConfig{Rank: 8, Alpha: 16}, rng(3)))
	}
	sc := SFTConfig{Steps: 1, BatchSize: len(rs), LR: 1e-3, MinLR: 1e-3}
	b.ResetTimer()
	for range b.N {
		TrainSFT(m, params, rs, sc, rng(4))
	}
	b.ReportMetric(float64(NumTrainable(params)), "trainable")
}

func BenchmarkSFTStepFull(b *testing.B) { benchSFT(b, false) }
func BenchmarkSFTStepLoRA(b *testing.B) { benchSFT(b, true) }

// BenchmarkLoRAForward compares a merged and an unmerged adapter's forward
// pass on [256, 256] activations.
func BenchmarkLoRAForward(b *testing.B) {
	for _, merged := range []bool{false, true} {
		name := "adapter"
		if merged {
			name = "merged"
		}
		b.Run(name, func(b *testing.B) {
			l, _ := trainedLoRAOf(256, 256, 8)
			if merged {
				l.Merge()
			}
			x := autograd.Const(randVar(1, 1, 256, 256).Value)
			b.ResetTimer()
			for range b.N {
				l.Forward(autograd.NoGrad(), x)
			}
		})
	}
}
