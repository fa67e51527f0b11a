// Chapter 38 — latent diffusion.
//
// An autoencoder squeezes each 24×24×3 image (1728 numbers) into a 6×6×8
// latent grid (288 numbers), trained on reconstruction plus a small KL term;
// the latents are divided by their standard deviation over the data so they
// sit on the noise's scale. Flow matching then runs in latent space, and the
// decoder turns sampled latents into images. Same recipe, a sixth of the
// numbers: the chapter trains a pixel DiT and a latent DiT for the same
// number of steps and compares time and quality. By default the
// autoencoder is the shipped shapes-latent base (testdata/bases, trained by
// `go run ./chapters/bases -name shapes-latent`), and the latent DiT trained
// beside it for tens of minutes is sampled too: what latent diffusion
// reaches when it is given the time. -from-scratch trains the autoencoder
// here (-ae-steps, -ae-hidden, -latent, -beta); with the base's sizes
// (-ae-hidden 128 -ae-steps 6000 -steps 24000) it retrains the shipped
// weights bit for bit.
//
//	go run ./chapters/38-latent-diffusion [-from-scratch] [-ae-steps 400] [-steps 1200] [-out out/38-latent-diffusion]
package main

import (
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"time"

	"transformers/chapters/internal/part5"
	"transformers/chapters/internal/shapebase"
	"transformers/chapters/internal/show"
	"transformers/diffusion"
	"transformers/diffusion/pic"
	"transformers/nn"
	"transformers/nn/bases"
	"transformers/tensor"
)

func main() {
	if err := run(os.Stdout, os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "38-latent-diffusion:", err)
		os.Exit(2)
	}
}

type config struct {
	seed                                  uint64
	out                                   string
	aeSteps, aeHidden, latent, steps, dim int
	batch, perClass, sampleSteps          int
	beta, lr, w                           float64
	fromScratch                           bool
}

