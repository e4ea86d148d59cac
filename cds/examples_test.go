package cds

import (
	"encoding/json"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var serviceOfHook = map[string]string{HookPatientView: pathView, HookOrderSelect: pathSelect, HookOrderSign: pathSign}

// TestPublishedExamples posts every request example of ../shared/cdshooks (copied into
// testdata/examples) to medscribe and checks the answer against the spec's rules.
func TestPublishedExamples(t *testing.T) {
	t.Parallel()
	fhirAuth := func(token string) map[string]any {
		return map[string]any{"access_token": token, "token_type": "Bearer", "expires_in": 300, "scope": "user/*.read", "subject": "medscribe"}
	}
	tests := []struct {
		file string
		// wrap turns a context-only fragment into a request for hook; "" = a full request.
		wrap     string
		status   int
		detail   string // for errors
		wantRule string // a card the test rule set must raise
	}{
		{file: "spec-2.0.1/request-patient-view.json", status: 200},
		{file: "spec-2.0.1/request-with-extension.json", status: 400, detail: "patientId is required"},
		{file: "spec-2.0.1/request-prefetch-data.json", wrap: HookPatientView, status: 200},
		{file: "hooks-library/context-patient-view.json", wrap: HookPatientView, status: 200},
		{file: "hooks-library/context-patient-view-with-encounter.json", wrap: HookPatientView, status: 200},
		{file: "hooks-library/context-order-select-r4.json", wrap: HookOrderSelect, status: 200},
		{file: "hooks-library/context-order-sign-r4.json", wrap: HookOrderSign, status: 200},
		{file: "hooks-library/context-encounter-start.json", wrap: "encounter-start", status: 400, detail: "not the hook of this service"},
		{file: "hooks-library/context-encounter-discharge.json", wrap: "encounter-discharge", status: 400, detail: "not the hook of this service"},
		{file: "hooks-library/context-allergyintolerance-create-r4.json", wrap: "allergyintolerance-create", status: 400, detail: "not the hook of this service"},
		{file: "hooks-library/context-appointment-book-stu3.json", wrap: "appointment-book", status: 400, detail: "not the hook of this service"},
		{file: "hooks-library/context-order-dispatch-r4.json", wrap: "order-dispatch", status: 400, detail: "not the hook of this service"},
		{file: "inferno-crd/order_select_hook_request.json", status: 200},
		{file: "inferno-crd/order_sign_hook_request.json", status: 200},
		{file: "inferno-crd/appointment_book_hook_request.json", status: 400, detail: "not the hook of this service"},
		{file: "inferno-crd/encounter_start_hook_request.json", status: 400, detail: "not the hook of this service"},
		{file: "inferno-crd/encounter_discharge_hook_request.json", status: 400, detail: "not the hook of this service"},
		{file: "pddi-cds/warfarin-nsaids-order-select-coordination.json", status: 200, wantRule: "test-warfarin-nsaid"},
		{file: "pddi-cds/warfarin-nsaids-order-sign-coordination.json", status: 200, wantRule: "test-warfarin-nsaid"},
		{file: "pddi-cds/multi-update-draft-orders-3.json", status: 200, wantRule: "test-warfarin-nsaid"},
		{file: "pddi-cds/digoxin-cyclosporine-order-sign-no-coordination.json", status: 200},
	}
	for _, tt := range tests {
		t.Run(strings.TrimSuffix(filepath.Base(tt.file), ".json"), func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, envOpts{})
			raw := mustRead(t, filepath.Join("testdata/examples", tt.file))
			var req map[string]any
			require.NoError(t, json.Unmarshal(raw, &req))
			hook := tt.wrap
			if hook == "" {
				hook, _ = req["hook"].(string)
			} else {
				req["hook"] = hook
				req["hookInstance"] = uuid.NewString()
				if req["context"] == nil {
					req["context"] = map[string]any{"userId": "Practitioner/example", "patientId": "1288992"}
				}
			}
			// The examples have no prefetch for medscribe's keys: let them fetch from the fake EHR,
			// with the example's own access token when it has one.
			if req["fhirServer"] == nil {
				req["fhirServer"] = "https://ehr.example/fhir"
			}
			if a, ok := req["fhirAuthorization"].(map[string]any); ok {
				e.fhir.token = a["access_token"].(string)
			} else if _, pre2 := req["patient"]; !pre2 {
				req["fhirAuthorization"] = fhirAuth(e.fhir.token)
			}
			path := serviceOfHook[hook]
			if path == "" {
				path = pathView
			}
			body, _ := json.Marshal(req)
			w := e.call(path, body)
			if tt.status != http.StatusOK {
				assertProblem(t, w, tt.status, tt.detail)
				return
			}
			require.Equal(t, http.StatusOK, w.Code, w.Body.String())
			requireValid(t, w.Body.Bytes())
			if tt.wantRule != "" {
				var rules []string
				for _, c := range decodeCards(t, w.Body.Bytes()) {
					rules = append(rules, ruleOf(c))
				}
				assert.Contains(t, rules, tt.wantRule)
			}
		})
	}
}

