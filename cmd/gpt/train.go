package main

import (
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"time"
	"unicode/utf8"

	"transformers/gpt"
	"transformers/gpt/corpus"
	"transformers/gpt/tokenizer"
	"transformers/gpt/train"
)

// defaultModel is the model `gpt train` builds with no flags: a small GPT
// (2 layers, d_model 64, context 64 BPE tokens ≈ 170 characters, 136 k
// parameters). The engine trains it at about 14,000 tokens/s on two quiet
// cores (half that when the machine is busy), so the 1,000 default steps
// (1.02 M tokens) take 1.2–2.5 minutes and end far below the unigram baseline.
func defaultModel() gpt.Config {
	c := gpt.DefaultConfig(0)
	c.Context, c.Layers, c.Heads, c.DModel, c.DFF = 64, 2, 4, 64, 256
	return c
}

func defaultTrain() train.Config {
	return train.Config{
		Steps: 1000, Batch: 16, Accum: 1, SeqLen: 64, LR: 3e-3, MinLR: 3e-4, Warmup: 50,
		WeightDecay: 0.1, Clip: 1, EvalEvery: 100, EvalBatches: 8, CheckpointEvery: 250,
		SampleEvery: 250, LogEvery: 10, Seed: 1,
	}
}

const trainSynopsis = `Trains a GPT on the built-in story corpus (or on -data FILE, any UTF-8 text) and
writes model.safetensors, tokenizer.json, state.safetensors, metrics.jsonl and
loss.png to -out. With -resume it continues the run saved in -out bit-identically
(give it the same training flags).`

