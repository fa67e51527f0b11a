package corpus

import (
	"fmt"
	"math/rand/v2"
	"strings"
)

// Word lists for the parts of a story that state no fact.
var (
	openers    = []string{"One day", "One morning", "One sunny afternoon", "Early one morning", "On a rainy day", "One evening", "Last summer", "One cold winter day", "On Sunday", "After lunch"}
	hidePlaces = []string{"under the bed", "behind the door", "in the garden", "by the gate", "in the shed", "under a tree", "in the kitchen", "on the roof"}
	activities = []string{"working in the garden", "baking bread", "painting a picture", "feeding the birds", "singing a song", "sweeping the floor", "reading by the window", "fixing a chair"}
	travel     = []string{"walked", "rode", "ran", "went"}
	sights     = []string{"by the road", "in a field", "near a bridge", "under a tree", "on a wall", "in the grass"}
	happy      = []string{"happy", "glad", "very happy", "so happy"}
	endings    = []string{"It was a good day.", "And that was that.", "The end.", "Everyone was happy.", "What a day it was!"}
)

// Story kinds, one generator each.
const (
	storyVisit = iota
	storyLost
	storyCount
	storyLikes
	storyTown
	storyMeet
	numStoryKinds
)

// teller builds one story sentence by sentence.
type teller struct {
	w     *World
	rng   *rand.Rand
	sents []string
}

func (t *teller) pick(opts []string) string { return opts[t.rng.IntN(len(opts))] }

func (t *teller) say(format string, args ...any) {
	s := fmt.Sprintf(format, args...)
	t.sents = append(t.sents, strings.ToUpper(s[:1])+s[1:])
}

func (t *teller) other(p *Person) *Person {
	for {
		q := &t.w.People[t.rng.IntN(len(t.w.People))]
		if q != p {
			return q
		}
	}
}

// friend returns the person p likes half the time, anyone else otherwise.
func (t *teller) friend(p *Person) *Person {
	if t.rng.IntN(2) == 0 {
		q, _ := t.w.Person(p.Likes)
		return q
	}
	return t.other(p)
}

func subj(p *Person) string {
	if p.Female {
		return "she"
	}
	return "he"
}

func obj(p *Person) string {
	if p.Female {
		return "her"
	}
	return "him"
}

func pos(p *Person) string {
	if p.Female {
		return "her"
	}
	return "his"
}

func (t *teller) thing(p *Person) Thing { return p.Things[t.rng.IntN(len(p.Things))] }

// Story tells one short story about the world, drawn with rng. Every fact it
// states (who lives where, who has what colour of object, whose pet is
// called what, who likes whom, who has how many items) is true in w.
func (w *World) Story(rng *rand.Rand) string {
	t := &teller{w: w, rng: rng}
	p := &w.People[rng.IntN(len(w.People))]
	switch rng.IntN(numStoryKinds) {
	case storyVisit:
		t.visit(p)
	case storyLost:
		t.lost(p)
	case storyCount:
		t.count(p)
	case storyLikes:
		t.likes(p)
	case storyTown:
		t.town(&w.Towns[rng.IntN(len(w.Towns))])
	case storyMeet:
		t.meet(p)
	}
	return strings.Join(t.sents, " ")
}

// Stories tells n stories drawn with rng.
func (w *World) Stories(rng *rand.Rand, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = w.Story(rng)
	}
	return out
}

func (t *teller) visit(p *Person) {
	q := t.friend(p)
	t.say("%s, %s went to see %s.", t.pick(openers), p.Name, q.Name)
	if p.Home != q.Home {
		t.say("%s lived in %s, and %s lived in %s.", p.Name, p.Home, q.Name, q.Home)
	} else {
		t.say("%s and %s both lived in %s.", p.Name, q.Name, p.Home)
	}
	th := t.thing(p)
	t.say("%s took %s %s %s with %s.", subj(p), pos(p), th.Colour, th.Object, obj(p))
	if p.Home != q.Home {
		t.say("%s %s all the way to %s.", subj(p), t.pick(travel), q.Home)
	} else {
		t.say("%s %s to %s's house.", subj(p), t.pick(travel), q.Name)
	}
	if t.rng.IntN(2) == 0 {
		t.say("on the way, %s saw %s %s.", subj(p), A(t.pick(animals)), t.pick(sights))
	}
	t.say("%s was %s when %s arrived.", q.Name, t.pick(activities), p.Name)
	t.say("\"Hello, %s!\" said %s.", q.Name, p.Name)
	if t.rng.IntN(2) == 0 {
		t.say("\"I like your %s %s,\" said %s.", th.Colour, th.Object, q.Name)
	}
	t.say("%s's %s, %s, came to say hello.", q.Name, q.Pet, q.PetName)
	if p.Likes == q.Name {
		t.say("%s liked %s very much.", p.Name, q.Name)
	}
	t.say("they played with the %s until the sun went down.", th.Object)
	t.say("in the evening, %s went home to %s.", p.Name, p.Home)
}

