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
// Beyond single vocabulary matches, a few compositional readings are made: generic findings
// and injuries are named with their body site and, for present problems, the side the visit
// gives it (site.go: "right index finger contusion", "knee fracture" ruled out, "sternoclavicular
// joint tenderness"), a body site with a pain verb ("my knee has been killing me" → knee pain),
// the site an exam or image is read out for ("on abdominal exam, no tenderness"; "x-ray of
// your back ... no fracture"), generic imaging named with its site (knee x-ray), a
// bare "tear" after a named structure's injury, and a patient's answer to an allergy question
// ("penicillin gives me hives": substance and reaction, neither a medication nor a problem).
// Short abbreviations that are also titles or words ("ms", "pe", "ra") only name a condition
// in clinical context, never before a name or after a greeting. Conditions listed as the
// risks of a procedure are hypothetical, and phrases that merely contain a condition's name
// ("shock wave", "flu like") are not read as it.
//
// An OpenAI-compatible model can join the deterministic engine (LLMConfig). Its output is
// only kept when every item quotes the transcript; anything ungrounded is dropped and
// counted, and any model failure falls back to the deterministic result.
//
// The vocabulary data lives in nlp/vocab; the prompts in the prompts package.
package nlp
