package nlp

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"time"

	openai "github.com/sashabaranov/go-openai"

	"github.com/medscribe/medscribe/prompts"
	"github.com/medscribe/medscribe/visit"
)

const promptName = "extract"

type llmExtractor struct {
	client  *openai.Client
	model   string
	timeout time.Duration
	retries int
	prompt  *prompts.Prompt
}

func newLLMExtractor(c *LLMConfig) (*llmExtractor, error) {
	p, err := prompts.Get(promptName, c.PromptVersion)
	if err != nil {
		return nil, fmt.Errorf("llm prompt: %w", err)
	}
	if p.Schema == nil {
		return nil, fmt.Errorf("llm prompt %s has no schema", p.ID())
	}
	timeout := c.Timeout
	if timeout == 0 {
		timeout = 30 * time.Second
	}
	retries := c.MaxRetries
	if retries == 0 {
		retries = 2
	}
	if retries < 0 {
		retries = 0
	}
	oc := openai.DefaultConfig(c.APIKey)
	oc.BaseURL = strings.TrimRight(c.BaseURL, "/")
	// the per-attempt context carries the deadline; this bounds a client that ignores it
	oc.HTTPClient = &http.Client{Timeout: timeout + time.Second}
	return &llmExtractor{client: openai.NewClientWithConfig(oc), model: c.Model, timeout: timeout,
		retries: retries, prompt: p}, nil
}

// llmAnswer is the shape prompts/extract/v1/schema.json describes.
type llmAnswer struct {
	Medications []struct {
		Name, Status, Quote              string
		Dose, Route, Frequency, Duration *string
	} `json:"medications"`
	Problems []struct {
		Name, Assertion, Quote string
	} `json:"problems"`
	Findings []struct {
		Name, Assertion, Quote string
	} `json:"findings"`
	Orders []struct {
		Kind, Name, Quote string
	} `json:"orders"`
	Allergies []struct {
		Substance, Quote string
		Reaction         *string
	} `json:"allergies"`
}

// llmError carries the short reason recorded in Result.Fallback.
type llmError struct {
	reason    string
	retryable bool
	err       error
}

func (e *llmError) Error() string { return e.reason + ": " + e.err.Error() }
func (e *llmError) Unwrap() error { return e.err }

func classify(err error) *llmError {
	var apiErr *openai.APIError
	var reqErr *openai.RequestError
	var netErr net.Error
	switch {
	case errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &netErr) && netErr.Timeout()):
		return &llmError{"timeout", true, err}
	case errors.As(err, &apiErr):
		return &llmError{fmt.Sprintf("http %d", apiErr.HTTPStatusCode), apiErr.HTTPStatusCode >= 500 || apiErr.HTTPStatusCode == 429, err}
	case errors.As(err, &reqErr):
		return &llmError{fmt.Sprintf("http %d", reqErr.HTTPStatusCode), reqErr.HTTPStatusCode >= 500 || reqErr.HTTPStatusCode == 429, err}
	case errors.Is(err, context.Canceled):
		return &llmError{"canceled", false, err}
	}
	return &llmError{"error", true, err}
}

type promptTurn struct {
	Index   int
	Speaker string
	Text    string
}

// call asks the model once per attempt, retrying transient failures a bounded number of times.
func (x *llmExtractor) call(ctx context.Context, tr visit.Transcript) (*llmAnswer, error) {
	turns := make([]promptTurn, len(tr.Turns))
	for i, t := range tr.Turns {
		turns[i] = promptTurn{Index: i, Speaker: string(t.Speaker), Text: t.Text}
	}
	user, err := x.prompt.User(map[string]any{"Turns": turns})
	if err != nil {
		return nil, &llmError{"prompt", false, err}
	}
	req := openai.ChatCompletionRequest{
		Model: x.model,
		Messages: []openai.ChatCompletionMessage{
			{Role: openai.ChatMessageRoleSystem, Content: x.prompt.System},
			{Role: openai.ChatMessageRoleUser, Content: user},
		},
		Temperature: 0,
		ResponseFormat: &openai.ChatCompletionResponseFormat{
			Type: openai.ChatCompletionResponseFormatTypeJSONSchema,
			JSONSchema: &openai.ChatCompletionResponseFormatJSONSchema{
				Name: "clinical_extraction", Schema: x.prompt.Schema, Strict: true,
			},
		},
	}
	var last *llmError
	for attempt := 0; attempt <= x.retries; attempt++ {
		if attempt > 0 {
			select {
			case <-ctx.Done():
				return nil, classify(ctx.Err())
			case <-time.After(time.Duration(attempt) * 200 * time.Millisecond):
			}
		}
		ans, err := x.once(ctx, req)
		if err == nil {
			return ans, nil
		}
		last = err
		if !err.retryable || ctx.Err() != nil {
			break
		}
	}
	return nil, last
}

