package vocab

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/medscribe/medscribe/visit"
)

func open(t *testing.T, name string) *os.File {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", "import", name))
	require.NoError(t, err)
	t.Cleanup(func() { f.Close() })
	return f
}

func terms(es []Entry) map[string]Entry {
	m := map[string]Entry{}
	for _, e := range es {
		m[e.Term] = e
	}
	return m
}

func TestImportRxNormIngredientsOnlyWithoutRel(t *testing.T) {
	es, st, err := ImportRxNorm(open(t, "RXNCONSO.RRF"), nil, "RxNorm test")
	require.NoError(t, err)
	m := terms(es)
	assert.Len(t, es, 3, "lisinopril, furosemide, metoprolol: not the suppressed IN, not SCD/BN/PIN")
	require.Contains(t, m, "lisinopril")
	assert.Equal(t, visit.Code{System: visit.SystemRxNorm, Code: "29046", Display: "lisinopril"}, *m["lisinopril"].Code)
	assert.Empty(t, m["furosemide"].Synonyms, "brands need RXNREL")
	assert.NotContains(t, m, "obsoletium")
	assert.Equal(t, 10, st.Read)
	assert.Equal(t, 3, st.Kept)
}

func TestImportRxNormLinksBrandsAndPreciseIngredients(t *testing.T) {
	es, st, err := ImportRxNorm(open(t, "RXNCONSO.RRF"), open(t, "RXNREL.RRF"), "RxNorm test")
	require.NoError(t, err)
	m := terms(es)
	assert.Equal(t, []string{"lasix"}, m["furosemide"].Synonyms, "relation read in both directions, once")
	assert.Equal(t, []string{"metoprolol succinate"}, m["metoprolol"].Synonyms)
	assert.Equal(t, []string{"zestril"}, m["lisinopril"].Synonyms, "brand of two ingredients is not attached")
	assert.Equal(t, 3, st.Linked)
	v, err := New(es)
	require.NoError(t, err)
	got := v.LookupKind("Lasix", KindDrug)
	require.Len(t, got, 1)
	assert.Equal(t, "furosemide", got[0].Term)
}

func TestImportRxNormRejectsOtherFiles(t *testing.T) {
	_, _, err := ImportRxNorm(strings.NewReader("a|b|c|\n"), nil, "x")
	assert.ErrorContains(t, err, "RXNCONSO.RRF:1: 3 fields")
	_, _, err = ImportRxNorm(strings.NewReader(""), nil, "x")
	assert.ErrorContains(t, err, "empty file")
}

func TestImportICD10CMOrderFile(t *testing.T) {
	es, st, err := ImportICD10CM(open(t, "icd10cm_order_2025.txt"), "ICD-10-CM test")
	require.NoError(t, err)
	assert.Equal(t, 9, st.Read)
	assert.Equal(t, 2, st.Skipped, "two category headers")
	m := terms(es)
	require.Contains(t, m, "essential (primary) hypertension")
	assert.Equal(t, "I10", m["essential (primary) hypertension"].Code.Code)
	assert.Equal(t, "I50.9", m["heart failure, unspecified"].Code.Code)
	assert.Equal(t, "E11.9", m["type 2 diabetes mellitus without complications"].Code.Code)
	assert.Equal(t, "M25.561", m["pain in right knee"].Code.Code)
	assert.Equal(t, "S93.401A", m["sprain of unspecified ligament of right ankle, initial encounter"].Code.Code)
	assert.Equal(t, []string{"sprain of unsp ligament of right ankle, init encntr"}, m["sprain of unspecified ligament of right ankle, initial encounter"].Synonyms)
	assert.Equal(t, "U07.1", m["covid-19"].Code.Code)
	assert.Equal(t, KindFinding, m["chest pain, unspecified"].Kind)
	assert.Equal(t, KindProblem, m["pain in right knee"].Kind)
	assert.NotContains(t, m, "heart failure", "headers are not billable")

	_, _, err = ImportICD10CM(strings.NewReader("I10 Essential hypertension\n"), "x")
	assert.ErrorContains(t, err, "order file:1: not in the fixed-width")
}

func TestImportLOINC(t *testing.T) {
	es, st, err := ImportLOINC(open(t, "Loinc.csv"), "LOINC test")
	require.NoError(t, err)
	assert.Equal(t, 5, st.Read)
	assert.Equal(t, 3, st.Kept, "deprecated and clinical (non-lab) terms skipped")
	m := terms(es)
	e := m["hemoglobin a1c/hemoglobin.total in blood"]
	require.NotNil(t, e.Code)
	assert.Equal(t, "4548-4", e.Code.Code)
	assert.Equal(t, "Hemoglobin A1c/Hemoglobin.total in Blood", e.Code.Display)
	assert.Equal(t, []string{"hgb a1c mfr bld"}, e.Synonyms)

	_, _, err = ImportLOINC(strings.NewReader("\"LOINC_NUM\",\"LONG_COMMON_NAME\",\"CLASSTYPE\"\n\"4548-5\",\"x\",\"1\"\n"), "x")
	assert.ErrorContains(t, err, "Loinc.csv:2: loinc code \"4548-5\": check digit")
	_, _, err = ImportLOINC(strings.NewReader("a,b\n"), "x")
	assert.ErrorContains(t, err, "no LOINC_NUM column")
}

// The import → write → load → merge path the command and the engine use.
func TestImportedDirMergesOverDefault(t *testing.T) {
	rx, _, err := ImportRxNorm(open(t, "RXNCONSO.RRF"), open(t, "RXNREL.RRF"), "RxNorm test")
	require.NoError(t, err)
	icd, _, err := ImportICD10CM(open(t, "icd10cm_order_2025.txt"), "ICD-10-CM test")
	require.NoError(t, err)
	ln, _, err := ImportLOINC(open(t, "Loinc.csv"), "LOINC test")
	require.NoError(t, err)
	v, err := New(append(append(rx, icd...), ln...))
	require.NoError(t, err)
	dir := t.TempDir()
	require.NoError(t, v.WriteDir(dir))

	merged, err := LoadDir(dir)
	require.NoError(t, err)
	htn := merged.LookupKind("high blood pressure", KindProblem)
	require.Len(t, htn, 1)
	assert.Equal(t, "essential (primary) hypertension", htn[0].Term, "imported term wins on the same code")
	assert.Equal(t, "ICD-10-CM test", htn[0].Source)
	assert.Contains(t, htn[0].Synonyms, "hypertension", "embedded term kept as a synonym")
	a1c := merged.LookupKind("a1c", KindLab)
	require.Len(t, a1c, 1)
	assert.Equal(t, "4548-4", a1c[0].Code.Code)
	lasix := merged.LookupKind("lasix", KindDrug)
	require.Len(t, lasix, 1)
	assert.Contains(t, lasix[0].Classes, "loop diuretic")
	assert.Equal(t, Default().Count(KindDrug), merged.Count(KindDrug), "every imported drug matched an embedded one")
}
