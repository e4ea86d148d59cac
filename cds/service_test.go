package cds

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/medscribe/medscribe/api/problem"
	"github.com/medscribe/medscribe/rules"
	"github.com/medscribe/medscribe/visit"
)

const (
	pathView   = "/cds-services/" + ServicePatientView
	pathSelect = "/cds-services/" + ServiceOrderSelect
	pathSign   = "/cds-services/" + ServiceOrderSign
)

func requireValid(t *testing.T, body []byte) {
	t.Helper()
	assert.Empty(t, validateResponse(body), string(body))
}

func TestDiscovery(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOpts{})
	w := e.get("/cds-services")
	require.Equal(t, http.StatusOK, w.Code)
	assert.Contains(t, w.Header().Get("Content-Type"), "application/json")
	var d struct {
		Services []Definition `json:"services"`
	}
	require.NoError(t, json.Unmarshal(w.Body.Bytes(), &d))
	require.Len(t, d.Services, 3)
	hooks := map[string]string{}
	for _, s := range d.Services {
		assert.NotEmpty(t, s.Description)
		assert.NotEmpty(t, s.ID)
		hooks[s.Hook] = s.ID
		require.NotEmpty(t, s.Prefetch)
		for key, tpl := range s.Prefetch {
			assert.NotEmpty(t, key)
			// Tokens are {{context.<root primitive>}} or one of the user id tokens.
			for _, m := range tokenRE.FindAllStringSubmatch(tpl, -1) {
				name := m[1]
				ok := name == "context.patientId" || name == "context.userId" || name == "context.encounterId" ||
					name == "userPractitionerId" || name == "userPractitionerRoleId" || name == "userPatientId" || name == "userRelatedPersonId"
				assert.True(t, ok, "token %s in %s", name, tpl)
			}
			// Templates fill from a context.
			filled, ok := fillTemplate(tpl, &hookContext{primitives: map[string]string{"patientId": "p 1"}})
			assert.True(t, ok)
			assert.NotContains(t, filled, "{{")
		}
	}
	assert.Equal(t, map[string]string{HookPatientView: ServicePatientView, HookOrderSelect: ServiceOrderSelect, HookOrderSign: ServiceOrderSign}, hooks)
	// No null or empty members (row 3).
	var probs []string
	noNulls(nil, "", &probs, mustAny(w.Body.Bytes()))
	assert.Empty(t, probs)
}

func TestFillTemplate(t *testing.T) {
	t.Parallel()
	hc := &hookContext{UserID: "PractitionerRole/pr9", primitives: map[string]string{"patientId": "123", "encounterId": "e&1"}}
	got, ok := fillTemplate("Encounter?_id={{context.encounterId}}&patient={{ context.patientId }}", hc)
	assert.True(t, ok)
	assert.Equal(t, "Encounter?_id=e%261&patient=123", got)
	got, ok = fillTemplate("PractitionerRole?_id={{userPractitionerRoleId}}", hc)
	assert.True(t, ok)
	assert.Equal(t, "PractitionerRole?_id=pr9", got)
	_, ok = fillTemplate("Practitioner/{{userPractitionerId}}", hc)
	assert.False(t, ok, "user is a PractitionerRole, not a Practitioner")
	_, ok = fillTemplate("Observation?subject={{context.medicationId}}", hc)
	assert.False(t, ok)
}

func TestOrderSignInteractionCard(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOpts{})
	body := hookBody(HookOrderSign, []map[string]any{medReq("d1", "draft", "", "Ketorolac Tromethamine 10 MG Oral Tablet")}, standardPrefetch())
	w := e.call(pathSign, body)
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	requireValid(t, w.Body.Bytes())
	cards := decodeCards(t, w.Body.Bytes())
	require.Len(t, cards, 1)
	c := cards[0]
	assert.Equal(t, "test-warfarin-nsaid", ruleOf(c))
	assert.Equal(t, "warning", c["indicator"], "major, not high-priority: warning")
	assert.Equal(t, "at-most-one", c["selectionBehavior"])
	src := c["source"].(map[string]any)
	assert.Equal(t, "https://build.fhir.org/ig/HL7/PDDI-CDS/", src["url"])
	assert.Equal(t, "interaction", src["topic"].(map[string]any)["code"])
	sugg := c["suggestions"].([]any)
	require.Len(t, sugg, 2)
	del := sugg[0].(map[string]any)["actions"].([]any)
	require.Len(t, del, 1)
	assert.Equal(t, "delete", del[0].(map[string]any)["type"])
	assert.Equal(t, "MedicationRequest/d1", del[0].(map[string]any)["resourceId"])
	repl := sugg[1].(map[string]any)["actions"].([]any)
	require.Len(t, repl, 2)
	assert.Equal(t, "delete", repl[0].(map[string]any)["type"])
	create := repl[1].(map[string]any)
	assert.Equal(t, "create", create["type"])
	res := create["resource"].(map[string]any)
	assert.Equal(t, "MedicationRequest", res["resourceType"])
	assert.Equal(t, "draft", res["status"])
	assert.Equal(t, "161", res["medicationCodeableConcept"].(map[string]any)["coding"].([]any)[0].(map[string]any)["code"])
	assert.Len(t, c["overrideReasons"], len(overrideReasons))
	assert.NotContains(t, c, "links", "no visit involved")
	assert.Empty(t, w.Header().Get(DevModeHeader))
}

