package diffusion

import (
	"fmt"
	"math/rand/v2"
	"strings"

	"transformers/autograd"
	"transformers/nn"
)

// CaptionLen is the number of words in every caption ("a small red circle
// at the top left"); the empty caption is CaptionLen null tokens.
const CaptionLen = 8

// TextVocab is the word vocabulary of the captions; id 0 is the null token
// that fills the empty (dropped) caption.
var TextVocab = func() []string {
	v := []string{"<null>", "a", "at", "the", "top", "bottom", "left", "right"}
	v = append(v, SizeNames...)
	v = append(v, ColourNames...)
	return append(v, ShapeNames...)
}()

// Tokenize splits a caption into word ids, CaptionLen of them. The empty
// string is the null caption. Unknown words and wrong lengths are errors.
func Tokenize(caption string) ([]int, error) {
	ids := make([]int, CaptionLen)
	if caption == "" {
		return ids, nil
	}
	words := strings.Fields(caption)
	if len(words) != CaptionLen {
		return nil, fmt.Errorf("caption %q has %d words, want %d", caption, len(words), CaptionLen)
	}
	for i, wd := range words {
		ids[i] = -1
		for id, v := range TextVocab {
			if v == wd {
				ids[i] = id
			}
		}
		if ids[i] <= 0 {
			return nil, fmt.Errorf("caption %q: unknown word %q", caption, wd)
		}
	}
	return ids, nil
}

// TextEncoder is a small bidirectional transformer over caption tokens:
// word embedding + learned position, Depth pre-LN blocks
// (x += Attn(LN(x)); x += MLP(LN(x))), a final LayerNorm. It is trained
// together with the denoiser, which reads its output [B, CaptionLen, Dim]
// through cross-attention.
type TextEncoder struct {
	Dim, Heads int
	Tok        *nn.Embedding
	Pos        *autograd.Var // [CaptionLen, Dim]
	Blocks     []*encoderBlock
	Final      *nn.LayerNorm
}

type encoderBlock struct {
	LN1, LN2  *nn.LayerNorm
	QKV, Proj *nn.Linear
	MLP       *nn.MLP
}

// NewTextEncoder builds the encoder with N(0, 0.02²) weights.
func NewTextEncoder(name string, dim, depth, heads int, rng *rand.Rand) *TextEncoder {
	e := &TextEncoder{Dim: dim, Heads: heads,
		Tok:   nn.NewEmbedding(nn.Join(name, "tok"), len(TextVocab), dim, rng),
		Pos:   autograd.Param(nn.Join(name, "pos"), nn.Normal(rng, 0.02, CaptionLen, dim)),
		Final: nn.NewLayerNorm(nn.Join(name, "ln_f"), dim),
	}
	for i := 0; i < depth; i++ {
		p := nn.Join(name, fmt.Sprintf("blocks.%d", i))
		e.Blocks = append(e.Blocks, &encoderBlock{
			LN1:  nn.NewLayerNorm(nn.Join(p, "ln_1"), dim),
			LN2:  nn.NewLayerNorm(nn.Join(p, "ln_2"), dim),
			QKV:  nn.NewLinear(nn.Join(p, "attn.qkv"), dim, 3*dim, true, 0.02, rng),
			Proj: nn.NewLinear(nn.Join(p, "attn.proj"), dim, dim, true, 0.02, rng),
			MLP:  nn.NewMLP(nn.Join(p, "mlp"), dim, 4*dim, true, 0.02, rng),
		})
	}
	return e
}

// Forward encodes B captions given as B·CaptionLen token ids.
func (e *TextEncoder) Forward(g *autograd.Graph, ids []int) *autograd.Var {
	if len(ids)%CaptionLen != 0 {
		panic(fmt.Sprintf("diffusion.TextEncoder: %d ids is not a multiple of %d", len(ids), CaptionLen))
	}
	b := len(ids) / CaptionLen
	x := g.Add(e.Tok.Forward(g, ids, b, CaptionLen), e.Pos)
	for _, blk := range e.Blocks {
		qkv := g.Split(blk.QKV.Forward(g, blk.LN1.Forward(g, x)), 2, e.Dim, e.Dim, e.Dim)
		x = g.Add(x, blk.Proj.Forward(g, attend(g, qkv[0], qkv[1], qkv[2], e.Heads)))
		x = g.Add(x, blk.MLP.Forward(g, blk.LN2.Forward(g, x)))
	}
	return e.Final.Forward(g, x)
}

