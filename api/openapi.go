package api

import (
	"net/http"
	"regexp"
	"strings"

	"github.com/gin-gonic/gin"
)

var ginParam = regexp.MustCompile(`:([A-Za-z_]+)`)

// openAPIPath turns gin's "/v1/visits/:id" into OpenAPI's "/v1/visits/{id}".
func openAPIPath(p string) string { return ginParam.ReplaceAllString(p, "{$1}") }

// OpenAPI builds the OpenAPI 3.1 description from the route table, so the document cannot
// drift from the routes (a test checks both directions).
func (s *Server) OpenAPI() map[string]any {
	paths := map[string]any{}
	for _, r := range s.rules {
		p := openAPIPath(r.Path)
		item, _ := paths[p].(map[string]any)
		if item == nil {
			item = map[string]any{}
			paths[p] = item
		}
		op := map[string]any{
			"summary":     r.Summary,
			"operationId": strings.ToLower(r.Method) + strings.NewReplacer("/", "_", "{", "", "}", "", ".", "_").Replace(p),
			"responses":   responsesFor(r),
		}
		var params []any
		for _, m := range ginParam.FindAllStringSubmatch(r.Path, -1) {
			params = append(params, map[string]any{"name": m[1], "in": "path", "required": true, "schema": map[string]any{"type": "string"}})
		}
		params = append(params, queryParams[r.Method+" "+r.Path]...)
		if len(params) > 0 {
			op["parameters"] = params
		}
		if r.Public {
			op["security"] = []any{}
		} else {
			roles := make([]string, len(r.Roles))
			for i, x := range r.Roles {
				roles[i] = string(x)
			}
			op["x-roles"] = roles
		}
		if r.Method == http.MethodPost && r.Path == "/v1/visits" {
			op["requestBody"] = map[string]any{"required": true, "content": map[string]any{
				"application/json":    map[string]any{"schema": map[string]any{"$ref": "#/components/schemas/VisitRequest"}},
				"multipart/form-data": map[string]any{"schema": map[string]any{"$ref": "#/components/schemas/AudioVisitRequest"}},
			}}
		}
		item[strings.ToLower(r.Method)] = op
	}
	return map[string]any{
		"openapi": "3.1.0",
		"info": map[string]any{"title": "medscribe API", "version": s.cfg.Version,
			"description": "Visits in, drafted notes and coded items out. Errors are RFC 9457 problem+json. The CDS Hooks service is described by GET /cds-services."},
		"paths": paths,
		"components": map[string]any{
			"securitySchemes": map[string]any{
				"apiKey": map[string]any{"type": "http", "scheme": "bearer", "description": "an API key (msk_…) or an OIDC JWT"},
			},
			"schemas": schemas,
		},
		"security": []any{map[string]any{"apiKey": []any{}}},
	}
}

func (s *Server) openAPI(c *gin.Context) { c.JSON(http.StatusOK, s.OpenAPI()) }

func q(name, desc string, schema map[string]any) any {
	return map[string]any{"name": name, "in": "query", "description": desc, "schema": schema}
}

var str = map[string]any{"type": "string"}

var queryParams = map[string][]any{
	"POST /v1/visits": {q("wait", "return the finished record instead of 202", map[string]any{"type": "boolean"})},
	"GET /v1/visits": {
		q("patient_id", "only this patient's visits", str),
		q("status", "queued, processing, draft, signed or failed", map[string]any{"type": "string", "enum": []string{"queued", "processing", "draft", "signed", "failed"}}),
		q("q", "substring of the external id or patient id", str),
		q("limit", "page size (1-500, default 50)", map[string]any{"type": "integer", "minimum": 1, "maximum": 500}),
		q("cursor", "next_cursor of the previous page", str),
	},
	"GET /v1/cases/similar": {
		q("visit", "the visit to find similar cases for", str),
		q("k", "how many (1-100, default 10)", map[string]any{"type": "integer", "minimum": 1, "maximum": 100}),
	},
	"GET /v1/audit": {
		q("actor", "who", str), q("object", "e.g. visit:<id>", str), q("action", "e.g. GET /v1/visits/:id", str),
		q("since", "RFC 3339 time", map[string]any{"type": "string", "format": "date-time"}),
		q("limit", "1-1000, default 100", map[string]any{"type": "integer"}),
	},
}

func ref(name string) map[string]any { return map[string]any{"$ref": "#/components/schemas/" + name} }

func content(mt string, schema map[string]any) map[string]any {
	return map[string]any{mt: map[string]any{"schema": schema}}
}