func (x *llmExtractor) once(ctx context.Context, req openai.ChatCompletionRequest) (*llmAnswer, *llmError) {
	actx, cancel := context.WithTimeout(ctx, x.timeout)
	defer cancel()
	resp, err := x.client.CreateChatCompletion(actx, req)
	if err != nil {
		if actx.Err() != nil && ctx.Err() == nil {
			return nil, &llmError{"timeout", true, err}
		}
		return nil, classify(err)
	}
	if len(resp.Choices) == 0 {
		return nil, &llmError{"empty response", true, errors.New("no choices")}
	}
	content := strings.TrimSpace(resp.Choices[0].Message.Content)
	var ans llmAnswer
	dec := json.NewDecoder(strings.NewReader(content))
	if err := dec.Decode(&ans); err != nil {
		return nil, &llmError{"malformed json", true, err}
	}
	return &ans, nil
}

func (e *Engine) withLLM(ctx context.Context, tr visit.Transcript, res *Result) {
	res.Model = e.llm.model
	res.PromptVersion = e.llm.prompt.Version
	ans, err := e.llm.call(ctx, tr)
	if err != nil {
		var le *llmError
		reason := "error"
		if errors.As(err, &le) {
			reason = le.reason
		}
		res.Fallback = reason
		e.log.Warn("nlp llm fallback", "reason", reason, "turns", len(tr.Turns))
		return
	}
	res.Engine = EngineWithLLM
	g := newGrounder(tr)
	res.Dropped = e.mergeLLM(g, ans, res)
}

// mergeLLM adds grounded model items the deterministic engine did not find, and fills
// attributes it left empty. Deterministic values are never overwritten. It returns how many
// model items were dropped (ungrounded or invalid).
func (e *Engine) mergeLLM(g *grounder, ans *llmAnswer, res *Result) int {
	dropped := 0
	norm := func(s string) string { return strings.Join(strings.Fields(strings.ToLower(s)), " ") }
	for _, m := range ans.Medications {
		ev, ok := g.find(m.Quote)
		st := visit.MedStatus(m.Status)
		name := norm(m.Name)
		if !ok || !st.Valid() || name == "" {
			dropped++
			continue
		}
		i := -1
		for j := range res.Medications {
			if res.Medications[j].Text == name {
				i = j
				break
			}
		}
		if i < 0 {
			med := visit.Medication{Text: name, Status: st}
			if c, ok := e.drugBy[name]; ok {
				med.Code = e.code(c)
			}
			res.Medications = append(res.Medications, med)
			i = len(res.Medications) - 1
		}
		med := &res.Medications[i]
		med.Evidence = addEvidence(med.Evidence, ev)
		fill := func(dst **string, v *string) {
			if *dst == nil && v != nil && strings.TrimSpace(*v) != "" {
				s := strings.TrimSpace(*v)
				*dst = &s
			}
		}
		fill(&med.Dose, m.Dose)
		fill(&med.Route, m.Route)
		fill(&med.Frequency, m.Frequency)
		fill(&med.Duration, m.Duration)
	}
	for _, p := range ans.Problems {
		ev, ok := g.find(p.Quote)
		a := visit.Assertion(p.Assertion)
		name := norm(p.Name)
		if !ok || !a.Valid() || name == "" {
			dropped++
			continue
		}
		it := upsert(&res.Problems, func(x *visit.Problem) bool { return x.Text == name },
			func() visit.Problem { return visit.Problem{Text: name, Assertion: a} })
		it.Evidence = addEvidence(it.Evidence, ev)
	}
	for _, f := range ans.Findings {
		ev, ok := g.find(f.Quote)
		a := visit.Assertion(f.Assertion)
		name := norm(f.Name)
		if !ok || !a.Valid() || name == "" {
			dropped++
			continue
		}
		it := upsert(&res.Findings, func(x *visit.Finding) bool { return x.Text == name },
			func() visit.Finding { return visit.Finding{Text: name, Assertion: a} })
		it.Evidence = addEvidence(it.Evidence, ev)
	}
	for _, o := range ans.Orders {
		ev, ok := g.find(o.Quote)
		k := visit.OrderKind(o.Kind)
		name := norm(o.Name)
		if !ok || !k.Valid() || name == "" {
			dropped++
			continue
		}
		it := upsert(&res.Orders, func(x *visit.Order) bool { return x.Kind == k && x.Text == name },
			func() visit.Order { return visit.Order{Kind: k, Text: name} })
		it.Evidence = addEvidence(it.Evidence, ev)
	}
	for _, a := range ans.Allergies {
		ev, ok := g.find(a.Quote)
		name := norm(a.Substance)
		if !ok || name == "" {
			dropped++
			continue
		}
		it := upsert(&res.Allergies, func(x *visit.Allergy) bool { return x.Substance == name }, func() visit.Allergy {
			al := visit.Allergy{Substance: name}
			if c, ok := e.drugBy[name]; ok {
				al.Code = e.code(c)
			}
			if a.Reaction != nil && strings.TrimSpace(*a.Reaction) != "" {
				al.Reaction = ptr(norm(*a.Reaction))
			}
			return al
		})
		it.Evidence = addEvidence(it.Evidence, ev)
	}
	return dropped
}

