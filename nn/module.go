// Package nn holds the building blocks of a trainable model on top of
// package autograd: modules with hierarchical parameter names
// ("h.0.attn.c_attn.weight") and a state dict, initialisers, the SGD, Adam and
// AdamW optimizers with parameter groups, learning-rate schedules, clipping by
// global norm and a parameter table printer. Checkpoints on disk live in the
// sub-package nn/safetensors.
//
// A module's parameters are *autograd.Var leaves made with autograd.Param;
// each carries its full name, given when the module is built: a parent
// passes its own prefix to its children (Join("h.0", "attn")), so the names
// are fixed at construction and Parameters only lists them, in a
// deterministic order (the order the module declares them).
package nn

import (
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"sort"
	"strconv"
	"strings"

	"transformers/autograd"
	"transformers/tensor"
)

// Module is anything with trainable parameters. Parameters returns them in a
// fixed order, each named with its full hierarchical name.
type Module interface {
	Parameters() []*autograd.Var
}

// Join builds a hierarchical name: Join("h.0", "attn") = "h.0.attn", and an
// empty prefix adds nothing: Join("", "wte") = "wte".
func Join(prefix, name string) string {
	if prefix == "" {
		return name
	}
	if name == "" {
		return prefix
	}
	return prefix + "." + name
}

// Collect concatenates the parameters of modules, in order.
func Collect(modules ...Module) []*autograd.Var {
	var out []*autograd.Var
	for _, m := range modules {
		out = append(out, m.Parameters()...)
	}
	return out
}

// NumParams returns the total number of scalar parameters.
func NumParams(params []*autograd.Var) int {
	n := 0
	for _, p := range params {
		n += p.Value.Numel()
	}
	return n
}

// StateDict maps every parameter name of m to its value tensor (shared, not
// copied). It panics if two parameters share a name, since a checkpoint
// could not tell them apart.
func StateDict(m Module) map[string]*tensor.Tensor {
	out := map[string]*tensor.Tensor{}
	for _, p := range m.Parameters() {
		if _, dup := out[p.Name]; dup {
			panic(fmt.Sprintf("nn.StateDict: duplicate parameter name %q", p.Name))
		}
		out[p.Name] = p.Value
	}
	return out
}

// LoadStateDict copies the tensors of sd into m's parameters in place (so
// optimizers holding the parameters stay valid). It changes nothing and
// returns an error listing every missing, unexpected and mismatched key
// unless sd matches m's parameters exactly.
func LoadStateDict(m Module, sd map[string]*tensor.Tensor) error {
	want := StateDict(m)
	if err := checkKeys(want, sd); err != nil {
		return fmt.Errorf("nn.LoadStateDict: %w", err)
	}
	for name, dst := range want {
		copy(dst.Data, sd[name].Data)
	}
	return nil
}

// checkKeys compares a state dict against the expected names and shapes.
func checkKeys(want, got map[string]*tensor.Tensor) error {
	var missing, unexpected, mismatched []string
	for name, w := range want {
		g, ok := got[name]
		switch {
		case !ok:
			missing = append(missing, name)
		case g == nil || len(g.Data) != tensor.Numel(g.Shape):
			mismatched = append(mismatched, fmt.Sprintf("%s (malformed tensor)", name))
		case !tensor.SameShape(g.Shape, w.Shape):
			mismatched = append(mismatched, fmt.Sprintf("%s (have %v, want %v)", name, g.Shape, w.Shape))
		}
	}
	for name := range got {
		if _, ok := want[name]; !ok {
			unexpected = append(unexpected, name)
		}
	}
	if len(missing)+len(unexpected)+len(mismatched) == 0 {
		return nil
	}
	sort.Strings(missing)
	sort.Strings(unexpected)
	sort.Strings(mismatched)
	var parts []string
	if len(missing) > 0 {
		parts = append(parts, "missing keys: "+strings.Join(missing, ", "))
	}
	if len(unexpected) > 0 {
		parts = append(parts, "unexpected keys: "+strings.Join(unexpected, ", "))
	}
	if len(mismatched) > 0 {
		parts = append(parts, "shape mismatch: "+strings.Join(mismatched, ", "))
	}
	return fmt.Errorf("state dict does not match: %s", strings.Join(parts, "; "))
}

// ParamTable writes one aligned line per parameter (name, shape, number of
// elements) and a total, and returns the first write error.
func ParamTable(w io.Writer, params []*autograd.Var) error {
	rows := [][3]string{{"name", "shape", "params"}}
	for _, p := range params {
		rows = append(rows, [3]string{p.Name, fmt.Sprint(p.Value.Shape), groupDigits(p.Value.Numel())})
	}
	rows = append(rows, [3]string{"total", "", groupDigits(NumParams(params))})
	var wid [3]int
	for _, r := range rows {
		for i, c := range r {
			wid[i] = max(wid[i], len([]rune(c)))
		}
	}
	var b strings.Builder
	for _, r := range rows {
		fmt.Fprintf(&b, "%-*s  %-*s  %*s\n", wid[0], r[0], wid[1], r[1], wid[2], r[2])
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// groupDigits formats n with thousands separators: 124439808 → "124,439,808".
func groupDigits(n int) string {
	s := strconv.Itoa(n)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

// Initialisers. GPT-2 draws every weight matrix from N(0, 0.02²), sets
// biases to 0 and norm gains to 1, and draws the output projection of each
// residual branch with the smaller std ResidualStd(nLayers), so the residual
// stream's variance does not grow with depth.

// InitStd is GPT-2's standard deviation for weight matrices.
const InitStd = 0.02

// ResidualStd returns 0.02/√(2·nLayers), the std of the projections that
// write into the residual stream (two per layer: attention and MLP).
func ResidualStd(nLayers int) float64 {
	if nLayers < 1 {
		panic(fmt.Sprintf("nn.ResidualStd: need nLayers ≥ 1, got %d", nLayers))
	}
	return InitStd / math.Sqrt(2*float64(nLayers))
}

// InitNormal fills t with independent draws from N(0, std²) taken from rng.
func InitNormal(t *tensor.Tensor, std float64, rng *rand.Rand) {
	for i := range t.Data {
		t.Data[i] = float32(rng.NormFloat64() * std)
	}
}

// InitZeros sets every element of t to 0.
func InitZeros(t *tensor.Tensor) { clear(t.Data) }

// InitOnes sets every element of t to 1.
func InitOnes(t *tensor.Tensor) {
	for i := range t.Data {
		t.Data[i] = 1
	}
}

// Normal returns a new tensor of the given shape drawn from N(0, std²).
func Normal(rng *rand.Rand, std float64, shape ...int) *tensor.Tensor {
	t := tensor.Zeros(shape...)
	InitNormal(t, std, rng)
	return t
}
