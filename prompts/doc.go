// Package prompts owns the versioned prompt templates medscribe sends to language models and
// the JSON schemas their answers must follow; nothing else.
//
// A prompt is a directory of files embedded in the binary:
//
//	prompts/<name>/v<N>/system.txt  the system message (required)
//	prompts/<name>/v<N>/user.tmpl   a text/template for the user message (required)
//	prompts/<name>/v<N>/schema.json the JSON schema of the answer (optional)
//
// Adding a prompt, or a new version of one, is adding files: the loader finds them by name.
// Versions are immutable once shipped, because the visit record's provenance names the version
// that produced it; change a prompt by adding v<N+1>.
package prompts
