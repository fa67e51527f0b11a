package corpus

import (
	"fmt"
	"strconv"
	"strings"
)

// Part names which part of a Fact a question asks for.
type Part int

// The parts of a fact a question can ask for.
const (
	AskSubject Part = iota // "Whose pet is Pip?" → the Subject
	AskObject              // "Where does Mia live?" → the Object
	AskValue               // "What colour is Mia's kite?" → the Value
)

// QA is a question about the world with its short gold answer. The stories
// state every answer (see the tests).
type QA struct {
	Question string
	Answer   string // canonical form: a name, town, colour, animal or number word
	Fact     Fact   // the fact asked about
	Asks     Part   // which part of Fact the answer is
}

// Questions lists every question the world can answer, person by person, in a
// fixed order, with several phrasings of each.
func Questions(w *World) []QA {
	var out []QA
	add := func(f Fact, asks Part, answer string, formats ...string) {
		for _, q := range formats {
			out = append(out, QA{Question: q, Answer: answer, Fact: f, Asks: asks})
		}
	}
	for _, p := range w.People {
		n := p.Name
		f := Fact{Rel: LivesIn, Subject: n, Object: p.Home}
		add(f, AskObject, p.Home,
			fmt.Sprintf("Where does %s live?", n),
			fmt.Sprintf("In which town does %s live?", n))
		for _, t := range p.Things {
			f := Fact{Rel: Owns, Subject: n, Object: t.Object, Value: t.Colour}
			add(f, AskValue, t.Colour,
				fmt.Sprintf("What colour is %s's %s?", n, t.Object),
				fmt.Sprintf("What colour was %s's %s?", n, t.Object))
		}
		f = Fact{Rel: HasPet, Subject: n, Object: p.Pet, Value: p.PetName}
		add(f, AskObject, p.Pet,
			fmt.Sprintf("What animal does %s have?", n),
			fmt.Sprintf("What kind of pet does %s have?", n))
		add(f, AskValue, p.PetName,
			fmt.Sprintf("What is the name of %s's %s?", n, p.Pet),
			fmt.Sprintf("What is %s's %s called?", n, p.Pet))
		add(f, AskSubject, n,
			fmt.Sprintf("Whose pet is %s?", p.PetName),
			fmt.Sprintf("Who has %s called %s?", A(p.Pet), p.PetName))
		f = Fact{Rel: Likes, Subject: n, Object: p.Likes}
		add(f, AskObject, p.Likes, fmt.Sprintf("Who does %s like?", n))
		f = Fact{Rel: HasCount, Subject: n, Object: p.Item, Value: strconv.Itoa(p.Count)}
		add(f, AskValue, NumberWord(p.Count), fmt.Sprintf("How many %s does %s have?", p.Item, n))
	}
	return out
}

// Answer returns the gold answer to a question phrased as in Questions.
func (w *World) Answer(question string) (string, bool) {
	question = strings.TrimSpace(question)
	for _, qa := range Questions(w) {
		if qa.Question == question {
			return qa.Answer, true
		}
	}
	return "", false
}

// Check is the gold scorer: it reports whether answer is right for question
// (phrased as in Questions). Answers are compared after normalising: case,
// surrounding space, a final '.' or '!', and a leading "a", "an" or "the"
// are ignored, and numbers may be digits or words ("4" = "four"). An unknown
// question is never answered right.
func (w *World) Check(question, answer string) bool {
	gold, ok := w.Answer(question)
	if !ok {
		return false
	}
	a, g := normalise(answer), normalise(gold)
	if a == g {
		return true
	}
	na, okA := ParseNumber(a)
	ng, okG := ParseNumber(g)
	return okA && okG && na == ng
}

func normalise(s string) string {
	s = strings.ToLower(strings.TrimSpace(s))
	s = strings.TrimRight(s, ".!")
	for _, article := range []string{"a ", "an ", "the "} {
		s = strings.TrimPrefix(s, article)
	}
	return strings.TrimSpace(s)
}

// Distractors returns the wrong answers of the same kind as qa's answer (other
// towns of the world, other colours, animals, pet names, people or counts),
// in a fixed order: material for rejected completions in preference pairs.
func (w *World) Distractors(qa QA) []string {
	var pool []string
	switch {
	case qa.Asks == AskSubject || qa.Fact.Rel == Likes:
		for _, p := range w.People {
			pool = append(pool, p.Name)
		}
	case qa.Fact.Rel == LivesIn:
		for _, t := range w.Towns {
			pool = append(pool, t.Name)
		}
	case qa.Fact.Rel == Owns:
		pool = colours
	case qa.Fact.Rel == HasPet && qa.Asks == AskObject:
		pool = animals
	case qa.Fact.Rel == HasPet:
		for _, p := range w.People {
			pool = append(pool, p.PetName)
		}
	case qa.Fact.Rel == HasCount:
		for n := MinCount; n <= MaxCount; n++ {
			pool = append(pool, NumberWord(n))
		}
	}
	var out []string
	for _, s := range pool {
		if s != qa.Answer && !(qa.Fact.Rel == Likes && s == qa.Fact.Subject) {
			out = append(out, s)
		}
	}
	return out
}
