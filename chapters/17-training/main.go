// Chapter 17 — training on real text.
//
// A small GPT learns the built-in story corpus with the training loop of
// package gpt/train: AdamW (decay on matrices only), linear warm-up then a
// cosine decay, gradient accumulation over micro-batches, clipping by the
// global gradient norm, and validation loss on stories the model never
// trains on. The program first checks that accumulation is exact, then
// trains, prints the metrics, draws the curves and samples before and after.
//
// It ends by measuring what the sample is made of: the share of its words
// that are words of the corpus, and the validation loss beside that of the
// shipped story base (testdata/bases/story, trained by the same loop for
// about 15 minutes), read on the same validation stories.
//
//	go run ./chapters/17-training [-steps 1000] [-batch 8] [-accum 2] [-out out/17-training]
package main

import (
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"time"

	"transformers/autograd"
	"transformers/chapters/internal/part2"
	"transformers/chapters/internal/show"
	"transformers/chapters/internal/storybase"
	"transformers/gpt"
	"transformers/gpt/corpus"
	"transformers/gpt/tokenizer"
	"transformers/gpt/train"
	"transformers/nn"
)

func main() {
	if err := run(os.Stdout, os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "17-training:", err)
		os.Exit(2)
	}
}

func run(w io.Writer, args []string) error {
	fs, seed, out := part2.Flags("17-training")
	tc := train.Config{Steps: 1000, Batch: 8, Accum: 2, SeqLen: 128, LR: 3e-3, MinLR: 3e-4, Warmup: 40,
		WeightDecay: 0.1, Clip: 1, EvalEvery: 100, EvalBatches: 8, CheckpointEvery: 0, LogEvery: 100}
	fs.IntVar(&tc.Steps, "steps", tc.Steps, "optimizer updates")
	fs.IntVar(&tc.Batch, "batch", tc.Batch, "sequences per micro-batch")
	fs.IntVar(&tc.Accum, "accum", tc.Accum, "micro-batches per update (gradient accumulation)")
	fs.IntVar(&tc.Warmup, "warmup", tc.Warmup, "linear warm-up steps")
	fs.IntVar(&tc.EvalEvery, "eval-every", tc.EvalEvery, "steps between validation passes")
	fs.Float64Var(&tc.LR, "lr", tc.LR, "peak learning rate")
	corpusBytes := fs.Int("corpus-bytes", storybase.Default().CorpusBytes, "size of the built-in corpus")
	layers := fs.Int("layers", 3, "transformer blocks")
	dModel := fs.Int("d-model", 128, "residual width (4 heads)")
	sampleChars := fs.Int("sample-chars", 500, "characters in the final sample whose words are checked against the corpus")
	fs.SetOutput(w)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := part2.Positive("corpus-bytes", *corpusBytes, "layers", *layers, "d-model", *dModel, "sample-chars", *sampleChars); err != nil {
		return err
	}
	if *dModel%4 != 0 {
		return fmt.Errorf("-d-model %d must be divisible by the 4 heads", *dModel)
	}
	tc.Seed, tc.OutDir, tc.MinLR = *seed, *out, tc.LR/10
	if err := tc.Validate(); err != nil {
		return err
	}
	part2.Intro(w, "Chapter 17 · Training on the built-in corpus", *seed, *out)

	show.Heading(w, "The data: stories, split by story into training and validation")
	data := part2.LoadCorpus(*corpusBytes)
	st := corpus.Measure(data.Text)
	base := corpus.UnigramEntropy(data.Val, data.Tok.VocabSize())
	show.KV(w, "corpus", st.String(), "tokenizer", fmt.Sprintf("characters, vocabulary %d", data.Tok.VocabSize()),
		"training tokens", fmt.Sprint(len(data.Train)), "validation tokens", fmt.Sprint(len(data.Val)),
		"unigram entropy", fmt.Sprintf("%.4f nats/token: the loss of a model that knows only character frequencies", base))

	cfg := gpt.DefaultConfig(data.Tok.VocabSize())
	cfg.Context, cfg.Layers, cfg.DModel, cfg.DFF = tc.SeqLen, *layers, *dModel, 4**dModel
	m := gpt.New(cfg, part2.Rng(*seed, 1))
	tr, err := train.New(m, data.Train, data.Val, tc)
	if err != nil {
		return err
	}
	show.KV(w, "model", fmt.Sprintf("%d layers, 4 heads, d_model %d, context %d: %d parameters", *layers, *dModel, tc.SeqLen, m.ParamCount().Total))

	show.Heading(w, "Gradient accumulation is exact: 2 micro-batches of 4 vs one batch of 8")
	rng := part2.Rng(*seed, 2)
	xs, ys := window(data.Train, rng, 8, tc.SeqLen)
	params := m.Parameters()
	tr.Opt.ZeroGrad()
	lBig := tr.Gradients([][]int{xs}, [][]int{ys}, 8, tc.SeqLen)
	big := flat(params)
	tr.Opt.ZeroGrad()
	half := 4 * tc.SeqLen
	lSmall := tr.Gradients([][]int{xs[:half], xs[half:]}, [][]int{ys[:half], ys[half:]}, 4, tc.SeqLen)
	fmt.Fprintf(w, "loss %s vs %s; max |gradient difference| over %d numbers: %s\n", show.Num(lBig, 6), show.Num(lSmall, 6), len(big), part2.Sci(part2.MaxAbsDiff(big, flat(params))))
	fmt.Fprintln(w, "each micro-batch's loss is divided by the token count of the whole update, so the summed gradients are the big batch's.")
	tr.Opt.ZeroGrad()

	show.Heading(w, "Before training: a sample at temperature 0.8")
	fmt.Fprintf(w, "%q\n", sample(m, data.Tok, *seed))

	show.Heading(w, fmt.Sprintf("Training: %d updates of %d×%d×%d tokens, lr %g → %.1e (warm-up %d, cosine), clip %g",
		tc.Steps, tc.Accum, tc.Batch, tc.SeqLen, tc.LR, tc.MinLR, tc.Warmup, tc.Clip))
	tr.Log = w
	tr.Baseline = base // drawn on the curve as a flat line
	t0 := time.Now()
	if err := tr.Run(); err != nil {
		return err
	}
	elapsed := time.Since(t0)
	if err := data.Tok.Save(filepath.Join(*out, "tokenizer.json")); err != nil {
		return err
	}
	var rows [][]string
	clipped := 0
	for _, h := range tr.History {
		if h.GradNorm > tc.Clip {
			clipped++
		}
		if h.ValLoss == nil && h.Step != 1 {
			continue
		}
		val := "—"
		if h.ValLoss != nil {
			val = show.Num(*h.ValLoss, 4)
		}
		rows = append(rows, []string{fmt.Sprint(h.Step), show.Num(h.Loss, 4), val, part2.Sci(h.LR), show.Num(h.GradNorm, 3), fmt.Sprintf("%.0f", h.TokS)})
	}
	show.Table(w, []string{"step", "train loss", "val loss", "lr", "grad norm", "tok/s"}, rows)
	final := tr.Evaluate()
	fmt.Fprintf(w, "%d updates in %.1f s; %d of them had a gradient norm above %g and were clipped\n", tc.Steps, elapsed.Seconds(), clipped, tc.Clip)
	fmt.Fprintf(w, "final validation loss %.4f vs unigram entropy %.4f: %.0f%% of the baseline\n", final, base, 100*final/base)
	fmt.Fprintf(w, "wrote %s (train and validation loss, the unigram baseline), %s and tokenizer.json\n", filepath.Join(*out, "loss.png"), filepath.Join(*out, "model.safetensors"))
	fmt.Fprintf(w, "(chapter 19 reads this model through the logit lens: go run ./chapters/19-interpretability -model %s)\n", filepath.Join(*out, "model.safetensors"))

	show.Heading(w, "The schedule, read back from the run")
	var sched [][]string
	ref := nn.WarmupCosine(tc.LR, tc.MinLR, tc.Warmup, tc.Steps)
	for _, s := range []int{1, tc.Warmup / 2, tc.Warmup, tc.Steps / 2, tc.Steps} {
		if s < 1 || s > len(tr.History) {
			continue
		}
		sched = append(sched, []string{fmt.Sprint(s), part2.Sci(tr.History[s-1].LR), part2.Sci(ref(s - 1))})
	}
	show.Table(w, []string{"step", "lr used", "nn.WarmupCosine(step−1)"}, sched)

	show.Heading(w, "After training: a sample at temperature 0.8")
	fmt.Fprintf(w, "%q\n", sample(m, data.Tok, *seed))

	show.Heading(w, fmt.Sprintf("Does it write words? %d characters at temperature 0.8, word by word against the corpus", *sampleChars))
	long := longSample(m, data.Tok, *sampleChars, *seed)
	known, total, unknown := WordRate(long, CorpusWords(data.Text))
	fmt.Fprintf(w, "%s\n\n", long)
	fmt.Fprintf(w, "%d of %d whitespace-separated words are words of the corpus: %.1f%%\n", known, total, 100*float64(known)/float64(max(1, total)))
	if len(unknown) > 0 {
		fmt.Fprintf(w, "not in the corpus: %q\n", unknown[:min(12, len(unknown))])
	}
	return compareBase(w, tr, final, elapsed, data)
}

