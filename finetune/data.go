package finetune

import (
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"strings"

	"transformers/gpt/corpus"
)

// Task names the kind of an instruction.
type Task string

// The tasks of the instruction data.
const (
	TaskQuestion Task = "question" // a question about the world, answered by the stories (corpus.Questions)
	TaskReverse  Task = "reverse"  // spell a word of the world backwards
	TaskCount    Task = "count"    // count the words of a short list
)

// Example is one instruction with its gold answer: what the user says and the
// shortest correct reply.
type Example struct {
	Task   Task
	Prompt string // the user's turn
	Answer string // the canonical gold reply ("Riverton", "etik", "three")
	// Group decides the train/held-out side. Every question about one fact
	// shares a group — all phrasings, and every part asked ("What is Mia's
	// cat called?" and "Whose pet is Pip?") — so a held-out fact is never
	// seen in training, in either direction.
	Group string
	// QA is the corpus question behind a TaskQuestion (zero otherwise).
	QA corpus.QA
}

// Instructions makes the instruction data of world w: every question of
// corpus.Questions (several phrasings per fact), one reversal task per
// distinct word of the world (names, towns, objects, colours, animals, pet
// names), and nCount counting tasks whose lists of 2 to 6 world words are
// drawn from rng. The order is fixed for a given world and rng state.
func Instructions(w *corpus.World, nCount int, rng *rand.Rand) []Example {
	var out []Example
	for _, qa := range corpus.Questions(w) {
		out = append(out, Example{
			Task: TaskQuestion, Prompt: qa.Question, Answer: qa.Answer, QA: qa,
			Group: fmt.Sprintf("%s|%s|%s|%s", qa.Fact.Rel, qa.Fact.Subject, qa.Fact.Object, qa.Fact.Value),
		})
	}
	words := Words(w)
	for _, word := range words {
		out = append(out, Example{
			Task: TaskReverse, Prompt: fmt.Sprintf("Spell %s backwards.", word),
			Answer: Reverse(word), Group: "reverse|" + word,
		})
	}
	for range nCount {
		n := 2 + rng.IntN(5)
		list := make([]string, n)
		for i := range list {
			list[i] = words[rng.IntN(len(words))]
		}
		p := "Count the words: " + strings.Join(list, " ") + "."
		out = append(out, Example{Task: TaskCount, Prompt: p, Answer: corpus.NumberWord(n), Group: "count|" + p})
	}
	return out
}

