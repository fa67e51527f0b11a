package hf

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"transformers/gpt"
	"transformers/nn/safetensors"
	"transformers/tensor"
)

// The files of a checkpoint directory.
const (
	ConfigFile  = "config.json"
	WeightsFile = "model.safetensors"
	VocabFile   = "vocab.json"
	MergesFile  = "merges.txt"
)

// IsCheckpoint reports whether dir holds a Hugging Face checkpoint: both
// config.json and model.safetensors.
func IsCheckpoint(dir string) bool {
	for _, f := range []string{ConfigFile, WeightsFile} {
		st, err := os.Stat(filepath.Join(dir, f))
		if err != nil || st.IsDir() {
			return false
		}
	}
	return true
}

// Load reads the GPT-2 checkpoint in dir (config.json and model.safetensors,
// tensors in F32, F16 or BF16) and returns it as a gpt.Model with the parsed
// config. Errors name the file at fault.
func Load(dir string) (*gpt.Model, Config, error) {
	cj, err := os.ReadFile(filepath.Join(dir, ConfigFile))
	if err != nil {
		return nil, Config{}, fmt.Errorf("hf: %w", err)
	}
	wb, err := os.ReadFile(filepath.Join(dir, WeightsFile))
	if err != nil {
		return nil, Config{}, fmt.Errorf("hf: %w", err)
	}
	m, c, err := Decode(cj, wb)
	if err != nil {
		return nil, Config{}, fmt.Errorf("hf: %s: %w", dir, err)
	}
	return m, c, nil
}

// Decode builds a model from the bytes of a config.json and a
// model.safetensors. Malformed input of any kind gives an error, never a
// panic, and nothing larger than the tensors the file holds is allocated.
func Decode(configJSON, weights []byte) (*gpt.Model, Config, error) {
	c, err := ParseConfig(configJSON)
	if err != nil {
		return nil, Config{}, err
	}
	gc, err := c.GPT()
	if err != nil {
		return nil, Config{}, err
	}
	raw, _, err := safetensors.Decode(dropMaskBuffers(weights))
	if err != nil {
		return nil, Config{}, fmt.Errorf("%s: %w", WeightsFile, err)
	}
	sd, err := FromHF(gc, raw)
	if err != nil {
		return nil, Config{}, fmt.Errorf("%s: %w", WeightsFile, err)
	}
	return assemble(gc, sd), c, nil
}

// assemble builds the model of config g around the tensors of sd (our
// names and layout, shapes already checked). gpt.New lays out the structure
// at the smallest sizes with the same names, so no full-size random
// initialisation is drawn and thrown away (seconds for GPT-2 small), and
// every parameter then takes its tensor from sd.
func assemble(g gpt.Config, sd map[string]*tensor.Tensor) *gpt.Model {
	small := g
	small.VocabSize, small.Context, small.DModel, small.DFF = 1, 1, g.Heads, 1
	m := gpt.New(small, rand.New(rand.NewPCG(0, 0)))
	m.Config = g
	ps := m.Parameters()
	if len(ps) != len(sd) {
		panic(fmt.Sprintf("hf.assemble: the model has %d parameters, the GPT-2 layout %d", len(ps), len(sd)))
	}
	for _, p := range ps {
		t, ok := sd[p.Name]
		if !ok {
			panic(fmt.Sprintf("hf.assemble: parameter %q is not in the GPT-2 layout", p.Name))
		}
		p.Value = t
	}
	return m
}