// compareBase prints this run's validation loss beside the shipped story
// base's on the same validation windows (when the base is present and reads
// the same alphabet).
func compareBase(w io.Writer, tr *train.Trainer, final float64, elapsed time.Duration, data part2.Data) error {
	show.Heading(w, "Against the shipped base, on the same validation windows")
	base, _, tok, man, err := storybase.Load()
	if err != nil {
		fmt.Fprintf(w, "no shipped base to compare with: %v\n", err)
		return nil
	}
	if string(tok.Runes()) != string(data.Tok.(*tokenizer.Char).Runes()) || base.Config.Context < tr.Cfg.SeqLen {
		fmt.Fprintln(w, "the shipped base reads another alphabet or a shorter context; run with the default -corpus-bytes to compare")
		return nil
	}
	bt, err := train.New(base, tr.TrainIDs, tr.ValIDs, tr.Cfg)
	if err != nil {
		return err
	}
	show.Table(w, []string{"model", "parameters", "updates", "training time", "val loss (nats/char)"}, [][]string{
		{"this run", fmt.Sprint(tr.Model.ParamCount().Total), fmt.Sprint(tr.Step), fmt.Sprintf("%.0f s", elapsed.Seconds()), show.Num(final, 4)},
		{"shipped base (" + storybase.Name + ")", fmt.Sprint(man.Params), fmt.Sprint(man.Steps), fmt.Sprintf("%.0f s", man.WallSeconds), show.Num(bt.Evaluate(), 4)},
	})
	fmt.Fprintf(w, "the base was made by %q (seed %d, %d tokens seen)\n", man.Command, man.Seed, man.Tokens)
	return nil
}

