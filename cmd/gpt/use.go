package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"strconv"
	"strings"

	"transformers/autograd"
	"transformers/gpt"
	"transformers/gpt/modeldir"
	"transformers/gpt/tokenizer"
	"transformers/nn"
)

// metaEOS is the checkpoint metadata key saying whether the training
// documents ended with <|eos|> ("true" or "false").
const metaEOS = modeldir.MetaEOS

// loadModel reads -model with modeldir.Load: a directory written by `gpt
// train`, a .safetensors file, or a Hugging Face GPT-2 directory. The
// tokenizer is nil when absent.
func loadModel(path string) (*gpt.Model, tokenizer.Tokenizer, map[string]string, error) {
	d, err := modeldir.Load(path)
	if err != nil {
		return nil, nil, nil, badf("-model %v", err)
	}
	return d.Model, d.Tokenizer, d.Meta, nil
}

// eosID is the id that ends a document for tk (see modeldir.EOS).
func eosID(tk tokenizer.Tokenizer) int { return modeldir.EOS(tk) }

const sampleSynopsis = `Continues -prompt (or starts a new story) with a model written by "gpt train",
stopping at <|eos|> or after -n tokens. -temperature 0 decodes greedily.`

func cmdSample(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("sample", flag.ContinueOnError)
	model := fs.String("model", "out/gpt", "model `dir`ectory (or .safetensors file, or a Hugging Face GPT-2 directory)")
	prompt := fs.String("prompt", "", "text to continue (empty: a new story)")
	n := fs.Int("n", 300, "tokens to generate at most")
	temp := fs.Float64("temperature", 0.8, "softmax temperature (0: greedy)")
	topK := fs.Int("top-k", 0, "sample among the k most likely tokens (0: all)")
	topP := fs.Float64("top-p", 1, "nucleus sampling mass in (0, 1]")
	seed := fs.Uint64("seed", 1, "sampling seed")
	count := fs.Int("count", 1, "number of samples")
	if err := parse(fs, args, stdout, sampleSynopsis); err != nil {
		return err
	}
	switch {
	case *n <= 0:
		return badf("-n %d: want a positive count", *n)
	case *temp < 0:
		return badf("-temperature %g: want ≥ 0", *temp)
	case *topK < 0:
		return badf("-top-k %d: want ≥ 0", *topK)
	case !(*topP > 0 && *topP <= 1):
		return badf("-top-p %g: want a value in (0, 1]", *topP)
	case *count <= 0:
		return badf("-count %d: want a positive count", *count)
	}
	m, tk, meta, err := loadModel(*model)
	if err != nil {
		return err
	}
	if tk == nil {
		return badf("-model %s: no tokenizer.json beside the model", *model)
	}
	ids := tk.Encode(*prompt)
	eos := eosID(tk)
	if eos >= 0 && (meta[metaEOS] != "false" || len(ids) == 0) {
		// A new document starts after <|eos|> (GPT-2: <|endoftext|>).
		ids = append([]int{eos}, ids...)
	}
	if len(ids) == 0 {
		return badf("-prompt is empty and the tokenizer has no end-of-text token to start from")
	}
	rng := rand.New(rand.NewPCG(*seed, 0))
	for i := range *count {
		if i > 0 {
			fmt.Fprintln(stdout)
		}
		out := m.Generate(ids, gpt.GenerateOptions{
			SampleOptions: gpt.SampleOptions{Temperature: *temp, TopK: *topK, TopP: *topP},
			MaxTokens:     *n, EOS: eos, Rng: rng})
		if len(out) > 0 && eos >= 0 && out[len(out)-1] == eos {
			out = out[:len(out)-1]
		}
		fmt.Fprintf(stdout, "%s%s\n", *prompt, tk.Decode(out))
	}
	return nil
}

const logitsSynopsis = `Prints the model's logits at every position of -tokens (comma-separated ids) or
-prompt (encoded with the model's tokenizer) as JSON:
{"tokens": [...], "logits": [[V numbers], ...]}.`

func cmdLogits(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("logits", flag.ContinueOnError)
	model := fs.String("model", "out/gpt", "model `dir`ectory (or .safetensors file, or a Hugging Face GPT-2 directory)")
	toks := fs.String("tokens", "", "comma-separated token ids, e.g. 1,2,3")
	prompt := fs.String("prompt", "", "text to encode instead of -tokens")
	if err := parse(fs, args, stdout, logitsSynopsis); err != nil {
		return err
	}
	if (*toks == "") == (*prompt == "") {
		return badf("give exactly one of -tokens and -prompt")
	}
	m, tk, _, err := loadModel(*model)
	if err != nil {
		return err
	}
	var ids []int
	if *toks != "" {
		for _, f := range strings.Split(*toks, ",") {
			id, err := strconv.Atoi(strings.TrimSpace(f))
			if err != nil || id < 0 || id >= m.Config.VocabSize {
				return badf("-tokens: %q is not a token id in [0, %d)", f, m.Config.VocabSize)
			}
			ids = append(ids, id)
		}
	} else {
		if tk == nil {
			return badf("-prompt: no tokenizer.json beside the model; use -tokens")
		}
		ids = tk.Encode(*prompt)
	}
	if len(ids) > m.Config.Context {
		return badf("%d tokens exceed the context %d", len(ids), m.Config.Context)
	}
	lg := m.Logits(autograd.NoGrad(), ids, 1, len(ids)).Value
	V := m.Config.VocabSize
	rows := make([][]float32, len(ids))
	for i := range rows {
		rows[i] = lg.Data[i*V : (i+1)*V]
	}
	b, err := json.Marshal(struct {
		Tokens []int       `json:"tokens"`
		Logits [][]float32 `json:"logits"`
	}{ids, rows})
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(stdout, "%s\n", b)
	return err
}

const inspectSynopsis = `Prints a model's config (JSON), its parameter count by component and every
parameter's name and shape.`

func cmdInspect(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("inspect", flag.ContinueOnError)
	model := fs.String("model", "out/gpt", "model `dir`ectory (or .safetensors file, or a Hugging Face GPT-2 directory)")
	if err := parse(fs, args, stdout, inspectSynopsis); err != nil {
		return err
	}
	m, tk, _, err := loadModel(*model)
	if err != nil {
		return err
	}
	cj, _ := gpt.MarshalConfig(m.Config)
	fmt.Fprintf(stdout, "config:\n%s\n", cj)
	if tk != nil {
		fmt.Fprintf(stdout, "tokenizer: %T, %d ids\n", tk, tk.VocabSize())
	}
	fmt.Fprintf(stdout, "\nparameters by component:\n")
	if err := m.ParamCount().WriteTable(stdout); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "\nparameters:\n")
	return nn.ParamTable(stdout, m.Parameters())
}