// dropMaskBuffers returns a safetensors file b without its causal-mask
// buffers when any of them has an element type other than F32, F16 or BF16
// (transformers once saved them as BOOL or U8, which nn/safetensors does not
// read): their header entries are removed and the remaining tensors' bytes
// packed again. Anything it cannot make sense of is returned unchanged, for
// safetensors.Decode to report.
func dropMaskBuffers(b []byte) []byte {
	if len(b) < 8 {
		return b
	}
	n := binary.LittleEndian.Uint64(b)
	if n > uint64(len(b)-8) {
		return b
	}
	var header map[string]json.RawMessage
	if json.Unmarshal(b[8:8+n], &header) != nil {
		return b
	}
	type entry struct {
		DType       string  `json:"dtype"`
		Shape       []int64 `json:"shape"`
		DataOffsets []int64 `json:"data_offsets"`
	}
	buf := b[8+n:]
	entries := map[string]entry{}
	var ranges [][2]int64
	drop := false
	for name, raw := range header {
		if name == "__metadata__" {
			continue
		}
		var e entry
		if json.Unmarshal(raw, &e) != nil || len(e.DataOffsets) != 2 {
			return b
		}
		lo, hi := e.DataOffsets[0], e.DataOffsets[1]
		if lo < 0 || hi < lo || hi > int64(len(buf)) {
			return b
		}
		ranges = append(ranges, [2]int64{lo, hi})
		known := e.DType == "F32" || e.DType == "F16" || e.DType == "BF16"
		if !known && isMaskBuffer(strings.TrimPrefix(name, "transformer.")) {
			drop = true
			delete(header, name)
			continue
		}
		entries[name] = e
	}
	if !drop {
		return b
	}
	// Repack only a file whose ranges tile its buffer, as Decode demands.
	slices.SortFunc(ranges, func(x, y [2]int64) int { return cmp.Or(cmp.Compare(x[0], y[0]), cmp.Compare(x[1], y[1])) })
	var end int64
	for _, r := range ranges {
		if r[0] != end {
			return b
		}
		end = r[1]
	}
	if end != int64(len(buf)) {
		return b
	}
	names := make([]string, 0, len(entries))
	for k := range entries {
		names = append(names, k)
	}
	slices.SortFunc(names, func(x, y string) int {
		ex, ey := entries[x].DataOffsets, entries[y].DataOffsets
		return cmp.Or(cmp.Compare(ex[0], ey[0]), cmp.Compare(ex[1], ey[1]), cmp.Compare(x, y))
	})
	var data bytes.Buffer
	for _, k := range names {
		e := entries[k]
		lo, hi := e.DataOffsets[0], e.DataOffsets[1]
		off := int64(data.Len())
		data.Write(buf[lo:hi])
		e.DataOffsets = []int64{off, off + hi - lo}
		raw, err := json.Marshal(e)
		if err != nil {
			return b
		}
		header[k] = raw
	}
	hj, err := json.Marshal(header)
	if err != nil {
		return b
	}
	for len(hj)%8 != 0 {
		hj = append(hj, ' ')
	}
	out := binary.LittleEndian.AppendUint64(make([]byte, 0, 8+len(hj)+data.Len()), uint64(len(hj)))
	return append(append(out, hj...), data.Bytes()...)
}

// hfShape is one tensor a GPT-2 checkpoint must hold: its name in our
// model, its shape as Hugging Face stores it, and whether it is a Conv1D
// weight (stored [in, out], transposed on the way in and out).
type hfShape struct {
	name  string
	shape []int
	conv  bool
}

