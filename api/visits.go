package api

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/medscribe/medscribe/api/problem"
	"github.com/medscribe/medscribe/ingest"
	"github.com/medscribe/medscribe/ingest/transcript"
	"github.com/medscribe/medscribe/store"
	"github.com/medscribe/medscribe/visit"
)

// visitRequest is the JSON body of POST /v1/visits (../shared/DESIGN.md).
type visitRequest struct {
	ExternalID string `json:"external_id"`
	PatientID  string `json:"patient_id"`
	// Transcript is the dialogue in any supported text format.
	Transcript *string `json:"transcript"`
	// Format names the transcript's format ("text", "json", "vtt", "srt", "textgrid") when
	// content detection is not enough; optional.
	Format string `json:"format"`
	// Turns may be given instead of Transcript.
	Turns   []visit.Turn       `json:"turns"`
	Patient *visit.PatientInfo `json:"patient"`
}

var formatExt = map[string]string{"": ".txt", "text": ".txt", "txt": ".txt", "json": ".json", "vtt": ".vtt", "webvtt": ".vtt", "srt": ".srt", "textgrid": ".TextGrid"}

func (s *Server) postVisit(c *gin.Context) {
	var sub ingest.Submission
	var err error
	mt, _, _ := mime.ParseMediaType(c.GetHeader("Content-Type"))
	switch mt {
	case "multipart/form-data":
		sub, err = s.audioSubmission(c)
	case "application/json", "":
		sub, err = s.jsonSubmission(c)
	default:
		err = bad("unsupported Content-Type "+mt, problem.FieldError{Where: "header.Content-Type", Message: "use application/json or multipart/form-data"})
	}
	if err != nil {
		s.fail(c, err)
		return
	}
	ctx := c.Request.Context()
	rec, created, err := s.cfg.Pipeline.Submit(ctx, sub)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.Set("audit_object", "visit:"+rec.ID)
	if rec.Status == visit.StatusQueued || rec.Status == visit.StatusProcessing {
		if s.cfg.Queue != nil {
			err = s.cfg.Queue.Enqueue(ctx, rec.ID)
		} else {
			err = s.cfg.Pipeline.Process(ctx, rec.ID)
		}
		if err != nil {
			s.fail(c, err)
			return
		}
	}
	c.Header("Location", "/v1/visits/"+rec.ID)
	if wait, _ := strconv.ParseBool(c.Query("wait")); wait {
		done, err := s.waitFor(ctx, rec.ID)
		if err == nil {
			c.JSON(http.StatusOK, done)
			return
		}
		if !errors.Is(err, errTimeout) {
			s.fail(c, err)
			return
		}
	}
	c.JSON(http.StatusAccepted, gin.H{"id": rec.ID, "job_id": rec.ID, "status": rec.Status, "version": rec.Version,
		"created": created, "location": "/v1/visits/" + rec.ID})
}

