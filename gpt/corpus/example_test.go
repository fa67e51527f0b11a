package corpus_test

import (
	"fmt"
	"math/rand/v2"

	"transformers/gpt/corpus"
)

func ExampleNewWorld() {
	w := corpus.NewWorld(1)
	for _, f := range w.Facts()[:7] {
		fmt.Println(f)
	}
	p, _ := w.Person("Mia")
	fmt.Println(p.Home, w.Residents(p.Home))
	// Output:
	// Mia lives in Greenby.
	// Mia has a blue ball.
	// Mia has a yellow lamp.
	// Mia has a pony called Pip.
	// Mia likes Lily.
	// Mia has two shells.
	// Ben lives in Greenby.
	// Greenby [Mia Ben]
}

func ExampleWorld_Story() {
	w := corpus.NewWorld(1)
	fmt.Println(w.Story(rand.New(rand.NewPCG(1, 2))))
	// Output:
	// Tom liked Iris more than anyone. One cold winter day, Tom made a green card for Iris. Iris lived in Elmwood, a town next to a lake. Tom rode to Elmwood to give it to her. Iris smiled and said, "Thank you, Tom!" Then they fed Iris's owl, Ziggy. The end.
}

func ExampleWorld_Check() {
	w := corpus.NewWorld(1)
	qa := corpus.Questions(w)[0]
	fmt.Println(qa.Question, qa.Answer)
	fmt.Println(w.Check(qa.Question, qa.Answer), w.Check(qa.Question, w.Distractors(qa)[0]))
	// Output:
	// Where does Mia live? Greenby
	// true false
}

func ExampleSplit() {
	text := corpus.Corpus(corpus.DefaultSeed, 20_000)
	train, val := corpus.Split(text, corpus.DefaultValFraction)
	fmt.Println(len(corpus.SplitStories(text)), len(corpus.SplitStories(train)), len(corpus.SplitStories(val)))
	// Output: 77 72 5
}

func ExampleUnigramEntropy() {
	// Four equally frequent tokens: ln 4 nats.
	fmt.Printf("%.4f\n", corpus.UnigramEntropy([]int{0, 1, 2, 3, 3, 2, 1, 0}, 4))
	// Output: 1.3863
}
