package diffusion

import (
	"math/rand/v2"
	"strings"
	"testing"
)

// draw places ASCII art with its top-left corner at (ox, oy) on a black
// image: '.' stays black, any other rune is the given colour.
func draw(art string, ox, oy int, rgb [3]float32) []float32 {
	img := make([]float32, ImageSize*ImageSize*3)
	for i := range img {
		img[i] = -1
	}
	for y, l := range strings.Fields(art) {
		for x, ch := range l {
			if ch != '.' {
				copy(img[((oy+y)*ImageSize+ox+x)*3:], rgb[:])
			}
		}
	}
	return img
}

func TestCheckHandDrawn(t *testing.T) {
	red, green, blue, yellow := [3]float32{1, -1, -1}, [3]float32{-1, 1, -1}, [3]float32{-1, -1, 1}, [3]float32{1, 1, -1}
	for _, tc := range []struct {
		art    string
		ox, oy int
		rgb    [3]float32
		want   string
	}{
		{`
#########
#########
#########
#########
#########
#########
#########
#########
#########`, 2, 1, red, "a large red square at the top left"},
		{`
..###..
.#####.
#######
#######
#######
.#####.
..###..`, 15, 14, green, "a small green circle at the bottom right"},
		{`
....#....
....#....
...###...
...###...
..#####..
..#####..
.#######.
.#######.
#########
#########`, 13, 1, blue, "a large blue triangle at the top right"},
		{`
...####...
.########.
.########.
##########
##########
##########
##########
.########.
.########.
...####...`, 1, 13, yellow, "a large yellow circle at the bottom left"},
		{`
...#...
...#...
..###..
..###..
.#####.
#######`, 3, 3, red, "a small red triangle at the top left"},
		{`
######
######
######
######
######
######`, 15, 4, yellow, "a small yellow square at the top right"},
	} {
		r := Check(draw(tc.art, tc.ox, tc.oy, tc.rgb))
		if !r.Found || r.Caption() != tc.want {
			t.Errorf("read %q (found %v), want %q", r.Caption(), r.Found, tc.want)
		}
	}
	if r := Check(draw("", 0, 0, red)); r.Found {
		t.Errorf("blank image: found %q", r.Caption())
	}
	noise := make([]float32, ImageSize*ImageSize*3)
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range noise {
		noise[i] = float32(rng.NormFloat64())
	}
	if r := Check(noise); r.Found {
		t.Errorf("Gaussian noise: found %q", r.Caption())
	}
	if r := Check(draw("##", 5, 5, red)); r.Found {
		t.Errorf("two pixels: found %q", r.Caption())
	}
}

// Every rendered combination must be read back: the checker is only a
// metric if it is right on real data.
func TestCheckRendered(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 9))
	wrong := [4]int{}
	const reps = 40
	for i := 0; i < NumCombos; i++ {
		a := Combo(i)
		for k := 0; k < reps; k++ {
			r := Check(Render(a, rng))
			attr, _ := Score(r, a)
			for j, ok := range attr {
				if !ok {
					wrong[j]++
					if wrong[j] <= 3 {
						t.Logf("%q read as %q", a.Caption(), r.Caption())
					}
				}
			}
		}
	}
	for j, n := range wrong {
		rate := float64(n) / float64(NumCombos*reps)
		t.Logf("%s misread on %.2f%% of rendered images", AttributeNames[j], 100*rate)
		if rate > 0.02 {
			t.Errorf("%s misread on %.1f%% of rendered images", AttributeNames[j], 100*rate)
		}
	}
}

func TestCaptionsAndHeldOut(t *testing.T) {
	held := 0
	seen := map[string]bool{}
	for i := 0; i < NumCombos; i++ {
		a := Combo(i)
		c := a.Caption()
		if seen[c] {
			t.Fatalf("caption %q repeated", c)
		}
		seen[c] = true
		b, err := ParseCaption(c)
		if err != nil || b != a {
			t.Errorf("ParseCaption(%q) = %v, %v; want %v", c, b, err, a)
		}
		if a.HeldOut() {
			held++
		}
	}
	if held != NumCombos/4 {
		t.Errorf("%d held-out combinations, want a quarter (%d)", held, NumCombos/4)
	}
	if got := Combo(0).Caption(); got != "a small red circle at the top left" {
		t.Errorf("Combo(0) = %q", got)
	}
	rng := rand.New(rand.NewPCG(1, 1))
	_, attrs := ShapeImages(rng, 200, false)
	for _, a := range attrs {
		if a.HeldOut() {
			t.Fatalf("training set contains held-out %q", a.Caption())
		}
	}
	if _, err := ParseCaption("a purple hexagon"); err == nil {
		t.Error("ParseCaption accepted a bad caption")
	}
}