func (t *teller) lost(p *Person) {
	th := t.thing(p)
	t.say("%s had %s %s.", p.Name, A(th.Colour), th.Object)
	if t.rng.IntN(2) == 0 {
		t.say("%s loved it more than anything.", subj(p))
	} else {
		t.say("it was %s favourite thing.", pos(p))
	}
	t.say("%s, the %s was gone!", t.pick(openers), th.Object)
	a, b := t.rng.IntN(len(hidePlaces)), t.rng.IntN(len(hidePlaces)-1)
	if b >= a {
		b++
	}
	t.say("%s looked %s. %s looked %s.", p.Name, hidePlaces[a], strings.ToUpper(subj(p)[:1])+subj(p)[1:], hidePlaces[b])
	t.say("but the %s was not there.", th.Object)
	if t.rng.IntN(2) == 0 {
		t.say("then %s's %s, %s, ran in with something %s.", p.Name, p.Pet, p.PetName, th.Colour)
	} else {
		t.say("then %s, %s %s, ran in with something %s.", p.PetName, pos(p), p.Pet, th.Colour)
	}
	t.say("it was the %s %s!", th.Colour, th.Object)
	t.say("%s was %s. \"Good %s, %s!\" said %s.", p.Name, t.pick(happy), p.Pet, p.PetName, p.Name)
	t.say("%s", t.pick(endings))
}

func (t *teller) count(p *Person) {
	n := p.Count
	t.say("%s had %s %s.", p.Name, NumberWord(n), p.Item)
	nums := make([]string, n)
	for i := range nums {
		nums[i] = NumberWord(i + 1)
	}
	t.say("%s, %s put them on the table and counted them: %s.", t.pick(openers), subj(p), strings.Join(nums, ", "))
	t.say("\"I have %s %s,\" said %s.", NumberWord(n), p.Item, p.Name)
	q := t.friend(p)
	t.say("%s came to look.", q.Name)
	switch t.rng.IntN(3) {
	case 0:
		t.say("\"That is a lot of %s!\" said %s.", p.Item, q.Name)
	case 1:
		if n < MaxCount {
			t.say("\"With one more, you would have %s,\" said %s.", NumberWord(n+1), q.Name)
		} else {
			t.say("\"That is more than I have,\" said %s.", q.Name)
		}
	default:
		t.say("\"Can I count them too?\" asked %s.", q.Name)
	}
	t.say("%s", t.pick(endings))
}

func (t *teller) likes(p *Person) {
	q, _ := t.w.Person(p.Likes)
	t.say(t.pick([]string{"%s liked %s.", "%s liked %s a lot.", "%s liked %s more than anyone."}), p.Name, q.Name)
	t.say("%s, %s made %s card for %s.", t.pick(openers), p.Name, A(t.pick(colours)), q.Name)
	if t.rng.IntN(2) == 0 {
		t.say("%s lived in %s, a town %s.", q.Name, q.Home, townFeature(t.w, q.Home))
	}
	if p.Home != q.Home {
		t.say("%s %s to %s to give it to %s.", p.Name, t.pick(travel), q.Home, obj(q))
	} else {
		t.say("%s %s to %s's house to give it to %s.", p.Name, t.pick(travel), q.Name, obj(q))
	}
	t.say("%s smiled and said, \"Thank you, %s!\"", q.Name, p.Name)
	t.say("then they fed %s's %s, %s.", q.Name, q.Pet, q.PetName)
	t.say("%s", t.pick(endings))
}

func townFeature(w *World, name string) string {
	tw, _ := w.Town(name)
	return tw.Feature
}

func (t *teller) town(tw *Town) {
	t.say("%s was a small town %s.", tw.Name, tw.Feature)
	res := t.w.Residents(tw.Name)
	switch len(res) {
	case 1:
		t.say("only %s lived there.", res[0])
	default:
		t.say("%s and %s lived there.", strings.Join(res[:len(res)-1], ", "), res[len(res)-1])
	}
	for _, name := range res {
		if t.rng.IntN(3) == 0 {
			continue
		}
		p, _ := t.w.Person(name)
		switch t.rng.IntN(3) {
		case 0:
			t.say("%s had %s called %s.", p.Name, A(p.Pet), p.PetName)
		case 1:
			th := t.thing(p)
			t.say("%s had %s %s.", p.Name, A(th.Colour), th.Object)
		default:
			t.say("%s had %s %s.", p.Name, NumberWord(p.Count), p.Item)
		}
	}
	t.say(t.pick([]string{"everyone in %s knew everyone else.", "on market day, they all met in the square in %s."}), tw.Name)
}

func (t *teller) meet(p *Person) {
	q := t.friend(p)
	t.say("%s, %s and %s met at the market.", t.pick(openers), p.Name, q.Name)
	t.say("%s had %s %s with %s.", p.Name, pos(p), p.Pet, obj(p))
	t.say("\"What is your %s called?\" asked %s.", p.Pet, q.Name)
	t.say("\"%s,\" said %s.", p.PetName, p.Name)
	t.say("\"Where do you live?\" asked %s.", p.Name)
	t.say("\"I live in %s,\" said %s.", q.Home, q.Name)
	th := t.thing(q)
	t.say("\"What colour is your %s?\" asked %s.", th.Object, p.Name)
	t.say("\"It is %s,\" said %s.", th.Colour, q.Name)
	t.say("then they both went home.")
}