func TestSeverityModifierAndLabs(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOpts{})
	pf := standardPrefetch()
	pf["medications"] = bundle(medReq("w1", "active", "855332", "Warfarin Sodium 5 MG Oral Tablet"), medReq("o1", "active", "", "omeprazole 20 mg capsule"))
	pf["labs"] = bundle(lab("62238-1", 22, "mL/min/{1.73_m2}"))
	w := e.call(pathSign, hookBody(HookOrderSign, []map[string]any{medReq("d1", "draft", "5640", "ibuprofen")}, pf))
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	requireValid(t, w.Body.Bytes())
	got := map[string]string{}
	for _, c := range decodeCards(t, w.Body.Bytes()) {
		got[ruleOf(c)] = c["extension"].(map[string]any)[ExtSeverity].(string)
	}
	assert.Equal(t, map[string]string{"test-warfarin-nsaid": "moderate", "test-nsaid-low-egfr": "major"}, got)
}

func TestAllergyCritical(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOpts{})
	pf := standardPrefetch()
	pf["allergies"] = bundle(allergy("Penicillin"))
	w := e.call(pathSelect, hookBody(HookOrderSelect, []map[string]any{medReq("a1", "draft", "723", "amoxicillin 500 MG Oral Capsule")}, pf))
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	requireValid(t, w.Body.Bytes())
	cards := decodeCards(t, w.Body.Bytes())
	require.Len(t, cards, 1)
	assert.Equal(t, "critical", cards[0]["indicator"], "contraindicated → critical")
	assert.Len(t, cards[0]["suggestions"], 1, "no alternatives: only removal")
}

func TestIndicator(t *testing.T) {
	t.Parallel()
	tests := []struct {
		sev  string
		hp   bool
		want string
	}{
		{rules.SeverityContraindicated, false, "critical"},
		{rules.SeverityMajor, true, "critical"},
		{rules.SeverityModerate, true, "critical"},
		{rules.SeverityMajor, false, "warning"},
		{rules.SeverityModerate, false, "warning"},
		{rules.SeverityMinor, false, "info"},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, indicator(&rules.Alert{Severity: tt.sev, HighPriority: tt.hp}), "%s hp=%v", tt.sev, tt.hp)
	}
}

func TestOrderSelectOnlySelected(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOpts{})
	drafts := []map[string]any{medReq("d1", "draft", "", "naproxen 500 mg"), medReq("d2", "draft", "", "acetaminophen 500 mg")}
	body := hookBody(HookOrderSelect, drafts, standardPrefetch())
	// Select only the acetaminophen order: the naproxen interaction is not about this selection.
	var req map[string]any
	require.NoError(t, json.Unmarshal(body, &req))
	req["context"].(map[string]any)["selections"] = []string{"MedicationRequest/d2"}
	body, _ = json.Marshal(req)
	w := e.call(pathSelect, body)
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	assert.Empty(t, decodeCards(t, w.Body.Bytes()))

	req["context"].(map[string]any)["selections"] = []string{"MedicationRequest/d1"}
	body, _ = json.Marshal(req)
	w = e.call(pathSelect, body)
	require.Equal(t, http.StatusOK, w.Code)
	require.Len(t, decodeCards(t, w.Body.Bytes()), 1)
}

func TestSelectThenSignDedupe(t *testing.T) {
	t.Parallel()
	for _, dedupe := range []bool{true, false} {
		t.Run(map[bool]string{true: "on", false: "off"}[dedupe], func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, envOpts{noDedupe: !dedupe})
			drafts := []map[string]any{medReq("d1", "draft", "5640", "ibuprofen 400 mg")}
			w := e.call(pathSelect, hookBody(HookOrderSelect, drafts, standardPrefetch()))
			require.Equal(t, http.StatusOK, w.Code, w.Body.String())
			require.Len(t, decodeCards(t, w.Body.Bytes()), 1)
			// Selecting again still shows it (the clinician is still choosing).
			w = e.call(pathSelect, hookBody(HookOrderSelect, drafts, standardPrefetch()))
			require.Len(t, decodeCards(t, w.Body.Bytes()), 1)

			w = e.call(pathSign, hookBody(HookOrderSign, drafts, standardPrefetch()))
			require.Equal(t, http.StatusOK, w.Code)
			if dedupe {
				assert.Empty(t, decodeCards(t, w.Body.Bytes()), "shown at order-select for the same draft")
			} else {
				assert.Len(t, decodeCards(t, w.Body.Bytes()), 1)
			}
			// Another draft order (new id) of the same drug is a new order: shown.
			w = e.call(pathSign, hookBody(HookOrderSign, []map[string]any{medReq("d9", "draft", "5640", "ibuprofen 400 mg")}, standardPrefetch()))
			assert.Len(t, decodeCards(t, w.Body.Bytes()), 1)
		})
	}
}

