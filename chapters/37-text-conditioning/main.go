// Chapter 37 — text conditioning.
//
// A caption ("a small red circle at the top left") is split into words, a
// small transformer encoder turns them into vectors, and every DiT block
// reads them through cross-attention: queries from the image patches, keys
// and values from the words. Their mean also joins the time embedding in
// adaLN, a global summary of the prompt (as Stable Diffusion 3 adds a
// pooled text vector). The encoder has no pretraining and, by default, no
// training either: it stays at its random initialisation, a fixed random
// feature map of the words. Trained jointly with the denoiser (-train-text)
// it collapses within a few hundred steps: its output stops depending on
// the words, the position words most completely, and the model then puts
// the shape wherever the starting noise suggests, at every guidance scale.
// Captions are dropped 10 % of the time so classifier-free
// guidance works, and a quarter of the (shape, colour) pairs never appear in
// training: can the model draw "a blue circle" having seen blue squares and
// red circles?
//
//	go run ./chapters/37-text-conditioning [-steps 1500] [-train-text] [-out out/37-text-conditioning]
package main

import (
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"transformers/autograd"
	"transformers/chapters/internal/part5"
	"transformers/chapters/internal/show"
	"transformers/diffusion"
	"transformers/diffusion/pic"
	"transformers/nn"
	"transformers/tensor"
)

func main() {
	if err := run(os.Stdout, os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "37-text-conditioning:", err)
		os.Exit(2)
	}
}

