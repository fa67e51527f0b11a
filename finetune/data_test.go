package finetune

import (
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"

	"transformers/gpt/corpus"
)

func rng(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, 7)) }

func TestInstructions(t *testing.T) {
	w := corpus.NewWorld(1)
	ex := Instructions(w, 30, rng(1))
	count := map[Task]int{}
	for _, e := range ex {
		count[e.Task]++
	}
	tests := []struct {
		task Task
		want int
	}{
		{TaskQuestion, len(corpus.Questions(w))},
		{TaskReverse, len(Words(w))},
		{TaskCount, 30},
	}
	for _, tc := range tests {
		if count[tc.task] != tc.want {
			t.Errorf("%s: %d examples, want %d", tc.task, count[tc.task], tc.want)
		}
	}
	if len(ex) != len(corpus.Questions(w))+len(Words(w))+30 {
		t.Errorf("%d examples in all", len(ex))
	}
	// Deterministic for a seed, different for another.
	if again := Instructions(w, 30, rng(1)); !reflect.DeepEqual(ex, again) {
		t.Error("same seed gave different instructions")
	}
	if other := Instructions(w, 30, rng(2)); reflect.DeepEqual(ex, other) {
		t.Error("different seeds gave the same counting tasks")
	}
	// Every gold answer earns full marks from the gold scorer, and the
	// counting tasks really count.
	s := Scorer{World: w}
	for _, e := range ex {
		if g := s.Grade(e, e.Answer); g.Score != 1 {
			t.Errorf("gold answer %q to %q graded %+v", e.Answer, e.Prompt, g)
		}
		if e.Task == TaskCount {
			list := strings.TrimSuffix(strings.TrimPrefix(e.Prompt, "Count the words: "), ".")
			if n, _ := corpus.ParseNumber(e.Answer); n != len(strings.Fields(list)) {
				t.Errorf("%q answered %q", e.Prompt, e.Answer)
			}
		}
	}
}

