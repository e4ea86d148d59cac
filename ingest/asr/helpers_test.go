package asr

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// needTool skips when a tool is missing locally and fails under CI, where .ci/run installs it.
func needTool(t *testing.T, tool, pkg string) string {
	t.Helper()
	p, err := exec.LookPath(tool)
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s not installed (apt-get install %s); CI must have it", tool, pkg)
		}
		t.Skipf("%s not installed (apt-get install %s)", tool, pkg)
	}
	return p
}

// say synthesises text with flite and decodes it.
func say(t *testing.T, text string) *Audio {
	t.Helper()
	flite := needTool(t, "flite", "flite")
	out := filepath.Join(t.TempDir(), "say.wav")
	require.NoError(t, exec.Command(flite, "-t", text, "-o", out).Run())
	b, err := os.ReadFile(out)
	require.NoError(t, err)
	a, err := DecodeWAV(b)
	require.NoError(t, err)
	return a
}

// stereo puts a on the left channel from 0 and b on the right starting after a ends plus
// gap seconds, with silence elsewhere.
func stereo(a, b *Audio, gap float64) *Audio {
	rate := a.SampleRate
	off := len(a.Channels[0]) + int(gap*float64(rate))
	n := off + len(b.Channels[0]) + rate/2
	l, r := make([]float32, n), make([]float32, n)
	copy(l, a.Channels[0])
	copy(r[off:], b.Channels[0])
	return &Audio{SampleRate: rate, Channels: [][]float32{l, r}, Name: "visit.wav"}
}

// wer is the word error rate of hyp against ref (edit distance over words / ref words).
func wer(ref, hyp string) float64 {
	norm := func(s string) []string {
		return strings.Fields(strings.Map(func(r rune) rune {
			if r >= 'a' && r <= 'z' || r == '\'' || r == ' ' {
				return r
			}
			if r >= 'A' && r <= 'Z' {
				return r + 32
			}
			return ' '
		}, s))
	}
	rw, hw := norm(ref), norm(hyp)
	d := make([]int, len(hw)+1)
	for j := range d {
		d[j] = j
	}
	for i := 1; i <= len(rw); i++ {
		prev := d[0]
		d[0] = i
		for j := 1; j <= len(hw); j++ {
			cur := d[j]
			cost := 1
			if rw[i-1] == hw[j-1] {
				cost = 0
			}
			d[j] = min(d[j]+1, d[j-1]+1, prev+cost)
			prev = cur
		}
	}
	if len(rw) == 0 {
		return float64(len(hw))
	}
	return float64(d[len(hw)]) / float64(len(rw))
}
