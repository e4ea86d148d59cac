package note

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/medscribe/medscribe/visit"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

func loadDialogue(t testing.TB, name string) visit.Transcript {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name+".txt"))
	require.NoError(t, err)
	return ParseDialogue(string(b))
}

// quoteEv builds evidence for the first occurrence of quote in turn.
func quoteEv(t testing.TB, tr visit.Transcript, turn int, quote string) []visit.Evidence {
	t.Helper()
	i := strings.Index(tr.Turns[turn].Text, quote)
	require.GreaterOrEqual(t, i, 0, "quote %q not in turn %d", quote, turn)
	return []visit.Evidence{tr.NewEvidence(turn, i, i+len(quote))}
}

func strp(s string) *string { return &s }

// kneeInput is the knee fixture with the items an extractor would find in it.
func kneeInput(t testing.TB) Input {
	tr := loadDialogue(t, "knee")
	return Input{
		Transcript: tr,
		Problems: []visit.Problem{
			{Text: "knee pain", Assertion: visit.Present, Evidence: quoteEv(t, tr, 14, "knee pain")},
			{Text: "Hypertension", Assertion: visit.Present, Evidence: quoteEv(t, tr, 16, "high blood pressure")},
			{Text: "fever", Assertion: visit.Absent, Evidence: quoteEv(t, tr, 4, "fever")},
		},
		Medications: []visit.Medication{
			{Text: "ibuprofen", Status: visit.MedActive, Dose: strp("400 mg"), Frequency: strp("twice a day"),
				Evidence: quoteEv(t, tr, 9, "ibuprofen four hundred milligrams twice a day")},
			{Text: "lisinopril", Status: visit.MedActive, Dose: strp("20 mg"), Frequency: strp("a day"),
				Evidence: quoteEv(t, tr, 9, "lisinopril twenty milligrams a day")},
		},
		Orders:    []visit.Order{{Kind: visit.OrderImaging, Text: "MRI right knee", Evidence: quoteEv(t, tr, 14, "mri of the right knee")}},
		Allergies: []visit.Allergy{{Substance: "penicillin", Reaction: strp("rash"), Evidence: quoteEv(t, tr, 11, "penicillin gives me a rash")}},
		Findings: []visit.Finding{
			{Text: "fever", Assertion: visit.Absent, Evidence: quoteEv(t, tr, 4, "fever")},
			{Text: "chills", Assertion: visit.Absent, Evidence: quoteEv(t, tr, 4, "chills")},
			{Text: "numbness", Assertion: visit.Absent, Evidence: quoteEv(t, tr, 6, "numbness")},
		},
	}
}

// requireGrounded checks the contract every note must meet: every sentence has evidence that
// checks against the transcript and holds the sentence's content words.
func requireGrounded(t *testing.T, tr visit.Transcript, n visit.Note) {
	t.Helper()
	for _, s := range n.Sections {
		require.NotEmpty(t, s.Sentences, "section %s is empty but present", s.Key)
		for _, sen := range s.Sentences {
			require.NotEmpty(t, sen.Evidence, "sentence without evidence in %s", s.Key)
			for _, e := range sen.Evidence {
				require.NoError(t, tr.CheckEvidence(e), "section %s", s.Key)
			}
			require.Empty(t, unsupportedWords(sen.Text, sen.Evidence), "sentence %q in %s", sen.Text, s.Key)
		}
		assert.NotContains(t, strings.ToLower(s.Text), "not discussed")
	}
}

// golden renders a note with each sentence's evidence, for review in golden files.
func golden(n visit.Note) string {
	var b strings.Builder
	b.WriteString(n.Text)
	b.WriteString("\n---- evidence\n")
	for _, s := range n.Sections {
		for _, sen := range s.Sentences {
			fmt.Fprintf(&b, "[%s] %s\n", s.Key, sen.Text)
			for _, e := range sen.Evidence {
				fmt.Fprintf(&b, "    turn %d [%d,%d) %q\n", e.Turn, e.Start, e.End, e.Quote)
			}
		}
	}
	return b.String()
}