func TestWordsAndReverse(t *testing.T) {
	for _, tc := range []struct{ in, want string }{{"kite", "etik"}, {"", ""}, {"a", "a"}, {"héllo", "olléh"}} {
		if got := Reverse(tc.in); got != tc.want {
			t.Errorf("Reverse(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	w := corpus.NewWorld(1)
	seen := map[string]bool{}
	for _, word := range Words(w) {
		if seen[word] || word != strings.ToLower(word) || strings.ContainsAny(word, " ") {
			t.Errorf("bad or repeated word %q", word)
		}
		seen[word] = true
	}
	for _, p := range w.People {
		if !seen[strings.ToLower(p.Name)] || !seen[strings.ToLower(p.Home)] {
			t.Errorf("%s or %s missing from Words", p.Name, p.Home)
		}
	}
}

func TestSplit(t *testing.T) {
	w := corpus.NewWorld(1)
	ex := Instructions(w, 40, rng(3))
	for _, frac := range []float64{0, 0.2, 0.5, 1} {
		train, held := Split(ex, frac)
		if len(train)+len(held) != len(ex) {
			t.Fatalf("frac %g: %d + %d ≠ %d", frac, len(train), len(held), len(ex))
		}
		side := map[string]bool{}
		for _, e := range held {
			side[e.Group] = true
		}
		for _, e := range train {
			if side[e.Group] {
				t.Errorf("frac %g: group %q on both sides", frac, e.Group)
			}
		}
		switch frac {
		case 0:
			if len(held) != 0 {
				t.Errorf("frac 0 held out %d", len(held))
			}
		case 1:
			if len(train) != 0 {
				t.Errorf("frac 1 kept %d for training", len(train))
			}
		default:
			got := float64(len(held)) / float64(len(ex))
			if got < frac-0.1 || got > frac+0.1 {
				t.Errorf("frac %g: held-out share %.3f", frac, got)
			}
		}
		t2, h2 := Split(ex, frac)
		if !reflect.DeepEqual(train, t2) || !reflect.DeepEqual(held, h2) {
			t.Errorf("frac %g: split not reproducible", frac)
		}
	}
	// Both phrasings of "where does X live" share a group.
	qs := Instructions(w, 0, rng(0))
	if qs[0].Group != qs[1].Group || qs[0].Prompt == qs[1].Prompt {
		t.Errorf("phrasings %q and %q in groups %q, %q", qs[0].Prompt, qs[1].Prompt, qs[0].Group, qs[1].Group)
	}
}

func TestGrade(t *testing.T) {
	w := corpus.NewWorld(1)
	p := w.People[0]
	var wrongTown string
	for _, tw := range w.Towns {
		if tw.Name != p.Home {
			wrongTown = tw.Name
			break
		}
	}
	where := Example{Task: TaskQuestion, Prompt: "Where does " + p.Name + " live?", Answer: p.Home}
	rev := Example{Task: TaskReverse, Prompt: "Spell eggs backwards.", Answer: "sgge"}
	cnt := Example{Task: TaskCount, Prompt: "Count the words: a b c d e.", Answer: "five"}
	tests := []struct {
		name  string
		ex    Example
		reply string
		want  Grade
	}{
		{"exact", where, p.Home, Grade{Correct: true, Concise: true, Score: 1}},
		{"case and stop", where, " " + strings.ToLower(p.Home) + ". ", Grade{Correct: true, Concise: true, Score: 1}},
		{"article", where, "the " + p.Home, Grade{Correct: true, Concise: true, Score: 1}},
		{"rambling", where, p.Home + ". I hope that helps.", Grade{Correct: true, Extra: 18, Score: 0.5}},
		{"wrong", where, wrongTown, Grade{Concise: true}},
		{"wrong and rambling", where, wrongTown + ". Sure.", Grade{Extra: 5}},
		{"answer later", where, "I think. " + p.Home, Grade{Extra: len(p.Home)}},
		{"empty", where, "", Grade{Concise: true}},
		{"unknown question", Example{Task: TaskQuestion, Prompt: "Who?", Answer: "x"}, "x", Grade{Concise: true}},
		{"reverse", rev, "SGGE", Grade{Correct: true, Concise: true, Score: 1}},
		{"reverse unreversed", rev, "eggs", Grade{Concise: true}},
		{"reverse empty", Example{Task: TaskReverse, Answer: ""}, "", Grade{Concise: true}},
		{"count digits", cnt, "5", Grade{Correct: true, Concise: true, Score: 1}},
		{"count off by one", cnt, "four", Grade{Concise: true}},
		{"count newline", cnt, "five\nor six", Grade{Correct: true, Extra: 6, Score: 0.5}},
	}
	s := Scorer{World: w}
	for _, tc := range tests {
		if got := s.Grade(tc.ex, tc.reply); got != tc.want {
			t.Errorf("%s: Grade(%q) = %+v, want %+v", tc.name, tc.reply, got, tc.want)
		}
	}
	sum := s.Summarise([]Example{where, where, rev, cnt}, []string{p.Home, wrongTown, "sgge. ok", "5"})
	want := Summary{N: 4, Accuracy: 0.75, Concise: 0.5, Score: 2.5 / 4}
	if sum != want {
		t.Errorf("Summarise = %+v, want %+v", sum, want)
	}
}

func TestPreferences(t *testing.T) {
	w := corpus.NewWorld(2)
	ex := Instructions(w, 20, rng(4))
	prefs := Preferences(w, ex, rng(5))
	if len(prefs) != 2*len(ex) {
		t.Fatalf("%d pairs for %d examples, want two each", len(prefs), len(ex))
	}
	s := Scorer{World: w}
	axes := map[Axis]int{}
	for _, p := range prefs {
		axes[p.Axis]++
		c, r := s.Grade(p.Example, p.Chosen), s.Grade(p.Example, p.Rejected)
		if c.Score <= r.Score {
			t.Errorf("%s pair for %q: chosen %q (%v) not above rejected %q (%v)", p.Axis, p.Example.Prompt, p.Chosen, c.Score, p.Rejected, r.Score)
		}
		switch p.Axis {
		case AxisCorrect:
			if r.Correct || !r.Concise {
				t.Errorf("correctness pair rejected %q graded %+v, want wrong and concise", p.Rejected, r)
			}
		case AxisConcise:
			if !r.Correct || r.Concise || len(p.Rejected) <= len(p.Chosen) {
				t.Errorf("concision pair rejected %q graded %+v, want right and rambling", p.Rejected, r)
			}
		}
	}
	if axes[AxisCorrect] != len(ex) || axes[AxisConcise] != len(ex) {
		t.Errorf("axes %v", axes)
	}
	if !reflect.DeepEqual(prefs, Preferences(w, ex, rng(5))) {
		t.Error("preferences not reproducible")
	}
}

func TestWrongAndRamble(t *testing.T) {
	w := corpus.NewWorld(1)
	tests := []struct {
		ex   Example
		want []string
	}{
		{Example{Task: TaskReverse, Answer: "etik"}, []string{"kite", "itek", "keti"}},
		{Example{Task: TaskCount, Answer: "two"}, []string{"one", "three", "four"}},
		{Example{Task: TaskCount, Answer: "one"}, []string{"two", "three"}},
	}
	for _, tc := range tests {
		if got := Wrong(w, tc.ex); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("Wrong(%+v) = %q, want %q", tc.ex, got, tc.want)
		}
	}
	r := Ramble("blue", 3, rng(1))
	parts := strings.SplitAfter(r, ". ")
	if !strings.HasPrefix(r, "blue. ") || len(parts) < 4 {
		t.Errorf("Ramble = %q", r)
	}
	seen := map[string]bool{}
	for _, p := range parts[1:] {
		if seen[p] {
			t.Errorf("Ramble repeats %q", p)
		}
		seen[p] = true
	}
}

func TestLengthBiased(t *testing.T) {
	w := corpus.NewWorld(1)
	prefs := Preferences(w, Instructions(w, 5, rng(1)), rng(2))
	biased := LengthBiased(prefs)
	s := Scorer{World: w}
	for i, p := range biased {
		c, r := s.Grade(p.Example, p.Chosen), s.Grade(p.Example, p.Rejected)
		switch p.Axis {
		case AxisConcise:
			if p.Chosen != prefs[i].Rejected || len(p.Chosen) <= len(p.Rejected) || c.Score >= r.Score {
				t.Errorf("concise pair not flipped: %+v", p)
			}
		case AxisCorrect:
			if p != prefs[i] {
				t.Errorf("correctness pair changed: %+v", p)
			}
		}
	}
	if prefs[1].Axis != AxisConcise || prefs[1].Chosen != prefs[1].Example.Answer {
		t.Errorf("LengthBiased changed its input: %+v", prefs[1])
	}
}

func TestSplitKeepsFactsTogether(t *testing.T) {
	w := corpus.NewWorld(3)
	train, held := Split(Instructions(w, 0, rng(1)), 0.3)
	inTrain := map[corpus.Fact]bool{}
	for _, e := range train {
		if e.Task == TaskQuestion {
			inTrain[e.QA.Fact] = true
		}
	}
	facts := 0
	for _, e := range held {
		if e.Task == TaskQuestion {
			facts++
			if inTrain[e.QA.Fact] {
				t.Errorf("held-out question %q asks about a trained fact %v", e.Prompt, e.QA.Fact)
			}
		}
	}
	if facts == 0 {
		t.Error("no question held out")
	}
}

func TestDrillsNeverShowAHeldOutPrompt(t *testing.T) {
	w := corpus.NewWorld(corpus.DefaultSeed)
	_, held := Split(Instructions(w, 80, rng(1)), 0.2)
	ds := Drills(w, 300, 600, held, rng(2))
	if len(ds) != 900 {
		t.Fatalf("%d drills, want 900", len(ds))
	}
	words := map[string]bool{}
	for _, wd := range Words(w) {
		words[wd] = true
	}
	heldPrompts := map[string]bool{}
	for _, e := range held {
		heldPrompts[e.Prompt] = true
	}
	seen := map[string]bool{}
	for _, d := range ds {
		if heldPrompts[d.Prompt] || seen[d.Prompt] {
			t.Errorf("drill %q repeats a held-out or earlier prompt", d.Prompt)
		}
		seen[d.Prompt] = true
		if d.Task == TaskReverse && words[Reverse(d.Answer)] {
			t.Errorf("reversal drill %q uses a world word", d.Prompt)
		}
		if g := (Scorer{World: w}).Grade(d, d.Answer); !g.Correct {
			t.Errorf("drill %q: its own answer %q is graded wrong", d.Prompt, d.Answer)
		}
	}
}

// PreferencesK pairs each example's gold answer against k distinct wrong
// answers of the same kind, and k = 1 is Preferences itself.
func TestPreferencesK(t *testing.T) {
	w := corpus.NewWorld(1)
	exs := Instructions(w, 5, rng(1))
	if a, b := Preferences(w, exs, rng(2)), PreferencesK(w, exs, 1, rng(2)); !reflect.DeepEqual(a, b) {
		t.Error("PreferencesK(1) differs from Preferences")
	}
	s := Scorer{World: w}
	seen := map[string]int{}
	for _, p := range PreferencesK(w, exs, 3, rng(2)) {
		if p.Axis != AxisCorrect {
			continue
		}
		key := p.Example.Prompt + "|" + p.Rejected
		seen[key]++
		if seen[key] > 1 || s.Grade(p.Example, p.Rejected).Correct || !s.Grade(p.Example, p.Chosen).Correct {
			t.Errorf("%q: rejected %q repeated or right", p.Example.Prompt, p.Rejected)
		}
	}
	per := map[string]int{}
	for k := range seen {
		per[k[:strings.Index(k, "|")]]++
	}
	for _, e := range exs {
		if want := min(3, len(distinct(Wrong(w, e)))); per[e.Prompt] != want {
			t.Errorf("%q: %d wrong answers, want %d", e.Prompt, per[e.Prompt], want)
		}
	}
}
