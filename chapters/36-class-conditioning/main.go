// Chapter 36 — class conditioning and classifier-free guidance.
//
// A class label ("red circle", "blue square", …) becomes a learned vector
// added to the time embedding that drives every block's adaLN. During
// training the label is replaced by a null class 10 % of the time, so the
// same network also learns the unconditional velocity. At sampling,
// v = v_u + w·(v_c − v_u): w = 0 ignores the label, w = 1 is the plain
// conditional model, w > 1 pushes further towards the class.
//
//	go run ./chapters/36-class-conditioning [-steps 2500] [-drop 0.1] [-out out/36-class-conditioning]
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
		fmt.Fprintln(os.Stderr, "36-class-conditioning:", err)
		os.Exit(2)
	}
}

func run(w io.Writer, args []string) error {
	fs := flag.NewFlagSet("36-class-conditioning", flag.ContinueOnError)
	fs.SetOutput(w)
	seed := fs.Uint64("seed", 1, "seed for data, weights, noise and times")
	out := fs.String("out", "out/36-class-conditioning", "folder for the pictures")
	steps := fs.Int("steps", 2500, "training steps")
	batch := fs.Int("batch", 16, "images per step")
	dim := fs.Int("dim", 96, "transformer width")
	depth := fs.Int("depth", 2, "number of DiT blocks")
	lr := fs.Float64("lr", 2e-3, "peak learning rate")
	drop := fs.Float64("drop", 0.1, "probability of replacing a label by the null class in training")
	perClass := fs.Int("per-class", 8, "samples per class and guidance scale")
	sampleSteps := fs.Int("sample-steps", 20, "Euler steps from t=1 to t=0")
	scales := fs.String("w", "0,1,3", "guidance scales to compare")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *steps < 1 || *batch < 1 || *depth < 1 || *perClass < 1 || *sampleSteps < 1 || *dim < 4 || *dim%4 != 0 {
		return fmt.Errorf("-steps, -batch, -depth, -per-class, -sample-steps must be ≥ 1 and -dim a multiple of 4")
	}
	if !(*lr > 0) || !(*drop >= 0 && *drop < 1) {
		return fmt.Errorf("-lr %v must be > 0 and -drop %v in [0, 1)", *lr, *drop)
	}
	ws, err := parseScales(*scales)
	if err != nil {
		return err
	}
	show.Heading(w, "Chapter 36 · Class conditioning and classifier-free guidance")
	show.KV(w, "seed", fmt.Sprint(*seed), "pictures", *out)

	// The classes are (shape, colour) pairs; the held-out pairs are never
	// trained, so only the seen ones have a meaningful embedding.
	var classes []int
	var names []string
	for c := 0; c < diffusion.NumClasses; c++ {
		if !(diffusion.Attrs{Shape: c / len(diffusion.ColourNames), Colour: c % len(diffusion.ColourNames)}).HeldOut() {
			classes = append(classes, c)
			names = append(names, diffusion.ClassName(c))
		}
	}
	null := diffusion.NumClasses
	fmt.Fprintf(w, "classes: %d (shape, colour) pairs seen in training: %s; label %d is the null class\n", len(classes), strings.Join(names, ", "), null)

	rng := rand.New(rand.NewPCG(*seed, 1))
	m := diffusion.NewDiT("dit", diffusion.DiTConfig{ImageSize: diffusion.ImageSize, Channels: 3, Patch: 12, Dim: *dim, Depth: *depth, Heads: 4, MLPRatio: 4, Classes: diffusion.NumClasses}, rng)
	params := m.Parameters()
	show.Heading(w, fmt.Sprintf("Training with labels dropped %.0f %% of the time", 100**drop))
	show.KV(w, "parameters", fmt.Sprint(nn.NumParams(params)), "class embedding", fmt.Sprintf("[%d, %d]", diffusion.NumClasses+1, *dim), "batch", fmt.Sprint(*batch), "steps", fmt.Sprint(*steps))
	log := part5.NewLossLog(*steps, 5)
	st, err := diffusion.Train(diffusion.TrainConfig{Steps: *steps, LR: *lr, Clip: 1}, params, func(step int, g *autograd.Graph) *autograd.Var {
		x, attrs := diffusion.ShapeImages(rng, *batch, false)
		labels := make([]int, len(attrs))
		for i, a := range attrs {
			labels[i] = a.Class()
		}
		b := diffusion.MakeBatch(rng, x, diffusion.Uniform)
		cond := diffusion.Cond{Classes: diffusion.DropLabels(rng, labels, *drop, null)}
		return diffusion.MSE(g, m.Forward(g, autograd.Const(b.Xt), b.T, cond), b.Target)
	}, log.Add)
	if err != nil {
		return err
	}
	log.Print(w, st, *batch)

	// Every scale samples the same noise for the same classes.
	show.Heading(w, "Checker accuracy against guidance scale (seen classes)")
	n := len(classes) * *perClass
	want := make([]diffusion.Attrs, n)
	labels := make([]int, n)
	nullLabels := make([]int, n)
	for i := range labels {
		labels[i] = classes[i%len(classes)]
		nullLabels[i] = null
		want[i] = diffusion.Attrs{Shape: labels[i] / len(diffusion.ColourNames), Colour: labels[i] % len(diffusion.ColourNames)}
	}
	noise := tensor.Randn(rand.New(rand.NewPCG(*seed, 2)), 1, n, diffusion.ImageSize, diffusion.ImageSize, 3)
	var rows [][]string
	var gridImgs [][]float32
	for _, wv := range ws {
		field := diffusion.Guided(m.Field(diffusion.Cond{Classes: labels}), m.Field(diffusion.Cond{Classes: nullLabels}), float32(wv))
		start := time.Now()
		x, calls := diffusion.Sample(field, noise, *sampleSteps, diffusion.Euler, nil)
		el := time.Since(start)
		imgs := part5.Images(x, n)
		found, shape, colour, both := 0, 0, 0, 0
		for i, im := range imgs {
			r := diffusion.Check(im)
			if !r.Found {
				continue
			}
			found++
			s, c := r.Shape == want[i].Shape, r.Colour == want[i].Colour
			if s {
				shape++
			}
			if c {
				colour++
			}
			if s && c {
				both++
			}
		}
		f := func(k int) string { return part5.Pct(float64(k) / float64(n)) }
		rows = append(rows, []string{show.Num(wv, 1), f(found), f(shape), f(colour), f(both), fmt.Sprint(2 * calls), part5.Ms(el / time.Duration(n))})
		gridImgs = append(gridImgs, imgs[:len(classes)]...)
	}
	show.Table(w, []string{"w", "shape found", "shape right", "colour right", "both right", "net calls", "time/sample"}, rows)
	fmt.Fprintf(w, "%d samples per scale (%d per class); w = 0 ignores the label, w = 1 is the conditional model; guidance costs two network calls per step.\n", n, *perClass)

	path := filepath.Join(*out, "guidance.png")
	if err := pic.WriteGrid(path, gridImgs, diffusion.ImageSize, diffusion.ImageSize, len(ws), len(classes), 3); err != nil {
		return err
	}
	fmt.Fprintf(w, "wrote %s (rows: w = %s; columns: %s)\n", path, *scales, strings.Join(names, ", "))
	return nil
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
