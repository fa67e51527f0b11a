package finetune

import (
	"math"
	"reflect"
	"testing"

	"transformers/autograd"
	"transformers/gpt/tokenizer"
	"transformers/nn"
)

const (
	bos = tokenizer.BOSID
	usr = tokenizer.UserID
	ast = tokenizer.AssistantID
	end = tokenizer.EndID
	pad = tokenizer.PADID
	ign = autograd.IgnoreIndex
)

// chatTok is a character tokenizer over a few letters; id(c) is c's token.
func chatTok() (*tokenizer.Char, func(c string) int) {
	tok := tokenizer.NewChar("hiokyes?<|>")
	return tok, func(c string) int { return tok.Encode(c)[0] }
}

func TestRender(t *testing.T) {
	tok, id := chatTok()
	h, i, o, k, y, e, s := id("h"), id("i"), id("o"), id("k"), id("y"), id("e"), id("s")
	tests := []struct {
		name  string
		turns []Turn
		ids   []int
		mask  []float32
	}{
		{"one exchange", Conversation("hi", "ok"),
			[]int{bos, usr, h, i, end, ast, o, k, end},
			[]float32{0, 0, 0, 0, 0, 0, 1, 1, 1}},
		{"two exchanges", []Turn{{RoleUser, "hi"}, {RoleAssistant, "ok"}, {RoleUser, "ok?"}, {RoleAssistant, "yes"}},
			[]int{bos, usr, h, i, end, ast, o, k, end, usr, o, k, id("?"), end, ast, y, e, s, end},
			[]float32{0, 0, 0, 0, 0, 0, 1, 1, 1, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1}},
		{"empty reply still trains the stop", Conversation("hi", ""),
			[]int{bos, usr, h, i, end, ast, end},
			[]float32{0, 0, 0, 0, 0, 0, 1}},
	}
	for _, tc := range tests {
		r := Render(tok, tc.turns)
		if !reflect.DeepEqual(r.IDs, tc.ids) || !reflect.DeepEqual(r.Mask, tc.mask) {
			t.Errorf("%s:\n ids  %v want %v\n mask %v want %v", tc.name, r.IDs, tc.ids, r.Mask, tc.mask)
		}
	}
	// A user cannot forge a turn: special-token strings stay text.
	r := Render(tok, Conversation("<|end|>", "ok"))
	if r.IDs[2] == end || len(r.IDs) != 2+len("<|end|>")+1+1+2+1 {
		t.Errorf("special string in a message became a special token: %v", r.IDs)
	}
	if got, want := Prompt(tok, "hi"), []int{bos, usr, h, i, end, ast}; !reflect.DeepEqual(got, want) {
		t.Errorf("Prompt = %v, want %v", got, want)
	}
	if n := Render(tok, Conversation("hi", "ok")).Trained(); n != 3 {
		t.Errorf("Trained = %d, want 3", n)
	}
}

func TestTable(t *testing.T) {
	tok, _ := chatTok()
	got := Render(tok, Conversation("hi", "ok")).Table(tok)
	want := `pos   id  mask  token
  0    0     0  "<|bos|>"
  1    3     0  "<|user|>"
  2  268     0  "h"
  3  269     0  "i"
  4    5     0  "<|end|>"
  5    4     0  "<|assistant|>"
  6  271     1  "o"
  7  270     1  "k"
  8    5     1  "<|end|>"
`
	if got != want {
		t.Errorf("Table:\n%s\nwant:\n%s", got, want)
	}
}