// Words lists the distinct lower-case words of world w that tasks use: people
// and pet names, towns, objects, colours, animals and counted items, in first
// appearance order.
func Words(w *corpus.World) []string {
	seen := map[string]bool{}
	var out []string
	add := func(s string) {
		s = strings.ToLower(s)
		if s != "" && !strings.Contains(s, " ") && !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	for _, t := range w.Towns {
		add(t.Name)
	}
	for _, p := range w.People {
		add(p.Name)
		add(p.Pet)
		add(p.PetName)
		add(p.Item)
		for _, t := range p.Things {
			add(t.Object)
			add(t.Colour)
		}
	}
	return out
}

// Reverse returns s with its runes in reverse order.
func Reverse(s string) string {
	r := []rune(s)
	for i, j := 0, len(r)-1; i < j; i, j = i+1, j-1 {
		r[i], r[j] = r[j], r[i]
	}
	return string(r)
}

// Split divides examples into training and held-out sets by group: a group
// goes to held-out when the FNV-1a hash of its key, mod 10⁶, is below
// heldFraction·10⁶. The rule depends only on the group key, so the split is
// reproducible, the sides are disjoint, and all phrasings of a fact land on
// the same side. Order within each side is kept.
func Split(examples []Example, heldFraction float64) (train, held []Example) {
	for _, ex := range examples {
		if IsHeldOut(ex.Group, heldFraction) {
			held = append(held, ex)
		} else {
			train = append(train, ex)
		}
	}
	return train, held
}

// IsHeldOut reports whether a group key falls on the held-out side:
// FNV-1a(key) mod 10⁶ < heldFraction·10⁶.
func IsHeldOut(group string, heldFraction float64) bool {
	h := fnv.New64a()
	h.Write([]byte(group))
	return float64(h.Sum64()%1_000_000) < heldFraction*1e6
}

// Axis names what a preference pair teaches.
type Axis string

// The two preference axes.
const (
	AxisCorrect Axis = "correct" // chosen is right, rejected is a wrong answer of the same kind
	AxisConcise Axis = "concise" // both right; rejected rambles on after the answer
)

// Preference is a prompt with a chosen and a rejected reply. The gold scorer
// always grades Chosen strictly above Rejected.
type Preference struct {
	Example  Example
	Axis     Axis
	Chosen   string
	Rejected string
}

// fillers returns the sentences a rambling reply appends after its answer.
func fillers() []string {
	return []string{
		"I hope that helps you a lot.",
		"That is what I know about it, and I am quite sure of it.",
		"Let me know if you want to hear more about the town and the people.",
		"It is a good question and I like it very much.",
		"Many people ask me that, and I always give the same answer.",
	}
}

// Ramble returns the answer followed by k distinct filler sentences (k at
// most 5) drawn with rng: "Riverton. I hope that helps you a lot." — right,
// but not concise.
func Ramble(answer string, k int, rng *rand.Rand) string {
	parts := []string{answer + "."}
	fs := fillers()
	for _, i := range rng.Perm(len(fs))[:min(k, len(fs))] {
		parts = append(parts, fs[i])
	}
	return strings.Join(parts, " ")
}

// Wrong returns the wrong answers of the same kind as ex's answer, in a fixed
// order: corpus.World.Distractors for questions, the word unreversed and
// re-spelt for reversals, the neighbouring counts for counting.
func Wrong(w *corpus.World, ex Example) []string {
	var out []string
	switch ex.Task {
	case TaskQuestion:
		out = w.Distractors(ex.QA)
	case TaskReverse:
		word := Reverse(ex.Answer)
		for _, c := range []string{word, word[1:] + word[:1], Reverse(word[1:] + word[:1])} {
			if c != ex.Answer {
				out = append(out, c)
			}
		}
	case TaskCount:
		n, _ := corpus.ParseNumber(ex.Answer)
		for _, m := range []int{n - 1, n + 1, n + 2} {
			if m > 0 {
				out = append(out, corpus.NumberWord(m))
			}
		}
	}
	return out
}

// Preferences makes two pairs per example: on AxisCorrect the gold answer
// against a wrong answer of the same kind (drawn from Wrong with rng), and on
// AxisConcise the gold answer against the same answer followed by one to three
// filler sentences (Ramble).
func Preferences(w *corpus.World, examples []Example, rng *rand.Rand) []Preference {
	return PreferencesK(w, examples, 1, rng)
}

// PreferencesK is Preferences with k distinct wrong answers per example on
// AxisCorrect (as many as Wrong has, if fewer), each against the gold answer:
// more right-versus-wrong pairs per fact for the reward model to learn from,
// the wrong ones always plausible answers of the world of the same kind.
func PreferencesK(w *corpus.World, examples []Example, k int, rng *rand.Rand) []Preference {
	var out []Preference
	for _, ex := range examples {
		if wrong := Wrong(w, ex); len(wrong) > 0 {
			if k == 1 {
				out = append(out, Preference{Example: ex, Axis: AxisCorrect, Chosen: ex.Answer, Rejected: wrong[rng.IntN(len(wrong))]})
			} else {
				wrong = distinct(wrong) // a short word's re-spellings can repeat
				for _, i := range rng.Perm(len(wrong))[:min(k, len(wrong))] {
					out = append(out, Preference{Example: ex, Axis: AxisCorrect, Chosen: ex.Answer, Rejected: wrong[i]})
				}
			}
		}
		out = append(out, Preference{Example: ex, Axis: AxisConcise, Chosen: ex.Answer, Rejected: Ramble(ex.Answer, 1+rng.IntN(3), rng)})
	}
	return out
}

func distinct(xs []string) []string {
	var out []string
	seen := map[string]bool{}
	for _, x := range xs {
		if !seen[x] {
			seen[x] = true
			out = append(out, x)
		}
	}
	return out
}

// Grade is the gold scorer's verdict on one reply.
type Grade struct {
	Correct bool    // the reply's first sentence is the right answer
	Concise bool    // nothing follows the first sentence
	Extra   int     // bytes after the first sentence (trimmed)
	Score   float64 // 1 right and concise, 0.5 right but rambling, 0 wrong
}

// Scorer grades replies against the truth of its world.
type Scorer struct {
	World *corpus.World
}

// Grade grades a reply to ex. The reply is cut at the first ".", "!", "?" or
// newline into its answer and the rest; the answer is right when, after
// normalising case, space, a final full stop and a leading article, it equals
// the gold answer (numbers may be digits or words; questions use
// corpus.World.Check). Score = Correct·(1 if Concise else ½).
func (s Scorer) Grade(ex Example, reply string) Grade {
	reply = strings.TrimSpace(reply)
	head, rest := reply, ""
	if i := strings.IndexAny(reply, ".!?\n"); i >= 0 {
		head, rest = reply[:i+1], strings.TrimSpace(reply[i+1:])
	}
	var ok bool
	if ex.Task == TaskQuestion {
		ok = s.World.Check(ex.Prompt, head)
	} else {
		a, g := normalise(head), normalise(ex.Answer)
		ok = a != "" && a == g
		if !ok && ex.Task == TaskCount {
			na, okA := corpus.ParseNumber(a)
			ng, okG := corpus.ParseNumber(g)
			ok = okA && okG && na == ng
		}
	}
	gr := Grade{Correct: ok, Concise: rest == "", Extra: len(rest)}
	switch {
	case ok && gr.Concise:
		gr.Score = 1
	case ok:
		gr.Score = 0.5
	}
	return gr
}

func normalise(s string) string {
	s = strings.ToLower(strings.TrimSpace(s))
	s = strings.TrimRight(s, ".!?")
	for _, article := range []string{"a ", "an ", "the "} {
		s = strings.TrimPrefix(s, article)
	}
	return strings.TrimSpace(s)
}

// Summary aggregates grades: the fraction right, the fraction right and
// concise, and the mean score.
type Summary struct {
	N        int
	Accuracy float64 // fraction Correct
	Concise  float64 // fraction Correct and Concise
	Score    float64 // mean Score
}

// Summarise grades replies[i] against examples[i] and aggregates.
func (s Scorer) Summarise(examples []Example, replies []string) Summary {
	if len(examples) != len(replies) {
		panic(fmt.Sprintf("finetune.Summarise: %d examples but %d replies", len(examples), len(replies)))
	}
	var sum Summary
	sum.N = len(examples)
	for i, ex := range examples {
		g := s.Grade(ex, replies[i])
		if g.Correct {
			sum.Accuracy++
		}
		if g.Correct && g.Concise {
			sum.Concise++
		}
		sum.Score += g.Score
	}
	if sum.N > 0 {
		n := float64(sum.N)
		sum.Accuracy, sum.Concise, sum.Score = sum.Accuracy/n, sum.Concise/n, sum.Score/n
	}
	return sum
}

// LengthBiased returns a copy of prefs with every AxisConcise pair swapped,
// so the rambling reply is "chosen": a reward model trained on it has a known
// bias towards length, which PPO can exploit (reward hacking) while the gold
// score, which prefers concise replies, falls.
func LengthBiased(prefs []Preference) []Preference {
	out := make([]Preference, len(prefs))
	for i, p := range prefs {
		if p.Axis == AxisConcise {
			p.Chosen, p.Rejected = p.Rejected, p.Chosen
		}
		out[i] = p
	}
	return out
}

// Drills returns practice examples for the two skills that are algorithms
// rather than facts, to add to the training side only: nReverse reversals of
// made-up lower-case words (3 to 9 letters, none a word of the world, so no
// held-out reversal is ever shown) and nCount counting tasks over world
// words whose prompts differ from every prompt in avoid (the held-out set).
// Their groups start with "drill|".
func Drills(w *corpus.World, nReverse, nCount int, avoid []Example, rng *rand.Rand) []Example {
	skip := map[string]bool{}
	for _, e := range avoid {
		skip[e.Prompt] = true
	}
	for _, word := range Words(w) {
		skip["word|"+word] = true
	}
	var out []Example
	for len(out) < nReverse {
		b := make([]byte, 3+rng.IntN(7))
		for i := range b {
			b[i] = byte('a' + rng.IntN(26))
		}
		word := string(b)
		if skip["word|"+word] {
			continue
		}
		skip["word|"+word] = true
		out = append(out, Example{Task: TaskReverse, Prompt: fmt.Sprintf("Spell %s backwards.", word),
			Answer: Reverse(word), Group: "drill|reverse|" + word})
	}
	words := Words(w)
	for n := 0; n < nCount; {
		k := 2 + rng.IntN(5)
		list := make([]string, k)
		for i := range list {
			list[i] = words[rng.IntN(len(words))]
		}
		p := "Count the words: " + strings.Join(list, " ") + "."
		if skip[p] {
			continue
		}
		skip[p] = true
		out = append(out, Example{Task: TaskCount, Prompt: p, Answer: corpus.NumberWord(k), Group: "drill|count|" + p})
		n++
	}
	return out
}
