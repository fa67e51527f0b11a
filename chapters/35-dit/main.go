// Chapter 35 — a diffusion transformer (DiT).
//
// The image is cut into patches, each patch becomes a token with a 2-D
// position, and a transformer predicts the velocity of every patch. Time
// enters through adaLN: each block's layer norms get a shift, a scale and a
// gate computed from t, the gates starting at zero so that every block
// starts as the identity.
//
//	go run ./chapters/35-dit [-steps 2000] [-patch 12] [-out out/35-dit]
package main

import (
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
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
		fmt.Fprintln(os.Stderr, "35-dit:", err)
		os.Exit(2)
	}
}

func run(w io.Writer, args []string) error {
	fs := flag.NewFlagSet("35-dit", flag.ContinueOnError)
	fs.SetOutput(w)
	seed := fs.Uint64("seed", 1, "seed for data, weights, noise and times")
	out := fs.String("out", "out/35-dit", "folder for the pictures")
	steps := fs.Int("steps", 2000, "training steps")
	batch := fs.Int("batch", 16, "images per step")
	dim := fs.Int("dim", 96, "transformer width")
	depth := fs.Int("depth", 2, "number of DiT blocks")
	heads := fs.Int("heads", 4, "attention heads")
	patch := fs.Int("patch", 12, "patch side in pixels (must divide 24); 12 makes one token per quadrant")
	lr := fs.Float64("lr", 2e-3, "peak learning rate")
	samples := fs.Int("samples", 32, "images to sample")
	sampleSteps := fs.Int("sample-steps", 30, "Euler steps from t=1 to t=0")
	tflag := fs.String("t", "uniform", "training time distribution: uniform or logit-normal")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *steps < 1 || *batch < 1 || *depth < 1 || *samples < 1 || *sampleSteps < 1 || *heads < 1 || *dim < 4 || *dim%(*heads) != 0 || *dim%4 != 0 {
		return fmt.Errorf("-steps, -batch, -depth, -samples, -sample-steps, -heads must be ≥ 1 and -dim a multiple of 4 and of -heads")
	}
	if *patch < 1 || diffusion.ImageSize%*patch != 0 {
		return fmt.Errorf("-patch %d must divide the image size %d", *patch, diffusion.ImageSize)
	}
	if !(*lr > 0) {
		return fmt.Errorf("-lr %v must be > 0", *lr)
	}
	tdist, err := diffusion.ParseTimeDist(*tflag)
	if err != nil {
		return err
	}
	show.Heading(w, "Chapter 35 · A diffusion transformer")
	show.KV(w, "seed", fmt.Sprint(*seed), "pictures", *out)

	cfg := diffusion.DiTConfig{ImageSize: diffusion.ImageSize, Channels: 3, Patch: *patch, Dim: *dim, Depth: *depth, Heads: *heads, MLPRatio: 4}
	rng := rand.New(rand.NewPCG(*seed, 1))
	m := diffusion.NewDiT("dit", cfg, rng)
	side := diffusion.ImageSize / *patch
	show.Heading(w, "From pixels to tokens")
	show.Table(w, []string{"stage", "shape"}, [][]string{
		{"image", fmt.Sprintf("[%d, %d, 3]", diffusion.ImageSize, diffusion.ImageSize)},
		{fmt.Sprintf("%d×%d patches, flattened", *patch, *patch), fmt.Sprintf("[%d, %d]", cfg.Tokens(), *patch**patch*3)},
		{"linear patch embedding + 2-D position", fmt.Sprintf("[%d, %d]", cfg.Tokens(), *dim)},
		{fmt.Sprintf("%d DiT blocks (adaLN from t)", *depth), fmt.Sprintf("[%d, %d]", cfg.Tokens(), *dim)},
		{"linear back to patches, reassembled", fmt.Sprintf("[%d, %d, 3] = velocity", diffusion.ImageSize, diffusion.ImageSize)},
	})
	fmt.Fprintf(w, "the %d tokens sit on a %d×%d grid; each position code is half row code, half column code.\n", cfg.Tokens(), side, side)
	fmt.Fprintln(w, "each shape sits in one quadrant; with 12×12 patches a quadrant is one token. Try -patch 6: 16 tokens,")
	fmt.Fprintln(w, "every shape straddles four of them, and on this budget the tokens rarely agree — samples come out in fragments.")

	// adaLN-Zero: the gates and the output layer start at zero, so v = 0.
	probe := tensor.Randn(rng, 1, 2, diffusion.ImageSize, diffusion.ImageSize, 3)
	v0 := m.Forward(autograd.NoGrad(), autograd.Const(probe), []float32{0.3, 0.8}, diffusion.Cond{}).Value
	show.KV(w, "untrained max |v|", show.Num(float64(tensor.Max(tensor.Abs(v0), 0, false).Data[0]), 4)+" (adaLN-Zero: every block starts as the identity)")

	show.Heading(w, fmt.Sprintf("Training on shapes (t %v)", tdist))
	params := m.Parameters()
	show.KV(w, "parameters", fmt.Sprint(nn.NumParams(params)), "batch", fmt.Sprint(*batch), "steps", fmt.Sprint(*steps))
	log := part5.NewLossLog(*steps, 5)
	st, err := diffusion.Train(diffusion.TrainConfig{Steps: *steps, LR: *lr, Clip: 1}, params, func(step int, g *autograd.Graph) *autograd.Var {
		x, _ := diffusion.ShapeImages(rng, *batch, false)
		b := diffusion.MakeBatch(rng, x, tdist)
		return diffusion.MSE(g, m.Forward(g, autograd.Const(b.Xt), b.T, diffusion.Cond{}), b.Target)
	}, log.Add)
	if err != nil {
		return err
	}
	log.Print(w, st, *batch)

	show.Heading(w, "Sampling")
	ev := rand.New(rand.NewPCG(*seed, 2))
	noise := tensor.Randn(ev, 1, *samples, diffusion.ImageSize, diffusion.ImageSize, 3)
	var frames [][][]float32
	var sequence [][]float32
	start := time.Now()
	x, calls := diffusion.Sample(m.Field(diffusion.Cond{}), noise, *sampleSteps, diffusion.Euler, func(step int, _ float32, x *tensor.Tensor) {
		if step%max(*sampleSteps/10, 1) == 0 || step == *sampleSteps {
			frames = append(frames, part5.Images(x, min(8, *samples)))
			sequence = append(sequence, append([]float32(nil), part5.Images(x, 1)[0]...))
		}
	})
	el := time.Since(start)
	imgs := part5.Images(x, *samples)
	found := 0
	counts := [4][]int{make([]int, len(diffusion.ShapeNames)), make([]int, len(diffusion.ColourNames)), make([]int, len(diffusion.SizeNames)), make([]int, len(diffusion.PositionNames))}
	for _, im := range imgs {
		if r := diffusion.Check(im); r.Found {
			found++
			counts[0][r.Shape]++
			counts[1][r.Colour]++
			counts[2][r.Size]++
			counts[3][r.Pos]++
		}
	}
	show.KV(w, "sampler", fmt.Sprintf("euler, %d steps, %d network calls per sample", *sampleSteps, calls),
		"time per sample", part5.Ms(el/time.Duration(*samples)),
		"samples/s", fmt.Sprintf("%.1f", float64(*samples)/el.Seconds()),
		"checker reads one clean shape in", fmt.Sprintf("%d/%d samples (%s)", found, *samples, part5.Pct(float64(found)/float64(*samples))))
	names := [][]string{diffusion.ShapeNames, diffusion.ColourNames, diffusion.SizeNames, diffusion.PositionNames}
	var rows [][]string
	for j, c := range counts {
		s := ""
		for k, n := range c {
			s += fmt.Sprintf("%s %d  ", names[j][k], n)
		}
		rows = append(rows, []string{diffusion.AttributeNames[j], s})
	}
	show.Table(w, []string{"attribute", "what the checker read in the samples (no prompt: any value is fine)"}, rows)

	real, _ := diffusion.ShapeImages(ev, 8, false)
	grid := append(part5.Images(real, 8), imgs...)
	paths := []string{filepath.Join(*out, "samples.png"), filepath.Join(*out, "denoising.png"), filepath.Join(*out, "sampling.gif")}
	if err := pic.WriteGrid(paths[0], grid, diffusion.ImageSize, diffusion.ImageSize, (len(grid)+7)/8, 8, 3); err != nil {
		return err
	}
	if err := pic.WriteGrid(paths[1], sequence, diffusion.ImageSize, diffusion.ImageSize, 1, len(sequence), 4); err != nil {
		return err
	}
	if err := pic.WriteGIF(paths[2], frames, diffusion.ImageSize, diffusion.ImageSize, 1, len(frames[0]), 4, 15); err != nil {
		return err
	}
	fmt.Fprintf(w, "wrote %s (top row: training images), %s (one sample from t=1 to t=0), %s\n", paths[0], paths[1], paths[2])
	return nil
}
