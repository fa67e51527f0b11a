package shapebase

import (
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"strconv"
	"time"

	"transformers/autograd"
	"transformers/diffusion"
	"transformers/nn"
	"transformers/nn/bases"
	"transformers/tensor"
)

// LatentName is the folder of the autoencoder + latent DiT under
// testdata/bases.
const LatentName = "shapes-latent"

// LatentRebuild is the command that rebuilds the shipped latent base.
const LatentRebuild = "go run ./chapters/bases -name " + LatentName

// metaScale is the checkpoint metadata key of the autoencoder's latent scale.
const metaScale = "latent_scale"

// LatentRecipe is everything that decides the latent base: a patch
// autoencoder (4×4×3 pixels → Latent numbers) trained on reconstruction +
// β·KL, its latent scale fitted on 256 images, then a class-conditioned DiT
// trained by flow matching on the scaled latents (labels dropped with
// probability Drop, for guidance).
type LatentRecipe struct {
	AEHidden int     `json:"ae_hidden"`
	Latent   int     `json:"latent"`
	AESteps  int     `json:"ae_steps"`
	AEBatch  int     `json:"ae_batch"`
	AELR     float64 `json:"ae_lr"`
	Beta     float64 `json:"beta"`
	Dim      int     `json:"dim"`
	Depth    int     `json:"depth"`
	Steps    int     `json:"steps"`
	Batch    int     `json:"batch"`
	LR       float64 `json:"lr"`
	Drop     float64 `json:"drop"`
	Seed     uint64  `json:"seed"`
}

// LatentDefault is the recipe of the shipped base.
func LatentDefault() LatentRecipe {
	r := LatentShort(1)
	r.AEHidden, r.AESteps, r.Steps = 128, 6000, 24000
	return r
}

// LatentShort is chapter 38's own training (its -from-scratch default).
func LatentShort(seed uint64) LatentRecipe {
	return LatentRecipe{AEHidden: 64, Latent: 8, AESteps: 400, AEBatch: 32, AELR: 3e-3, Beta: 1e-4,
		Dim: 96, Depth: 2, Steps: 1200, Batch: 16, LR: 2e-3, Drop: 0.1, Seed: seed}
}

// Validate names the field at fault.
func (r LatentRecipe) Validate() error {
	if r.AEHidden < 1 || r.Latent < 1 || r.AESteps < 1 || r.AEBatch < 1 || r.Steps < 1 || r.Batch < 1 || r.Depth < 1 || r.Dim < 4 || r.Dim%4 != 0 {
		return fmt.Errorf("latent recipe %+v: sizes and steps must be ≥ 1 and dim a multiple of 4", r)
	}
	if !(r.AELR > 0) || !(r.LR > 0) || !(r.Beta >= 0) || !(r.Drop >= 0 && r.Drop < 1) {
		return fmt.Errorf("latent recipe: learning rates must be > 0, beta ≥ 0, drop in [0, 1)")
	}
	return nil
}

// Latent is the autoencoder with its latent DiT.
type Latent struct {
	Recipe LatentRecipe
	AE     *diffusion.Autoencoder
	DiT    *diffusion.DiT
}

// Parameters lists the autoencoder's then the DiT's parameters.
func (l *Latent) Parameters() []*autograd.Var {
	return append(l.AE.Parameters(), l.DiT.Parameters()...)
}

// Side is the latent grid's side.
func Side() int { return diffusion.ImageSize / 4 }

// NewAE builds r's autoencoder from rng.
func NewAE(r LatentRecipe, rng *rand.Rand) *diffusion.Autoencoder {
	return diffusion.NewAutoencoder("ae", 4, 3, r.Latent, r.AEHidden, rng)
}

// LatentConfig is the latent DiT's configuration: 3×3 latent patches, 4
// tokens, class-conditioned.
func LatentConfig(r LatentRecipe) diffusion.DiTConfig {
	return diffusion.DiTConfig{ImageSize: Side(), Channels: r.Latent, Patch: 3, Dim: r.Dim, Depth: r.Depth, Heads: 4, MLPRatio: 4, Classes: diffusion.NumClasses}
}

// TrainAE trains r's autoencoder from seed stream 1 (log may be nil), and
// fits its scale on 256 seen images from seed stream 2.
func TrainAE(r LatentRecipe, log func(step int, loss, lr float64)) (*diffusion.Autoencoder, diffusion.TrainStats, error) {
	return trainAE(r, 0, log)
}

func trainAE(r LatentRecipe, stop int, log func(step int, loss, lr float64)) (*diffusion.Autoencoder, diffusion.TrainStats, error) {
	if err := r.Validate(); err != nil {
		return nil, diffusion.TrainStats{}, err
	}
	rng := rand.New(rand.NewPCG(r.Seed, 1))
	ae := NewAE(r, rng)
	st, err := diffusion.Train(diffusion.TrainConfig{Steps: r.AESteps, LR: r.AELR, Clip: 1, StopAfter: stop}, ae.Parameters(), func(step int, g *autograd.Graph) *autograd.Var {
		x, _ := diffusion.ShapeImages(rng, r.AEBatch, false)
		loss, _ := ae.Loss(g, x, float32(r.Beta), rng)
		return loss
	}, log)
	if err != nil {
		return nil, st, err
	}
	x, _ := diffusion.ShapeImages(rand.New(rand.NewPCG(r.Seed, 2)), 256, false)
	ae.FitScale(x)
	return ae, st, nil
}

