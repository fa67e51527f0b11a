package hf

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"transformers/autograd"
	"transformers/gpt"
	"transformers/nn/safetensors"
)

const fixtures = "../../testdata/hf"

type refRun struct {
	Tokens []int       `json:"tokens"`
	Logits [][]float64 `json:"logits"`
}

func readRefs(t *testing.T) map[string][]refRun {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(fixtures, "logits.json"))
	if err != nil {
		t.Fatal(err)
	}
	var refs map[string][]refRun
	if err := json.Unmarshal(b, &refs); err != nil {
		t.Fatal(err)
	}
	return refs
}

// maxDiff runs m on ids and returns max |logits − want|.
func maxDiff(t *testing.T, m *gpt.Model, ids []int, want [][]float64) float64 {
	t.Helper()
	lg := m.Logits(autograd.NoGrad(), ids, 1, len(ids)).Value
	V := m.Config.VocabSize
	if len(want) != len(ids) || len(lg.Data) != len(ids)*V {
		t.Fatalf("logits %v for %d tokens, reference has %d rows", lg.Shape, len(ids), len(want))
	}
	worst := 0.0
	for i, row := range want {
		if len(row) != V {
			t.Fatalf("reference row %d has %d logits, model vocabulary %d", i, len(row), V)
		}
		for j, w := range row {
			worst = max(worst, math.Abs(float64(lg.Data[i*V+j])-w))
		}
	}
	return worst
}

// TestLoadMatchesPyTorch loads the checkpoints written by gen_hf.py (F32
// with the transformer. prefix and mask buffers, F16 without either, BF16,
// an untied head) and compares every logit with PyTorch's at 1e-4.
func TestLoadMatchesPyTorch(t *testing.T) {
	refs := readRefs(t)
	tests := []struct {
		dir    string
		layers int
		eps    float64
		dff    int
		tied   bool
	}{
		{"tiny-f32", 2, 1e-5, 128, true},
		{"tiny-f16", 2, 1e-6, 48, true},
		{"tiny-bf16", 3, 1e-5, 96, true},
		{"tiny-untied", 1, 1e-5, 64, false},
		{"tiny-boolmask", 2, 1e-5, 32, true},
	}
	for _, tc := range tests {
		t.Run(tc.dir, func(t *testing.T) {
			m, _, err := Load(filepath.Join(fixtures, tc.dir))
			if err != nil {
				t.Fatal(err)
			}
			c := m.Config
			if c.Layers != tc.layers || c.NormEps != tc.eps || c.DFF != tc.dff || c.Tied != tc.tied {
				t.Errorf("config %+v, want layers %d, eps %g, d_ff %d, tied %v", c, tc.layers, tc.eps, tc.dff, tc.tied)
			}
			runs := refs[tc.dir]
			if len(runs) == 0 {
				t.Fatal("no reference logits")
			}
			for _, r := range runs {
				d := maxDiff(t, m, r.Tokens, r.Logits)
				if d > 1e-4 {
					t.Errorf("tokens %v: max |Δlogit| = %.3g > 1e-4", r.Tokens, d)
				}
				t.Logf("%d tokens: max |Δlogit| = %.3g", len(r.Tokens), d)
			}
		})
	}
}

