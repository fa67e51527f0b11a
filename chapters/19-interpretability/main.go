// Chapter 19 — taking a model apart.
//
// The book's induction-head experiment, run for real: a 2-layer, 2-head GPT
// (vocabulary 8, length 24, d_model 64) learns sequences that repeat a
// random pattern of length 3–5. Then every head is scored — how much it
// attends to the previous token, and how much to the token that followed an
// earlier copy of the current one (prefix matching) — the loss on the
// repeated part is compared with the first occurrence, the attention maps
// are drawn, and the logit lens shows at which layer the answer appears.
//
//	go run ./chapters/19-interpretability [-steps 500] [-lr 1e-3] [-model out/17-training/model.safetensors] [-out out/19-interpretability]
package main

import (
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"time"

	"transformers/autograd"
	"transformers/chapters/internal/part2"
	"transformers/chapters/internal/show"
	"transformers/gpt"
	"transformers/gpt/hf"
	"transformers/gpt/interp"
	"transformers/gpt/tokenizer"
	"transformers/nn"
	"transformers/nn/plot"
)

func main() {
	if err := run(os.Stdout, os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "19-interpretability:", err)
		os.Exit(2)
	}
}

// The book's setup.
const (
	vocab, length, dModel, heads, layers = 8, 24, 64, 2, 2
	bookParams                           = 101632
	minP, maxP                           = 3, 5
)

