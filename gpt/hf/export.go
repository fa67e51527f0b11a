package hf

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"transformers/gpt"
	"transformers/nn/safetensors"
	"transformers/tensor"
)

// ToHF converts m's parameters to a Hugging Face GPT-2 state dict (names
// without the "transformer." prefix): every linear weight (out, in) is
// transposed to Conv1D's [in, out], and a model without biases on its
// linear maps (Config.Bias false) gets zero biases, which compute the same
// function. It refuses a config Supported rejects and a model whose
// parameters are not exactly GPT-2's (merge LoRA wrappers first). Tensors
// that need no transposition are shared with m, not copied.
func ToHF(m *gpt.Model) (map[string]*tensor.Tensor, error) {
	if err := Supported(m.Config); err != nil {
		return nil, err
	}
	sd := m.StateDict()
	out := make(map[string]*tensor.Tensor, len(sd))
	for _, w := range layout(m.Config) {
		t, ok := sd[w.name]
		if !ok {
			if !m.Config.Bias && strings.HasSuffix(w.name, ".bias") && !strings.Contains(w.name, ".ln_") && !strings.HasPrefix(w.name, "ln_") {
				out[w.name] = tensor.Zeros(w.shape...)
				continue
			}
			return nil, fmt.Errorf("hf: the model has no parameter %q (wrapped or renamed linear maps must be merged first)", w.name)
		}
		if w.conv {
			t = transpose(t)
		}
		if !slices.Equal(t.Shape, w.shape) {
			return nil, fmt.Errorf("hf: parameter %q has shape %v, GPT-2 needs %v", w.name, t.Shape, w.shape)
		}
		out[w.name] = t
		delete(sd, w.name)
	}
	for k := range sd {
		return nil, fmt.Errorf("hf: parameter %q has no place in a GPT-2 checkpoint (merge wrappers such as LoRA first)", k)
	}
	return out, nil
}

// Save writes m to dir (created if needed) as a Hugging Face GPT-2
// checkpoint: config.json and model.safetensors with tensors of the given
// dtype (F32, F16 or BF16) under save_pretrained's key names
// ("transformer.h.0.attn.c_attn.weight", …, and lm_head.weight when the
// head is not tied) and the metadata {"format": "pt"} that transformers
// checks. GPT2LMHeadModel.from_pretrained(dir) then loads it.
func Save(m *gpt.Model, dir string, dtype safetensors.DType) error {
	sd, err := ToHF(m)
	if err != nil {
		return err
	}
	c, err := FromGPT(m.Config)
	if err != nil {
		return err
	}
	c.TorchDType = map[safetensors.DType]string{safetensors.F16: "float16", safetensors.BF16: "bfloat16"}[dtype]
	if c.TorchDType == "" {
		c.TorchDType = "float32"
	}
	keyed := make(map[string]*tensor.Tensor, len(sd))
	for k, t := range sd {
		if k != "lm_head.weight" {
			k = "transformer." + k
		}
		keyed[k] = t
	}
	cj, err := json.MarshalIndent(c, "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("hf: %w", err)
	}
	if err := safetensors.WriteAs(filepath.Join(dir, WeightsFile), keyed, map[string]string{"format": "pt"}, dtype); err != nil {
		return fmt.Errorf("hf: %w", err)
	}
	return writeAtomic(filepath.Join(dir, ConfigFile), append(cj, '\n'))
}

// writeAtomic writes b to a temporary file beside path and renames it over
// path, so a reader never sees half a file.
func writeAtomic(path string, b []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), ".tmp-"+filepath.Base(path)+"-*")
	if err != nil {
		return fmt.Errorf("hf: %w", err)
	}
	tmp := f.Name()
	_, werr := f.Write(b)
	cerr := f.Close()
	if werr == nil {
		werr = cerr
	}
	if werr == nil {
		werr = os.Rename(tmp, path)
	}
	if werr != nil {
		os.Remove(tmp)
		return fmt.Errorf("hf: %s: %w", path, werr)
	}
	return nil
}
