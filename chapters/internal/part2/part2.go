// Package part2 holds what the chapter programs of Part 2 (11–19) share:
// the flag set with -seed and -out, the opening lines, picture writing that
// prints the path, and small formatting helpers.
package part2

import (
	"flag"
	"fmt"
	"image/png"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"time"

	"transformers/chapters/internal/show"
	"transformers/gpt/corpus"
	"transformers/gpt/tokenizer"
)

// Flags returns a flag set for chapter name ("11-embeddings") with -seed
// and -out (default out/<name>) bound.
func Flags(name string) (fs *flag.FlagSet, seed *uint64, out *string) {
	fs = flag.NewFlagSet(name, flag.ContinueOnError)
	seed = fs.Uint64("seed", 1, "seed for weights and data")
	out = fs.String("out", filepath.Join("out", name), "folder for the pictures")
	return fs, seed, out
}

// Intro prints the chapter title, the seed and the picture folder.
func Intro(w io.Writer, title string, seed uint64, out string) {
	show.Heading(w, title)
	show.KV(w, "seed", fmt.Sprint(seed), "pictures", out)
}

// Rng returns a PCG generator for seed and stream.
func Rng(seed, stream uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, stream)) }

// Picture is anything nn/plot can write as a PNG.
type Picture interface{ WritePNG(path string) error }

// Write writes p to out/name, creating out, and prints the path.
func Write(w io.Writer, p Picture, out, name string) error {
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	path := filepath.Join(out, name)
	if err := p.WritePNG(path); err != nil {
		return err
	}
	fmt.Fprintf(w, "wrote %s\n", path)
	return nil
}

// Ms formats a duration in milliseconds.
func Ms(d time.Duration) string { return fmt.Sprintf("%.2f ms", float64(d.Nanoseconds())/1e6) }

// Sci formats x in scientific notation with 2 decimals.
func Sci(x float64) string { return fmt.Sprintf("%.2e", x) }

// MaxAbsDiff returns max |a_i − b_i|.
func MaxAbsDiff(a, b []float32) float64 {
	if len(a) != len(b) {
		panic(fmt.Sprintf("part2.MaxAbsDiff: lengths %d and %d", len(a), len(b)))
	}
	d := 0.0
	for i := range a {
		d = math.Max(d, math.Abs(float64(a[i])-float64(b[i])))
	}
	return d
}

// Positive returns an error naming flag unless every value is ≥ 1.
func Positive(pairs ...any) error {
	for i := 0; i+1 < len(pairs); i += 2 {
		if v := pairs[i+1].(int); v < 1 {
			return fmt.Errorf("-%s %d: must be at least 1", pairs[i], v)
		}
	}
	return nil
}

// PNGSize decodes the PNG at path and returns its size: tests use it to
// check that a chapter's picture is a real image.
func PNGSize(path string) (w, h int, err error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, 0, err
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		return 0, 0, fmt.Errorf("%s: %v", path, err)
	}
	b := img.Bounds()
	return b.Dx(), b.Dy(), nil
}

// Data is the built-in corpus tokenized for training: a character
// tokenizer fitted on the training text, and each story's ids followed by
// <|eos|> so a model learns where stories end.
type Data struct {
	Tok             tokenizer.Tokenizer
	Train, Val      []int
	TrainText, Text string
}

// LoadCorpus builds the built-in corpus of about n bytes, splits it by
// story into training and validation text, and tokenizes both.
func LoadCorpus(n int) Data {
	text := corpus.Corpus(corpus.DefaultSeed, n)
	trainText, valText := corpus.Split(text, corpus.DefaultValFraction)
	tk := tokenizer.NewChar(trainText)
	encode := func(s string) []int {
		var ids []int
		for _, st := range corpus.SplitStories(s) {
			ids = append(ids, tk.Encode(st)...)
			ids = append(ids, tokenizer.EOSID)
		}
		return ids
	}
	return Data{Tok: tk, Train: encode(trainText), Val: encode(valText), TrainText: trainText, Text: text}
}
