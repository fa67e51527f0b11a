// Package corpus makes the built-in training text: a small seeded world of
// people, towns, pets, objects and numbers, and short stories in simple
// English that state its facts again and again, with varied wording. A tiny
// model can visibly learn it in minutes — recurring names, consistent facts,
// sentence patterns — and because the world is known, later parts can ask
// questions about it (Questions) and grade answers exactly (World.Check).
//
// Text conventions: each story is one line of text; stories are separated by
// a blank line ("\n\n") and the whole text ends with "\n". A story never
// contains a newline, so SplitStories recovers them exactly. Trainers that
// want explicit document boundaries encode each story and append the
// tokenizer's <|eos|> id.
package corpus

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
)

// Pools the world draws from. Names, pet names, towns, objects and items are
// all distinct words, so every word in a story has one role.
var (
	femaleNames = []string{"Mia", "Ada", "Lily", "Nora", "Ruby", "Ella", "Zoe", "Ivy", "Rosa", "Lucy", "Anna", "Maya", "Iris", "Lena", "Cora", "Tess"}
	maleNames   = []string{"Tom", "Sam", "Ben", "Leo", "Max", "Jack", "Finn", "Owen", "Eli", "Hugo", "Noah", "Theo", "Luke", "Omar", "Adam", "Ravi"}
	townNames   = []string{"Ashford", "Brookdale", "Cliffton", "Dunmore", "Elmwood", "Fernhill", "Greenby", "Millbrook", "Oakridge", "Pinecrest", "Riverton", "Stonebridge"}
	features    = []string{"by the river", "near the sea", "on a hill", "in the woods", "next to a lake", "at the foot of the mountains", "in a green valley", "by an old mill"}
	colours     = []string{"red", "blue", "green", "yellow", "white", "black", "orange", "purple", "brown", "pink", "grey"}
	objects     = []string{"kite", "hat", "ball", "cup", "book", "bike", "boat", "drum", "lamp", "scarf", "bag", "coat"}
	animals     = []string{"cat", "dog", "goat", "rabbit", "duck", "horse", "hen", "owl", "mouse", "frog", "pig", "pony"}
	petNames    = []string{"Pip", "Rex", "Dot", "Fig", "Bo", "Nell", "Patch", "Sox", "Tuck", "Wren", "Pepper", "Biscuit", "Clover", "Rusty", "Minty", "Ziggy", "Bramble", "Toffee"}
	items       = []string{"apples", "pears", "plums", "eggs", "shells", "stamps", "marbles", "coins", "pebbles", "carrots", "cookies", "acorns"}
	numberWords = []string{"zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve"}
)

// World sizes.
const (
	NumPeople = 12 // people in a world
	NumTowns  = 5  // towns in a world
	NumThings = 2  // objects each person owns (of different kinds)
	MinCount  = 2  // smallest number of items a person has
	MaxCount  = 12 // largest number of items a person has
)

// Thing is an object a person owns, with its colour.
type Thing struct {
	Object string // "kite"
	Colour string // "red"
}

// Person is one character of the world with everything the stories say about
// them.
type Person struct {
	Name    string
	Female  bool    // pronouns she/her, else he/him/his
	Home    string  // the town they live in
	Things  []Thing // NumThings objects of different kinds
	Pet     string  // the kind of animal ("cat")
	PetName string  // its name ("Pip"), unique in the world
	Likes   string  // the name of another person
	Item    string  // a countable item ("apples")
	Count   int     // how many of Item they have, in [MinCount, MaxCount]
}

// Town is a place where people live.
type Town struct {
	Name    string
	Feature string // "by the river"
}

// World is a seeded set of people and towns. Its fields are read-only after
// NewWorld.
type World struct {
	Seed   uint64
	People []Person
	Towns  []Town
	byName map[string]int
}

// NewWorld draws a world from seed: NumPeople people with distinct names,
// NumTowns towns, and for each person a home, NumThings coloured objects, a
// named pet, a person they like and a number of items.
func NewWorld(seed uint64) *World {
	rng := rand.New(rand.NewPCG(seed, 0x776f726c64)) // "world"
	w := &World{Seed: seed, byName: map[string]int{}}
	for i, ti := range rng.Perm(len(townNames))[:NumTowns] {
		w.Towns = append(w.Towns, Town{Name: townNames[ti], Feature: features[(ti+i)%len(features)]})
	}
	// Half the people are women, half men, names drawn without replacement.
	fem := rng.Perm(len(femaleNames))
	mal := rng.Perm(len(maleNames))
	pets := rng.Perm(len(petNames))
	for i := 0; i < NumPeople; i++ {
		p := Person{Female: i%2 == 0}
		if p.Female {
			p.Name = femaleNames[fem[i/2]]
		} else {
			p.Name = maleNames[mal[i/2]]
		}
		// Every town gets at least one person; the rest are random.
		if i < NumTowns {
			p.Home = w.Towns[i].Name
		} else {
			p.Home = w.Towns[rng.IntN(NumTowns)].Name
		}
		for _, oi := range rng.Perm(len(objects))[:NumThings] {
			p.Things = append(p.Things, Thing{Object: objects[oi], Colour: colours[rng.IntN(len(colours))]})
		}
		p.Pet = animals[rng.IntN(len(animals))]
		p.PetName = petNames[pets[i]]
		p.Item = items[rng.IntN(len(items))]
		p.Count = MinCount + rng.IntN(MaxCount-MinCount+1)
		w.People = append(w.People, p)
	}
	// Shuffle so the sexes are not in alternating order, then index.
	rng.Shuffle(len(w.People), func(i, j int) { w.People[i], w.People[j] = w.People[j], w.People[i] })
	for i := range w.People {
		w.byName[w.People[i].Name] = i
		j := rng.IntN(NumPeople - 1)
		if j >= i {
			j++
		}
		w.People[i].Likes = w.People[j].Name
	}
	return w
}

