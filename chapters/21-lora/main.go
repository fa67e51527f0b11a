// Chapter 21 — LoRA.
//
// Instead of updating every weight W, low-rank adaptation trains a small
// update beside it, W + (α/r)·B·A with A [r, in] and B [out, r], B starting at
// zero so the adapted model starts exactly as the base. The program checks
// that, fine-tunes the same base on the same data once fully and once with
// adapters, and compares accuracy, trainable parameters and time per step;
// then it merges the adapters into the weights, unmerges them, and saves and
// reloads them alone.
//
//	go run ./chapters/21-lora [-rank 4] [-alpha 8] [-lora-lr 2e-3] [-sft-steps 200] [-out out/21-lora]
package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"transformers/autograd"
	"transformers/chapters/internal/part2"
	"transformers/chapters/internal/part3"
	"transformers/chapters/internal/show"
	"transformers/finetune"
	"transformers/gpt"
	"transformers/nn/plot"
)

func main() {
	if err := run(os.Stdout, os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "21-lora:", err)
		os.Exit(2)
	}
}

func run(w io.Writer, args []string) error {
	fs, seed, out := part2.Flags("21-lora")
	c := part3.AddFlags(fs)
	rank := fs.Int("rank", 4, "LoRA rank r")
	alpha := fs.Float64("alpha", 8, "LoRA α (the update is scaled by α/r)")
	loraLR := fs.Float64("lora-lr", 2e-3, "peak learning rate of the adapters")
	fs.SetOutput(w)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := c.Validate(); err != nil {
		return err
	}
	if err := part2.Positive("rank", *rank); err != nil {
		return err
	}
	if *alpha <= 0 || *loraLR <= 0 {
		return fmt.Errorf("-alpha %g and -lora-lr %g must be positive", *alpha, *loraLR)
	}
	part2.Intro(w, "Chapter 21 · LoRA: low-rank adapters", *seed, *out)
	wd := part3.NewWorld(*c, *seed)
	base, err := part3.Base(w, *c, wd, *seed, *out)
	if err != nil {
		return err
	}
	if *rank > c.DModel {
		return fmt.Errorf("-rank %d: must be at most -d-model %d", *rank, c.DModel)
	}
	train := part3.Conversations(wd.Tok, wd.Train)
	probe := finetune.Collate(train[:4], part3.Context-1)

	show.Heading(w, fmt.Sprintf("Adapters of rank %d on every linear map, α = %g (scale α/r = %g)", *rank, *alpha, *alpha/float64(*rank)))
	lm := base.Clone()
	baseLogits := logits(lm, probe)
	adapters := finetune.ApplyLoRA(lm, finetune.LoRAConfig{Rank: *rank, Alpha: *alpha}, part3.Rng(*seed, 40))
	var rows [][]string
	for _, a := range adapters {
		rows = append(rows, []string{a.Name, fmt.Sprint(a.Base.Parameters()[0].Value.Shape), fmt.Sprint(a.A.Value.Shape), fmt.Sprint(a.B.Value.Shape), fmt.Sprint(a.A.Value.Numel() + a.B.Value.Numel())})
	}
	show.Table(w, []string{"linear map", "W [out in]", "A [r in]", "B [out r]", "r·(in+out)"}, rows)
	total := base.ParamCount().Total
	nLoRA := finetune.NumTrainable(lm.Parameters())
	fmt.Fprintf(w, "trainable: %d of %d parameters (%s); embeddings, norms and biases stay frozen\n", nLoRA, total+nLoRA, part3.Pct(float64(nLoRA)/float64(total+nLoRA)))
	fmt.Fprintf(w, "fresh adapters (B = 0): max |logit difference| from the base over %d logits = %s\n", len(baseLogits), part2.Sci(part2.MaxAbsDiff(baseLogits, logits(lm, probe))))

	show.Heading(w, fmt.Sprintf("The same %d SFT steps, same data and order: full fine-tuning vs LoRA", c.SFTSteps))
	full := base.Clone()
	fullCfg := part3.SFTConfig(c.SFTSteps, c.SFTLR)
	fullLog := finetune.TrainSFT(full, full.Parameters(), train, fullCfg, part3.Rng(*seed, 33))
	loraCfg := part3.SFTConfig(c.SFTSteps, c.SFTLR)
	loraCfg.LR, loraCfg.MinLR, loraCfg.WeightDecay = *loraLR, *loraLR/10, 0
	loraLog := finetune.TrainSFT(lm, finetune.AdapterParams(adapters), train, loraCfg, part3.Rng(*seed, 33))
	baseSum, _ := part3.Grade(base, wd, wd.Held)
	fullSum, _ := part3.Grade(full, wd, wd.Held)
	loraSum, _ := part3.Grade(lm, wd, wd.Held)
	show.Table(w, []string{"model", "trainable params", "lr", "time per step", "final train loss", "held-out accuracy", "gold score"}, [][]string{
		{"base (no fine-tuning)", "—", "—", "—", "—", part3.Pct(baseSum.Accuracy), show.Num(baseSum.Score, 3)},
		{"full fine-tuning", fmt.Sprint(total), part2.Sci(fullCfg.LR), part2.Ms(perStep(fullLog)), show.Num(tail(fullLog), 3), part3.Pct(fullSum.Accuracy), show.Num(fullSum.Score, 3)},
		{fmt.Sprintf("LoRA r=%d", *rank), fmt.Sprint(nLoRA), part2.Sci(loraCfg.LR), part2.Ms(perStep(loraLog)), show.Num(tail(loraLog), 3), part3.Pct(loraSum.Accuracy), show.Num(loraSum.Score, 3)},
	})
	fmt.Fprintf(w, "graded on the same %d held-out prompts; time per step is the median over the run (LoRA still runs the whole forward and backward pass, it only skips the frozen weights' gradients and optimizer state)\n", len(wd.Held))
	chart := &plot.LineChart{Title: "Chapter 21: full fine-tuning vs LoRA", XLabel: "step", YLabel: "masked loss (nats per trained token)"}
	chart.AddY("full", losses(fullLog)).AddY(fmt.Sprintf("LoRA r=%d", *rank), losses(loraLog))
	if err := part2.Write(w, chart, *out, "lora-vs-full.png"); err != nil {
		return err
	}

	show.Heading(w, "Merge, unmerge, save and load")
	trained := logits(lm, probe)
	before := weights(adapters)
	for _, a := range adapters {
		a.Merge()
	}
	fmt.Fprintf(w, "merged (W ← W + (α/r)·B·A): max |logit difference| from the adapted model = %s\n", part2.Sci(part2.MaxAbsDiff(trained, logits(lm, probe))))
	for _, a := range adapters {
		a.Unmerge()
	}
	fmt.Fprintf(w, "unmerged (W ← W − (α/r)·B·A): max |W difference| from the base = %s; logits back within %s\n",
		part2.Sci(part2.MaxAbsDiff(before, weights(adapters))), part2.Sci(part2.MaxAbsDiff(trained, logits(lm, probe))))
	path := filepath.Join(*out, "adapters.safetensors")
	if err := os.MkdirAll(*out, 0o755); err != nil {
		return err
	}
	if err := finetune.SaveAdapters(path, adapters); err != nil {
		return err
	}
	fresh := base.Clone()
	loaded := finetune.ApplyLoRA(fresh, finetune.LoRAConfig{Rank: *rank, Alpha: *alpha}, part3.Rng(*seed, 41))
	if err := finetune.LoadAdapters(path, loaded); err != nil {
		return err
	}
	full2 := filepath.Join(*out, "full.safetensors")
	if err := full.Save(full2, nil); err != nil {
		return err
	}
	fmt.Fprintf(w, "adapters alone: %s, %s (the whole fine-tuned model: %s)\n", path, size(path), size(full2))
	fmt.Fprintf(w, "reloaded onto a fresh copy of the base: max |logit difference| = %s\n", part2.Sci(part2.MaxAbsDiff(trained, logits(fresh, probe))))
	return nil
}