// layout lists the tensors of a GPT-2 with config g in our parameter names.
func layout(g gpt.Config) []hfShape {
	V, P, C, F := g.VocabSize, g.Context, g.DModel, g.DFF
	out := []hfShape{{"wte.weight", []int{V, C}, false}, {"wpe.weight", []int{P, C}, false}}
	for l := range g.Layers {
		p := "h." + strconv.Itoa(l) + "."
		out = append(out,
			hfShape{p + "ln_1.weight", []int{C}, false}, hfShape{p + "ln_1.bias", []int{C}, false},
			hfShape{p + "attn.c_attn.weight", []int{C, 3 * C}, true}, hfShape{p + "attn.c_attn.bias", []int{3 * C}, false},
			hfShape{p + "attn.c_proj.weight", []int{C, C}, true}, hfShape{p + "attn.c_proj.bias", []int{C}, false},
			hfShape{p + "ln_2.weight", []int{C}, false}, hfShape{p + "ln_2.bias", []int{C}, false},
			hfShape{p + "mlp.c_fc.weight", []int{C, F}, true}, hfShape{p + "mlp.c_fc.bias", []int{F}, false},
			hfShape{p + "mlp.c_proj.weight", []int{F, C}, true}, hfShape{p + "mlp.c_proj.bias", []int{C}, false},
		)
	}
	out = append(out, hfShape{"ln_f.weight", []int{C}, false}, hfShape{"ln_f.bias", []int{C}, false})
	if !g.Tied {
		out = append(out, hfShape{"lm_head.weight", []int{V, C}, false})
	}
	return out
}

// isMaskBuffer reports whether name (without "transformer.") is one of the
// causal-mask buffers h.N.attn.bias or h.N.attn.masked_bias, which hold no
// parameters.
func isMaskBuffer(name string) bool {
	rest, ok := strings.CutPrefix(name, "h.")
	if !ok {
		return false
	}
	n, tail, ok := strings.Cut(rest, ".")
	if !ok || n == "" || strings.Trim(n, "0123456789") != "" {
		return false
	}
	return tail == "attn.bias" || tail == "attn.masked_bias"
}

// FromHF converts a Hugging Face GPT-2 state dict to our names and layout
// for the model g: the "transformer." prefix is dropped, the mask buffers
// are skipped, Conv1D weights [in, out] are transposed to (out, in), and a
// tied checkpoint's redundant lm_head.weight is ignored. Every expected
// tensor must be present with its exact shape, and an unknown key is an
// error.
func FromHF(g gpt.Config, sd map[string]*tensor.Tensor) (map[string]*tensor.Tensor, error) {
	in := make(map[string]*tensor.Tensor, len(sd))
	for k, t := range sd {
		name := strings.TrimPrefix(k, "transformer.")
		if isMaskBuffer(name) || (g.Tied && name == "lm_head.weight") {
			continue
		}
		if _, dup := in[name]; dup {
			return nil, fmt.Errorf("tensor %q appears with and without the transformer. prefix", name)
		}
		in[name] = t
	}
	// Each layer needs 12 tensors: a config asking for more layers than the
	// file can hold is refused before the list of names is built.
	if g.Layers > len(in)/12 {
		return nil, fmt.Errorf("n_layer %d needs %d tensors, the file holds %d", g.Layers, 12*g.Layers+4, len(in))
	}
	want := layout(g)
	out := make(map[string]*tensor.Tensor, len(want))
	for _, w := range want {
		t, ok := in[w.name]
		if !ok {
			return nil, fmt.Errorf("missing tensor %q (shape %v)", w.name, w.shape)
		}
		if !slices.Equal(t.Shape, w.shape) {
			return nil, fmt.Errorf("tensor %q has shape %v, the config needs %v", w.name, t.Shape, w.shape)
		}
		if w.conv {
			t = transpose(t)
		}
		out[w.name] = t
		delete(in, w.name)
	}
	if len(in) > 0 {
		extra := make([]string, 0, len(in))
		for k := range in {
			extra = append(extra, k)
		}
		slices.Sort(extra)
		return nil, fmt.Errorf("unexpected tensor %q (not part of a GPT-2 with this config)", extra[0])
	}
	return out, nil
}

// transpose returns the [b, a] transpose of a [a, b] matrix as a new tensor.
func transpose(t *tensor.Tensor) *tensor.Tensor {
	a, b := t.Shape[0], t.Shape[1]
	out := make([]float32, len(t.Data))
	for i := range a {
		row := t.Data[i*b : (i+1)*b]
		for j, v := range row {
			out[j*a+i] = v
		}
	}
	return tensor.New(out, b, a)
}