func cmdTrain(args []string, stdout, stderr io.Writer) error {
	mc, tc := defaultModel(), defaultTrain()
	fs := flag.NewFlagSet("train", flag.ContinueOnError)
	data := fs.String("data", "", "train on this UTF-8 text file instead of the built-in corpus")
	out := fs.String("out", "out/gpt", "output `dir`ectory")
	resume := fs.Bool("resume", false, "continue the run saved in -out")
	tok := fs.String("tokenizer", "bpe", "char or bpe (byte-level BPE trained on the training text)")
	bpeVocab := fs.Int("vocab", 512, "BPE vocabulary size (with -tokenizer bpe)")
	corpusBytes := fs.Int("corpus-bytes", corpus.DefaultBytes, "size of the built-in corpus in bytes")
	fs.IntVar(&mc.Context, "context", mc.Context, "context length (n_ctx)")
	fs.IntVar(&mc.Layers, "layers", mc.Layers, "transformer blocks (n_layer)")
	fs.IntVar(&mc.Heads, "heads", mc.Heads, "attention heads (n_head)")
	fs.IntVar(&mc.DModel, "d-model", mc.DModel, "residual width (n_embd)")
	fs.IntVar(&mc.DFF, "d-ff", mc.DFF, "feed-forward hidden width")
	fs.StringVar(&mc.Positions, "positions", mc.Positions, "learned, sinusoidal, alibi or rope")
	fs.Float64Var(&mc.RoPEBase, "rope-base", mc.RoPEBase, "RoPE base θ")
	fs.BoolVar(&mc.PostLN, "post-ln", mc.PostLN, "post-LN blocks instead of pre-LN")
	fs.StringVar(&mc.Norm, "norm", mc.Norm, "layernorm or rmsnorm")
	fs.Float64Var(&mc.NormEps, "norm-eps", mc.NormEps, "normalisation ε")
	fs.StringVar(&mc.FF, "ff", mc.FF, "gelu or swiglu")
	fs.BoolVar(&mc.Tied, "tied", mc.Tied, "tie the output head to the token embeddings")
	fs.Float64Var(&mc.Dropout, "dropout", mc.Dropout, "dropout probability")
	fs.BoolVar(&mc.Bias, "bias", mc.Bias, "biases on the linear layers")
	fs.Float64Var(&mc.InitStd, "init-std", mc.InitStd, "std of the initial weights")
	fs.IntVar(&tc.Steps, "steps", tc.Steps, "optimizer steps")
	fs.IntVar(&tc.Batch, "batch", tc.Batch, "sequences per micro-batch")
	fs.IntVar(&tc.Accum, "accum", tc.Accum, "micro-batches per step (gradient accumulation)")
	fs.IntVar(&tc.SeqLen, "seq-len", 0, "tokens per training sequence (0: the context)")
	fs.Float64Var(&tc.LR, "lr", tc.LR, "peak learning rate")
	fs.Float64Var(&tc.MinLR, "min-lr", tc.MinLR, "final learning rate of the cosine")
	fs.IntVar(&tc.Warmup, "warmup", tc.Warmup, "warm-up steps")
	fs.Float64Var(&tc.WeightDecay, "weight-decay", tc.WeightDecay, "AdamW weight decay on matrices")
	fs.Float64Var(&tc.Clip, "clip", tc.Clip, "gradient-norm clip (0: off)")
	fs.IntVar(&tc.EvalEvery, "eval-every", tc.EvalEvery, "steps between validation passes")
	fs.IntVar(&tc.EvalBatches, "eval-batches", tc.EvalBatches, "validation batches per pass")
	fs.IntVar(&tc.CheckpointEvery, "checkpoint-every", tc.CheckpointEvery, "steps between checkpoints")
	fs.IntVar(&tc.SampleEvery, "sample-every", tc.SampleEvery, "steps between samples (0: none)")
	fs.IntVar(&tc.LogEvery, "log-every", tc.LogEvery, "steps between progress lines")
	fs.Uint64Var(&tc.Seed, "seed", tc.Seed, "seed of initialisation, batches and dropout")
	stopAt := fs.Int("stop-at", 0, "stop (with a checkpoint) after this many steps of the -steps schedule; resume later with -resume (0: run to the end)")
	if err := parse(fs, args, stdout, trainSynopsis); err != nil {
		return err
	}
	if *tok != "char" && *tok != "bpe" {
		return badf("-tokenizer %q: want char or bpe", *tok)
	}
	if tc.SeqLen == 0 {
		tc.SeqLen = mc.Context
	}
	tc.OutDir = *out

	// Text, split by whole stories (built-in) or at 90 % (a file).
	var text, trainText, valText string
	if *data != "" {
		var err error
		if text, err = corpus.LoadText(*data); err != nil {
			return badf("-data %s: %v", *data, err)
		}
		cut := len(text) * 9 / 10
		for cut < len(text) && !utf8.RuneStart(text[cut]) {
			cut++
		}
		trainText, valText = text[:cut], text[cut:]
	} else {
		if *corpusBytes < 10_000 {
			return badf("-corpus-bytes %d: want at least 10000", *corpusBytes)
		}
		text = corpus.Corpus(corpus.DefaultSeed, *corpusBytes)
		trainText, valText = corpus.Split(text, corpus.DefaultValFraction)
	}

	// Tokenizer: trained on the training text, or the saved one when resuming.
	tokPath := filepath.Join(*out, "tokenizer.json")
	var tk tokenizer.Tokenizer
	var err error
	switch {
	case *resume:
		if tk, err = tokenizer.Load(tokPath); err != nil {
			return badf("-resume: %v", err)
		}
	case *tok == "char":
		tk = tokenizer.NewChar(trainText)
	default:
		if tk, err = tokenizer.TrainBPE(trainText, *bpeVocab); err != nil {
			return badf("-vocab %d: %v", *bpeVocab, err)
		}
	}
	encode := func(s string) []int {
		if *data != "" {
			return tk.Encode(s)
		}
		var ids []int // each story ends with <|eos|>, so the model learns where stories stop
		for _, st := range corpus.SplitStories(s) {
			ids = append(ids, tk.Encode(st)...)
			ids = append(ids, tokenizer.EOSID)
		}
		return ids
	}
	trainIDs, valIDs := encode(trainText), encode(valText)
	mc.VocabSize = tk.VocabSize()
	if err := mc.Validate(); err != nil {
		return badf("%v", err)
	}

	var m *gpt.Model
	if *resume {
		if m, _, err = gpt.Load(filepath.Join(*out, "model.safetensors")); err != nil {
			return badf("-resume: %v", err)
		}
	} else {
		m = gpt.New(mc, rand.New(rand.NewPCG(tc.Seed, 0)))
	}
	tr, err := train.New(m, trainIDs, valIDs, tc)
	if err != nil {
		return badf("%v", err)
	}
	if *resume {
		if err := tr.Resume(*out); err != nil {
			return badf("%v", err)
		}
	} else {
		if err := os.MkdirAll(*out, 0o755); err != nil {
			return badf("-out %s: %v", *out, err)
		}
		if err := tk.Save(tokPath); err != nil {
			return badf("-out %s: %v", *out, err)
		}
	}
	tr.Progress = stderr
	// Tell `gpt sample` whether documents end with <|eos|> (the built-in
	// corpus), so it starts a prompt with one; a -data text has none.
	tr.Meta = map[string]string{metaEOS: fmt.Sprint(*data == "")}
	tr.Log = stdout
	tr.Sample = func(m *gpt.Model, rng *rand.Rand) string {
		start := []int{tokenizer.EOSID}
		if *data != "" {
			start = trainIDs[:1] // a text with no document marks: start from its first token
		}
		ids := m.Generate(start, gpt.GenerateOptions{
			SampleOptions: gpt.SampleOptions{Temperature: 0.8}, MaxTokens: 200, EOS: tokenizer.EOSID, Rng: rng})
		return strings.TrimSuffix(tk.Decode(ids), tokenizer.EOS)
	}

	base := corpus.UnigramEntropy(valIDs, tk.VocabSize())
	tr.Baseline = base
	pc := m.ParamCount()
	fmt.Fprintf(stdout, "data: %d training and %d validation tokens (%s tokenizer, vocabulary %d)\n",
		len(trainIDs), len(valIDs), *tok, tk.VocabSize())
	fmt.Fprintf(stdout, "model: %d layers, %d heads, d_model %d, d_ff %d, context %d, %s positions: %d parameters\n",
		mc.Layers, mc.Heads, mc.DModel, mc.DFF, mc.Context, mc.Positions, pc.Total)
	fmt.Fprintf(stdout, "training: %d steps of %d×%d×%d tokens, lr %g → %g (warm-up %d), out %s\n",
		tc.Steps, tc.Accum, tc.Batch, tc.SeqLen, tc.LR, tc.MinLR, tc.Warmup, *out)
	t0 := time.Now()
	startStep := tr.Step
	stop := tc.Steps
	if *stopAt > 0 {
		stop = min(*stopAt, tc.Steps)
	}
	if err := tr.RunUntil(stop); err != nil {
		return err
	}
	el := time.Since(t0)
	last := tr.History[len(tr.History)-1]
	val := tr.Evaluate()
	if last.ValLoss != nil {
		val = *last.ValLoss
	}
	toks := float64((tr.Step - startStep) * tc.Batch * tc.SeqLen * tc.Accum)
	fmt.Fprintf(stdout, "done in %v (%.0f training tok/s)\n", el.Round(time.Second), toks/el.Seconds())
	fmt.Fprintf(stdout, "final loss: train %.4f, validation %.4f nats/token; unigram-entropy baseline %.4f nats/token (validation = %.0f%% of it)\n",
		last.Loss, val, base, 100*val/base)
	fmt.Fprintf(stdout, "wrote %s\n", strings.Join([]string{
		filepath.Join(*out, "model.safetensors"), "tokenizer.json", "state.safetensors", "metrics.jsonl", "loss.png"}, ", "))
	return nil
}
