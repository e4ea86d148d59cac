package cds

import (
	"errors"
	"net/url"
	"strings"
)

// fhirBase is an allowed FHIR server base: scheme, host (with port) and path prefix.
type fhirBase struct {
	scheme, host, path string
}

func parseFHIRBase(raw string) (fhirBase, error) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil ||
		u.RawQuery != "" || u.Fragment != "" {
		return fhirBase{}, errors.New("not an absolute http(s) base URL without credentials, query or fragment")
	}
	return fhirBase{scheme: strings.ToLower(u.Scheme), host: strings.ToLower(u.Host),
		path: strings.TrimSuffix(u.EscapedPath(), "/")}, nil
}

// fhirAllowed reports whether the service may fetch from the request's fhirServer: any when
// no allow-list is configured; otherwise one with an allowed scheme and host whose path is
// the allowed path or below it ("/fhir" allows "/fhir/r4", not "/fhir-other").
func (s *Service) fhirAllowed(server string) bool {
	if len(s.fhirBases) == 0 {
		return true
	}
	b, err := parseFHIRBase(server)
	if err != nil {
		return false
	}
	for _, a := range s.fhirBases {
		if a.scheme == b.scheme && a.host == b.host && (b.path == a.path || strings.HasPrefix(b.path, a.path+"/")) {
			return true
		}
	}
	return false
}
