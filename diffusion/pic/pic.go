// Package pic draws Part 5's image pictures with image/png and image/gif
// alone: grids of small RGB images stored channels-last in [−1, 1] (the
// diffusion package's layout), and animated GIFs of such grids. Charts and
// scatter plots with text live in nn/plot, whose atomic file writer this
// package uses.
package pic

import (
	"fmt"
	"image"
	"image/color"
	"image/color/palette"
	"image/draw"
	"image/gif"
	"image/png"
	"io"

	"transformers/nn/plot"
)

// Grid lays out images (each h×w×3 values in [−1, 1], row-major HWC) in
// rows×cols cells, each pixel drawn as scale×scale, with grey gaps of
// max(scale, 2) pixels.
func Grid(images [][]float32, h, w, rows, cols, scale int) *image.RGBA {
	gap := max(scale, 2)
	img := image.NewRGBA(image.Rect(0, 0, cols*(w*scale+gap)+gap, rows*(h*scale+gap)+gap))
	draw.Draw(img, img.Bounds(), image.NewUniform(color.RGBA{128, 128, 128, 255}), image.Point{}, draw.Src)
	for i, im := range images {
		if i >= rows*cols {
			break
		}
		if len(im) != h*w*3 {
			panic(fmt.Sprintf("pic.Grid: image %d has %d values, want %d×%d×3", i, len(im), h, w))
		}
		r, c := i/cols, i%cols
		ox, oy := gap+c*(w*scale+gap), gap+r*(h*scale+gap)
		for y := 0; y < h; y++ {
			for x := 0; x < w; x++ {
				k := (y*w + x) * 3
				col := color.RGBA{byte8(im[k]), byte8(im[k+1]), byte8(im[k+2]), 255}
				for dy := 0; dy < scale; dy++ {
					for dx := 0; dx < scale; dx++ {
						img.SetRGBA(ox+x*scale+dx, oy+y*scale+dy, col)
					}
				}
			}
		}
	}
	return img
}

func byte8(v float32) uint8 {
	u := (v + 1) / 2 * 255
	if u < 0 {
		return 0
	}
	if u > 255 {
		return 255
	}
	return uint8(u + 0.5)
}

// WriteGrid writes Grid(...) to a PNG file.
func WriteGrid(path string, images [][]float32, h, w, rows, cols, scale int) error {
	return writePNG(path, Grid(images, h, w, rows, cols, scale))
}

// WriteGIF writes frames (each a grid of images as for Grid) as an animated
// GIF, delay hundredths of a second per frame, holding the last frame longer.
func WriteGIF(path string, frames [][][]float32, h, w, rows, cols, scale, delay int) error {
	anim := &gif.GIF{}
	for i, f := range frames {
		rgba := Grid(f, h, w, rows, cols, scale)
		pal := image.NewPaletted(rgba.Bounds(), palette.Plan9)
		draw.Draw(pal, pal.Bounds(), rgba, image.Point{}, draw.Src)
		anim.Image = append(anim.Image, pal)
		d := delay
		if i == len(frames)-1 {
			d = 10 * delay
		}
		anim.Delay = append(anim.Delay, d)
	}
	return plot.WriteFile(path, func(w io.Writer) error { return gif.EncodeAll(w, anim) })
}

// writePNG writes img atomically through nn/plot's file writer.
func writePNG(path string, img image.Image) error {
	return plot.WriteFile(path, func(w io.Writer) error { return png.Encode(w, img) })
}
