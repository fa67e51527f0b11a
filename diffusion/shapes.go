package diffusion

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"

	"transformers/tensor"
)

// ImageSize is the side of the generated images: ImageSize × ImageSize RGB.
const ImageSize = 24

// Attribute vocabularies of the shapes data set. Every image shows one shape
// on a black background; its caption names all four attributes.
var (
	ShapeNames    = []string{"circle", "square", "triangle"}
	ColourNames   = []string{"red", "green", "blue", "yellow"}
	SizeNames     = []string{"small", "large"}
	PositionNames = []string{"top left", "top right", "bottom left", "bottom right"}
)

// palette holds each colour's RGB in [−1, 1].
var palette = [][3]float32{{0.9, -0.8, -0.8}, {-0.8, 0.8, -0.8}, {-0.7, -0.6, 0.9}, {0.9, 0.8, -0.8}}

// Attrs are the attributes of one image, as indices into the name lists.
type Attrs struct{ Shape, Colour, Size, Pos int }

// NumCombos is the number of distinct attribute combinations.
var NumCombos = len(ShapeNames) * len(ColourNames) * len(SizeNames) * len(PositionNames)

// Combo returns the i-th attribute combination (0 ≤ i < NumCombos).
func Combo(i int) Attrs {
	a := Attrs{}
	a.Pos, i = i%len(PositionNames), i/len(PositionNames)
	a.Size, i = i%len(SizeNames), i/len(SizeNames)
	a.Colour, i = i%len(ColourNames), i/len(ColourNames)
	a.Shape = i
	return a
}

// Caption is the attributes in words, e.g. "a small red circle at the top left".
func (a Attrs) Caption() string {
	return fmt.Sprintf("a %s %s %s at the %s", SizeNames[a.Size], ColourNames[a.Colour], ShapeNames[a.Shape], PositionNames[a.Pos])
}

// Class is the (shape, colour) pair as one label in [0, NumClasses).
func (a Attrs) Class() int { return a.Shape*len(ColourNames) + a.Colour }

// NumClasses is the number of (shape, colour) classes.
var NumClasses = len(ShapeNames) * len(ColourNames)

// ClassName names a class, e.g. "red circle".
func ClassName(c int) string {
	return ColourNames[c%len(ColourNames)] + " " + ShapeNames[c/len(ColourNames)]
}

// HeldOut reports whether a's (shape, colour) pair is kept out of training:
// blue circles, yellow squares and red triangles. Each held-out colour and
// shape still appears in other pairs, so a model that composes attributes can
// draw them.
func (a Attrs) HeldOut() bool {
	return (a.Shape == 0 && a.Colour == 2) || (a.Shape == 1 && a.Colour == 3) || (a.Shape == 2 && a.Colour == 0)
}

// RandomAttrs draws attributes uniformly among the seen (heldOut = false) or
// the held-out combinations.
func RandomAttrs(rng *rand.Rand, heldOut bool) Attrs {
	for {
		a := Combo(rng.IntN(NumCombos))
		if a.HeldOut() == heldOut {
			return a
		}
	}
}

// Render draws a onto a black ImageSize² image, returned as H·W·3 values
// (row-major, channels last) in [−1, 1]. The shape is centred in its quadrant
// with ±0.5 px jitter, radius 3.2 (small) or 4.8 (large) ±0.1, colour
// brightness ±10 %, and edges anti-aliased by 4×4 supersampling. Circle: all
// points within the radius; square: half-side 0.9·r; triangle: apex up,
// height 2r, base 2r.
func Render(a Attrs, rng *rand.Rand) []float32 {
	cx := 6 + 12*float64(a.Pos%2) + rng.Float64() - 0.5
	cy := 6 + 12*float64(a.Pos/2) + rng.Float64() - 0.5
	r := []float64{3.2, 4.8}[a.Size] + 0.2*(rng.Float64()-0.5)
	bright := float32(0.9 + 0.2*rng.Float64())
	inside := func(x, y float64) bool {
		dx, dy := x-cx, y-cy
		switch a.Shape {
		case 0:
			return dx*dx+dy*dy <= r*r
		case 1:
			return math.Abs(dx) <= 0.9*r && math.Abs(dy) <= 0.9*r
		default:
			if dy < -r || dy > r {
				return false
			}
			return math.Abs(dx) <= (dy+r)/2
		}
	}
	img := make([]float32, ImageSize*ImageSize*3)
	col := palette[a.Colour]
	for y := 0; y < ImageSize; y++ {
		for x := 0; x < ImageSize; x++ {
			cov := 0
			for sy := 0; sy < 4; sy++ {
				for sx := 0; sx < 4; sx++ {
					if inside(float64(x)+(float64(sx)+0.5)/4, float64(y)+(float64(sy)+0.5)/4) {
						cov++
					}
				}
			}
			f := float32(cov) / 16
			for ch := 0; ch < 3; ch++ {
				v := (col[ch] + 1) / 2 * bright // in [0, 1]
				img[(y*ImageSize+x)*3+ch] = 2*f*min(v, 1) - 1
			}
		}
	}
	return img
}

