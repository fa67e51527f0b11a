package finetune

import (
	"fmt"
	"math/rand/v2"
	"time"

	"transformers/autograd"
	"transformers/gpt"
	"transformers/gpt/tokenizer"
	"transformers/nn"
)

// SFTLoss runs m over a micro-batch and returns its MaskedLoss with n the
// number of trained tokens of the whole optimizer step (TrainedTokens):
// call Backward on each micro-batch's loss, then step once.
func SFTLoss(g *autograd.Graph, m *gpt.Model, bt Batch, n int) *autograd.Var {
	out := m.Forward(g, bt.Inputs, bt.B, bt.T, gpt.ForwardOptions{})
	return MaskedLoss(g, out.Logits, bt, n)
}

// Reply generates the model's greedy answer to one user prompt in the chat
// template, stopping at <|end|> or after maxTokens, and returns its text
// without the <|end|>.
func Reply(m *gpt.Model, tok tokenizer.Tokenizer, prompt string, maxTokens int) string {
	ids := Prompt(tok, prompt)
	if len(ids)+maxTokens > m.Config.Context {
		maxTokens = max(1, m.Config.Context-len(ids))
	}
	return DecodeReply(tok, m.Generate(ids, gpt.GenerateOptions{MaxTokens: maxTokens, EOS: tokenizer.EndID}))
}

// Evaluate asks m every example's prompt (greedy, at most maxTokens tokens)
// and grades the replies with the gold scorer; it returns the summary and the
// replies.
func Evaluate(m *gpt.Model, tok tokenizer.Tokenizer, s Scorer, examples []Example, maxTokens int) (Summary, []string) {
	replies := make([]string, len(examples))
	for i, ex := range examples {
		replies[i] = Reply(m, tok, ex.Prompt, maxTokens)
	}
	return s.Summarise(examples, replies), replies
}

// SFTConfig configures TrainSFT.
type SFTConfig struct {
	Steps       int     // optimizer steps
	BatchSize   int     // conversations per step
	MicroBatch  int     // conversations per forward/backward pass (≤ BatchSize; 0 means BatchSize)
	LR, MinLR   float64 // peak and final learning rate (warm-up then cosine)
	Warmup      int     // warm-up steps
	WeightDecay float64 // AdamW decay on matrices (nn.DecayGroups)
	ClipNorm    float64 // global gradient-norm clip (0: none)
	MaxLen      int     // cut conversations to this many input tokens (0: no limit)
	// Log, if non-nil, is called after every step.
	Log func(s SFTStep)
}

// SFTStep is one optimizer step's record.
type SFTStep struct {
	Step     int
	Loss     float64 // masked mean loss over the step's trained tokens
	Tokens   int     // trained tokens in the step
	LR       float64
	GradNorm float64
	Time     time.Duration
}

// TrainSFT fine-tunes params (all of m's, or only LoRA adapters' A and B)
// on rendered conversations with AdamW: each step takes the next BatchSize
// conversations of a shuffled order (reshuffled with rng each epoch), runs
// them in micro-batches whose losses are normalised by the step's total
// number of trained tokens (so accumulation equals one big batch), clips the
// global gradient norm and updates. It returns every step's record.
func TrainSFT(m *gpt.Model, params []*autograd.Var, data []Rendered, cfg SFTConfig, rng *rand.Rand) []SFTStep {
	if len(data) == 0 || cfg.BatchSize < 1 || cfg.Steps < 1 {
		panic(fmt.Sprintf("finetune.TrainSFT: %d conversations, batch %d, %d steps", len(data), cfg.BatchSize, cfg.Steps))
	}
	micro := cfg.MicroBatch
	if micro <= 0 || micro > cfg.BatchSize {
		micro = cfg.BatchSize
	}
	opt := nn.NewAdamW(nn.DecayGroups(params, cfg.WeightDecay), cfg.LR)
	sched := nn.WarmupCosine(cfg.LR, cfg.MinLR, cfg.Warmup, cfg.Steps)
	var order []int
	next := 0
	var log []SFTStep
	for step := range cfg.Steps {
		t0 := time.Now()
		batch := make([]Rendered, cfg.BatchSize)
		for i := range batch {
			if next == len(order) {
				order, next = rng.Perm(len(data)), 0
			}
			batch[i] = data[order[next]]
			next++
		}
		var mbs []Batch
		for i := 0; i < len(batch); i += micro {
			mbs = append(mbs, Collate(batch[i:min(i+micro, len(batch))], cfg.MaxLen))
		}
		n := TrainedTokens(mbs)
		rec := SFTStep{Step: step, Tokens: n, LR: sched(step)}
		opt.ZeroGrad()
		if n > 0 {
			for _, bt := range mbs {
				g := autograd.New()
				loss := SFTLoss(g, m, bt, n)
				rec.Loss += float64(loss.Value.Data[0])
				g.Backward(loss)
			}
			if cfg.ClipNorm > 0 {
				rec.GradNorm = nn.ClipGradNorm(params, cfg.ClipNorm)
			}
			opt.SetLR(rec.LR)
			opt.Step()
		}
		rec.Time = time.Since(t0)
		log = append(log, rec)
		if cfg.Log != nil {
			cfg.Log(rec)
		}
	}
	return log
}

// MeanLoss returns the masked mean loss of m on conversations (0 if they
// train no token), evaluated in batches of batchSize without gradients.
func MeanLoss(m *gpt.Model, data []Rendered, batchSize, maxLen int) float64 {
	var mbs []Batch
	for i := 0; i < len(data); i += batchSize {
		mbs = append(mbs, Collate(data[i:min(i+batchSize, len(data))], maxLen))
	}
	n := TrainedTokens(mbs)
	if n == 0 {
		return 0
	}
	s := 0.0
	for _, bt := range mbs {
		s += float64(SFTLoss(autograd.NoGrad(), m, bt, n).Value.Data[0])
	}
	return s
}
