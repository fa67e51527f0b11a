package tokenizer

import (
	"container/heap"
	"fmt"
	"slices"
)

// BPE is a byte-level byte-pair-encoding tokenizer. Text is first cut into
// chunks (see Chunks); inside each chunk, starting from one token per byte,
// the learned merges are applied in the order they were learned (their rank):
// repeatedly, the adjacent pair with the lowest rank is replaced, at all its
// non-overlapping occurrences from left to right, by the merged token. Merges
// never cross chunk boundaries. Merge i creates id NumSpecial+256+i.
type BPE struct {
	merges [][2]int         // merges[i] = (left, right) ids
	ranks  map[uint64]int32 // pairKey(left, right) → i
	tokens []string         // id → bytes
}

func pairKey(a, b int) uint64 { return uint64(a)<<32 | uint64(uint32(b)) }

// MergeBase is the id of the first merged token.
const MergeBase = NumSpecial + 256

// NewBPE builds a tokenizer from a merge list, validating it: merge i may
// only combine byte tokens and tokens of earlier merges (ids in
// [ByteBase, MergeBase+i)), and no pair may appear twice.
func NewBPE(merges [][2]int) (*BPE, error) {
	t, err := newBPE(merges)
	if err != nil {
		return nil, fmt.Errorf("tokenizer: NewBPE: %w", err)
	}
	return t, nil
}

func newBPE(merges [][2]int) (*BPE, error) {
	t := &BPE{
		merges: slices.Clone(merges),
		ranks:  make(map[uint64]int32, len(merges)),
		tokens: make([]string, MergeBase, MergeBase+len(merges)),
	}
	copy(t.tokens, specials[:])
	for b := 0; b < 256; b++ {
		t.tokens[ByteBase+b] = string([]byte{byte(b)})
	}
	for i, m := range merges {
		for _, id := range m {
			if id < ByteBase || id >= MergeBase+i {
				return nil, fmt.Errorf("merge %d (%d, %d): id %d outside [%d, %d)", i, m[0], m[1], id, ByteBase, MergeBase+i)
			}
		}
		k := pairKey(m[0], m[1])
		if j, dup := t.ranks[k]; dup {
			return nil, fmt.Errorf("merge %d (%d, %d) repeats merge %d", i, m[0], m[1], j)
		}
		t.ranks[k] = int32(i)
		t.tokens = append(t.tokens, t.tokens[m[0]]+t.tokens[m[1]])
	}
	return t, nil
}

// Merges returns the learned merges in rank order (a fresh slice).
func (t *BPE) Merges() [][2]int { return slices.Clone(t.merges) }

// VocabSize returns NumSpecial + 256 + the number of merges.
func (t *BPE) VocabSize() int { return len(t.tokens) }

// Token returns the bytes of one id.
func (t *BPE) Token(id int) string {
	if id < 0 || id >= len(t.tokens) {
		panic(fmt.Sprintf("tokenizer: BPE.Token: id %d out of range [0, %d)", id, len(t.tokens)))
	}
	return t.tokens[id]
}

// Decode concatenates the tokens' bytes.
func (t *BPE) Decode(ids []int) string { return decode("BPE", ids, len(t.tokens), t.Token) }

// Encode cuts text into chunks and applies the merges by rank inside each.
// Repeated chunks are encoded once per call (a cache local to the call).
func (t *BPE) Encode(text string) []int {
	out := make([]int, 0, len(text)/3+1)
	cache := map[string][]int{}
	var buf []int
	for start := 0; start < len(text); {
		end := chunkEnd(text, start)
		chunk := text[start:end]
		start = end
		if len(chunk) == 1 {
			out = append(out, ByteBase+int(chunk[0]))
			continue
		}
		if ids, ok := cache[chunk]; ok {
			out = append(out, ids...)
			continue
		}
		buf = t.encodeChunk(chunk, buf[:0])
		cache[chunk] = slices.Clone(buf)
		out = append(out, buf...)
	}
	return out
}

// EncodeWithSpecials is Encode with special-token strings mapped to their ids.
func (t *BPE) EncodeWithSpecials(text string) []int { return encodeWithSpecials(text, t.Encode) }

