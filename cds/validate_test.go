package cds

import (
	"encoding/json"
	"fmt"
	"net/url"
	"unicode/utf8"

	"github.com/google/uuid"
)

// validateResponse checks a CDS Hooks 2.0 service response against the spec's rules for
// services (requirements list rows 3, 74, 80-147, 214-220). It returns every violation.
func validateResponse(body []byte) []string {
	var probs []string
	bad := func(format string, args ...any) { probs = append(probs, fmt.Sprintf(format, args...)) }
	var top map[string]json.RawMessage
	if err := json.Unmarshal(body, &top); err != nil {
		return []string{"response is not a JSON object: " + err.Error()}
	}
	rawCards, ok := top["cards"]
	if !ok {
		return []string{"cards is required"}
	}
	var cards []map[string]any
	if err := json.Unmarshal(rawCards, &cards); err != nil {
		return []string{"cards is not an array of objects"}
	}
	noNulls(nil, "", &probs, mustAny(body))
	seen := map[string]bool{}
	for i, c := range cards {
		at := fmt.Sprintf("cards[%d]", i)
		id, ok := c["uuid"].(string)
		if !ok || uuid.Validate(id) != nil {
			bad("%s.uuid must be a UUID string", at)
		} else if seen[id] {
			bad("%s.uuid %s is not unique", at, id)
		}
		seen[id] = true
		s, ok := c["summary"].(string)
		if !ok || s == "" || utf8.RuneCountInString(s) >= 140 {
			bad("%s.summary must be a string under 140 characters", at)
		}
		if d, ok := c["detail"]; ok {
			if _, isStr := d.(string); !isStr {
				bad("%s.detail must be a (markdown) string", at)
			}
		}
		switch c["indicator"] {
		case "info", "warning", "critical":
		default:
			bad("%s.indicator must be info, warning or critical", at)
		}
		src, ok := c["source"].(map[string]any)
		if !ok {
			bad("%s.source is required", at)
		} else {
			if l, ok := src["label"].(string); !ok || l == "" {
				bad("%s.source.label is required", at)
			}
			for _, f := range []string{"url", "icon"} {
				if v, ok := src[f]; ok && !absURL(v) {
					bad("%s.source.%s must be an absolute URL", at, f)
				}
			}
			if tp, ok := src["topic"]; ok {
				checkCoding(tp, at+".source.topic", false, bad)
			}
		}
		sugg, hasSugg := c["suggestions"].([]any)
		if _, present := c["suggestions"]; present && !hasSugg {
			bad("%s.suggestions must be an array", at)
		}
		if len(sugg) > 0 {
			switch c["selectionBehavior"] {
			case "at-most-one", "any":
			default:
				bad("%s.selectionBehavior must be at-most-one or any when suggestions exist", at)
			}
		}
		for j, sv := range sugg {
			sat := fmt.Sprintf("%s.suggestions[%d]", at, j)
			sg, ok := sv.(map[string]any)
			if !ok {
				bad("%s is not an object", sat)
				continue
			}
			if l, ok := sg["label"].(string); !ok || l == "" {
				bad("%s.label is required", sat)
			}
			if u, ok := sg["uuid"]; ok {
				if us, ok := u.(string); !ok || us == "" {
					bad("%s.uuid must be a string", sat)
				}
			}
			if r, ok := sg["isRecommended"]; ok {
				if _, ok := r.(bool); !ok {
					bad("%s.isRecommended must be a boolean", sat)
				}
			}
			acts, _ := sg["actions"].([]any)
			for k, av := range acts {
				aat := fmt.Sprintf("%s.actions[%d]", sat, k)
				a, _ := av.(map[string]any)
				if d, ok := a["description"].(string); !ok || d == "" {
					bad("%s.description is required", aat)
				}
				switch a["type"] {
				case "create", "update":
					res, ok := a["resource"].(map[string]any)
					if !ok || res["resourceType"] == nil {
						bad("%s.resource must be a FHIR resource", aat)
					}
				case "delete":
					if _, ok := a["resource"]; ok {
						bad("%s: a delete must not carry a resource", aat)
					}
					if rid, ok := a["resourceId"].(string); !ok || rid == "" {
						bad("%s.resourceId should be given for delete", aat)
					}
				default:
					bad("%s.type must be create, update or delete", aat)
				}
			}
		}
		if ors, ok := c["overrideReasons"]; ok {
			list, ok := ors.([]any)
			if !ok {
				bad("%s.overrideReasons must be an array", at)
			}
			for j, o := range list {
				checkCoding(o, fmt.Sprintf("%s.overrideReasons[%d]", at, j), true, bad)
			}
		}
		if ind := c["indicator"]; ind == "warning" || ind == "critical" {
			if l, _ := c["overrideReasons"].([]any); len(l) == 0 {
				bad("%s: medscribe gives overrideReasons on every warning and critical card", at)
			}
		}
		if lv, ok := c["links"]; ok {
			links, ok := lv.([]any)
			if !ok {
				bad("%s.links must be an array", at)
			}
			for j, l := range links {
				lat := fmt.Sprintf("%s.links[%d]", at, j)
				lk, _ := l.(map[string]any)
				if s, ok := lk["label"].(string); !ok || s == "" {
					bad("%s.label is required", lat)
				}
				if !absURL(lk["url"]) {
					bad("%s.url must be an absolute URL", lat)
				}
				switch lk["type"] {
				case "absolute":
					if _, ok := lk["appContext"]; ok {
						bad("%s.appContext is not allowed on absolute links", lat)
					}
				case "smart":
					if ac, ok := lk["appContext"]; ok {
						if _, ok := ac.(string); !ok {
							bad("%s.appContext must be a string", lat)
						}
					}
				default:
					bad("%s.type must be absolute or smart", lat)
				}
			}
		}
		if ext, ok := c["extension"]; ok {
			if _, ok := ext.(map[string]any); !ok {
				bad("%s.extension must be a JSON object", at)
			}
		}
	}
	if sa, ok := top["systemActions"]; ok {
		var list []any
		if json.Unmarshal(sa, &list) != nil {
			bad("systemActions must be an array")
		}
	}
	return probs
}

