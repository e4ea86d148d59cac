package vocab_test

import (
	"fmt"

	"github.com/medscribe/medscribe/nlp/vocab"
)

// Brand names, lay terms and abbreviations resolve to the coded concept.
func ExampleVocabulary_LookupKind() {
	v := vocab.Default()
	for _, said := range []string{"Lasix", "high blood pressure", "A1c"} {
		for _, k := range []vocab.Kind{vocab.KindDrug, vocab.KindProblem, vocab.KindLab} {
			for _, e := range v.LookupKind(said, k) {
				fmt.Printf("%s → %s (%s %s)\n", said, e.Term, e.Kind, e.Code.Code)
			}
		}
	}
	// Output:
	// Lasix → furosemide (drug 4603)
	// high blood pressure → hypertension (problem I10)
	// A1c → hemoglobin a1c (lab 4548-4)
}
