package cds

import (
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/medscribe/medscribe/fhir"
	"github.com/medscribe/medscribe/rules"
	"github.com/medscribe/medscribe/visit"
)

// labKinds maps the LOINC codes medscribe reads to the rules' lab kinds. Each code's meaning
// is as published by LOINC (https://loinc.org/<code>/); codes not listed are ignored.
var labKinds = map[string]string{
	"33914-3": "egfr",       // GFR/1.73 sq M.predicted, Ser/Plas, creatinine-based (MDRD)
	"48642-3": "egfr",       // GFR/1.73 sq M.predicted among non-blacks (MDRD)
	"48643-1": "egfr",       // GFR/1.73 sq M.predicted among blacks (MDRD)
	"62238-1": "egfr",       // GFR/1.73 sq M.predicted, creatinine-based (CKD-EPI)
	"98979-8": "egfr",       // GFR/1.73 sq M.predicted, creatinine-based (CKD-EPI 2021)
	"2160-0":  "creatinine", // Creatinine [Mass/volume] in Serum or Plasma
	"2823-3":  "potassium",  // Potassium [Moles/volume] in Serum or Plasma
	"6298-4":  "potassium",  // Potassium [Moles/volume] in Blood
	"6301-6":  "inr",        // INR in Platelet poor plasma by Coagulation assay
	"34714-6": "inr",        // INR in Blood by Coagulation assay
	"10535-3": "digoxin",    // Digoxin [Mass/volume] in Serum or Plasma
}

// counts says what the translation skipped, for logs (ids and counts only).
type counts struct {
	unknownDrugs int // medications the rule set does not know (by code or name)
	nonRxNorm    int // medications coded only in other systems
	inactive     int // resources skipped for their status
	labsUnused   int // observations without a known LOINC code or a numeric value
	fromVisit    int // facts added from the latest visit
}

// medRef is what a Med ID points back to, for suggestions and links.
type medRef struct {
	resource *fhir.MedicationRequest // the draft order, when the med is one
	name     string
	selected bool
}

// builder turns FHIR data and a visit into a rules.Patient.
type builder struct {
	rs   *rules.RuleSet
	now  time.Time
	p    rules.Patient
	refs map[string]*medRef
	seen map[string]bool // ingredient or name keys of EHR meds, to spot what only the visit says
	c    counts
	ids  map[string]int
}

func newBuilder(rs *rules.RuleSet, now time.Time) *builder {
	return &builder{rs: rs, now: now, refs: map[string]*medRef{}, seen: map[string]bool{}, ids: map[string]int{}}
}

// uniqueID keeps Med IDs unique within a Patient, as the rules require.
func (b *builder) uniqueID(id string) string {
	b.ids[id]++
	if n := b.ids[id]; n > 1 {
		return id + "#" + strconv.Itoa(n)
	}
	return id
}

// drugKey resolves a medication to the rule set's ingredient when it can.
func (b *builder) drug(cc *fhir.CodeableConcept, name string) (rxcui, display, key string, known bool) {
	rxcui = cc.CodeIn(fhir.SystemRxNorm)
	if rxcui == "" && cc != nil && len(cc.Coding) > 0 {
		b.c.nonRxNorm++
	}
	display = name
	if display == "" && cc != nil {
		for _, cd := range cc.Coding {
			if cd.Display != "" {
				display = cd.Display
				break
			}
		}
	}
	if ing, ingCUI, ok := b.rs.Lookup(rxcui, display); ok {
		return rxcui, display, "ing:" + ingredientKey(ing, ingCUI), true
	}
	// Try each coding's display (a product display often names the ingredient).
	if cc != nil {
		for _, cd := range cc.Coding {
			if ing, ingCUI, ok := b.rs.Lookup(codeIf(cd, fhir.SystemRxNorm), cd.Display); ok {
				if display == "" {
					display = cd.Display
				}
				return rxcui, display, "ing:" + ingredientKey(ing, ingCUI), true
			}
		}
	}
	b.c.unknownDrugs++
	return rxcui, display, "name:" + strings.ToLower(strings.TrimSpace(display)), false
}

