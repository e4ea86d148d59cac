package embed

import (
	"bufio"
	"bytes"
	"context"
	_ "embed"
	"fmt"
	"hash/fnv"
	"math"
	"sort"
	"strconv"
	"strings"

	"github.com/medscribe/medscribe/nlp/vocab"
)

// idfData is the document-frequency table built by `medscribe cases idf` from public case
// corpora (feature, document count; first line: total documents).
//
//go:embed idf.tsv
var idfData []byte

// OfflineConfig configures the offline embedder.
type OfflineConfig struct {
	// Dims is the vector dimension; default 1024 (at 256, hash collisions cost a quarter of
	// precision@5 in the retrieval eval).
	Dims int
	// Vocab maps terms to codes and classes; default vocab.Default().
	Vocab *vocab.Vocabulary
	// DF overrides the embedded document-frequency table.
	DF *DocFreq
	// Recognize finds vocabulary concepts in free text (nlp.Engine.Concepts); with it the
	// case's text (its assessment, or the dialogue) adds concept features at a lower weight,
	// so a case with few extracted items is still placed. Nil: items only.
	Recognize func(text string) []*vocab.Entry
}

// Offline is the model-free embedder. Safe for concurrent use.
type Offline struct {
	dims      int
	vocab     *vocab.Vocabulary
	df        *DocFreq
	recognize func(string) []*vocab.Entry
}

// NewOffline builds the offline embedder.
func NewOffline(cfg *OfflineConfig) (*Offline, error) {
	c := OfflineConfig{}
	if cfg != nil {
		c = *cfg
	}
	if c.Dims == 0 {
		c.Dims = 1024
	}
	if c.Dims < 8 || c.Dims > 4096 {
		return nil, fmt.Errorf("embed: dims %d out of range 8-4096", c.Dims)
	}
	if c.Vocab == nil {
		c.Vocab = vocab.Default()
	}
	if c.DF == nil {
		df, err := ParseDocFreq(idfData)
		if err != nil {
			return nil, fmt.Errorf("embed: built-in idf table: %w", err)
		}
		c.DF = df
	}
	return &Offline{dims: c.Dims, vocab: c.Vocab, df: c.DF, recognize: c.Recognize}, nil
}

// Name identifies the embedder and its dimension.
func (o *Offline) Name() string { return "offline-concepts-v1@" + strconv.Itoa(o.dims) }

// Dims is the vector dimension.
func (o *Offline) Dims() int { return o.dims }

// Embed embeds each doc; a doc with no features is an error (ErrEmpty), never a zero vector.
func (o *Offline) Embed(ctx context.Context, docs []Doc) ([][]float32, error) {
	out := make([][]float32, len(docs))
	for i, d := range docs {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		v := make([]float32, o.dims)
		for _, f := range o.Features(d) {
			h := fnv.New64a()
			h.Write([]byte(f.Key))
			x := h.Sum64()
			w := float32(f.Weight * o.df.IDF(f.Key))
			if x>>63 == 1 {
				w = -w
			}
			v[int(x%uint64(o.dims))] += w
		}
		if !normalize(v) {
			return nil, fmt.Errorf("doc %d: %w", i, ErrEmpty)
		}
		out[i] = v
	}
	return out, nil
}

// Feature is one weighted element of a case's bag of concepts.
type Feature struct {
	Key    string
	Weight float64
}

// Kind weights: what a patient has weighs more than what they take, which weighs more than
// what they report; a drug class is weaker evidence of similarity than the drug itself.
const (
	wProblem = 1.0
	wDrug    = 0.8
	wClass   = 0.4
	wFinding = 0.5
	wDenied  = 0.2
	wText    = 0.5
)