// TestSaveLoadRoundTrip exports models of our own (no biases, tied and
// untied) and reads them back: every dtype gives the same logits (F32
// exactly; F16/BF16 within their rounding).
func TestSaveLoadRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	base := gpt.Config{VocabSize: 40, Context: 12, Layers: 2, Heads: 2, DModel: 16, DFF: 40,
		Positions: gpt.PosLearned, Norm: gpt.NormLayer, NormEps: 1e-5, FF: gpt.FFGELU, Tied: true, InitStd: 0.2}
	untied := base
	untied.Tied, untied.Bias = false, true
	ids := []int{3, 1, 4, 1, 5, 9, 2, 6, 5, 3}
	for _, tc := range []struct {
		name  string
		cfg   gpt.Config
		dtype safetensors.DType
		tol   float64
	}{
		{"tied-nobias-f32", base, safetensors.F32, 0},
		{"untied-bias-f32", untied, safetensors.F32, 0},
		{"tied-f16", base, safetensors.F16, 0.05},
		{"tied-bf16", base, safetensors.BF16, 0.3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := gpt.New(tc.cfg, rng)
			dir := t.TempDir()
			if err := Save(m, dir, tc.dtype); err != nil {
				t.Fatal(err)
			}
			if !IsCheckpoint(dir) {
				t.Fatal("IsCheckpoint false after Save")
			}
			back, _, err := Load(dir)
			if err != nil {
				t.Fatal(err)
			}
			want := m.Logits(autograd.NoGrad(), ids, 1, len(ids)).Value
			rows := make([][]float64, len(ids))
			for i := range rows {
				for _, v := range want.Data[i*tc.cfg.VocabSize : (i+1)*tc.cfg.VocabSize] {
					rows[i] = append(rows[i], float64(v))
				}
			}
			if d := maxDiff(t, back, ids, rows); d > tc.tol {
				t.Errorf("max |Δlogit| after Save/Load = %.3g, want ≤ %g", d, tc.tol)
			}
		})
	}
}

// TestConfigRefused checks that every unsupported setting is refused with
// an error naming its field.
func TestConfigRefused(t *testing.T) {
	good := `"vocab_size": 10, "n_positions": 8, "n_embd": 8, "n_layer": 1, "n_head": 2, "layer_norm_epsilon": 1e-5`
	for _, tc := range []struct{ json, field string }{
		{`{` + good + `, "activation_function": "gelu"}`, "activation_function"},
		{`{` + good + `, "activation_function": "relu"}`, "activation_function"},
		{`{` + good + `}`, "activation_function"},
		{`{` + good + `, "activation_function": "gelu_new", "model_type": "gpt_neo"}`, "model_type"},
		{`{` + good + `, "activation_function": "gelu_new", "scale_attn_weights": false}`, "scale_attn_weights"},
		{`{` + good + `, "activation_function": "gelu_new", "scale_attn_by_inverse_layer_idx": true}`, "scale_attn_by_inverse_layer_idx"},
		{`{` + good + `, "activation_function": "gelu_new", "add_cross_attention": true}`, "add_cross_attention"},
		{`{"vocab_size": 10, "n_positions": 8, "n_embd": 9, "n_layer": 1, "n_head": 2, "layer_norm_epsilon": 1e-5, "activation_function": "gelu_new"}`, "n_head"},
		{`{"vocab_size": 10, "n_positions": 8, "n_embd": 8, "n_layer": 0, "n_head": 2, "layer_norm_epsilon": 1e-5, "activation_function": "gelu_new"}`, "n_layer"},
		{`{"vocab_size": 10, "n_positions": 8, "n_embd": 8, "n_layer": 1, "n_head": 2, "layer_norm_epsilon": 0, "activation_function": "gelu_new"}`, "layer_norm_epsilon"},
		{`{` + good + `, "activation_function": "gelu_new", "n_inner": -3}`, "n_inner"},
		{`{"vocab_size": "x"}`, "vocab_size"},
	} {
		c, err := ParseConfig([]byte(tc.json))
		if err == nil {
			_, err = c.GPT()
		}
		if err == nil || !strings.Contains(err.Error(), tc.field) {
			t.Errorf("%s: error %v, want one naming %s", tc.json, err, tc.field)
		}
	}
}

// TestExportRefused checks that configs GPT-2 cannot express are refused.
func TestExportRefused(t *testing.T) {
	base := gpt.DefaultConfig(20)
	base.Layers, base.DModel, base.DFF, base.Context = 1, 8, 16, 8
	for _, tc := range []struct {
		field string
		edit  func(c *gpt.Config)
	}{
		{"positions", func(c *gpt.Config) { c.Positions = gpt.PosRoPE }},
		{"positions", func(c *gpt.Config) { c.Positions = gpt.PosALiBi }},
		{"norm", func(c *gpt.Config) { c.Norm = gpt.NormRMS }},
		{"post_ln", func(c *gpt.Config) { c.PostLN = true }},
		{"ff", func(c *gpt.Config) { c.FF = gpt.FFSwiGLU }},
		{"cross_attention", func(c *gpt.Config) { c.CrossAttention = true }},
	} {
		c := base
		tc.edit(&c)
		m := gpt.New(c, rand.New(rand.NewPCG(1, 1)))
		err := Save(m, t.TempDir(), safetensors.F32)
		if err == nil || !strings.Contains(err.Error(), tc.field) {
			t.Errorf("%s: Save error %v, want one naming it", tc.field, err)
		}
	}
}

