package cds

import (
	"encoding/csv"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestConformanceChecklist: every SHALL/SHALL NOT requirement for services has a row in
// CONFORMANCE.md saying how it is met.
func TestConformanceChecklist(t *testing.T) {
	t.Parallel()
	f, err := os.Open("testdata/requirements/cds-hooks_2.0_requirements.csv")
	require.NoError(t, err)
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	require.NoError(t, err)
	doc := string(mustRead(t, "CONFORMANCE.md"))
	n := 0
	for _, r := range rows[1:] {
		id, conf, actors := r[0], r[3], r[4]
		if !strings.Contains(actors, "Service") || !strings.HasPrefix(conf, "SHALL") {
			continue
		}
		n++
		assert.Contains(t, doc, "\n| "+id+" | ", "requirement %s", id)
	}
	assert.Greater(t, n, 60)
}