func (s *Server) jsonSubmission(c *gin.Context) (ingest.Submission, error) {
	body, err := io.ReadAll(http.MaxBytesReader(c.Writer, c.Request.Body, s.cfg.MaxBodyBytes))
	if err != nil {
		return ingest.Submission{}, err
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	var req visitRequest
	if err := dec.Decode(&req); err != nil {
		return ingest.Submission{}, bad("malformed JSON body: "+jsonErr(err, body), problem.FieldError{Where: "body", Message: jsonErr(err, body)})
	}
	if dec.More() {
		return ingest.Submission{}, bad("malformed JSON body: trailing data after the object")
	}
	if strings.TrimSpace(req.ExternalID) == "" {
		return ingest.Submission{}, bad("external_id is required", problem.FieldError{Where: "/external_id", Message: "required"})
	}
	sub := ingest.Submission{Source: "api", ExternalID: req.ExternalID, PatientID: req.PatientID}
	if req.Patient != nil {
		sub.Patient = *req.Patient
	}
	switch {
	case req.Transcript != nil && req.Turns != nil:
		return sub, bad("give transcript or turns, not both", problem.FieldError{Where: "/turns", Message: "conflicts with /transcript"})
	case req.Transcript != nil:
		ext, ok := formatExt[strings.ToLower(req.Format)]
		if !ok {
			return sub, bad("unknown format "+req.Format, problem.FieldError{Where: "/format", Message: "one of text, json, vtt, srt, textgrid"})
		}
		tr, err := transcript.Parse(req.ExternalID+ext, []byte(*req.Transcript), &transcript.Options{MaxBytes: s.cfg.MaxBodyBytes})
		if err != nil {
			return sub, bad("transcript: "+err.Error(), problem.FieldError{Where: "/transcript", Message: err.Error()})
		}
		sub.Transcript = tr
	case req.Turns != nil:
		for i, t := range req.Turns {
			if t.Speaker == "" {
				req.Turns[i].Speaker = visit.Unknown
			}
			if !req.Turns[i].Speaker.Valid() {
				return sub, bad(fmt.Sprintf("turns[%d]: unknown speaker %q", i, t.Speaker),
					problem.FieldError{Where: fmt.Sprintf("/turns/%d/speaker", i), Message: "one of doctor, patient, other, unknown"})
			}
			if strings.TrimSpace(t.Text) == "" {
				return sub, bad(fmt.Sprintf("turns[%d]: empty text", i), problem.FieldError{Where: fmt.Sprintf("/turns/%d/text", i), Message: "required"})
			}
		}
		sub.Transcript = visit.Transcript{Turns: req.Turns}
		transcript.InferRoles(&sub.Transcript)
	default:
		return sub, bad("transcript or turns is required", problem.FieldError{Where: "/transcript", Message: "required"})
	}
	return sub, nil
}

// audioSubmission stores an uploaded recording by content hash and submits it for ASR.
func (s *Server) audioSubmission(c *gin.Context) (ingest.Submission, error) {
	c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, s.cfg.MaxAudioBytes)
	if err := c.Request.ParseMultipartForm(32 << 20); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return ingest.Submission{}, err
		}
		return ingest.Submission{}, bad("malformed multipart body: " + err.Error())
	}
	sub := ingest.Submission{Source: "api", ExternalID: c.PostForm("external_id"), PatientID: c.PostForm("patient_id")}
	if sub.ExternalID == "" {
		return sub, bad("external_id is required", problem.FieldError{Where: "form.external_id", Message: "required"})
	}
	if v := c.PostForm("age"); v != "" {
		age, err := strconv.Atoi(v)
		if err != nil || age < 0 || age > 130 {
			return sub, bad("age must be a whole number of years", problem.FieldError{Where: "form.age", Message: "0-130"})
		}
		sub.Patient.Age = &age
	}
	if v := c.PostForm("sex"); v != "" {
		sub.Patient.Sex = &v
	}
	fh, err := c.FormFile("audio")
	if err != nil {
		return sub, bad("audio file is required", problem.FieldError{Where: "form.audio", Message: "required"})
	}
	f, err := fh.Open()
	if err != nil {
		return sub, err
	}
	defer f.Close()
	data, err := io.ReadAll(f)
	if err != nil {
		return sub, err
	}
	if len(data) == 0 {
		return sub, bad("audio file is empty", problem.FieldError{Where: "form.audio", Message: "empty"})
	}
	ext := strings.ToLower(filepath.Ext(fh.Filename))
	if !transcript.IsAudio(fh.Filename, data) {
		return sub, bad("form.audio is not a recognised audio file", problem.FieldError{Where: "form.audio", Message: "expected WAV (or a format ffmpeg converts)"})
	}
	sum := sha256.Sum256(data)
	ref := visit.AudioRef{SHA256: hex.EncodeToString(sum[:]), ContentType: fh.Header.Get("Content-Type"), Ext: ext}
	if err := StoreAudio(s.cfg.AudioDir, ref, data); err != nil {
		return sub, err
	}
	sub.Audio = &ref
	return sub, nil
}

// AudioPath is where a recording is kept.
func AudioPath(dir string, ref visit.AudioRef) string {
	return filepath.Join(dir, ref.SHA256+ref.Ext)
}

// StoreAudio stores the recording atomically (temp file + rename) so a crash never leaves a
// half-written file under the final name.
func StoreAudio(dir string, ref visit.AudioRef, data []byte) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	final := AudioPath(dir, ref)
	if _, err := os.Stat(final); err == nil {
		return nil
	}
	tmp, err := os.CreateTemp(dir, ".upload-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), final)
}

