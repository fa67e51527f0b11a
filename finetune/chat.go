package finetune

import (
	"fmt"
	"strconv"
	"strings"

	"transformers/autograd"
	"transformers/gpt/tokenizer"
)

// Role says who speaks a turn.
type Role string

// The roles of a conversation.
const (
	RoleUser      Role = "user"
	RoleAssistant Role = "assistant"
)

// Turn is one message of a conversation.
type Turn struct {
	Role Role
	Text string
}

// Conversation returns the two-turn chat of an instruction and its reply.
func Conversation(prompt, reply string) []Turn {
	return []Turn{{RoleUser, prompt}, {RoleAssistant, reply}}
}

// Rendered is a conversation as token ids with a loss mask. Mask[i] is 1 when
// token i is one the model is trained to produce — the assistant's reply and
// the <|end|> that closes it, so the model learns to stop — and 0 for
// everything it only reads: <|bos|>, role tags, the user's turn and its
// <|end|>.
type Rendered struct {
	IDs  []int
	Mask []float32
}

// Render applies the chat template
//
//	<|bos|> { <|user|> text <|end|> | <|assistant|> text <|end|> }*
//
// with tok encoding each text as plain text (special-token strings inside a
// message stay ordinary text, so a user cannot forge a turn).
func Render(tok tokenizer.Tokenizer, turns []Turn) Rendered {
	r := Rendered{IDs: []int{tokenizer.BOSID}, Mask: []float32{0}}
	add := func(ids []int, m float32) {
		r.IDs = append(r.IDs, ids...)
		for range ids {
			r.Mask = append(r.Mask, m)
		}
	}
	for _, t := range turns {
		switch t.Role {
		case RoleUser:
			add([]int{tokenizer.UserID}, 0)
			add(tok.Encode(t.Text), 0)
			add([]int{tokenizer.EndID}, 0)
		case RoleAssistant:
			add([]int{tokenizer.AssistantID}, 0)
			add(tok.Encode(t.Text), 1)
			add([]int{tokenizer.EndID}, 1)
		default:
			panic(fmt.Sprintf("finetune.Render: unknown role %q", t.Role))
		}
	}
	return r
}

// Prompt renders a user turn and opens the assistant's turn, ready for
// generation: <|bos|><|user|>text<|end|><|assistant|>. The model's reply ends
// when it produces <|end|> (tokenizer.EndID).
func Prompt(tok tokenizer.Tokenizer, text string) []int {
	ids := Render(tok, []Turn{{RoleUser, text}}).IDs
	return append(ids, tokenizer.AssistantID)
}

// Trained returns the number of tokens the mask trains, Σ Mask.
func (r Rendered) Trained() int {
	n := 0
	for _, m := range r.Mask {
		if m != 0 {
			n++
		}
	}
	return n
}

// Table prints one line per token — position, id, mask and the token's text
// (quoted, so spaces and special tokens are visible) — in aligned columns:
//
//	pos   id  mask  token
//	  0    0     0  "<|bos|>"
func (r Rendered) Table(tok tokenizer.Tokenizer) string {
	wp, wi := len("pos"), len("id")
	for i, id := range r.IDs {
		wp = max(wp, len(strconv.Itoa(i)))
		wi = max(wi, len(strconv.Itoa(id)))
	}
	var sb strings.Builder
	fmt.Fprintf(&sb, "%*s  %*s  mask  token\n", wp, "pos", wi, "id")
	for i, id := range r.IDs {
		fmt.Fprintf(&sb, "%*d  %*d  %4d  %q\n", wp, i, wi, id, int(r.Mask[i]), tok.Token(id))
	}
	return sb.String()
}

// Batch is a set of rendered conversations laid out for next-token training:
// row b holds Inputs = IDs[:n−1] and Targets = IDs[1:] of its conversation,
// right-padded to T with tokenizer.PADID inputs and autograd.IgnoreIndex
// targets; Mask[b·T+t] is the rendered mask of the target token (0 on
// padding). Position t's logits predict Targets[b·T+t].
type Batch struct {
	Inputs  []int
	Targets []int
	Mask    []float32
	B, T    int
	Lengths []int // real (unpadded) input length of each row
}

// Collate builds a Batch from conversations. Each row is cut to at most maxLen
// input tokens (maxLen ≤ 0: no limit; a cut drops the end of the
// conversation); T is the longest row.
func Collate(rs []Rendered, maxLen int) Batch {
	bt := Batch{B: len(rs), Lengths: make([]int, len(rs))}
	for i, r := range rs {
		n := len(r.IDs) - 1
		if n < 1 {
			panic(fmt.Sprintf("finetune.Collate: conversation %d has %d tokens, need at least 2", i, len(r.IDs)))
		}
		if maxLen > 0 && n > maxLen {
			n = maxLen
		}
		bt.Lengths[i] = n
		bt.T = max(bt.T, n)
	}
	size := bt.B * bt.T
	bt.Inputs = make([]int, size)
	bt.Targets = make([]int, size)
	bt.Mask = make([]float32, size)
	for b, r := range rs {
		for t := range bt.T {
			k := b*bt.T + t
			if t < bt.Lengths[b] {
				bt.Inputs[k] = r.IDs[t]
				bt.Targets[k] = r.IDs[t+1]
				bt.Mask[k] = r.Mask[t+1]
			} else {
				bt.Inputs[k] = tokenizer.PADID
				bt.Targets[k] = autograd.IgnoreIndex
			}
		}
	}
	return bt
}

// Trained returns the number of target tokens the batch trains, Σ Mask.
func (bt Batch) Trained() int {
	n := 0
	for _, m := range bt.Mask {
		if m != 0 {
			n++
		}
	}
	return n
}

// TrainedTokens sums Trained over the micro-batches of one optimizer step:
// the denominator N of MaskedLoss.
func TrainedTokens(micro []Batch) int {
	n := 0
	for _, bt := range micro {
		n += bt.Trained()
	}
	return n
}

// MaskedLoss is the SFT loss of one micro-batch given its logits [B, T, V]:
//
//	L = (1/N) Σ_{b,t} m_{b,t} · (−log p(target_{b,t} | inputs_{b,≤t}))
//
// with N the number of trained tokens of the whole optimizer step
// (TrainedTokens over its micro-batches). Summing the gradients of the k
// micro-batches then gives exactly the gradient of the mean over all N
// tokens, however unevenly the tokens fall into micro-batches; dividing each
// micro-batch by its own count instead would weight a token of a short batch
// more than one of a long batch.
func MaskedLoss(g *autograd.Graph, logits *autograd.Var, bt Batch, n int) *autograd.Var {
	if n <= 0 {
		panic(fmt.Sprintf("finetune.MaskedLoss: %d trained tokens", n))
	}
	return g.CrossEntropyNorm(logits, bt.Targets, bt.Mask, float32(n))
}