func run(w io.Writer, args []string) error {
	fs, seed, out := part2.Flags("19-interpretability")
	steps := fs.Int("steps", 500, "training steps (the book trains 100 epochs)")
	batch := fs.Int("batch", 64, "sequences per step")
	lr := fs.Float64("lr", 1e-3, "AdamW learning rate (the book uses 3e-4, which needs several times more steps)")
	every := fs.Int("every", 50, "score the heads every this many steps")
	evalN := fs.Int("eval", 256, "sequences for the scores, drawn apart from the training batches")
	model := fs.String("model", "", "also read a text model through the logit lens: a checkpoint with tokenizer.json beside it (chapter 17 writes one), or a Hugging Face GPT-2 directory")
	prompt := fs.String("prompt", "Mia has a red ball. Mia has a", "text for the logit lens of -model")
	fs.SetOutput(w)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := part2.Positive("steps", *steps, "batch", *batch, "every", *every, "eval", *evalN); err != nil {
		return err
	}
	if !(*lr > 0) {
		return fmt.Errorf("-lr %g: the learning rate must be positive", *lr)
	}
	part2.Intro(w, "Chapter 19 · Interpretability: logit lens, attention maps, an induction head", *seed, *out)

	cfg := gpt.DefaultConfig(vocab)
	cfg.Context, cfg.DModel, cfg.Heads, cfg.Layers, cfg.DFF = length, dModel, heads, layers, 4*dModel
	m := gpt.New(cfg, part2.Rng(*seed, 1))
	show.Heading(w, "The book's 2-layer model")
	show.KV(w, "config", fmt.Sprintf("vocab %d, length %d, d_model %d, %d heads, %d layers, d_ff %d, tied, no biases", vocab, length, dModel, heads, layers, cfg.DFF))
	pc := m.ParamCount()
	pc.WriteTable(w)
	mlpBiases := layers * (cfg.DFF + dModel)
	fmt.Fprintf(w, "ours %d, the book %d: difference %d = %d layers × (c_fc bias %d + c_proj bias %d), the MLP biases\n",
		pc.Total, bookParams, bookParams-pc.Total, layers, cfg.DFF, dModel)
	fmt.Fprintf(w, "(the book's code is not given; biases in the MLP only, with its bias-free Q/K/V/O, is a layout that gives exactly %d + %d = %d)\n",
		pc.Total, mlpBiases, pc.Total+mlpBiases)

	show.Heading(w, "The task: a random pattern of length 3–5, repeated to fill 24 tokens")
	seqs, periods := interp.Repeats(part2.Rng(*seed, 2), *evalN, length, vocab, minP, maxP)
	for k := range 3 {
		fmt.Fprintf(w, "  period %d: %s\n", periods[k], digits(seqs[k]))
	}
	before := interp.MeasureRepeatLoss(m, seqs, periods)

	show.Heading(w, fmt.Sprintf("Training: %d steps of AdamW (lr %g, batch %d), heads scored every %d steps", *steps, *lr, *batch, *every))
	opt := nn.NewAdamW(nn.DecayGroups(m.Parameters(), 0.01), *lr)
	rng := part2.Rng(*seed, 3)
	var lossCurve, xs, prefixCurve, prevCurve []float64
	var table [][]string
	record := func(step int, loss float64) {
		sc := interp.ScoreHeads(m, seqs[:min(64, len(seqs))])
		ind := interp.Best(sc, func(h interp.HeadScore) float64 { return h.PrefixMatch })
		prev := interp.Best(sc, func(h interp.HeadScore) float64 { return h.PreviousToken })
		rl := interp.MeasureRepeatLoss(m, seqs[:min(64, len(seqs))], periods)
		xs = append(xs, float64(step))
		prefixCurve = append(prefixCurve, ind.PrefixMatch)
		prevCurve = append(prevCurve, prev.PreviousToken)
		table = append(table, []string{fmt.Sprint(step), show.Num(loss, 4), show.Num(rl.First, 4), show.Num(rl.Repeats, 4),
			ind.Name(), show.Num(ind.PrefixMatch, 3), prev.Name(), show.Num(prev.PreviousToken, 3)})
	}
	t0 := time.Now()
	for step := 0; step <= *steps; step++ {
		batchSeqs, _ := interp.Repeats(rng, *batch, length, vocab, minP, maxP)
		ids, targets := interp.Targets(batchSeqs)
		g := autograd.New()
		loss := g.CrossEntropy(m.Forward(g, ids, *batch, length, gpt.ForwardOptions{}).Logits, targets, nil)
		l := float64(loss.Value.Data[0])
		if math.IsNaN(l) || math.IsInf(l, 0) {
			return fmt.Errorf("step %d: loss is %v", step, l)
		}
		lossCurve = append(lossCurve, l)
		if step%*every == 0 || step == *steps {
			record(step, l)
		}
		if step == *steps {
			break
		}
		opt.ZeroGrad()
		g.Backward(loss)
		opt.Step()
	}
	elapsed := time.Since(t0)
	show.Table(w, []string{"step", "train loss", "loss 1st copy", "loss repeats", "best prefix head", "score", "best prev head", "score"}, table)
	fmt.Fprintf(w, "%d steps in %.1f s (%s per step, scoring included)\n", *steps, elapsed.Seconds(), part2.Ms(elapsed/time.Duration(*steps)))
	chart := &plot.LineChart{Title: "Chapter 19: an induction head forms", XLabel: "step", YLabel: "loss (nats) / attention score"}
	chart.AddY("train loss", lossCurve)
	chart.Add("best prefix-matching score", xs, prefixCurve)
	chart.Add("best previous-token score", xs, prevCurve)
	if err := part2.Write(w, chart, *out, "induction_training.png"); err != nil {
		return err
	}

	show.Heading(w, fmt.Sprintf("Every head, scored on %d sequences drawn apart from the training batches", len(seqs)))
	scores := interp.ScoreHeads(m, seqs)
	var rows [][]string
	for _, s := range scores {
		rows = append(rows, []string{s.Name(), fmt.Sprint(s.Layer), fmt.Sprint(s.Head), show.Num(s.PrefixMatch, 4), show.Num(s.PreviousToken, 4)})
	}
	show.Table(w, []string{"head", "layer", "index", "prefix matching", "previous token"}, rows)
	ind := interp.Best(scores, func(h interp.HeadScore) float64 { return h.PrefixMatch })
	prev := interp.Best(scores, func(h interp.HeadScore) float64 { return h.PreviousToken })
	fmt.Fprintf(w, "induction head: %s (prefix matching %.4f, previous token %.4f)\n", ind.Name(), ind.PrefixMatch, ind.PreviousToken)
	fmt.Fprintf(w, "previous-token head: %s (previous token %.4f, prefix matching %.4f)\n", prev.Name(), prev.PreviousToken, prev.PrefixMatch)
	if prev.Layer < ind.Layer {
		fmt.Fprintln(w, "the previous-token head sits in an earlier layer: it writes \"my previous token was x\" into each position, which the induction head's keys then match against the current token")
	} else {
		fmt.Fprintln(w, "no previous-token head in an earlier layer than the best prefix-matching head: the two-layer circuit has not formed (train longer)")
	}

	show.Heading(w, "Loss on the first occurrence vs the repeats")
	after := interp.MeasureRepeatLoss(m, seqs, periods)
	show.Table(w, []string{"targets", "untrained", "trained"}, [][]string{
		{"first occurrence (1 … p−1)", show.Num(before.First, 4), show.Num(after.First, 4)},
		{"restart (p)", show.Num(before.Restart, 4), show.Num(after.Restart, 4)},
		{"repeats (p+1 …)", show.Num(before.Repeats, 4), show.Num(after.Repeats, 4)},
	})
	overall := 0.0
	pl := interp.PositionLoss(m, seqs)
	for _, l := range pl {
		overall += l / float64(len(pl))
	}
	fmt.Fprintf(w, "ln %d = %.4f; loss drop on the repeats %.4f nats\n", vocab, math.Log(vocab), after.Drop())
	fmt.Fprintf(w, "loss over all positions %.4f after %d steps (the book: 0.3274 after 100 epochs); most of what remains is the unpredictable first occurrence\n", overall, *steps)

	show.Heading(w, "Ablation: remove one head's output and measure the loss on the repeats")
	var abl [][]string
	change := map[string]float64{}
	for _, sc := range scores {
		r := interp.MeasureRepeatLoss(interp.AblateHead(m, sc.Layer, sc.Head), seqs, periods)
		change[sc.Name()] = r.Repeats - after.Repeats
		abl = append(abl, []string{sc.Name(), show.Num(r.First, 4), show.Num(r.Repeats, 4), show.Num(r.Repeats-after.Repeats, 4)})
	}
	show.Table(w, []string{"head removed", "loss 1st copy", "loss repeats", "repeats: change"}, abl)
	fmt.Fprintf(w, "with every head the repeats cost %.4f; without the induction head %s %+.4f, without the previous-token head %s %+.4f\n",
		after.Repeats, ind.Name(), change[ind.Name()], prev.Name(), change[prev.Name()])

	show.Heading(w, "Attention maps")
	ids := seqs[0]
	labels := make([]string, len(ids))
	for i, t := range ids {
		labels[i] = fmt.Sprint(t)
	}
	if err := part2.Write(w, interp.AttentionPicture(fmt.Sprintf("attention, period %d: %s", periods[0], digits(ids)), interp.Attention(m, ids), labels), *out, "attention_maps.png"); err != nil {
		return err
	}
	p0 := periods[0]
	fmt.Fprintf(w, "a previous-token head draws the line just below the diagonal (key i−1); an induction head lights keys i−%d, i−%d, …:\n", p0-1, 2*p0-1)
	fmt.Fprintln(w, "the positions right after earlier copies of the current token, whose successor is the answer")

	show.Heading(w, "Logit lens: P(next token) read from each residual stream")
	lens := interp.LogitLens(m, ids)
	tp := lens.TargetProbs()
	names := []string{"embeddings"}
	for l := 1; l <= layers; l++ {
		names = append(names, fmt.Sprintf("after block %d", l-1))
	}
	show.Rows(w, tp, names, labels[:len(labels)-1], 2)
	var tops [][]string
	for l, p := range lens.Probs {
		var cells []string
		for t := 0; t < len(ids)-1; t += 4 {
			top := interp.Top(p[t], 1)[0]
			cells = append(cells, fmt.Sprintf("%d (%.2f)", top, p[t][top]))
		}
		tops = append(tops, append([]string{names[l]}, cells...))
	}
	hdr := []string{"top token at position"}
	for t := 0; t < len(ids)-1; t += 4 {
		hdr = append(hdr, fmt.Sprintf("%d→%d", t, ids[t+1]))
	}
	show.Table(w, hdr, tops)
	hm := &plot.Heatmap{Title: "logit lens: P(next token) by layer and position", Values: tp, RowLabels: names, ColLabels: labels[1:],
		Scale: plot.SequentialScale, Min: 0, Max: 1, CellSize: 20}
	if err := part2.Write(w, hm, *out, "logit_lens.png"); err != nil {
		return err
	}
	fmt.Fprintln(w, "read from the embeddings alone, the tied unembedding (wte·wteᵀ is largest on its diagonal) predicts the current token again;")
	fmt.Fprintln(w, "the answer on the repeats appears only after the second block: copying needs the previous-token head (block 0) and the induction head (block 1) in sequence")
	if *model != "" {
		return textLens(w, *model, *prompt, *out)
	}
	fmt.Fprintln(w, "(-model out/17-training/model.safetensors reads chapter 17's text model through the same lens)")
	return nil
}

