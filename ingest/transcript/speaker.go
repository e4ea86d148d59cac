package transcript

import (
	"regexp"
	"strings"

	"github.com/medscribe/medscribe/visit"
)

var (
	doctorLabels = set("doctor", "dr", "doc", "physician", "clinician", "provider", "md", "gp",
		"attending", "consultant", "surgeon", "resident", "clinician 1", "np", "nurse practitioner",
		"physician assistant", "dermatologist", "cardiologist", "psychiatrist", "therapist")
	patientLabels = set("patient", "pt", "client", "pat", "ptnt")
	otherLabels   = set("patient guest", "guest", "family", "family member", "relative", "mother",
		"father", "mom", "dad", "parent", "caregiver", "carer", "wife", "husband", "partner", "son",
		"daughter", "nurse", "rn", "interpreter", "translator", "medical assistant", "ma",
		"scribe", "student", "companion", "friend")
	// genericLabel matches diarisation-style labels that say nothing about the role.
	genericLabel = regexp.MustCompile(`^(speaker|spk|person|participant|voice|talker|unknown)( ?[0-9]{1,3}| [a-z])?$|^s ?[0-9]{1,2}$`)
	// nameLabel is a loose "looks like a person's name" test for labels seen more than once.
	nameLabel = regexp.MustCompile(`^[\p{L}][\p{L}'.-]*( [\p{L}][\p{L}'.-]*){0,2}$`)
	// nonSpeech are bracketed annotations that are not speakers.
	nonSpeech = set("inaudible", "unintelligible", "laughter", "laughs", "crosstalk", "noise",
		"music", "silence", "pause", "unin", "unsure", "cough", "coughs", "sigh", "background",
		"applause", "foreign", "redacted", "name", "phi", "blank", "no speech")
)

func set(words ...string) map[string]bool {
	m := make(map[string]bool, len(words))
	for _, w := range words {
		m[w] = true
	}
	return m
}

// canonLabel lower-cases a label and folds punctuation so "Dr.", "DR:" and "**Doctor**" meet.
func canonLabel(label string) string {
	l := strings.ToLower(strings.TrimSpace(label))
	l = strings.Trim(l, "*_[]():. \t")
	l = strings.NewReplacer("_", " ", "-", " ", ".", " ").Replace(l)
	return strings.Join(strings.Fields(l), " ")
}

// labelRole maps a speaker label to a role; ok is false for generic labels and names, whose
// role is inferred from what they say.
func labelRole(label string) (visit.Speaker, bool) {
	l := canonLabel(label)
	switch {
	case doctorLabels[l]:
		return visit.Doctor, true
	case patientLabels[l]:
		return visit.Patient, true
	case otherLabels[l]:
		return visit.Other, true
	}
	// "Dr Smith", "Doctor Jones", "Doctor_2", "Patient (Mr Lee)".
	first, _, _ := strings.Cut(l, " ")
	switch first {
	case "dr", "doctor", "physician", "clinician":
		return visit.Doctor, true
	case "patient", "pt":
		if strings.HasPrefix(l, "patient guest") {
			return visit.Other, true
		}
		return visit.Patient, true
	case "guest", "nurse", "family", "interpreter", "translator", "caregiver", "carer", "relative":
		// MTS-Dialog's "Guest_clinician", "Guest_family_1"; "Nurse Kim".
		return visit.Other, true
	}
	return "", false
}

// knownLabel is a label that is a speaker wherever it appears: a role word or a generic
// diarisation label.
func knownLabel(label string) bool {
	if _, ok := labelRole(label); ok {
		return true
	}
	return genericLabel.MatchString(canonLabel(label))
}

// nameLike is a label that may be a speaker's name; callers require corroboration.
func nameLike(label string) bool {
	l := strings.TrimSpace(label)
	if len(l) == 0 || len(l) > 32 || nonSpeech[canonLabel(l)] {
		return false
	}
	return nameLabel.MatchString(l)
}

var primockTag = regexp.MustCompile(`</?[A-Za-z][A-Za-z_]*\s*/?>`)

// cleanText removes transcriber mark-up (PriMock57's <UNSURE>…</UNSURE> keeps its words,
// <UNIN/> goes) and collapses whitespace.
func cleanText(s string) string {
	if strings.IndexByte(s, '<') >= 0 {
		s = primockTag.ReplaceAllString(s, "")
	}
	return strings.Join(strings.Fields(s), " ")
}
