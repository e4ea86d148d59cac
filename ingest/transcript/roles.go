package transcript

import (
	"sort"
	"strings"

	"github.com/medscribe/medscribe/visit"
)

// Cues of who is speaking. A doctor asks, examines, orders and instructs, and talks about
// "you"; a patient reports first-person symptoms and history. Each phrase is matched on
// word boundaries in lower-cased text with punctuation folded to spaces.
var (
	doctorCues = concat(
		cueList(2, "your", "have you", "are you", "let's", "exam"),
		cueList(1, "you", "how are you", "what brings you", "tell me", "can you", "could you",
			"do you", "did you", "does it", "is it", "any", "let me", "i'm going to",
			"i am going to", "we're going to", "we are going to", "we'll", "i want you to",
			"i'd like you to", "i'd like to", "order", "prescribe", "prescription", "recommend",
			"refer", "referral", "examine", "examination", "take a look", "deep breath",
			"follow up", "come back", "blood work", "x ray", "mri", "ultrasound", "diagnosis",
			"plan", "assessment", "sounds like", "results", "labs", "lie back", "press",
			"squeeze", "blood pressure", "on a scale", "start you on", "increase", "continue",
			"side effects", "symptoms", "history", "medications", "allergies", "how long",
			"how often", "when did", "alright"),
		cueList(0.5, "we", "okay", "right", "take", "so"))
	patientCues = concat(
		cueList(2, "i've been", "my"),
		cueList(1, "yes", "i was", "i had", "i have", "i just", "i've had", "it's been",
			"i feel", "i felt", "i'm feeling", "it hurts", "hurts", "i get", "i got", "i noticed",
			"i can't", "bothering me", "i take", "i'm taking", "i've tried", "i tried", "it was",
			"i guess", "i don't know", "i'm not sure"),
		cueList(0.5, "mm hmm", "hmm", "no", "yeah", "yep", "nope", "uh huh"))
)

type cue struct {
	words  []string
	weight float64
}

func concat(lists ...[]cue) []cue {
	var out []cue
	for _, l := range lists {
		out = append(out, l...)
	}
	return out
}

func cueList(w float64, phrases ...string) []cue {
	out := make([]cue, len(phrases))
	for i, p := range phrases {
		out[i] = cue{strings.Fields(p), w}
	}
	return out
}

// cueIndex maps a phrase's first word to the phrases starting with it; weight is positive
// for doctor cues and negative for patient cues.
var cueIndex = func() map[string][]cue {
	m := map[string][]cue{}
	for _, c := range doctorCues {
		m[c.words[0]] = append(m[c.words[0]], c)
	}
	for _, c := range patientCues {
		m[c.words[0]] = append(m[c.words[0]], cue{c.words, -c.weight})
	}
	return m
}()

// words lower-cases and splits on anything but letters, digits and apostrophes.
func words(s string) []string {
	return strings.FieldsFunc(strings.ToLower(s), func(r rune) bool {
		return !(r == '\'' || r == '’' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r > 127)
	})
}

// roleScore is positive for doctor-like text and negative for patient-like text.
func roleScore(text string) (score, doctor, patient float64) {
	doctor = float64(strings.Count(text, "?"))
	ws := words(text)
	for i, w := range ws {
		if w == "take" && i > 0 && ws[i-1] == "i" {
			continue // "i take" is a patient's habit, not a doctor's instruction
		}
		for _, c := range cueIndex[strings.ReplaceAll(w, "’", "'")] {
			if i+len(c.words) > len(ws) {
				continue
			}
			match := true
			for k := 1; k < len(c.words); k++ {
				if strings.ReplaceAll(ws[i+k], "’", "'") != c.words[k] {
					match = false
					break
				}
			}
			if !match {
				continue
			}
			if c.weight > 0 {
				doctor += c.weight
			} else {
				patient -= c.weight
			}
		}
	}
	return doctor - patient, doctor, patient
}

// Thresholds for a lone speaker, or a lone turn, to be given a role without a counterpart.
const (
	strongPerTurn = 1.5
	strongTotal   = 3.0
	turnThreshold = 1.0
)

type speakerScore struct {
	label         string
	first         int
	turns         int
	score, doc, p float64
}