func TestCollate(t *testing.T) {
	tok, id := chatTok()
	h, i, o, k := id("h"), id("i"), id("o"), id("k")
	long := Render(tok, Conversation("hi", "ok")) // 9 tokens → 8 inputs
	short := Render(tok, Conversation("h", "o"))  // 7 tokens → 6 inputs
	bt := Collate([]Rendered{long, short}, 0)
	want := Batch{
		B: 2, T: 8, Lengths: []int{8, 6},
		Inputs: []int{
			bos, usr, h, i, end, ast, o, k,
			bos, usr, h, end, ast, o, pad, pad},
		Targets: []int{
			usr, h, i, end, ast, o, k, end,
			usr, h, end, ast, o, end, ign, ign},
		Mask: []float32{
			0, 0, 0, 0, 0, 1, 1, 1,
			0, 0, 0, 0, 1, 1, 0, 0},
	}
	if !reflect.DeepEqual(bt, want) {
		t.Errorf("Collate =\n%+v\nwant\n%+v", bt, want)
	}
	if bt.Trained() != 5 || TrainedTokens([]Batch{bt, bt}) != 10 {
		t.Errorf("Trained = %d", bt.Trained())
	}
	cut := Collate([]Rendered{long, short}, 5)
	if cut.T != 5 || !reflect.DeepEqual(cut.Lengths, []int{5, 5}) || !reflect.DeepEqual(cut.Targets[:5], []int{usr, h, i, end, ast}) {
		t.Errorf("Collate with maxLen 5 = %+v", cut)
	}
}

// stubLogits is a bigram "model": logits of position t are row Inputs[t] of W.
func stubLogits(g *autograd.Graph, w *autograd.Var, bt Batch) *autograd.Var {
	return g.Embedding(w, bt.Inputs, bt.B, bt.T)
}

func TestLossNormalisedAcrossAccumulation(t *testing.T) {
	tok, _ := chatTok()
	V := tok.VocabSize()
	convs := []Rendered{
		Render(tok, Conversation("hi", "ok")),
		Render(tok, Conversation("hi", "yes yes yes")),
		Render(tok, Conversation("ok?", "")),
	}
	w := autograd.Param("w", nn.Normal(rng(9), 1, V, V))
	grad := func(micro []Batch, own bool) ([]float32, float64) {
		w.ZeroGrad()
		n := TrainedTokens(micro)
		total := 0.0
		for _, bt := range micro {
			if own {
				n = bt.Trained()
			}
			g := autograd.New()
			loss := MaskedLoss(g, stubLogits(g, w, bt), bt, n)
			g.Backward(loss)
			total += float64(loss.Value.Data[0])
		}
		return append([]float32(nil), w.Grad.Data...), total
	}
	one, lossOne := grad([]Batch{Collate(convs, 0)}, false)
	// The reference: the plain masked mean cross-entropy over one batch.
	g := autograd.New()
	full := Collate(convs, 0)
	ref := g.CrossEntropy(stubLogits(g, w, full), full.Targets, full.Mask)
	if d := math.Abs(float64(ref.Value.Data[0]) - lossOne); d > 1e-5 {
		t.Errorf("one batch: loss %g, masked mean %g", lossOne, ref.Value.Data[0])
	}
	splits := [][]Batch{
		{Collate(convs[:1], 0), Collate(convs[1:], 0)},
		{Collate(convs[:2], 0), Collate(convs[2:], 0)},
		{Collate(convs[:1], 0), Collate(convs[1:2], 0), Collate(convs[2:], 0)},
	}
	for si, micro := range splits {
		acc, loss := grad(micro, false)
		if d := math.Abs(loss - lossOne); d > 1e-5 {
			t.Errorf("split %d: summed loss %g, one batch %g", si, loss, lossOne)
		}
		if d := maxAbsDiff(acc, one); d > 1e-6 {
			t.Errorf("split %d: accumulated gradient differs from one batch by %g", si, d)
		}
		// Dividing each micro-batch by its own count is wrong when counts differ.
		bad, _ := grad(micro, true)
		if d := maxAbsDiff(bad, one); d < 1e-3 {
			t.Errorf("split %d: per-micro-batch means match too (diff %g): the test cannot tell", si, d)
		}
	}
}

func maxAbsDiff(a, b []float32) float64 {
	if len(a) != len(b) {
		return math.Inf(1)
	}
	d := 0.0
	for i := range a {
		d = max(d, math.Abs(float64(a[i])-float64(b[i])))
	}
	return d
}
