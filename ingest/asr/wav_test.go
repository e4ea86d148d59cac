package asr

import (
	"context"
	"encoding/binary"
	"errors"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// wavBytes builds a WAV by hand so each encoding is tested independently of EncodeWAV.
func wavBytes(format, channels uint16, rate uint32, bits uint16, pcm []byte) []byte {
	b := []byte("RIFF\x00\x00\x00\x00WAVEfmt ")
	b = binary.LittleEndian.AppendUint32(b, 16)
	b = binary.LittleEndian.AppendUint16(b, format)
	b = binary.LittleEndian.AppendUint16(b, channels)
	b = binary.LittleEndian.AppendUint32(b, rate)
	b = binary.LittleEndian.AppendUint32(b, rate*uint32(channels)*uint32(bits/8))
	b = binary.LittleEndian.AppendUint16(b, channels*(bits/8))
	b = binary.LittleEndian.AppendUint16(b, bits)
	b = append(b, "LIST\x03\x00\x00\x00abc\x00"...) // odd-sized chunk with a pad byte
	b = append(b, "data"...)
	b = binary.LittleEndian.AppendUint32(b, uint32(len(pcm)))
	b = append(b, pcm...)
	binary.LittleEndian.PutUint32(b[4:], uint32(len(b)-8))
	return b
}

func TestDecodeWAV(t *testing.T) {
	t.Parallel()
	f32 := func(vs ...float32) []byte {
		var b []byte
		for _, v := range vs {
			b = binary.LittleEndian.AppendUint32(b, math.Float32bits(v))
		}
		return b
	}
	tests := []struct {
		name     string
		data     []byte
		channels int
		want     [][]float32
	}{
		{"8-bit mono", wavBytes(1, 1, 8000, 8, []byte{128, 255, 0}), 1, [][]float32{{0, 127.0 / 128, -1}}},
		{"16-bit stereo", wavBytes(1, 2, 16000, 16, []byte{0x00, 0x40, 0x00, 0xC0, 0xFF, 0x7F, 0x00, 0x80}), 2,
			[][]float32{{0.5, 32767.0 / 32768}, {-0.5, -1}}},
		{"24-bit mono", wavBytes(1, 1, 44100, 24, []byte{0x00, 0x00, 0x40, 0x00, 0x00, 0xC0}), 1, [][]float32{{0.5, -0.5}}},
		{"32-bit int mono", wavBytes(1, 1, 48000, 32, []byte{0, 0, 0, 0x40, 0, 0, 0, 0xC0}), 1, [][]float32{{0.5, -0.5}}},
		{"32-bit float stereo", wavBytes(3, 2, 22050, 32, f32(0.25, -0.75, 2, float32(math.NaN()))), 2, [][]float32{{0.25, 1}, {-0.75, 0}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, err := DecodeWAV(tt.data)
			require.NoError(t, err)
			require.Len(t, a.Channels, tt.channels)
			for c := range tt.want {
				assert.InDeltaSlice(t, tt.want[c], a.Channels[c], 1e-6, "channel %d", c)
			}
		})
	}
}

func TestEncodeDecodeRoundTrip(t *testing.T) {
	t.Parallel()
	a := &Audio{SampleRate: 16000, Channels: [][]float32{{0, 0.5, -0.5, 1}, {0.25, -0.25, 0, -1}}}
	b, err := DecodeWAV(EncodeWAV(a))
	require.NoError(t, err)
	assert.Equal(t, 16000, b.SampleRate)
	for c := range a.Channels {
		assert.InDeltaSlice(t, a.Channels[c], b.Channels[c], 1e-4)
	}
}

func TestDecodeWAVErrors(t *testing.T) {
	t.Parallel()
	good := wavBytes(1, 1, 16000, 16, make([]byte, 200))
	rate := func(r uint32) []byte {
		b := append([]byte(nil), good...)
		binary.LittleEndian.PutUint32(b[24:], r)
		return b
	}
	tests := []struct {
		name string
		data []byte
		err  error
		msg  string
	}{
		{"empty", nil, ErrNotWAV, "missing RIFF/WAVE header"},
		{"garbage", []byte("this is not audio at all, just text"), ErrNotWAV, "missing RIFF"},
		{"riff only", []byte("RIFF\x10\x00"), ErrTruncated, "RIFF header"},
		{"header cut in fmt", good[:30], ErrTruncated, `"fmt " chunk`},
		{"no data chunk", good[:36], ErrTruncated, "no data chunk"},
		{"zero-length data", wavBytes(1, 1, 16000, 16, nil), ErrNoAudio, "empty data chunk"},
		{"data cut before first frame", wavBytes(1, 2, 16000, 16, make([]byte, 400))[:57], ErrTruncated, "cut off"},
		{"rate zero", rate(0), ErrUnsupported, "sample rate 0 Hz"},
		{"rate absurd", rate(4000000000), ErrUnsupported, "sample rate 4000000000 Hz"},
		{"mu-law", wavBytes(7, 1, 8000, 8, []byte{1, 2}), ErrUnsupported, "format 7"},
		{"12-bit", wavBytes(1, 1, 8000, 12, []byte{1, 2}), ErrUnsupported, "12 bits"},
		{"no channels", wavBytes(1, 0, 8000, 16, []byte{1, 2}), ErrUnsupported, "0 channels"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := DecodeWAV(tt.data)
			require.Error(t, err)
			assert.True(t, errors.Is(err, tt.err), "got %v, want %v", err, tt.err)
			assert.Contains(t, err.Error(), tt.msg)
		})
	}

	// A file cut inside the data keeps the whole frames before the cut.
	a, err := DecodeWAV(good[:len(good)-51])
	require.NoError(t, err)
	assert.Len(t, a.Channels[0], 74)
}

