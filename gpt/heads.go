package gpt

import (
	"fmt"
	"math/rand/v2"

	"transformers/autograd"
	"transformers/nn"
)

// ScalarHead reads one number per position from hidden states: v = h·wᵀ + b
// (a value head for PPO, a reward head for a reward model, a step scorer).
// Its parameters are "<name>.weight" [1, DModel] and "<name>.bias" [1].
type ScalarHead struct {
	Proj Linear
}

// NewScalarHead returns a head on dModel features with weights from
// N(0, std²) (0 gives a head that starts at exactly 0) and a zero bias.
func NewScalarHead(name string, dModel int, std float64, rng *rand.Rand) *ScalarHead {
	return &ScalarHead{Proj: nn.NewLinear(name, dModel, 1, true, std, rng)}
}

// Forward maps hidden [B, T, DModel] to scores [B, T].
func (s *ScalarHead) Forward(g *autograd.Graph, hidden *autograd.Var) *autograd.Var {
	sh := hidden.Value.Shape
	if len(sh) != 3 {
		panic(fmt.Sprintf("gpt.ScalarHead: want hidden [B, T, C], got %v", sh))
	}
	return g.Reshape(s.Proj.Forward(g, hidden), sh[0], sh[1])
}

// Parameters returns the head's weight and bias.
func (s *ScalarHead) Parameters() []*autograd.Var { return s.Proj.Parameters() }

// AtPositions picks scores[b, pos[b]] from scores [B, T], shape [B]; the
// reward model reads its score at the last real token (pos = length − 1).
func AtPositions(g *autograd.Graph, scores *autograd.Var, pos []int) *autograd.Var {
	sh := scores.Value.Shape
	if len(sh) != 2 || len(pos) != sh[0] {
		panic(fmt.Sprintf("gpt.AtPositions: scores %v with %d positions", sh, len(pos)))
	}
	rows := make([]int, len(pos))
	for b, p := range pos {
		if p < 0 || p >= sh[1] {
			panic(fmt.Sprintf("gpt.AtPositions: position %d outside [0, %d)", p, sh[1]))
		}
		rows[b] = b*sh[1] + p
	}
	flat := g.Reshape(scores, sh[0]*sh[1], 1)
	return g.Reshape(g.IndexSelect(flat, rows), sh[0])
}
