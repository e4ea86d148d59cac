package embed

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	openai "github.com/sashabaranov/go-openai"
)

// OpenAIConfig configures the OpenAI-compatible embeddings client.
type OpenAIConfig struct {
	// BaseURL is the API base, e.g. https://api.openai.com/v1 or http://vllm:8000/v1. Required.
	BaseURL string
	APIKey  string
	// Model is required, e.g. text-embedding-3-small.
	Model string
	// Dims requests this dimension (models that support it); 0 = the model's own. The
	// returned vectors must all have it, or the call fails.
	Dims int
	// Timeout bounds one call; default 20 s. MaxRetries defaults to 2.
	Timeout    time.Duration
	MaxRetries int
	// BatchSize bounds docs per request; default 64.
	BatchSize int
}

// OpenAI embeds through an OpenAI-compatible /v1/embeddings endpoint.
type OpenAI struct {
	cfg    OpenAIConfig
	client *openai.Client
}

// NewOpenAI builds the client.
func NewOpenAI(cfg *OpenAIConfig) (*OpenAI, error) {
	c := *cfg
	if c.BaseURL == "" || c.Model == "" {
		return nil, errors.New("embed: OpenAI embedder needs BaseURL and Model")
	}
	if c.Dims < 0 || c.Dims > 16384 {
		return nil, fmt.Errorf("embed: dims %d out of range", c.Dims)
	}
	if c.Timeout <= 0 {
		c.Timeout = 20 * time.Second
	}
	if c.MaxRetries < 0 {
		c.MaxRetries = 0
	} else if c.MaxRetries == 0 {
		c.MaxRetries = 2
	}
	if c.BatchSize <= 0 {
		c.BatchSize = 64
	}
	oc := openai.DefaultConfig(c.APIKey)
	oc.BaseURL = strings.TrimRight(c.BaseURL, "/")
	oc.HTTPClient = &http.Client{Timeout: c.Timeout}
	return &OpenAI{cfg: c, client: openai.NewClientWithConfig(oc)}, nil
}

// Name identifies the model and dimension.
func (o *OpenAI) Name() string { return "openai:" + o.cfg.Model + "@" + strconv.Itoa(o.cfg.Dims) }

// Dims is the requested dimension (0 until known when the model's own is used).
func (o *OpenAI) Dims() int { return o.cfg.Dims }

// Text renders a doc as the text the model embeds.
func Text(d Doc) string {
	var b strings.Builder
	if len(d.Problems) > 0 {
		b.WriteString("Problems: " + strings.Join(d.Problems, "; ") + ".\n")
	}
	if len(d.Medications) > 0 {
		b.WriteString("Medications: " + strings.Join(d.Medications, "; ") + ".\n")
	}
	if len(d.Findings) > 0 {
		b.WriteString("Findings: " + strings.Join(d.Findings, "; ") + ".\n")
	}
	if t := strings.TrimSpace(d.Text); t != "" {
		b.WriteString(t)
	}
	return b.String()
}

// Embed calls the endpoint in batches, with bounded retries; vectors are checked for
// dimension and finiteness, and normalized.
func (o *OpenAI) Embed(ctx context.Context, docs []Doc) ([][]float32, error) {
	out := make([][]float32, 0, len(docs))
	for start := 0; start < len(docs); start += o.cfg.BatchSize {
		end := min(start+o.cfg.BatchSize, len(docs))
		inputs := make([]string, 0, end-start)
		for i := start; i < end; i++ {
			t := Text(docs[i])
			if t == "" {
				return nil, fmt.Errorf("doc %d: %w", i, ErrEmpty)
			}
			inputs = append(inputs, t)
		}
		vecs, err := o.batch(ctx, inputs)
		if err != nil {
			return nil, err
		}
		out = append(out, vecs...)
	}
	return out, nil
}

func (o *OpenAI) batch(ctx context.Context, inputs []string) ([][]float32, error) {
	var lastErr error
	for attempt := 0; attempt <= o.cfg.MaxRetries; attempt++ {
		if attempt > 0 {
			select {
			case <-ctx.Done():
				return nil, ctx.Err()
			case <-time.After(time.Duration(200*attempt*attempt) * time.Millisecond):
			}
		}
		cctx, cancel := context.WithTimeout(ctx, o.cfg.Timeout)
		resp, err := o.client.CreateEmbeddings(cctx, openai.EmbeddingRequest{
			Input: inputs, Model: openai.EmbeddingModel(o.cfg.Model), Dimensions: o.cfg.Dims,
		})
		cancel()
		if err != nil {
			lastErr = err
			var apiErr *openai.APIError
			if errors.As(err, &apiErr) && apiErr.HTTPStatusCode >= 400 && apiErr.HTTPStatusCode < 500 && apiErr.HTTPStatusCode != 429 {
				break // the request is wrong: retrying will not help
			}
			continue
		}
		if len(resp.Data) != len(inputs) {
			return nil, fmt.Errorf("embed: endpoint returned %d vectors for %d inputs", len(resp.Data), len(inputs))
		}
		vecs := make([][]float32, len(inputs))
		for _, d := range resp.Data {
			if d.Index < 0 || d.Index >= len(inputs) || vecs[d.Index] != nil {
				return nil, fmt.Errorf("embed: endpoint returned a bad index %d", d.Index)
			}
			v := d.Embedding
			if o.cfg.Dims > 0 && len(v) != o.cfg.Dims {
				return nil, fmt.Errorf("embed: endpoint returned %d dimensions, configured %d", len(v), o.cfg.Dims)
			}
			for _, x := range v {
				if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
					return nil, errors.New("embed: endpoint returned a non-finite value")
				}
			}
			if !normalize(v) {
				return nil, errors.New("embed: endpoint returned a zero vector")
			}
			vecs[d.Index] = v
		}
		return vecs, nil
	}
	return nil, fmt.Errorf("embed: embeddings endpoint failed: %w", lastErr)
}