// TestLoadErrors checks the loader's errors on damaged directories.
func TestLoadErrors(t *testing.T) {
	src := filepath.Join(fixtures, "tiny-f32")
	cj, err := os.ReadFile(filepath.Join(src, ConfigFile))
	if err != nil {
		t.Fatal(err)
	}
	wb, err := os.ReadFile(filepath.Join(src, WeightsFile))
	if err != nil {
		t.Fatal(err)
	}
	var cfg map[string]any
	if err := json.Unmarshal(cj, &cfg); err != nil {
		t.Fatal(err)
	}
	with := func(k string, v any) []byte {
		c := map[string]any{}
		for a, b := range cfg {
			c[a] = b
		}
		c[k] = v
		b, _ := json.Marshal(c)
		return b
	}
	for _, tc := range []struct {
		name    string
		cj, wb  []byte
		wantErr string
	}{
		{"more layers than tensors", with("n_layer", 3), wb, "n_layer 3 needs 40 tensors"},
		{"missing tensor", with("n_positions", 1<<40), wb, `"wpe.weight" has shape`},
		{"wrong width", with("n_embd", 16), wb, "shape"},
		{"fewer layers", with("n_layer", 1), wb, `unexpected tensor "h.1.`},
		{"truncated weights", cj, wb[:len(wb)-4], "model.safetensors"},
		{"not json", []byte("{"), wb, "config.json"},
	} {
		_, _, err := Decode(tc.cj, tc.wb)
		if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
			t.Errorf("%s: error %v, want one containing %q", tc.name, err, tc.wantErr)
		}
	}
	if _, _, err := Load(t.TempDir()); err == nil || !strings.Contains(err.Error(), ConfigFile) {
		t.Errorf("empty directory: error %v, want one naming %s", err, ConfigFile)
	}
}

// FuzzDecode feeds arbitrary config.json and model.safetensors bytes to the
// loader: it must return a model or an error, never panic.
func FuzzDecode(f *testing.F) {
	// Small seeds keep the fuzzer fast: a one-layer model of width 4,
	// tied and untied, with and without biases, in each dtype.
	for i, dt := range []safetensors.DType{safetensors.F32, safetensors.F16, safetensors.BF16} {
		cfg := gpt.Config{VocabSize: 5, Context: 3, Layers: 1, Heads: 2, DModel: 4, DFF: 6,
			Positions: gpt.PosLearned, Norm: gpt.NormLayer, NormEps: 1e-5, FF: gpt.FFGELU,
			Tied: i != 1, Bias: i == 2, InitStd: 0.02}
		m := gpt.New(cfg, rand.New(rand.NewPCG(uint64(i), 0)))
		sd, err := ToHF(m)
		if err != nil {
			f.Fatal(err)
		}
		wb, err := safetensors.Encode(sd, map[string]string{"format": "pt"}, dt)
		if err != nil {
			f.Fatal(err)
		}
		hc, _ := FromGPT(cfg)
		cj, _ := json.Marshal(hc)
		f.Add(cj, wb)
	}
	cj, err1 := os.ReadFile(filepath.Join(fixtures, "tiny-boolmask", ConfigFile))
	wb, err2 := os.ReadFile(filepath.Join(fixtures, "tiny-boolmask", WeightsFile))
	if err1 != nil || err2 != nil {
		f.Fatal(err1, err2)
	}
	f.Add(cj, wb)
	f.Add([]byte(`{"n_embd": 4}`), []byte{8, 0, 0, 0, 0, 0, 0, 0, '{', '}', ' ', ' ', ' ', ' ', ' ', ' '})
	f.Fuzz(func(t *testing.T, cj, wb []byte) {
		m, _, err := Decode(cj, wb)
		if err == nil && m == nil {
			t.Fatal("nil model without an error")
		}
	})
}