// Features lists a doc's features, deduplicated, in a stable order. A term the vocabulary
// knows contributes its code (so synonyms meet); every term also contributes its
// normalized words, so unknown terms still count.
func (o *Offline) Features(d Doc) []Feature {
	acc := map[string]float64{}
	add := func(k string, w float64) {
		if w > acc[k] {
			acc[k] = w
		}
	}
	concept := func(prefix, term string, w float64, kinds ...vocab.Kind) {
		term = normTerm(term)
		if term == "" {
			return
		}
		matched := false
		for _, e := range o.vocab.Lookup(term) {
			if !kindIn(e.Kind, kinds) {
				continue
			}
			matched = true
			if e.Code != nil && e.Code.Code != "" {
				add(prefix+":code:"+e.Code.Code, w)
			} else {
				add(prefix+":term:"+e.Term, w)
			}
			for _, c := range e.Classes {
				add("class:"+c, w*wClass/wDrug)
			}
		}
		if !matched {
			add(prefix+":term:"+term, w)
		}
	}
	for _, p := range d.Problems {
		concept("problem", p, wProblem, vocab.KindProblem, vocab.KindFinding, vocab.KindAbbrev)
	}
	for _, m := range d.Medications {
		concept("drug", m, wDrug, vocab.KindDrug)
	}
	for _, f := range d.Findings {
		t := normTerm(f)
		if rest, ok := strings.CutPrefix(t, "no "); ok {
			concept("denied", rest, wDenied, vocab.KindFinding, vocab.KindProblem)
			continue
		}
		// A finding and a problem naming the same concept are the same evidence.
		concept("problem", t, wFinding, vocab.KindFinding, vocab.KindProblem)
	}
	if o.recognize != nil && d.Text != "" {
		for _, e := range o.recognize(d.Text) {
			var prefix string
			switch e.Kind {
			case vocab.KindProblem, vocab.KindFinding:
				prefix = "problem"
			case vocab.KindDrug:
				prefix = "drug"
			default:
				continue
			}
			key := prefix + ":term:" + e.Term
			if e.Code != nil && e.Code.Code != "" {
				key = prefix + ":code:" + e.Code.Code
			}
			add(key, wText)
		}
	}
	out := make([]Feature, 0, len(acc))
	for k, w := range acc {
		out = append(out, Feature{k, w})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out
}

func kindIn(k vocab.Kind, ks []vocab.Kind) bool {
	for _, x := range ks {
		if x == k {
			return true
		}
	}
	return false
}

func normTerm(s string) string {
	return strings.Join(strings.Fields(strings.ToLower(strings.TrimSpace(s))), " ")
}

// DocFreq is a document-frequency table.
type DocFreq struct {
	N  int
	DF map[string]int
}

// IDF is the smoothed inverse document frequency, ln((N+1)/(df+1)) + 1; an unseen feature
// gets the highest weight, as a rare one would.
func (d *DocFreq) IDF(key string) float64 {
	return math.Log(float64(d.N+1)/float64(d.DF[key]+1)) + 1
}

// ParseDocFreq reads the TSV form: "#docs\tN" then "feature\tcount" lines.
func ParseDocFreq(data []byte) (*DocFreq, error) {
	d := &DocFreq{DF: map[string]int{}}
	sc := bufio.NewScanner(bytes.NewReader(data))
	line := 0
	for sc.Scan() {
		line++
		text := sc.Text()
		if strings.TrimSpace(text) == "" {
			continue
		}
		k, v, ok := strings.Cut(text, "\t")
		n, err := strconv.Atoi(v)
		if !ok || err != nil || n < 0 {
			return nil, fmt.Errorf("idf.tsv:%d: want FEATURE<TAB>COUNT", line)
		}
		if k == "#docs" {
			d.N = n
			continue
		}
		d.DF[k] = n
	}
	return d, sc.Err()
}

// Format writes the table in the form ParseDocFreq reads, sorted, so builds are reproducible.
func (d *DocFreq) Format() []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "#docs\t%d\n", d.N)
	keys := make([]string, 0, len(d.DF))
	for k := range d.DF {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintf(&b, "%s\t%d\n", k, d.DF[k])
	}
	return b.Bytes()
}

// CountDocFreq builds a table from docs with this embedder's features.
func (o *Offline) CountDocFreq(docs []Doc) *DocFreq {
	d := &DocFreq{N: len(docs), DF: map[string]int{}}
	for _, doc := range docs {
		for _, f := range o.Features(doc) {
			d.DF[f.Key]++
		}
	}
	return d
}
