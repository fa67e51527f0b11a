// Package storybase is the recipe of the story-world base model that
// chapters 17 and 20–24 stand on: a character-level GPT pre-trained on the
// built-in corpus alone (no chat data), shipped under testdata/bases/story
// with a manifest (package nn/bases) and rebuilt, bit for bit on the same
// machine class, by
//
//	go run ./chapters/bases -name story
package storybase

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"time"

	"transformers/chapters/internal/part2"
	"transformers/gpt"
	"transformers/gpt/modeldir"
	"transformers/gpt/tokenizer"
	"transformers/gpt/train"
	"transformers/nn/bases"
)

// Name is the base's folder under testdata/bases.
const Name = "story"

// Rebuild is the command that rebuilds the shipped base.
const Rebuild = "go run ./chapters/bases -name story"

// MetaRecipe and MetaRunes are the checkpoint metadata keys holding the
// recipe (JSON) and the character tokenizer's alphabet (the key modeldir
// reads, so `explore -model testdata/bases/story` has the tokenizer too).
const (
	MetaRecipe = "storybase_recipe"
	MetaRunes  = modeldir.MetaCharRunes
)

// Recipe is everything that decides the base's weights.
type Recipe struct {
	CorpusBytes int     `json:"corpus_bytes"` // size of the built-in corpus
	Context     int     `json:"context"`      // positions (and training window)
	Layers      int     `json:"layers"`
	Heads       int     `json:"heads"`
	DModel      int     `json:"d_model"`
	Steps       int     `json:"steps"`
	Batch       int     `json:"batch"`
	LR          float64 `json:"lr"`
	MinLR       float64 `json:"min_lr"`
	Warmup      int     `json:"warmup"`
	Seed        uint64  `json:"seed"`
}

// Default is the recipe of the shipped base.
func Default() Recipe {
	return Recipe{CorpusBytes: 1_000_000, Context: 160, Layers: 4, Heads: 4, DModel: 192,
		Steps: 3000, Batch: 16, LR: 2e-3, MinLR: 2e-4, Warmup: 100, Seed: 1}
}

// Validate names the field at fault.
func (r Recipe) Validate() error {
	if err := part2.Positive("corpus-bytes", r.CorpusBytes, "context", r.Context, "layers", r.Layers, "heads", r.Heads,
		"d-model", r.DModel, "steps", r.Steps, "batch", r.Batch); err != nil {
		return err
	}
	if r.DModel%r.Heads != 0 {
		return fmt.Errorf("-d-model %d must be divisible by the %d heads", r.DModel, r.Heads)
	}
	if r.CorpusBytes < 5000 {
		return fmt.Errorf("-corpus-bytes %d: must be at least 5000", r.CorpusBytes)
	}
	return nil
}

// Data is the corpus the recipe trains on.
func (r Recipe) Data() part2.Data { return part2.LoadCorpus(r.CorpusBytes) }

// Trainer builds the model (initialised from Seed) and its training loop.
func (r Recipe) Trainer(d part2.Data) (*train.Trainer, error) {
	if err := r.Validate(); err != nil {
		return nil, err
	}
	cfg := gpt.DefaultConfig(d.Tok.VocabSize())
	cfg.Context, cfg.Layers, cfg.Heads, cfg.DModel, cfg.DFF = r.Context, r.Layers, r.Heads, r.DModel, 4*r.DModel
	m := gpt.New(cfg, part2.Rng(r.Seed, 30))
	tc := train.Config{Steps: r.Steps, Batch: r.Batch, Accum: 1, SeqLen: r.Context, LR: r.LR, MinLR: r.MinLR,
		Warmup: min(r.Warmup, r.Steps/5), WeightDecay: 0.1, Clip: 1, EvalBatches: 16, Seed: r.Seed, LogEvery: 100}
	return train.New(m, d.Train, d.Val, tc)
}

// CurvePoints is how many first training losses the manifest keeps.
const CurvePoints = 20

// Curve returns the first n training losses of a trainer's history.
func Curve(tr *train.Trainer, n int) []bases.Point {
	var out []bases.Point
	for _, h := range tr.History[:min(n, len(tr.History))] {
		out = append(out, bases.Point{Step: h.Step, Loss: h.Loss})
	}
	return out
}

