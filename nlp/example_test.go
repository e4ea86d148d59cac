package nlp_test

import (
	"context"
	"fmt"
	"os"

	"github.com/medscribe/medscribe/nlp"
	"github.com/medscribe/medscribe/nlp/vocab"
	"github.com/medscribe/medscribe/visit"
)

func ExampleEngine_Extract() {
	v, err := vocab.Load(os.DirFS("testdata/vocab"), ".")
	if err != nil {
		panic(err)
	}
	e, err := nlp.New(&nlp.Config{Vocab: v})
	if err != nil {
		panic(err)
	}
	tr := visit.Transcript{Turns: []visit.Turn{
		{Index: 0, Speaker: visit.Doctor, Text: "Any chest pain?"},
		{Index: 1, Speaker: visit.Patient, Text: "Nope. I'm still taking the Zestril 20 a day."},
		{Index: 2, Speaker: visit.Doctor, Text: "Let's increase it to 40 mg daily and check an A1c."},
	}}
	res, err := e.Extract(context.Background(), tr)
	if err != nil {
		panic(err)
	}
	for _, f := range res.Findings {
		fmt.Printf("finding %s: %s\n", f.Text, f.Assertion)
	}
	for _, m := range res.Medications {
		fmt.Printf("medication %s (RxCUI %s): %s %s %s\n", m.Text, m.Code.Code, m.Status, *m.Dose, *m.Frequency)
	}
	for _, o := range res.Orders {
		fmt.Printf("order %s: %s\n", o.Kind, o.Text)
	}
	// Output:
	// finding chest pain: absent
	// medication lisinopril (RxCUI 29046): changed 40 mg daily
	// order lab: hemoglobin a1c
	// order medication: lisinopril
}
