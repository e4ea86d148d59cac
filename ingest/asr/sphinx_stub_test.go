//go:build !pocketsphinx

package asr

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSphinxNotBuiltIn(t *testing.T) {
	t.Parallel()
	_, err := New(nil) // no BaseURL: the sphinx engine
	require.ErrorIs(t, err, ErrEngineMissing)
	assert.Contains(t, err.Error(), "-tags pocketsphinx")
	assert.Contains(t, err.Error(), "libpocketsphinx-dev")
}
