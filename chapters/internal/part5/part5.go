// Package part5 holds what the chapters of Part 5 (34–38) share: a loss
// table logger for training loops, the split of an image batch into single
// images for pictures and the checker, and the prompt-adherence table.
package part5

import (
	"fmt"
	"io"
	"time"

	"transformers/chapters/internal/show"
	"transformers/diffusion"
	"transformers/tensor"
)

// LossLog collects the mean loss over each 1/rows of training.
type LossLog struct {
	every, n int
	sum      float64
	rows     [][]string
}

// NewLossLog logs steps in `rows` blocks.
func NewLossLog(steps, rows int) *LossLog { return &LossLog{every: max(steps/rows, 1)} }

// Add records one step; pass it to diffusion.Train as the log function.
func (l *LossLog) Add(step int, loss, lr float64) {
	l.sum += loss
	l.n++
	if (step+1)%l.every == 0 {
		l.rows = append(l.rows, []string{fmt.Sprint(step + 1), show.Num(l.sum/float64(l.n), 4), show.Num(lr, 5)})
		l.sum, l.n = 0, 0
	}
}

// Print writes the table and the timing line.
func (l *LossLog) Print(w io.Writer, st diffusion.TrainStats, batch int) {
	show.Table(w, []string{"step", "mean loss", "lr"}, l.rows)
	fmt.Fprintf(w, "time per step %s, %.0f training examples/s\n", Ms(st.PerStep()), float64(batch)/st.PerStep().Seconds())
}

// Ms formats a duration in milliseconds.
func Ms(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d.Microseconds())/1000) }

// Images returns the first n images of x [N, H, W, C] as flat slices.
func Images(x *tensor.Tensor, n int) [][]float32 {
	per := tensor.Numel(x.Shape[1:])
	out := make([][]float32, n)
	for i := range out {
		out[i] = x.Data[i*per : (i+1)*per]
	}
	return out
}

// Adherence checks images against the attributes they were asked for and
// returns the fraction correct per attribute (shape, colour, size, position)
// and for all four at once.
func Adherence(images [][]float32, want []diffusion.Attrs) (attr [4]float64, all float64) {
	for i, im := range images {
		ok, every := diffusion.Score(diffusion.Check(im), want[i])
		for j, b := range ok {
			if b {
				attr[j]++
			}
		}
		if every {
			all++
		}
	}
	n := float64(len(images))
	for j := range attr {
		attr[j] /= n
	}
	return attr, all / n
}

// Pct formats a fraction as a percentage.
func Pct(f float64) string { return fmt.Sprintf("%.0f%%", 100*f) }