func run(w io.Writer, args []string) error {
	fs := flag.NewFlagSet("37-text-conditioning", flag.ContinueOnError)
	fs.SetOutput(w)
	seed := fs.Uint64("seed", 1, "seed for data, weights, noise and times")
	out := fs.String("out", "out/37-text-conditioning", "folder for the pictures")
	steps := fs.Int("steps", 1500, "training steps")
	batch := fs.Int("batch", 16, "images per step")
	dim := fs.Int("dim", 96, "width of the DiT and the text encoder")
	depth := fs.Int("depth", 2, "number of DiT blocks")
	textDepth := fs.Int("text-depth", 1, "number of text encoder blocks")
	lr := fs.Float64("lr", 2e-3, "peak learning rate")
	drop := fs.Float64("drop", 0.1, "probability of dropping a caption in training")
	prompts := fs.Int("prompts", 32, "prompts per split (seen, held-out) and guidance scale")
	sampleSteps := fs.Int("sample-steps", 20, "Euler steps from t=1 to t=0")
	scales := fs.String("w", "0,1,3", "guidance scales to compare")
	trainText := fs.Bool("train-text", false, "train the text encoder together with the denoiser (it collapses and position words are lost)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *steps < 1 || *batch < 1 || *depth < 1 || *textDepth < 1 || *prompts < 1 || *sampleSteps < 1 || *dim < 4 || *dim%4 != 0 {
		return fmt.Errorf("-steps, -batch, -depth, -text-depth, -prompts, -sample-steps must be ≥ 1 and -dim a multiple of 4")
	}
	if !(*lr > 0) || !(*drop >= 0 && *drop < 1) {
		return fmt.Errorf("-lr %v must be > 0 and -drop %v in [0, 1)", *lr, *drop)
	}
	ws, err := parseScales(*scales)
	if err != nil {
		return err
	}
	show.Heading(w, "Chapter 37 · Text conditioning")
	show.KV(w, "seed", fmt.Sprint(*seed), "pictures", *out)

	example := diffusion.Combo(0).Caption()
	ids, _ := diffusion.Tokenize(example)
	show.KV(w, "vocabulary", fmt.Sprintf("%d words: %s", len(diffusion.TextVocab), strings.Join(diffusion.TextVocab, " ")),
		"caption", fmt.Sprintf("%q → %v", example, ids),
		"dropped caption", "8 × <null> (id 0)",
		"held out of training", "blue circles, yellow squares, red triangles (every size and position)")

	rng := rand.New(rand.NewPCG(*seed, 1))
	enc := diffusion.NewTextEncoder("text", *dim, *textDepth, 4, rng)
	m := diffusion.NewDiT("dit", diffusion.DiTConfig{ImageSize: diffusion.ImageSize, Channels: 3, Patch: 12, Dim: *dim, Depth: *depth, Heads: 4, MLPRatio: 4, CrossAttention: true}, rng)
	params := trainable(m, enc, *trainText)
	textRole := "fixed at its random initialisation"
	if *trainText {
		textRole = "trained with the denoiser"
	}
	show.Heading(w, "Training the denoiser")
	show.KV(w, "parameters", fmt.Sprintf("%d trained (DiT %d; text encoder %d, %s)", nn.NumParams(params), nn.NumParams(m.Parameters()), nn.NumParams(enc.Parameters()), textRole),
		"batch", fmt.Sprint(*batch), "steps", fmt.Sprint(*steps))
	log := part5.NewLossLog(*steps, 5)
	var trainErr error
	st, err := diffusion.Train(diffusion.TrainConfig{Steps: *steps, LR: *lr, Clip: 1}, params, func(step int, g *autograd.Graph) *autograd.Var {
		x, attrs := diffusion.ShapeImages(rng, *batch, false)
		caps := make([]string, len(attrs))
		for i, a := range attrs {
			caps[i] = a.Caption()
		}
		ids, err := diffusion.TokenizeAll(caps, *drop, rng)
		if err != nil {
			trainErr = err
		}
		b := diffusion.MakeBatch(rng, x, diffusion.Uniform)
		return diffusion.MSE(g, m.Forward(g, autograd.Const(b.Xt), b.T, diffusion.TextCond(g, enc.Forward(g, ids))), b.Target)
	}, log.Add)
	if err != nil {
		return err
	}
	if trainErr != nil {
		return trainErr
	}
	log.Print(w, st, *batch)

	// The same prompts and the same noise at every guidance scale.
	show.Heading(w, "Prompt adherence: the checker's per-attribute accuracy")
	ev := rand.New(rand.NewPCG(*seed, 2))
	type split struct {
		name  string
		attrs []diffusion.Attrs
	}
	splits := []split{{"seen", nil}, {"held-out", nil}}
	for i := range splits {
		for k := 0; k < *prompts; k++ {
			splits[i].attrs = append(splits[i].attrs, diffusion.RandomAttrs(ev, i == 1))
		}
	}
	noise := tensor.Randn(ev, 1, *prompts, diffusion.ImageSize, diffusion.ImageSize, 3)
	nullCond, err := enc.Encode(make([]string, *prompts))
	if err != nil {
		return err
	}
	var rows [][]string
	var grid [][]float32
	for _, wv := range ws {
		for _, sp := range splits {
			caps := make([]string, len(sp.attrs))
			for i, a := range sp.attrs {
				caps[i] = a.Caption()
			}
			cond, err := enc.Encode(caps)
			if err != nil {
				return err
			}
			field := diffusion.Guided(m.Field(cond), m.Field(nullCond), float32(wv))
			start := time.Now()
			x, _ := diffusion.Sample(field, noise, *sampleSteps, diffusion.Euler, nil)
			el := time.Since(start)
			imgs := part5.Images(x, *prompts)
			attr, all := part5.Adherence(imgs, sp.attrs)
			rows = append(rows, []string{show.Num(wv, 1), sp.name, part5.Pct(attr[0]), part5.Pct(attr[1]), part5.Pct(attr[2]), part5.Pct(attr[3]), part5.Pct(all), part5.Ms(el / time.Duration(*prompts))})
			grid = append(grid, imgs[:min(8, len(imgs))]...)
		}
	}
	show.Table(w, []string{"w", "prompts", "shape", "colour", "size", "position", "all four", "time/sample"}, rows)
	fmt.Fprintf(w, "%d prompts per row; chance is 33%% shape, 25%% colour, 50%% size, 25%% position.\n", *prompts)
	fmt.Fprintln(w, "held-out prompts name a (shape, colour) pair the model never saw: right answers there are composition, not recall.")

	path := filepath.Join(*out, "prompts.png")
	if err := pic.WriteGrid(path, grid, diffusion.ImageSize, diffusion.ImageSize, len(grid)/min(8, *prompts), min(8, *prompts), 3); err != nil {
		return err
	}
	// Prompt × seed: four held-out prompts, four noise draws each, at the
	// largest guidance scale.
	const seeds = 4
	np := min(4, *prompts)
	var caps []string
	for _, a := range splits[1].attrs[:np] {
		for k := 0; k < seeds; k++ {
			caps = append(caps, a.Caption())
		}
	}
	cond, err := enc.Encode(caps)
	if err != nil {
		return err
	}
	nullSeed, err := enc.Encode(make([]string, len(caps)))
	if err != nil {
		return err
	}
	wmax := ws[len(ws)-1]
	xs, _ := diffusion.Sample(diffusion.Guided(m.Field(cond), m.Field(nullSeed), float32(wmax)),
		tensor.Randn(rand.New(rand.NewPCG(*seed, 3)), 1, len(caps), diffusion.ImageSize, diffusion.ImageSize, 3), *sampleSteps, diffusion.Euler, nil)
	seedPath := filepath.Join(*out, "prompt_by_seed.png")
	if err := pic.WriteGrid(seedPath, part5.Images(xs, len(caps)), diffusion.ImageSize, diffusion.ImageSize, np, seeds, 4); err != nil {
		return err
	}
	fmt.Fprintf(w, "wrote %s (rows: the first %d held-out prompts; columns: %d noise seeds; w = %.1f)\n", seedPath, np, seeds, wmax)

	var first []string
	for _, sp := range splits {
		for _, a := range sp.attrs[:min(8, len(sp.attrs))] {
			first = append(first, fmt.Sprintf("    %-8s %s", sp.name, a.Caption()))
		}
	}
	fmt.Fprintf(w, "wrote %s (rows: w = %s, seen then held-out; columns: the first prompts below)\n%s\n", path, *scales, strings.Join(first, "\n"))
	return nil
}

// trainable lists the parameters the optimiser updates: the DiT's, plus the
// text encoder's only if trainText.
func trainable(m *diffusion.DiT, enc *diffusion.TextEncoder, trainText bool) []*autograd.Var {
	ps := m.Parameters()
	if trainText {
		ps = append(ps, enc.Parameters()...)
	}
	return ps
}

func parseScales(s string) ([]float64, error) {
	var ws []float64
	for _, f := range strings.Split(s, ",") {
		v, err := strconv.ParseFloat(strings.TrimSpace(f), 64)
		if err != nil || v < 0 {
			return nil, fmt.Errorf("-w %q: want comma-separated scales ≥ 0", s)
		}
		ws = append(ws, v)
	}
	return ws, nil
}
