package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/medscribe/medscribe/api"
	"github.com/medscribe/medscribe/fhir"
	"github.com/medscribe/medscribe/ingest"
	"github.com/medscribe/medscribe/ingest/transcript"
	"github.com/medscribe/medscribe/visit"
)

func init() {
	register(command{name: "ingest", summary: "ingest transcripts or audio files and write visit records", run: runIngest})
}

var outputFormats = map[string]bool{"json": true, "fhir": true, "note": true, "summary": true}

func runIngest(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(e, "ingest")
	cf := bindConfigFlags(fs, false)
	out := fs.String("out", "", "write one <external_id>.json visit record per input into this folder")
	format := fs.String("format", "", "what to print: json, fhir, note or summary (default: json, or summary with --out)")
	id := fs.String("id", "", "external id (one input only; default: the file name without extension)")
	patient := fs.String("patient", "", "patient id for every input")
	workers := fs.Int("workers", runtime.GOMAXPROCS(0), "visits processed at once")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		return fmt.Errorf("%w: give at least one file or folder", errUsage)
	}
	if *format == "" {
		*format = map[bool]string{true: "summary", false: "json"}[*out != ""]
	}
	if !outputFormats[*format] {
		return fmt.Errorf("%w: --format %q: want json, fhir, note or summary", errUsage, *format)
	}
	cfg, err := cf.resolve(os.Getenv)
	if err != nil {
		return err
	}
	paths, err := expandPaths(fs.Args())
	if err != nil {
		return err
	}
	inputs, err := transcript.GroupInputs(paths)
	if err != nil {
		return err
	}
	if *id != "" {
		if len(inputs) != 1 {
			return fmt.Errorf("%w: --id needs exactly one input, got %d", errUsage, len(inputs))
		}
		inputs[0].ExternalID = *id
	}
	if *out != "" {
		if err := os.MkdirAll(*out, 0o750); err != nil {
			return err
		}
	}
	a, err := newApp(ctx, cfg, io.Discard, appMode{})
	if err != nil {
		return err
	}
	defer a.Close()
	r := &ingestRun{a: a, out: *out, format: *format, patient: *patient, audioDir: filepath.Join(cfg.DataDir, "audio")}
	return r.all(ctx, e, inputs, max(1, *workers))
}

// ingestRun processes inputs in parallel and prints results in input order.
type ingestRun struct {
	a        *app
	out      string
	format   string
	patient  string
	audioDir string
}

type ingestResult struct {
	rec *visit.Record
	err error
}

func (r *ingestRun) all(ctx context.Context, e *env, inputs []transcript.Input, workers int) error {
	results := make([]ingestResult, len(inputs))
	bar := newProgress(e.stderr, len(inputs), "visits")
	var wg sync.WaitGroup
	next := make(chan int)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				rec, err := r.one(ctx, inputs[i])
				results[i] = ingestResult{rec, err}
				bar.add(1)
			}
		}()
	}
	start := time.Now()
	for i := range inputs {
		select {
		case next <- i:
		case <-ctx.Done():
		}
	}
	close(next)
	wg.Wait()
	bar.done()
	failed := 0
	for i, res := range results {
		if res.err == nil && res.rec == nil {
			res.err = ctx.Err()
		}
		if res.err != nil {
			failed++
			fmt.Fprintf(e.stderr, "%s: %v\n", strings.Join(inputs[i].Paths, "+"), res.err)
			continue
		}
		if err := r.print(e.stdout, res.rec); err != nil {
			return err
		}
	}
	if r.out != "" || len(inputs) > 1 {
		el := time.Since(start)
		fmt.Fprintf(e.stderr, "%d visits ingested, %d failed, in %.2fs (%.1f visits/s)\n",
			len(inputs)-failed, failed, el.Seconds(), float64(len(inputs)-failed)/el.Seconds())
	}
	if failed > 0 {
		return fmt.Errorf("%d of %d inputs failed", failed, len(inputs))
	}
	return nil
}