// TestFirstLevelPrefetchToken: the spec's example context with a first-level
// medicationRequestId fills a template naming it.
func TestFirstLevelPrefetchToken(t *testing.T) {
	t.Parallel()
	var req hookRequest
	require.NoError(t, json.Unmarshal(mustRead(t, "testdata/examples/spec-2.0.1/context-first-level-prefetch-token.json"), &req))
	req.Hook, req.HookInstance, req.UserID = HookOrderSign, "x", "Practitioner/1"
	req.Context["patientId"] = json.RawMessage(`"1288992"`)
	hc, err := decodeContext(&req, HookOrderSign)
	require.NoError(t, err)
	got, ok := fillTemplate("MedicationRequest/{{context.medicationRequestId}}", hc)
	require.True(t, ok)
	assert.Equal(t, "MedicationRequest/123", got)
	_, ok = fillTemplate("Bundle/{{context.draftOrders}}", hc)
	assert.False(t, ok, "only root-level primitives are tokens")
}

// TestValidatorCatchesViolations makes sure the response validator can fail.
func TestValidatorCatchesViolations(t *testing.T) {
	t.Parallel()
	assert.Empty(t, validateResponse(mustRead(t, "testdata/examples/spec-2.0.1/response-empty.json")))
	assert.Equal(t, []string{"cards[1].uuid must be a UUID string"},
		validateResponse(mustRead(t, "testdata/examples/spec-2.0.1/response-cards.json")), "uuid is optional in the spec, required by medscribe")
	assert.Contains(t, strings.Join(validateResponse(mustRead(t, "testdata/examples/spec-2.0.1/response-autolaunchable.json")), "\n"),
		"indicator must be info, warning or critical")
	card := func(mut string) []byte {
		base := `{"uuid":"` + uuid.NewString() + `","summary":"s","indicator":"info","source":{"label":"l"}` + mut + `}`
		return []byte(`{"cards":[` + base + `]}`)
	}
	tests := map[string][]byte{
		"summary must be a string under 140": []byte(`{"cards":[{"uuid":"` + uuid.NewString() + `","summary":"` + strings.Repeat("x", 140) + `","indicator":"info","source":{"label":"l"}}]}`),
		"selectionBehavior must be":          card(`,"suggestions":[{"label":"x","actions":[{"type":"delete","description":"d","resourceId":"MedicationRequest/1"}]}]`),
		"must not carry a resource":          card(`,"selectionBehavior":"any","suggestions":[{"label":"x","actions":[{"type":"delete","description":"d","resourceId":"a","resource":{"resourceType":"X"}}]}]`),
		"appContext is not allowed":          card(`,"links":[{"label":"x","url":"https://a.b","type":"absolute","appContext":"c"}]`),
		"display must be a non-empty":        card(`,"overrideReasons":[{"code":"c","system":"s"}]`),
		"source.url must be an absolute URL": []byte(`{"cards":[{"uuid":"` + uuid.NewString() + `","summary":"s","indicator":"info","source":{"label":"l","url":"/rel"}}]}`),
		"type must be absolute or smart":     card(`,"links":[{"label":"x","url":"https://a.b","type":"relative"}]`),
		"overrideReasons on every warning":   []byte(`{"cards":[{"uuid":"` + uuid.NewString() + `","summary":"s","indicator":"warning","source":{"label":"l"}}]}`),
		"is null":                            card(`,"detail":null`),
		"cards is required":                  []byte(`{}`),
	}
	for want, body := range tests {
		assert.Contains(t, strings.Join(validateResponse(body), "\n"), want)
	}
}