// Parameters lists every trainable parameter in a fixed order.
func (e *TextEncoder) Parameters() []*autograd.Var {
	ps := append(e.Tok.Parameters(), e.Pos)
	for _, b := range e.Blocks {
		ps = append(ps, b.LN1.Parameters()...)
		ps = append(ps, b.QKV.Parameters()...)
		ps = append(ps, b.Proj.Parameters()...)
		ps = append(ps, b.LN2.Parameters()...)
		ps = append(ps, b.MLP.Parameters()...)
	}
	return append(ps, e.Final.Parameters()...)
}

// TokenizeAll tokenizes captions, replacing each by the null caption with
// probability drop (rng may be nil when drop is 0).
func TokenizeAll(captions []string, drop float64, rng *rand.Rand) ([]int, error) {
	ids := make([]int, 0, len(captions)*CaptionLen)
	for _, c := range captions {
		if drop > 0 && rng.Float64() < drop {
			c = ""
		}
		t, err := Tokenize(c)
		if err != nil {
			return nil, err
		}
		ids = append(ids, t...)
	}
	return ids, nil
}

// TextCond turns encoded captions [B, L, Dim] into a DiT condition: the
// sequence for cross-attention and its mean over the words for adaLN.
func TextCond(g *autograd.Graph, ctx *autograd.Var) Cond {
	return Cond{Context: ctx, Pooled: g.Mean(ctx, 1, false)}
}

// Encode runs the encoder without gradients, for sampling, and returns the
// condition TextCond builds from it.
func (e *TextEncoder) Encode(captions []string) (Cond, error) {
	ids, err := TokenizeAll(captions, 0, nil)
	if err != nil {
		return Cond{}, err
	}
	g := autograd.NoGrad()
	return TextCond(g, e.Forward(g, ids)), nil
}

// AttributeWords lists, for each attribute in AttributeNames order (shape,
// colour, size, position), the word positions that name it in a caption
// "a SIZE COLOUR SHAPE at the VERTICAL HORIZONTAL".
var AttributeWords = [][]int{{3}, {2}, {1}, {6, 7}}

// DropAttributes replaces, in each caption of ids (B·CaptionLen token ids,
// changed in place), the words of each attribute by the null token with
// probability p, independently. Trained on such partial captions, one
// network also learns p(image | only some attributes), which composed
// guidance (Composed) needs.
func DropAttributes(ids []int, p float64, rng *rand.Rand) {
	for b := 0; b < len(ids)/CaptionLen; b++ {
		for _, words := range AttributeWords {
			if rng.Float64() < p {
				for _, k := range words {
					ids[b*CaptionLen+k] = 0
				}
			}
		}
	}
}

// KeepAttribute returns a copy of ids with every attribute's words but
// attribute attr's replaced by the null token: "a red circle …" becomes
// "a <null> red <null> at the <null> <null>" for attr = 1 (colour).
func KeepAttribute(ids []int, attr int) []int {
	out := append([]int(nil), ids...)
	for b := 0; b < len(ids)/CaptionLen; b++ {
		for j, words := range AttributeWords {
			if j != attr {
				for _, k := range words {
					out[b*CaptionLen+k] = 0
				}
			}
		}
	}
	return out
}

// EncodeIDs runs the encoder on token ids without gradients and returns the
// condition TextCond builds from it.
func (e *TextEncoder) EncodeIDs(ids []int) Cond {
	g := autograd.NoGrad()
	return TextCond(g, e.Forward(g, ids))
}

// NullAttribute returns a copy of ids with attribute attr's words replaced
// by the null token: "a small red circle …" becomes "a small red <null> …"
// for attr = 0 (shape).
func NullAttribute(ids []int, attr int) []int {
	out := append([]int(nil), ids...)
	for b := 0; b < len(ids)/CaptionLen; b++ {
		for _, k := range AttributeWords[attr] {
			out[b*CaptionLen+k] = 0
		}
	}
	return out
}
