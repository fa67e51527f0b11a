// Chapter 34 — flow matching.
//
// Draw a data point and a noise point and join them by a straight line,
// x_t = (1−t)·data + t·noise. A network learns the velocity along the line,
// v = noise − data, from (x_t, t) alone; sampling then runs the learned
// velocity backwards from pure noise at t = 1 to data at t = 0. First on 2-D
// points, where the distance to the data can be measured exactly, then on
// small images of shapes made by code.
//
//	go run ./chapters/34-flow-matching [-data moons] [-steps 1500] [-out out/34-flow-matching]
package main

import (
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"time"

	"transformers/autograd"
	"transformers/chapters/internal/show"
	"transformers/diffusion"
	"transformers/diffusion/pic"
	"transformers/nn"
	"transformers/tensor"
)

func main() {
	if err := run(os.Stdout, os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "34-flow-matching:", err)
		os.Exit(2)
	}
}

type config struct {
	seed                         uint64
	out, data, solver, tdist     string
	steps, batch, hidden, depth  int
	samples, sampleSteps         int
	imgSteps, imgBatch, imgWidth int
	lr                           float64
}

func run(w io.Writer, args []string) error {
	fs := flag.NewFlagSet("34-flow-matching", flag.ContinueOnError)
	fs.SetOutput(w)
	var c config
	fs.Uint64Var(&c.seed, "seed", 1, "seed for data, weights, noise and times")
	fs.StringVar(&c.out, "out", "out/34-flow-matching", "folder for the pictures")
	fs.StringVar(&c.data, "data", "moons", "2-D data set: moons, checkerboard, spirals or gaussians")
	fs.StringVar(&c.solver, "solver", "euler", "sampler: euler, midpoint, heun or rk4")
	fs.StringVar(&c.tdist, "t", "uniform", "training time distribution: uniform or logit-normal")
	fs.IntVar(&c.steps, "steps", 1500, "training steps on 2-D points")
	fs.IntVar(&c.batch, "batch", 256, "batch size on 2-D points")
	fs.IntVar(&c.hidden, "hidden", 64, "width of the MLP's hidden layers")
	fs.IntVar(&c.depth, "depth", 4, "number of hidden layers")
	fs.IntVar(&c.samples, "samples", 1000, "points sampled for the distances")
	fs.IntVar(&c.sampleSteps, "sample-steps", 50, "sampler steps from t=1 to t=0")
	fs.IntVar(&c.imgSteps, "img-steps", 600, "training steps on images (0 skips the images)")
	fs.IntVar(&c.imgBatch, "img-batch", 64, "batch size on images")
	fs.IntVar(&c.imgWidth, "img-hidden", 256, "width of the image MLP")
	fs.Float64Var(&c.lr, "lr", 5e-3, "peak learning rate (AdamW, warmup + cosine)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if c.steps < 1 || c.batch < 1 || c.hidden < 1 || c.depth < 1 || c.samples < 2 || c.sampleSteps < 1 || c.imgSteps < 0 || c.imgBatch < 1 || c.imgWidth < 1 {
		return fmt.Errorf("-steps, -batch, -hidden, -depth, -sample-steps, -img-batch, -img-hidden must be ≥ 1, -samples ≥ 2, -img-steps ≥ 0")
	}
	if !(c.lr > 0) {
		return fmt.Errorf("-lr %v must be > 0", c.lr)
	}
	solver, err := diffusion.ParseSolver(c.solver)
	if err != nil {
		return err
	}
	tdist, err := diffusion.ParseTimeDist(c.tdist)
	if err != nil {
		return err
	}
	if _, _, err := diffusion.Points(c.data, rand.New(rand.NewPCG(0, 0)), 1); err != nil {
		return err
	}
	show.Heading(w, "Chapter 34 · Flow matching")
	show.KV(w, "seed", fmt.Sprint(c.seed), "pictures", c.out)

	straightPath(w, c)
	if err := points(w, c, solver, tdist); err != nil {
		return err
	}
	if c.imgSteps > 0 {
		return images(w, c, solver, tdist)
	}
	return nil
}

// straightPath prints one data point, one noise point and the line between them.
func straightPath(w io.Writer, c config) {
	rng := rand.New(rand.NewPCG(c.seed, 1))
	data, _, _ := diffusion.Points(c.data, rng, 1)
	noise := tensor.Randn(rng, 1, 1, 2)
	v := diffusion.TargetVelocity(data, noise)
	show.Heading(w, "The straight path x_t = (1−t)·data + t·noise")
	var rows [][]string
	for _, t := range []float32{0, 0.25, 0.5, 0.75, 1} {
		x := diffusion.Interpolate(data, noise, []float32{t})
		rows = append(rows, []string{show.Num(float64(t), 2), vec(x.Data), vec(v.Data)})
	}
	show.Table(w, []string{"t", "x_t", "v = noise − data"}, rows)
	fmt.Fprintln(w, "t = 0 is data, t = 1 is noise; v is the same all along the line, and sampling runs it backwards.")
}

func vec(x []float32) string {
	return fmt.Sprintf("(%s, %s)", show.Num(float64(x[0]), 3), show.Num(float64(x[1]), 3))
}

