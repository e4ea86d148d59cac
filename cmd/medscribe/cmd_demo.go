package main

import (
	"context"
	"embed"
	"fmt"
	"io"
	"path"
	"strings"

	"github.com/medscribe/medscribe/ingest"
	"github.com/medscribe/medscribe/ingest/transcript"
	"github.com/medscribe/medscribe/visit"
)

//go:embed demo/*.txt
var demoFS embed.FS

func init() {
	register(command{name: "demo", summary: "run the whole pipeline on built-in sample visits (no services, no keys)", run: runDemo})
}

func runDemo(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(e, "demo")
	cf := bindConfigFlags(fs, false)
	if err := fs.Parse(args); err != nil {
		return err
	}
	a, cfg, err := openApp(ctx, cf, io.Discard, appMode{})
	if err != nil {
		return err
	}
	defer a.Close()
	entries, err := demoFS.ReadDir("demo")
	if err != nil {
		return err
	}
	ages := map[string]int{"knee-pain-warfarin": 67, "diabetes-followup": 54}
	sexes := map[string]string{"knee-pain-warfarin": "male", "diabetes-followup": "female"}
	for _, ent := range entries {
		name := ent.Name()
		data, err := demoFS.ReadFile(path.Join("demo", name))
		if err != nil {
			return err
		}
		tr, err := transcript.Parse(name, data, nil)
		if err != nil {
			return fmt.Errorf("demo %s: %w", name, err)
		}
		id := strings.TrimSuffix(name, ".txt")
		age, sex := ages[id], sexes[id]
		rec, _, err := a.pipeline.Submit(ctx, ingest.Submission{Source: "demo", ExternalID: id, PatientID: "demo-" + id,
			Patient: visit.PatientInfo{Age: &age, Sex: &sex}, Transcript: tr})
		if err != nil {
			return err
		}
		if err := a.pipeline.Process(ctx, rec.ID); err != nil {
			return fmt.Errorf("demo %s: %w", name, err)
		}
		if rec, err = a.store.GetVisit(ctx, rec.ID); err != nil {
			return err
		}
		printDemo(e.stdout, rec)
	}
	fmt.Fprintf(e.stdout, "Stored in the embedded %s store under %s. Run `medscribe serve --dev` and open http://%s/ui to review.\n",
		a.store.Dialect(), cfg.DataDir, cfg.Addr)
	return nil
}

func printDemo(w io.Writer, rec *visit.Record) {
	rule := strings.Repeat("=", 78)
	fmt.Fprintf(w, "%s\nVISIT %s (%d turns, visit id %s)\n%s\n\n", rule, rec.ExternalID, len(rec.Transcript.Turns), rec.ID, rule)
	fmt.Fprintf(w, "DRAFTED NOTE\n\n%s\n\n", strings.TrimSpace(rec.Note.Text))
	fmt.Fprintln(w, "PROBLEMS")
	for _, p := range rec.Problems {
		fmt.Fprintf(w, "  - %-34s %-9s %s\n", p.Text, p.Assertion, codeString(p.Code))
	}
	fmt.Fprintln(w, "MEDICATIONS")
	for _, m := range rec.Medications {
		fmt.Fprintf(w, "  - %-20s %-10s dose=%s route=%s freq=%s %s\n", m.Text, m.Status, deref(m.Dose), deref(m.Route), deref(m.Frequency), codeString(m.Code))
	}
	fmt.Fprintln(w, "ORDERS")
	for _, o := range rec.Orders {
		fmt.Fprintf(w, "  - %-10s %s %s\n", o.Kind, o.Text, codeString(o.Code))
	}
	fmt.Fprintln(w, "ALLERGIES")
	for _, al := range rec.Allergies {
		fmt.Fprintf(w, "  - %s (reaction: %s)\n", al.Substance, deref(al.Reaction))
	}
	fmt.Fprintln(w, "ALERTS")
	if len(rec.Alerts) == 0 {
		fmt.Fprintln(w, "  (none)")
	}
	for _, c := range rec.Alerts {
		fmt.Fprintf(w, "  - [%s] %s\n", c.Indicator, c.Summary)
	}
	fmt.Fprintln(w)
}

func codeString(c *visit.Code) string {
	if c == nil {
		return ""
	}
	sys := c.System
	switch sys {
	case visit.SystemRxNorm:
		sys = "RxNorm"
	case visit.SystemICD10CM:
		sys = "ICD-10-CM"
	case visit.SystemLOINC:
		sys = "LOINC"
	case visit.SystemSNOMED:
		sys = "SNOMED"
	}
	return "[" + sys + " " + c.Code + "]"
}

func deref(s *string) string {
	if s == nil {
		return "-"
	}
	return *s
}