// Train runs the whole recipe with a progress line on w and returns the
// trained model, its trainer and the wall time.
func Train(w io.Writer, r Recipe) (*train.Trainer, part2.Data, time.Duration, error) {
	d := r.Data()
	tr, err := r.Trainer(d)
	if err != nil {
		return nil, d, 0, err
	}
	tr.Progress = w
	fmt.Fprintf(w, "story base: %d parameters, %d layers × d_model %d, context %d; %d updates of %d×%d tokens on %d corpus tokens\n",
		tr.Model.ParamCount().Total, r.Layers, r.DModel, r.Context, r.Steps, r.Batch, r.Context, len(d.Train))
	t0 := time.Now()
	if err := tr.Run(); err != nil {
		return nil, d, 0, err
	}
	return tr, d, time.Since(t0), nil
}

// Meta is the checkpoint metadata of a model made by r with tokenizer tok.
func Meta(r Recipe, tok *tokenizer.Char) map[string]string {
	b, _ := json.Marshal(r)
	return map[string]string{MetaRecipe: string(b), MetaRunes: string(tok.Runes())}
}

// Build trains the recipe and writes the base into dir (model.safetensors and
// manifest.json), returning the manifest.
func Build(w io.Writer, r Recipe, dir string) (bases.Manifest, error) {
	tr, d, wall, err := Train(w, r)
	if err != nil {
		return bases.Manifest{}, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return bases.Manifest{}, err
	}
	tok := d.Tok.(*tokenizer.Char)
	if err := tr.Model.Save(filepath.Join(dir, "model.safetensors"), Meta(r, tok)); err != nil {
		return bases.Manifest{}, err
	}
	last := tr.History[len(tr.History)-1]
	trainLoss := 0.0
	k := min(50, len(tr.History))
	for _, h := range tr.History[len(tr.History)-k:] {
		trainLoss += h.Loss
	}
	rb, _ := json.Marshal(r)
	m := bases.Manifest{
		Name: Name, File: "model.safetensors", Command: Rebuild,
		About: "character-level GPT pre-trained on the built-in story corpus alone (no chat data); the base of chapters 17 and 20–24",
		Seed:  r.Seed, Steps: r.Steps, Tokens: int64(r.Steps) * int64(r.Batch*r.Context), Params: tr.Model.ParamCount().Total,
		TrainLoss: trainLoss / float64(k), ValLoss: *last.ValLoss, WallSeconds: wall.Seconds(),
		Machine:  fmt.Sprintf("%s/%s, GOMAXPROCS %d, %s", runtime.GOOS, runtime.GOARCH, runtime.GOMAXPROCS(0), runtime.Version()),
		Settings: map[string]string{"recipe": string(rb)},
		Curve:    Curve(tr, CurvePoints),
	}
	return bases.Finish(dir, m)
}

// VerifyPrefix re-runs the first CurvePoints updates of the recipe in
// manifest m and checks the losses equal the manifest's, bit for bit.
func VerifyPrefix(m bases.Manifest) error {
	var r Recipe
	if err := json.Unmarshal([]byte(m.Settings["recipe"]), &r); err != nil {
		return fmt.Errorf("storybase: manifest recipe: %w", err)
	}
	tr, err := r.Trainer(r.Data())
	if err != nil {
		return err
	}
	if err := tr.RunUntil(len(m.Curve)); err != nil {
		return err
	}
	return bases.Matches(m.Curve, Curve(tr, len(m.Curve)))
}

// Load returns the shipped base, verified against its manifest, with its
// recipe and tokenizer. The error says how to rebuild a missing or corrupt
// file.
func Load() (*gpt.Model, Recipe, *tokenizer.Char, bases.Manifest, error) {
	var r Recipe
	man, path, err := bases.Load(Name, Rebuild+", or run the chapter with -from-scratch")
	if err != nil {
		return nil, r, nil, man, err
	}
	m, meta, err := gpt.Load(path)
	if err != nil {
		return nil, r, nil, man, err
	}
	if err := json.Unmarshal([]byte(meta[MetaRecipe]), &r); err != nil {
		return nil, r, nil, man, fmt.Errorf("storybase: %s: recipe metadata: %w", path, err)
	}
	return m, r, tokenizer.NewChar(meta[MetaRunes]), man, nil
}
