package corpus

import (
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

func TestDeterminism(t *testing.T) {
	if !reflect.DeepEqual(NewWorld(4), NewWorld(4)) {
		t.Error("NewWorld(4) differs between calls")
	}
	if reflect.DeepEqual(NewWorld(4).People, NewWorld(5).People) {
		t.Error("NewWorld(4) and NewWorld(5) have the same people")
	}
	a, b := Corpus(4, 20_000), Corpus(4, 20_000)
	if a != b {
		t.Error("Corpus(4) differs between calls")
	}
	if c := Corpus(5, 20_000); c == a {
		t.Error("Corpus(4) and Corpus(5) are identical")
	}
	if len(a) < 20_000 || len(a) > 21_000 {
		t.Errorf("Corpus(4, 20000) has %d bytes", len(a))
	}
	if !strings.HasSuffix(a, "\n") || strings.Contains(a, "\n\n\n") || strings.HasPrefix(a, "\n") {
		t.Error("corpus breaks the blank-line convention")
	}
	w := NewWorld(4)
	if !slices.Equal(w.Stories(rand.New(rand.NewPCG(1, 1)), 5), w.Stories(rand.New(rand.NewPCG(1, 1)), 5)) {
		t.Error("Stories with equal generators differ")
	}
}

func TestWorldInvariants(t *testing.T) {
	for seed := uint64(0); seed < 20; seed++ {
		w := NewWorld(seed)
		if len(w.People) != NumPeople || len(w.Towns) != NumTowns {
			t.Fatalf("seed %d: %d people, %d towns", seed, len(w.People), len(w.Towns))
		}
		names, pets := map[string]bool{}, map[string]bool{}
		for _, p := range w.People {
			if names[p.Name] || pets[p.PetName] {
				t.Errorf("seed %d: repeated name %s or pet name %s", seed, p.Name, p.PetName)
			}
			names[p.Name], pets[p.PetName] = true, true
			if _, ok := w.Town(p.Home); !ok {
				t.Errorf("seed %d: %s lives in unknown town %q", seed, p.Name, p.Home)
			}
			if q, ok := w.Person(p.Likes); !ok || q.Name == p.Name {
				t.Errorf("seed %d: %s likes %q", seed, p.Name, p.Likes)
			}
			if len(p.Things) != NumThings || p.Things[0].Object == p.Things[1].Object {
				t.Errorf("seed %d: %s owns %v", seed, p.Name, p.Things)
			}
			if p.Count < MinCount || p.Count > MaxCount {
				t.Errorf("seed %d: %s has %d %s", seed, p.Name, p.Count, p.Item)
			}
		}
		for _, tw := range w.Towns {
			if len(w.Residents(tw.Name)) == 0 {
				t.Errorf("seed %d: nobody lives in %s", seed, tw.Name)
			}
		}
	}
}

// statedFacts parses back every fact-bearing sentence pattern of the stories.
// It returns the facts found and how often each pattern matched.
func statedFacts(t *testing.T, w *World, text string) (map[Fact]bool, map[string]int) {
	t.Helper()
	num := `(two|three|four|five|six|seven|eight|nine|ten|eleven|twelve)`
	col := "(" + strings.Join(colours, "|") + ")"
	patterns := []struct {
		name string
		re   *regexp.Regexp
		fact func(m []string) Fact
	}{
		{"lived in", regexp.MustCompile(`([A-Z][a-z]+) lived in ([A-Z][a-z]+)[.,]`),
			func(m []string) Fact { return Fact{Rel: LivesIn, Subject: m[1], Object: m[2]} }},
		{"went home to", regexp.MustCompile(`([A-Z][a-z]+) went home to ([A-Z][a-z]+)\.`),
			func(m []string) Fact { return Fact{Rel: LivesIn, Subject: m[1], Object: m[2]} }},
		{"I live in", regexp.MustCompile(`"I live in ([A-Z][a-z]+)," said ([A-Z][a-z]+)\.`),
			func(m []string) Fact { return Fact{Rel: LivesIn, Subject: m[2], Object: m[1]} }},
		{"had a colour object", regexp.MustCompile(`([A-Z][a-z]+) had an? ` + col + ` ([a-z]+)\.`),
			func(m []string) Fact { return Fact{Rel: Owns, Subject: m[1], Object: m[3], Value: m[2]} }},
		{"It is colour", regexp.MustCompile(`"What colour is your ([a-z]+)\?" asked [A-Z][a-z]+\. "It is ([a-z]+)," said ([A-Z][a-z]+)\.`),
			func(m []string) Fact { return Fact{Rel: Owns, Subject: m[3], Object: m[1], Value: m[2]} }},
		{"had a pet called", regexp.MustCompile(`([A-Z][a-z]+) had an? ([a-z]+) called ([A-Z][a-z]+)\.`),
			func(m []string) Fact { return Fact{Rel: HasPet, Subject: m[1], Object: m[2], Value: m[3]} }},
		{"'s pet, name", regexp.MustCompile(`([A-Z][a-z]+)'s ([a-z]+), ([A-Z][a-z]+)[,.]`),
			func(m []string) Fact { return Fact{Rel: HasPet, Subject: m[1], Object: m[2], Value: m[3]} }},
		{"pet called dialogue", regexp.MustCompile(`"What is your ([a-z]+) called\?" asked [A-Z][a-z]+\. "([A-Z][a-z]+)," said ([A-Z][a-z]+)\.`),
			func(m []string) Fact { return Fact{Rel: HasPet, Subject: m[3], Object: m[1], Value: m[2]} }},
		{"liked", regexp.MustCompile(`([A-Z][a-z]+) liked ([A-Z][a-z]+)`),
			func(m []string) Fact { return Fact{Rel: Likes, Subject: m[1], Object: m[2]} }},
		{"had n items", regexp.MustCompile(`([A-Z][a-z]+) had ` + num + ` ([a-z]+)\.`),
			func(m []string) Fact {
				n, _ := ParseNumber(m[2])
				return Fact{Rel: HasCount, Subject: m[1], Object: m[3], Value: strconv.Itoa(n)}
			}},
		{"I have n items", regexp.MustCompile(`"I have ` + num + ` ([a-z]+)," said ([A-Z][a-z]+)\.`),
			func(m []string) Fact {
				n, _ := ParseNumber(m[1])
				return Fact{Rel: HasCount, Subject: m[3], Object: m[2], Value: strconv.Itoa(n)}
			}},
	}
	found := map[Fact]bool{}
	hits := map[string]int{}
	for _, p := range patterns {
		for _, m := range p.re.FindAllStringSubmatch(text, -1) {
			hits[p.name]++
			f := p.fact(m)
			if !w.Holds(f) {
				t.Errorf("pattern %q: %q states %v, which is false in world %d", p.name, m[0], f, w.Seed)
			}
			found[f] = true
		}
	}
	return found, hits
}

// TestStoriesTellTheTruth parses back every fact the stories state and
// checks it against the world; also the town line, the counting and the
// pronouns.
func TestStoriesTellTheTruth(t *testing.T) {
	for _, seed := range []uint64{1, 2, 3} {
		w := NewWorld(seed)
		text := Corpus(seed, 100_000)
		_, hits := statedFacts(t, w, text)
		if len(hits) != 11 {
			t.Errorf("seed %d: only %d of 11 fact patterns occur: %v", seed, len(hits), hits)
		}
		// "<Town> was a small town <feature>. A, B and C lived there."
		townRe := regexp.MustCompile(`([A-Z][a-z]+) was a small town ([a-z ]+)\. (?:Only )?([A-Z][A-Za-z, ]*?) lived there\.`)
		ms := townRe.FindAllStringSubmatch(text, -1)
		if len(ms) == 0 {
			t.Errorf("seed %d: no town stories", seed)
		}
		for _, m := range ms {
			names := strings.FieldsFunc(strings.ReplaceAll(m[3], " and ", ","), func(r rune) bool { return r == ',' || r == ' ' })
			tw, ok := w.Town(m[1])
			if !ok || tw.Feature != m[2] || !slices.Equal(names, w.Residents(m[1])) {
				t.Errorf("seed %d: %q, but residents are %v", seed, m[0], w.Residents(m[1]))
			}
		}
		// Counting goes one, two, … up to the stated number.
		countRe := regexp.MustCompile(`([A-Z][a-z]+) had ([a-z]+) [a-z]+\. [^.]*counted them: ([a-z, ]+)\.`)
		for _, m := range countRe.FindAllStringSubmatch(text, -1) {
			n, _ := ParseNumber(m[2])
			var want []string
			for i := 1; i <= n; i++ {
				want = append(want, NumberWord(i))
			}
			if m[3] != strings.Join(want, ", ") {
				t.Errorf("seed %d: %q counts wrongly", seed, m[0])
			}
		}
		// "X had his/her <pet> with him/her." matches X's pronouns.
		pronRe := regexp.MustCompile(`([A-Z][a-z]+) had (his|her) [a-z]+ with (him|her)\.`)
		for _, m := range pronRe.FindAllStringSubmatch(text, -1) {
			p, _ := w.Person(m[1])
			if (m[2] == "her") != p.Female || (m[3] == "her") != p.Female {
				t.Errorf("seed %d: %q has the wrong pronouns", seed, m[0])
			}
		}
	}
}

// TestQuestionsAnsweredByCorpus: every fact a question asks about is stated
// in the default corpus, in a form the parser above recognises.
func TestQuestionsAnsweredByCorpus(t *testing.T) {
	w := NewWorld(DefaultSeed)
	found, _ := statedFacts(t, w, Corpus(DefaultSeed, DefaultBytes))
	qs := Questions(w)
	if len(qs) != NumPeople*(2+2*NumThings+6+1+1) {
		t.Errorf("%d questions", len(qs))
	}
	for _, qa := range qs {
		if !found[qa.Fact] {
			t.Errorf("%q: fact %v never stated in the corpus", qa.Question, qa.Fact)
		}
	}
}

func TestCheck(t *testing.T) {
	w := NewWorld(2)
	qs := Questions(w)
	for _, qa := range qs {
		if !w.Check(qa.Question, qa.Answer) {
			t.Errorf("gold answer %q to %q rejected", qa.Answer, qa.Question)
		}
		if !w.Check(" "+qa.Question+" ", strings.ToUpper(qa.Answer)+".") {
			t.Errorf("%q: upper-case answer with a full stop rejected", qa.Question)
		}
		ds := w.Distractors(qa)
		if len(ds) == 0 {
			t.Errorf("%q: no distractors", qa.Question)
		}
		for _, d := range ds {
			if w.Check(qa.Question, d) {
				t.Errorf("%q: wrong answer %q accepted", qa.Question, d)
			}
		}
	}
	p := w.People[0]
	tests := []struct {
		q, a string
		want bool
	}{
		{"How many " + p.Item + " does " + p.Name + " have?", strconv.Itoa(p.Count), true},
		{"How many " + p.Item + " does " + p.Name + " have?", strconv.Itoa(p.Count + 1), false},
		{"What animal does " + p.Name + " have?", "a " + p.Pet, true},
		{"What animal does " + p.Name + " have?", "the " + p.Pet + "!", true},
		{"What animal does " + p.Name + " have?", "", false},
		{"Where does " + p.Name + " live?", p.Home + " town", false},
		{"Where does Nobody live?", p.Home, false},
		{"What is the meaning of life?", "42", false},
	}
	for _, tt := range tests {
		if got := w.Check(tt.q, tt.a); got != tt.want {
			t.Errorf("Check(%q, %q) = %v, want %v", tt.q, tt.a, got, tt.want)
		}
	}
}

func TestSplit(t *testing.T) {
	text := Corpus(6, 60_000)
	all := SplitStories(text)
	train, val := Split(text, 0.1)
	train2, val2 := Split(text, 0.1)
	if train != train2 || val != val2 {
		t.Fatal("Split is not reproducible")
	}
	tr, va := SplitStories(train), SplitStories(val)
	if len(tr)+len(va) != len(all) {
		t.Fatalf("%d + %d stories, want %d", len(tr), len(va), len(all))
	}
	inTrain := map[string]bool{}
	for _, s := range tr {
		inTrain[s] = true
	}
	for _, s := range va {
		if inTrain[s] {
			t.Errorf("story in both splits: %q", s)
		}
	}
	if f := float64(len(va)) / float64(len(all)); f < 0.05 || f > 0.15 {
		t.Errorf("validation fraction %.3f, want about 0.1", f)
	}
	// Order within each side is the corpus order, so joining keeps it.
	merged := append(slices.Clone(tr), va...)
	slices.Sort(merged)
	sorted := slices.Clone(all)
	slices.Sort(sorted)
	if !slices.Equal(merged, sorted) {
		t.Error("the splits are not a partition of the stories")
	}
	if _, v := Split(text, 0); v != "" {
		t.Error("valFraction 0 gives validation text")
	}
	if tr, v := Split("a\n\nb\n\nc\n", 1e-9); v == "" || tr == "" {
		t.Errorf("tiny fraction on 3 stories: train %q, val %q", tr, v)
	}
}

// TestSplitSingleBlock: text without blank lines is cut once near the end.
func TestSplitSingleBlock(t *testing.T) {
	lines := strings.Repeat("0123456789\n", 10) // 110 bytes, 10 lines
	tests := []struct {
		in         string
		f          float64
		train, val string
	}{
		{lines, 0.1, lines[:99], lines[99:]},  // cut at 99, already a line start
		{lines, 0.15, lines[:99], lines[99:]}, // cut at 93, moved forward to 99
		{lines, 0.5, lines[:55], lines[55:]},  // cut at 55, a line start
		{"abcdefghij", 0.3, "abcdefg", "hij"}, // no newline: byte cut
		{"aaaaaaaé", 0.1, "aaaaaaa", "é"},     // cut at 8 inside é, moved back
		{lines, 0, lines, ""},
		{"", 0.5, "", ""},
	}
	for _, tt := range tests {
		tr, va := Split(tt.in, tt.f)
		if tr != tt.train || va != tt.val {
			t.Errorf("Split(%q, %v) = %q, %q; want %q, %q", tt.in, tt.f, tr, va, tt.train, tt.val)
		}
	}
}

func TestSplitStories(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"", nil},
		{"one\n", []string{"one"}},
		{"one\n\ntwo\n", []string{"one", "two"}},
		{"one\r\n\r\ntwo\n\n\n\nthree", []string{"one", "two", "three"}},
		{"line a\nline b\n\nnext", []string{"line a\nline b", "next"}},
	}
	for _, tt := range tests {
		if got := SplitStories(tt.in); !slices.Equal(got, tt.want) {
			t.Errorf("SplitStories(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	text := Corpus(1, 10_000)
	if got := strings.Join(SplitStories(text), "\n\n") + "\n"; got != text {
		t.Error("SplitStories does not recover the generated stories exactly")
	}
}

func TestLoadText(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name, content, wantErr string
	}{
		{"ok.txt", "héllo\nworld\n", ""},
		{"empty.txt", "", "empty"},
		{"bad.txt", "héllo\xffworld", "invalid UTF-8 at byte offset 6"},
		{"truncated.txt", "ab\xe2\x82", "invalid UTF-8 at byte offset 2"},
		{"surrogate.txt", "x\xed\xa0\x80", "invalid UTF-8 at byte offset 1"},
	}
	for _, tt := range tests {
		path := filepath.Join(dir, tt.name)
		if err := os.WriteFile(path, []byte(tt.content), 0o644); err != nil {
			t.Fatal(err)
		}
		got, err := LoadText(path)
		switch {
		case tt.wantErr == "" && (err != nil || got != tt.content):
			t.Errorf("%s: %q, %v", tt.name, got, err)
		case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr) || !strings.Contains(err.Error(), path)):
			t.Errorf("%s: error %v, want one naming the file and containing %q", tt.name, err, tt.wantErr)
		}
	}
	if _, err := LoadText(filepath.Join(dir, "missing.txt")); err == nil || !strings.Contains(err.Error(), "missing.txt") {
		t.Errorf("missing file: %v", err)
	}
}

