package toy

import "math"

// ParamCheck is the finite-difference verdict for one weight tensor.
type ParamCheck struct {
	Name    string
	MaxDiff float64 // max |backward − central difference| over the tensor's elements
	MaxGrad float64 // max |backward| over the tensor, for scale
}

// CheckGradients runs Backward on the loss, then for every single weight w
// computes the central difference (L(w+h) − L(w−h)) / 2h with a fresh forward
// pass each side (PlainLoss, the same model without a graph), and reports the largest disagreement per tensor. It leaves
// the weights as it found them and their Grads holding the backward result.
func (m *Model) CheckGradients(tokens, targets []int, h float64) []ParamCheck {
	all := m.AllValues()
	for _, v := range all {
		v.Grad = 0
	}
	m.Forward(tokens, targets).Loss.Backward()
	var out []ParamCheck
	for _, p := range m.Params() {
		c := ParamCheck{Name: p.Name}
		for _, v := range p.Values {
			old := v.Data
			v.Data = old + h
			lp := m.PlainLoss(tokens, targets)
			v.Data = old - h
			lm := m.PlainLoss(tokens, targets)
			v.Data = old
			num := (lp - lm) / (2 * h)
			c.MaxDiff = math.Max(c.MaxDiff, math.Abs(v.Grad-num))
			c.MaxGrad = math.Max(c.MaxGrad, math.Abs(v.Grad))
		}
		out = append(out, c)
	}
	return out
}
