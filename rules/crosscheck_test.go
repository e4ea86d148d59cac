package rules

import (
	"bufio"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestRxCUIsAgreeWithVocabulary cross-checks the rule set's ingredient RxCUIs against the
// vocabulary's drug list (nlp/vocab/data/drugs.tsv), written independently: where both give a
// code for the same ingredient, they must agree. The rules never read the vocabulary at load
// time; this only guards against a wrong code on either side.
func TestRxCUIsAgreeWithVocabulary(t *testing.T) {
	t.Parallel()
	f, err := os.Open("../nlp/vocab/data/drugs.tsv")
	if err != nil {
		t.Skipf("vocabulary drug list not available: %v", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	col := map[string]int{}
	rs := shippedSet(t)
	compared := 0
	for sc.Scan() {
		fields := strings.Split(sc.Text(), "\t")
		if len(col) == 0 {
			for i, h := range fields {
				col[h] = i
			}
			if _, ok := col["code"]; !ok {
				t.Skip("drugs.tsv has no code column")
			}
			continue
		}
		if len(fields) <= col["code"] || fields[col["system"]] != "rxnorm" || fields[col["code"]] == "" {
			continue
		}
		term, code := strings.ToLower(fields[col["term"]]), fields[col["code"]]
		di, ok := rs.c.byName[term]
		if !ok || rs.c.drugs[di].name != term || rs.c.drugs[di].rxcui == "" {
			continue
		}
		compared++
		assert.Equal(t, code, rs.c.drugs[di].rxcui, "RxCUI of %s: vocabulary and rules disagree", term)
	}
	t.Logf("compared %d ingredient RxCUIs", compared)
}
