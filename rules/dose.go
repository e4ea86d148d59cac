package rules

import (
	"fmt"
	"strconv"
	"strings"
)

// FrequencyFromTiming writes a FHIR Timing.repeat (frequency per period periodUnit) in the form
// Med.Frequency accepts, e.g. FrequencyFromTiming(1, 1, "wk") == "1/1wk".
func FrequencyFromTiming(frequency int, period float64, periodUnit string) string {
	if frequency <= 0 {
		frequency = 1
	}
	return strconv.Itoa(frequency) + "/" + strconv.FormatFloat(period, 'g', -1, 64) + periodUnit
}

var fixedFrequencies = map[string]float64{
	"daily": 1, "qd": 1, "od": 1, "once daily": 1, "once a day": 1, "every day": 1, "qday": 1,
	"qam": 1, "qpm": 1, "qhs": 1, "am": 1, "pm": 1, "bed": 1, "once": 1, "at bedtime": 1, "nightly": 1, "every morning": 1, "every evening": 1,
	"bid": 2, "twice daily": 2, "twice a day": 2, "two times a day": 2, "two times daily": 2,
	"tid": 3, "three times daily": 3, "three times a day": 3,
	"qid": 4, "four times daily": 4, "four times a day": 4,
	"weekly": 1.0 / 7, "once weekly": 1.0 / 7, "once a week": 1.0 / 7, "every week": 1.0 / 7,
	"qw": 1.0 / 7, "qwk": 1.0 / 7, "q1w": 1.0 / 7,
	"twice weekly": 2.0 / 7, "twice a week": 2.0 / 7, "biw": 2.0 / 7,
	"every other day": 0.5, "qod": 0.5, "monthly": 1.0 / 30, "once a month": 1.0 / 30,
	// FHIR Timing abbreviation codes (v3 GTSAbbreviation) as lowercased labels.
	"wk": 1.0 / 7, "mo": 1.0 / 30,
}

var periodDays = map[string]float64{"s": 1.0 / 86400, "min": 1.0 / 1440, "h": 1.0 / 24, "d": 1, "wk": 7, "mo": 30, "a": 365}

// perDay parses a frequency into administrations per day; ok is false when unknown. For a range
// ("q4-6h") the most frequent end counts, since dose limits care about the worst case.
func perDay(freq string) (float64, bool) {
	f := norm(freq)
	for _, prn := range []string{"as needed", "prn"} {
		f = strings.TrimSpace(strings.ReplaceAll(f, prn, ""))
	}
	f = strings.TrimSpace(strings.TrimSuffix(f, ","))
	if f == "" {
		return 0, false
	}
	if v, ok := fixedFrequencies[f]; ok {
		return v, true
	}
	// FHIR Timing form N/Pu ("3/1d", "1/8h", "1/wk").
	if n, per, ok := strings.Cut(f, "/"); ok {
		cnt, err := strconv.ParseFloat(n, 64)
		if err != nil || cnt <= 0 {
			return 0, false
		}
		num := strings.TrimRightFunc(per, func(r rune) bool { return r < '0' || r > '9' && r != '.' })
		unit := per[len(num):]
		p := 1.0
		if num != "" {
			if p, err = strconv.ParseFloat(num, 64); err != nil || p <= 0 {
				return 0, false
			}
		}
		d, ok := periodDays[unit]
		if !ok {
			return 0, false
		}
		return cnt / (p * d), true
	}
	// qNh, qN-Mh, every N hours, every N-M hours.
	var hours string
	switch {
	case strings.HasPrefix(f, "q") && strings.HasSuffix(f, "h"):
		hours = strings.TrimSuffix(strings.TrimPrefix(f, "q"), "h")
	case strings.HasPrefix(f, "q") && strings.HasSuffix(f, "hr"):
		hours = strings.TrimSuffix(strings.TrimPrefix(f, "q"), "hr")
	case strings.HasPrefix(f, "every ") && (strings.HasSuffix(f, " hours") || strings.HasSuffix(f, " hour")):
		hours = strings.TrimSuffix(strings.TrimSuffix(strings.TrimPrefix(f, "every "), " hours"), " hour")
	default:
		return 0, false
	}
	hours = strings.TrimSpace(hours)
	if lo, _, ok := strings.Cut(hours, "-"); ok {
		hours = lo
	}
	h, err := strconv.ParseFloat(hours, 64)
	if err != nil || h <= 0 || h > 24*31 {
		return 0, false
	}
	return 24 / h, true
}

func fmtNum(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

// checkDose returns the factors of every limit m's dose breaks; nil when none or unknown.
func checkDose(r *rule, m *Med) []string {
	var out []string
	var dose *quantity
	if m.Dose != nil && m.Dose.Value > 0 {
		v, u, ok := normQuantity(m.Dose.Value, m.Dose.Unit)
		if ok {
			dose = &quantity{value: v, unit: u}
		}
	}
	pd, freqKnown := perDay(m.Frequency)
	if dose != nil && r.maxSingle != nil && dose.unit == r.maxSingle.unit && dose.value > r.maxSingle.value+1e-9 {
		out = append(out, fmt.Sprintf("single dose %s %s exceeds %s %s", fmtNum(dose.value), dose.unit, fmtNum(r.maxSingle.value), r.maxSingle.unit))
	}
	if dose != nil && freqKnown && r.maxDaily != nil && dose.unit == r.maxDaily.unit {
		daily := dose.value * pd
		if daily > r.maxDaily.value+1e-9 {
			out = append(out, fmt.Sprintf("%s %s %s is %s %s a day, over %s %s", fmtNum(dose.value), dose.unit, m.Frequency,
				fmtNum(round2(daily)), dose.unit, fmtNum(r.maxDaily.value), r.maxDaily.unit))
		}
	}
	if freqKnown && r.maxPerWeek > 0 && pd*7 > r.maxPerWeek+1e-9 {
		out = append(out, fmt.Sprintf("%s is %s doses a week, over %s", m.Frequency, fmtNum(round2(pd*7)), fmtNum(r.maxPerWeek)))
	}
	return out
}

func round2(v float64) float64 { return float64(int64(v*100+0.5)) / 100 }
