package shapebase

import (
	"io"
	"math/rand/v2"
	"strings"
	"testing"

	"transformers/diffusion"
	"transformers/tensor"
)

func tinyText() TextRecipe {
	return TextRecipe{Dim: 16, Patch: 12, Depth: 1, TextDepth: 1, Heads: 4, MLPRatio: 2, Steps: 6, Batch: 2, LR: 1e-3, Drop: 0.1, WordDrop: 0.3, Seed: 3}
}

// TestTextRoundTrip builds a tiny text base, loads it back (weights equal),
// re-runs its curve bit for bit, and refuses a curve one loss off.
func TestTextRoundTrip(t *testing.T) {
	dir := t.TempDir()
	man, err := BuildText(io.Discard, tinyText(), dir)
	if err != nil {
		t.Fatal(err)
	}
	got, man2, err := LoadTextFrom(dir)
	if err != nil {
		t.Fatal(err)
	}
	if man2.SHA256 != man.SHA256 || got.Recipe != tinyText() {
		t.Errorf("loaded manifest %s recipe %+v", man2.SHA256, got.Recipe)
	}
	if v := got.ValLoss(); v != man.ValLoss {
		t.Errorf("loaded model's val loss %v, manifest %v", v, man.ValLoss)
	}
	if err := VerifyText(man); err != nil {
		t.Errorf("VerifyText: %v", err)
	}
	man.Curve[2].Loss += 1e-9
	if err := VerifyText(man); err == nil {
		t.Error("a changed curve verified")
	}
}

func TestLatentRoundTrip(t *testing.T) {
	r := LatentRecipe{AEHidden: 8, Latent: 4, AESteps: 4, AEBatch: 2, AELR: 1e-3, Beta: 1e-4, Dim: 16, Depth: 1, Steps: 4, Batch: 2, LR: 1e-3, Drop: 0.1, Seed: 2}
	dir := t.TempDir()
	man, err := BuildLatent(io.Discard, r, dir)
	if err != nil {
		t.Fatal(err)
	}
	l, _, err := LoadLatentFrom(dir)
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := l.ValLoss(); v != man.ValLoss || l.Recipe != r || !(l.AE.Scale > 0) {
		t.Errorf("loaded: val %v (manifest %v), recipe %+v, scale %v", v, man.ValLoss, l.Recipe, l.AE.Scale)
	}
	if err := verifyLatent(man, r, l.AE); err != nil {
		t.Errorf("verifyLatent: %v", err)
	}
	man.Curve[len(man.Curve)-1].Loss *= 1.0000001
	if err := verifyLatent(man, r, l.AE); err == nil {
		t.Error("a changed curve verified")
	}
}

func TestRecipesValidate(t *testing.T) {
	for _, r := range []TextRecipe{TextDefault()} {
		if err := r.Validate(); err != nil {
			t.Error(err)
		}
	}
	bad := tinyText()
	bad.Patch = 5
	if err := bad.Validate(); err == nil || !strings.Contains(err.Error(), "patch") {
		t.Errorf("patch 5: %v", err)
	}
	if err := LatentDefault().Validate(); err != nil {
		t.Error(err)
	}
}

// TestAnalogy checks that every held-out pair is rebuilt from three seen
// pairs that keep its colour and shape once each.
func TestAnalogy(t *testing.T) {
	seen := func(c, s int) bool { return !(diffusion.Attrs{Shape: s, Colour: c}).HeldOut() }
	for i := 0; i < diffusion.NumCombos; i++ {
		a := diffusion.Combo(i)
		g, s2 := Analogy(a)
		if !a.HeldOut() {
			if g != a.Colour || s2 != a.Shape {
				t.Errorf("%s: seen pair mapped to (%d, %d)", a.Caption(), g, s2)
			}
			continue
		}
		if g == a.Colour || s2 == a.Shape || !seen(g, a.Shape) || !seen(a.Colour, s2) || !seen(g, s2) {
			t.Errorf("%s: colour %d, shape %d do not make three seen pairs", a.Caption(), g, s2)
		}
	}
}

func TestGuidance(t *testing.T) {
	for _, bad := range []string{"", "cfg", "cfg-1", "foo2", "cfg1,"} {
		if _, err := ParseGuidance(bad); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
	if s, err := ParseGuidance(DefaultGuidance); err != nil || len(s) != strings.Count(DefaultGuidance, ",")+1 {
		t.Errorf("default: %v, %v", s, err)
	}
	m := NewText(tinyText(), rand.New(rand.NewPCG(1, 1)))
	// Give the zero-initialised output layers weights so the fields differ.
	for _, p := range m.DiT.Parameters() {
		for i := range p.Value.Data {
			if p.Value.Data[i] == 0 {
				p.Value.Data[i] = 0.01 * float32(i%7-3)
			}
		}
	}
	ev := rand.New(rand.NewPCG(1, 2))
	seenA := []diffusion.Attrs{diffusion.RandomAttrs(ev, false), diffusion.RandomAttrs(ev, false)}
	heldA := []diffusion.Attrs{diffusion.RandomAttrs(ev, true), diffusion.RandomAttrs(ev, true)}
	x := tensor.Randn(ev, 1, 2, diffusion.ImageSize, diffusion.ImageSize, 3)
	at := func(want []diffusion.Attrs, s string) *tensor.Tensor {
		f, err := m.Field(want, s)
		if err != nil {
			t.Fatal(err)
		}
		return f(x, 0.5)
	}
	maxDiff := func(a, b *tensor.Tensor) float64 {
		d := 0.0
		for i := range a.Data {
			d = max(d, float64(abs(a.Data[i]-b.Data[i])))
		}
		return d
	}
	// On seen pairs the analogy is the whole caption: ana3 = cfg3.
	if d := maxDiff(at(seenA, "ana3"), at(seenA, "cfg3")); d > 1e-5 {
		t.Errorf("seen pairs: ana3 and cfg3 differ by %g", d)
	}
	// On held-out pairs it is not; and every scheme at W = 0 is the null caption.
	if d := maxDiff(at(heldA, "ana3"), at(heldA, "cfg3")); d < 1e-4 {
		t.Errorf("held-out pairs: ana3 equals cfg3 (%g)", d)
	}
	for _, s := range []string{"comp0", "ana0"} {
		if d := maxDiff(at(heldA, s), at(heldA, "cfg0")); d > 1e-5 {
			t.Errorf("%s differs from cfg0 by %g", s, d)
		}
	}
	if d := maxDiff(at(heldA, "attr0"), at(heldA, "cfg3")); d > 1e-5 {
		t.Errorf("attr0 differs from cfg3 by %g", d)
	}
}

func abs(x float32) float32 { return max(x, -x) }
