package interp

import (
	"math"
	"math/rand/v2"
	"testing"

	"transformers/autograd"
	"transformers/gpt"
	"transformers/tensor"
)

// pattern returns a T×T attention map where query i puts all its weight on
// key f(i) (clamped to [0, i]).
func pattern(T int, f func(i int) int) [][]float64 {
	a := make([][]float64, T)
	for i := range a {
		a[i] = make([]float64, T)
		a[i][min(max(f(i), 0), i)] = 1
	}
	return a
}

func TestPrefixMatchingHandBuilt(t *testing.T) {
	ids := []int{0, 1, 2, 0, 1, 2, 0, 1}
	uniform := make([][]float64, len(ids))
	for i := range uniform {
		uniform[i] = make([]float64, len(ids))
		for j := 0; j <= i; j++ {
			uniform[i][j] = 1 / float64(i+1)
		}
	}
	// Uniform attention: query i (i ≥ 3) has ⌊i/3⌋ matching keys among i+1.
	want := 0.0
	for i := 3; i < 8; i++ {
		want += float64(i/3) / float64(i+1)
	}
	want /= 5
	for _, c := range []struct {
		name       string
		a          [][]float64
		prefix, pt float64
	}{
		{"induction (i−2)", pattern(8, func(i int) int { return i - 2 }), 1, 0}, // PreviousToken checked below
		{"previous token", pattern(8, func(i int) int { return i - 1 }), 0, 1},
		{"self", pattern(8, func(i int) int { return i }), 0, 0},
		{"uniform", uniform, want, 0},
	} {
		got, ok := PrefixMatching(c.a, ids)
		if !ok || math.Abs(got-c.prefix) > 1e-12 {
			t.Errorf("%s: PrefixMatching = %v, %v; want %v", c.name, got, ok, c.prefix)
		}
		if c.name == "previous token" || c.name == "self" {
			if pt := PreviousToken(c.a); math.Abs(pt-c.pt) > 1e-12 {
				t.Errorf("%s: PreviousToken = %v, want %v", c.name, pt, c.pt)
			}
		}
	}
	// Query 1 of the induction map clamps to key 0: only that row attends to its predecessor.
	if pt := PreviousToken(pattern(8, func(i int) int { return i - 2 })); math.Abs(pt-1.0/7) > 1e-12 {
		t.Errorf("induction map: PreviousToken = %v, want 1/7", pt)
	}
	if _, ok := PrefixMatching(pattern(4, func(i int) int { return i }), []int{0, 1, 2, 3}); ok {
		t.Error("no repeated token, but PrefixMatching reported a score")
	}
}

func tinyModel(positions string) *gpt.Model {
	c := gpt.DefaultConfig(8)
	c.Context, c.DModel, c.DFF, c.Heads, c.Layers, c.Positions = 16, 16, 32, 2, 2, positions
	return gpt.New(c, rand.New(rand.NewPCG(1, 2)))
}

func TestLogitLensLastLayerIsTheModel(t *testing.T) {
	for _, pos := range []string{gpt.PosLearned, gpt.PosRoPE} {
		m := tinyModel(pos)
		ids := []int{1, 2, 3, 1, 2, 3, 4, 5}
		lens := LogitLens(m, ids)
		if len(lens.Probs) != m.Config.Layers+1 {
			t.Fatalf("%s: %d lens layers, want %d", pos, len(lens.Probs), m.Config.Layers+1)
		}
		p := tensor.Softmax(m.Logits(autograd.NoGrad(), ids, 1, len(ids)).Value, -1)
		last := lens.Probs[len(lens.Probs)-1]
		for tt := range ids {
			for v := range 8 {
				if d := math.Abs(last[tt][v] - float64(p.Data[tt*8+v])); d > 1e-6 {
					t.Fatalf("%s: lens at the last layer differs from the model at (%d, %d) by %g", pos, tt, v, d)
				}
			}
		}
		tp := lens.TargetProbs()
		if len(tp) != 3 || len(tp[0]) != len(ids)-1 || tp[2][0] != last[0][ids[1]] {
			t.Errorf("%s: TargetProbs has the wrong layout", pos)
		}
	}
}

func TestAttentionAndScores(t *testing.T) {
	m := tinyModel(gpt.PosLearned)
	ids := []int{1, 2, 3, 1, 2, 3, 1, 2}
	maps := Attention(m, ids)
	if len(maps) != 2 || len(maps[0]) != 2 || len(maps[0][0]) != 8 {
		t.Fatalf("Attention layout %d×%d×%d", len(maps), len(maps[0]), len(maps[0][0]))
	}
	for i, row := range maps[1][1] {
		s := 0.0
		for j, a := range row {
			if j > i && a != 0 {
				t.Fatalf("query %d attends to future key %d", i, j)
			}
			s += a
		}
		if math.Abs(s-1) > 1e-5 {
			t.Fatalf("row %d sums to %v", i, s)
		}
	}
	scores := ScoreHeads(m, [][]int{ids, {3, 2, 1, 3, 2, 1, 3, 2}})
	if len(scores) != 4 || scores[3].Name() != "1.1" {
		t.Fatalf("ScoreHeads: %+v", scores)
	}
	for _, s := range scores {
		if s.PrefixMatch <= 0 || s.PrefixMatch >= 1 || s.PreviousToken <= 0 || s.PreviousToken >= 1 {
			t.Errorf("head %s: scores %v, %v outside (0, 1) for an untrained model", s.Name(), s.PrefixMatch, s.PreviousToken)
		}
	}
	best := Best(scores, func(h HeadScore) float64 { return h.PreviousToken })
	for _, s := range scores {
		if s.PreviousToken > best.PreviousToken {
			t.Errorf("Best missed head %s", s.Name())
		}
	}
	if got := AttentionPicture("t", maps, nil).Image().Bounds().Dx(); got < 50 {
		t.Errorf("attention picture only %d px wide", got)
	}
}