// The shown-card log forgets after its retention (default 24h): a card is not hidden at
// order-sign for having been shown at an order-select a day ago.
func TestShownCardsPruned(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOpts{})
	d1 := []map[string]any{medReq("d1", "draft", "5640", "ibuprofen 400 mg")}
	require.Len(t, decodeCards(t, e.call(pathSelect, hookBody(HookOrderSelect, d1, standardPrefetch())).Body.Bytes()), 1)
	e.now = e.now.Add(2 * time.Hour) // a prune runs, but the card is recent
	assert.Empty(t, decodeCards(t, e.call(pathSign, hookBody(HookOrderSign, d1, standardPrefetch())).Body.Bytes()))

	d2 := []map[string]any{medReq("d2", "draft", "5640", "ibuprofen 400 mg")}
	require.Len(t, decodeCards(t, e.call(pathSelect, hookBody(HookOrderSelect, d2, standardPrefetch())).Body.Bytes()), 1)
	e.now = e.now.Add(25 * time.Hour)
	assert.Len(t, decodeCards(t, e.call(pathSign, hookBody(HookOrderSign, d2, standardPrefetch())).Body.Bytes()), 1,
		"shown a day ago: forgotten, shown again")
}

func TestPDDIFilterExtensionOptOut(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOpts{})
	drafts := []map[string]any{medReq("d1", "draft", "5640", "ibuprofen")}
	require.Len(t, decodeCards(t, e.call(pathSelect, hookBody(HookOrderSelect, drafts, standardPrefetch())).Body.Bytes()), 1)
	var req map[string]any
	require.NoError(t, json.Unmarshal(hookBody(HookOrderSign, drafts, standardPrefetch()), &req))
	req["extension"] = map[string]any{"pddi-configuration-items": map[string]any{"filter-out-repeated-alerts": false}}
	body, _ := json.Marshal(req)
	assert.Len(t, decodeCards(t, e.call(pathSign, body).Body.Bytes()), 1)
}

// storeVisit puts a visit for patient p1 in which the patient says they take ibuprofen and
// are allergic to penicillin.
func storeVisit(t *testing.T, e *env) *visit.Record {
	t.Helper()
	tr := visit.Transcript{Turns: []visit.Turn{
		{Index: 0, Speaker: visit.Doctor, Text: "Any other medicines?"},
		{Index: 1, Speaker: visit.Patient, Text: "I take ibuprofen for my knee. Penicillin gives me hives."},
	}}
	ev := tr.NewEvidence(1, 7, 16)
	dose := "400 mg"
	rec := &visit.Record{ExternalID: "v-ext-1", PatientID: "p1", Source: "test", ContentHash: "h1", Status: visit.StatusDraft,
		Transcript:  tr,
		Medications: []visit.Medication{{Text: "ibuprofen", Status: visit.MedActive, Dose: &dose, Evidence: []visit.Evidence{ev}}},
		Allergies:   []visit.Allergy{{Substance: "penicillin", Evidence: []visit.Evidence{tr.NewEvidence(1, 31, 41)}}},
	}
	rec.Normalize()
	stored, _, err := e.store.PutVisit(context.Background(), rec)
	require.NoError(t, err)
	return stored
}

