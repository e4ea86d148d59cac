package cds

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"sync"

	"github.com/medscribe/medscribe/fhir"
)

// Prefetch keys medscribe asks for. The values are FHIR R4 search URLs relative to the
// client's FHIR server; every service asks for the same data.
const (
	keyPatient    = "patient"
	keyMeds       = "medications"
	keyStatements = "statements"
	keyAllergies  = "allergies"
	keyConditions = "conditions"
	keyLabs       = "labs"
)

// prefetchTemplates is advertised in discovery. The lab search names the LOINC codes of
// labKinds.
var prefetchTemplates = map[string]string{
	keyPatient:    "Patient/{{context.patientId}}",
	keyMeds:       "MedicationRequest?patient={{context.patientId}}&status=active,on-hold&_count=200",
	keyStatements: "MedicationStatement?patient={{context.patientId}}&status=active,intended,on-hold&_count=200",
	keyAllergies:  "AllergyIntolerance?patient={{context.patientId}}&_count=200",
	keyConditions: "Condition?patient={{context.patientId}}&clinical-status=active,recurrence,relapse&_count=200",
	keyLabs:       "Observation?patient={{context.patientId}}&code=" + labCodeParam() + "&_sort=-date&_count=50",
}

// expectedType is the resourceType each key must hold.
var expectedType = map[string]string{
	keyPatient: "Patient", keyMeds: "Bundle", keyStatements: "Bundle", keyAllergies: "Bundle",
	keyConditions: "Bundle", keyLabs: "Bundle",
}

func labCodeParam() string {
	codes := make([]string, 0, len(labKinds))
	for c := range labKinds {
		codes = append(codes, fhir.SystemLOINC+"|"+c)
	}
	sort.Strings(codes)
	return strings.Join(codes, ",")
}

var tokenRE = regexp.MustCompile(`\{\{\s*([A-Za-z0-9_.]+)\s*\}\}`)

// fillTemplate replaces prefetch tokens with context values. It reports false when a token
// names a value the call does not have (the template is then not used).
func fillTemplate(tpl string, hc *hookContext) (string, bool) {
	ok := true
	out := tokenRE.ReplaceAllStringFunc(tpl, func(m string) string {
		name := tokenRE.FindStringSubmatch(m)[1]
		v, found := tokenValue(name, hc)
		if !found {
			ok = false
			return ""
		}
		return url.QueryEscape(v)
	})
	return out, ok
}

func tokenValue(name string, hc *hookContext) (string, bool) {
	if field, ok := strings.CutPrefix(name, "context."); ok {
		v, found := hc.primitives[field]
		return v, found && v != ""
	}
	prefix := map[string]string{
		"userPractitionerId":     "Practitioner/",
		"userPractitionerRoleId": "PractitionerRole/",
		"userPatientId":          "Patient/",
		"userRelatedPersonId":    "RelatedPerson/",
	}[name]
	if prefix == "" {
		return "", false
	}
	id, ok := strings.CutPrefix(hc.UserID, prefix)
	return id, ok && id != ""
}

// gathered is the FHIR data of one call, by resource type.
type gathered struct {
	patient    *fhir.Patient
	meds       []*fhir.MedicationRequest
	statements []*fhir.MedicationStatement
	allergies  []*fhir.AllergyIntolerance
	conditions []*fhir.Condition
	labs       []*fhir.Observation
	skipped    map[string]int // resource types read but not used
	have       map[string]bool
	fetched    int
}

func newGathered() *gathered {
	return &gathered{skipped: map[string]int{}, have: map[string]bool{}}
}

// add files every resource of r (flattening bundles) by type.
func (g *gathered) add(r fhir.Resource) {
	switch x := r.(type) {
	case *fhir.Bundle:
		for _, rr := range x.Resources() {
			g.add(rr)
		}
	case *fhir.Patient:
		if g.patient == nil {
			g.patient = x
		}
	case *fhir.MedicationRequest:
		g.meds = append(g.meds, x)
	case *fhir.MedicationStatement:
		g.statements = append(g.statements, x)
	case *fhir.AllergyIntolerance:
		g.allergies = append(g.allergies, x)
	case *fhir.Condition:
		g.conditions = append(g.conditions, x)
	case *fhir.Observation:
		g.labs = append(g.labs, x)
	case nil:
	default:
		g.skipped[r.ResourceType()]++
	}
}

// haveType records which kinds of data the call supplied, so a missing key is not fetched
// when the client put the data under another key (PDDI-CDS's item1..item6).
func (g *gathered) supplied(key string) bool {
	if g.have[key] {
		return true
	}
	switch key {
	case keyPatient:
		return g.patient != nil
	case keyMeds:
		return len(g.meds) > 0
	case keyStatements:
		return len(g.statements) > 0
	case keyAllergies:
		return len(g.allergies) > 0
	case keyConditions:
		return len(g.conditions) > 0
	case keyLabs:
		return len(g.labs) > 0
	}
	return false
}

