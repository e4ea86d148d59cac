package rules_test

import (
	"fmt"

	"github.com/medscribe/medscribe/rules"
)

// A 72-year-old on warfarin, without a proton pump inhibitor, is being ordered ibuprofen: the
// PDDI-CDS logic raises the warfarin + NSAID interaction to "use only if benefit outweighs risk".
func ExampleRuleSet_Evaluate() {
	rs, err := rules.Default()
	if err != nil {
		panic(err)
	}
	age := 72
	alerts := rs.Evaluate(&rules.Patient{
		Age: &age,
		Medications: []rules.Med{
			{ID: "MedicationStatement/1", Name: "warfarin", RxCUI: "11289", Status: "active"},
			{ID: "MedicationRequest/9", Name: "Ibuprofen 400 MG Oral Tablet", Status: "draft", Draft: true},
		},
		Allergies: []rules.Allergy{{Substance: "sulfa"}},
	})
	for _, a := range alerts {
		fmt.Println(a.RuleID, a.Severity, a.DraftMedID, a.Factors)
		fmt.Println(a.Summary)
		fmt.Println(a.Alternatives[0].Name)
	}
	// Output:
	// ddi-warfarin-nsaid major MedicationRequest/9 [not taking proton pump inhibitors or misoprostol age 72]
	// Warfarin with ibuprofen: increased bleeding risk, mainly upper GI bleeding
	// acetaminophen
}
