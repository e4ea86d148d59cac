package embed

import (
	"context"
	"errors"
	"fmt"
	"math"
)

// Doc is what gets embedded: a case's clinical content as terms.
type Doc struct {
	Problems    []string
	Medications []string
	// Findings may be prefixed "no " for denied findings ("no fever").
	Findings []string
	// Text is free text (an assessment); the offline embedder ignores it, a model uses it.
	Text string
}

// Embedder turns docs into unit vectors of a fixed dimension.
type Embedder interface {
	// Name identifies the model and dimension; vectors of different names are not comparable.
	Name() string
	Dims() int
	Embed(ctx context.Context, docs []Doc) ([][]float32, error)
}

// ErrEmpty is returned for a doc with nothing to embed.
var ErrEmpty = errors.New("embed: empty case: no problems, medications, findings or text")

// normalize scales v to unit length in place; it reports false for a zero or non-finite vector.
func normalize(v []float32) bool {
	var ss float64
	for _, x := range v {
		ss += float64(x) * float64(x)
	}
	if ss == 0 || math.IsNaN(ss) || math.IsInf(ss, 0) {
		return false
	}
	inv := 1 / math.Sqrt(ss)
	for i := range v {
		v[i] = float32(float64(v[i]) * inv)
	}
	return true
}

// Cosine is the cosine similarity of two vectors of equal length.
func Cosine(a, b []float32) (float64, error) {
	if len(a) != len(b) {
		return 0, fmt.Errorf("embed: dimension mismatch %d vs %d", len(a), len(b))
	}
	var dot, na, nb float64
	for i := range a {
		dot += float64(a[i]) * float64(b[i])
		na += float64(a[i]) * float64(a[i])
		nb += float64(b[i]) * float64(b[i])
	}
	if na == 0 || nb == 0 {
		return 0, nil
	}
	return dot / math.Sqrt(na*nb), nil
}
