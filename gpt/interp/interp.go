// Package interp takes a trained gpt.Model apart: the logit lens (what each
// layer's residual stream would predict if the model stopped there),
// attention maps drawn as pictures, and the induction-head scores of Olsson
// et al. — every head's prefix-matching and previous-token attention, and the
// loss on the repeated part of a sequence against its first occurrence.
package interp

import (
	"fmt"
	"math"
	"sort"

	"transformers/autograd"
	"transformers/gpt"
	"transformers/nn/plot"
	"transformers/tensor"
)

// Lens is the logit lens of one sequence: Probs[l] is softmax(Unembed(ln_f(r_l)))
// for the residual stream r_l entering block l (l = Layers is the model's
// output), laid out [T][V].
type Lens struct {
	Probs [][][]float64
	IDs   []int
}

// LogitLens runs m on one sequence ids and reads every residual stream
// through the final norm and the unembedding. Layer 0 is the embeddings
// alone; the last layer equals the model's own output distribution.
func LogitLens(m *gpt.Model, ids []int) *Lens {
	g := autograd.NoGrad()
	out := m.Forward(g, ids, 1, len(ids), gpt.ForwardOptions{CaptureResiduals: true})
	lens := &Lens{IDs: ids}
	for _, r := range out.Residuals {
		p := tensor.Softmax(m.LogitLens(g, r).Value, -1)
		lens.Probs = append(lens.Probs, rows(p.Data, len(ids), m.Config.VocabSize))
	}
	return lens
}

// Ranked is one token of a ranking: its id and probability.
type Ranked struct {
	ID int
	P  float64
}

// LensTop is the logit lens reduced to its top k tokens: out[l][t] are the k
// most probable ids (ties to the lower id) of LogitLens(m, ids).Probs[l][t],
// with their probabilities. It keeps only k numbers per layer and position,
// so it suits large vocabularies, where LogitLens's [Layers+1][T][V] would not.
func LensTop(m *gpt.Model, ids []int, k int) [][][]Ranked {
	g := autograd.NoGrad()
	out := m.Forward(g, ids, 1, len(ids), gpt.ForwardOptions{CaptureResiduals: true, SkipLogits: true})
	V := m.Config.VocabSize
	tops := make([][][]Ranked, len(out.Residuals))
	for l, r := range out.Residuals {
		p := tensor.Softmax(m.LogitLens(g, r).Value, -1)
		tops[l] = make([][]Ranked, len(ids))
		for t := range ids {
			tops[l][t] = topK(p.Data[t*V:(t+1)*V], k)
		}
		g.Reset()
	}
	return tops
}

// topK returns the k largest entries of p, largest first, ties to the lower
// index: the first k of a stable sort by descending p, as Top.
func topK(p []float32, k int) []Ranked {
	best := make([]Ranked, 0, k+1)
	for i, v := range p {
		x := float64(v)
		if len(best) == k && x <= best[k-1].P {
			continue
		}
		j := len(best)
		for j > 0 && best[j-1].P < x {
			j--
		}
		best = append(best, Ranked{})
		copy(best[j+1:], best[j:])
		best[j] = Ranked{i, x}
		if len(best) > k {
			best = best[:k]
		}
	}
	return best
}

// rows cuts flat float32 data into n rows of width c as float64.
func rows(data []float32, n, c int) [][]float64 {
	out := make([][]float64, n)
	for i := range out {
		out[i] = make([]float64, c)
		for j := range out[i] {
			out[i][j] = float64(data[i*c+j])
		}
	}
	return out
}

// Top returns the k most probable token ids of p (ties to the lower id).
func Top(p []float64, k int) []int {
	idx := make([]int, len(p))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return p[idx[a]] > p[idx[b]] })
	return idx[:min(k, len(idx))]
}

// TargetProbs returns P_l(next token) for every layer l and position t whose
// next token is known: [Layers+1][T−1], entry (l, t) = Probs[l][t][ids[t+1]].
func (l *Lens) TargetProbs() [][]float64 {
	out := make([][]float64, len(l.Probs))
	for i, p := range l.Probs {
		out[i] = make([]float64, len(l.IDs)-1)
		for t := range out[i] {
			out[i][t] = p[t][l.IDs[t+1]]
		}
	}
	return out
}

// Attention runs m on one sequence and returns every layer's attention
// probabilities as [layer][head][query][key].
func Attention(m *gpt.Model, ids []int) [][][][]float64 {
	out := m.Forward(autograd.NoGrad(), ids, 1, len(ids), gpt.ForwardOptions{CaptureAttention: true})
	T := len(ids)
	maps := make([][][][]float64, len(out.Attention))
	for l, a := range out.Attention {
		H := a.Shape[1]
		maps[l] = make([][][]float64, H)
		for h := range H {
			maps[l][h] = rows(a.Data[h*T*T:(h+1)*T*T], T, T)
		}
	}
	return maps
}

