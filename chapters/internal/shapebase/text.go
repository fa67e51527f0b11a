// Package shapebase holds the recipes of the Part 5 bases: the
// text-conditioned pixel DiT that chapter 37 stands on, and the autoencoder
// with its class-conditioned latent DiT that chapter 38 stands on. Both are
// trained on the built-in shape images with a fixed seed, shipped under
// testdata/bases with a manifest (package nn/bases), and rebuilt by
//
//	go run ./chapters/bases -name shapes-text
//	go run ./chapters/bases -name shapes-latent
//
// The chapters run the same training code, with their own short step
// counts, when asked for -from-scratch.
package shapebase

import (
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"transformers/autograd"
	"transformers/diffusion"
	"transformers/nn"
	"transformers/nn/bases"
	"transformers/nn/safetensors"
	"transformers/tensor"
)

// TextName is the folder of the text-conditioned DiT under testdata/bases.
const TextName = "shapes-text"

// TextRebuild is the command that rebuilds the shipped text-conditioned DiT.
const TextRebuild = "go run ./chapters/bases -name " + TextName

// MetaRecipe is the checkpoint metadata key holding the recipe (JSON).
const MetaRecipe = "shapebase_recipe"

// CurvePoints is how many first training losses a manifest keeps.
const CurvePoints = 20

// TextRecipe is everything that decides the text-conditioned DiT's weights:
// a fixed random text encoder (never trained: trained jointly it collapses,
// see chapter 37) read by cross-attention and pooled into adaLN.
type TextRecipe struct {
	Dim       int     `json:"dim"`        // width of the DiT and the text encoder
	Patch     int     `json:"patch"`      // side of the DiT's square patches, in pixels
	Depth     int     `json:"depth"`      // DiT blocks
	TextDepth int     `json:"text_depth"` // text encoder blocks
	Heads     int     `json:"heads"`
	MLPRatio  int     `json:"mlp_ratio"`
	Steps     int     `json:"steps"`
	Batch     int     `json:"batch"`
	LR        float64 `json:"lr"`
	Drop      float64 `json:"drop"`                 // probability of dropping the whole caption
	WordDrop  float64 `json:"word_drop"`            // probability of dropping each attribute's words
	TrainText bool    `json:"train_text,omitempty"` // also train the encoder (it collapses)
	Seed      uint64  `json:"seed"`
}

// TextDefault is the recipe of the shipped base: 6×6 patches (16 tokens)
// and an encoder without blocks, the two choices that let the model compose
// a held-out (shape, colour) pair (chapter 37), with each attribute's words
// dropped 30 % of the time.
func TextDefault() TextRecipe {
	return TextRecipe{Dim: 96, Patch: 6, Depth: 2, TextDepth: 0, Heads: 4, MLPRatio: 4, Steps: 16000, Batch: 16, LR: 2e-3, Drop: 0.1, WordDrop: 0.3, Seed: 1}
}

// Validate names the field at fault.
func (r TextRecipe) Validate() error {
	if r.Patch < 1 || diffusion.ImageSize%r.Patch != 0 {
		return fmt.Errorf("text recipe: patch %d must divide the image side %d", r.Patch, diffusion.ImageSize)
	}
	if r.Steps < 1 || r.Batch < 1 || r.Depth < 1 || r.TextDepth < 0 || r.Heads < 1 || r.MLPRatio < 1 || r.Dim < 4 || r.Dim%4 != 0 || r.Dim%r.Heads != 0 {
		return fmt.Errorf("text recipe %+v: steps, batch, depth, heads, mlp ratio must be ≥ 1 and dim a multiple of 4 and of heads", r)
	}
	if !(r.LR > 0) || !(r.Drop >= 0 && r.Drop < 1) || !(r.WordDrop >= 0 && r.WordDrop < 1) {
		return fmt.Errorf("text recipe: lr %v must be > 0, drop %v and word drop %v in [0, 1)", r.LR, r.Drop, r.WordDrop)
	}
	return nil
}

// Text is the text-conditioned DiT with its encoder.
type Text struct {
	Recipe TextRecipe
	Enc    *diffusion.TextEncoder
	DiT    *diffusion.DiT
}

// Parameters lists the encoder's then the DiT's parameters (the checkpoint's
// contents; only the DiT's are trained).
func (t *Text) Parameters() []*autograd.Var {
	return append(t.Enc.Parameters(), t.DiT.Parameters()...)
}

// Trained lists the parameters the optimiser updates: the DiT's, and the
// encoder's only if the recipe trains the text too.
func (t *Text) Trained() []*autograd.Var {
	ps := t.DiT.Parameters()
	if t.Recipe.TrainText {
		ps = append(ps, t.Enc.Parameters()...)
	}
	return ps
}