// one parses, stores and processes one input. Parsing happens before anything is stored, so
// a bad file leaves nothing half-way.
func (r *ingestRun) one(ctx context.Context, in transcript.Input) (*visit.Record, error) {
	sub := ingest.Submission{Source: "cli", ExternalID: in.ExternalID, PatientID: r.patient}
	switch {
	case len(in.Paths) == 2:
		d, err := os.ReadFile(in.Paths[0])
		if err != nil {
			return nil, err
		}
		p, err := os.ReadFile(in.Paths[1])
		if err != nil {
			return nil, err
		}
		sub.Transcript, err = transcript.ParseTextGridPair(in.Paths[0], d, in.Paths[1], p, nil)
		if err != nil {
			return nil, err
		}
	case len(in.Paths) == 1:
		data, err := os.ReadFile(in.Paths[0])
		if err != nil {
			return nil, err
		}
		if transcript.IsAudio(in.Paths[0], data) {
			sum := sha256.Sum256(data)
			ref := visit.AudioRef{SHA256: hex.EncodeToString(sum[:]), Ext: strings.ToLower(filepath.Ext(in.Paths[0]))}
			if err := api.StoreAudio(r.audioDir, ref, data); err != nil {
				return nil, err
			}
			sub.Audio = &ref
		} else if sub.Transcript, err = transcript.Parse(in.Paths[0], data, nil); err != nil {
			return nil, err
		}
	default:
		return nil, fmt.Errorf("input %q has %d files", in.ExternalID, len(in.Paths))
	}
	rec, _, err := r.a.pipeline.Submit(ctx, sub)
	if err != nil {
		return nil, err
	}
	if err := r.a.pipeline.Process(ctx, rec.ID); err != nil {
		var perm *ingest.PermanentError
		if errors.As(err, &perm) {
			_ = r.a.pipeline.MarkFailed(ctx, rec.ID, err)
		}
		return nil, err
	}
	rec, err = r.a.store.GetVisit(ctx, rec.ID)
	if err != nil {
		return nil, err
	}
	if rec.Status == visit.StatusFailed {
		return nil, fmt.Errorf("visit %s failed: %s", rec.ID, rec.Error)
	}
	if r.out != "" {
		if err := writeJSONFile(filepath.Join(r.out, safeName(rec.ExternalID)+".json"), rec); err != nil {
			return nil, err
		}
	}
	return rec, nil
}

func (r *ingestRun) print(w io.Writer, rec *visit.Record) error {
	switch r.format {
	case "json":
		if r.out != "" {
			return nil
		}
		return writeJSON(w, rec)
	case "fhir":
		return writeJSON(w, fhir.VisitBundle(rec))
	case "note":
		_, err := fmt.Fprintln(w, rec.Note.Text)
		return err
	default:
		_, err := fmt.Fprintf(w, "%s\t%s\tv%d\t%d turns\t%d problems\t%d medications\t%d orders\t%d allergies\t%d alerts\n",
			rec.ExternalID, rec.ID, rec.Version, len(rec.Transcript.Turns), len(rec.Problems), len(rec.Medications),
			len(rec.Orders), len(rec.Allergies), len(rec.Alerts))
		return err
	}
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// writeJSONFile writes atomically: a crash never leaves a truncated record.
func writeJSONFile(path string, v any) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".tmp-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := writeJSON(tmp, v); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// safeName keeps an external id usable as a file name.
func safeName(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '/' || r == '\\' || r == 0 || r == ':' {
			return '_'
		}
		return r
	}, s)
}

// expandPaths turns folders into the supported files below them (sorted); files given by
// name are kept whatever their extension, so content detection can judge them.
func expandPaths(args []string) ([]string, error) {
	var out []string
	for _, p := range args {
		st, err := os.Stat(p)
		if err != nil {
			return nil, err
		}
		if !st.IsDir() {
			out = append(out, p)
			continue
		}
		var found []string
		err = filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if strings.HasPrefix(d.Name(), ".") && path != p {
				if d.IsDir() {
					return filepath.SkipDir
				}
				return nil
			}
			if !d.IsDir() && transcript.KnownExtension(path) {
				found = append(found, path)
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
		if len(found) == 0 {
			return nil, fmt.Errorf("%s: no transcript or audio files in this folder", p)
		}
		sort.Strings(found)
		out = append(out, found...)
	}
	return out, nil
}
