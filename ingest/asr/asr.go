package asr

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/medscribe/medscribe/ingest/transcript"
	"github.com/medscribe/medscribe/visit"
)

// Transcriber turns audio into a transcript with speaker roles and times.
type Transcriber interface {
	Transcribe(ctx context.Context, a *Audio) (visit.Transcript, error)
}

// Engines New knows.
const (
	EngineOpenAI = "openai"
	EngineSphinx = "sphinx"
)

// Defaults; see Config.
const (
	DefaultModel          = "whisper-1"
	DefaultTimeout        = 2 * time.Minute
	DefaultMaxRetries     = 2
	DefaultSphinxModelDir = "/usr/share/pocketsphinx/model/en-us"
)

// ErrNoSpeech means the recording held nothing the engine could recognise.
var ErrNoSpeech = errors.New("no speech recognised")

// Config chooses and configures the engine.
type Config struct {
	// BaseURL of an OpenAI-compatible API, including "/v1" (e.g. http://localhost:8000/v1).
	// Setting it selects the openai engine unless Engine says otherwise.
	BaseURL string
	// APIKey for the endpoint; may be empty for local servers.
	APIKey string
	// Model is the transcription model. Default "whisper-1".
	Model string
	// Timeout bounds one request to the endpoint (per channel, per attempt). Default 2m.
	Timeout time.Duration
	// MaxRetries is how often a failed request (network error, 429, 5xx) is retried with
	// backoff. Default 2; negative means none.
	MaxRetries int
	// ChannelRoles gives the speaker of each channel of a multi-channel recording. Default
	// doctor, patient (PriMock57's layout). Channels beyond the list are "other".
	ChannelRoles []visit.Speaker
	// Engine is "openai", "sphinx", or "" for openai when BaseURL is set, else sphinx.
	Engine string
	// SphinxModelDir holds the pocketsphinx acoustic model (en-us/), language model
	// (en-us.lm.bin) and dictionary (cmudict-en-us.dict). Default Debian's
	// /usr/share/pocketsphinx/model/en-us (package pocketsphinx-en-us).
	SphinxModelDir string
}

func (c *Config) withDefaults() Config {
	out := Config{}
	if c != nil {
		out = *c
	}
	if out.Model == "" {
		out.Model = DefaultModel
	}
	if out.Timeout == 0 {
		out.Timeout = DefaultTimeout
	}
	if out.MaxRetries == 0 {
		out.MaxRetries = DefaultMaxRetries
	} else if out.MaxRetries < 0 {
		out.MaxRetries = 0
	}
	if out.ChannelRoles == nil {
		out.ChannelRoles = []visit.Speaker{visit.Doctor, visit.Patient}
	}
	if out.Engine == "" {
		out.Engine = EngineSphinx
		if out.BaseURL != "" {
			out.Engine = EngineOpenAI
		}
	}
	if out.SphinxModelDir == "" {
		out.SphinxModelDir = DefaultSphinxModelDir
	}
	return out
}

func (c *Config) validate() error {
	switch c.Engine {
	case EngineOpenAI:
		if c.BaseURL == "" {
			return errors.New("asr: engine openai needs BaseURL")
		}
		if !strings.HasPrefix(c.BaseURL, "http://") && !strings.HasPrefix(c.BaseURL, "https://") {
			return fmt.Errorf("asr: BaseURL %q must be an http(s) URL", c.BaseURL)
		}
	case EngineSphinx:
	default:
		return fmt.Errorf("asr: unknown engine %q (want %q or %q)", c.Engine, EngineOpenAI, EngineSphinx)
	}
	if c.Timeout < 0 {
		return fmt.Errorf("asr: negative timeout %v", c.Timeout)
	}
	for i, r := range c.ChannelRoles {
		if !r.Valid() {
			return fmt.Errorf("asr: ChannelRoles[%d] %q is not a speaker role", i, r)
		}
	}
	return nil
}

// segment is one recognised utterance of one channel.
type segment struct {
	startMS, endMS int64
	text           string
}

