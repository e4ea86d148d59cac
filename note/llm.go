package note

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	openai "github.com/sashabaranov/go-openai"

	"github.com/medscribe/medscribe/prompts"
	"github.com/medscribe/medscribe/visit"
)

// promptName is the prompts/ directory of the note prompt.
const promptName = "note"

// llmDrafter asks an OpenAI-compatible model for note sentences with the turns they rest on.
type llmDrafter struct {
	client *openai.Client
	cfg    *LLMConfig
	prompt *prompts.Prompt
	log    *slog.Logger
}

func newLLMDrafter(cfg *LLMConfig, log *slog.Logger) (*llmDrafter, error) {
	p, err := prompts.Latest(promptName)
	if err != nil {
		return nil, fmt.Errorf("note prompt: %w", err)
	}
	oc := openai.DefaultConfig(cfg.APIKey)
	oc.BaseURL = strings.TrimSuffix(cfg.BaseURL, "/")
	// The per-call context carries the timeout; the client's own bound is a backstop.
	oc.HTTPClient = &http.Client{Timeout: cfg.Timeout + 5*time.Second}
	return &llmDrafter{client: openai.NewClientWithConfig(oc), cfg: cfg, prompt: p, log: log}, nil
}

// modelAnswer is the JSON the note prompt asks for.
type modelAnswer struct {
	Sentences []modelSentence `json:"sentences"`
}

type modelSentence struct {
	Section string `json:"section"`
	Text    string `json:"text"`
	Turns   []int  `json:"turns"`
}

// modelSections are the section names the prompt offers.
var modelSections = setOf(`cc hpi meds allergies ros exam results assessment plan`)

type promptTurn struct {
	Index   int
	Speaker string
	Text    string
}

type promptData struct {
	Part, Parts int
	Patient     string
	Items       []string
	Turns       []promptTurn
}

// errMalformed marks an answer that is not the JSON the prompt asks for; it is retried.
var errMalformed = errors.New("malformed model answer")

// draft drafts the note chunk by chunk. Any chunk that still fails after the retries fails the
// whole model draft, and the caller falls back to the offline drafter.
func (l *llmDrafter) draft(ctx context.Context, d *Drafter, in *Input, st *Stats) (*draft, error) {
	st.Engine, st.Model, st.PromptVersion = EngineLLM, l.cfg.Model, l.prompt.ID()
	tr := &in.Transcript
	if len(tr.Turns) == 0 {
		return &draft{blocks: map[string][]visit.Sentence{}}, nil
	}
	extra := map[string]bool{}
	patient := ""
	if in.Patient.Age != nil {
		extra[itoa(*in.Patient.Age)] = true
		patient = itoa(*in.Patient.Age) + " years old"
	}
	if in.Patient.Sex != nil {
		extra[strings.ToLower(*in.Patient.Sex)] = true
		patient = strings.TrimSpace(patient + " " + *in.Patient.Sex)
	}
	items := itemLines(in)
	chunks := l.chunks(tr, items)
	dr := &draft{blocks: map[string][]visit.Sentence{}}
	seen := map[string]bool{}
	returned := 0
	for ci, ch := range chunks {
		data := promptData{Part: ci + 1, Parts: len(chunks), Patient: patient, Items: items}
		for _, t := range tr.Turns[ch[0]:ch[1]] {
			data.Turns = append(data.Turns, promptTurn{Index: t.Index, Speaker: string(t.Speaker), Text: t.Text})
		}
		user, err := l.prompt.User(data)
		if err != nil {
			return nil, err
		}
		ans, err := l.ask(ctx, user)
		if err != nil {
			return nil, fmt.Errorf("chunk %d of %d: %w", ci+1, len(chunks), err)
		}
		for _, s := range ans.Sentences {
			returned++
			ev, ok := turnEvidence(tr, s.Turns, ch)
			text := strings.TrimSpace(s.Text)
			if !ok || !modelSections[s.Section] || text == "" || !supported(text, ev, extra) {
				dr.unsupported++
				continue
			}
			if seen[s.Section+"\x00"+text] {
				continue
			}
			seen[s.Section+"\x00"+text] = true
			sen := visit.Sentence{Text: text, Evidence: ev}
			dr.blocks[s.Section] = append(dr.blocks[s.Section], sen)
			if s.Section == "assessment" || s.Section == "plan" {
				dr.blocks["ap"] = append(dr.blocks["ap"], sen)
			}
		}
	}
	dr.unplaced = unplacedItems(in, dr)
	l.log.Info("note model draft", "chunks", len(chunks), "returned", returned, "unsupported", dr.unsupported)
	return dr, nil
}