// NewText builds the encoder and DiT of r from rng (in that order).
func NewText(r TextRecipe, rng *rand.Rand) *Text {
	enc := diffusion.NewTextEncoder("text", r.Dim, r.TextDepth, r.Heads, rng)
	m := diffusion.NewDiT("dit", diffusion.DiTConfig{ImageSize: diffusion.ImageSize, Channels: 3, Patch: r.Patch, Dim: r.Dim, Depth: r.Depth, Heads: r.Heads, MLPRatio: r.MLPRatio, CrossAttention: true}, rng)
	return &Text{Recipe: r, Enc: enc, DiT: m}
}

// TrainText builds the model from r.Seed and trains the DiT for r.Steps
// (the encoder stays at its initialisation unless r.TrainText). log, if non-nil, sees every
// step; stop, if non-nil, ends training early after the step it returns
// true for.
func TrainText(r TextRecipe, log func(step int, loss, lr float64)) (*Text, diffusion.TrainStats, error) {
	return trainText(r, 0, log)
}

// trainText is TrainText stopping after stop steps (0: all of them).
func trainText(r TextRecipe, stop int, log func(step int, loss, lr float64)) (*Text, diffusion.TrainStats, error) {
	if err := r.Validate(); err != nil {
		return nil, diffusion.TrainStats{}, err
	}
	rng := rand.New(rand.NewPCG(r.Seed, 1))
	t := NewText(r, rng)
	params := t.Trained()
	var trainErr error
	st, err := diffusion.Train(diffusion.TrainConfig{Steps: r.Steps, LR: r.LR, Clip: 1, StopAfter: stop}, params, func(step int, g *autograd.Graph) *autograd.Var {
		x, attrs := diffusion.ShapeImages(rng, r.Batch, false)
		caps := make([]string, len(attrs))
		for i, a := range attrs {
			caps[i] = a.Caption()
		}
		ids, err := diffusion.TokenizeAll(caps, r.Drop, rng)
		if err != nil {
			trainErr = err
		}
		if r.WordDrop > 0 {
			diffusion.DropAttributes(ids, r.WordDrop, rng)
		}
		b := diffusion.MakeBatch(rng, x, diffusion.Uniform)
		return diffusion.MSE(g, t.DiT.Forward(g, autograd.Const(b.Xt), b.T, diffusion.TextCond(g, t.Enc.Forward(g, ids))), b.Target)
	}, log)
	if err == nil {
		err = trainErr
	}
	return t, st, err
}

// ValLoss is the flow-matching loss on a fixed validation set: 256 fresh
// images of the seen combinations with their whole captions, noise and
// times drawn from seed stream 100.
func (t *Text) ValLoss() float64 {
	rng := rand.New(rand.NewPCG(t.Recipe.Seed, 100))
	s := 0.0
	for k := 0; k < 4; k++ {
		x, attrs := diffusion.ShapeImages(rng, 64, false)
		caps := make([]string, len(attrs))
		for i, a := range attrs {
			caps[i] = a.Caption()
		}
		cond, _ := t.Enc.Encode(caps)
		b := diffusion.MakeBatch(rng, x, diffusion.Uniform)
		g := autograd.NoGrad()
		s += float64(diffusion.MSE(g, t.DiT.Forward(g, autograd.Const(b.Xt), b.T, cond), b.Target).Value.Data[0])
	}
	return s / 4
}

// BuildText trains r and writes the base into dir (model.safetensors and
// manifest.json), returning the manifest.
func BuildText(w io.Writer, r TextRecipe, dir string) (bases.Manifest, error) {
	t0 := time.Now()
	fmt.Fprintf(w, "%s: DiT dim %d × %d blocks, text encoder %d block(s) fixed; %d steps of %d images, word drop %.2f\n", TextName, r.Dim, r.Depth, r.TextDepth, r.Steps, r.Batch, r.WordDrop)
	var sum float64
	every := max(r.Steps/20, 1)
	t, st, err := TrainText(r, func(step int, loss, lr float64) {
		sum += loss
		if (step+1)%every == 0 {
			fmt.Fprintf(w, "  step %6d  loss %.4f  lr %.5f  %.0f s\n", step+1, sum/float64(every), lr, time.Since(t0).Seconds())
			sum = 0
		}
	})
	if err != nil {
		return bases.Manifest{}, err
	}
	wall := time.Since(t0)
	m := bases.Manifest{Name: TextName, File: "model.safetensors", Command: TextRebuild,
		About: "text-conditioned pixel DiT (cross-attention + pooled caption) over a fixed random text encoder, trained on the seen shape combinations with whole and partial captions; the base of chapter 37",
		Seed:  r.Seed, Steps: r.Steps, Tokens: int64(r.Steps) * int64(r.Batch), Params: nn.NumParams(t.DiT.Parameters()),
		TrainLoss: tail(st.Losses, 200), ValLoss: t.ValLoss(), WallSeconds: wall.Seconds(), Machine: machine(),
		Curve: curve(st.Losses, 0, CurvePoints)}
	rb, _ := json.Marshal(r)
	m.Settings = map[string]string{"recipe": string(rb)}
	return save(dir, t, map[string]string{MetaRecipe: string(rb)}, m)
}

