package vocab

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/medscribe/medscribe/visit"
)

// systemNames maps the short system names used in the data files to the contract's URIs.
var systemNames = map[string]string{
	"rxnorm":  visit.SystemRxNorm,
	"icd10cm": visit.SystemICD10CM,
	"snomed":  visit.SystemSNOMED,
	"loinc":   visit.SystemLOINC,
}

// shortSystem returns the data-file name of a system URI, "" when unknown.
func shortSystem(uri string) string {
	for k, v := range systemNames {
		if v == uri {
			return k
		}
	}
	return ""
}

var (
	reRxCUI = regexp.MustCompile(`^[1-9][0-9]{0,8}$`)
	reICD10 = regexp.MustCompile(`^[A-TV-Z][0-9][0-9AB](\.[0-9A-TV-Z]{1,4})?$`)
	// reICD10U admits the only U codes ICD-10-CM uses: CDC's emergency codes U07.0 (vaping-related
	// disorder), U07.1 (COVID-19) and U09.9 (post COVID-19 condition).
	reICD10U = regexp.MustCompile(`^U0[79]\.[0-9]$`)
	reLOINC  = regexp.MustCompile(`^[0-9]{1,5}-[0-9]$`)
	reSNOMED = regexp.MustCompile(`^[1-9][0-9]{5,17}$`)
)

// CheckCode reports why code is not a well-formed code of its system, nil when it is. It checks
// shape and, where the system has one, the check digit (LOINC mod 10, SNOMED CT Verhoeff), so
// a mistyped code is caught even when the right one cannot be looked up offline.
func CheckCode(system, code string) error {
	switch system {
	case visit.SystemRxNorm:
		if !reRxCUI.MatchString(code) {
			return fmt.Errorf("rxnorm code %q: want an RxCUI (digits)", code)
		}
	case visit.SystemICD10CM:
		if !reICD10.MatchString(code) && !reICD10U.MatchString(code) {
			return fmt.Errorf("icd10cm code %q: want the ICD-10-CM shape (e.g. E11.9)", code)
		}
	case visit.SystemLOINC:
		if !reLOINC.MatchString(code) {
			return fmt.Errorf("loinc code %q: want NNNNN-N", code)
		}
		if !LOINCCheckDigitValid(code) {
			return fmt.Errorf("loinc code %q: check digit does not match", code)
		}
	case visit.SystemSNOMED:
		if !reSNOMED.MatchString(code) {
			return fmt.Errorf("snomed code %q: want an SCTID (6-18 digits)", code)
		}
		if p := code[len(code)-3 : len(code)-1]; p != "00" && p != "10" {
			return fmt.Errorf("snomed code %q: partition %q is not a concept id", code, p)
		}
		if !VerhoeffValid(code) {
			return fmt.Errorf("snomed code %q: Verhoeff check digit does not match", code)
		}
	default:
		return fmt.Errorf("unknown code system %q", system)
	}
	return nil
}

// LOINCCheckDigitValid reports whether a LOINC code "NNNNN-C" carries the right mod 10 check
// digit C, computed as the LOINC Users' Guide describes (doubling the digits at odd positions
// from the right, summing the digits, distance to the next multiple of ten).
func LOINCCheckDigitValid(code string) bool {
	body, check, ok := strings.Cut(code, "-")
	if !ok || len(check) != 1 || body == "" {
		return false
	}
	d, ok := loincCheckDigit(body)
	return ok && byte('0'+d) == check[0]
}

func loincCheckDigit(body string) (int, bool) {
	sum := 0
	for i := 0; i < len(body); i++ {
		c := body[len(body)-1-i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n := int(c - '0')
		if i%2 == 0 { // odd position counting from the right, 1-based
			n *= 2
			if n > 9 {
				n -= 9
			}
		}
		sum += n
	}
	return (10 - sum%10) % 10, true
}

var (
	verhoeffD = [10][10]int{
		{0, 1, 2, 3, 4, 5, 6, 7, 8, 9},
		{1, 2, 3, 4, 0, 6, 7, 8, 9, 5},
		{2, 3, 4, 0, 1, 7, 8, 9, 5, 6},
		{3, 4, 0, 1, 2, 8, 9, 5, 6, 7},
		{4, 0, 1, 2, 3, 9, 5, 6, 7, 8},
		{5, 9, 8, 7, 6, 0, 4, 3, 2, 1},
		{6, 5, 9, 8, 7, 1, 0, 4, 3, 2},
		{7, 6, 5, 9, 8, 2, 1, 0, 4, 3},
		{8, 7, 6, 5, 9, 3, 2, 1, 0, 4},
		{9, 8, 7, 6, 5, 4, 3, 2, 1, 0},
	}
	verhoeffP = [8][10]int{
		{0, 1, 2, 3, 4, 5, 6, 7, 8, 9},
		{1, 5, 7, 6, 2, 8, 3, 0, 9, 4},
		{5, 8, 0, 3, 7, 9, 6, 1, 4, 2},
		{8, 9, 1, 6, 0, 4, 3, 5, 2, 7},
		{9, 4, 5, 3, 1, 2, 6, 8, 7, 0},
		{4, 2, 8, 6, 5, 7, 3, 9, 0, 1},
		{2, 7, 9, 3, 8, 0, 6, 4, 1, 5},
		{7, 0, 4, 6, 9, 1, 3, 2, 5, 8},
	}
)

// VerhoeffValid reports whether the digit string s ends in a valid Verhoeff check digit, the
// scheme SNOMED CT identifiers use.
func VerhoeffValid(s string) bool {
	if s == "" {
		return false
	}
	c := 0
	for i := 0; i < len(s); i++ {
		ch := s[len(s)-1-i]
		if ch < '0' || ch > '9' {
			return false
		}
		c = verhoeffD[c][verhoeffP[i%8][ch-'0']]
	}
	return c == 0
}
