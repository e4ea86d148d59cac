package evals

import (
	"strings"

	"github.com/medscribe/medscribe/visit"
)

// Grounding counts what a record asserts without pointing at the transcript. Every note
// sentence and every item is supposed to carry evidence; the rate of those that do not is a
// safety figure (lower is better).
type Grounding struct {
	Sentences           int `json:"sentences"`
	UngroundedSentences int `json:"ungrounded_sentences"`
	Items               int `json:"items"`
	UngroundedItems     int `json:"ungrounded_items"`
	// InvalidEvidence counts evidence spans that do not match the transcript (wrong turn,
	// offsets out of range, quote differing from the turn text).
	InvalidEvidence int `json:"invalid_evidence"`
}

func (g *Grounding) merge(o Grounding) {
	g.Sentences += o.Sentences
	g.UngroundedSentences += o.UngroundedSentences
	g.Items += o.Items
	g.UngroundedItems += o.UngroundedItems
	g.InvalidEvidence += o.InvalidEvidence
}

// SentenceRate is the share of note sentences without evidence (0 when there are none).
func (g Grounding) SentenceRate() float64 { return ratio(g.UngroundedSentences, g.Sentences) }

// ItemRate is the share of extracted items without evidence.
func (g Grounding) ItemRate() float64 { return ratio(g.UngroundedItems, g.Items) }

func ratio(a, b int) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

// validEvidence checks one span against the transcript: the turn exists, the byte offsets are
// in range and the quote equals the text they cover.
func validEvidence(tr visit.Transcript, ev visit.Evidence) bool {
	if ev.Turn < 0 || ev.Turn >= len(tr.Turns) {
		return false
	}
	t := tr.Turns[ev.Turn].Text
	return ev.Start >= 0 && ev.End <= len(t) && ev.Start <= ev.End && t[ev.Start:ev.End] == ev.Quote
}

// ScoreGrounding measures a record's grounding.
func ScoreGrounding(rec *visit.Record) Grounding {
	var g Grounding
	check := func(evs []visit.Evidence) bool {
		ok := false
		for _, ev := range evs {
			if validEvidence(rec.Transcript, ev) {
				ok = true
			} else {
				g.InvalidEvidence++
			}
		}
		return ok
	}
	for _, sec := range rec.Note.Sections {
		for _, s := range sec.Sentences {
			g.Sentences++
			if !check(s.Evidence) {
				g.UngroundedSentences++
			}
		}
	}
	item := func(evs []visit.Evidence) {
		g.Items++
		if !check(evs) {
			g.UngroundedItems++
		}
	}
	for _, x := range rec.Problems {
		item(x.Evidence)
	}
	for _, x := range rec.Medications {
		item(x.Evidence)
	}
	for _, x := range rec.Orders {
		item(x.Evidence)
	}
	for _, x := range rec.Allergies {
		item(x.Evidence)
	}
	for _, x := range rec.Findings {
		item(x.Evidence)
	}
	return g
}

// Omissions counts gold medications, problems and orders the note never mentions: a gold item
// counts as mentioned when its normalized name (or, with a TermNormalizer, any surface form
// that maps to the same canonical key among the note's n-grams up to 4 words) occurs in the
// normalized note text. It is a recall-of-facts measure for the note, independent of ROUGE.
type Omissions struct {
	GoldItems int        `json:"gold_items"`
	Omitted   int        `json:"omitted"`
	Items     []ItemMiss `json:"items,omitempty"`
}

// Rate is the share of gold items the note omits.
func (o Omissions) Rate() float64 { return ratio(o.Omitted, o.GoldItems) }

func (o *Omissions) merge(x Omissions) {
	o.GoldItems += x.GoldItems
	o.Omitted += x.Omitted
}

// ScoreOmissions finds gold items absent from the note text.
func ScoreOmissions(g *Gold, noteText string, norm TermNormalizer) Omissions {
	toks := Tokenize(noteText)
	padded := " " + strings.Join(toks, " ") + " "
	canon := map[string]bool{}
	if norm != nil {
		for n := 1; n <= 4; n++ {
			for i := 0; i+n <= len(toks); i++ {
				if k, ok := norm.Canonical(strings.Join(toks[i:i+n], " ")); ok {
					canon[k] = true
				}
			}
		}
	}
	var o Omissions
	check := func(typ, name string) {
		o.GoldItems++
		n := normName(name)
		if n != "" && strings.Contains(padded, " "+n+" ") {
			return
		}
		if norm != nil {
			if k, ok := norm.Canonical(name); ok && canon[k] {
				return
			}
		}
		o.Omitted++
		o.Items = append(o.Items, ItemMiss{typ, name})
	}
	for _, m := range g.Medications {
		check("medication", m.Name)
	}
	for _, p := range g.Problems {
		check("problem", p.Name)
	}
	for _, x := range g.Orders {
		check("order", x.Name)
	}
	return o
}
