package tokenizer_test

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"transformers/gpt/corpus"
	"transformers/gpt/tokenizer"
)

// randomWords is text with a large vocabulary (unlike the built-in corpus):
// Zipf-distributed pseudo-words, for training benchmarks closer to real text.
func randomWords(nBytes int) string {
	rng := rand.New(rand.NewPCG(1, 2))
	const letters = "etaoinshrdlucmfwypvbgkjqxz"
	words := make([]string, 50_000)
	for i := range words {
		n := 2 + rng.IntN(8)
		b := make([]byte, n)
		for k := range b {
			// Bias towards frequent letters.
			b[k] = letters[min(rng.IntN(len(letters)), rng.IntN(len(letters)))]
		}
		words[i] = string(b)
	}
	zipf := rand.NewZipf(rng, 1.1, 1, uint64(len(words)-1))
	var sb strings.Builder
	for sb.Len() < nBytes {
		sb.WriteString(words[zipf.Uint64()])
		if rng.IntN(12) == 0 {
			sb.WriteString(". ")
		} else {
			sb.WriteByte(' ')
		}
	}
	return sb.String()
}

func BenchmarkTrainBPE(b *testing.B) {
	for _, bc := range []struct {
		name string
		text string
	}{
		{"corpus1MB", corpus.Corpus(corpus.DefaultSeed, 1_000_000)},
		{"randomWords1MB", randomWords(1_000_000)},
	} {
		b.Run(bc.name+"/vocab1024", func(b *testing.B) {
			b.SetBytes(int64(len(bc.text)))
			for b.Loop() {
				if _, err := tokenizer.TrainBPE(bc.text, 1024); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkEncode(b *testing.B) {
	text := corpus.Corpus(corpus.DefaultSeed, corpus.DefaultBytes)
	words := randomWords(500_000)
	bpe, err := tokenizer.TrainBPE(text, 1024)
	if err != nil {
		b.Fatal(err)
	}
	bpeWords, err := tokenizer.TrainBPE(words, 1024)
	if err != nil {
		b.Fatal(err)
	}
	for _, bc := range []struct {
		name string
		tok  tokenizer.Tokenizer
		text string
	}{
		{"Char/corpus", tokenizer.NewChar(text), text},
		{"BPE/corpus", bpe, text},
		{"BPE/randomWords", bpeWords, words},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.SetBytes(int64(len(bc.text)))
			for b.Loop() {
				bc.tok.Encode(bc.text)
			}
		})
	}
}

func ExampleTrainBPE() {
	text := strings.Repeat("the cat sat on the mat. the cat ate. ", 20)
	tok, err := tokenizer.TrainBPE(text, tokenizer.MergeBase+16)
	if err != nil {
		panic(err)
	}
	ids := tok.Encode("the cat sat")
	for _, id := range ids {
		fmt.Printf("%d %q\n", id, tok.Token(id))
	}
	fmt.Println(tok.Decode(ids) == "the cat sat")
	// Output:
	// 266 "the"
	// 269 " cat"
	// 276 " sat"
	// true
}

func ExampleChar() {
	tok := tokenizer.NewChar("hello")
	ids := tok.EncodeWithSpecials("<|bos|>hole!")
	fmt.Println(ids, tok.VocabSize())
	fmt.Printf("%q\n", tok.Decode(ids))
	// Output:
	// [0 265 267 266 264 41] 268
	// "<|bos|>hole!"
}
