package nn

import (
	"path/filepath"
	"strings"
	"testing"

	"transformers/autograd"
	"transformers/nn/safetensors"
	"transformers/tensor"
)

// tiny is a two-layer stand-in for a GPT: it exercises hierarchical names.
type tiny struct {
	wte *Embedding
	h   []*tinyBlock
	lnF *LayerNorm
}

type tinyBlock struct {
	ln  *LayerNorm
	mlp *MLP
}

func newTiny(seed uint64) *tiny {
	rng := newRand(seed)
	m := &tiny{wte: NewEmbedding("wte", 5, 4, rng), lnF: NewLayerNorm("ln_f", 4)}
	for i := 0; i < 2; i++ {
		name := Join("h", string(rune('0'+i)))
		m.h = append(m.h, &tinyBlock{ln: NewLayerNorm(Join(name, "ln_2"), 4), mlp: NewMLP(Join(name, "mlp"), 4, 8, true, ResidualStd(2), rng)})
	}
	return m
}

func (m *tiny) Parameters() []*autograd.Var {
	ps := m.wte.Parameters()
	for _, b := range m.h {
		ps = append(ps, Collect(b.ln, b.mlp)...)
	}
	return append(ps, m.lnF.Parameters()...)
}

func TestNamesAndOrder(t *testing.T) {
	want := []string{"wte.weight"}
	for _, h := range []string{"h.0", "h.1"} {
		for _, s := range []string{"ln_2.weight", "ln_2.bias", "mlp.c_fc.weight", "mlp.c_fc.bias", "mlp.c_proj.weight", "mlp.c_proj.bias"} {
			want = append(want, h+"."+s)
		}
	}
	want = append(want, "ln_f.weight", "ln_f.bias")
	sameStrings(t, "Parameters", names(newTiny(1).Parameters()), want)
	if got := NumParams(newTiny(1).Parameters()); got != 20+2*(8+32+8+32+4)+8 {
		t.Errorf("NumParams = %d", got)
	}
	for _, tc := range [][3]string{{"", "wte", "wte"}, {"h.0", "attn", "h.0.attn"}, {"h.0", "", "h.0"}} {
		if got := Join(tc[0], tc[1]); got != tc[2] {
			t.Errorf("Join(%q, %q) = %q, want %q", tc[0], tc[1], got, tc[2])
		}
	}
}

// A state dict survives a trip through a safetensors file and restores a
// differently initialised model exactly, in place.
func TestStateDictRoundTrip(t *testing.T) {
	a, b := newTiny(1), newTiny(2)
	path := filepath.Join(t.TempDir(), "tiny.safetensors")
	if err := safetensors.Write(path, StateDict(a), map[string]string{"n_layer": "2"}); err != nil {
		t.Fatal(err)
	}
	sd, _, err := safetensors.Read(path)
	if err != nil {
		t.Fatal(err)
	}
	before := b.wte.Weight.Value
	if err := LoadStateDict(b, sd); err != nil {
		t.Fatal(err)
	}
	if b.wte.Weight.Value != before {
		t.Error("LoadStateDict replaced the tensor instead of copying into it")
	}
	pa, pb := a.Parameters(), b.Parameters()
	for i := range pa {
		for j := range pa[i].Value.Data {
			if pa[i].Value.Data[j] != pb[i].Value.Data[j] {
				t.Fatalf("%s differs after load", pa[i].Name)
			}
		}
	}
}

func TestLoadStateDictErrors(t *testing.T) {
	tests := []struct {
		name  string
		edit  func(sd map[string]*tensor.Tensor)
		wants []string
	}{
		{"missing", func(sd map[string]*tensor.Tensor) { delete(sd, "h.1.mlp.c_fc.bias"); delete(sd, "ln_f.weight") },
			[]string{"missing keys: h.1.mlp.c_fc.bias, ln_f.weight"}},
		{"unexpected", func(sd map[string]*tensor.Tensor) { sd["lm_head.weight"] = tensor.Zeros(5, 4) },
			[]string{"unexpected keys: lm_head.weight"}},
		{"shape", func(sd map[string]*tensor.Tensor) { sd["wte.weight"] = tensor.Zeros(4, 5) },
			[]string{"shape mismatch: wte.weight (have [4 5], want [5 4])"}},
		{"all three", func(sd map[string]*tensor.Tensor) {
			delete(sd, "ln_f.bias")
			sd["extra"] = tensor.Zeros(1)
			sd["ln_f.weight"] = tensor.Zeros(3)
		}, []string{"missing keys: ln_f.bias", "unexpected keys: extra", "shape mismatch: ln_f.weight"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			src, dst := newTiny(1), newTiny(2)
			sd := map[string]*tensor.Tensor{}
			for k, v := range StateDict(src) {
				sd[k] = v.Clone()
			}
			tc.edit(sd)
			keep := dst.wte.Weight.Value.Clone()
			err := LoadStateDict(dst, sd)
			if err == nil {
				t.Fatal("LoadStateDict succeeded")
			}
			for _, w := range tc.wants {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
			if dst.wte.Weight.Value.Data[0] != keep.Data[0] {
				t.Error("a failed load changed the model")
			}
		})
	}
}

func TestStateDictDuplicatePanics(t *testing.T) {
	defer func() {
		if r := recover(); r == nil || !strings.Contains(r.(string), `"w"`) {
			t.Errorf("panic = %v, want one naming \"w\"", r)
		}
	}()
	StateDict(moduleFunc(func() []*autograd.Var {
		return []*autograd.Var{autograd.Param("w", tensor.Zeros(1)), autograd.Param("w", tensor.Zeros(2))}
	}))
}

type moduleFunc func() []*autograd.Var

func (f moduleFunc) Parameters() []*autograd.Var { return f() }

func TestParamTable(t *testing.T) {
	var b strings.Builder
	if err := ParamTable(&b, newTiny(1).Parameters()[:3]); err != nil {
		t.Fatal(err)
	}
	want := "" +
		"name             shape  params\n" +
		"wte.weight       [5 4]      20\n" +
		"h.0.ln_2.weight  [4]         4\n" +
		"h.0.ln_2.bias    [4]         4\n" +
		"total                       28\n"
	if b.String() != want {
		t.Errorf("ParamTable =\n%s\nwant\n%s", b.String(), want)
	}
	for n, want := range map[int]string{0: "0", 999: "999", 1000: "1,000", 124439808: "124,439,808"} {
		if got := groupDigits(n); got != want {
			t.Errorf("groupDigits(%d) = %q, want %q", n, got, want)
		}
	}
}
