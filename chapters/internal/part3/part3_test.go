package part3

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"

	"transformers/chapters/internal/part2"
	"transformers/chapters/internal/storybase"
)

func tinyConfig() Config {
	return Config{CorpusBytes: 20000, BaseSteps: 3, DModel: 16, Layers: 1, SFTSteps: 2, SFTLR: 1e-3, Held: 5, FromScratch: true}
}

// The base and SFT models are cached and reused only with the same settings.
func TestCache(t *testing.T) {
	out := filepath.Join(t.TempDir(), "20-sft")
	c := tinyConfig()
	wd := NewWorld(c, 1)
	if len(wd.Held) != 5 || len(wd.Train) == 0 {
		t.Fatalf("%d held-out, %d training examples", len(wd.Held), len(wd.Train))
	}
	var b bytes.Buffer
	base, err := Base(&b, c, wd, 1, out)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "pre-training") {
		t.Errorf("first call did not train:\n%s", b.String())
	}
	b.Reset()
	again, err := Base(&b, c, wd, 1, out)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "loaded") {
		t.Errorf("second call did not load:\n%s", b.String())
	}
	p, q := base.Parameters(), again.Parameters()
	for i := range p {
		if d := part2.MaxAbsDiff(p[i].Value.Data, q[i].Value.Data); d != 0 {
			t.Fatalf("%s differs by %v after the round trip", p[i].Name, d)
		}
	}
	b.Reset()
	c2 := c
	c2.BaseSteps = 4
	if _, err := Base(&b, c2, wd, 1, out); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "pre-training") {
		t.Errorf("other settings reused the cache:\n%s", b.String())
	}
	b.Reset()
	if _, log, err := SFT(&b, c, wd, base, 1, out, false); err != nil || len(log) != 2 {
		t.Fatalf("SFT: %d steps, %v", len(log), err)
	}
	sft, log, err := SFT(&b, c, wd, base, 1, out, false)
	if err != nil || len(log) != 0 {
		t.Errorf("second SFT: %d steps (want a load), %v", len(log), err)
	}
	rm, rlog, err := RewardModel(&b, c, wd, sft, 1, out, 2, false, false)
	if err != nil || len(rlog) != 2 {
		t.Fatalf("reward model: %d steps, %v", len(rlog), err)
	}
	rm2, rlog, err := RewardModel(&b, c, wd, sft, 1, out, 2, false, false)
	if err != nil || len(rlog) != 0 {
		t.Fatalf("second reward model: %d steps (want a load), %v", len(rlog), err)
	}
	p, q = rm.Parameters(), rm2.Parameters()
	for i := range p {
		if d := part2.MaxAbsDiff(p[i].Value.Data, q[i].Value.Data); d != 0 {
			t.Fatalf("reward model %s differs by %v after the round trip", p[i].Name, d)
		}
	}
	if _, rlog, _ := RewardModel(&b, c, wd, sft, 1, out, 2, true, false); len(rlog) != 2 {
		t.Errorf("the length-biased reward model reused the honest one's cache")
	}
}

func TestValidate(t *testing.T) {
	for _, c := range []Config{
		{CorpusBytes: 20000, BaseSteps: 0, DModel: 16, Layers: 1, SFTSteps: 1},
		{CorpusBytes: 20000, BaseSteps: 1, DModel: 18, Layers: 1, SFTSteps: 1},
		{CorpusBytes: 100, BaseSteps: 1, DModel: 16, Layers: 1, SFTSteps: 1},
		{CorpusBytes: 20000, BaseSteps: 1, DModel: 16, Layers: 1, SFTSteps: 1, Held: -1},
		{CorpusBytes: 20000, BaseSteps: 1, DModel: 16, Layers: 1, SFTSteps: 1, SFTLR: 0},
		{CorpusBytes: 20000, BaseSteps: 1, DModel: 16, Layers: 1, SFTSteps: 1, SFTLR: 1e-3, Drills: -1},
	} {
		if c.Validate() == nil {
			t.Errorf("%+v: no error", c)
		}
	}
	if err := tinyConfig().Validate(); err != nil {
		t.Error(err)
	}
}

// Without -from-scratch the chapters stand on the shipped story base,
// verified against its manifest; a corpus size it was not trained on is
// refused with the way out.
func TestShippedBase(t *testing.T) {
	r := storybase.Default()
	c := Config{CorpusBytes: r.CorpusBytes, BaseSteps: r.Steps, DModel: r.DModel, Layers: r.Layers, SFTSteps: 1, SFTLR: 1e-3, Held: 5}
	wd := NewWorld(c, 1)
	var b bytes.Buffer
	m, err := Base(&b, c, wd, 1, filepath.Join(t.TempDir(), "20-sft"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "sha256") || m.Config.DModel != r.DModel || m.Config.VocabSize != wd.Tok.VocabSize() {
		t.Errorf("shipped base: d_model %d vocab %d, printed:\n%s", m.Config.DModel, m.Config.VocabSize, b.String())
	}
	small := tinyConfig()
	small.FromScratch = false
	if _, err := Base(&b, small, NewWorld(small, 1), 1, t.TempDir()); err == nil || !strings.Contains(err.Error(), "-from-scratch") {
		t.Errorf("a 20000-byte corpus with the shipped base: %v", err)
	}
}
