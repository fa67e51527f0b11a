// Chapter 22 — a reward model.
//
// Preference pairs from the story world — a right answer against a wrong one,
// and a concise answer against the same answer rambling on — train the SFT
// model with a scalar head, read at the last real token, under the
// Bradley–Terry loss −log σ(r_chosen − r_rejected). Its accuracy and margin
// are measured on pairs about held-out facts, before and after training,
// per preference axis.
//
//	go run ./chapters/22-reward-model [-rm-steps 80] [-out out/22-reward-model]
package main

import (
	"fmt"
	"io"
	"math"
	"os"

	"transformers/autograd"
	"transformers/chapters/internal/effect"
	"transformers/chapters/internal/part2"
	"transformers/chapters/internal/part3"
	"transformers/chapters/internal/show"
	"transformers/finetune"
	"transformers/nn/plot"
)

func main() {
	if err := run(os.Stdout, os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "22-reward-model:", err)
		os.Exit(2)
	}
}

func run(w io.Writer, args []string) error {
	fs, seed, out := part2.Flags("22-reward-model")
	c := part3.AddFlags(fs)
	steps := fs.Int("rm-steps", 80, "reward-model updates of 16 pairs")
	fs.SetOutput(w)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := c.Validate(); err != nil {
		return err
	}
	if err := part2.Positive("rm-steps", *steps); err != nil {
		return err
	}
	part2.Intro(w, "Chapter 22 · A reward model from preferences", *seed, *out)
	wd := part3.NewWorld(*c, *seed)
	trainPrefs, heldPrefs := part3.Preferences(wd, *seed)

	show.Heading(w, "Preference pairs: the gold scorer always ranks chosen above rejected")
	var rows [][]string
	for _, ax := range []finetune.Axis{finetune.AxisCorrect, finetune.AxisConcise} {
		for _, p := range trainPrefs {
			if p.Axis == ax {
				rows = append(rows, []string{string(ax), p.Example.Prompt, fmt.Sprintf("%q", p.Chosen), fmt.Sprintf("%q", p.Rejected)})
				break
			}
		}
	}
	show.Table(w, []string{"axis", "prompt", "chosen", "rejected"}, rows)
	fmt.Fprintf(w, "%d training pairs, %d held-out pairs (about facts SFT never saw)\n", len(trainPrefs), len(heldPrefs))

	show.Heading(w, "The SFT model the reward model starts from")
	base, err := part3.Base(w, *c, wd, *seed, *out)
	if err != nil {
		return err
	}
	sft, _, err := part3.SFT(w, *c, wd, base, *seed, *out, false)
	if err != nil {
		return err
	}

	show.Heading(w, "The reward is read at the last real token, whatever the padding")
	rm := finetune.NewRewardModel(sft.Clone(), part3.Rng(*seed, 52))
	heldPairs := finetune.Tokenize(wd.Tok, heldPrefs)
	short, long := heldPairs.Subset([]int{0}), heldPairs.Subset([]int{1})
	alone := rm.Score(autograd.NoGrad(), short.Prompts, short.Chosen).Value.Data[0]
	padded := rm.Score(autograd.NoGrad(), append(short.Prompts, long.Prompts...), append(short.Chosen, long.Rejected...)).Value.Data[0]
	fmt.Fprintf(w, "a reply scored alone: %s; in a batch padded to a longer reply: %s (difference %s)\n", show.Num(float64(alone), 6), show.Num(float64(padded), 6), part2.Sci(math.Abs(float64(alone-padded))))

	show.Heading(w, fmt.Sprintf("Training: %d steps of 16 pairs, Bradley–Terry loss, AdamW lr %g", *steps, part3.RMConfig(*steps).LR))
	before := evalAxes(rm, wd, heldPrefs)
	rightBefore := part3.PairRight(rm, wd.Tok, heldPrefs)
	rm, log, err := part3.RewardModel(w, *c, wd, sft, *seed, *out, *steps, false, true)
	if err != nil {
		return err
	}
	after := evalAxes(rm, wd, heldPrefs)
	trainStats := finetune.EvalRewardModel(rm, finetune.Tokenize(wd.Tok, trainPrefs[:min(len(trainPrefs), len(heldPrefs))]), 32)

	show.Heading(w, fmt.Sprintf("Held-out pairs: accuracy (r_chosen > r_rejected), mean margin, loss (ln 2 = %.4f)", math.Ln2))
	var tab [][]string
	for i, name := range []string{"all", string(finetune.AxisCorrect), string(finetune.AxisConcise)} {
		tab = append(tab, []string{name, fmt.Sprint(before[i].n), part3.Pct(before[i].s.Accuracy), show.Num(before[i].s.Margin, 3), show.Num(before[i].s.Loss, 4),
			part3.Pct(after[i].s.Accuracy), show.Num(after[i].s.Margin, 3), show.Num(after[i].s.Loss, 4)})
	}
	show.Table(w, []string{"pairs", "n", "acc before", "margin before", "loss before", "acc after", "margin after", "loss after"}, tab)
	fmt.Fprintf(w, "on as many training pairs: accuracy %s, margin %s\n", part3.Pct(trainStats.Accuracy), show.Num(trainStats.Margin, 3))
	effect.Rates("reward model: held-out pair accuracy (%)", "untrained head", "trained RM", rightBefore, part3.PairRight(rm, wd.Tok, heldPrefs)).Print(w)

	chart := &plot.LineChart{Title: "Chapter 22: reward model, training batches", XLabel: "step", YLabel: "Bradley-Terry loss / accuracy"}
	ls, as := make([]float64, len(log)), make([]float64, len(log))
	for i, s := range log {
		ls[i], as[i] = s.Loss, s.Accuracy
	}
	chart.AddY("loss", ls).AddY("accuracy", as)
	return part2.Write(w, chart, *out, "reward-model.png")
}

type axisStats struct {
	n int
	s finetune.RewardStats
}

// evalAxes measures rm on all held-out pairs, then on each axis alone.
func evalAxes(rm *finetune.RewardModel, wd part3.World, prefs []finetune.Preference) []axisStats {
	out := []axisStats{{len(prefs), finetune.EvalRewardModel(rm, finetune.Tokenize(wd.Tok, prefs), 32)}}
	for _, ax := range []finetune.Axis{finetune.AxisCorrect, finetune.AxisConcise} {
		var sub []finetune.Preference
		for _, p := range prefs {
			if p.Axis == ax {
				sub = append(sub, p)
			}
		}
		out = append(out, axisStats{len(sub), finetune.EvalRewardModel(rm, finetune.Tokenize(wd.Tok, sub), 32)})
	}
	return out
}
