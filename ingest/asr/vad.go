package asr

import (
	"math"
	"sort"
)

// Span is a stretch of speech, in samples.
type Span struct{ Start, End int }

// VAD tuning. Pauses shorter than minGap stay inside one utterance; shorter bursts than
// minSpeech are clicks and breaths.
const (
	vadFrameMS  = 20
	vadMinGapMS = 500
	vadMinSpMS  = 150
	vadPadMS    = 120
	vadAbsFloor = 0.004 // RMS below this is silence whatever the noise floor (-48 dBFS)
)

// SpeechSpans finds utterances by frame energy against the recording's own noise floor, so
// the engine decodes speech only and each utterance gets start and end times.
func SpeechSpans(x []float32, rate int) []Span {
	frame := rate * vadFrameMS / 1000
	if frame <= 0 || len(x) < frame {
		return nil
	}
	nf := len(x) / frame
	rms := make([]float64, nf)
	for f := 0; f < nf; f++ {
		var s float64
		for _, v := range x[f*frame : (f+1)*frame] {
			s += float64(v) * float64(v)
		}
		rms[f] = math.Sqrt(s / float64(frame))
	}
	sorted := append([]float64(nil), rms...)
	sort.Float64s(sorted)
	floor := sorted[len(sorted)/10]
	thr := math.Max(floor*3, vadAbsFloor)
	var spans []Span
	in := false
	start := 0
	for f := 0; f <= nf; f++ {
		speech := f < nf && rms[f] > thr
		switch {
		case speech && !in:
			in, start = true, f
		case !speech && in:
			in = false
			spans = append(spans, Span{start, f})
		}
	}
	// Merge short gaps, drop short bursts, pad.
	gap := vadMinGapMS / vadFrameMS
	var merged []Span
	for _, s := range spans {
		if n := len(merged); n > 0 && s.Start-merged[n-1].End < gap {
			merged[n-1].End = s.End
			continue
		}
		merged = append(merged, s)
	}
	pad := vadPadMS / vadFrameMS
	var out []Span
	for _, s := range merged {
		if (s.End-s.Start)*vadFrameMS < vadMinSpMS {
			continue
		}
		st := max(0, (s.Start-pad)*frame)
		en := min(len(x), (s.End+pad)*frame)
		if n := len(out); n > 0 && st < out[n-1].End {
			st = out[n-1].End
		}
		out = append(out, Span{st, en})
	}
	return out
}
