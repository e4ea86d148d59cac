package fhir

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
)

// Bundle is a collection of resources: a search result (prefetch), the draft orders of a
// CDS Hooks call, or a visit written out as FHIR.
type Bundle struct {
	ID    string        `json:"id,omitempty"`
	Meta  *Meta         `json:"meta,omitempty"`
	Type  string        `json:"type,omitempty"`
	Total *int          `json:"total,omitempty"`
	Link  []BundleLink  `json:"link,omitempty"`
	Entry []BundleEntry `json:"entry,omitempty"`
}

// BundleLink is a paging or self link.
type BundleLink struct {
	Relation string `json:"relation"`
	URL      string `json:"url"`
}

// BundleEntry holds one resource. Resource is a modelled type or *Unknown; nil when the entry
// carries none (a search outcome, a deleted entry).
type BundleEntry struct {
	FullURL  string         `json:"fullUrl,omitempty"`
	Resource Resource       `json:"resource,omitempty"`
	Search   *BundleSearch  `json:"search,omitempty"`
	Request  *BundleRequest `json:"request,omitempty"`
}

// BundleSearch says why an entry is in a search result.
type BundleSearch struct {
	Mode string `json:"mode,omitempty"`
}

// BundleRequest is the request of a transaction or batch entry.
type BundleRequest struct {
	Method string `json:"method"`
	URL    string `json:"url"`
}

// UnmarshalJSON decodes the entry's resource by its resourceType.
func (e *BundleEntry) UnmarshalJSON(b []byte) error {
	var raw struct {
		FullURL  string          `json:"fullUrl"`
		Resource json.RawMessage `json:"resource"`
		Search   *BundleSearch   `json:"search"`
		Request  *BundleRequest  `json:"request"`
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	*e = BundleEntry{FullURL: raw.FullURL, Search: raw.Search, Request: raw.Request}
	if r := bytes.TrimSpace(raw.Resource); len(r) > 0 && !bytes.Equal(r, []byte("null")) {
		res, err := Decode(r)
		if err != nil {
			return fmt.Errorf("entry resource: %w", err)
		}
		e.Resource = res
	}
	return nil
}

// Validate checks the bundle type's value set and validates every modelled entry resource.
func (b *Bundle) Validate() error {
	ps := problems{rt: "Bundle"}
	ps.oneOf("type", b.Type, "document", "message", "transaction", "transaction-response", "batch", "batch-response", "history", "searchset", "collection")
	for i, e := range b.Entry {
		if e.Resource == nil {
			continue
		}
		if err := e.Resource.Validate(); err != nil {
			ps.errs = append(ps.errs, fmt.Errorf("entry[%s]: %w", strconv.Itoa(i), err))
		}
	}
	return ps.err()
}

// ResourceType returns "Bundle".
func (*Bundle) ResourceType() string { return "Bundle" }

// Resources returns the entry resources in order, skipping empty entries. Nested bundles are
// flattened, so a collection of search results reads as one list.
func (b *Bundle) Resources() []Resource {
	var out []Resource
	b.each(func(r Resource) { out = append(out, r) }, 0)
	return out
}

func (b *Bundle) each(fn func(Resource), depth int) {
	if b == nil || depth > 4 {
		return
	}
	for _, e := range b.Entry {
		switch r := e.Resource.(type) {
		case nil:
		case *Bundle:
			r.each(fn, depth+1)
		default:
			fn(r)
		}
	}
}

// Add appends an entry holding r (fullURL may be "" or a "urn:uuid:..." for a transaction).
func (b *Bundle) Add(fullURL string, r Resource) {
	b.Entry = append(b.Entry, BundleEntry{FullURL: fullURL, Resource: r})
}
