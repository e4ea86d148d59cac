package asr

import (
	"testing"
)

func FuzzDecodeWAV(f *testing.F) {
	f.Add(wavBytes(1, 1, 8000, 8, []byte{1, 2, 3}))
	f.Add(wavBytes(1, 2, 16000, 16, make([]byte, 16)))
	f.Add(wavBytes(1, 1, 44100, 24, make([]byte, 12)))
	f.Add(wavBytes(3, 2, 48000, 32, make([]byte, 32)))
	f.Add(wavBytes(1, 1, 16000, 16, make([]byte, 16))[:40])
	f.Add([]byte("RIFF"))
	f.Fuzz(func(t *testing.T, data []byte) {
		a, err := DecodeWAV(data)
		if err != nil {
			return
		}
		if len(a.Channels) == 0 || len(a.Channels) > MaxChannels || a.SampleRate < MinSampleRate || a.SampleRate > MaxSampleRate {
			t.Fatalf("accepted bad audio: %d channels at %d Hz", len(a.Channels), a.SampleRate)
		}
		for _, ch := range a.Channels {
			if len(ch) != len(a.Channels[0]) || len(ch) == 0 {
				t.Fatal("ragged or empty channels")
			}
			for _, v := range ch {
				if v != v || v < -1 || v > 1 {
					t.Fatalf("sample %v out of range", v)
				}
			}
		}
	})
}
