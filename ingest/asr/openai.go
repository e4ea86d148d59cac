package asr

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"time"

	openai "github.com/sashabaranov/go-openai"
)

// openAIEngine calls an OpenAI-compatible /v1/audio/transcriptions endpoint.
type openAIEngine struct {
	client  *openai.Client
	model   string
	timeout time.Duration
	retries int
	backoff time.Duration
}

func newOpenAI(c Config) *openAIEngine {
	oc := openai.DefaultConfig(c.APIKey)
	oc.BaseURL = c.BaseURL
	// The per-attempt context carries the timeout; the client's is a backstop.
	oc.HTTPClient = &http.Client{Timeout: c.Timeout + 5*time.Second}
	return &openAIEngine{client: openai.NewClientWithConfig(oc), model: c.Model, timeout: c.Timeout, retries: c.MaxRetries, backoff: 500 * time.Millisecond}
}

// MaxChunk is the longest audio sent in one request: 16 kHz 16-bit mono for 10 minutes is
// about 19 MB, inside the 25 MB upload limit of OpenAI's endpoint.
const MaxChunk = 10 * time.Minute

// transcribeChannel uploads the channel as 16 kHz 16-bit WAV (what Whisper-class models
// use internally, and a third of a 48 kHz upload), in chunks cut at pauses when it is long,
// and asks for verbose_json to get timed segments.
func (e *openAIEngine) transcribeChannel(ctx context.Context, samples []float32, rate int) ([]segment, error) {
	x := Resample(samples, rate, 16000)
	var segs []segment
	for _, ch := range chunks(x, 16000, int(MaxChunk/time.Second)*16000) {
		got, err := e.request(ctx, x[ch.Start:ch.End])
		if err != nil {
			return nil, err
		}
		off := int64(ch.Start) / 16
		for _, s := range got {
			s.startMS += off
			s.endMS += off
			segs = append(segs, s)
		}
	}
	return segs, nil
}

// chunks cuts x into pieces of at most limit samples, at the middle of a pause where there is
// one.
func chunks(x []float32, rate, limit int) []Span {
	if len(x) <= limit {
		return []Span{{0, len(x)}}
	}
	spans := SpeechSpans(x, rate)
	var out []Span
	start := 0
	for start < len(x) {
		end := min(start+limit, len(x))
		if end < len(x) {
			// The last pause that ends the chunk early enough.
			for i := len(spans) - 1; i > 0; i-- {
				cut := (spans[i-1].End + spans[i].Start) / 2
				if cut > start && cut <= end {
					end = cut
					break
				}
			}
		}
		out = append(out, Span{start, end})
		start = end
	}
	return out
}

func (e *openAIEngine) request(ctx context.Context, x []float32) ([]segment, error) {
	wav := EncodeWAV(&Audio{SampleRate: 16000, Channels: [][]float32{x}})
	var resp openai.AudioResponse
	var err error
	for attempt := 0; ; attempt++ {
		actx, cancel := context.WithTimeout(ctx, e.timeout)
		resp, err = e.client.CreateTranscription(actx, openai.AudioRequest{
			Model:    e.model,
			FilePath: "audio.wav",
			Reader:   bytes.NewReader(wav),
			Format:   openai.AudioResponseFormatVerboseJSON,
		})
		cancel()
		if err == nil || attempt >= e.retries || !retryable(ctx, err) {
			break
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(e.backoff << attempt):
		}
	}
	if err != nil {
		return nil, fmt.Errorf("transcription request: %w", err)
	}
	var segs []segment
	for _, s := range resp.Segments {
		st, en := secMS(s.Start), secMS(s.End)
		if en < st {
			en = st
		}
		segs = append(segs, segment{startMS: st, endMS: en, text: s.Text})
	}
	if len(segs) == 0 && resp.Text != "" {
		dur := int64(math.Round(float64(len(x)) / 16))
		segs = []segment{{startMS: 0, endMS: dur, text: resp.Text}}
	}
	return segs, nil
}

func secMS(s float64) int64 {
	if math.IsNaN(s) || s < 0 {
		return 0
	}
	return int64(math.Round(s * 1000))
}

// retryable: transport failures, timeouts of one attempt, rate limits and server errors;
// never a cancelled caller or a 4xx that will fail the same way again.
func retryable(ctx context.Context, err error) bool {
	if ctx.Err() != nil {
		return false
	}
	var apiErr *openai.APIError
	if errors.As(err, &apiErr) {
		return apiErr.HTTPStatusCode == http.StatusTooManyRequests || apiErr.HTTPStatusCode >= 500
	}
	var reqErr *openai.RequestError
	if errors.As(err, &reqErr) {
		return reqErr.HTTPStatusCode == http.StatusTooManyRequests || reqErr.HTTPStatusCode >= 500 || reqErr.HTTPStatusCode == 0
	}
	return true
}