// upsert returns the item of list that same picks, appending fresh() when there is none, so a
// concept the model names several times becomes one item with all its evidence.
func upsert[T any](list *[]T, same func(*T) bool, fresh func() T) *T {
	for j := range *list {
		if same(&(*list)[j]) {
			return &(*list)[j]
		}
	}
	*list = append(*list, fresh())
	return &(*list)[len(*list)-1]
}

func addEvidence(list []visit.Evidence, ev visit.Evidence) []visit.Evidence {
	for _, x := range list {
		if x.Turn == ev.Turn && x.Start == ev.Start && x.End == ev.End {
			return list
		}
	}
	return append(list, ev)
}

// grounder finds model quotes in the transcript: exactly, or ignoring case and runs of
// whitespace, and maps the match back to byte offsets of the original turn.
type grounder struct {
	tr    visit.Transcript
	norm  []string
	index [][]int // per turn: original byte offset of each normalized byte
}

func newGrounder(tr visit.Transcript) *grounder {
	g := &grounder{tr: tr, norm: make([]string, len(tr.Turns)), index: make([][]int, len(tr.Turns))}
	for i, t := range tr.Turns {
		g.norm[i], g.index[i] = foldText(t.Text)
	}
	return g
}

// foldText lowercases ASCII and collapses whitespace runs to one space, recording for each
// output byte where it came from.
func foldText(s string) (string, []int) {
	var b strings.Builder
	idx := make([]int, 0, len(s))
	space := true
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == ' ' || c == '\t' || c == '\n' || c == '\r' {
			if !space {
				b.WriteByte(' ')
				idx = append(idx, i)
			}
			space = true
			continue
		}
		space = false
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		b.WriteByte(c)
		idx = append(idx, i)
	}
	return b.String(), idx
}

func (g *grounder) find(quote string) (visit.Evidence, bool) {
	q := strings.TrimSpace(quote)
	// models sometimes keep the speaker tag or wrap the quote in quotation marks
	for _, p := range []string{"[doctor]", "[patient]", "doctor:", "patient:"} {
		q = strings.TrimSpace(strings.TrimPrefix(q, p))
	}
	q = strings.Trim(q, "\"'“”")
	if len(q) < 2 {
		return visit.Evidence{}, false
	}
	for i, t := range g.tr.Turns {
		if k := strings.Index(t.Text, q); k >= 0 {
			return visit.Evidence{Turn: i, Start: k, End: k + len(q), Quote: t.Text[k : k+len(q)]}, true
		}
	}
	fq, _ := foldText(q)
	fq = strings.TrimSpace(fq)
	if fq == "" {
		return visit.Evidence{}, false
	}
	for i, n := range g.norm {
		k := strings.Index(n, fq)
		if k < 0 {
			continue
		}
		start := g.index[i][k]
		end := g.index[i][k+len(fq)-1] + 1
		text := g.tr.Turns[i].Text
		return visit.Evidence{Turn: i, Start: start, End: end, Quote: text[start:end]}, true
	}
	return visit.Evidence{}, false
}