func TestVisitAddsWhatEHRLacks(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOpts{})
	rec := storeVisit(t, e)
	w := e.call(pathView, hookBody(HookPatientView, nil, standardPrefetch()))
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	requireValid(t, w.Body.Bytes())
	cards := decodeCards(t, w.Body.Bytes())
	require.Len(t, cards, 1)
	c := cards[0]
	assert.Equal(t, "test-warfarin-nsaid", ruleOf(c))
	assert.Equal(t, true, c["extension"].(map[string]any)[ExtFromVisit])
	assert.Contains(t, c["detail"], "From the medscribe visit")
	assert.Equal(t, "Warfarin + NSAID: increased risk of bleeding (from visit)", c["summary"])
	links := c["links"].([]any)
	require.Len(t, links, 1)
	l := links[0].(map[string]any)
	assert.Equal(t, "absolute", l["type"])
	assert.Equal(t, testUI+"/ui/visits/"+rec.ID, l["url"])
	assert.NotContains(t, c, "suggestions", "patient-view has no draft order to act on")

	// At order-sign, the visit's penicillin allergy meets an amoxicillin order.
	w = e.call(pathSign, hookBody(HookOrderSign, []map[string]any{medReq("a1", "draft", "723", "amoxicillin")}, standardPrefetch()))
	require.Equal(t, http.StatusOK, w.Code)
	cards = decodeCards(t, w.Body.Bytes())
	require.Len(t, cards, 1)
	assert.Equal(t, "test-penicillin-allergy", ruleOf(cards[0]))
	assert.Equal(t, true, cards[0]["extension"].(map[string]any)[ExtFromVisit])

	// When the EHR lists the NSAID too, the alert no longer rests on the visit.
	pf := standardPrefetch()
	pf["medications"] = bundle(medReq("w1", "active", "855332", "Warfarin Sodium 5 MG Oral Tablet"), medReq("i1", "active", "5640", "ibuprofen"))
	w = e.call(pathView, hookBody(HookPatientView, nil, pf))
	cards = decodeCards(t, w.Body.Bytes())
	require.Len(t, cards, 1)
	assert.Equal(t, false, cards[0]["extension"].(map[string]any)[ExtFromVisit])
	assert.NotContains(t, cards[0], "links")
}

func TestCardsForVisit(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOpts{})
	dose := "5 mg"
	rec := &visit.Record{ID: "v1", PatientID: "p7", Medications: []visit.Medication{
		{Text: "warfarin", Status: visit.MedActive, Dose: &dose},
		{Text: "naproxen", Status: visit.MedConsidered},
		{Text: "ibuprofen", Status: visit.MedStopped},
		{Text: "ketorolac", Status: visit.MedHistorical},
	}}
	cards, err := e.svc.CardsForVisit(context.Background(), rec)
	require.NoError(t, err)
	require.Len(t, cards, 1, "only naproxen (considered) pairs with warfarin; stopped and historical drugs are out")
	b, _ := json.Marshal(map[string]any{"cards": cards})
	requireValid(t, b)
	assert.Contains(t, cards[0].Detail, "naproxen")
	require.Len(t, cards[0].Links, 1)
	assert.Equal(t, testUI+"/ui/visits/v1", cards[0].Links[0].URL)
	assert.Empty(t, cards[0].Suggestions)

	_, err = e.svc.CardsForVisit(context.Background(), nil)
	require.Error(t, err)
}

func TestFetchMissingPrefetch(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOpts{})
	b, _ := json.Marshal(bundle(medReq("w1", "active", "855332", "Warfarin Sodium 5 MG Oral Tablet")))
	e.fhir.set("MedicationRequest", string(b))
	b, _ = json.Marshal(bundle(allergy("penicillin")))
	e.fhir.set("AllergyIntolerance", string(b))
	e.fhir.set("Patient", `{"resourceType":"Patient","id":"p1","birthDate":"1940-01-01","gender":"male"}`)

	var req map[string]any
	require.NoError(t, json.Unmarshal(hookBody(HookOrderSign, []map[string]any{medReq("d1", "draft", "5640", "ibuprofen"), medReq("d2", "draft", "723", "amoxicillin")}, nil), &req))
	req["fhirServer"] = "https://ehr.test/fhir"
	req["fhirAuthorization"] = map[string]any{"access_token": "ehr-access-token", "token_type": "Bearer", "expires_in": 300, "scope": "user/*.read", "subject": "medscribe"}
	body, _ := json.Marshal(req)
	w := e.call(pathSign, body)
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	requireValid(t, w.Body.Bytes())
	var rules []string
	for _, c := range decodeCards(t, w.Body.Bytes()) {
		rules = append(rules, ruleOf(c))
	}
	assert.ElementsMatch(t, []string{"test-warfarin-nsaid", "test-penicillin-allergy"}, rules)
	e.fhir.mu.Lock()
	qs := append([]string(nil), e.fhir.queries...)
	e.fhir.mu.Unlock()
	assert.Contains(t, qs, "/fhir/Patient/p1")
	assert.Contains(t, strings.Join(qs, " "), "/fhir/MedicationRequest?patient=p1")

	// A wrong token: the FHIR server refuses, the meds cannot be had: 412.
	req["fhirAuthorization"].(map[string]any)["access_token"] = "stale"
	body, _ = json.Marshal(req)
	w = e.call(pathSign, body)
	assertProblem(t, w, http.StatusPreconditionFailed, "could not be fetched")
}

