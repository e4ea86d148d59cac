package api

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/medscribe/medscribe/fhir"
)

func (s *Server) getFHIR(c *gin.Context) {
	rec, err := s.cfg.Store.GetVisit(c.Request.Context(), c.Param("id"))
	if err != nil {
		s.fail(c, err)
		return
	}
	c.Header("Content-Type", "application/fhir+json")
	c.JSON(http.StatusOK, fhir.VisitBundle(rec))
}