func run(w io.Writer, args []string) error {
	fs := flag.NewFlagSet("38-latent-diffusion", flag.ContinueOnError)
	fs.SetOutput(w)
	var c config
	fs.Uint64Var(&c.seed, "seed", 1, "seed for data, weights, noise and times")
	fs.StringVar(&c.out, "out", "out/38-latent-diffusion", "folder for the pictures")
	fs.IntVar(&c.aeSteps, "ae-steps", 400, "autoencoder training steps")
	fs.IntVar(&c.aeHidden, "ae-hidden", 64, "autoencoder MLP width")
	fs.IntVar(&c.latent, "latent", 8, "latent channels per 4×4 patch")
	fs.Float64Var(&c.beta, "beta", 1e-4, "weight of the KL term")
	fs.IntVar(&c.steps, "steps", 1200, "DiT training steps (pixel and latent alike)")
	fs.IntVar(&c.dim, "dim", 96, "DiT width")
	fs.IntVar(&c.batch, "batch", 16, "images per step")
	fs.Float64Var(&c.lr, "lr", 2e-3, "peak learning rate")
	fs.IntVar(&c.perClass, "per-class", 12, "samples per class")
	fs.IntVar(&c.sampleSteps, "sample-steps", 20, "Euler steps from t=1 to t=0")
	fs.Float64Var(&c.w, "w", 2, "guidance scale for the samples")
	fs.BoolVar(&c.fromScratch, "from-scratch", false, "train the autoencoder here instead of loading the shipped "+shapebase.LatentName+" base")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if !c.fromScratch {
		var aeFlags []string
		fs.Visit(func(f *flag.Flag) {
			if slices.Contains([]string{"ae-steps", "ae-hidden", "latent", "beta"}, f.Name) {
				aeFlags = append(aeFlags, "-"+f.Name)
			}
		})
		if len(aeFlags) > 0 {
			return fmt.Errorf("%v set the autoencoder's training: they need -from-scratch (the default loads the shipped one)", aeFlags)
		}
	}
	if c.aeSteps < 1 || c.aeHidden < 1 || c.latent < 1 || c.steps < 1 || c.batch < 1 || c.perClass < 1 || c.sampleSteps < 1 || c.dim < 4 || c.dim%4 != 0 {
		return fmt.Errorf("-ae-steps, -ae-hidden, -latent, -steps, -batch, -per-class, -sample-steps must be ≥ 1 and -dim a multiple of 4")
	}
	if !(c.lr > 0) || !(c.beta >= 0) || !(c.w >= 0) {
		return fmt.Errorf("-lr must be > 0, -beta and -w ≥ 0")
	}
	show.Heading(w, "Chapter 38 · Latent diffusion")
	show.KV(w, "seed", fmt.Sprint(c.seed), "pictures", c.out)

	r := shapebase.LatentShort(c.seed)
	r.AESteps, r.AEHidden, r.Latent, r.Beta = c.aeSteps, c.aeHidden, c.latent, c.beta
	r.Steps, r.Dim, r.Batch, r.LR = c.steps, c.dim, c.batch, c.lr
	var base *shapebase.Latent
	var man bases.Manifest
	if !c.fromScratch {
		var err error
		if base, man, err = shapebase.LoadLatent(); err != nil {
			return err
		}
		r.AESteps, r.AEHidden, r.Latent, r.Beta = base.Recipe.AESteps, base.Recipe.AEHidden, base.Recipe.Latent, base.Recipe.Beta
	}
	side := shapebase.Side()
	show.Heading(w, "The autoencoder: reconstruction + β·KL")
	show.KV(w, "image", fmt.Sprintf("[%d, %d, 3] = %d numbers", diffusion.ImageSize, diffusion.ImageSize, diffusion.ImageSize*diffusion.ImageSize*3),
		"latent", fmt.Sprintf("[%d, %d, %d] = %d numbers (%.0f× fewer)", side, side, r.Latent, side*side*r.Latent, float64(diffusion.ImageSize*diffusion.ImageSize*3)/float64(side*side*r.Latent)),
		"β", fmt.Sprint(r.Beta), "steps", fmt.Sprintf("%d of %d images", r.AESteps, r.AEBatch))
	var ae *diffusion.Autoencoder
	if base != nil {
		ae = base.AE
		show.KV(w, "parameters", fmt.Sprintf("%d (MLP width %d)", nn.NumParams(ae.Parameters()), r.AEHidden),
			"weights", fmt.Sprintf("the shipped %s base, sha256 %s verified; rebuild with %q or run with -from-scratch", man.Name, man.SHA256[:16], man.Command))
	} else {
		log := part5.NewLossLog(r.AESteps, 5)
		var st diffusion.TrainStats
		var err error
		if ae, st, err = shapebase.TrainAE(r, log.Add); err != nil {
			return err
		}
		show.KV(w, "parameters", fmt.Sprintf("%d (MLP width %d)", nn.NumParams(ae.Parameters()), r.AEHidden))
		log.Print(w, st, r.AEBatch)
	}

	// Reconstruction quality on fresh images, and whether the checker still
	// reads the right attributes from the reconstructions.
	ev := rand.New(rand.NewPCG(c.seed, 2))
	seenX, seenA := diffusion.ShapeImages(ev, 256, false)
	heldX, heldA := diffusion.ShapeImages(ev, 256, true)
	scale := ae.Scale
	var rows [][]string
	for _, s := range []struct {
		name  string
		x     *tensor.Tensor
		attrs []diffusion.Attrs
	}{{"seen combinations", seenX, seenA}, {"held-out combinations", heldX, heldA}} {
		rec := ae.Images(ae.Latents(s.x))
		mse := diffusion.MeanSquaredError(rec, s.x)
		_, all := part5.Adherence(part5.Images(rec, 256), s.attrs)
		rows = append(rows, []string{s.name, fmt.Sprintf("%.5f", mse), fmt.Sprintf("%.1f dB", diffusion.PSNR(mse)), part5.Pct(all)})
	}
	show.Table(w, []string{"256 fresh images", "MSE", "PSNR", "checker reads all 4 attributes"}, rows)
	fmt.Fprintf(w, "latent scale (std of μ over 256 seen images): %.4f — latents are divided by it before diffusion\n", scale)
	recPath := filepath.Join(c.out, "reconstructions.png")
	recs := ae.Images(ae.Latents(seenX))
	if err := pic.WriteGrid(recPath, append(part5.Images(seenX, 8), part5.Images(recs, 8)...), diffusion.ImageSize, diffusion.ImageSize, 2, 8, 4); err != nil {
		return err
	}
	fmt.Fprintf(w, "wrote %s (top: originals, bottom: reconstructions)\n", recPath)

	// Two class-conditional DiTs, same width, depth, batch and steps: one on
	// pixels (12×12×3 patches → 4 tokens), one on latents (3×3×8 latent
	// patches → 4 tokens): the same transformer, fed 72 numbers per token
	// instead of 432.
	show.Heading(w, "Pixel DiT against latent DiT, same steps")
	type space struct {
		name      string
		cfg       diffusion.DiTConfig
		toData    func(*tensor.Tensor) *tensor.Tensor // images → training data
		toImages  func(*tensor.Tensor) *tensor.Tensor // samples → images
		dataShape []int
	}
	spaces := []space{
		{"pixels", diffusion.DiTConfig{ImageSize: diffusion.ImageSize, Channels: 3, Patch: 12},
			func(x *tensor.Tensor) *tensor.Tensor { return x }, func(x *tensor.Tensor) *tensor.Tensor { return x },
			[]int{diffusion.ImageSize, diffusion.ImageSize, 3}},
		{"latents", diffusion.DiTConfig{ImageSize: side, Channels: r.Latent, Patch: 3},
			ae.Latents, ae.Images, []int{side, side, r.Latent}},
	}
	var classes []int
	for k := 0; k < diffusion.NumClasses; k++ {
		if !(diffusion.Attrs{Shape: k / len(diffusion.ColourNames), Colour: k % len(diffusion.ColourNames)}).HeldOut() {
			classes = append(classes, k)
		}
	}
	n := len(classes) * c.perClass
	labels, nullLabels := make([]int, n), make([]int, n)
	want := make([]diffusion.Attrs, n)
	for i := range labels {
		labels[i], nullLabels[i] = classes[i%len(classes)], diffusion.NumClasses
		want[i] = diffusion.Attrs{Shape: labels[i] / len(diffusion.ColourNames), Colour: labels[i] % len(diffusion.ColourNames)}
	}
	rows = nil
	var grid [][]float32
	// sample draws n samples of the seen classes from m at guidance c.w,
	// decodes them with sp.toImages and adds their row to the table.
	sample := func(name string, sp space, m *diffusion.DiT, lastLoss, perStep, train string) {
		noise := tensor.Randn(rand.New(rand.NewPCG(c.seed, 3)), 1, append([]int{n}, sp.dataShape...)...)
		field := diffusion.Guided(m.Field(diffusion.Cond{Classes: labels}), m.Field(diffusion.Cond{Classes: nullLabels}), float32(c.w))
		start := time.Now()
		x, _ := diffusion.Sample(field, noise, c.sampleSteps, diffusion.Euler, nil)
		imgs := sp.toImages(x)
		el := time.Since(start)
		found := 0
		for _, im := range part5.Images(imgs, n) {
			if diffusion.Check(im).Found {
				found++
			}
		}
		rows = append(rows, []string{name, fmt.Sprint(m.Cfg.Tokens()), fmt.Sprint(nn.NumParams(m.Parameters())), lastLoss, perStep, train,
			part5.Ms(el / time.Duration(n)), part5.Pct(float64(found) / float64(n)), part5.Pct(shapebase.ShapeColour(imgs, want))})
		grid = append(grid, part5.Images(imgs, min(2*len(classes), n))...)
	}
	for si, sp := range spaces {
		cfg := sp.cfg
		cfg.Dim, cfg.Depth, cfg.Heads, cfg.MLPRatio, cfg.Classes = c.dim, 2, 4, 4, diffusion.NumClasses
		m, st, err := shapebase.TrainClassDiT(cfg, r, sp.toData, rand.New(rand.NewPCG(c.seed, 10+uint64(si))), 0, nil)
		if err != nil {
			return fmt.Errorf("%s DiT: %w", sp.name, err)
		}
		sample(sp.name, sp, m, fmt.Sprintf("%.3f", st.Losses[len(st.Losses)-1]), part5.Ms(st.PerStep()), fmt.Sprintf("%.1f s", st.Elapsed.Seconds()))
	}
	if base != nil {
		sample(fmt.Sprintf("latents, base (%d steps)", base.Recipe.Steps), spaces[1], base.DiT, fmt.Sprintf("%.3f", man.TrainLoss), "shipped", fmt.Sprintf("%.0f s¹", man.WallSeconds))
	}
	show.Table(w, []string{"space", "tokens", "parameters", "last loss", "time/step", "train time", "time/sample", "shape found", "shape+colour right"}, rows)
	fmt.Fprintf(w, "%d steps of batch %d each; %d samples per row at w = %.1f (%d per seen class), the same noise in every row; the latent sampler's time includes decoding.\n", c.steps, c.batch, n, c.w, c.perClass)
	if base != nil {
		fmt.Fprintf(w, "¹ the shipped base's whole build (autoencoder and latent DiT, %d steps of %d), on %s; its last loss is the mean of the last 200 steps.\n", base.Recipe.Steps, base.Recipe.Batch, man.Machine)
	}
	path := filepath.Join(c.out, "samples.png")
	if err := pic.WriteGrid(path, grid, diffusion.ImageSize, diffusion.ImageSize, len(grid)/len(classes), len(classes), 3); err != nil {
		return err
	}
	what := "rows 1–2: pixel DiT, rows 3–4: latent DiT"
	if base != nil {
		what += ", rows 5–6: the shipped latent DiT"
	}
	fmt.Fprintf(w, "wrote %s (%s; columns: the seen classes)\n", path, what)
	return nil
}