// encodeChunk applies the merges to one chunk: while some adjacent pair has a
// rank, merge every non-overlapping occurrence (left to right) of the
// lowest-ranked pair. This reproduces training, which applied merges in the
// same order and the same way.
func (t *BPE) encodeChunk(chunk string, ids []int) []int {
	for i := 0; i < len(chunk); i++ {
		ids = append(ids, ByteBase+int(chunk[i]))
	}
	for len(ids) > 1 {
		best := int32(-1)
		for i := 0; i+1 < len(ids); i++ {
			if r, ok := t.ranks[pairKey(ids[i], ids[i+1])]; ok && (best < 0 || r < best) {
				best = r
			}
		}
		if best < 0 {
			break
		}
		ids = mergePair(ids, t.merges[best][0], t.merges[best][1], MergeBase+int(best))
	}
	return ids
}

// mergePair replaces, in place, each non-overlapping (a, b) from left to right
// by id and returns the shortened slice.
func mergePair[T int | int32](ids []T, a, b, id T) []T {
	w := 0
	for r := 0; r < len(ids); {
		if r+1 < len(ids) && ids[r] == a && ids[r+1] == b {
			ids[w] = id
			r += 2
		} else {
			ids[w] = ids[r]
			r++
		}
		w++
	}
	return ids[:w]
}

// Chunks cuts text into the pieces BPE merges never cross. The rule, applied
// from the left:
//
//   - a single space directly before a non-space byte belongs to the chunk
//     that follows it (so " cat" is one chunk, as in GPT-2);
//   - letters — ASCII letters and every byte ≥ 0x80, so multi-byte UTF-8
//     characters stay whole — form a chunk as a maximal run;
//   - every digit is a chunk of its own (numbers are spelt digit by digit,
//     which keeps arithmetic in Part 4 learnable);
//   - whitespace forms a maximal run, less a final space that attaches to
//     the next chunk;
//   - any other byte (punctuation) is a chunk of its own;
//   - a chunk of letters or whitespace ends after MaxChunk bytes.
//
// Concatenating the chunks gives back text exactly.
func Chunks(text string) []string {
	var out []string
	for start := 0; start < len(text); {
		end := chunkEnd(text, start)
		out = append(out, text[start:end])
		start = end
	}
	return out
}

func isLetter(c byte) bool { return c >= 0x80 || c|0x20 >= 'a' && c|0x20 <= 'z' }
func isDigit(c byte) bool  { return c >= '0' && c <= '9' }
func isSpace(c byte) bool  { return c == ' ' || c == '\n' || c == '\t' || c == '\r' }

// MaxChunk caps the length of a letter or whitespace run in Chunks, so that
// text without spaces (a long URL, Chinese) costs linear time to train on and
// encode. A letter run may run up to 3 bytes over it to finish a UTF-8
// character.
const MaxChunk = 32

func isContinuation(c byte) bool { return c&0xC0 == 0x80 }

// chunkEnd returns the end of the chunk that starts at i < len(text).
func chunkEnd(text string, i int) int {
	n, start := len(text), i
	if text[i] == ' ' && i+1 < n && !isSpace(text[i+1]) {
		i++
	}
	c := text[i]
	switch {
	case isLetter(c):
		for i++; i < n && isLetter(text[i]); i++ {
			if i-start >= MaxChunk && (!isContinuation(text[i]) || i-start >= MaxChunk+3) {
				break
			}
		}
		return i
	case isSpace(c):
		j := i + 1
		for j < n && isSpace(text[j]) && j-start < MaxChunk {
			j++
		}
		// Leave a final space for the next chunk when something follows it.
		if j < n && !isSpace(text[j]) && j-1 > i && text[j-1] == ' ' {
			j--
		}
		return j
	}
	return i + 1 // a digit or a punctuation byte
}

// TrainBPE learns merges from text until the vocabulary has vocabSize ids or
// no pair occurs at least twice (then the vocabulary is smaller; check
// VocabSize). vocabSize must be at least MergeBase (= NumSpecial + 256).
//
// Training works on the distinct chunks of text with their frequencies: the
// count of a pair is Σ freq(chunk) × occurrences in chunk. Each step merges
// the most frequent pair; ties are broken by the smallest (left, right) id
// pair, so training is deterministic. After a merge only the chunks that
// contained the pair are rewritten and only their pair counts updated; a heap
// with lazily discarded stale entries finds the next best pair.
func TrainBPE(text string, vocabSize int) (*BPE, error) {
	if vocabSize < MergeBase {
		return nil, fmt.Errorf("tokenizer: TrainBPE: vocabulary size %d below the minimum %d (specials + bytes)", vocabSize, MergeBase)
	}
	merges, _, _ := trainMerges(text, vocabSize-MergeBase)
	return newBPE(merges)
}

