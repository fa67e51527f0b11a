// Chapter 34 — flow matching.
//
// Draw a data point and a noise point and join them by a straight line,
// x_t = (1−t)·data + t·noise. A network learns the velocity along the line,
// v = noise − data, from (x_t, t) alone; sampling then runs the learned
// velocity backwards from pure noise at t = 1 to data at t = 0. First on 2-D
// points, where the distance to the data can be measured exactly, then on
// small images of shapes made by code.
//
//	go run ./chapters/34-flow-matching [-data moons] [-steps 2500] [-out out/34-flow-matching]
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
	"transformers/chapters/internal/part5"
	"transformers/chapters/internal/show"
	"transformers/diffusion"
	"transformers/diffusion/pic"
	"transformers/nn"
	"transformers/nn/plot"
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
	fs.IntVar(&c.steps, "steps", 2500, "training steps on 2-D points")
	fs.IntVar(&c.batch, "batch", 256, "batch size on 2-D points")
	fs.IntVar(&c.hidden, "hidden", 64, "width of the MLP's hidden layers")
	fs.IntVar(&c.depth, "depth", 4, "number of hidden layers")
	fs.IntVar(&c.samples, "samples", 1000, "points sampled for the distances")
	fs.IntVar(&c.sampleSteps, "sample-steps", 50, "sampler steps from t=1 to t=0")
	fs.IntVar(&c.imgSteps, "img-steps", 600, "training steps on images (0 skips the images)")
	fs.IntVar(&c.imgBatch, "img-batch", 32, "batch size on images")
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

// train fits m to the flow-matching loss with AdamW (warmup + cosine,
// clipping at 1) and prints the loss table; batch returns the next data batch.
func train(w io.Writer, m *diffusion.MLPField, steps, batchSize int, lr float64, rng *rand.Rand, tdist diffusion.TimeDist, batch func() *tensor.Tensor) error {
	log := part5.NewLossLog(steps, 5)
	st, err := diffusion.Train(diffusion.TrainConfig{Steps: steps, LR: lr, Clip: 1}, m.Parameters(), func(step int, g *autograd.Graph) *autograd.Var {
		b := diffusion.MakeBatch(rng, batch(), tdist)
		return diffusion.MSE(g, m.Forward(g, autograd.Const(b.Xt), b.T), b.Target)
	}, log.Add)
	if err != nil {
		return err
	}
	log.Print(w, st, batchSize)
	return nil
}

