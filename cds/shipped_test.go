package cds

import (
	"encoding/json"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/medscribe/medscribe/rules"
)

// TestShippedRulesOnPDDIExamples runs HL7 PDDI-CDS's example requests against the shipped rule
// set: warfarin + ketorolac (NSAID) and digoxin + cyclosporine must raise their alerts, and
// every answer must satisfy the spec's rules.
func TestShippedRulesOnPDDIExamples(t *testing.T) {
	t.Parallel()
	tests := []struct {
		file  string
		drugs []string // words the alert's detail must name
	}{
		{"warfarin-nsaids-order-sign-coordination.json", []string{"warfarin", "ketorolac"}},
		{"warfarin-nsaids-order-select-coordination.json", []string{"warfarin", "ketorolac"}},
		{"digoxin-cyclosporine-order-sign-no-coordination.json", []string{"digoxin", "cyclosporine"}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, envOpts{rulesDir: "default"})
			body := mustRead(t, filepath.Join("testdata/examples/pddi-cds", tt.file))
			var req map[string]any
			require.NoError(t, json.Unmarshal(body, &req))
			w := e.call(serviceOfHook[req["hook"].(string)], body)
			require.Equal(t, http.StatusOK, w.Code, w.Body.String())
			requireValid(t, w.Body.Bytes())
			found := false
			for _, c := range decodeCards(t, w.Body.Bytes()) {
				d, _ := c["detail"].(string)
				if containsAll(d, tt.drugs) {
					found = true
					ext := c["extension"].(map[string]any)
					sev, _ := ext[ExtSeverity].(string)
					hp, _ := ext[ExtHighPriority].(bool)
					assert.Equal(t, indicator(&rules.Alert{Severity: sev, HighPriority: hp}), c["indicator"])
				}
			}
			assert.True(t, found, "no card names %v: %s", tt.drugs, w.Body.String())
		})
	}
}

func containsAll(s string, words []string) bool {
	s = strings.ToLower(s)
	for _, w := range words {
		if !strings.Contains(s, w) {
			return false
		}
	}
	return true
}