// save writes mod's parameters (F32) with meta into dir/m.File and the
// manifest beside it.
func save(dir string, mod nn.Module, meta map[string]string, m bases.Manifest) (bases.Manifest, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return m, err
	}
	if err := safetensors.Write(filepath.Join(dir, m.File), nn.StateDict(mod), meta); err != nil {
		return m, err
	}
	return bases.Finish(dir, m)
}

// VerifyText re-runs the first logged steps of the recipe in manifest m and
// checks the losses equal the manifest's, bit for bit.
func VerifyText(m bases.Manifest) error {
	var r TextRecipe
	if err := json.Unmarshal([]byte(m.Settings["recipe"]), &r); err != nil {
		return fmt.Errorf("shapebase: manifest recipe: %w", err)
	}
	_, st, err := trainText(r, len(m.Curve), nil)
	if err != nil {
		return err
	}
	return bases.Matches(m.Curve, curve(st.Losses, 0, len(m.Curve)))
}

// LoadText returns the shipped text-conditioned DiT, verified against its
// manifest. The error says how to rebuild a missing or corrupt file.
func LoadText() (*Text, bases.Manifest, error) {
	dir, err := bases.Dir(TextName)
	if err != nil {
		return nil, bases.Manifest{}, err
	}
	return LoadTextFrom(dir)
}

// LoadTextFrom is LoadText from the base folder dir.
func LoadTextFrom(dir string) (*Text, bases.Manifest, error) {
	b, err := open[TextRecipe](dir, TextRebuild)
	if err != nil {
		return nil, b.man, err
	}
	r, sd, man, path := b.recipe, b.sd, b.man, b.path
	t := NewText(r, rand.New(rand.NewPCG(0, 0)))
	if err := nn.LoadStateDict(t, sd); err != nil {
		return nil, man, fmt.Errorf("shapebase: %s: %w", path, err)
	}
	return t, man, nil
}

// curve turns losses into manifest points numbered from offset+1.
func curve(losses []float64, offset, n int) []bases.Point {
	var out []bases.Point
	for i, l := range losses[:min(n, len(losses))] {
		out = append(out, bases.Point{Step: offset + i + 1, Loss: l})
	}
	return out
}

// tail is the mean of the last k losses.
func tail(losses []float64, k int) float64 {
	k = min(k, len(losses))
	s := 0.0
	for _, l := range losses[len(losses)-k:] {
		s += l
	}
	return s / float64(max(k, 1))
}

func machine() string {
	return fmt.Sprintf("%s/%s, GOMAXPROCS %d, %s", runtime.GOOS, runtime.GOARCH, runtime.GOMAXPROCS(0), runtime.Version())
}

// DefaultGuidance is the schemes chapter 37 compares by default.
const DefaultGuidance = "cfg0,cfg1,cfg3,cfg5,ana3"

// GuidanceDoc explains the schemes, for the chapter's table.
const GuidanceDoc = `guidance: cfgW  v_u + W·(v_c − v_u), classifier-free guidance on the whole caption
          compW v_u + W·Σ_k (v_k − v_u), composed: one caption per attribute, the others <null>
          attrW v_u + 3·(v_c − v_u) + W·Σ_k (v_c − v_¬k), each attribute's words pulled on again
          anaW  v_u + W·(v(g, s) + v(c, s') − v(g, s') − v_u) for a held-out (colour c, shape s):
                shape s from a colour g it was seen with, colour c from a shape s' it was seen
                with, minus the pair (g, s') they share — every caption a seen one; cfgW on seen pairs
`

// ParseGuidance splits a comma-separated list of schemes and checks each.
func ParseGuidance(list string) ([]string, error) {
	var out []string
	for _, f := range strings.Split(list, ",") {
		f = strings.TrimSpace(f)
		if _, _, err := parseScheme(f); err != nil {
			return nil, err
		}
		out = append(out, f)
	}
	return out, nil
}

func parseScheme(scheme string) (kind string, w float32, err error) {
	kind = strings.TrimRight(scheme, "0123456789.")
	v, err := strconv.ParseFloat(scheme[len(kind):], 32)
	if err != nil || v < 0 || !slices.Contains([]string{"cfg", "comp", "attr", "ana"}, kind) {
		return "", 0, fmt.Errorf("guidance %q: want cfgW, compW, attrW or anaW with a scale W ≥ 0", scheme)
	}
	return kind, float32(v), nil
}