func TestGolden(t *testing.T) {
	cases := []struct {
		name, template string
		input          func(t testing.TB) Input
	}{
		{"knee.full", "full", kneeInput},
		{"knee.soap", "soap", kneeInput},
		{"knee.orthopedic", "orthopedic", kneeInput},
		{"diabetes.full", "full", func(t testing.TB) Input { return Input{Transcript: loadDialogue(t, "diabetes")} }},
		{"contradictory.full", "full", func(t testing.TB) Input { return Input{Transcript: loadDialogue(t, "contradictory")} }},
		{"patient_only.full", "full", func(t testing.TB) Input { return Input{Transcript: loadDialogue(t, "patient_only")} }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d, err := New(&Config{Template: tc.template})
			require.NoError(t, err)
			in := tc.input(t)
			n, st, err := d.Draft(context.Background(), in)
			require.NoError(t, err)
			require.Equal(t, EngineOffline, st.Engine)
			requireGrounded(t, in.Transcript, n)
			got := golden(n)
			path := filepath.Join("testdata", "golden", tc.name+".txt")
			if *update {
				require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
				require.NoError(t, os.WriteFile(path, []byte(got), 0o644))
			}
			want, err := os.ReadFile(path)
			require.NoError(t, err, "run go test ./note -run TestGolden -update")
			require.Equal(t, string(want), got)
		})
	}
}

func TestKneeNoteContent(t *testing.T) {
	d, err := New(nil)
	require.NoError(t, err)
	in := kneeInput(t)
	n, st, err := d.Draft(context.Background(), in)
	require.NoError(t, err)
	require.Zero(t, st.Unsupported)
	sections := map[string]visit.Section{}
	for _, s := range n.Sections {
		sections[s.Key] = s
	}
	// Age and sex stated in the dialogue open the history, with the chief complaint.
	require.Contains(t, sections, "hpi")
	assert.Equal(t, "The patient is a 58-year-old male who presents with knee pain.", sections["hpi"].Sentences[0].Text)
	assert.Equal(t, "Knee pain.", sections["chief_complaint"].Text)
	// Medications with dose and frequency, allergies with reaction.
	assert.Contains(t, sections["medications"].Text, "Ibuprofen 400 mg twice a day.")
	assert.Contains(t, sections["allergies"].Text, "Penicillin, rash.")
	// Denied symptoms in the review of systems.
	assert.Contains(t, sections["ros"].Text, "Denies fever, chills, and numbness.")
	// Problems lead their plan lines; the hypertension line is said in the patient's words.
	ap := sections["assessment_plan"].Text
	assert.Contains(t, ap, "Knee pain.")
	assert.Contains(t, ap, "High blood pressure.")
	assert.Contains(t, ap, "mri")
	// Third person, male pronouns from "58 year old male".
	assert.NotContains(t, n.Text, " i've ")
	assert.Contains(t, n.Text, "He has been taking ibuprofen 400 mg twice a day")
	// Each title on its own line in capitals.
	for _, s := range n.Sections {
		assert.Contains(t, n.Text, s.Title+"\n\n"+s.Text)
	}
}

func TestEmptySectionsLeftOut(t *testing.T) {
	d, err := New(nil)
	require.NoError(t, err)
	in := Input{Transcript: loadDialogue(t, "contradictory")}
	n, _, err := d.Draft(context.Background(), in)
	require.NoError(t, err)
	for _, s := range n.Sections {
		require.NotEmpty(t, s.Sentences)
		assert.NotEqual(t, "physical_exam", s.Key, "no exam was dictated")
		assert.NotEqual(t, "medications", s.Key, "no medication items were given")
		assert.NotEqual(t, "allergies", s.Key)
	}
	assert.NotContains(t, n.Text, "PHYSICAL EXAMINATION")
	assert.NotContains(t, n.Text, "ALLERGIES")
}

func TestTemplates(t *testing.T) {
	assert.Equal(t, []string{"full", "orthopedic", "soap"}, Templates())
	_, err := New(&Config{Template: "nope"})
	require.ErrorContains(t, err, "unknown template")

	in := kneeInput(t)
	titles := func(name string) []string {
		d, err := New(&Config{Template: name})
		require.NoError(t, err)
		n, _, err := d.Draft(context.Background(), in)
		require.NoError(t, err)
		var out []string
		for _, s := range n.Sections {
			out = append(out, s.Title)
		}
		return out
	}
	assert.Equal(t, []string{"SUBJECTIVE", "OBJECTIVE", "ASSESSMENT", "PLAN"}, titles("soap"))
	full := titles("full")
	assert.Equal(t, "CHIEF COMPLAINT", full[0])
	assert.Contains(t, full, "ASSESSMENT AND PLAN")
	assert.Contains(t, full, "PHYSICAL EXAMINATION")
	assert.Contains(t, titles("orthopedic"), "IMPRESSION AND PLAN")
}