func TestRepeatsAndLoss(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	seqs, periods := Repeats(rng, 50, 24, 8, 3, 5)
	seen := map[int]bool{}
	for k, s := range seqs {
		p := periods[k]
		seen[p] = true
		if p < 3 || p > 5 || len(s) != 24 {
			t.Fatalf("sequence %d: period %d, length %d", k, p, len(s))
		}
		for i := p; i < len(s); i++ {
			if s[i] != s[i-p] {
				t.Fatalf("sequence %d is not periodic with period %d: %v", k, p, s)
			}
		}
	}
	if len(seen) != 3 {
		t.Errorf("periods drawn: %v, want 3, 4 and 5", seen)
	}
	ids, targets := Targets(seqs[:2])
	if len(ids) != 48 || targets[0] != seqs[0][1] || targets[23] != autograd.IgnoreIndex || targets[24] != seqs[1][1] {
		t.Errorf("Targets layout wrong: %v", targets[:26])
	}
	m := tinyModel(gpt.PosLearned)
	m.Config.Context = 16
	short := make([][]int, len(seqs))
	for k := range seqs {
		short[k] = seqs[k][:16]
	}
	r := MeasureRepeatLoss(m, short, periods)
	for _, l := range []float64{r.First, r.Restart, r.Repeats} {
		if math.Abs(l-math.Log(8)) > 0.3 {
			t.Errorf("untrained loss %v far from ln 8 (%+v)", l, r)
		}
	}
	pl := PositionLoss(m, short)
	if len(pl) != 15 || math.Abs(pl[0]-math.Log(8)) > 0.5 {
		t.Errorf("PositionLoss = %v", pl)
	}
}

func TestTopAndEntropy(t *testing.T) {
	if got := Top([]float64{0.1, 0.5, 0.1, 0.3}, 3); got[0] != 1 || got[1] != 3 || got[2] != 0 {
		t.Errorf("Top = %v, want [1 3 0]", got)
	}
	if h := Entropy([]float64{0.25, 0.25, 0.25, 0.25}); math.Abs(h-math.Log(4)) > 1e-12 {
		t.Errorf("Entropy(uniform 4) = %v", h)
	}
}

func TestAblateHead(t *testing.T) {
	m := tinyModel(gpt.PosLearned)
	ids := []int{1, 2, 3, 1, 2, 3, 1, 2}
	before := append([]float32(nil), m.Logits(autograd.NoGrad(), ids, 1, len(ids)).Value.Data...)
	a := AblateHead(m, 1, 0)
	w := a.Blocks[1].Attn.CProj.Parameters()[0].Value
	D, C := m.Config.HeadDim(), m.Config.DModel
	for r := range C {
		for j := range C {
			zero := w.Data[r*C+j] == 0
			if j < D && !zero || j >= D && zero {
				t.Fatalf("c_proj[%d][%d] = %v after ablating head 0 (D = %d)", r, j, w.Data[r*C+j], D)
			}
		}
	}
	after := m.Logits(autograd.NoGrad(), ids, 1, len(ids)).Value.Data
	for i := range before {
		if before[i] != after[i] {
			t.Fatal("AblateHead changed the original model")
		}
	}
	ab := a.Logits(autograd.NoGrad(), ids, 1, len(ids)).Value.Data
	same := true
	for i := range ab {
		same = same && ab[i] == before[i]
	}
	if same {
		t.Error("ablating a head left the logits unchanged")
	}
}

// TestLensTop: LensTop's tokens and probabilities are Top of LogitLens.
func TestLensTop(t *testing.T) {
	for _, k := range []int{1, 3, 8, 20} {
		m := tinyModel(gpt.PosLearned)
		ids := []int{1, 2, 3, 1, 2, 3, 4, 5}
		lens := LogitLens(m, ids)
		tops := LensTop(m, ids, k)
		if len(tops) != len(lens.Probs) {
			t.Fatalf("k=%d: %d layers, want %d", k, len(tops), len(lens.Probs))
		}
		for l := range tops {
			for pos := range ids {
				want := Top(lens.Probs[l][pos], k)
				got := tops[l][pos]
				if len(got) != len(want) {
					t.Fatalf("k=%d layer %d pos %d: %d tokens, want %d", k, l, pos, len(got), len(want))
				}
				for i := range want {
					if got[i].ID != want[i] || got[i].P != lens.Probs[l][pos][want[i]] {
						t.Errorf("k=%d layer %d pos %d rank %d: %+v, want id %d p %g", k, l, pos, i, got[i], want[i], lens.Probs[l][pos][want[i]])
					}
				}
			}
		}
	}
	// Ties go to the lower id, as Top.
	if got := topK([]float32{0.25, 0.5, 0.25, 0.5}, 3); got[0].ID != 1 || got[1].ID != 3 || got[2].ID != 0 {
		t.Errorf("topK with ties = %+v, want ids 1, 3, 0", got)
	}
}
