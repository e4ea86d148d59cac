package store

import (
	"container/heap"
	"encoding/binary"
	"fmt"
	"math"
)

// checkVector refuses what would give wrong neighbours silently: NaN or Inf components and
// the zero vector (whose cosine similarity is undefined).
func checkVector(v []float32) error {
	var norm float64
	for i, x := range v {
		f := float64(x)
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return fmt.Errorf("%w: component %d is %v", ErrDimension, i, x)
		}
		norm += f * f
	}
	if len(v) > 0 && norm == 0 {
		return fmt.Errorf("%w: zero vector has no direction", ErrDimension)
	}
	return nil
}

// encodeVector packs v as little-endian float32s (the SQLite blob format).
func encodeVector(v []float32) []byte {
	if len(v) == 0 {
		return nil
	}
	b := make([]byte, 4*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(x))
	}
	return b
}

// decodeVector unpacks a blob written by encodeVector.
func decodeVector(b []byte) ([]float32, error) {
	if len(b) == 0 {
		return nil, nil
	}
	if len(b)%4 != 0 {
		return nil, fmt.Errorf("embedding blob of %d bytes is not float32s", len(b))
	}
	v := make([]float32, len(b)/4)
	for i := range v {
		v[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
	}
	return v, nil
}

// norm is the Euclidean length of v.
func norm(v []float32) float64 {
	var s float64
	for _, x := range v {
		s += float64(x) * float64(x)
	}
	return math.Sqrt(s)
}

// scored is a candidate of an exact search.
type scored struct {
	id    string
	score float64
}

// better orders candidates best first: higher score, then smaller id for stable results.
func better(a, b scored) bool {
	if a.score != b.score {
		return a.score > b.score
	}
	return a.id < b.id
}

// topK keeps the k best candidates seen, as a min-heap on "better" (the worst kept on top).
type topK struct {
	k     int
	items []scored
}

func (t *topK) Len() int           { return len(t.items) }
func (t *topK) Less(i, j int) bool { return better(t.items[j], t.items[i]) }
func (t *topK) Swap(i, j int)      { t.items[i], t.items[j] = t.items[j], t.items[i] }
func (t *topK) Push(x any)         { t.items = append(t.items, x.(scored)) }
func (t *topK) Pop() any {
	n := len(t.items)
	x := t.items[n-1]
	t.items = t.items[:n-1]
	return x
}

// offer considers one candidate.
func (t *topK) offer(c scored) {
	if len(t.items) < t.k {
		heap.Push(t, c)
		return
	}
	if better(c, t.items[0]) {
		t.items[0] = c
		heap.Fix(t, 0)
	}
}

// best returns the kept candidates, best first.
func (t *topK) best() []scored {
	out := make([]scored, len(t.items))
	for i := len(out) - 1; i >= 0; i-- {
		out[i] = heap.Pop(t).(scored)
	}
	return out
}