// logits runs m on a batch without gradients and copies its logits.
func logits(m *gpt.Model, bt finetune.Batch) []float32 {
	out := m.Forward(autograd.NoGrad(), bt.Inputs, bt.B, bt.T, gpt.ForwardOptions{})
	return append([]float32(nil), out.Logits.Value.Data...)
}

// weights copies the base weights under the adapters.
func weights(as []*finetune.LoRA) []float32 {
	var out []float32
	for _, a := range as {
		out = append(out, a.Base.Parameters()[0].Value.Data...)
	}
	return out
}

func perStep(log []finetune.SFTStep) time.Duration {
	ds := make([]time.Duration, len(log))
	for i, s := range log {
		ds[i] = s.Time
	}
	for i := 1; i < len(ds); i++ {
		for j := i; j > 0 && ds[j] < ds[j-1]; j-- {
			ds[j], ds[j-1] = ds[j-1], ds[j]
		}
	}
	return ds[len(ds)/2]
}

// tail is the mean loss of the last tenth of the run.
func tail(log []finetune.SFTStep) float64 {
	k := max(1, len(log)/10)
	s := 0.0
	for _, r := range log[len(log)-k:] {
		s += r.Loss
	}
	return s / float64(k)
}

func losses(log []finetune.SFTStep) []float64 {
	ys := make([]float64, len(log))
	for i, s := range log {
		ys[i] = s.Loss
	}
	return ys
}

func size(path string) string {
	st, err := os.Stat(path)
	if err != nil {
		return "?"
	}
	return fmt.Sprintf("%.1f kB", float64(st.Size())/1000)
}