// With an allow-list, the service fetches only from the listed FHIR servers: a signed request
// cannot point it, and the access token, at another host.
func TestFHIRServerAllowList(t *testing.T) {
	t.Parallel()
	fetchReq := func(server string) []byte {
		var req map[string]any
		require.NoError(t, json.Unmarshal(hookBody(HookOrderSign, []map[string]any{medReq("d1", "draft", "5640", "ibuprofen")}, nil), &req))
		req["fhirServer"] = server
		req["fhirAuthorization"] = map[string]any{"access_token": "ehr-access-token", "token_type": "Bearer", "expires_in": 300, "scope": "user/*.read", "subject": "medscribe"}
		b, _ := json.Marshal(req)
		return b
	}
	e := newEnv(t, envOpts{fhirAllow: []string{"https://EHR.test/fhir/"}})
	b, _ := json.Marshal(bundle(medReq("w1", "active", "855332", "warfarin")))
	e.fhir.set("MedicationRequest", string(b))
	e.fhir.set("Patient", `{"resourceType":"Patient","id":"p1","birthDate":"1940-01-01","gender":"male"}`)

	for _, ok := range []string{"https://ehr.test/fhir", "https://ehr.test/fhir/r4"} {
		w := e.call(pathSign, fetchReq(ok))
		require.Equal(t, http.StatusOK, w.Code, "%s: %s", ok, w.Body.String())
	}
	for _, bad := range []string{"https://other.test/fhir", "http://ehr.test/fhir", "https://ehr.test/fhir-other", "https://ehr.test:8443/fhir"} {
		e.fhir.mu.Lock()
		before := len(e.fhir.queries)
		e.fhir.mu.Unlock()
		w := e.call(pathSign, fetchReq(bad))
		assertProblem(t, w, http.StatusPreconditionFailed, "not one this service is configured to fetch from")
		e.fhir.mu.Lock()
		assert.Equal(t, before, len(e.fhir.queries), "%s: nothing fetched", bad)
		e.fhir.mu.Unlock()
	}

	_, err := New(&Config{Rules: e.svc.cfg.Rules, Store: e.store, Dev: true, FHIRServers: []string{"ftp://x"}})
	assert.ErrorContains(t, err, "fhir server")
}

func TestMissingPrefetch412(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOpts{fetch: 100 * time.Millisecond})
	pf := standardPrefetch()
	delete(pf, "medications")
	delete(pf, "statements")
	w := e.call(pathSign, hookBody(HookOrderSign, []map[string]any{medReq("d1", "draft", "5640", "ibuprofen")}, pf))
	assertProblem(t, w, http.StatusPreconditionFailed, "no fhirServer")

	// A null prefetch value means the client could not fetch it: still missing.
	pf["medications"] = nil
	w = e.call(pathSign, hookBody(HookOrderSign, []map[string]any{medReq("d1", "draft", "5640", "ibuprofen")}, pf))
	assertProblem(t, w, http.StatusPreconditionFailed, "medications")

	// A FHIR server slower than FetchTimeout: 412, not a hang.
	e.fhir.mu.Lock()
	e.fhir.delay = 2 * time.Second
	e.fhir.mu.Unlock()
	var req map[string]any
	require.NoError(t, json.Unmarshal(hookBody(HookOrderSign, []map[string]any{medReq("d1", "draft", "5640", "ibuprofen")}, pf), &req))
	req["fhirServer"] = "https://ehr.test/fhir"
	req["fhirAuthorization"] = map[string]any{"access_token": "ehr-access-token", "token_type": "Bearer", "expires_in": 300, "scope": "x", "subject": "s"}
	body, _ := json.Marshal(req)
	w = e.call(pathSign, body)
	assertProblem(t, w, http.StatusPreconditionFailed, "timed out")

	// Optional data missing (allergies etc.) with meds present: answered.
	pf = map[string]any{"medications": bundle(medReq("w1", "active", "855332", "warfarin"))}
	w = e.call(pathSign, hookBody(HookOrderSign, []map[string]any{medReq("d1", "draft", "5640", "ibuprofen")}, pf))
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	assert.Len(t, decodeCards(t, w.Body.Bytes()), 1)
}

func assertProblem(t *testing.T, w interface {
	Result() *http.Response
}, status int, contains string) {
	t.Helper()
	resp := w.Result()
	defer resp.Body.Close()
	var p problem.Details
	require.Equal(t, status, resp.StatusCode)
	assert.Equal(t, problem.ContentType, resp.Header.Get("Content-Type"))
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&p))
	assert.Equal(t, status, p.Status)
	assert.Contains(t, p.Detail, contains)
}

