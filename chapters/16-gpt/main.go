// Chapter 16 — the complete GPT.
//
// Token and position embeddings, a stack of pre-LN blocks, a final
// LayerNorm, and an output layer that reuses the token embedding (tied
// weights): the book's reference GPT (d_model 256, 4 heads, 4 layers, d_ff
// 1024, bias-free, GELU, init N(0, 0.02²)). The program counts its
// parameters by component and checks the count against the formula, runs
// it untrained on real text (the loss should be close to ln V: an untrained
// model is nearly uniform), and takes one training step.
//
//	go run ./chapters/16-gpt [-seed 1] [-batch 4] [-t 128] [-out out/16-gpt]
package main

import (
	"fmt"
	"io"
	"math"
	"os"
	"strings"
	"time"

	"transformers/autograd"
	"transformers/chapters/internal/part2"
	"transformers/chapters/internal/show"
	"transformers/gpt"
	"transformers/nn"
	"transformers/nn/plot"
)

func main() {
	if err := run(os.Stdout, os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "16-gpt:", err)
		os.Exit(2)
	}
}

func run(w io.Writer, args []string) error {
	fs, seed, out := part2.Flags("16-gpt")
	B := fs.Int("batch", 4, "sequences in the batch")
	T := fs.Int("t", 128, "tokens per sequence (at most the context, 256)")
	dModel := fs.Int("d-model", 256, "width (the book: 256)")
	layers := fs.Int("layers", 4, "blocks (the book: 4)")
	lr := fs.Float64("lr", 1e-3, "AdamW learning rate of the one step")
	fs.SetOutput(w)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := part2.Positive("batch", *B, "t", *T, "d-model", *dModel, "layers", *layers); err != nil {
		return err
	}
	if *T > 256 || *dModel%4 != 0 || !(*lr > 0) {
		return fmt.Errorf("-t %d must be ≤ 256, -d-model %d divisible by 4 heads, -lr %g positive", *T, *dModel, *lr)
	}
	part2.Intro(w, "Chapter 16 · The complete GPT", *seed, *out)
	data := part2.LoadCorpus(100_000)
	V := data.Tok.VocabSize()
	cfg := gpt.DefaultConfig(V)
	cfg.DModel, cfg.DFF, cfg.Layers = *dModel, 4**dModel, *layers
	m := gpt.New(cfg, part2.Rng(*seed, 1))

	show.Heading(w, "The configuration (travels as JSON inside every checkpoint)")
	js, err := gpt.MarshalConfig(cfg)
	if err != nil {
		return err
	}
	fmt.Fprintln(w, string(js))
	fmt.Fprintf(w, "vocabulary: the %d characters of the built-in corpus plus special and byte tokens = %d\n", len(data.Tok.(interface{ Runes() []rune }).Runes()), V)

	C, L, F := cfg.DModel, cfg.Layers, cfg.DFF
	show.Heading(w, "Parameters by name (GPT-2's layout), block 0 shown")
	var shown []*autograd.Var
	for _, p := range m.Parameters() {
		if !strings.HasPrefix(p.Name, "h.") || strings.HasPrefix(p.Name, "h.0.") {
			shown = append(shown, p)
		}
	}
	if err := nn.ParamTable(w, shown); err != nil {
		return err
	}
	fmt.Fprintf(w, "(that total covers the rows shown; blocks 1…%d repeat block 0's rows)\n", L-1)
	show.Heading(w, "Parameters by component")
	pc := m.ParamCount()
	if err := pc.WriteTable(w); err != nil {
		return err
	}
	formula := V*C + cfg.Context*C + L*(2*2*C+4*C*C+2*C*F) + 2*C
	show.KV(w, "formula", fmt.Sprintf("V·C + ctx·C + L·(4C + 4C² + 2C·d_ff) + 2C = %d·%d + %d·%d + %d·(%d + %d + %d) + %d = %d", V, C, cfg.Context, C, L, 4*C, 4*C*C, 2*C*F, 2*C, formula),
		"counted", fmt.Sprint(pc.Total), "tied output", fmt.Sprintf("logits = h·wteᵀ: an untied lm_head would add V·C = %d", V*C))
	if formula != pc.Total {
		return fmt.Errorf("parameter formula %d differs from the count %d", formula, pc.Total)
	}

	show.Heading(w, fmt.Sprintf("An untrained forward pass on real text (%d × %d tokens)", *B, *T))
	rng := part2.Rng(*seed, 2)
	ids, targets := make([]int, *B**T), make([]int, *B**T)
	for b := range *B {
		s := rng.IntN(len(data.Train) - *T - 1)
		copy(ids[b**T:], data.Train[s:s+*T])
		copy(targets[b**T:], data.Train[s+1:s+*T+1])
	}
	fmt.Fprintf(w, "first sequence begins %q\n", data.Tok.Decode(ids[:min(60, *T)]))
	g := autograd.New()
	t0 := time.Now()
	logits := m.Forward(g, ids, *B, *T, gpt.ForwardOptions{}).Logits
	loss := g.CrossEntropy(logits, targets, nil)
	tf := time.Since(t0)
	l0 := float64(loss.Value.Data[0])
	show.KV(w, "logits", fmt.Sprint(logits.Value.Shape), "loss", show.Num(l0, 4), "ln V", fmt.Sprintf("ln %d = %s", V, show.Num(math.Log(float64(V)), 4)),
		"difference", show.Num(l0-math.Log(float64(V)), 4), "logit std", show.Num(std(logits.Value.Data), 4))
	fmt.Fprintln(w, "small weights give logits near 0, so softmax is nearly uniform and every token costs about ln V nats.")

	show.Heading(w, fmt.Sprintf("One training step (AdamW, lr %g) on the same batch", *lr))
	t0 = time.Now()
	g.Backward(loss)
	tb := time.Since(t0)
	opt := nn.NewAdamW(nn.DecayGroups(m.Parameters(), 0.1), *lr)
	norm := nn.ClipGradNorm(m.Parameters(), 1)
	opt.Step()
	l1 := float64(autograd.NoGrad().CrossEntropy(m.Logits(autograd.NoGrad(), ids, *B, *T), targets, nil).Value.Data[0])
	show.KV(w, "gradient norm", show.Num(norm, 4)+" (clipped to 1)", "forward", part2.Ms(tf), "backward", part2.Ms(tb),
		"loss before", show.Num(l0, 4), "loss after", show.Num(l1, 4), "change", show.Num(l1-l0, 4))

	// The largest gradients, by component: where the first step pushes hardest.
	var names []string
	var sizes []float64
	for _, p := range m.Parameters() {
		if strings.HasPrefix(p.Name, "h.0.") || !strings.HasPrefix(p.Name, "h.") {
			names = append(names, p.Name)
			sizes = append(sizes, rms(p.Grad.Data))
		}
	}
	chart := &plot.LineChart{Title: "RMS gradient per parameter (embeddings, block 0, ln_f), clipped step", XLabel: "parameter index", YLabel: "rms grad", LogY: true}
	chart.AddY("rms gradient", sizes)
	if err := part2.Write(w, chart, *out, "gradients.png"); err != nil {
		return err
	}
	for i, n := range names {
		fmt.Fprintf(w, "  %2d %-24s %s\n", i, n, part2.Sci(sizes[i]))
	}
	return nil
}

func std(xs []float32) float64 {
	m, v := 0.0, 0.0
	for _, x := range xs {
		m += float64(x)
	}
	m /= float64(len(xs))
	for _, x := range xs {
		v += (float64(x) - m) * (float64(x) - m)
	}
	return math.Sqrt(v / float64(len(xs)))
}

func rms(xs []float32) float64 {
	s := 0.0
	for _, x := range xs {
		s += float64(x) * float64(x)
	}
	return math.Sqrt(s / float64(len(xs)))
}
