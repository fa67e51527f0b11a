package diffusion

import (
	"math/rand/v2"
	"slices"
	"testing"

	"transformers/autograd"
	"transformers/tensor"
)

func constField(v float32) Field {
	return func(x *tensor.Tensor, t float32) *tensor.Tensor {
		out := tensor.Zeros(x.Shape...)
		for i := range out.Data {
			out.Data[i] = v + x.Data[i]
		}
		return out
	}
}

// TestCombineGuidedComposed checks the three combinations against each
// other: Guided(c, u, w) = Combine([c, u], [w, 1−w]) and Composed(parts, u,
// w) = u + w·Σ(part − u).
func TestCombineGuidedComposed(t *testing.T) {
	x := tensor.New([]float32{1, 2}, 2)
	c, u, p2 := constField(3), constField(1), constField(-2)
	if got, want := Combine([]Field{c, u}, []float32{2.5, -1.5})(x, 0.5).Data, Guided(c, u, 2.5)(x, 0.5).Data; !slices.Equal(got, want) {
		t.Errorf("Combine %v, Guided %v", got, want)
	}
	// u + 2·((c − u) + (p2 − u)) = x + 1 + 2·(2 − 3) = x − 1.
	if got := Composed([]Field{c, p2}, u, 2)(x, 0.5).Data; !slices.Equal(got, []float32{0, 1}) {
		t.Errorf("Composed = %v, want [0 1]", got)
	}
}

func TestAttributeMasks(t *testing.T) {
	ids, err := TokenizeAll([]string{"a small red circle at the top left", "a large blue square at the bottom right"}, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	orig := slices.Clone(ids)
	noShape := NullAttribute(ids, 0)
	onlyPos := KeepAttribute(ids, 3)
	if !slices.Equal(ids, orig) {
		t.Fatal("NullAttribute or KeepAttribute changed its input")
	}
	for b := 0; b < 2; b++ {
		for k := 0; k < CaptionLen; k++ {
			i := b*CaptionLen + k
			if (noShape[i] == 0) != (k == 3) {
				t.Errorf("NullAttribute(shape): word %d of caption %d is %d", k, b, noShape[i])
			}
			if wantKept := k == 0 || k == 4 || k == 5 || k == 6 || k == 7; (onlyPos[i] != 0) != wantKept {
				t.Errorf("KeepAttribute(position): word %d of caption %d is %d", k, b, onlyPos[i])
			}
		}
	}
	// DropAttributes at p = 1 nulls every attribute word, at p = 0 none.
	all := slices.Clone(ids)
	DropAttributes(all, 1, rand.New(rand.NewPCG(1, 1)))
	none := slices.Clone(ids)
	DropAttributes(none, 0, rand.New(rand.NewPCG(1, 1)))
	for i := range ids {
		k := i % CaptionLen
		if attrWord := k == 1 || k == 2 || k == 3 || k == 6 || k == 7; (all[i] == 0) != attrWord {
			t.Errorf("DropAttributes(1): word %d is %d", k, all[i])
		}
	}
	if !slices.Equal(none, ids) {
		t.Error("DropAttributes(0) changed the captions")
	}
}

// TestStopAfter checks that a run stopped early is the start of the full
// run, bit for bit, with the full run's schedule.
func TestStopAfter(t *testing.T) {
	run := func(stop int) TrainStats {
		w := autograd.Param("w", tensor.New([]float32{1, -2}, 2))
		st, err := Train(TrainConfig{Steps: 10, LR: 0.1, StopAfter: stop}, []*autograd.Var{w}, func(step int, g *autograd.Graph) *autograd.Var {
			return g.Mean(g.Mul(w, w), 0, false)
		}, nil)
		if err != nil {
			t.Fatal(err)
		}
		return st
	}
	full, part := run(0), run(4)
	if len(full.Losses) != 10 || len(part.Losses) != 4 || !slices.Equal(part.Losses, full.Losses[:4]) {
		t.Errorf("full %v, stopped %v", full.Losses, part.Losses)
	}
}
