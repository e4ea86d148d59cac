package asr

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// Audio is decoded PCM: one slice per channel, samples in [-1, 1].
type Audio struct {
	SampleRate int
	Channels   [][]float32
	// Name is the source file name, for error messages.
	Name string
}

// Duration is the length of the recording.
func (a *Audio) Duration() time.Duration {
	if a == nil || a.SampleRate <= 0 || len(a.Channels) == 0 {
		return 0
	}
	return time.Duration(float64(len(a.Channels[0])) / float64(a.SampleRate) * float64(time.Second))
}

// Limits DecodeWAV enforces: real recordings sit well inside them, and anything outside is a
// broken header, not audio.
const (
	MinSampleRate = 4000
	MaxSampleRate = 384000
	MaxChannels   = 8
)

// Sentinels for audio failures callers may branch on.
var (
	ErrNotWAV        = errors.New("not a WAV file")
	ErrTruncated     = errors.New("truncated audio")
	ErrUnsupported   = errors.New("unsupported audio encoding")
	ErrNoAudio       = errors.New("no audio samples")
	ErrToolMissing   = errors.New("audio converter not installed")
	ErrEngineMissing = errors.New("speech recognition engine not built in")
)

// DecodeWAV decodes RIFF/WAVE PCM (8-, 16-, 24-, 32-bit integer, 32-bit float; also
// WAVE_FORMAT_EXTENSIBLE with those sub-formats), any channel count up to MaxChannels.
func DecodeWAV(data []byte) (*Audio, error) {
	if len(data) < 12 || string(data[0:4]) != "RIFF" || string(data[8:12]) != "WAVE" {
		if len(data) >= 4 && string(data[0:4]) == "RIFF" && len(data) < 12 {
			return nil, fmt.Errorf("%w: %d-byte RIFF header", ErrTruncated, len(data))
		}
		return nil, fmt.Errorf("%w: missing RIFF/WAVE header", ErrNotWAV)
	}
	var (
		fmtFound           bool
		format, channels   uint16
		rate               uint32
		blockAlign, bits   uint16
		pcm                []byte
		dataFound, dataCut bool
	)
	for off := 12; off+8 <= len(data); {
		id := string(data[off : off+4])
		size := int64(binary.LittleEndian.Uint32(data[off+4 : off+8]))
		body := off + 8
		end := int64(body) + size
		if end > int64(len(data)) {
			if id != "data" {
				return nil, fmt.Errorf("%w: %q chunk of %d bytes runs past the end of the file", ErrTruncated, id, size)
			}
			end, dataCut = int64(len(data)), true
		}
		switch id {
		case "fmt ":
			if size < 16 {
				return nil, fmt.Errorf("%w: fmt chunk of %d bytes", ErrNotWAV, size)
			}
			f := data[body:end]
			format = binary.LittleEndian.Uint16(f[0:2])
			channels = binary.LittleEndian.Uint16(f[2:4])
			rate = binary.LittleEndian.Uint32(f[4:8])
			blockAlign = binary.LittleEndian.Uint16(f[12:14])
			bits = binary.LittleEndian.Uint16(f[14:16])
			if format == 0xFFFE { // WAVE_FORMAT_EXTENSIBLE: the sub-format GUID starts with the format code
				if size < 40 {
					return nil, fmt.Errorf("%w: extensible fmt chunk of %d bytes", ErrNotWAV, size)
				}
				format = binary.LittleEndian.Uint16(f[24:26])
			}
			fmtFound = true
		case "data":
			pcm = data[body:end]
			dataFound = true
		}
		if dataFound && fmtFound {
			break
		}
		off = int(end)
		if size%2 == 1 {
			off++ // chunks are word-aligned
		}
	}
	if !fmtFound {
		return nil, fmt.Errorf("%w: no fmt chunk", ErrNotWAV)
	}
	if !dataFound {
		return nil, fmt.Errorf("%w: no data chunk", ErrTruncated)
	}
	if channels == 0 || channels > MaxChannels {
		return nil, fmt.Errorf("%w: %d channels", ErrUnsupported, channels)
	}
	if rate < MinSampleRate || rate > MaxSampleRate {
		return nil, fmt.Errorf("%w: sample rate %d Hz outside %d–%d", ErrUnsupported, rate, MinSampleRate, MaxSampleRate)
	}
	var decode func([]byte) float32
	switch {
	case format == 1 && bits == 8:
		decode = func(b []byte) float32 { return (float32(b[0]) - 128) / 128 }
	case format == 1 && bits == 16:
		decode = func(b []byte) float32 { return float32(int16(binary.LittleEndian.Uint16(b))) / 32768 }
	case format == 1 && bits == 24:
		decode = func(b []byte) float32 {
			v := int32(uint32(b[0])<<8|uint32(b[1])<<16|uint32(b[2])<<24) >> 8
			return float32(v) / 8388608
		}
	case format == 1 && bits == 32:
		decode = func(b []byte) float32 { return float32(float64(int32(binary.LittleEndian.Uint32(b))) / 2147483648) }
	case format == 3 && bits == 32:
		decode = func(b []byte) float32 {
			v := math.Float32frombits(binary.LittleEndian.Uint32(b))
			if v != v || v > 1 || v < -1 { // NaN or clipped
				if v > 1 {
					return 1
				}
				if v < -1 {
					return -1
				}
				return 0
			}
			return v
		}
	default:
		return nil, fmt.Errorf("%w: format %d with %d bits per sample (want PCM 8/16/24/32-bit or 32-bit float)", ErrUnsupported, format, bits)
	}
	width := int(bits) / 8
	frame := width * int(channels)
	if int(blockAlign) != frame {
		return nil, fmt.Errorf("%w: block align %d, want %d for %d channels of %d bits", ErrNotWAV, blockAlign, frame, channels, bits)
	}
	n := len(pcm) / frame
	if n == 0 {
		if dataCut {
			return nil, fmt.Errorf("%w: data chunk cut off", ErrTruncated)
		}
		return nil, fmt.Errorf("%w: empty data chunk", ErrNoAudio)
	}
	if dataCut && len(pcm)%frame != 0 {
		// A cut in the middle of a frame: keep the whole frames, the rest is lost anyway.
		pcm = pcm[:n*frame]
	}
	a := &Audio{SampleRate: int(rate), Channels: make([][]float32, channels)}
	for c := range a.Channels {
		a.Channels[c] = make([]float32, n)
	}
	for i := 0; i < n; i++ {
		base := i * frame
		for c := 0; c < int(channels); c++ {
			a.Channels[c][i] = decode(pcm[base+c*width:])
		}
	}
	return a, nil
}