// ShapeImages draws n images [n, ImageSize, ImageSize, 3] with their
// attributes, from the seen combinations only (or only held-out ones).
func ShapeImages(rng *rand.Rand, n int, heldOut bool) (*tensor.Tensor, []Attrs) {
	x := tensor.Zeros(n, ImageSize, ImageSize, 3)
	attrs := make([]Attrs, n)
	per := ImageSize * ImageSize * 3
	for i := range attrs {
		attrs[i] = RandomAttrs(rng, heldOut)
		copy(x.Data[i*per:], Render(attrs[i], rng))
	}
	return x, attrs
}

// Caption of a reading names what was read ("nothing" if no shape was found).
func (r Reading) Caption() string {
	if !r.Found {
		return "nothing"
	}
	return r.Attrs.Caption()
}

// Reading is what Check reads from an image: the attributes (−1 where
// nothing could be read) and whether any shape was found.
type Reading struct {
	Attrs
	Found bool
}

// Check reads shape, colour, size and position back from any image (H·W·3
// values in [−1, 1], ImageSize²) by rules, no learning:
//
//   - foreground: pixels whose brightest channel is above the midpoint 0;
//     no shape is found (Found = false) if there are fewer than 4, if their
//     bounding box is wider or taller than a quadrant (ImageSize/2), or if they
//     fill less than 35 % of it (scattered noise, several blobs);
//   - colour: the palette colour nearest to the foreground's mean RGB;
//   - position: the quadrant of the foreground's centroid;
//   - size: large if the bounding box's longer side exceeds 7.5 pixels;
//   - shape: from the widths of the box's top and bottom rows as fractions of
//     its width: square if both are ≥ 0.85, triangle (apex up) if the bottom
//     is ≥ 0.9 and the top ≤ 0.4, else circle.
func Check(img []float32) Reading {
	if len(img) != ImageSize*ImageSize*3 {
		panic(fmt.Sprintf("diffusion.Check: image has %d values, want %d", len(img), ImageSize*ImageSize*3))
	}
	var n, sx, sy int
	var rgb [3]float64
	x0, y0, x1, y1 := ImageSize, ImageSize, -1, -1
	fg := make([]bool, ImageSize*ImageSize)
	for y := 0; y < ImageSize; y++ {
		for x := 0; x < ImageSize; x++ {
			p := img[(y*ImageSize+x)*3:]
			if max(p[0], p[1], p[2]) <= 0 {
				continue
			}
			fg[y*ImageSize+x] = true
			n++
			sx += x
			sy += y
			for c := range rgb {
				rgb[c] += float64(p[c])
			}
			x0, y0, x1, y1 = min(x0, x), min(y0, y), max(x1, x), max(y1, y)
		}
	}
	bw, bh := x1-x0+1, y1-y0+1
	if n < 4 || max(bw, bh) > ImageSize/2 || float64(n) < 0.35*float64(bw*bh) {
		return Reading{Attrs: Attrs{-1, -1, -1, -1}}
	}
	r := Reading{Found: true}
	best := math.Inf(1)
	for i, c := range palette {
		d := 0.0
		for ch := range rgb {
			e := rgb[ch]/float64(n) - float64(c[ch])
			d += e * e
		}
		if d < best {
			best, r.Colour = d, i
		}
	}
	mx, my := float64(sx)/float64(n), float64(sy)/float64(n)
	r.Pos = 0
	if mx >= ImageSize/2 {
		r.Pos++
	}
	if my >= ImageSize/2 {
		r.Pos += 2
	}
	if float64(max(bw, bh)) > 7.5 {
		r.Size = 1
	}
	// Row widths of the box's first and last rows tell the shapes apart: a
	// square is full at both, a triangle (apex up) narrow at the top and full
	// at the bottom, a circle narrow at both.
	rowWidth := func(y int) float64 {
		w := 0
		for x := x0; x <= x1; x++ {
			if fg[y*ImageSize+x] {
				w++
			}
		}
		return float64(w) / float64(bw)
	}
	wTop, wBot := rowWidth(y0), rowWidth(y1)
	switch {
	case min(wTop, wBot) >= 0.85:
		r.Shape = 1
	case wBot >= 0.9 && wTop <= 0.4:
		r.Shape = 2
	default:
		r.Shape = 0
	}
	return r
}

// Score compares a reading with the wanted attributes: one bool per
// attribute (shape, colour, size, position) and whether all four match.
func Score(r Reading, want Attrs) (attr [4]bool, all bool) {
	attr = [4]bool{r.Shape == want.Shape, r.Colour == want.Colour, r.Size == want.Size, r.Pos == want.Pos}
	return attr, r.Found && attr[0] && attr[1] && attr[2] && attr[3]
}

// AttributeNames are the column names of Score's four booleans.
var AttributeNames = []string{"shape", "colour", "size", "position"}

// ParseCaption reads a caption made by Caption back into attributes.
func ParseCaption(s string) (Attrs, error) {
	a := Attrs{-1, -1, -1, -1}
	find := func(names []string, dst *int) {
		for i, n := range names {
			if strings.Contains(s, " "+n) {
				*dst = i
			}
		}
	}
	find(ShapeNames, &a.Shape)
	find(ColourNames, &a.Colour)
	find(SizeNames, &a.Size)
	find(PositionNames, &a.Pos)
	if a.Shape < 0 || a.Colour < 0 || a.Size < 0 || a.Pos < 0 {
		return a, fmt.Errorf("caption %q does not name a shape, colour, size and position", s)
	}
	return a, nil
}
