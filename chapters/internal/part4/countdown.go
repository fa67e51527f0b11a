package part4

import (
	"flag"
	"fmt"
	"io"
	"math/rand/v2"

	"transformers/reason/countdown"
)

// PolicyCache is the folder where chapters 27–29 share their countdown
// policy: chapter 27's output folder. A run of 28 or 29 after 27 (same
// flags) loads the policy instead of training it again.
const PolicyCache = "out/27-tree-of-thoughts"

// Countdown is the countdown setup chapters 27–29 share: the puzzle
// difficulty, the data sizes and the policy's training run.
type Countdown struct {
	Puzzles      countdown.Config
	Train, Test  int
	Model        Config
	Cache        string // folder of the cached policy ("" never caches)
	Temperature  float64
	train, heldO []countdown.Problem
}

// CountdownFlags binds the shared flags on fs and returns the setup with
// the defaults: 4 numbers from 1..9, targets 10..50, 3000 training
// puzzles, 60 held-out, a 2-layer d_model 64 policy trained 1000 updates.
func CountdownFlags(fs *flag.FlagSet) *Countdown {
	c := &Countdown{
		Puzzles: countdown.Config{Count: 4, MaxNumber: 9, TargetMin: 10, TargetMax: 50, Solvable: true},
		Train:   3000, Test: 60, Temperature: 1, Cache: PolicyCache,
		Model: Config{Layers: 2, DModel: 64, Steps: 1000, Batch: 32, LR: 1e-2},
	}
	fs.IntVar(&c.Puzzles.Count, "count", c.Puzzles.Count, "starting numbers per puzzle")
	fs.IntVar(&c.Puzzles.MaxNumber, "max-number", c.Puzzles.MaxNumber, "starting numbers are 1..max-number")
	fs.IntVar(&c.Puzzles.TargetMax, "target-max", c.Puzzles.TargetMax, "targets are 10..target-max")
	fs.IntVar(&c.Train, "train", c.Train, "policy training puzzles (one solver-found solution each)")
	fs.IntVar(&c.Test, "test", c.Test, "held-out puzzles")
	fs.Float64Var(&c.Temperature, "temp", c.Temperature, "sampling temperature")
	fs.IntVar(&c.Model.Steps, "steps", c.Model.Steps, "policy updates")
	fs.IntVar(&c.Model.Batch, "batch", c.Model.Batch, "examples per update")
	fs.IntVar(&c.Model.Layers, "layers", c.Model.Layers, "transformer blocks")
	fs.IntVar(&c.Model.DModel, "d-model", c.Model.DModel, "residual width (4 heads)")
	fs.Float64Var(&c.Model.LR, "lr", c.Model.LR, "peak learning rate of the policy")
	fs.StringVar(&c.Cache, "cache", c.Cache, "folder where chapters 27–29 share the trained policy (\"\": no cache)")
	return c
}

// Validate reports the first bad flag value.
func (c *Countdown) Validate() error {
	p := c.Puzzles
	if p.Count < 2 || p.Count > 6 {
		return fmt.Errorf("-count %d: must be 2..6", p.Count)
	}
	if p.MaxNumber < 2 || p.TargetMax <= p.TargetMin {
		return fmt.Errorf("-max-number %d, -target-max %d: need max-number ≥ 2 and target-max > %d", p.MaxNumber, p.TargetMax, p.TargetMin)
	}
	if c.Train < 1 || c.Test < 1 {
		return fmt.Errorf("-train %d, -test %d: must be at least 1", c.Train, c.Test)
	}
	if !(c.Temperature > 0) {
		return fmt.Errorf("-temp %g: must be positive", c.Temperature)
	}
	m := c.Model
	m.Context = max(1, m.Context) // set from the data by Policy
	return m.Validate()
}

// Policy draws the training and held-out puzzles (streams 1 and 2 of
// seed), then loads or trains the policy on one gold solution per training
// puzzle (progress to w).
func (c *Countdown) Policy(w io.Writer, seed uint64) (*Trained, error) {
	c.train = countdown.Generate(rand.New(rand.NewPCG(seed, 1)), c.Puzzles, countdown.Train, c.Train)
	c.heldO = countdown.Generate(rand.New(rand.NewPCG(seed, 2)), c.Puzzles, countdown.HeldOut, c.Test)
	data := make([]Example, len(c.train))
	for i, p := range c.train {
		data[i] = Example{Prompt: p.Prompt(), Completion: p.Completion()}
	}
	c.Model.Seed = seed
	c.Model.Context = Context(Tokenizer(), data) + 8
	fmt.Fprintf(w, "e.g. %q → %q\n", data[0].Prompt, data[0].Completion)
	fmt.Fprintf(w, "  puzzles: %d numbers from 1..%d, target %d..%d, all solvable; %d training, %d held-out\n", c.Puzzles.Count, c.Puzzles.MaxNumber, c.Puzzles.TargetMin, c.Puzzles.TargetMax, len(c.train), len(c.heldO))
	fmt.Fprintf(w, "  policy:  %d layers, d_model %d, %d updates of %d examples, loss on the solution only\n", c.Model.Layers, c.Model.DModel, c.Model.Steps, c.Model.Batch)
	return LoadOrTrain(w, c.Cache, "countdown-policy", c.Model, data)
}

// TrainPuzzles and HeldOut return the puzzles Policy drew.
func (c *Countdown) TrainPuzzles() []countdown.Problem { return c.train }

// HeldOut returns the held-out puzzles Policy drew.
func (c *Countdown) HeldOut() []countdown.Problem { return c.heldO }