// turnEvidence cites whole turns; turns outside the chunk or the transcript make the sentence
// unsupported.
func turnEvidence(tr *visit.Transcript, turns []int, ch [2]int) ([]visit.Evidence, bool) {
	if len(turns) == 0 {
		return nil, false
	}
	var ev []visit.Evidence
	seen := map[int]bool{}
	for _, t := range turns {
		if t < ch[0] || t >= ch[1] || t >= len(tr.Turns) {
			return nil, false
		}
		if seen[t] || tr.Turns[t].Text == "" {
			continue
		}
		seen[t] = true
		ev = append(ev, tr.NewEvidence(t, 0, len(tr.Turns[t].Text)))
	}
	return ev, len(ev) > 0
}

// approxTokens estimates tokens as bytes/4, which over-counts English slightly: safe for budgets.
func approxTokens(s string) int { return len(s)/4 + 1 }

// chunks splits the transcript into turn ranges whose prompt fits in half the context window;
// the other half is left for the answer.
func (l *llmDrafter) chunks(tr *visit.Transcript, items []string) [][2]int {
	fixed := approxTokens(l.prompt.System) + 200
	for _, it := range items {
		fixed += approxTokens(it) + 2
	}
	budget := l.cfg.MaxContextTokens/2 - fixed
	if budget < 256 {
		budget = 256
	}
	var out [][2]int
	start, used := 0, 0
	for i, t := range tr.Turns {
		n := approxTokens(t.Text) + 6
		if used+n > budget && i > start {
			out = append(out, [2]int{start, i})
			start, used = i, 0
		}
		used += n
	}
	out = append(out, [2]int{start, len(tr.Turns)})
	return out
}

// ask sends one prompt, retrying failed calls and malformed answers with a short backoff.
func (l *llmDrafter) ask(ctx context.Context, user string) (*modelAnswer, error) {
	var last error
	for attempt := 0; attempt <= l.cfg.MaxRetries; attempt++ {
		if attempt > 0 {
			select {
			case <-ctx.Done():
				return nil, ctx.Err()
			case <-time.After(time.Duration(attempt) * 200 * time.Millisecond):
			}
		}
		ans, err := l.call(ctx, user)
		if err == nil {
			return ans, nil
		}
		last = err
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		l.log.Warn("note model call failed", "attempt", attempt+1, "error", err)
	}
	return nil, last
}

func (l *llmDrafter) call(ctx context.Context, user string) (*modelAnswer, error) {
	cctx, cancel := context.WithTimeout(ctx, l.cfg.Timeout)
	defer cancel()
	req := openai.ChatCompletionRequest{
		Model:       l.cfg.Model,
		Temperature: 0,
		Messages: []openai.ChatCompletionMessage{
			{Role: openai.ChatMessageRoleSystem, Content: l.prompt.System},
			{Role: openai.ChatMessageRoleUser, Content: user},
		},
		MaxCompletionTokens: l.cfg.MaxContextTokens / 2,
	}
	if l.prompt.Schema != nil {
		req.ResponseFormat = &openai.ChatCompletionResponseFormat{
			Type:       openai.ChatCompletionResponseFormatTypeJSONSchema,
			JSONSchema: &openai.ChatCompletionResponseFormatJSONSchema{Name: "note", Schema: l.prompt.Schema, Strict: true},
		}
	}
	resp, err := l.client.CreateChatCompletion(cctx, req)
	if err != nil {
		return nil, fmt.Errorf("chat completion: %w", err)
	}
	if len(resp.Choices) == 0 {
		return nil, fmt.Errorf("%w: no choices", errMalformed)
	}
	return parseAnswer(resp.Choices[0].Message.Content)
}

// parseAnswer decodes the model's JSON strictly; a fenced code block around it is tolerated.
func parseAnswer(s string) (*modelAnswer, error) {
	s = strings.TrimSpace(s)
	if strings.HasPrefix(s, "```") {
		s = strings.TrimPrefix(s, "```json")
		s = strings.TrimPrefix(s, "```")
		s = strings.TrimSuffix(strings.TrimSpace(s), "```")
	}
	dec := json.NewDecoder(strings.NewReader(s))
	dec.DisallowUnknownFields()
	var a modelAnswer
	if err := dec.Decode(&a); err != nil {
		return nil, fmt.Errorf("%w: %v", errMalformed, err)
	}
	if a.Sentences == nil {
		return nil, fmt.Errorf("%w: no sentences field", errMalformed)
	}
	return &a, nil
}

// itemLines summarizes the extracted items for the prompt (names and attributes only).
func itemLines(in *Input) []string {
	var out []string
	for _, p := range in.Problems {
		out = append(out, "problem: "+p.Text+" ("+string(p.Assertion)+")")
	}
	for _, m := range in.Medications {
		s := "medication: " + m.Text
		for _, a := range []*string{m.Dose, m.Route, m.Frequency} {
			if a != nil {
				s += " " + *a
			}
		}
		out = append(out, s+" ("+string(m.Status)+")")
	}
	for _, o := range in.Orders {
		out = append(out, "order: "+string(o.Kind)+" "+o.Text)
	}
	for _, a := range in.Allergies {
		s := "allergy: " + a.Substance
		if a.Reaction != nil {
			s += " (" + *a.Reaction + ")"
		}
		out = append(out, s)
	}
	return out
}
