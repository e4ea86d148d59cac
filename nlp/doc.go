// Package nlp owns medscribe's clinical extraction engine: it turns a visit transcript into
// coded problems, medications, orders, allergies and findings, each with evidence spans into
// the transcript.
//
// The deterministic engine runs offline: text is tokenized and normalized once, concepts are
// recognized with a token trie built once per vocabulary, attributes (dose, route, frequency,
// duration, medication status) come from cue words near each mention, and assertions
// (negated, possible, hypothetical, history, family) follow ConText-style trigger scopes
// made aware of the dialogue, so a patient's "no" answers the doctor's question.
//
// An OpenAI-compatible model can join the deterministic engine (LLMConfig). Its output is
// only kept when every item quotes the transcript; anything ungrounded is dropped and
// counted, and any model failure falls back to the deterministic result.
//
// The vocabulary data lives in nlp/vocab; the prompts in the prompts package.
package nlp
