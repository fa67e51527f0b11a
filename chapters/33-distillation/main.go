// Chapter 33 — distillation: a larger model's verified reasoning traces
// taught to a smaller one.
//
// A teacher GPT learns worked, digit-by-digit scratchpads from the gold
// steps of a small labelled set. It then writes solutions for a pool of new
// training problems whose gold steps nobody gives it: for each pool problem
// it samples a few traces at a temperature, and an exact verifier keeps only
// those whose final answer is right (rejection sampling; the filter needs
// the answer, never a worked solution). Four copies of one small model,
// from the same initial weights and with the same number of updates, then
// learn from the pool (and a fifth, E, when any trace passes its check):
//
//	A  distilled: the teacher's verified traces       "478+365 steps\n" → "8+5+0=13 w3 c1\n…A:843\n"
//	B  baseline:  the ground-truth answer alone         "478+365\n"       → "A:843\n"
//	C  reference: the gold worked steps of the pool    (what A would see with a perfect teacher)
//	D  unfiltered: every distinct teacher trace, verified or not
//	E  steps checked: the verified traces whose every scratchpad line is also right
//
// The filter reads only the final answer, so a trace whose answer is right
// although a scratchpad line is wrong (the teacher's answer need not follow
// its own steps) passes it; the run counts such "flawed but kept" traces,
// D shows what the filter buys by skipping it, and E what checking the
// process as well as the outcome buys.
//
// All the models answer the same held-out problems (never in any training
// set) greedily, and the exact verifier grades the final answers. The loss is
// cross-entropy on the completion only, so B's and A's losses are per token
// of different targets and are drawn, not compared.
//
//	go run ./chapters/33-distillation [-op add] [-digits 3] [-samples 2] [-temperature 1] [-out out/33-distillation]
package main

import (
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"

	"transformers/chapters/internal/effect"
	"transformers/chapters/internal/part2"
	"transformers/chapters/internal/part4"
	"transformers/chapters/internal/show"
	"transformers/nn/plot"
	"transformers/reason/arith"
)

func main() {
	if err := run(os.Stdout, os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "33-distillation:", err)
		os.Exit(2)
	}
}

// student is one of the small models and what it learned from.
type student struct {
	name, data string
	format     arith.Format
	examples   []part4.Example
	t          *part4.Trained
	ev         part4.Eval
}