func TestUnigramEntropy(t *testing.T) {
	tests := []struct {
		ids   []int
		vocab int
		want  float64
	}{
		{nil, 3, 0},
		{[]int{2, 2, 2}, 3, 0},
		{[]int{0, 1, 2, 3}, 4, math.Log(4)},
		{[]int{0, 0, 1, 1}, 10, math.Log(2)},
		{[]int{0, 0, 0, 1}, 2, -(0.75*math.Log(0.75) + 0.25*math.Log(0.25))},
	}
	for _, tt := range tests {
		if got := UnigramEntropy(tt.ids, tt.vocab); math.Abs(got-tt.want) > 1e-12 {
			t.Errorf("UnigramEntropy(%v) = %v, want %v", tt.ids, got, tt.want)
		}
	}
	if got := CharEntropy("aébé"); math.Abs(got-(-(0.5*math.Log(0.5) + 2*0.25*math.Log(0.25)))) > 1e-12 {
		t.Errorf("CharEntropy = %v", got)
	}
	defer func() {
		if r := recover(); r == nil {
			t.Error("id out of range did not panic")
		}
	}()
	UnigramEntropy([]int{3}, 3)
}

func TestMeasure(t *testing.T) {
	s := Measure("Mia had a cat.\n\nTom had a Cat!\n")
	want := Stats{Bytes: 31, Runes: 31, Stories: 2, Words: 8, DistinctWords: 5, CharEntropy: CharEntropy("Mia had a cat.\n\nTom had a Cat!\n")}
	if s != want {
		t.Errorf("Measure = %+v, want %+v", s, want)
	}
}
