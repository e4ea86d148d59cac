//go:build !pocketsphinx

package asr

import "fmt"

// SphinxBuiltIn reports whether this binary has the offline pocketsphinx engine.
const SphinxBuiltIn = false

func newSphinx(Config) (channelEngine, error) {
	return nil, fmt.Errorf("%w: the offline sphinx engine needs a build with `go build -tags pocketsphinx` "+
		"and the Debian packages libpocketsphinx-dev and pocketsphinx-en-us (or set an OpenAI-compatible BaseURL)", ErrEngineMissing)
}
