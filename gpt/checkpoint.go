package gpt

import (
	"fmt"
	"math/rand/v2"

	"transformers/nn/safetensors"
)

// MetaConfig is the key under which a checkpoint's __metadata__ holds the
// model's Config as JSON.
const MetaConfig = "gpt_config"

// Save writes m's parameters to a safetensors file at path (atomically) with
// its Config as JSON under MetaConfig, plus any extra metadata (a tokenizer,
// a training step).
func (m *Model) Save(path string, extra map[string]string) error {
	cj, err := MarshalConfig(m.Config)
	if err != nil {
		return err
	}
	meta := map[string]string{MetaConfig: string(cj)}
	for k, v := range extra {
		meta[k] = v
	}
	return safetensors.Write(path, m.StateDict(), meta)
}

// Load rebuilds a model from a checkpoint written by Save and returns it
// with the file's metadata. Errors name the file.
func Load(path string) (*Model, map[string]string, error) {
	sd, meta, err := safetensors.Read(path)
	if err != nil {
		return nil, nil, err
	}
	cj, ok := meta[MetaConfig]
	if !ok {
		return nil, nil, fmt.Errorf("gpt: %s: no %q in the metadata (not a gpt checkpoint)", path, MetaConfig)
	}
	cfg, err := UnmarshalConfig([]byte(cj))
	if err != nil {
		return nil, nil, fmt.Errorf("gpt: %s: %w", path, err)
	}
	m := New(cfg, rand.New(rand.NewPCG(0, 0)))
	if err := m.LoadStateDict(sd); err != nil {
		return nil, nil, fmt.Errorf("gpt: %s: %w", path, err)
	}
	return m, meta, nil
}
