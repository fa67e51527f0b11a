// Chapter 20 — supervised fine-tuning.
//
// A base GPT that has only read stories learns to answer in a chat: each
// instruction is rendered with a template of special tokens, and a loss mask
// trains only the assistant's reply and the <|end|> that closes it. The same
// held-out prompts — facts never seen in fine-tuning — are asked before and
// after, and graded exactly by the gold scorer; the paired difference of the
// two on those prompts, with its standard error, is printed as an effect line
// (package chapters/internal/effect; `go run ./chapters/effects -chapters 20`
// tabulates it over seeds 1, 2, 3).
//
//	go run ./chapters/20-sft [-sft-steps 200] [-sft-lr 2e-4] [-count-drills 200] [-held 60] [-out out/20-sft]
package main

import (
	"fmt"
	"io"
	"os"
	"time"

	"transformers/chapters/internal/effect"
	"transformers/chapters/internal/part2"
	"transformers/chapters/internal/part3"
	"transformers/chapters/internal/show"
	"transformers/finetune"
	"transformers/nn/plot"
)

func main() {
	if err := run(os.Stdout, os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "20-sft:", err)
		os.Exit(2)
	}
}

func run(w io.Writer, args []string) error {
	fs, seed, out := part2.Flags("20-sft")
	c := part3.AddFlags(fs)
	fs.SetOutput(w)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := c.Validate(); err != nil {
		return err
	}
	part2.Intro(w, "Chapter 20 · Supervised fine-tuning", *seed, *out)
	wd := part3.NewWorld(*c, *seed)

	show.Heading(w, "The data: instructions from the story world, split by fact")
	var rows [][]string
	for _, task := range []finetune.Task{finetune.TaskQuestion, finetune.TaskReverse, finetune.TaskCount} {
		rows = append(rows, []string{string(task), fmt.Sprint(count(wd.Train, task)), fmt.Sprint(count(wd.Held, task)), example(wd.Train, task)})
	}
	show.Table(w, []string{"task", "train", "held-out graded", "a training example"}, rows)
	fmt.Fprintln(w, "every phrasing of a held-out fact is held out with it, so the held-out prompts test what the base model read, not what SFT showed.")

	show.Heading(w, "The chat template and its loss mask, token by token")
	ex := wd.Train[0]
	r := finetune.Render(wd.Tok, finetune.Conversation(ex.Prompt, ex.Answer))
	fmt.Fprint(w, r.Table(wd.Tok))
	fmt.Fprintf(w, "%d tokens, %d trained (mask 1): the reply and its closing <|end|>, so the model learns to stop.\n", len(r.IDs), r.Trained())

	show.Heading(w, "The base model: the corpus only, no chat")
	base, err := part3.Base(w, *c, wd, *seed, *out)
	if err != nil {
		return err
	}
	heldConv := part3.Conversations(wd.Tok, wd.Held)
	before, beforeReplies := part3.Grade(base, wd, wd.Held)
	beforeLoss := finetune.MeanLoss(base, heldConv, 16, part3.Context-1)

	show.Heading(w, fmt.Sprintf("Fine-tuning: %d steps of 16 conversations, loss divided by the step's trained tokens", c.SFTSteps))
	t0 := time.Now()
	sft, log, err := part3.SFT(w, *c, wd, base, *seed, *out, true)
	if err != nil {
		return err
	}
	elapsed := time.Since(t0)
	after, afterReplies := part3.Grade(sft, wd, wd.Held)
	afterLoss := finetune.MeanLoss(sft, heldConv, 16, part3.Context-1)
	trainSum, _ := part3.Grade(sft, wd, wd.Train[:min(len(wd.Train), len(wd.Held))])
	fmt.Fprintf(w, "%d steps in %.1f s\n", len(log), elapsed.Seconds())

	show.Heading(w, fmt.Sprintf("Before and after, on the same %d held-out prompts (greedy, graded by the gold scorer)", len(wd.Held)))
	show.Table(w, []string{"model", "exact accuracy", "right and concise", "gold score", "held-out masked loss"}, [][]string{
		{"base", part3.Pct(before.Accuracy), part3.Pct(before.Concise), show.Num(before.Score, 3), show.Num(beforeLoss, 3)},
		{"SFT", part3.Pct(after.Accuracy), part3.Pct(after.Concise), show.Num(after.Score, 3), show.Num(afterLoss, 3)},
	})
	fmt.Fprintf(w, "SFT on training prompts: exact accuracy %s (the first %d)\n", part3.Pct(trainSum.Accuracy), trainSum.N)
	effect.Rates("SFT: held-out exact accuracy (%)", "base", "SFT", part3.Right(wd, wd.Held, beforeReplies), part3.Right(wd, wd.Held, afterReplies)).Print(w)
	var byTask [][]string
	for _, task := range []finetune.Task{finetune.TaskQuestion, finetune.TaskReverse, finetune.TaskCount} {
		var exs []finetune.Example
		var b, a []string
		for i, e := range wd.Held {
			if e.Task == task {
				exs, b, a = append(exs, e), append(b, beforeReplies[i]), append(a, afterReplies[i])
			}
		}
		if len(exs) == 0 {
			continue
		}
		byTask = append(byTask, []string{string(task), fmt.Sprint(len(exs)), part3.Pct(wd.Scorer.Summarise(exs, b).Accuracy), part3.Pct(wd.Scorer.Summarise(exs, a).Accuracy)})
	}
	show.Table(w, []string{"task", "held-out", "base accuracy", "SFT accuracy"}, byTask)

	show.Heading(w, "A few held-out prompts")
	var sample [][]string
	for i := range min(6, len(wd.Held)) {
		sample = append(sample, []string{wd.Held[i].Prompt, wd.Held[i].Answer, fmt.Sprintf("%q", clip(beforeReplies[i])), fmt.Sprintf("%q", afterReplies[i])})
	}
	show.Table(w, []string{"prompt", "gold", "base", "SFT"}, sample)

	if len(log) > 0 {
		chart := &plot.LineChart{Title: "Chapter 20: SFT masked loss", XLabel: "step", YLabel: "loss (nats per trained token)"}
		ys := make([]float64, len(log))
		for i, s := range log {
			ys[i] = s.Loss
		}
		chart.AddY("train (masked)", ys)
		if err := part2.Write(w, chart, *out, "sft-loss.png"); err != nil {
			return err
		}
	}
	fmt.Fprintf(w, "the SFT model is cached under %s for chapters 21–24\n", part3.Dir(*out))
	return nil
}

func count(exs []finetune.Example, t finetune.Task) int {
	n := 0
	for _, e := range exs {
		if e.Task == t {
			n++
		}
	}
	return n
}

func example(exs []finetune.Example, t finetune.Task) string {
	for _, e := range exs {
		if e.Task == t {
			return fmt.Sprintf("%s → %s", e.Prompt, e.Answer)
		}
	}
	return "—"
}

// clip shortens a base model's rambling continuation for the table.
func clip(s string) string {
	if r := []rune(s); len(r) > 24 {
		return string(r[:24]) + "…"
	}
	return s
}
