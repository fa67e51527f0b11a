package diffusion

import (
	"math/rand/v2"
	"testing"

	"transformers/autograd"
	"transformers/tensor"
)

func TestTokenize(t *testing.T) {
	for _, tc := range []struct {
		caption string
		ok      bool
	}{
		{"a small red circle at the top left", true},
		{"a large yellow triangle at the bottom right", true},
		{"", true},
		{"a small red circle", false},
		{"a small purple circle at the top left", false},
	} {
		ids, err := Tokenize(tc.caption)
		if (err == nil) != tc.ok {
			t.Errorf("Tokenize(%q) error %v, want ok=%v", tc.caption, err, tc.ok)
			continue
		}
		if !tc.ok {
			continue
		}
		if len(ids) != CaptionLen {
			t.Errorf("Tokenize(%q) gave %d ids", tc.caption, len(ids))
		}
		words := ""
		for i, id := range ids {
			if tc.caption == "" && id != 0 {
				t.Errorf("null caption has id %d", id)
			}
			if i > 0 {
				words += " "
			}
			words += TextVocab[id]
		}
		if tc.caption != "" && words != tc.caption {
			t.Errorf("ids read back as %q, want %q", words, tc.caption)
		}
	}
}

func TestTextThroughCrossAttention(t *testing.T) {
	rng := rand.New(rand.NewPCG(6, 6))
	enc := NewTextEncoder("text", 16, 1, 2, rng)
	m := tinyDiT(rng, 0, true)
	caps := []string{Combo(0).Caption(), Combo(50).Caption()}
	ids, err := TokenizeAll(caps, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	x := tensor.Randn(rng, 1, 2, 8, 8, 3)
	target := tensor.Randn(rng, 1, 2, 8, 8, 3)
	params := append(m.Parameters(), enc.Parameters()...)
	var st TrainStats
	st, err = Train(TrainConfig{Steps: 30, LR: 1e-2}, params, func(step int, g *autograd.Graph) *autograd.Var {
		ctx := enc.Forward(g, ids)
		if s := ctx.Value.Shape; s[0] != 2 || s[1] != CaptionLen || s[2] != 16 {
			t.Fatalf("context shape %v", s)
		}
		return MSE(g, m.Forward(g, autograd.Const(x), []float32{0.5, 0.5}, TextCond(g, ctx)), target)
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	// After training, the encoder's weights moved: gradients reached it
	// through cross-attention.
	g := autograd.New()
	loss := MSE(g, m.Forward(g, autograd.Const(x), []float32{0.5, 0.5}, Cond{Context: enc.Forward(g, ids)}), target)
	g.Backward(loss)
	if enc.Tok.Weight.Grad == nil || tensor.SumAll(tensor.Abs(enc.Tok.Weight.Grad)) == 0 {
		t.Error("no gradient reached the text encoder")
	}
	if st.Losses[len(st.Losses)-1] > 0.8*st.Losses[0] {
		t.Errorf("loss %v → %v, want a decrease", st.Losses[0], st.Losses[len(st.Losses)-1])
	}
}