// readPrefetch decodes the request's prefetch. Known keys must hold their expected type (400
// otherwise); null values (the client could not fetch) count as missing; other keys are read
// tolerantly for any resource.
func readPrefetch(req *hookRequest, g *gathered) error {
	keys := make([]string, 0, len(req.Prefetch))
	for k := range req.Prefetch {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		raw := bytes.TrimSpace(req.Prefetch[k])
		if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
			continue
		}
		want, known := expectedType[k]
		if raw[0] != '{' {
			if known {
				return badRequest("/prefetch/"+k, "prefetch %s must be a FHIR %s", k, want)
			}
			continue // e.g. the spec's "user": "123"
		}
		r, err := fhir.Decode(raw)
		if err != nil {
			return badRequest("/prefetch/"+k, "%s", jsonReason(err))
		}
		if known && r.ResourceType() != want {
			return badRequest("/prefetch/"+k, "prefetch %s must be a FHIR %s, got %s", k, want, r.ResourceType())
		}
		if known {
			g.have[k] = true
		}
		g.add(r)
	}
	return nil
}

// requiredKeys must be available (in the prefetch, under any key, or fetched) to answer:
// without the active medication list an interaction check would silently miss interactions.
// The other data refine or add alerts and are used when available.
var requiredKeys = map[string]bool{keyMeds: true}

// errMissingData is answered with 412 Precondition Failed.
var errMissingData = errors.New("required data missing")

// completePrefetch fetches what the prefetch lacks from the client's FHIR server. It returns
// errMissingData (wrapped, with a safe message) when required data can be neither found nor
// fetched.
func (s *Service) completePrefetch(ctx context.Context, req *hookRequest, hc *hookContext, g *gathered) error {
	var missing []string
	for k := range prefetchTemplates {
		if !g.supplied(k) {
			// Medication statements stand in for requests and vice versa.
			if k == keyMeds && g.supplied(keyStatements) || k == keyStatements && g.supplied(keyMeds) {
				continue
			}
			missing = append(missing, k)
		}
	}
	sort.Strings(missing)
	if len(missing) == 0 {
		return nil
	}
	canFetch := req.FHIRServer != "" && req.FHIRAuthorization != nil
	refused := canFetch && !s.fhirAllowed(req.FHIRServer)
	if refused {
		canFetch = false
		s.log.Warn("cds fhirServer not on the allow-list", "hookInstance", req.HookInstance)
	}
	var mu sync.Mutex
	fetchErr := map[string]error{}
	if canFetch {
		ctx, cancel := context.WithTimeout(ctx, s.cfg.FetchTimeout)
		defer cancel()
		var wg sync.WaitGroup
		for _, k := range missing {
			query, ok := fillTemplate(prefetchTemplates[k], hc)
			if !ok {
				continue
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				r, err := s.fetchFHIR(ctx, req.FHIRServer, req.FHIRAuthorization.AccessToken, query)
				mu.Lock()
				defer mu.Unlock()
				if err != nil {
					fetchErr[k] = err
					return
				}
				if r != nil {
					if want := expectedType[k]; r.ResourceType() != want {
						fetchErr[k] = fmt.Errorf("FHIR server answered %s for %s", r.ResourceType(), want)
						return
					}
					g.add(r)
				}
				g.have[k] = true
				g.fetched++
			}()
		}
		wg.Wait()
	}
	for _, k := range missing {
		if !requiredKeys[k] || g.supplied(k) || (k == keyMeds && g.supplied(keyStatements)) {
			continue
		}
		if refused {
			return fmt.Errorf("%w: prefetch %q is missing and the request's fhirServer is not one this service is configured to fetch from", errMissingData, k)
		}
		if !canFetch {
			return fmt.Errorf("%w: prefetch %q is missing and the request has no fhirServer and fhirAuthorization to fetch it", errMissingData, k)
		}
		reason := "no answer"
		if err := fetchErr[k]; err != nil {
			reason = err.Error()
		}
		s.log.Warn("cds prefetch fetch failed", "key", k, "hookInstance", req.HookInstance, "reason", safeReason(reason))
		return fmt.Errorf("%w: prefetch %q is missing and could not be fetched from fhirServer (%s)", errMissingData, k, safeReason(reason))
	}
	return nil
}

// safeReason keeps a fetch error short and free of URLs (which carry patient ids).
func safeReason(s string) string {
	switch {
	case strings.Contains(s, "deadline exceeded"), strings.Contains(s, "Client.Timeout"):
		return "timed out"
	case strings.HasPrefix(s, "HTTP "), strings.HasPrefix(s, "FHIR server answered"):
		return s
	}
	return "request failed"
}

// fetchFHIR GETs one resource or search from the client's FHIR server with its bearer token.
// A 404 for a read counts as "no such resource" (nil, nil).
func (s *Service) fetchFHIR(ctx context.Context, base, token, query string) (fhir.Resource, error) {
	u := strings.TrimSuffix(base, "/") + "/" + query
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/fhir+json")
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := s.cfg.HTTPClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusNotFound && !strings.Contains(query, "?") {
		return nil, nil
	}
	if resp.StatusCode != http.StatusOK {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		return nil, fmt.Errorf("HTTP %d", resp.StatusCode)
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, s.cfg.MaxBodyBytes+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > s.cfg.MaxBodyBytes {
		return nil, errors.New("FHIR server answered more than the size limit")
	}
	if n := bytes.Count(b, []byte(`"resourceType"`)); n > s.cfg.MaxResources {
		return nil, fmt.Errorf("FHIR server answered %d resources, more than the limit", n)
	}
	r, err := fhir.Decode(b)
	if err != nil {
		return nil, fmt.Errorf("FHIR server answered something that is not a resource: %w", err)
	}
	return r, nil
}
