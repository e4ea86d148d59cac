package nlp

import (
	"os"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/medscribe/medscribe/nlp/vocab"
)

// testEngine builds an engine over the small vocabulary in testdata/vocab, so the engine's
// rules are tested independently of the shipped vocabulary.
func testEngine(t testing.TB) *Engine {
	t.Helper()
	v, err := vocab.Load(os.DirFS("testdata/vocab"), ".")
	require.NoError(t, err)
	e, err := New(&Config{Vocab: v})
	require.NoError(t, err)
	return e
}