// inferLabelRoles settles the role of every turn whose label is generic: roles the file
// names explicitly are kept, and the generic speakers fill the roles still missing, the
// most doctor-like speaker the doctor, the most patient-like the patient, the rest other.
func inferLabelRoles(turns []rawTurn) {
	taken := map[visit.Speaker]bool{}
	byLabel := map[string]*speakerScore{}
	var order []*speakerScore
	for i, t := range turns {
		if t.role != "" {
			taken[t.role] = true
			continue
		}
		k := canonLabel(t.label)
		s := byLabel[k]
		if s == nil {
			s = &speakerScore{label: k, first: i}
			byLabel[k] = s
			order = append(order, s)
		}
		sc, d, p := roleScore(t.text)
		s.turns++
		s.score += sc
		s.doc += d
		s.p += p
	}
	if len(order) == 0 {
		return
	}
	roles := assignRoles(order, !taken[visit.Doctor], !taken[visit.Patient])
	for i := range turns {
		if turns[i].role == "" {
			turns[i].role = roles[canonLabel(turns[i].label)]
		}
	}
}

func assignRoles(speakers []*speakerScore, needDoctor, needPatient bool) map[string]visit.Speaker {
	roles := make(map[string]visit.Speaker, len(speakers))
	for _, s := range speakers {
		roles[s.label] = visit.Other
	}
	perTurn := func(s *speakerScore) float64 { return s.score / float64(s.turns) }
	ranked := append([]*speakerScore(nil), speakers...)
	sort.SliceStable(ranked, func(i, j int) bool {
		a, b := perTurn(ranked[i]), perTurn(ranked[j])
		if a != b {
			return a > b
		}
		return ranked[i].first < ranked[j].first
	})
	if len(ranked) == 1 && needDoctor && needPatient {
		s := ranked[0]
		switch {
		case perTurn(s) >= strongPerTurn && s.doc >= strongTotal:
			roles[s.label] = visit.Doctor
		case perTurn(s) <= -strongPerTurn && s.p >= strongTotal:
			roles[s.label] = visit.Patient
		default:
			roles[s.label] = visit.Unknown
		}
		return roles
	}
	if needDoctor {
		roles[ranked[0].label] = visit.Doctor
		ranked = ranked[1:]
	}
	if needPatient && len(ranked) > 0 {
		roles[ranked[len(ranked)-1].label] = visit.Patient
	}
	return roles
}

// InferRoles gives a role to every turn whose speaker is unknown, judging each turn by what
// it says because a visit.Transcript carries no speaker labels (mono speech recognition
// output is the usual case). A turn that says too little to judge takes the role of the
// nearest judged turn before it (speech recognisers cut one speaker's talk into several
// segments), else after it; with nothing to judge the turns stay unknown. Parse already
// infers roles per labelled speaker, which is more reliable; use this only without labels.
func InferRoles(tr *visit.Transcript) {
	if tr == nil {
		return
	}
	judged := make([]visit.Speaker, len(tr.Turns))
	judgedAny := false
	unknown := 0
	for i, t := range tr.Turns {
		if t.Speaker != visit.Unknown && t.Speaker != "" {
			continue
		}
		unknown++
		sc, d, p := roleScore(t.Text)
		switch {
		case sc >= turnThreshold && d >= turnThreshold:
			judged[i], judgedAny = visit.Doctor, true
		case sc <= -turnThreshold && p >= turnThreshold:
			judged[i], judgedAny = visit.Patient, true
		}
	}
	if unknown == 0 {
		return
	}
	if unknown == 1 && len(tr.Turns) == 1 {
		// A lone turn needs a strong indication.
		sc, d, p := roleScore(tr.Turns[0].Text)
		switch {
		case sc >= strongPerTurn && d >= strongTotal:
			tr.Turns[0].Speaker = visit.Doctor
		case sc <= -strongPerTurn && p >= strongTotal:
			tr.Turns[0].Speaker = visit.Patient
		default:
			tr.Turns[0].Speaker = visit.Unknown
		}
		return
	}
	for i := range tr.Turns {
		t := &tr.Turns[i]
		if t.Speaker != visit.Unknown && t.Speaker != "" {
			continue
		}
		switch {
		case judged[i] != "":
			t.Speaker = judged[i]
		case !judgedAny:
			t.Speaker = visit.Unknown
		default:
			t.Speaker = nearestJudged(judged, i)
		}
	}
}

func nearestJudged(judged []visit.Speaker, i int) visit.Speaker {
	for j := i - 1; j >= 0; j-- {
		if judged[j] != "" {
			return judged[j]
		}
	}
	for j := i + 1; j < len(judged); j++ {
		if judged[j] != "" {
			return judged[j]
		}
	}
	return visit.Unknown
}