// AttentionPicture draws maps [layer][head][query][key] as a grid of heat
// maps, one panel per layer and head (rows are layers), labelled with
// labels (one per position, may be nil).
func AttentionPicture(title string, maps [][][][]float64, labels []string) *plot.Grid {
	grid := &plot.Grid{Title: title}
	for l, heads := range maps {
		grid.Cols = len(heads)
		for h, a := range heads {
			grid.Add(&plot.Heatmap{
				Title: fmt.Sprintf("layer %d head %d", l, h), Values: a,
				RowLabels: labels, ColLabels: labels, CellSize: 12,
				Scale: plot.SequentialScale, Min: 0, Max: 1, NoColorBar: true,
			})
		}
	}
	return grid
}

// PrefixMatching is the induction score of one head on one sequence: for
// every query i whose token occurred before, the attention it pays to the
// positions j ≤ i that followed an earlier copy of its token
// (ids[j−1] = ids[i]), averaged over those queries. An induction
// head scores near 1; a head that ignores content scores about the share of
// such positions. a is [T][T] (query, key). ok is false when no query has
// an earlier copy of its token.
func PrefixMatching(a [][]float64, ids []int) (score float64, ok bool) {
	n := 0
	for i := range ids {
		s, found := 0.0, false
		for j := 1; j <= i; j++ {
			if ids[j-1] == ids[i] {
				s += a[i][j]
				found = true
			}
		}
		if found {
			score += s
			n++
		}
	}
	if n == 0 {
		return 0, false
	}
	return score / float64(n), true
}

// PreviousToken is the mean attention each query i ≥ 1 pays to position
// i−1, the signature of a previous-token head. a is [T][T].
func PreviousToken(a [][]float64) float64 {
	s := 0.0
	for i := 1; i < len(a); i++ {
		s += a[i][i-1]
	}
	return s / float64(len(a)-1)
}

// HeadScore is one head's induction-circuit scores averaged over sequences.
type HeadScore struct {
	Layer, Head   int
	PrefixMatch   float64 // mean PrefixMatching
	PreviousToken float64 // mean PreviousToken
}

// Name returns "L.H", the head's layer and index.
func (h HeadScore) Name() string { return fmt.Sprintf("%d.%d", h.Layer, h.Head) }

// ScoreHeads averages every head's PrefixMatching and PreviousToken scores
// over the given sequences (each at most the model's context long).
func ScoreHeads(m *gpt.Model, seqs [][]int) []HeadScore {
	L, H := m.Config.Layers, m.Config.Heads
	scores := make([]HeadScore, L*H)
	counts := make([]int, L*H)
	for _, ids := range seqs {
		maps := Attention(m, ids)
		for l := range L {
			for h := range H {
				k := l*H + h
				if s, ok := PrefixMatching(maps[l][h], ids); ok {
					scores[k].PrefixMatch += s
					counts[k]++
				}
				scores[k].PreviousToken += PreviousToken(maps[l][h])
			}
		}
	}
	for l := range L {
		for h := range H {
			k := l*H + h
			scores[k].Layer, scores[k].Head = l, h
			if counts[k] > 0 {
				scores[k].PrefixMatch /= float64(counts[k])
			}
			scores[k].PreviousToken /= float64(len(seqs))
		}
	}
	return scores
}

// Best returns the head with the highest score under key.
func Best(scores []HeadScore, key func(HeadScore) float64) HeadScore {
	best := scores[0]
	for _, s := range scores[1:] {
		if key(s) > key(best) {
			best = s
		}
	}
	return best
}

// PositionLoss returns the model's mean next-token cross-entropy at every
// position over the sequences (all of length T): out[t] = mean over
// sequences of −log p(ids[t+1] | ids[≤t]), length T−1.
func PositionLoss(m *gpt.Model, seqs [][]int) []float64 {
	T := len(seqs[0])
	out := make([]float64, T-1)
	g := autograd.NoGrad()
	for _, ids := range seqs {
		lp := tensor.LogSoftmax(m.Logits(g, ids, 1, T).Value, -1)
		V := m.Config.VocabSize
		for t := 0; t+1 < T; t++ {
			out[t] -= float64(lp.Data[t*V+ids[t+1]])
		}
	}
	for t := range out {
		out[t] /= float64(len(seqs))
	}
	return out
}

// Entropy returns −Σ p ln p in nats.
func Entropy(p []float64) float64 {
	h := 0.0
	for _, x := range p {
		if x > 0 {
			h -= x * math.Log(x)
		}
	}
	return h
}
