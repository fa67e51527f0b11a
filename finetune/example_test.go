package finetune_test

import (
	"fmt"
	"math/rand/v2"

	"transformers/autograd"
	"transformers/finetune"
	"transformers/gpt/corpus"
	"transformers/gpt/tokenizer"
	"transformers/tensor"
)

// A conversation rendered with the chat template: only the assistant's reply
// and its closing <|end|> are trained.
func ExampleRender() {
	tok := tokenizer.NewChar("Hi?ok")
	r := finetune.Render(tok, finetune.Conversation("Hi?", "ok"))
	fmt.Print(r.Table(tok))
	// Output:
	// pos   id  mask  token
	//   0    0     0  "<|bos|>"
	//   1    3     0  "<|user|>"
	//   2  265     0  "H"
	//   3  266     0  "i"
	//   4  264     0  "?"
	//   5    5     0  "<|end|>"
	//   6    4     0  "<|assistant|>"
	//   7  268     1  "o"
	//   8  267     1  "k"
	//   9    5     1  "<|end|>"
}

// The gold scorer grades any reply exactly: right and concise, right but
// rambling, or wrong.
func ExampleScorer_Grade() {
	w := corpus.NewWorld(1)
	ex := finetune.Instructions(w, 0, rand.New(rand.NewPCG(1, 1)))[0]
	s := finetune.Scorer{World: w}
	fmt.Println(ex.Prompt, "→", ex.Answer)
	for _, reply := range []string{ex.Answer, ex.Answer + ". I hope that helps.", w.Distractors(ex.QA)[0]} {
		fmt.Printf("%-30q %.1f\n", reply, s.Grade(ex, reply).Score)
	}
	// Output:
	// Where does Mia live? → Greenby
	// "Greenby"                      1.0
	// "Greenby. I hope that helps."  0.5
	// "Elmwood"                      0.0
}

// DPO starts at ln 2: the policy is the reference, so every margin is zero.
func ExampleDPOLoss() {
	logp := tensor.New([]float32{-12.5, -3.25}, 2)
	worse := tensor.New([]float32{-14, -9}, 2)
	g := autograd.New()
	loss := finetune.DPOLoss(g, autograd.Param("chosen", logp), autograd.Param("rejected", worse),
		autograd.Const(logp.Clone()), autograd.Const(worse.Clone()), 0.1)
	fmt.Printf("%.6f\n", loss.Value.Data[0])
	// Output:
	// 0.693147
}