func TestBadInput(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOpts{maxBody: 64 << 10, maxRes: 200})
	good := func(mut func(m map[string]any)) []byte {
		var m map[string]any
		_ = json.Unmarshal(hookBody(HookOrderSign, []map[string]any{medReq("d1", "draft", "5640", "ibuprofen")}, standardPrefetch()), &m)
		mut(m)
		b, _ := json.Marshal(m)
		return b
	}
	ctx := func(m map[string]any) map[string]any { return m["context"].(map[string]any) }
	many := func(n int) map[string]any {
		var rs []map[string]any
		for i := 0; i < n; i++ {
			rs = append(rs, lab("2160-0", 1, "mg/dL"))
		}
		return bundle(rs...)
	}
	tests := []struct {
		name   string
		path   string
		body   []byte
		status int
		detail string
	}{
		{"malformed json", pathSign, []byte(`{"hook": "order-sign", `), 400, "malformed JSON"},
		{"not an object", pathSign, []byte(`[1,2]`), 400, "not a CDS Hooks request"},
		{"empty body", pathSign, nil, 400, "empty body"},
		{"trailing data", pathSign, append(good(func(map[string]any) {}), []byte(`{}`)...), 400, "after the JSON"},
		{"unknown service", "/cds-services/nope", good(func(map[string]any) {}), 404, "no CDS service"},
		{"unknown hook", pathSign, good(func(m map[string]any) { m["hook"] = "encounter-start" }), 400, "not the hook of this service"},
		{"no hook", pathSign, good(func(m map[string]any) { delete(m, "hook") }), 400, "hook is required"},
		{"no hookInstance", pathSign, good(func(m map[string]any) { delete(m, "hookInstance") }), 400, "hookInstance is required"},
		{"no context", pathSign, good(func(m map[string]any) { delete(m, "context") }), 400, "context is required"},
		{"no patientId", pathSign, good(func(m map[string]any) { delete(ctx(m), "patientId") }), 400, "patientId is required"},
		{"no userId", pathSign, good(func(m map[string]any) { delete(ctx(m), "userId") }), 400, "userId is required"},
		{"patientId not string", pathSign, good(func(m map[string]any) { ctx(m)["patientId"] = 12 }), 400, "non-empty string"},
		{"no draftOrders", pathSign, good(func(m map[string]any) { delete(ctx(m), "draftOrders") }), 400, "draftOrders is required"},
		{"draftOrders wrong type", pathSign, good(func(m map[string]any) { ctx(m)["draftOrders"] = medReq("x", "draft", "", "x") }), 400, "must be a FHIR Bundle, got MedicationRequest"},
		{"draftOrders not resource", pathSign, good(func(m map[string]any) { ctx(m)["draftOrders"] = []any{1} }), 400, "must be a FHIR Bundle"},
		{"draft entry not resource", pathSign, good(func(m map[string]any) {
			ctx(m)["draftOrders"] = map[string]any{"resourceType": "Bundle", "entry": []any{map[string]any{"resource": "MedicationRequest/1"}}}
		}), 400, "not a FHIR resource"},
		{"draft without medication", pathSign, good(func(m map[string]any) {
			ctx(m)["draftOrders"] = bundle(map[string]any{"resourceType": "MedicationRequest", "status": "draft"})
		}), 400, "no medication[x]"},
		{"draft field wrong type", pathSign, good(func(m map[string]any) {
			ctx(m)["draftOrders"] = bundle(map[string]any{"resourceType": "MedicationRequest", "status": 5})
		}), 400, "wrong JSON type"},
		{"prefetch patient wrong type", pathSign, good(func(m map[string]any) { m["prefetch"].(map[string]any)["patient"] = bundle() }), 400, "prefetch patient must be a FHIR Patient, got Bundle"},
		{"prefetch meds wrong type", pathSign, good(func(m map[string]any) {
			m["prefetch"].(map[string]any)["medications"] = map[string]any{"resourceType": "Patient"}
		}), 400, "must be a FHIR Bundle, got Patient"},
		{"prefetch not object", pathSign, good(func(m map[string]any) { m["prefetch"].(map[string]any)["allergies"] = "none" }), 400, "must be a FHIR Bundle"},
		{"fhirAuthorization without server", pathSign, good(func(m map[string]any) {
			m["fhirAuthorization"] = map[string]any{"access_token": "t", "token_type": "Bearer"}
		}), 400, "without fhirServer"},
		{"fhirServer not url", pathSign, good(func(m map[string]any) { m["fhirServer"] = "ftp://x" }), 400, "fhirServer"},
		{"order-select without selections", pathSelect, func() []byte {
			var m map[string]any
			_ = json.Unmarshal(hookBody(HookOrderSelect, []map[string]any{medReq("d1", "draft", "", "x")}, standardPrefetch()), &m)
			delete(ctx(m), "selections")
			b, _ := json.Marshal(m)
			return b
		}(), 400, "selections is required"},
		{"body too large", pathSign, good(func(m map[string]any) { m["prefetch"].(map[string]any)["pad"] = strings.Repeat("x", 70<<10) }), 413, "larger than"},
		{"too many resources", pathSign, good(func(m map[string]any) { m["prefetch"].(map[string]any)["labs"] = many(250) }), 413, "FHIR resources"},
		{"draft orders nested too deep", pathSign, good(func(m map[string]any) {
			var inner any = medReq("d1", "draft", "5640", "ibuprofen")
			for i := 0; i < 500; i++ { // decoding this took 0.4 s (quadratic in the depth)
				inner = map[string]any{"resourceType": "Bundle", "type": "collection", "entry": []any{map[string]any{"resource": inner}}}
			}
			ctx(m)["draftOrders"] = inner
		}), 400, "nested more than 64 levels"},
		{"prefetch nested too deep", pathSign, good(func(m map[string]any) {
			var inner any = medReq("w1", "active", "855332", "warfarin")
			for i := 0; i < 100; i++ {
				inner = map[string]any{"resourceType": "Bundle", "type": "collection", "entry": []any{map[string]any{"resource": inner}}}
			}
			m["prefetch"].(map[string]any)["medications"] = inner
		}), 400, "nested too deeply"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := e.call(tt.path, tt.body)
			assertProblem(t, w, tt.status, tt.detail)
		})
	}
}