// trainMerges returns up to nMerges merges, the distinct chunks and each
// chunk's final segmentation (for tests: it must equal Encode's).
func trainMerges(text string, nMerges int) ([][2]int, []string, [][]int32) {
	freq := map[string]int{}
	for start := 0; start < len(text); {
		end := chunkEnd(text, start)
		freq[text[start:end]]++
		start = end
	}
	chunks := make([]string, 0, len(freq))
	for c := range freq {
		chunks = append(chunks, c)
	}
	slices.Sort(chunks)
	words := make([][]int32, len(chunks))
	counts := make([]int, len(chunks))
	pairs := map[uint64]int{}
	where := map[uint64][]int32{}
	for w, c := range chunks {
		counts[w] = freq[c]
		ids := make([]int32, len(c))
		for i := 0; i < len(c); i++ {
			ids[i] = int32(ByteBase) + int32(c[i])
		}
		words[w] = ids
		for i := 0; i+1 < len(ids); i++ {
			k := pairKey(int(ids[i]), int(ids[i+1]))
			pairs[k] += counts[w]
			if ws := where[k]; len(ws) == 0 || ws[len(ws)-1] != int32(w) {
				where[k] = append(ws, int32(w))
			}
		}
	}
	h := make(pairHeap, 0, len(pairs))
	for k, n := range pairs {
		h = append(h, pairEntry{n, k})
	}
	heap.Init(&h)

	var merges [][2]int
	stamp := make([]int, len(chunks)) // stamp[w] = merge number+1 that last rewrote w
	changed := map[uint64]bool{}
	for len(merges) < nMerges && h.Len() > 0 {
		e := heap.Pop(&h).(pairEntry)
		if pairs[e.key] != e.count {
			continue // stale
		}
		if e.count < 2 {
			break
		}
		a, b := int32(e.key>>32), int32(uint32(e.key))
		id := int32(MergeBase + len(merges))
		merges = append(merges, [2]int{int(a), int(b)})
		clear(changed)
		for _, w := range where[e.key] {
			if stamp[w] == len(merges) {
				continue
			}
			stamp[w] = len(merges)
			ids, f := words[w], counts[w]
			for i := 0; i+1 < len(ids); i++ {
				k := pairKey(int(ids[i]), int(ids[i+1]))
				pairs[k] -= f
				changed[k] = true
			}
			ids = mergePair(ids, a, b, id)
			words[w] = ids
			for i := 0; i+1 < len(ids); i++ {
				k := pairKey(int(ids[i]), int(ids[i+1]))
				pairs[k] += f
				changed[k] = true
				if ids[i] == id || ids[i+1] == id {
					if ws := where[k]; len(ws) == 0 || ws[len(ws)-1] != w {
						where[k] = append(ws, w)
					}
				}
			}
		}
		delete(where, e.key)
		for k := range changed {
			if n := pairs[k]; n > 0 {
				heap.Push(&h, pairEntry{n, k})
			} else {
				delete(pairs, k)
			}
		}
	}
	return merges, chunks, words
}

type pairEntry struct {
	count int
	key   uint64
}

// pairHeap is a max-heap by count, then min by key (the tie-break rule).
type pairHeap []pairEntry

func (h pairHeap) Len() int { return len(h) }
func (h pairHeap) Less(i, j int) bool {
	if h[i].count != h[j].count {
		return h[i].count > h[j].count
	}
	return h[i].key < h[j].key
}
func (h pairHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *pairHeap) Push(x any)   { *h = append(*h, x.(pairEntry)) }
func (h *pairHeap) Pop() any {
	old := *h
	e := old[len(old)-1]
	*h = old[:len(old)-1]
	return e
}

// Save writes the merges as JSON ({"type":"bpe","merges":[[a,b],...]}) atomically.
func (t *BPE) Save(path string) error {
	return save(path, fileFormat{Type: "bpe", Merges: t.merges})
}

// LoadBPE reads a tokenizer written by BPE.Save and validates its merges.
func LoadBPE(path string) (*BPE, error) {
	ff, err := readFile(path)
	if err != nil {
		return nil, err
	}
	if ff.Type != "bpe" {
		return nil, fmt.Errorf("tokenizer: %s: type %q, want \"bpe\"", path, ff.Type)
	}
	return bpeFromFile(path, ff)
}

func bpeFromFile(path string, ff fileFormat) (*BPE, error) {
	if ff.Runes != "" {
		return nil, fmt.Errorf("tokenizer: %s: a bpe tokenizer has no runes", path)
	}
	t, err := newBPE(ff.Merges)
	if err != nil {
		return nil, fmt.Errorf("tokenizer: %s: %w", path, err)
	}
	return t, nil
}
