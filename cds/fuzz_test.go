package cds

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// FuzzDecodeRequest: whatever the bytes, decoding a hook request and reading its prefetch
// never panics, and every refusal is a 400 or 413 request error (never an internal error).
func FuzzDecodeRequest(f *testing.F) {
	for _, dir := range []string{"testdata/examples/pddi-cds", "testdata/examples/inferno-crd", "testdata/examples/spec-2.0.1"} {
		files, _ := filepath.Glob(filepath.Join(dir, "*.json"))
		for _, p := range files {
			if b, err := os.ReadFile(p); err == nil {
				f.Add(b, 0)
			}
		}
	}
	f.Add(hookBody(HookOrderSign, []map[string]any{medReq("d1", "draft", "5640", "ibuprofen")}, standardPrefetch()), 2)
	f.Add(hookBody(HookOrderSelect, []map[string]any{medReq("d1", "draft", "", "x")}, nil), 1)
	f.Add([]byte(`{"hook":"patient-view","hookInstance":"x","context":{"patientId":"p","userId":"u"},"prefetch":{"patient":{"resourceType":"Patient","birthDate":"1950"}}}`), 0)
	hooks := []string{HookPatientView, HookOrderSelect, HookOrderSign}
	f.Fuzz(func(t *testing.T, body []byte, h int) {
		hook := hooks[((h%3)+3)%3]
		req, hc, err := decodeRequest(body, hook, 500)
		if err != nil {
			var re *requestError
			if !errors.As(err, &re) || (re.status != 400 && re.status != 413) {
				t.Fatalf("decode error is not a 400/413 request error: %v", err)
			}
			return
		}
		if hc == nil || hc.PatientID == "" {
			t.Fatal("accepted a request without patientId")
		}
		g := newGathered()
		if err := readPrefetch(req, g); err != nil {
			var re *requestError
			if !errors.As(err, &re) || re.status != 400 {
				t.Fatalf("prefetch error is not a 400: %v", err)
			}
			return
		}
		for k := range prefetchTemplates {
			_, _ = fillTemplate(prefetchTemplates[k], hc)
		}
	})
}