func responsesFor(r Rule) map[string]any {
	problemResp := func(d string) map[string]any {
		return map[string]any{"description": d, "content": content("application/problem+json", ref("Problem"))}
	}
	out := map[string]any{}
	switch r.Method + " " + r.Path {
	case "POST /v1/visits":
		out["200"] = map[string]any{"description": "the finished visit (wait=true)", "content": content("application/json", ref("Visit"))}
		out["202"] = map[string]any{"description": "accepted; poll Location", "content": content("application/json", ref("Accepted"))}
		out["413"] = problemResp("body too large")
	case "GET /v1/visits/:id":
		out["200"] = map[string]any{"description": "the visit record (medscribe.visit/v1)", "content": content("application/json", ref("Visit"))}
	case "GET /v1/visits/:id/note":
		out["200"] = map[string]any{"description": "the note text", "content": content("text/plain", str)}
	case "GET /v1/visits/:id/fhir":
		out["200"] = map[string]any{"description": "FHIR R4 Bundle", "content": content("application/fhir+json", map[string]any{"type": "object"})}
	default:
		out["200"] = map[string]any{"description": "OK", "content": content("application/json", map[string]any{"type": "object"})}
	}
	if !r.Public {
		out["401"] = problemResp("not authenticated")
		out["403"] = problemResp("role not allowed")
	}
	out["400"] = problemResp("bad request")
	out["503"] = problemResp("store unavailable")
	return out
}

var evidence = map[string]any{"type": "object", "required": []string{"turn", "start", "end", "quote"}, "properties": map[string]any{
	"turn": map[string]any{"type": "integer"}, "start": map[string]any{"type": "integer"}, "end": map[string]any{"type": "integer"}, "quote": str}}

var schemas = map[string]any{
	"Problem": map[string]any{"type": "object", "description": "RFC 9457 problem details", "properties": map[string]any{
		"type": str, "title": str, "status": map[string]any{"type": "integer"}, "detail": str, "instance": str,
		"errors": map[string]any{"type": "array", "items": map[string]any{"type": "object", "properties": map[string]any{"where": str, "message": str}}}}},
	"VisitRequest": map[string]any{"type": "object", "required": []string{"external_id"}, "properties": map[string]any{
		"external_id": str, "patient_id": str,
		"transcript": map[string]any{"type": "string", "description": "dialogue in any supported text format ([doctor]/[patient] lines, Doctor:/Patient:, JSON turns, WebVTT, SRT, TextGrid)"},
		"format":     map[string]any{"type": "string", "enum": []string{"text", "json", "vtt", "srt", "textgrid"}},
		"turns":      map[string]any{"type": "array", "items": ref("Turn")},
		"patient":    map[string]any{"type": "object", "properties": map[string]any{"age": map[string]any{"type": []string{"integer", "null"}}, "sex": map[string]any{"type": []string{"string", "null"}}}}}},
	"AudioVisitRequest": map[string]any{"type": "object", "required": []string{"external_id", "audio"}, "properties": map[string]any{
		"external_id": str, "patient_id": str, "age": map[string]any{"type": "integer"}, "sex": str,
		"audio": map[string]any{"type": "string", "contentMediaType": "audio/wav", "description": "WAV; stereo keeps one speaker per channel (doctor left, patient right)"}}},
	"Accepted": map[string]any{"type": "object", "properties": map[string]any{"id": str, "job_id": str, "status": str, "version": map[string]any{"type": "integer"}, "created": map[string]any{"type": "boolean"}, "location": str}},
	"Turn": map[string]any{"type": "object", "required": []string{"speaker", "text"}, "properties": map[string]any{
		"index": map[string]any{"type": "integer"}, "speaker": map[string]any{"type": "string", "enum": []string{"doctor", "patient", "other", "unknown"}},
		"text": str, "start_ms": map[string]any{"type": []string{"integer", "null"}}, "end_ms": map[string]any{"type": []string{"integer", "null"}}}},
	"Evidence": evidence,
	"Visit": map[string]any{"type": "object", "description": "the visit record, schema medscribe.visit/v1 (see DESIGN.md)",
		"required": []string{"schema", "id", "external_id", "created_at", "transcript", "problems", "medications", "orders", "allergies", "findings", "note", "alerts", "provenance"},
		"properties": map[string]any{
			"schema": map[string]any{"const": "medscribe.visit/v1"}, "id": str, "external_id": str, "created_at": map[string]any{"type": "string", "format": "date-time"},
			"status":      map[string]any{"type": "string", "enum": []string{"queued", "processing", "draft", "signed", "failed"}},
			"transcript":  map[string]any{"type": "object", "properties": map[string]any{"turns": map[string]any{"type": "array", "items": ref("Turn")}}},
			"problems":    map[string]any{"type": "array", "items": map[string]any{"type": "object"}},
			"medications": map[string]any{"type": "array", "items": map[string]any{"type": "object"}},
			"orders":      map[string]any{"type": "array", "items": map[string]any{"type": "object"}},
			"allergies":   map[string]any{"type": "array", "items": map[string]any{"type": "object"}},
			"findings":    map[string]any{"type": "array", "items": map[string]any{"type": "object"}},
			"note":        map[string]any{"type": "object"},
			"alerts":      map[string]any{"type": "array", "items": map[string]any{"type": "object"}},
			"provenance":  map[string]any{"type": "object"},
		}},
}