// Person returns the person with the given name.
func (w *World) Person(name string) (*Person, bool) {
	i, ok := w.byName[name]
	if !ok {
		return nil, false
	}
	return &w.People[i], true
}

// Town returns the town with the given name.
func (w *World) Town(name string) (*Town, bool) {
	for i := range w.Towns {
		if w.Towns[i].Name == name {
			return &w.Towns[i], true
		}
	}
	return nil, false
}

// Residents returns the names of the people living in town, in world order.
func (w *World) Residents(town string) []string {
	var out []string
	for _, p := range w.People {
		if p.Home == town {
			out = append(out, p.Name)
		}
	}
	return out
}

// Relation names a kind of fact.
type Relation string

// The relations a Fact can have.
const (
	LivesIn  Relation = "lives in"  // Subject lives in town Object
	Owns     Relation = "owns"      // Subject owns an Object of colour Value
	HasPet   Relation = "has pet"   // Subject has an animal Object named Value
	Likes    Relation = "likes"     // Subject likes person Object
	HasCount Relation = "has count" // Subject has Value (a number) of item Object
)

// Fact is one statement about the world, e.g. {Owns, "Mia", "kite", "red"}.
type Fact struct {
	Rel     Relation
	Subject string
	Object  string
	Value   string // colour, pet name or number (digits); empty otherwise
}

// String renders the fact as a present-tense sentence.
func (f Fact) String() string {
	switch f.Rel {
	case LivesIn:
		return fmt.Sprintf("%s lives in %s.", f.Subject, f.Object)
	case Owns:
		return fmt.Sprintf("%s has %s %s.", f.Subject, A(f.Value), f.Object)
	case HasPet:
		return fmt.Sprintf("%s has %s called %s.", f.Subject, A(f.Object), f.Value)
	case Likes:
		return fmt.Sprintf("%s likes %s.", f.Subject, f.Object)
	case HasCount:
		v := f.Value
		if n, err := strconv.Atoi(v); err == nil {
			v = NumberWord(n)
		}
		return fmt.Sprintf("%s has %s %s.", f.Subject, v, f.Object)
	}
	return fmt.Sprintf("%s %s %s %s", f.Subject, f.Rel, f.Object, f.Value)
}

// Facts lists every fact of the world, person by person, in a fixed order.
func (w *World) Facts() []Fact {
	var out []Fact
	for _, p := range w.People {
		out = append(out, Fact{Rel: LivesIn, Subject: p.Name, Object: p.Home})
		for _, t := range p.Things {
			out = append(out, Fact{Rel: Owns, Subject: p.Name, Object: t.Object, Value: t.Colour})
		}
		out = append(out,
			Fact{Rel: HasPet, Subject: p.Name, Object: p.Pet, Value: p.PetName},
			Fact{Rel: Likes, Subject: p.Name, Object: p.Likes},
			Fact{Rel: HasCount, Subject: p.Name, Object: p.Item, Value: strconv.Itoa(p.Count)},
		)
	}
	return out
}

// Holds reports whether f is a fact of the world.
func (w *World) Holds(f Fact) bool { return slices.Contains(w.Facts(), f) }

// A prefixes word with its indefinite article: "an owl", "a cat".
func A(word string) string {
	if word != "" && strings.ContainsRune("aeiouAEIOU", rune(word[0])) {
		return "an " + word
	}
	return "a " + word
}

// NumberWord spells 0 ≤ n ≤ 12 in English ("four"), and other numbers in digits.
func NumberWord(n int) string {
	if n >= 0 && n < len(numberWords) {
		return numberWords[n]
	}
	return strconv.Itoa(n)
}

// ParseNumber reads a number written in digits or as a word ("4", "four").
func ParseNumber(s string) (int, bool) {
	if i := slices.Index(numberWords, s); i >= 0 {
		return i, true
	}
	n, err := strconv.Atoi(s)
	return n, err == nil
}