func codeIf(cd fhir.Coding, system string) string {
	if cd.System == system {
		return cd.Code
	}
	return ""
}

func ingredientKey(name, rxcui string) string {
	if rxcui != "" {
		return rxcui
	}
	return strings.ToLower(name)
}

func dose(d fhir.List[fhir.Dosage]) (*rules.Quantity, string) {
	if len(d) == 0 {
		return nil, ""
	}
	var q *rules.Quantity
	if fq := d[0].Dose(); fq != nil {
		unit := fq.Unit
		if unit == "" {
			unit = fq.Code
		}
		q = &rules.Quantity{Value: *fq.Value, Unit: unit}
	}
	freq := ""
	if t := d[0].Timing; t != nil && t.Repeat != nil && t.Repeat.Frequency != nil && t.Repeat.Period != nil {
		freq = strconv.Itoa(*t.Repeat.Frequency) + "/" + strconv.FormatFloat(*t.Repeat.Period, 'g', -1, 64) + t.Repeat.PeriodUnit
	} else if t != nil && t.Code != nil {
		freq = strings.ToLower(t.Code.Label())
	} else if d[0].AsNeeded != nil && *d[0].AsNeeded {
		freq = "prn"
	}
	return q, freq
}

// addDraft adds a draft order; selected marks it as one the clinician is acting on now.
func (b *builder) addDraft(mr *fhir.MedicationRequest, index int, selected bool) {
	cc, name := mr.Medication()
	rxcui, display, key, _ := b.drug(cc, name)
	id := "MedicationRequest/" + mr.ID
	if mr.ID == "" {
		id = "draft/" + strconv.Itoa(index)
	}
	id = b.uniqueID(id)
	q, freq := dose(mr.DosageInstruction)
	status := mr.Status
	if status == "" {
		status = "draft"
	}
	b.p.Medications = append(b.p.Medications, rules.Med{ID: id, Name: display, RxCUI: rxcui, Status: status,
		Dose: q, Frequency: freq, Draft: selected})
	b.refs[id] = &medRef{resource: mr, name: display, selected: selected}
	b.seen[key] = true
}

var activeRequest = map[string]bool{"active": true, "on-hold": true, "draft": true, "": true}
var activeStatement = map[string]bool{"active": true, "intended": true, "on-hold": true, "": true}

func (b *builder) addRequest(mr *fhir.MedicationRequest) {
	if !activeRequest[mr.Status] {
		b.c.inactive++
		return
	}
	if mr.ID != "" && b.refs["MedicationRequest/"+mr.ID] != nil {
		return // the draft order of this call, also returned by the search
	}
	cc, name := mr.Medication()
	rxcui, display, key, _ := b.drug(cc, name)
	id := b.uniqueID("MedicationRequest/" + orDash(mr.ID))
	q, freq := dose(mr.DosageInstruction)
	status := mr.Status
	if status == "draft" { // a pending order of the patient that is not part of this call
		status = "active"
	}
	b.p.Medications = append(b.p.Medications, rules.Med{ID: id, Name: display, RxCUI: rxcui, Status: status, Dose: q, Frequency: freq})
	b.refs[id] = &medRef{name: display}
	b.seen[key] = true
}

func (b *builder) addStatement(ms *fhir.MedicationStatement) {
	if !activeStatement[ms.Status] {
		b.c.inactive++
		return
	}
	cc, name := ms.Medication()
	rxcui, display, key, _ := b.drug(cc, name)
	if b.seen[key] {
		return // the same drug is already on the list as an order
	}
	id := b.uniqueID("MedicationStatement/" + orDash(ms.ID))
	q, freq := dose(ms.Dosage)
	b.p.Medications = append(b.p.Medications, rules.Med{ID: id, Name: display, RxCUI: rxcui, Status: "active", Dose: q, Frequency: freq})
	b.refs[id] = &medRef{name: display}
	b.seen[key] = true
}

func orDash(id string) string {
	if id == "" {
		return "-"
	}
	return id
}

func inactiveStatus(clinical, verification *fhir.CodeableConcept) bool {
	for _, c := range []string{"inactive", "resolved", "remission"} {
		if clinical.HasCode("", c) {
			return true
		}
	}
	return verification.HasCode("", "refuted") || verification.HasCode("", "entered-in-error")
}