func run(w io.Writer, args []string) error {
	cpu0, _ := part2.CPUTime()
	fs, seed, out := part2.Flags("33-distillation")
	tcfg := part4.Config{Layers: 2, DModel: 64, Steps: 400, Batch: 32, LR: 1e-2}
	scfg := part4.Config{Layers: 1, DModel: 32, Steps: 500, Batch: 32, LR: 1e-2}
	op := fs.String("op", "add", "operation: add, sub or mul")
	digits := fs.Int("digits", 3, "digits of each operand")
	nLab := fs.Int("labelled", 1500, "problems with gold worked steps (the teacher's training set)")
	nPool := fs.Int("pool", 2000, "new training problems the teacher solves (answers known, no gold steps)")
	nTest := fs.Int("test", 200, "held-out problems")
	samples := fs.Int("samples", 2, "teacher samples per pool problem")
	temp := fs.Float64("temperature", 1, "teacher sampling temperature (0: greedy)")
	fs.IntVar(&tcfg.Layers, "teacher-layers", tcfg.Layers, "teacher transformer blocks")
	fs.IntVar(&tcfg.DModel, "teacher-d-model", tcfg.DModel, "teacher residual width (4 heads)")
	fs.IntVar(&tcfg.Steps, "teacher-steps", tcfg.Steps, "teacher optimizer updates")
	fs.Float64Var(&tcfg.LR, "teacher-lr", tcfg.LR, "teacher peak learning rate")
	fs.IntVar(&scfg.Layers, "layers", scfg.Layers, "student transformer blocks")
	fs.IntVar(&scfg.DModel, "d-model", scfg.DModel, "student residual width (4 heads)")
	fs.IntVar(&scfg.Steps, "steps", scfg.Steps, "student optimizer updates (the same for every student)")
	fs.Float64Var(&scfg.LR, "lr", scfg.LR, "student peak learning rate")
	fs.IntVar(&scfg.Batch, "batch", scfg.Batch, "examples per update (teacher and students)")
	fs.SetOutput(w)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := part2.Positive("digits", *digits, "labelled", *nLab, "pool", *nPool, "test", *nTest, "samples", *samples); err != nil {
		return err
	}
	ops := map[string]arith.Op{"add": arith.Add, "sub": arith.Sub, "mul": arith.Mul}
	o, ok := ops[*op]
	if !ok {
		return fmt.Errorf("-op %q: want add, sub or mul", *op)
	}
	if *digits > 5 || (o == arith.Mul && *digits > 3) {
		return fmt.Errorf("-digits %d: at most 5 (3 for mul)", *digits)
	}
	if !(*temp >= 0) || math.IsInf(*temp, 1) {
		return fmt.Errorf("-temperature %g: must be ≥ 0", *temp)
	}
	tcfg.Batch = scfg.Batch
	tcfg.Seed, scfg.Seed = *seed, *seed+1
	for _, c := range []part4.Config{tcfg, scfg} {
		c.Context = 1 // checked below, once the data sets its value
		if err := c.Validate(); err != nil {
			return err
		}
	}
	part2.Intro(w, "Chapter 33 · Distillation: a larger model's verified traces taught to a smaller one", *seed, *out)

	show.Heading(w, "The task and three disjoint problem sets")
	ac := arith.Config{Op: o, MinDigits: *digits, MaxDigits: *digits, NoNeg: true}
	all := arith.Generate(part2.Rng(*seed, 1), ac, arith.Train, *nLab+*nPool)
	lab, pool := all[:*nLab], all[*nLab:]
	test := arith.Generate(part2.Rng(*seed, 2), ac, arith.HeldOut, *nTest)
	ex := test[0]
	for _, f := range []arith.Format{arith.Direct, arith.Steps} {
		ex.Format = f
		fmt.Fprintf(w, "%q → %q\n", ex.Prompt(), ex.Completion())
	}
	show.KV(w, "labelled", fmt.Sprintf("%d problems with gold worked steps: the teacher's only training data", len(lab)),
		"pool", fmt.Sprintf("%d other training problems: their final answers are known, their worked steps are not used by A or B", len(pool)),
		"held out", fmt.Sprintf("%d problems, disjoint from both by a hash of the question", len(test)))

	show.Heading(w, fmt.Sprintf("Teacher: %d layers, d_model %d, %d updates on the labelled gold steps", tcfg.Layers, tcfg.DModel, tcfg.Steps))
	tdata := part4.FormatMix(lab, arith.Steps)
	tcfg.Context = part4.Context(part4.Tokenizer(), tdata) + 8 // room for a trace a little longer than gold
	teacher, err := part4.LoadOrTrainLog(w, *out, "teacher", tcfg, tdata)
	if err != nil {
		return err
	}
	tev := part4.Evaluate(teacher, test, arith.Steps)
	fmt.Fprintf(w, "%d parameters; held-out accuracy with steps (greedy) %s\n", teacher.Model.ParamCount().Total, part4.Pct(part4.Frac(tev.OK)))

	show.Heading(w, fmt.Sprintf("Rejection sampling: %d teacher traces per pool problem at temperature %g, kept if the answer verifies", *samples, *temp))
	h, dur, cached, err := part4.LoadOrHarvest(*out, "traces", part4.Sampler{T: teacher, Temperature: *temp, MaxTokens: tcfg.Context}, pool, *samples, *seed, 3)
	if err != nil {
		return err
	}
	how := fmt.Sprintf("in %.1f s", dur.Seconds())
	if cached {
		how = fmt.Sprintf("read from %s (sampled %s)", filepath.Join(*out, "traces.gob"), how)
	}
	show.KV(w, "sampled", fmt.Sprintf("%d traces %s", h.Sampled, how),
		"verified", fmt.Sprintf("%d (%s of samples)", h.Verified, part4.Pct(float64(h.Verified)/float64(max(1, h.Sampled)))),
		"distinct", fmt.Sprintf("%d different traces (a repeat of the same text per problem counts once)", len(h.All)),
		"kept", fmt.Sprintf("%d distinct verified traces, covering %d of %d pool problems (%s)", len(h.Kept), h.Covered, len(pool), part4.Pct(float64(h.Covered)/float64(len(pool)))),
		"flawed but kept", fmt.Sprintf("%d kept traces reach the right answer through a wrong scratchpad line", h.Flawed()))
	if len(h.Kept) == 0 {
		return fmt.Errorf("the teacher solved none of the %d pool problems: nothing to distil (train it longer)", len(pool))
	}
	for _, k := range h.Kept {
		if !k.StepsRight {
			fmt.Fprintf(w, "e.g. a flawed kept trace for %s = %d: %q\n", k.Problem.Question(), k.Problem.Result(), k.Completion)
			break
		}
	}

	students := []*student{
		{name: "A distilled", data: "teacher's verified traces", format: arith.Steps, examples: part4.Examples(h.Kept)},
		{name: "B baseline", data: "ground-truth answers alone", format: arith.Direct, examples: part4.FormatMix(pool, arith.Direct)},
		{name: "C reference", data: "gold worked steps", format: arith.Steps, examples: part4.FormatMix(pool, arith.Steps)},
		{name: "D unfiltered", data: "every teacher trace, unverified", format: arith.Steps, examples: part4.Examples(h.All)},
	}
	if ok := stepsChecked(h.Kept); len(ok) > 0 {
		students = append(students, &student{name: "E steps checked", data: "verified traces whose every step checks", format: arith.Steps, examples: part4.Examples(ok)})
	}
	var every []part4.Example
	for _, s := range students {
		every = append(every, s.examples...)
	}
	scfg.Context = part4.Context(part4.Tokenizer(), every) // one shape, so the three start from the same weights
	show.Heading(w, fmt.Sprintf("Students: %d layer(s), d_model %d, the same initial weights and %d updates of %d examples each", scfg.Layers, scfg.DModel, scfg.Steps, scfg.Batch))
	for i, s := range students {
		fmt.Fprintf(w, "%s, trained on: %s (%d examples)\n", s.name, s.data, len(s.examples))
		if s.t, err = part4.LoadOrTrainLog(w, *out, fmt.Sprintf("student-%c", 'a'+i), scfg, s.examples); err != nil {
			return err
		}
		s.ev = part4.Evaluate(s.t, test, s.format)
	}

	show.Heading(w, "Held-out accuracy, greedy decoding, exact final answers")
	trained := func(t *part4.Trained) string {
		if t.Time == 0 {
			return "cached"
		}
		return fmt.Sprintf("%.1f s", t.Time.Seconds())
	}
	rows := [][]string{{"teacher", "labelled gold steps", fmt.Sprintf("%d×%d", tcfg.Layers, tcfg.DModel), fmt.Sprint(teacher.Model.ParamCount().Total),
		fmt.Sprint(len(tdata)), trained(teacher), part4.Pct(part4.Frac(tev.OK)), fmt.Sprintf("%.1f", tev.Tokens)}}
	for _, s := range students {
		rows = append(rows, []string{s.name, s.data, fmt.Sprintf("%d×%d", scfg.Layers, scfg.DModel), fmt.Sprint(s.t.Model.ParamCount().Total),
			fmt.Sprint(len(s.examples)), trained(s.t), part4.Pct(part4.Frac(s.ev.OK)), fmt.Sprintf("%.1f", s.ev.Tokens)})
	}
	show.Table(w, []string{"model", "trained on", "layers×d", "params", "examples", "train time", "accuracy", "tokens/answer"}, rows)

	ch := &plot.LineChart{Title: "Chapter 33: completion loss", XLabel: "update", YLabel: "loss", LogY: true}
	if len(teacher.Losses) > 0 {
		ch.AddY("teacher", teacher.Losses)
	}
	for _, s := range students {
		if len(s.t.Losses) > 0 {
			ch.AddY(s.name, s.t.Losses)
		}
	}
	if len(ch.Series) > 0 {
		if err := part2.Write(w, ch, *out, "loss.png"); err != nil {
			return err
		}
	}

	show.Heading(w, "Distilled against baseline, problem by problem")
	a, b := students[0].ev, students[1].ev
	first := part4.PairTable(w, "A", "B", a.OK, b.OK)
	if first >= 0 {
		p := test[first]
		fmt.Fprintf(w, "e.g. %s = %d: B %q, A %q\n", p.Question(), p.Result(), strings.TrimSpace(b.Generated[first]), a.Generated[first])
	}
	if cpu, ok := part2.CPUTime(); ok {
		fmt.Fprintf(w, "CPU time of this run: %.0f s\n", (cpu - cpu0).Seconds())
	}
	checked := ""
	if len(students) > 4 {
		checked = fmt.Sprintf(", %s with every step checked too", part4.Pct(part4.Frac(students[4].ev.OK)))
	}
	effect.Rates("distillation: student's held-out accuracy (%)", "answers alone (B)", "verified traces (A)", b.OK, a.OK).Print(w)
	fmt.Fprintf(w, "headline: a %d-parameter student scores %s on teacher traces verified by their answer%s, against %s on the answers alone (teacher %s, gold steps %s), %d held-out %d-digit problems\n",
		students[0].t.Model.ParamCount().Total, part4.Pct(part4.Frac(a.OK)), checked, part4.Pct(part4.Frac(b.OK)), part4.Pct(part4.Frac(tev.OK)), part4.Pct(part4.Frac(students[2].ev.OK)), len(test), *digits)
	return nil
}

// stepsChecked keeps the traces whose scratchpad lines all check against
// the problem, not only the final answer: a process check instead of an
// outcome check.
func stepsChecked(kept []part4.Trace) []part4.Trace {
	var out []part4.Trace
	for _, k := range kept {
		if k.StepsRight {
			out = append(out, k)
		}
	}
	return out
}
