package plot_test

import (
	"fmt"
	"image/png"
	"log"
	"os"
	"path/filepath"

	"transformers/nn/plot"
)

// A loss curve: train and validation loss against step, written as a PNG.
func ExampleLineChart() {
	dir, err := os.MkdirTemp("", "plot-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)

	c := &plot.LineChart{Title: "Loss", XLabel: "step", YLabel: "loss", Width: 480, Height: 300}
	c.Add("train", []float64{0, 100, 200, 300}, []float64{4.2, 2.1, 1.6, 1.4})
	c.Add("validation", []float64{0, 100, 200, 300}, []float64{4.2, 2.3, 1.9, 1.8})
	path := filepath.Join(dir, "runs", "loss.png")
	if err := c.WritePNG(path); err != nil {
		log.Fatal(err)
	}

	f, err := os.Open(path)
	if err != nil {
		log.Fatal(err)
	}
	defer f.Close()
	cfg, err := png.DecodeConfig(f)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%dx%d PNG\n", cfg.Width, cfg.Height)
	// Output: 480x300 PNG
}
