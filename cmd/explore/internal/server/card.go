package server

import (
	"fmt"

	"transformers/gpt"
	"transformers/gpt/hf"
	"transformers/gpt/modeldir"
	"transformers/gpt/tokenizer"
)

// Card is the model card /api/model serves.
type Card struct {
	Source        string            `json:"source"` // where the weights came from
	Kind          string            `json:"kind"`
	Path          string            `json:"path,omitempty"`
	Config        gpt.Config        `json:"config"`
	Params        Params            `json:"params"`
	Tensors       []TensorInfo      `json:"tensors"`
	Tokenizer     TokenizerInfo     `json:"tokenizer"`
	Meta          map[string]string `json:"meta,omitempty"` // checkpoint metadata besides the config
	Limits        Limits            `json:"limits"`
	DefaultPrompt string            `json:"default_prompt,omitempty"`
	DefaultIDs    []int             `json:"default_ids,omitempty"` // when there is no tokenizer
	Training      bool              `json:"training"`              // a training run is in progress
}

// Params is gpt.ParamCounts with JSON names.
type Params struct {
	Embeddings int `json:"embeddings"`
	Attention  int `json:"attention"`
	MLP        int `json:"mlp"`
	Norms      int `json:"norms"`
	Head       int `json:"head"`
	Total      int `json:"total"`
}

// TensorInfo is one parameter tensor.
type TensorInfo struct {
	Name      string `json:"name"`
	Shape     []int  `json:"shape"`
	Component string `json:"component"`
}

// TokenizerInfo describes the tokenizer.
type TokenizerInfo struct {
	Type          string `json:"type"`
	VocabSize     int    `json:"vocab_size"`
	EOS           int    `json:"eos"`             // −1: none
	StartsWithEOS bool   `json:"starts_with_eos"` // text prompts begin after EOS
}

// Limits are the bounds the API enforces.
type Limits struct {
	MaxTokens   int   `json:"max_tokens"`
	MaxGenerate int   `json:"max_generate"`
	MaxUpload   int64 `json:"max_upload"`
	MaxSteps    int   `json:"max_steps"`
}

func (s *Server) card(m *Model) Card {
	pc := m.Model.ParamCount()
	c := Card{
		Source: m.Source, Kind: m.Kind, Path: m.Path, Config: m.Model.Config,
		Params: Params{pc.Embeddings, pc.Attention, pc.MLP, pc.Norms, pc.Head, pc.Total},
		Limits: Limits{MaxTokens: s.limit(m), MaxGenerate: maxGenerate, MaxUpload: s.opt.MaxUpload, MaxSteps: MaxTrainSteps},
	}
	for _, p := range m.Model.Parameters() {
		c.Tensors = append(c.Tensors, TensorInfo{p.Name, p.Value.Shape, gpt.Component(p.Name)})
	}
	for k, v := range m.Meta {
		if k == gpt.MetaConfig {
			continue
		}
		if c.Meta == nil {
			c.Meta = map[string]string{}
		}
		c.Meta[k] = v
	}
	c.Tokenizer = TokenizerInfo{Type: "none", EOS: -1}
	if tk := m.Tokenizer; tk != nil {
		c.Tokenizer = TokenizerInfo{Type: tokenizerType(tk), VocabSize: tk.VocabSize(), EOS: modeldir.EOS(tk), StartsWithEOS: m.StartsWithEOS()}
		c.DefaultPrompt = DefaultPrompt
	} else {
		for i := range min(8, c.Limits.MaxTokens) {
			c.DefaultIDs = append(c.DefaultIDs, i%m.Model.Config.VocabSize)
		}
	}
	s.mu.Lock()
	c.Training = s.run != nil && !s.run.finished()
	s.mu.Unlock()
	return c
}

func tokenizerType(tk tokenizer.Tokenizer) string {
	switch tk.(type) {
	case *tokenizer.BPE:
		return "byte-level BPE"
	case *tokenizer.Char:
		return "character"
	case *hf.Tokenizer:
		return "GPT-2 byte-level BPE"
	}
	return fmt.Sprintf("%T", tk)
}