func points(w io.Writer, c config, solver diffusion.Solver, tdist diffusion.TimeDist) error {
	rng := rand.New(rand.NewPCG(c.seed, 2))
	m := diffusion.NewMLPField("v", 2, 32, c.hidden, c.depth, rng)
	show.Heading(w, fmt.Sprintf("Training an MLP velocity field on %s (t %v)", c.data, tdist))
	show.KV(w, "parameters", fmt.Sprint(nn.NumParams(m.Parameters())), "batch", fmt.Sprint(c.batch), "steps", fmt.Sprint(c.steps))
	if err := train(w, m, c.steps, c.batch, c.lr, rng, tdist, func() *tensor.Tensor {
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

	// Pictures: the cloud at t = 1, ¾, ½, ¼, 0, then 200 trajectories, then the data.
	_, labels, _ := diffusion.Points(c.data, rand.New(rand.NewPCG(c.seed, 3)), c.samples)
	sc := &plot.Scatter{Title: fmt.Sprintf("flow matching on %s: %v, %d steps from t=1 to t=0", c.data, solver, c.sampleSteps),
		XMin: -3, XMax: 3, YMin: -3, YMax: 3, PanelSize: 200, PointRadius: 1}
	for q := 0; q <= 4; q++ {
		k := q * (len(trace) - 1) / 4
		x, y := xy(trace[k], c.samples)
		sc.AddPanel(fmt.Sprintf("t = %.2f", 1-float64(q)/4), x, y, nil)
	}
	fx, fy := xy(final, min(200, c.samples))
	paths := sc.AddPanel("trajectories", fx, fy, nil)
	for i := 0; i < min(200, c.samples); i++ {
		var px, py []float64
		for _, x := range trace {
			px, py = append(px, float64(x.Data[2*i])), append(py, float64(x.Data[2*i+1]))
		}
		paths.AddPath(px, py, 7)
	}
	dx, dy := xy(ref, c.samples)
	sc.AddPanel("data (by label)", dx, dy, labels)
	path := filepath.Join(c.out, "points_"+c.data+".png")
	if err := sc.WritePNG(path); err != nil {
		return err
	}
	fmt.Fprintf(w, "wrote %s (samples at t = 1, 0.75, 0.5, 0.25, 0; trajectories; the data coloured by label)\n", path)
	return nil
}

// images trains the same kind of MLP on whole images, flattened: each
// 24×24×3 image is one point in 1728 dimensions.
func images(w io.Writer, c config, solver diffusion.Solver, tdist diffusion.TimeDist) error {
	const side = diffusion.ImageSize
	dim := side * side * 3
	rng := rand.New(rand.NewPCG(c.seed, 5))
	m := diffusion.NewMLPField("img", dim, 32, c.imgWidth, 2, rng).WithSkip("img")
	show.Heading(w, fmt.Sprintf("The same recipe on %d×%d images of shapes (one point in %d dimensions)", side, side, dim))
	show.KV(w, "parameters", fmt.Sprint(nn.NumParams(m.Parameters())), "batch", fmt.Sprint(c.imgBatch), "steps", fmt.Sprint(c.imgSteps))
	err := train(w, m, c.imgSteps, c.imgBatch, 2e-3, rng, tdist, func() *tensor.Tensor {
		x, _ := diffusion.ShapeImages(rng, c.imgBatch, false)
		return x.Reshape(c.imgBatch, dim)
	})
	if err != nil {
		return err
	}

	const n = 32
	ev := rand.New(rand.NewPCG(c.seed, 6))
	noise := tensor.Randn(ev, 1, n, dim)
	var frames [][][]float32
	start := time.Now()
	x, calls := diffusion.Sample(m.Field(), noise, c.sampleSteps, solver, func(step int, _ float32, x *tensor.Tensor) {
		if step%max(c.sampleSteps/10, 1) == 0 || step == c.sampleSteps {
			frames = append(frames, split(x, 8, dim))
		}
	})
	el := time.Since(start)
	found, shapes := 0, make([]int, len(diffusion.ShapeNames))
	for _, im := range split(x, n, dim) {
		if r := diffusion.Check(im); r.Found {
			found++
			shapes[r.Shape]++
		}
	}
	show.KV(w, "samples", fmt.Sprint(n), "sampler", fmt.Sprintf("%v, %d steps, %d net calls", solver, c.sampleSteps, calls),
		"time per sample", fmt.Sprintf("%.1f ms", float64(el.Microseconds())/1000/n),
		"checker finds a shape in", fmt.Sprintf("%d/%d samples", found, n),
		"shapes read", fmt.Sprintf("%v %v", diffusion.ShapeNames, shapes))
	real, _ := diffusion.ShapeImages(ev, 8, false)
	grid := append(split(real, 8, dim), split(x, n, dim)...)
	path := filepath.Join(c.out, "images.png")
	if err := pic.WriteGrid(path, grid, side, side, 5, 8, 3); err != nil {
		return err
	}
	gifPath := filepath.Join(c.out, "images_sampling.gif")
	if err := pic.WriteGIF(gifPath, frames, side, side, 1, 8, 3, 20); err != nil {
		return err
	}
	fmt.Fprintf(w, "wrote %s (top row: training images; below: samples) and %s (sampling from t=1 to t=0)\n", path, gifPath)
	fmt.Fprintln(w, "an MLP sees the image as a flat vector: it must learn from scratch that neighbouring pixels belong together — chapter 35's transformer works on patches instead.")
	return nil
}

// xy splits the first n points of x [N, 2] into coordinates.
func xy(x *tensor.Tensor, n int) ([]float64, []float64) {
	xs, ys := make([]float64, n), make([]float64, n)
	for i := range xs {
		xs[i], ys[i] = float64(x.Data[2*i]), float64(x.Data[2*i+1])
	}
	return xs, ys
}

// split returns the first n rows of x [N, ...] as flat slices of length per.
func split(x *tensor.Tensor, n, per int) [][]float32 {
	out := make([][]float32, n)
	for i := range out {
		out[i] = x.Data[i*per : (i+1)*per]
	}
	return out
}