func (b *builder) addAllergy(a *fhir.AllergyIntolerance) {
	if inactiveStatus(a.ClinicalStatus, a.VerificationStatus) {
		b.c.inactive++
		return
	}
	sub := a.Code.Label()
	if sub == "" {
		return
	}
	reaction := ""
	if len(a.Reaction) > 0 && len(a.Reaction[0].Manifestation) > 0 {
		reaction = a.Reaction[0].Manifestation[0].Label()
	}
	b.p.Allergies = append(b.p.Allergies, rules.Allergy{Substance: sub, RxCUI: a.Code.CodeIn(fhir.SystemRxNorm), Reaction: reaction})
}

func (b *builder) addCondition(c *fhir.Condition) {
	if inactiveStatus(c.ClinicalStatus, c.VerificationStatus) {
		b.c.inactive++
		return
	}
	if c.Code.IsEmpty() {
		return
	}
	b.p.Conditions = append(b.p.Conditions, rules.Condition{Text: c.Code.Label(),
		ICD10: c.Code.CodeIn(fhir.SystemICD10), SNOMED: c.Code.CodeIn(fhir.SystemSNOMED)})
}

// addLabs adds the newest result of each known kind (rules read the first of a kind).
func (b *builder) addLabs(obs []*fhir.Observation) {
	type lab struct {
		l    rules.Lab
		when string
	}
	var labs []lab
	for _, o := range obs {
		if o.Status == "cancelled" || o.Status == "entered-in-error" {
			b.c.inactive++
			continue
		}
		code := o.Code.CodeIn(fhir.SystemLOINC)
		kind := labKinds[code]
		if kind == "" || o.ValueQuantity == nil || o.ValueQuantity.Value == nil {
			b.c.labsUnused++
			continue
		}
		v, unit := *o.ValueQuantity.Value, o.ValueQuantity.Unit
		if unit == "" {
			unit = o.ValueQuantity.Code
		}
		if kind == "creatinine" && strings.EqualFold(strings.ReplaceAll(unit, "µ", "u"), "umol/L") {
			// 1 mg/dL creatinine = 88.4 µmol/L (molar mass 113.12 g/mol).
			v, unit = v/88.4, "mg/dL"
		}
		if kind == "digoxin" && strings.EqualFold(unit, "nmol/L") {
			// 1 ng/mL digoxin = 1.28 nmol/L (molar mass 780.9 g/mol).
			v, unit = v/1.2805, "ng/mL"
		}
		when := o.EffectiveDateTime
		if when == "" {
			when = o.Issued
		}
		labs = append(labs, lab{rules.Lab{Kind: kind, Value: v, Unit: unit, LOINC: code}, when})
	}
	sort.SliceStable(labs, func(i, j int) bool { return labs[i].when > labs[j].when })
	for _, l := range labs {
		b.p.Labs = append(b.p.Labs, l.l)
	}
}