func checkCoding(v any, at string, needDisplay bool, bad func(string, ...any)) {
	c, ok := v.(map[string]any)
	if !ok {
		bad("%s must be a Coding object", at)
		return
	}
	if s, ok := c["code"].(string); !ok || s == "" {
		bad("%s.code is required", at)
	}
	if s, ok := c["system"].(string); !ok || s == "" {
		bad("%s.system is required", at)
	}
	if d, ok := c["display"]; ok || needDisplay {
		if s, ok := d.(string); !ok || s == "" {
			bad("%s.display must be a non-empty string", at)
		}
	}
}

func absURL(v any) bool {
	s, ok := v.(string)
	if !ok {
		return false
	}
	u, err := url.Parse(s)
	return err == nil && u.IsAbs() && u.Host != ""
}

func mustAny(b []byte) any {
	var v any
	_ = json.Unmarshal(b, &v)
	return v
}

// noNulls flags JSON nulls and empty strings, objects and arrays (row 3), except an empty
// cards array.
func noNulls(_ any, at string, probs *[]string, v any) {
	switch x := v.(type) {
	case nil:
		*probs = append(*probs, at+" is null")
	case string:
		if x == "" {
			*probs = append(*probs, at+" is an empty string")
		}
	case []any:
		if len(x) == 0 && at != ".cards" {
			*probs = append(*probs, at+" is an empty array")
		}
		for i, e := range x {
			noNulls(nil, fmt.Sprintf("%s[%d]", at, i), probs, e)
		}
	case map[string]any:
		if len(x) == 0 && at != "" {
			*probs = append(*probs, at+" is an empty object")
		}
		for k, e := range x {
			noNulls(nil, at+"."+k, probs, e)
		}
	}
}