// TrainLatentDiT trains a class-conditioned DiT of width dim on ae's scaled
// latents (seed stream 11).
func TrainLatentDiT(r LatentRecipe, ae *diffusion.Autoencoder, log func(step int, loss, lr float64)) (*diffusion.DiT, diffusion.TrainStats, error) {
	return trainLatentDiT(r, ae, 0, log)
}

func trainLatentDiT(r LatentRecipe, ae *diffusion.Autoencoder, stop int, log func(step int, loss, lr float64)) (*diffusion.DiT, diffusion.TrainStats, error) {
	return TrainClassDiT(LatentConfig(r), r, ae.Latents, rand.New(rand.NewPCG(r.Seed, 11)), stop, log)
}

// TrainClassDiT trains a class-conditioned DiT of configuration cfg on
// toData(images) with r's steps, batch, learning rate and label dropout,
// drawing weights, images, noise and times from rng; stop > 0 ends after
// that many steps.
func TrainClassDiT(cfg diffusion.DiTConfig, r LatentRecipe, toData func(*tensor.Tensor) *tensor.Tensor, rng *rand.Rand, stop int, log func(step int, loss, lr float64)) (*diffusion.DiT, diffusion.TrainStats, error) {
	m := diffusion.NewDiT("dit", cfg, rng)
	st, err := diffusion.Train(diffusion.TrainConfig{Steps: r.Steps, LR: r.LR, Clip: 1, StopAfter: stop}, m.Parameters(), func(step int, g *autograd.Graph) *autograd.Var {
		x, attrs := diffusion.ShapeImages(rng, r.Batch, false)
		lab := make([]int, len(attrs))
		for i, a := range attrs {
			lab[i] = a.Class()
		}
		b := diffusion.MakeBatch(rng, toData(x), diffusion.Uniform)
		cond := diffusion.Cond{Classes: diffusion.DropLabels(rng, lab, r.Drop, diffusion.NumClasses)}
		return diffusion.MSE(g, m.Forward(g, autograd.Const(b.Xt), b.T, cond), b.Target)
	}, log)
	return m, st, err
}

// ValLoss is the latent DiT's flow-matching loss on a fixed validation set
// (256 seen images, noise and times from seed stream 100), and the
// autoencoder's reconstruction MSE on the same images.
func (l *Latent) ValLoss() (dit, ae float64) {
	rng := rand.New(rand.NewPCG(l.Recipe.Seed, 100))
	for k := 0; k < 4; k++ {
		x, attrs := diffusion.ShapeImages(rng, 64, false)
		lab := make([]int, len(attrs))
		for i, a := range attrs {
			lab[i] = a.Class()
		}
		z := l.AE.Latents(x)
		ae += diffusion.MeanSquaredError(l.AE.Images(z), x) / 4
		b := diffusion.MakeBatch(rng, z, diffusion.Uniform)
		g := autograd.NoGrad()
		dit += float64(diffusion.MSE(g, l.DiT.Forward(g, autograd.Const(b.Xt), b.T, diffusion.Cond{Classes: lab}), b.Target).Value.Data[0]) / 4
	}
	return dit, ae
}