// CorpusWords returns the set of whitespace-separated words of text, each
// trimmed of surrounding punctuation and quotes.
func CorpusWords(text string) map[string]bool {
	set := map[string]bool{}
	for _, f := range strings.Fields(text) {
		if f = trimWord(f); f != "" {
			set[f] = true
		}
	}
	return set
}

func trimWord(f string) string { return strings.Trim(f, `.,!?;:"`) }

// WordRate counts the whitespace-separated words of s (trimmed as
// CorpusWords does; pure punctuation is skipped) and how many are in set,
// and lists the others in order.
func WordRate(s string, set map[string]bool) (known, total int, unknown []string) {
	for _, f := range strings.Fields(s) {
		f = trimWord(f)
		if f == "" {
			continue
		}
		total++
		if set[f] {
			known++
		} else {
			unknown = append(unknown, f)
		}
	}
	return known, total, unknown
}

// longSample generates n characters at temperature 0.8 from <|eos|>, story
// after story (each <|eos|> printed as a line break), cut at n characters.
func longSample(m *gpt.Model, tk tokenizer.Tokenizer, n int, seed uint64) string {
	ids := m.Generate([]int{tokenizer.EOSID}, gpt.GenerateOptions{SampleOptions: gpt.SampleOptions{Temperature: 0.8},
		MaxTokens: n + 40, EOS: -1, Rng: part2.Rng(seed, 8)})
	var b strings.Builder
	for _, id := range ids {
		if id == tokenizer.EOSID {
			b.WriteString("\n")
		} else {
			b.WriteString(tk.Decode([]int{id}))
		}
	}
	r := []rune(strings.TrimSpace(b.String()))
	return string(r[:min(n, len(r))])
}

// window draws B random windows of T+1 tokens: inputs and next-token targets.
func window(ids []int, rng *rand.Rand, B, T int) (xs, ys []int) {
	for range B {
		s := rng.IntN(len(ids) - T - 1)
		xs = append(xs, ids[s:s+T]...)
		ys = append(ys, ids[s+1:s+T+1]...)
	}
	return xs, ys
}

// flat copies every parameter's gradient into one slice.
func flat(ps []*autograd.Var) []float32 {
	var out []float32
	for _, p := range ps {
		if p.Grad != nil {
			out = append(out, p.Grad.Data...)
		} else {
			out = append(out, make([]float32, len(p.Value.Data))...)
		}
	}
	return out
}

// sample generates a story from <|eos|> (a story boundary).
func sample(m *gpt.Model, tk tokenizer.Tokenizer, seed uint64) string {
	ids := m.Generate([]int{tokenizer.EOSID}, gpt.GenerateOptions{SampleOptions: gpt.SampleOptions{Temperature: 0.8},
		MaxTokens: 160, EOS: tokenizer.EOSID, Rng: part2.Rng(seed, 7)})
	return strings.TrimSuffix(tk.Decode(ids), tokenizer.EOS)
}