// addVisit merges what the patient's latest visit says but the EHR does not: medications
// the patient takes (active, new, changed), allergies, and present or past problems. Age and
// sex fill gaps only.
func (b *builder) addVisit(rec *visit.Record, includeConsidered bool) {
	if rec == nil {
		return
	}
	if b.p.Age == nil && rec.Patient.Age != nil {
		a := *rec.Patient.Age
		b.p.Age = &a
	}
	if b.p.Sex == "" && rec.Patient.Sex != nil {
		b.p.Sex = fhirSex(*rec.Patient.Sex)
	}
	for i, m := range rec.Medications {
		switch m.Status {
		case visit.MedActive, visit.MedNew, visit.MedChanged:
		case visit.MedConsidered:
			if !includeConsidered {
				continue
			}
		default:
			continue
		}
		var cc *fhir.CodeableConcept
		if m.Code != nil && m.Code.System == visit.SystemRxNorm {
			cc = &fhir.CodeableConcept{Coding: []fhir.Coding{{System: fhir.SystemRxNorm, Code: m.Code.Code, Display: m.Code.Display}}}
		}
		rxcui, display, key, _ := b.drug(cc, m.Text)
		if b.seen[key] {
			continue
		}
		id := b.uniqueID("visit/" + rec.ID + "/medications/" + strconv.Itoa(i))
		var q *rules.Quantity
		if m.Dose != nil {
			q = parseDose(*m.Dose)
		}
		freq := ""
		if m.Frequency != nil {
			freq = *m.Frequency
		}
		b.p.Medications = append(b.p.Medications, rules.Med{ID: id, Name: display, RxCUI: rxcui, Status: "active",
			Dose: q, Frequency: freq, FromVisit: true})
		b.refs[id] = &medRef{name: display}
		b.seen[key] = true
		b.c.fromVisit++
	}
	for _, a := range rec.Allergies {
		sub := strings.TrimSpace(a.Substance)
		if sub == "" || noneKnown(sub) || b.hasAllergy(sub) {
			continue
		}
		rx := ""
		if a.Code != nil && a.Code.System == visit.SystemRxNorm {
			rx = a.Code.Code
		}
		reaction := ""
		if a.Reaction != nil {
			reaction = *a.Reaction
		}
		b.p.Allergies = append(b.p.Allergies, rules.Allergy{Substance: sub, RxCUI: rx, Reaction: reaction, FromVisit: true})
		b.c.fromVisit++
	}
	for _, p := range rec.Problems {
		if p.Assertion != visit.Present && p.Assertion != visit.History {
			continue
		}
		c := rules.Condition{Text: p.Text, FromVisit: true}
		if p.Code != nil {
			switch p.Code.System {
			case visit.SystemICD10CM:
				c.ICD10 = p.Code.Code
			case visit.SystemSNOMED:
				c.SNOMED = p.Code.Code
			}
		}
		if b.hasCondition(c) {
			continue
		}
		b.p.Conditions = append(b.p.Conditions, c)
		b.c.fromVisit++
	}
}

func fhirSex(s string) string {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "f", "female", "woman":
		return "female"
	case "m", "male", "man":
		return "male"
	case "other":
		return "other"
	}
	return "unknown"
}

func noneKnown(s string) bool {
	s = strings.ToLower(s)
	for _, p := range []string{"none", "no known", "nkda", "nka"} {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}

func (b *builder) hasAllergy(sub string) bool {
	for _, a := range b.p.Allergies {
		if strings.EqualFold(a.Substance, sub) {
			return true
		}
	}
	return false
}

func (b *builder) hasCondition(c rules.Condition) bool {
	for _, x := range b.p.Conditions {
		if (c.ICD10 != "" && x.ICD10 == c.ICD10) || (c.SNOMED != "" && x.SNOMED == c.SNOMED) || strings.EqualFold(x.Text, c.Text) {
			return true
		}
	}
	return false
}

// parseDose reads "500 mg" / "0.5mg" style doses said in a visit; nil when it cannot.
func parseDose(s string) *rules.Quantity {
	s = strings.TrimSpace(strings.ToLower(s))
	i := 0
	for i < len(s) && (s[i] >= '0' && s[i] <= '9' || s[i] == '.') {
		i++
	}
	if i == 0 {
		return nil
	}
	v, err := strconv.ParseFloat(s[:i], 64)
	if err != nil {
		return nil
	}
	unit := strings.TrimSpace(s[i:])
	if f := strings.Fields(unit); len(f) > 0 {
		unit = f[0]
	}
	if unit == "" {
		return nil
	}
	return &rules.Quantity{Value: v, Unit: unit}
}

// fromFHIR fills the builder from a call's FHIR data.
func (b *builder) fromFHIR(g *gathered) {
	if g.patient != nil {
		if age, ok := g.patient.Age(b.now); ok {
			b.p.Age = &age
		}
		b.p.Sex = g.patient.Gender
	}
	for _, m := range g.meds {
		b.addRequest(m)
	}
	for _, m := range g.statements {
		b.addStatement(m)
	}
	for _, a := range g.allergies {
		b.addAllergy(a)
	}
	for _, c := range g.conditions {
		b.addCondition(c)
	}
	b.addLabs(g.labs)
}