// EncodeWAV writes 16-bit PCM WAV, the most widely accepted form (engines, ffmpeg, tests).
func EncodeWAV(a *Audio) []byte {
	ch := len(a.Channels)
	n := 0
	if ch > 0 {
		n = len(a.Channels[0])
	}
	var b bytes.Buffer
	dataLen := n * ch * 2
	b.WriteString("RIFF")
	binary.Write(&b, binary.LittleEndian, uint32(36+dataLen))
	b.WriteString("WAVEfmt ")
	binary.Write(&b, binary.LittleEndian, uint32(16))
	binary.Write(&b, binary.LittleEndian, uint16(1))
	binary.Write(&b, binary.LittleEndian, uint16(ch))
	binary.Write(&b, binary.LittleEndian, uint32(a.SampleRate))
	binary.Write(&b, binary.LittleEndian, uint32(a.SampleRate*ch*2))
	binary.Write(&b, binary.LittleEndian, uint16(ch*2))
	binary.Write(&b, binary.LittleEndian, uint16(16))
	b.WriteString("data")
	binary.Write(&b, binary.LittleEndian, uint32(dataLen))
	buf := make([]byte, 2)
	for i := 0; i < n; i++ {
		for c := 0; c < ch; c++ {
			binary.LittleEndian.PutUint16(buf, uint16(toInt16(a.Channels[c][i])))
			b.Write(buf)
		}
	}
	return b.Bytes()
}

func toInt16(v float32) int16 {
	x := math.Round(float64(v) * 32767)
	switch {
	case x > 32767:
		return 32767
	case x < -32768:
		return -32768
	}
	return int16(x)
}