// textLens reads a trained text model through the logit lens: the top token
// each layer's residual stream predicts at every position of prompt.
func textLens(w io.Writer, path, prompt, out string) error {
	m, tk, start, err := loadTextModel(path)
	if err != nil {
		return fmt.Errorf("-model: %v", err)
	}
	ids := append([]int{start}, tk.Encode(prompt)...)
	if len(ids) > m.Config.Context {
		return fmt.Errorf("-prompt: %d tokens exceed the model's context %d", len(ids), m.Config.Context)
	}
	show.Heading(w, fmt.Sprintf("Logit lens on %s: the top next token read from each layer", path))
	lens := interp.LogitLens(m, ids)
	names := []string{"embeddings"}
	for l := 1; l < len(lens.Probs); l++ {
		names = append(names, fmt.Sprintf("after block %d", l-1))
	}
	labels := make([]string, len(ids))
	for i, id := range ids {
		labels[i] = fmt.Sprintf("%q", tk.Token(id))
	}
	var rows [][]string
	for l, p := range lens.Probs {
		row := []string{names[l]}
		for t := range ids {
			row = append(row, fmt.Sprintf("%q", tk.Token(interp.Top(p[t], 1)[0])))
		}
		rows = append(rows, row)
	}
	show.Table(w, append([]string{"layer \\ input"}, labels...), rows)
	hm := &plot.Heatmap{Title: "logit lens on text: P(actual next token)", Values: lens.TargetProbs(), RowLabels: names, ColLabels: labels[1:],
		Scale: plot.SequentialScale, Min: 0, Max: 1, CellSize: 18}
	return part2.Write(w, hm, out, "logit_lens_text.png")
}

// loadTextModel reads either a checkpoint of ours (a .safetensors file with
// tokenizer.json beside it) or a Hugging Face GPT-2 directory (config.json,
// model.safetensors, vocab.json, merges.txt), and returns the token that
// starts a text: <|eos|> for ours, <|endoftext|> for GPT-2.
func loadTextModel(path string) (*gpt.Model, tokenizer.Tokenizer, int, error) {
	if hf.IsCheckpoint(path) {
		m, _, err := hf.Load(path)
		if err != nil {
			return nil, nil, 0, err
		}
		tk, err := hf.LoadTokenizer(path)
		if err != nil {
			return nil, nil, 0, err
		}
		return m, tk, tk.EOS(), nil
	}
	m, _, err := gpt.Load(path)
	if err != nil {
		return nil, nil, 0, err
	}
	tk, err := tokenizer.Load(filepath.Join(filepath.Dir(path), "tokenizer.json"))
	if err != nil {
		return nil, nil, 0, err
	}
	return m, tk, tokenizer.EOSID, nil
}

// digits prints a token sequence compactly.
func digits(ids []int) string {
	var b strings.Builder
	for _, t := range ids {
		fmt.Fprint(&b, t)
	}
	return b.String()
}