// waitFor polls the store until the visit leaves queued/processing or WaitTimeout passes.
func (s *Server) waitFor(ctx context.Context, id string) (*visit.Record, error) {
	ctx, cancel := context.WithTimeout(ctx, s.cfg.WaitTimeout)
	defer cancel()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		rec, err := s.cfg.Store.GetVisit(ctx, id)
		if err != nil && !errors.Is(err, context.DeadlineExceeded) {
			return nil, err
		}
		if err == nil && rec.Status != visit.StatusQueued && rec.Status != visit.StatusProcessing {
			return rec, nil
		}
		select {
		case <-ctx.Done():
			return nil, errTimeout
		case <-tick.C:
		}
	}
}

func (s *Server) getVisit(c *gin.Context) {
	rec, err := s.cfg.Store.GetVisit(c.Request.Context(), c.Param("id"))
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, rec)
}

func (s *Server) getNote(c *gin.Context) {
	rec, err := s.cfg.Store.GetVisit(c.Request.Context(), c.Param("id"))
	if err != nil {
		s.fail(c, err)
		return
	}
	if rec.Status == visit.StatusQueued || rec.Status == visit.StatusProcessing {
		s.fail(c, errTimeout)
		return
	}
	c.Data(http.StatusOK, "text/plain; charset=utf-8", []byte(rec.Note.Text))
}

func (s *Server) listVisits(c *gin.Context) {
	st, err := statusOf(c.Query("status"))
	if err != nil {
		s.fail(c, err)
		return
	}
	limit := 0
	if v := c.Query("limit"); v != "" {
		if limit, err = strconv.Atoi(v); err != nil || limit < 1 || limit > 500 {
			s.fail(c, bad("limit must be 1-500", problem.FieldError{Where: "query.limit", Message: "1-500"}))
			return
		}
	}
	page, err := s.cfg.Store.ListVisits(c.Request.Context(), store.VisitFilter{
		PatientID: c.Query("patient_id"), Status: st, Query: c.Query("q"), Limit: limit, Cursor: c.Query("cursor"),
	})
	if err != nil {
		s.fail(c, err)
		return
	}
	if page.Visits == nil {
		page.Visits = []store.VisitSummary{}
	}
	c.JSON(http.StatusOK, page)
}

func (s *Server) similar(c *gin.Context) {
	if s.cfg.Similar == nil {
		s.fail(c, errNotConfigured)
		return
	}
	id := c.Query("visit")
	if id == "" {
		s.fail(c, bad("visit is required", problem.FieldError{Where: "query.visit", Message: "required"}))
		return
	}
	k := 10
	if v := c.Query("k"); v != "" {
		var err error
		if k, err = strconv.Atoi(v); err != nil || k < 1 || k > 100 {
			s.fail(c, bad("k must be 1-100", problem.FieldError{Where: "query.k", Message: "1-100"}))
			return
		}
	}
	res, err := s.cfg.Similar.SimilarToVisit(c.Request.Context(), id, k)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, res)
}

func (s *Server) listAudit(c *gin.Context) {
	f := store.AuditFilter{Actor: c.Query("actor"), Object: c.Query("object"), Action: c.Query("action"), Limit: 100}
	if v := c.Query("since"); v != "" {
		t, err := time.Parse(time.RFC3339, v)
		if err != nil {
			s.fail(c, bad("since must be RFC 3339", problem.FieldError{Where: "query.since", Message: err.Error()}))
			return
		}
		f.Since = t
	}
	if v := c.Query("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1000 {
			s.fail(c, bad("limit must be 1-1000", problem.FieldError{Where: "query.limit", Message: "1-1000"}))
			return
		}
		f.Limit = n
	}
	evs, err := s.cfg.Store.ListAudit(c.Request.Context(), f)
	if err != nil {
		s.fail(c, err)
		return
	}
	if evs == nil {
		evs = []store.AuditEvent{}
	}
	c.JSON(http.StatusOK, gin.H{"events": evs})
}

// jsonErr describes a JSON decoding error with its byte offset and line.
func jsonErr(err error, body []byte) string {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return fmt.Sprintf("%s at line %d (byte %d)", se.Error(), lineOf(body, se.Offset), se.Offset)
	case errors.As(err, &te):
		return fmt.Sprintf("field %q: expected %s at line %d", te.Field, te.Type, lineOf(body, te.Offset))
	case errors.Is(err, io.EOF):
		return "empty body"
	case errors.Is(err, io.ErrUnexpectedEOF):
		return "truncated JSON"
	}
	return err.Error()
}

func lineOf(b []byte, off int64) int {
	if off > int64(len(b)) {
		off = int64(len(b))
	}
	return bytes.Count(b[:off], []byte("\n")) + 1
}