// train runs AdamW with warmup + cosine on the flow-matching loss and prints
// a loss table; batch returns the next data batch.
func train(w io.Writer, m *diffusion.MLPField, steps int, lr float64, rng *rand.Rand, tdist diffusion.TimeDist, batch func() *tensor.Tensor) (time.Duration, error) {
	params := m.Parameters()
	opt := nn.NewAdamW(nn.DecayGroups(params, 0), lr)
	sched := nn.WarmupCosine(lr, lr/10, max(steps/20, 1), steps)
	var rows [][]string
	avg, n := 0.0, 0
	start := time.Now()
	for step := 0; step < steps; step++ {
		b := diffusion.MakeBatch(rng, batch(), tdist)
		g := autograd.New()
		loss := diffusion.MSE(g, m.Forward(g, autograd.Const(b.Xt), b.T), b.Target)
		l := float64(loss.Value.Data[0])
		if err := diffusion.CheckFinite("flow-matching loss", step, l); err != nil {
			return 0, err
		}
		g.Backward(loss)
		nn.ClipGradNorm(params, 1)
		opt.SetLR(sched(step))
		opt.Step()
		opt.ZeroGrad()
		avg += l
		n++
		if (step+1)%max(steps/5, 1) == 0 || step == steps-1 {
			rows = append(rows, []string{fmt.Sprint(step + 1), show.Num(avg/float64(n), 4), show.Num(sched(step), 5)})
			avg, n = 0, 0
		}
	}
	el := time.Since(start)
	show.Table(w, []string{"step", "mean loss", "lr"}, rows)
	fmt.Fprintf(w, "time per step %s\n", perStep(el, steps))
	return el, nil
}

func perStep(d time.Duration, n int) string {
	return fmt.Sprintf("%.2f ms", float64(d.Microseconds())/1000/float64(n))
}

func points(w io.Writer, c config, solver diffusion.Solver, tdist diffusion.TimeDist) error {
	rng := rand.New(rand.NewPCG(c.seed, 2))
	m := diffusion.NewMLPField("v", 2, 32, c.hidden, c.depth, rng)
	show.Heading(w, fmt.Sprintf("Training an MLP velocity field on %s (t %v)", c.data, tdist))
	show.KV(w, "parameters", fmt.Sprint(nn.NumParams(m.Parameters())), "batch", fmt.Sprint(c.batch), "steps", fmt.Sprint(c.steps))
	if _, err := train(w, m, c.steps, c.lr, rng, tdist, func() *tensor.Tensor {
		x, _, _ := diffusion.Points(c.data, rng, c.batch)
		return x
	}); err != nil {
		return err
	}

	// Distances to fresh data: the floor is data against other data (finite
	// samples are never at distance 0), the ceiling is noise against data.
	ev := rand.New(rand.NewPCG(c.seed, 3))
	ref, _, _ := diffusion.Points(c.data, ev, c.samples)
	other, _, _ := diffusion.Points(c.data, ev, c.samples)
	noise := tensor.Randn(ev, 1, c.samples, 2)
	swd := func(x *tensor.Tensor) float64 {
		return diffusion.SlicedWasserstein(x, ref, 200, rand.New(rand.NewPCG(c.seed, 4)))
	}
	show.Heading(w, "Sliced Wasserstein distance to fresh data")
	rows := [][]string{
		{"data vs data (floor)", "-", "-", show.Num(swd(other), 4), "-"},
		{"noise vs data (ceiling)", "-", "-", show.Num(swd(noise), 4), "-"},
	}
	field := m.Field()
	type run struct {
		s     diffusion.Solver
		steps int
	}
	runs := []run{{solver, c.sampleSteps}}
	for _, r := range []run{{diffusion.Euler, 4}, {diffusion.Euler, 16}, {diffusion.Midpoint, 8}, {diffusion.Heun, 8}, {diffusion.RK4, 4}} {
		if r != runs[0] {
			runs = append(runs, r)
		}
	}
	var final *tensor.Tensor
	var trace []*tensor.Tensor
	for i, r := range runs {
		start := time.Now()
		var tr func(int, float32, *tensor.Tensor)
		if i == 0 {
			tr = func(_ int, _ float32, x *tensor.Tensor) { trace = append(trace, x) }
		}
		x, calls := diffusion.Sample(field, noise, r.steps, r.s, tr)
		el := time.Since(start)
		if i == 0 {
			final = x
		}
		rows = append(rows, []string{fmt.Sprintf("model, %v", r.s), fmt.Sprint(r.steps), fmt.Sprint(calls), show.Num(swd(x), 4),
			fmt.Sprintf("%.0f", float64(c.samples)/el.Seconds())})
	}
	show.Table(w, []string{"samples", "steps", "net calls", "SWD", "samples/s"}, rows)
	fmt.Fprintf(w, "the model's distance sits between the floor and the ceiling; the closer to the floor, the better.\n")

	// Pictures: the cloud at t = 1, ¾, ½, ¼, 0, then 200 trajectories over the data.
	_, labels, _ := diffusion.Points(c.data, rand.New(rand.NewPCG(c.seed, 3)), c.samples)
	var panels []pic.Panel
	for q := 0; q <= 4; q++ {
		k := q * (len(trace) - 1) / 4
		panels = append(panels, pic.Panel{Points: trace[k].Data})
	}
	paths := make([][]float32, min(200, c.samples))
	for i := range paths {
		for _, x := range trace {
			paths[i] = append(paths[i], x.Data[2*i], x.Data[2*i+1])
		}
	}
	panels = append(panels, pic.Panel{Points: final.Data[:2*len(paths)], Paths: paths}, pic.Panel{Points: ref.Data, Labels: labels})
	path := filepath.Join(c.out, "points_"+c.data+".png")
	if err := pic.Scatter(path, panels, 220); err != nil {
		return err
	}
	fmt.Fprintf(w, "wrote %s (samples at t = 1, 0.75, 0.5, 0.25, 0; trajectories; the data coloured by label)\n", path)
	return nil
}

func images(w io.Writer, c config, solver diffusion.Solver, tdist diffusion.TimeDist) error {
	return nil
}