// Load decodes an audio file. WAV is decoded in-process; MP3, M4A, Ogg, FLAC, WebM and
// anything else are converted to WAV by ffmpeg, or sox when ffmpeg is missing. Without
// either, the error names the Debian packages to install.
func Load(ctx context.Context, name string, data []byte) (*Audio, error) {
	if len(data) == 0 {
		return nil, fmt.Errorf("%s: %w: empty file", name, ErrNoAudio)
	}
	if len(data) >= 12 && string(data[0:4]) == "RIFF" && string(data[8:12]) == "WAVE" ||
		strings.EqualFold(filepath.Ext(name), ".wav") {
		a, err := DecodeWAV(data)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		a.Name = name
		return a, nil
	}
	wav, err := convert(ctx, name, data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	a, err := DecodeWAV(wav)
	if err != nil {
		return nil, fmt.Errorf("%s: converted audio: %w", name, err)
	}
	a.Name = name
	return a, nil
}

// ConvertTimeout bounds one external conversion.
const ConvertTimeout = 5 * time.Minute

// convert runs ffmpeg (or sox) on a temporary copy: both tools need a seekable input for
// some containers (MP4/M4A).
func convert(ctx context.Context, name string, data []byte) ([]byte, error) {
	ffmpeg, ferr := exec.LookPath("ffmpeg")
	sox, serr := exec.LookPath("sox")
	if ferr != nil && serr != nil {
		return nil, fmt.Errorf("%w: %s is not WAV; install ffmpeg (apt-get install ffmpeg) or sox (apt-get install sox libsox-fmt-all) to convert it", ErrToolMissing, filepath.Ext(name))
	}
	dir, err := os.MkdirTemp("", "medscribe-audio-")
	if err != nil {
		return nil, fmt.Errorf("convert: %w", err)
	}
	defer os.RemoveAll(dir)
	ext := strings.ToLower(filepath.Ext(name))
	if ext == "" || len(ext) > 8 {
		ext = ".bin"
	}
	in, out := filepath.Join(dir, "in"+ext), filepath.Join(dir, "out.wav")
	if err := os.WriteFile(in, data, 0o600); err != nil {
		return nil, fmt.Errorf("convert: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, ConvertTimeout)
	defer cancel()
	var cmd *exec.Cmd
	if ferr == nil {
		cmd = exec.CommandContext(ctx, ffmpeg, "-nostdin", "-v", "error", "-i", in, "-c:a", "pcm_s16le", "-y", out)
	} else {
		cmd = exec.CommandContext(ctx, sox, in, "-b", "16", "-e", "signed-integer", out)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		msg := strings.TrimSpace(stderr.String())
		if len(msg) > 300 {
			msg = msg[:300]
		}
		return nil, fmt.Errorf("%w: %s failed: %v: %s", ErrUnsupported, filepath.Base(cmd.Path), err, msg)
	}
	wav, err := os.ReadFile(out)
	if err != nil {
		return nil, fmt.Errorf("convert: %w", err)
	}
	return wav, nil
}

// Mono averages the channels.
func (a *Audio) Mono() []float32 {
	if len(a.Channels) == 1 {
		return a.Channels[0]
	}
	n := len(a.Channels[0])
	out := make([]float32, n)
	for _, ch := range a.Channels {
		for i := 0; i < n && i < len(ch); i++ {
			out[i] += ch[i]
		}
	}
	k := float32(len(a.Channels))
	for i := range out {
		out[i] /= k
	}
	return out
}

// Resample converts samples to rate `to` by linear interpolation after a box low-pass;
// speech recognisers want 16 kHz and speech has little energy above 8 kHz.
func Resample(in []float32, from, to int) []float32 {
	if from == to || len(in) == 0 {
		return in
	}
	src := in
	if from > to {
		// Box filter over the decimation ratio to limit aliasing.
		w := int(math.Round(float64(from) / float64(to)))
		if w > 1 {
			src = make([]float32, len(in))
			var acc float32
			for i := range in {
				acc += in[i]
				if i >= w {
					acc -= in[i-w]
				}
				src[i] = acc / float32(min(i+1, w))
			}
		}
	}
	n := int(int64(len(src)) * int64(to) / int64(from))
	out := make([]float32, n)
	ratio := float64(from) / float64(to)
	for i := range out {
		pos := float64(i) * ratio
		j := int(pos)
		frac := float32(pos - float64(j))
		if j+1 < len(src) {
			out[i] = src[j]*(1-frac) + src[j+1]*frac
		} else {
			out[i] = src[len(src)-1]
		}
	}
	return out
}

// PCM16 converts to 16-bit samples.
func PCM16(in []float32) []int16 {
	out := make([]int16, len(in))
	for i, v := range in {
		out[i] = toInt16(v)
	}
	return out
}
