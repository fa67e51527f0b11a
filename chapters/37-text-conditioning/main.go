// Chapter 37 — text conditioning.
//
// A caption ("a small red circle at the top left") is split into words, a
// text encoder turns them into vectors, and every DiT block reads them
// through cross-attention: queries from the image patches, keys and values
// from the words. Their mean also joins the time embedding in adaLN, a
// global summary of the prompt (as Stable Diffusion 3 adds a pooled text
// vector). The encoder has no pretraining and no training: it stays at its
// random initialisation, a fixed random feature map of the words. Trained
// jointly with the denoiser (-from-scratch -train-text -text-depth 1) it
// collapses within a few hundred steps: its output stops depending on the
// words, the position words most completely, and the model then puts the
// shape wherever the starting noise suggests, at every guidance scale.
//
// A quarter of the (shape, colour) pairs never appear in training: can the
// model draw "a blue circle" having seen blue squares and red circles? Two
// choices decide it. The encoder has no blocks (each word's vector is its
// embedding plus its position, so "circle" means the same next to "blue" as
// next to "red"), and the DiT cuts the image into 6×6 patches, 16 tokens:
// a patch holds a piece of an edge in one colour, pieces every shape and
// colour share, so a circle is an arrangement of patches and its colour a
// property of each. With 12×12 patches (-patch 12), one token per quadrant,
// the model learns each seen pair as a whole and draws a blue square when
// asked for a blue circle. Captions are dropped 10 % of the time so
// classifier-free guidance works, and each attribute's words 30 % of the
// time, so the model also knows what one attribute alone looks like
// (composed guidance needs it).
//
// By default the denoiser is the shipped shapes-text base (testdata/bases,
// trained for tens of minutes by `go run ./chapters/bases -name
// shapes-text`); -from-scratch trains it here for -steps (1500, about a
// minute), and with -steps set to the base's it retrains the shipped weights
// bit for bit.
//
//	go run ./chapters/37-text-conditioning [-from-scratch [-steps 1500] [-train-text]] [-guidance cfg0,cfg1,cfg3,ana3] [-out out/37-text-conditioning]
package main

import (
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
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
		fmt.Fprintln(os.Stderr, "37-text-conditioning:", err)
		os.Exit(2)
	}
}