// Field is the guided velocity field for the captions of want under a
// guidance scheme (see GuidanceDoc): v_c is the whole caption's velocity,
// v_u the null caption's, v_k that of a caption naming attribute k alone
// and v_¬k that of the caption without attribute k. Every scheme is a
// linear combination of velocities whose weights sum to 1, so far from the
// data each still points along the flow; near it, a combination is the
// velocity of a product of the captions' densities (Liu et al., 2022).
func (t *Text) Field(want []diffusion.Attrs, scheme string) (diffusion.Field, error) {
	kind, wf, err := parseScheme(scheme)
	if err != nil {
		return nil, err
	}
	encode := func(f func(a diffusion.Attrs) diffusion.Attrs) ([]int, error) {
		caps := make([]string, len(want))
		for i, a := range want {
			caps[i] = f(a).Caption()
		}
		return diffusion.TokenizeAll(caps, 0, nil)
	}
	ids, err := encode(func(a diffusion.Attrs) diffusion.Attrs { return a })
	if err != nil {
		return nil, err
	}
	field := func(ids []int) diffusion.Field { return t.DiT.Field(t.Enc.EncodeIDs(ids)) }
	full, null := field(ids), field(make([]int, len(ids)))
	switch kind {
	case "comp":
		var parts []diffusion.Field
		for k := range diffusion.AttributeWords {
			parts = append(parts, field(diffusion.KeepAttribute(ids, k)))
		}
		return diffusion.Composed(parts, null, wf), nil
	case "attr":
		fs := []diffusion.Field{full, null}
		cs := []float32{3 + float32(len(diffusion.AttributeWords))*wf, -2}
		for k := range diffusion.AttributeWords {
			fs = append(fs, field(diffusion.NullAttribute(ids, k)))
			cs = append(cs, -wf)
		}
		return diffusion.Combine(fs, cs), nil
	case "ana":
		var fs []diffusion.Field
		for _, f := range []func(a diffusion.Attrs, g, s2 int) diffusion.Attrs{
			func(a diffusion.Attrs, g, s2 int) diffusion.Attrs { a.Colour = g; return a },
			func(a diffusion.Attrs, g, s2 int) diffusion.Attrs { a.Shape = s2; return a },
			func(a diffusion.Attrs, g, s2 int) diffusion.Attrs { a.Colour, a.Shape = g, s2; return a },
		} {
			ids, err := encode(func(a diffusion.Attrs) diffusion.Attrs { g, s2 := Analogy(a); return f(a, g, s2) })
			if err != nil {
				return nil, err
			}
			fs = append(fs, field(ids))
		}
		return diffusion.Combine(append(fs, null), []float32{wf, wf, -wf, 1 - wf}), nil
	}
	return diffusion.Guided(full, null, wf), nil
}

// Analogy returns, for a's held-out (colour c, shape s), a colour g and a
// shape s' with (g, s), (c, s') and (g, s') all seen in training — then
// v(g, s) + v(c, s') − v(g, s') keeps s and c and cancels g and s'. For a
// seen pair it returns (c, s) itself, and the combination is v(c, s).
func Analogy(a diffusion.Attrs) (g, s2 int) {
	if !a.HeldOut() {
		return a.Colour, a.Shape
	}
	seen := func(c, s int) bool { return !(diffusion.Attrs{Shape: s, Colour: c}).HeldOut() }
	for s2 := range diffusion.ShapeNames {
		for g := range diffusion.ColourNames {
			if s2 != a.Shape && g != a.Colour && seen(a.Colour, s2) && seen(g, a.Shape) && seen(g, s2) {
				return g, s2
			}
		}
	}
	return a.Colour, a.Shape
}

// opened is a shipped base read by open.
type opened[R any] struct {
	recipe R
	sd     map[string]*tensor.Tensor
	meta   map[string]string
	path   string
	man    bases.Manifest
}

// open verifies the base in dir against its manifest (naming rebuild, or
// -from-scratch, when it is missing or corrupt), reads its weights and
// decodes and validates the recipe stored under MetaRecipe.
func open[R interface{ Validate() error }](dir, rebuild string) (opened[R], error) {
	var b opened[R]
	var err error
	b.man, b.path, err = bases.Verify(dir, rebuild+", or run the chapter with -from-scratch")
	if err != nil {
		return b, err
	}
	if b.sd, b.meta, err = safetensors.Read(b.path); err != nil {
		return b, err
	}
	if err := json.Unmarshal([]byte(b.meta[MetaRecipe]), &b.recipe); err != nil {
		return b, fmt.Errorf("shapebase: %s: recipe metadata: %w", b.path, err)
	}
	if err := b.recipe.Validate(); err != nil {
		return b, fmt.Errorf("shapebase: %s: %w", b.path, err)
	}
	return b, nil
}
