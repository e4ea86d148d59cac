package visit

// Card is a CDS Hooks 2.0 card, as returned to the EHR and as stored on a visit's alerts.
// The cds package builds them; the type lives here so the record can hold them without
// the record depending on the service.
type Card struct {
	UUID              string        `json:"uuid,omitempty"`
	Summary           string        `json:"summary"`
	Detail            string        `json:"detail,omitempty"`
	Indicator         string        `json:"indicator"`
	Source            CardSource    `json:"source"`
	Suggestions       []Suggestion  `json:"suggestions,omitempty"`
	SelectionBehavior string        `json:"selectionBehavior,omitempty"`
	OverrideReasons   []CodingValue `json:"overrideReasons,omitempty"`
	Links             []Link        `json:"links,omitempty"`
	// Extension carries medscribe's own fields (rule id, whether the reason came from a visit).
	Extension map[string]any `json:"extension,omitempty"`
}

// CardSource says where a card's advice comes from.
type CardSource struct {
	Label string       `json:"label"`
	URL   string       `json:"url,omitempty"`
	Icon  string       `json:"icon,omitempty"`
	Topic *CodingValue `json:"topic,omitempty"`
}

// CodingValue is a FHIR Coding as CDS Hooks uses it (topic, override reasons).
type CodingValue struct {
	System  string `json:"system,omitempty"`
	Code    string `json:"code"`
	Display string `json:"display,omitempty"`
}

// Suggestion is a set of actions the EHR can apply in one click.
type Suggestion struct {
	Label         string   `json:"label"`
	UUID          string   `json:"uuid,omitempty"`
	IsRecommended bool     `json:"isRecommended,omitempty"`
	Actions       []Action `json:"actions,omitempty"`
}

// Action changes the EHR's data: create, update or delete a resource.
type Action struct {
	Type        string `json:"type"`
	Description string `json:"description"`
	Resource    any    `json:"resource,omitempty"`
	ResourceID  string `json:"resourceId,omitempty"`
}

// Link points the clinician at an app or a page.
type Link struct {
	Label      string `json:"label"`
	URL        string `json:"url"`
	Type       string `json:"type"`
	AppContext string `json:"appContext,omitempty"`
}