func run(w io.Writer, args []string) error {
	fs := flag.NewFlagSet("37-text-conditioning", flag.ContinueOnError)
	fs.SetOutput(w)
	seed := fs.Uint64("seed", 1, "seed for data, weights, noise and times")
	out := fs.String("out", "out/37-text-conditioning", "folder for the pictures")
	def := shapebase.TextDefault()
	steps := fs.Int("steps", 1500, "training steps (with -from-scratch; the shipped base's recipe has "+fmt.Sprint(def.Steps)+")")
	batch := fs.Int("batch", def.Batch, "images per step")
	dim := fs.Int("dim", def.Dim, "width of the DiT and the text encoder")
	depth := fs.Int("depth", def.Depth, "number of DiT blocks")
	patch := fs.Int("patch", def.Patch, "side of the DiT's square patches (a divisor of 24)")
	textDepth := fs.Int("text-depth", def.TextDepth, "number of text encoder blocks (0: each word's vector is its embedding plus its position)")
	lr := fs.Float64("lr", def.LR, "peak learning rate")
	drop := fs.Float64("drop", def.Drop, "probability of dropping a caption in training")
	prompts := fs.Int("prompts", 128, "prompts per split (seen, held-out) and guidance scheme")
	sampleSteps := fs.Int("sample-steps", 20, "Euler steps from t=1 to t=0")
	guidance := fs.String("guidance", shapebase.DefaultGuidance, "guidance schemes to compare (cfgW, compW, attrW, anaW; see the table's notes)")
	trainText := fs.Bool("train-text", false, "train the text encoder together with the denoiser (it collapses and position words are lost)")
	wordDrop := fs.Float64("word-drop", def.WordDrop, "probability of dropping each attribute's words in training")
	fromScratch := fs.Bool("from-scratch", false, "train the denoiser here instead of loading the shipped "+shapebase.TextName+" base")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if !*fromScratch {
		var set []string
		fs.Visit(func(f *flag.Flag) {
			if slices.Contains([]string{"steps", "batch", "dim", "depth", "patch", "text-depth", "lr", "drop", "word-drop", "train-text"}, f.Name) {
				set = append(set, "-"+f.Name)
			}
		})
		if len(set) > 0 {
			return fmt.Errorf("%v set the denoiser's training: they need -from-scratch (the default loads the shipped one)", set)
		}
	}
	if *steps < 1 || *batch < 1 || *depth < 1 || *textDepth < 0 || *prompts < 1 || *sampleSteps < 1 || *dim < 4 || *dim%4 != 0 {
		return fmt.Errorf("-steps, -batch, -depth, -prompts, -sample-steps must be ≥ 1, -text-depth ≥ 0 and -dim a multiple of 4")
	}
	if !(*lr > 0) || !(*drop >= 0 && *drop < 1) || !(*wordDrop >= 0 && *wordDrop < 1) {
		return fmt.Errorf("-lr %v must be > 0, -drop %v and -word-drop %v in [0, 1)", *lr, *drop, *wordDrop)
	}
	schemes, err := shapebase.ParseGuidance(*guidance)
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

	var t *shapebase.Text
	show.Heading(w, "Training the denoiser")
	if !*fromScratch {
		var man bases.Manifest
		var err error
		if t, man, err = shapebase.LoadText(); err != nil {
			return err
		}
		r := t.Recipe
		show.KV(w, "parameters", fmt.Sprintf("%d trained (DiT dim %d × %d blocks; text encoder %d, fixed at its random initialisation)", nn.NumParams(t.DiT.Parameters()), r.Dim, r.Depth, nn.NumParams(t.Enc.Parameters())),
			"weights", fmt.Sprintf("the shipped %s base: %d steps of %d images, captions dropped %.0f %%, each attribute's words %.0f %%; %.0f s on %s", man.Name, r.Steps, r.Batch, 100*r.Drop, 100*r.WordDrop, man.WallSeconds, man.Machine),
			"losses", fmt.Sprintf("train %.4f (last 200 steps), validation %.4f", man.TrainLoss, man.ValLoss),
			"sha256", fmt.Sprintf("%s verified; rebuild with %q or run with -from-scratch", man.SHA256[:16], man.Command))
	} else {
		r := shapebase.TextDefault()
		r.Seed, r.Steps, r.Batch, r.Dim, r.Depth, r.Patch, r.TextDepth, r.LR, r.Drop, r.WordDrop, r.TrainText = *seed, *steps, *batch, *dim, *depth, *patch, *textDepth, *lr, *drop, *wordDrop, *trainText
		if err := r.Validate(); err != nil {
			return err
		}
		textRole := "fixed at its random initialisation"
		if *trainText {
			textRole = "trained with the denoiser"
		}
		t = shapebase.NewText(r, rand.New(rand.NewPCG(0, 0)))
		show.KV(w, "parameters", fmt.Sprintf("%d trained (DiT %d; text encoder %d, %s)", nn.NumParams(t.Trained()), nn.NumParams(t.DiT.Parameters()), nn.NumParams(t.Enc.Parameters()), textRole),
			"batch", fmt.Sprint(*batch), "steps", fmt.Sprint(*steps), "word drop", fmt.Sprint(*wordDrop))
		log := part5.NewLossLog(*steps, 5)
		var st diffusion.TrainStats
		var err error
		if t, st, err = shapebase.TrainText(r, log.Add); err != nil {
			return err
		}
		log.Print(w, st, *batch)
	}

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
	var rows [][]string
	var grid [][]float32
	for _, sc := range schemes {
		for _, sp := range splits {
			field, err := t.Field(sp.attrs, sc)
			if err != nil {
				return err
			}
			start := time.Now()
			x, _ := diffusion.Sample(field, noise, *sampleSteps, diffusion.Euler, nil)
			el := time.Since(start)
			imgs := part5.Images(x, *prompts)
			attr, all := part5.Adherence(imgs, sp.attrs)
			rows = append(rows, []string{sc, sp.name, part5.Pct(attr[0]), part5.Pct(attr[1]), part5.Pct(shapebase.ShapeColour(x, sp.attrs)), part5.Pct(attr[2]), part5.Pct(attr[3]), part5.Pct(all), part5.Ms(el / time.Duration(*prompts))})
			grid = append(grid, imgs[:min(8, len(imgs))]...)
		}
	}
	show.Table(w, []string{"guidance", "prompts", "shape", "colour", "shape+colour", "size", "position", "all four", "time/sample"}, rows)
	fmt.Fprintf(w, "%d prompts per row, the same prompts and noise in every row; chance is 33%% shape, 25%% colour, 50%% size, 25%% position.\n", *prompts)
	fmt.Fprintln(w, "held-out prompts name a (shape, colour) pair the model never saw: right answers there are composition, not recall.")
	fmt.Fprint(w, shapebase.GuidanceDoc)

	path := filepath.Join(*out, "prompts.png")
	if err := pic.WriteGrid(path, grid, diffusion.ImageSize, diffusion.ImageSize, len(grid)/min(8, *prompts), min(8, *prompts), 3); err != nil {
		return err
	}
	// Prompt × seed: four held-out prompts, four noise draws each, under the
	// last guidance scheme.
	const seeds = 4
	np := min(4, *prompts)
	var many []diffusion.Attrs
	for _, a := range splits[1].attrs[:np] {
		for k := 0; k < seeds; k++ {
			many = append(many, a)
		}
	}
	last := schemes[len(schemes)-1]
	field, err := t.Field(many, last)
	if err != nil {
		return err
	}
	xs, _ := diffusion.Sample(field, tensor.Randn(rand.New(rand.NewPCG(*seed, 3)), 1, len(many), diffusion.ImageSize, diffusion.ImageSize, 3), *sampleSteps, diffusion.Euler, nil)
	seedPath := filepath.Join(*out, "prompt_by_seed.png")
	if err := pic.WriteGrid(seedPath, part5.Images(xs, len(many)), diffusion.ImageSize, diffusion.ImageSize, np, seeds, 4); err != nil {
		return err
	}
	fmt.Fprintf(w, "wrote %s (rows: the first %d held-out prompts; columns: %d noise seeds; guidance %s)\n", seedPath, np, seeds, last)

	var first []string
	for _, sp := range splits {
		for _, a := range sp.attrs[:min(8, len(sp.attrs))] {
			first = append(first, fmt.Sprintf("    %-8s %s", sp.name, a.Caption()))
		}
	}
	fmt.Fprintf(w, "wrote %s (rows: guidance %s, seen then held-out; columns: the first prompts below)\n%s\n", path, *guidance, strings.Join(first, "\n"))
	return nil
}