func TestNonRxNormCodesAreHandled(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOpts{})
	ndc := map[string]any{"resourceType": "MedicationRequest", "id": "d1", "status": "draft", "intent": "order",
		"subject":                   map[string]any{"reference": "Patient/p1"},
		"medicationCodeableConcept": map[string]any{"coding": []any{map[string]any{"system": "http://hl7.org/fhir/sid/ndc", "code": "0000-0000-00", "display": "Naproxen 500 MG Oral Tablet"}}}}
	local := map[string]any{"resourceType": "MedicationRequest", "id": "d2", "status": "draft", "intent": "order",
		"subject":                   map[string]any{"reference": "Patient/p1"},
		"medicationCodeableConcept": map[string]any{"coding": []any{map[string]any{"system": "urn:local", "code": "X1"}}}}
	w := e.call(pathSign, hookBody(HookOrderSign, []map[string]any{ndc, local}, standardPrefetch()))
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	requireValid(t, w.Body.Bytes())
	cards := decodeCards(t, w.Body.Bytes())
	require.Len(t, cards, 1, "naproxen matched by display; the uncoded local drug ignored")
	assert.Equal(t, "test-warfarin-nsaid", ruleOf(cards[0]))
}

func TestFeedbackAndSummary(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOpts{})
	w := e.call(pathSign, hookBody(HookOrderSign, []map[string]any{medReq("d1", "draft", "5640", "ibuprofen")}, standardPrefetch()))
	cards := decodeCards(t, w.Body.Bytes())
	require.Len(t, cards, 1)
	id := cards[0]["uuid"].(string)
	sugg := cards[0]["suggestions"].([]any)[0].(map[string]any)["uuid"].(string)

	fb := `{"feedback":[{"card":"` + id + `","outcome":"overridden","overrideReason":{"reason":{"code":"risk-benefit-ratio","system":"http://terminology.hl7.org/CodeSystem/non-adherence-reason-codes"},"userComment":"short course"},"outcomeTimestamp":"2026-03-01T12:01:00Z"},
	{"card":"` + id + `","outcome":"accepted","acceptedSuggestions":[{"id":"` + sugg + `"}],"outcomeTimestamp":"2026-03-01T12:02:00Z"}]}`
	w = e.call(pathSign+"/feedback", []byte(fb), "Bearer "+e.sign(t, pathSign+"/feedback", tok{}))
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())

	// The spec's examples are accepted too.
	for _, f := range []string{"feedback-accepted.json", "feedback-overridden.json", "feedback-overridden-with-reason.json"} {
		w = e.call(pathSign+"/feedback", mustRead(t, "testdata/examples/spec-2.0.1/"+f))
		require.Equal(t, http.StatusOK, w.Code, f+": "+w.Body.String())
	}

	w = e.get("/v1/cds/feedback/summary")
	require.Equal(t, http.StatusOK, w.Code)
	var sum struct {
		Rules []struct {
			RuleID     string         `json:"rule_id"`
			Accepted   int            `json:"accepted"`
			Overridden int            `json:"overridden"`
			AcceptRate float64        `json:"accept_rate"`
			Reasons    map[string]int `json:"reasons"`
		} `json:"rules"`
		Total struct {
			Accepted   int `json:"accepted"`
			Overridden int `json:"overridden"`
		} `json:"total"`
	}
	require.NoError(t, json.Unmarshal(w.Body.Bytes(), &sum), w.Body.String())
	var found bool
	for _, r := range sum.Rules {
		if r.RuleID == "test-warfarin-nsaid" {
			found = true
			assert.Equal(t, 1, r.Accepted)
			assert.Equal(t, 1, r.Overridden)
			assert.InDelta(t, 0.5, r.AcceptRate, 1e-9)
			assert.Equal(t, 1, r.Reasons["risk-benefit-ratio"])
		}
	}
	assert.True(t, found, w.Body.String())
	assert.Equal(t, 2, sum.Total.Accepted, "1 + the spec's accepted example")
	assert.Equal(t, 3, sum.Total.Overridden, "1 + the spec's two overridden examples")

	bad := []struct{ body, detail string }{
		{`{}`, "at least one"},
		{`{"feedback":[{"outcome":"accepted"}]}`, "card is required"},
		{`{"feedback":[{"card":"x","outcome":"ignored","outcomeTimestamp":"2026-03-01T12:00:00Z"}]}`, "accepted or overridden"},
		{`{"feedback":[{"card":"x","outcome":"accepted","outcomeTimestamp":"2026-03-01T12:00:00Z"}]}`, "acceptedSuggestions is required"},
		{`{"feedback":[{"card":"x","outcome":"overridden","outcomeTimestamp":"yesterday"}]}`, "outcomeTimestamp"},
		{`{"feedback":`, "malformed"},
	}
	for _, b := range bad {
		w = e.call(pathSign+"/feedback", []byte(b.body))
		assertProblem(t, w, http.StatusBadRequest, b.detail)
	}
	w = e.call("/cds-services/nope/feedback", []byte(fb))
	assertProblem(t, w, http.StatusNotFound, "no CDS service")
}