// BuildLatent trains r and writes the base into dir.
func BuildLatent(w io.Writer, r LatentRecipe, dir string) (bases.Manifest, error) {
	t0 := time.Now()
	fmt.Fprintf(w, "%s: autoencoder hidden %d, %d latent channels, %d steps of %d; latent DiT dim %d × %d blocks, %d steps of %d\n",
		LatentName, r.AEHidden, r.Latent, r.AESteps, r.AEBatch, r.Dim, r.Depth, r.Steps, r.Batch)
	progress := func(what string, steps int) func(step int, loss, lr float64) {
		var sum float64
		every := max(steps/10, 1)
		return func(step int, loss, lr float64) {
			sum += loss
			if (step+1)%every == 0 {
				fmt.Fprintf(w, "  %s step %6d  loss %.4f  lr %.5f  %.0f s\n", what, step+1, sum/float64(every), lr, time.Since(t0).Seconds())
				sum = 0
			}
		}
	}
	ae, aeSt, err := TrainAE(r, progress("autoencoder", r.AESteps))
	if err != nil {
		return bases.Manifest{}, err
	}
	xs, as := diffusion.ShapeImages(rand.New(rand.NewPCG(r.Seed, 100)), 256, false)
	aeRead := ShapeColour(ae.Images(ae.Latents(xs)), as)
	fmt.Fprintf(w, "  autoencoder: the checker reads shape + colour right in %.1f %% of 256 reconstructions\n", 100*aeRead)
	m, st, err := TrainLatentDiT(r, ae, progress("latent DiT", r.Steps))
	if err != nil {
		return bases.Manifest{}, err
	}
	wall := time.Since(t0)
	l := &Latent{Recipe: r, AE: ae, DiT: m}
	val, aeVal := l.ValLoss()
	man := bases.Manifest{Name: LatentName, File: "model.safetensors", Command: LatentRebuild,
		About: "patch autoencoder (24×24×3 → 6×6×8) and a class-conditioned DiT trained by flow matching on its scaled latents, seen shape classes only; the base of chapter 38",
		Seed:  r.Seed, Steps: r.AESteps + r.Steps, Tokens: int64(r.AESteps)*int64(r.AEBatch) + int64(r.Steps)*int64(r.Batch),
		Params: nn.NumParams(l.Parameters()), TrainLoss: tail(st.Losses, 200), ValLoss: val, WallSeconds: wall.Seconds(), Machine: machine(),
		Curve: append(curve(aeSt.Losses, 0, CurvePoints), curve(st.Losses, r.AESteps, CurvePoints)...)}
	rb, _ := json.Marshal(r)
	man.Settings = map[string]string{"recipe": string(rb), "latent_scale": fmtF32(ae.Scale),
		"ae_val_mse": strconv.FormatFloat(aeVal, 'g', -1, 64), "ae_shape_colour": strconv.FormatFloat(aeRead, 'g', -1, 64), "ae_train_loss": strconv.FormatFloat(tail(aeSt.Losses, 200), 'g', -1, 64),
		"curve": fmt.Sprintf("autoencoder steps 1–%d, then latent DiT steps %d–%d (numbered after the autoencoder's)", CurvePoints, r.AESteps+1, r.AESteps+CurvePoints)}
	return save(dir, l, map[string]string{MetaRecipe: string(rb), metaScale: fmtF32(ae.Scale)}, man)
}

func fmtF32(f float32) string { return strconv.FormatFloat(float64(f), 'g', -1, 32) }

// VerifyLatent re-runs the autoencoder's first steps from scratch and the
// latent DiT's first steps on the shipped autoencoder, and compares both
// with the manifest's curve bit for bit.
func VerifyLatent(m bases.Manifest) error {
	var r LatentRecipe
	if err := json.Unmarshal([]byte(m.Settings["recipe"]), &r); err != nil {
		return fmt.Errorf("shapebase: manifest recipe: %w", err)
	}
	shipped, _, err := LoadLatent()
	if err != nil {
		return err
	}
	return verifyLatent(m, r, shipped.AE)
}

// verifyLatent re-runs both prefixes of m's curve, the DiT's on ae.
func verifyLatent(m bases.Manifest, r LatentRecipe, ae *diffusion.Autoencoder) error {
	n := len(m.Curve) / 2
	_, aeSt, err := trainAE(r, n, nil)
	if err != nil {
		return err
	}
	_, st, err := trainLatentDiT(r, ae, n, nil)
	if err != nil {
		return err
	}
	return bases.Matches(m.Curve, append(curve(aeSt.Losses, 0, n), curve(st.Losses, r.AESteps, n)...))
}

// LoadLatent returns the shipped autoencoder and latent DiT, verified
// against the manifest. The error says how to rebuild a missing or corrupt
// file.
func LoadLatent() (*Latent, bases.Manifest, error) {
	dir, err := bases.Dir(LatentName)
	if err != nil {
		return nil, bases.Manifest{}, err
	}
	return LoadLatentFrom(dir)
}

// LoadLatentFrom is LoadLatent from the base folder dir.
func LoadLatentFrom(dir string) (*Latent, bases.Manifest, error) {
	b, err := open[LatentRecipe](dir, LatentRebuild)
	if err != nil {
		return nil, b.man, err
	}
	r, sd, meta, man, path := b.recipe, b.sd, b.meta, b.man, b.path
	scale, err := strconv.ParseFloat(meta[metaScale], 32)
	if err != nil || !(scale > 0) {
		return nil, man, fmt.Errorf("shapebase: %s: latent scale %q", path, meta[metaScale])
	}
	rng := rand.New(rand.NewPCG(0, 0))
	l := &Latent{Recipe: r, AE: NewAE(r, rng), DiT: diffusion.NewDiT("dit", LatentConfig(r), rng)}
	if err := nn.LoadStateDict(l, sd); err != nil {
		return nil, man, fmt.Errorf("shapebase: %s: %w", path, err)
	}
	l.AE.Scale = float32(scale)
	return l, man, nil
}

// ShapeColour is the fraction of images x [N, H, W, 3] in which the checker
// finds a shape whose shape and colour are want's.
func ShapeColour(x *tensor.Tensor, want []diffusion.Attrs) float64 {
	per := tensor.Numel(x.Shape[1:])
	ok := 0
	for i, a := range want {
		r := diffusion.Check(x.Data[i*per : (i+1)*per])
		if r.Found && r.Shape == a.Shape && r.Colour == a.Colour {
			ok++
		}
	}
	return float64(ok) / float64(len(want))
}