// channelEngine recognises one channel of audio.
type channelEngine interface {
	transcribeChannel(ctx context.Context, samples []float32, rate int) ([]segment, error)
}

// New builds the configured engine. The sphinx engine exists only in binaries built with
// `-tags pocketsphinx`; otherwise New fails with ErrEngineMissing and says how to build it.
func New(cfg *Config) (Transcriber, error) {
	c := cfg.withDefaults()
	if err := c.validate(); err != nil {
		return nil, err
	}
	var eng channelEngine
	var err error
	switch c.Engine {
	case EngineOpenAI:
		eng = newOpenAI(c)
	case EngineSphinx:
		eng, err = newSphinx(c)
	}
	if err != nil {
		return nil, err
	}
	return &channelTranscriber{eng: eng, roles: c.ChannelRoles}, nil
}

// channelTranscriber applies the channel policy around an engine.
type channelTranscriber struct {
	eng   channelEngine
	roles []visit.Speaker
}

// Transcribe recognises each channel of a multi-channel recording separately, keeping its
// role, and merges the turns by start time; a mono recording (or one whose channels are
// identical) is recognised once and its roles inferred from what is said.
func (t *channelTranscriber) Transcribe(ctx context.Context, a *Audio) (visit.Transcript, error) {
	if a == nil || len(a.Channels) == 0 || len(a.Channels[0]) == 0 {
		return visit.Transcript{}, fmt.Errorf("%s: %w", audioName(a), ErrNoAudio)
	}
	if a.SampleRate < MinSampleRate || a.SampleRate > MaxSampleRate {
		return visit.Transcript{}, fmt.Errorf("%s: %w: sample rate %d Hz", audioName(a), ErrUnsupported, a.SampleRate)
	}
	var turns []visit.Turn
	if len(a.Channels) == 1 || sameChannels(a.Channels) {
		segs, err := t.eng.transcribeChannel(ctx, a.Channels[0], a.SampleRate)
		if err != nil {
			return visit.Transcript{}, fmt.Errorf("%s: %w", audioName(a), err)
		}
		turns = segTurns(segs, visit.Unknown)
	} else {
		for c, ch := range a.Channels {
			role := visit.Other
			if c < len(t.roles) {
				role = t.roles[c]
			}
			segs, err := t.eng.transcribeChannel(ctx, ch, a.SampleRate)
			if err != nil {
				return visit.Transcript{}, fmt.Errorf("%s: channel %d: %w", audioName(a), c+1, err)
			}
			turns = append(turns, segTurns(segs, role)...)
		}
		sort.SliceStable(turns, func(i, j int) bool { return *turns[i].StartMS < *turns[j].StartMS })
	}
	if len(turns) == 0 {
		return visit.Transcript{}, fmt.Errorf("%s: %w", audioName(a), ErrNoSpeech)
	}
	for i := range turns {
		turns[i].Index = i
	}
	tr := visit.Transcript{Turns: turns}
	transcript.InferRoles(&tr)
	return tr, nil
}

func audioName(a *Audio) string {
	if a == nil || a.Name == "" {
		return "audio"
	}
	return a.Name
}

func segTurns(segs []segment, role visit.Speaker) []visit.Turn {
	var out []visit.Turn
	for _, s := range segs {
		text := strings.Join(strings.Fields(s.text), " ")
		if text == "" {
			continue
		}
		st, en := s.startMS, s.endMS
		out = append(out, visit.Turn{Speaker: role, Text: text, StartMS: &st, EndMS: &en})
	}
	return out
}

// sameChannels catches "stereo" files that carry one mono signal twice.
func sameChannels(chs [][]float32) bool {
	for _, ch := range chs[1:] {
		if len(ch) != len(chs[0]) {
			return false
		}
		for i := range ch {
			d := ch[i] - chs[0][i]
			if d > 1e-3 || d < -1e-3 {
				return false
			}
		}
	}
	return true
}