func TestParseTemplateErrors(t *testing.T) {
	cases := []struct{ name, yaml, want string }{
		{"unknown block", "name: x\nsections:\n  - {key: a, title: A, from: [nope]}\n", `unknown block "nope"`},
		{"lower-case title", "name: x\nsections:\n  - {key: a, title: Abc, from: [hpi]}\n", "capitals"},
		{"duplicate key", "name: x\nsections:\n  - {key: a, title: A, from: [hpi]}\n  - {key: a, title: B, from: [ros]}\n", "duplicate key"},
		{"unknown field", "name: x\ncolour: red\nsections:\n  - {key: a, title: A, from: [hpi]}\n", "colour"},
		{"no sections", "name: x\n", "needs a name and sections"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := parseTemplate([]byte(tc.yaml))
			require.ErrorContains(t, err, tc.want)
		})
	}
}

func TestBadInput(t *testing.T) {
	d, err := New(nil)
	require.NoError(t, err)
	long := longVisit(t, 30000)
	cases := []struct {
		name string
		in   Input
		min  int // least sentences expected
	}{
		{"empty", Input{}, 0},
		{"no doctor turns", Input{Transcript: loadDialogue(t, "patient_only")}, 1},
		{"one line", Input{Transcript: ParseDialogue("[patient] my chest has been hurting since yesterday morning .")}, 0},
		{"contradictory", Input{Transcript: loadDialogue(t, "contradictory")}, 1},
		{"three hours", Input{Transcript: long}, 20},
		{"evidence pointing nowhere", Input{Transcript: loadDialogue(t, "diabetes"), Problems: []visit.Problem{
			{Text: "diabetes", Assertion: visit.Present, Evidence: []visit.Evidence{{Turn: 99, Start: 0, End: 3, Quote: "abc"}}},
			{Text: "diabetes", Assertion: visit.Present, Evidence: []visit.Evidence{{Turn: 0, Start: 5, End: 2, Quote: ""}}},
		}}, 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			n, st, err := d.Draft(context.Background(), tc.in)
			require.NoError(t, err)
			requireGrounded(t, tc.in.Transcript, n)
			assert.GreaterOrEqual(t, st.Sentences, tc.min)
			assert.NotNil(t, n.Sections)
		})
	}
	// The long visit is capped, and what did not fit is counted.
	_, st, err := d.Draft(context.Background(), Input{Transcript: long})
	require.NoError(t, err)
	assert.Positive(t, st.Unplaced)
	assert.LessOrEqual(t, st.Sentences, 130)
	// Unplaceable items are counted too.
	_, st, err = d.Draft(context.Background(), Input{Transcript: loadDialogue(t, "diabetes"), Problems: []visit.Problem{
		{Text: "gout", Assertion: visit.Present, Evidence: []visit.Evidence{{Turn: 99, Quote: "x"}}}}})
	require.NoError(t, err)
	assert.Equal(t, 1, st.Unplaced)
}

func TestDraftCanceled(t *testing.T) {
	d, err := New(nil)
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, _, err = d.Draft(ctx, Input{Transcript: loadDialogue(t, "knee")})
	require.ErrorIs(t, err, context.Canceled)
}

// longVisit repeats the fixtures, with the repeat number woven in, to about n words.
func longVisit(t testing.TB, n int) visit.Transcript {
	var b strings.Builder
	fix := []string{"knee", "diabetes", "contradictory", "patient_only"}
	words := 0
	for r := 0; words < n; r++ {
		raw, err := os.ReadFile(filepath.Join("testdata", fix[r%len(fix)]+".txt"))
		require.NoError(t, err)
		for _, line := range strings.Split(strings.TrimSpace(string(raw)), "\n") {
			line = fmt.Sprintf("%s and that was %d", line, r)
			b.WriteString(line + "\n")
			words += len(strings.Fields(line))
		}
	}
	return ParseDialogue(b.String())
}

func TestRecordValidates(t *testing.T) {
	d, err := New(nil)
	require.NoError(t, err)
	in := kneeInput(t)
	n, _, err := d.Draft(context.Background(), in)
	require.NoError(t, err)
	rec := visit.Record{Transcript: in.Transcript, Note: n}
	rec.Normalize()
	require.NoError(t, rec.Validate())
	b, err := json.Marshal(rec.Note)
	require.NoError(t, err)
	assert.NotContains(t, string(b), `"evidence":null`)
}