func TestLoad(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	wav := EncodeWAV(&Audio{SampleRate: 8000, Channels: [][]float32{make([]float32, 800)}})
	a, err := Load(ctx, "x.wav", wav)
	require.NoError(t, err)
	assert.Equal(t, "x.wav", a.Name)

	_, err = Load(ctx, "broken.wav", wav[:30])
	require.ErrorIs(t, err, ErrTruncated)
	assert.Contains(t, err.Error(), "broken.wav:")

	_, err = Load(ctx, "empty.mp3", nil)
	require.ErrorIs(t, err, ErrNoAudio)

	_, ffErr := exec.LookPath("ffmpeg")
	sox, soxErr := exec.LookPath("sox")
	if ffErr != nil && soxErr != nil {
		_, err := Load(ctx, "visit.flac", []byte("fLaC...."))
		require.ErrorIs(t, err, ErrToolMissing)
		assert.Contains(t, err.Error(), "apt-get install ffmpeg")
		return
	}
	if soxErr != nil {
		t.Skip("conversion test uses sox to make the input")
	}
	// Convert through a non-WAV container made by sox, then back through Load.
	dir := t.TempDir()
	in, out := filepath.Join(dir, "in.wav"), filepath.Join(dir, "in.au")
	require.NoError(t, os.WriteFile(in, EncodeWAV(&Audio{SampleRate: 16000, Channels: [][]float32{make([]float32, 1600), make([]float32, 1600)}}), 0o600))
	require.NoError(t, exec.Command(sox, in, out).Run())
	au, err := os.ReadFile(out)
	require.NoError(t, err)
	a, err = Load(ctx, "in.au", au)
	require.NoError(t, err)
	assert.Equal(t, 16000, a.SampleRate)
	assert.Len(t, a.Channels, 2)
	assert.Len(t, a.Channels[0], 1600)

	_, err = Load(ctx, "junk.ogg", []byte("OggS not really"))
	require.ErrorIs(t, err, ErrUnsupported)
	assert.Contains(t, err.Error(), "junk.ogg:")
}

func TestSpeechSpans(t *testing.T) {
	t.Parallel()
	const rate = 16000
	x := make([]float32, 4*rate)
	burst := func(from, to float64) {
		for i := int(from * rate); i < int(to*rate); i++ {
			x[i] = 0.3 * float32(math.Sin(2*math.Pi*220*float64(i)/rate))
		}
	}
	burst(0.5, 1.0)
	burst(1.2, 1.5)  // 200 ms pause: same utterance
	burst(2.5, 3.2)  // 1 s pause: new utterance
	burst(3.9, 3.92) // 20 ms click: dropped
	spans := SpeechSpans(x, rate)
	require.Len(t, spans, 2)
	ms := func(s int) int { return s * 1000 / rate }
	assert.InDelta(t, 500, ms(spans[0].Start), 150)
	assert.InDelta(t, 1500, ms(spans[0].End), 150)
	assert.InDelta(t, 2500, ms(spans[1].Start), 150)
	assert.InDelta(t, 3200, ms(spans[1].End), 150)
	assert.Empty(t, SpeechSpans(make([]float32, rate), rate), "silence has no speech")
}

func TestResample(t *testing.T) {
	t.Parallel()
	in := make([]float32, 8000)
	for i := range in {
		in[i] = float32(math.Sin(2 * math.Pi * 200 * float64(i) / 8000))
	}
	out := Resample(in, 8000, 16000)
	require.Len(t, out, 16000)
	for i := 100; i < 15900; i += 997 {
		assert.InDelta(t, math.Sin(2*math.Pi*200*float64(i)/16000), out[i], 0.02)
	}
	down := Resample(out, 16000, 8000)
	assert.Len(t, down, 8000)
}
