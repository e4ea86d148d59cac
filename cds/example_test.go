package cds_test

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/medscribe/medscribe/cds"
	"github.com/medscribe/medscribe/rules"
	"github.com/medscribe/medscribe/store"
	"github.com/medscribe/medscribe/visit"
)

// The ingest pipeline asks for the cards of a visit in which the patient takes warfarin and
// a naproxen course is being considered.
func ExampleService_CardsForVisit() {
	ctx := context.Background()
	log := slog.New(slog.DiscardHandler)
	dir, _ := os.MkdirTemp("", "cds-example")
	defer os.RemoveAll(dir)
	st, err := store.OpenSQLite(ctx, filepath.Join(dir, "medscribe.db"), log)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer st.Close()
	rm, err := rules.NewManager(&rules.ManagerConfig{Dir: "testdata/rules", Logger: log})
	if err != nil {
		fmt.Println(err)
		return
	}
	svc, err := cds.New(&cds.Config{Rules: rm, Store: st, Dev: true, UIBaseURL: "https://medscribe.example.org", Logger: log})
	if err != nil {
		fmt.Println(err)
		return
	}
	cards, err := svc.CardsForVisit(ctx, &visit.Record{ID: "v42", PatientID: "p1", Medications: []visit.Medication{
		{Text: "warfarin", Status: visit.MedActive},
		{Text: "naproxen", Status: visit.MedConsidered},
	}})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, c := range cards {
		fmt.Println(c.Indicator, c.Extension[cds.ExtRuleID], c.Links[0].URL)
		fmt.Println(c.Summary)
	}
	// Output:
	// warning test-warfarin-nsaid https://medscribe.example.org/ui/visits/v42
	// Warfarin + NSAID: increased risk of bleeding (from visit)
}