func TestDevMode(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOpts{dev: true})
	w := e.call(pathSign, hookBody(HookOrderSign, []map[string]any{medReq("d1", "draft", "5640", "ibuprofen")}, standardPrefetch()))
	require.Equal(t, http.StatusOK, w.Code)
	assert.Equal(t, "unauthenticated", w.Header().Get(DevModeHeader))
	assert.Equal(t, "unauthenticated", e.get("/cds-services").Header().Get(DevModeHeader))
	w = e.call("/cds-services/nope", nil)
	assert.Equal(t, "unauthenticated", w.Header().Get(DevModeHeader), "on every response, errors included")
}

func TestCORS(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOpts{})
	req, _ := http.NewRequest(http.MethodOptions, pathSign, nil)
	req.Header.Set("Origin", "https://ehr.example")
	req.Header.Set("Access-Control-Request-Method", "POST")
	w := newRecorder()
	e.handler.ServeHTTP(w, req)
	assert.Equal(t, http.StatusNoContent, w.Code)
	assert.Equal(t, "*", w.Header().Get("Access-Control-Allow-Origin"))
	assert.Contains(t, w.Header().Get("Access-Control-Allow-Headers"), "Authorization")
}

func TestConfigValidate(t *testing.T) {
	t.Parallel()
	rm, err := rules.NewManager(&rules.ManagerConfig{Dir: "testdata/rules", Logger: quiet})
	require.NoError(t, err)
	e := newEnv(t, envOpts{})
	tests := []struct {
		name string
		cfg  Config
		want string
	}{
		{"no rules", Config{Store: e.store, Dev: true}, "Rules is required"},
		{"no store", Config{Rules: rm, Dev: true}, "Store is required"},
		{"no auth", Config{Rules: rm, Store: e.store}, "Auth is required"},
		{"no issuers", Config{Rules: rm, Store: e.store, Auth: &AuthConfig{JWKS: jwksJSON(getKeys(t))}}, "Issuers"},
		{"no keys", Config{Rules: rm, Store: e.store, Auth: &AuthConfig{Issuers: []string{"x"}}}, "JWKSURLs, JWKSFile or JWKS"},
		{"bad base", Config{Rules: rm, Store: e.store, Dev: true, BaseURL: "medscribe.local"}, "BaseURL"},
		{"bad jwks url", Config{Rules: rm, Store: e.store, Auth: &AuthConfig{Issuers: []string{"x"}, JWKSURLs: []string{"/jwks"}}}, "not an absolute URL"},
	}
	for _, tt := range tests {
		_, err := New(&tt.cfg)
		require.Error(t, err, tt.name)
		assert.Contains(t, err.Error(), tt.want, tt.name)
	}
	_, err = New(&Config{Rules: rm, Store: e.store, Auth: &AuthConfig{Issuers: []string{"x"}, JWKS: []byte(`{"keys":[{"kty":"oct","k":"c2VjcmV0"}]}`)}})
	require.Error(t, err, "a set of only symmetric keys is unusable")
}
