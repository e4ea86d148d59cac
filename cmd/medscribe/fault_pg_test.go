package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/medscribe/medscribe/ingest"
	"github.com/medscribe/medscribe/ingest/transcript"
	"github.com/medscribe/medscribe/store"
	"github.com/medscribe/medscribe/visit"
)

// privatePG is a PostgreSQL cluster of the test's own, in a temporary folder, so that it can
// be stopped and started without disturbing anybody else's server.
type privatePG struct {
	t      *testing.T
	bin    string // folder of initdb, pg_ctl
	dir    string // socket folder and log
	data   string
	port   int
	asUser string // run the binaries as this user (initdb refuses root)
}

// needPG skips (locally) or fails (under CI) with msg.
func needPG(t *testing.T, msg string, args ...any) {
	t.Helper()
	if os.Getenv("CI") != "" {
		t.Fatalf("CI needs PostgreSQL server binaries with pgvector: "+msg, args...)
	}
	t.Skipf("needs PostgreSQL server binaries with pgvector (apt-get install postgresql-15 postgresql-15-pgvector): "+msg, args...)
}

// startPrivatePG runs initdb and starts a cluster on a free loopback port. MEDSCRIBE_PG_BIN
// names the binaries' folder; by default the newest /usr/lib/postgresql/*/bin is used.
func startPrivatePG(t *testing.T) *privatePG {
	t.Helper()
	bin := os.Getenv("MEDSCRIBE_PG_BIN")
	if bin == "" {
		found, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb")
		sort.Slice(found, func(i, j int) bool { return pgMajor(found[i]) < pgMajor(found[j]) })
		if len(found) == 0 {
			needPG(t, "no /usr/lib/postgresql/*/bin/initdb")
		}
		bin = filepath.Dir(found[len(found)-1])
	}
	for _, b := range []string{"initdb", "pg_ctl", "postgres"} {
		if _, err := os.Stat(filepath.Join(bin, b)); err != nil {
			needPG(t, "%v", err)
		}
	}
	share, err := exec.Command(filepath.Join(bin, "pg_config"), "--sharedir").Output()
	if err == nil {
		if _, err := os.Stat(filepath.Join(strings.TrimSpace(string(share)), "extension", "vector.control")); err != nil {
			needPG(t, "pgvector is not installed for %s", bin)
		}
	}
	pg := &privatePG{t: t, bin: bin}
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			needPG(t, "running as root and there is no postgres user to run initdb as")
		}
		pg.asUser = u.Username
	}
	// Not t.TempDir(): its parents are private to root, and the server runs as postgres.
	pg.dir, err = os.MkdirTemp("", "medscribe-pg-")
	require.NoError(t, err)
	t.Cleanup(func() { os.RemoveAll(pg.dir) })
	require.NoError(t, os.Chmod(pg.dir, 0o777))
	pg.data = filepath.Join(pg.dir, "data")
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	pg.port = l.Addr().(*net.TCPAddr).Port
	l.Close()

	out, err := pg.run("initdb", "-D", pg.data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync")
	require.NoError(t, err, "initdb: %s", out)
	pg.start()
	t.Cleanup(func() { _, _ = pg.run("pg_ctl", "-D", pg.data, "-m", "immediate", "-w", "stop") })
	return pg
}

func pgMajor(path string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(filepath.Dir(path))))
	return n
}

func (pg *privatePG) run(name string, args ...string) (string, error) {
	cmd := exec.Command(filepath.Join(pg.bin, name), args...)
	if pg.asUser != "" {
		cmd = exec.Command("runuser", append([]string{"-u", pg.asUser, "--", filepath.Join(pg.bin, name)}, args...)...)
	}
	cmd.Dir = pg.dir
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func (pg *privatePG) start() {
	pg.t.Helper()
	out, err := pg.run("pg_ctl", "-D", pg.data, "-l", filepath.Join(pg.dir, "server.log"), "-w", "-t", "60",
		"-o", fmt.Sprintf("-p %d -k %s -c listen_addresses=127.0.0.1", pg.port, pg.dir), "start")
	if err != nil {
		log, _ := os.ReadFile(filepath.Join(pg.dir, "server.log"))
		require.NoError(pg.t, err, "pg_ctl start: %s\n%s", out, log)
	}
}

// crash stops the server the hard way: every backend is killed, nothing is flushed.
func (pg *privatePG) crash() {
	pg.t.Helper()
	out, err := pg.run("pg_ctl", "-D", pg.data, "-m", "immediate", "-w", "stop")
	require.NoError(pg.t, err, "pg_ctl stop: %s", out)
}

func (pg *privatePG) url() string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", pg.port)
}

// outcome is one request of the load.
type outcome struct {
	start      time.Time
	dur        time.Duration
	op         string // "post" or "get"
	status     int
	problem    bool // problem+json body
	retryAfter string
	ext, id    string
	err        error
	body       []byte
}

type outcomes struct {
	mu  sync.Mutex
	all []outcome
}

func (o *outcomes) add(x outcome) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.all = append(o.all, x)
}

func (o *outcomes) snapshot() []outcome {
	o.mu.Lock()
	defer o.mu.Unlock()
	return append([]outcome(nil), o.all...)
}

// TestPostgresOutage stops PostgreSQL (immediate mode: a crash) under a steady mix of visit
// submissions and reads, checks that requests fail fast with 503 problem+json and /readyz
// says 503, starts it again, and checks that the same process recovers by itself within
// 30 s with nothing half-written, lost or duplicated.
func TestPostgresOutage(t *testing.T) {
	if testing.Short() {
		t.Skip("fault test runs a PostgreSQL cluster of its own")
	}
	pg := startPrivatePG(t)
	// A short job timeout: a job left "running" by the crash (its completion could not be
	// written) is rescued after JobTimeout + 15 s.
	a, _ := startApp(t, func(c *config) {
		c.DatabaseURL = pg.url()
		c.JobTimeout = 5 * time.Second
	})
	key := apiKey(t, a.store, "physician")
	base := a.URL()
	text := demoText(t, "diabetes-followup.txt")
	client := &http.Client{Timeout: 15 * time.Second}

	// ~33 requests/s in all: under the default per-key rate limit (50/s), so every refusal
	// seen is the outage's.
	pace := time.NewTicker(30 * time.Millisecond)
	defer pace.Stop()
	do := func(method, url string, body []byte) outcome {
		if !strings.HasSuffix(url, "/readyz") {
			<-pace.C
		}
		var r io.Reader
		if body != nil {
			r = bytes.NewReader(body)
		}
		req, _ := http.NewRequest(method, url, r)
		req.Header.Set("Authorization", "Bearer "+key)
		if body != nil {
			req.Header.Set("Content-Type", "application/json")
		}
		o := outcome{start: time.Now()}
		res, err := client.Do(req)
		if err != nil {
			o.dur, o.err = time.Since(o.start), err
			return o
		}
		o.body, _ = io.ReadAll(res.Body)
		res.Body.Close()
		o.dur, o.status = time.Since(o.start), res.StatusCode
		o.problem = strings.HasPrefix(res.Header.Get("Content-Type"), "application/problem+json")
		o.retryAfter = res.Header.Get("Retry-After")
		return o
	}

	// The state a failed enqueue leaves behind: the visit is stored as queued, its job never
	// inserted (POST /v1/visits stores the visit, then enqueues; the database can go away
	// between the two, and the client is told 503). The queue must pick it up by itself.
	tr, err := transcript.Parse("orphan.txt", []byte(text+"[doctor] visit orphan .\n"), nil)
	require.NoError(t, err)
	orphan, _, err := a.pipeline.Submit(context.Background(), ingest.Submission{Source: "api", ExternalID: "pg-orphan", Transcript: tr})
	require.NoError(t, err)
	require.Equal(t, visit.StatusQueued, orphan.Status)

	var log outcomes
	ctx, stop := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	const workers = 4
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			last := ""
			for i := 0; ctx.Err() == nil; i++ {
				ext := fmt.Sprintf("pg-%d-%04d", w, i)
				body, _ := json.Marshal(map[string]any{"external_id": ext,
					"transcript": text + fmt.Sprintf("[doctor] visit %s .\n", ext)})
				o := do("POST", base+"/v1/visits?wait=true", body)
				o.op, o.ext = "post", ext
				if o.status == http.StatusOK || o.status == http.StatusAccepted {
					var v struct {
						ID string `json:"id"`
					}
					_ = json.Unmarshal(o.body, &v)
					o.id = v.ID
				}
				log.add(o)
				if o.id != "" {
					last = o.id
				} else if last != "" {
					// Reads of stored visits during the outage.
					g := do("GET", base+"/v1/visits/"+last, nil)
					g.op, g.id, g.ext = "get", last, ext
					log.add(g)
				}
				if o.id != "" {
					g := do("GET", base+"/v1/visits/"+o.id, nil)
					g.op, g.id, g.ext = "get", o.id, ext
					log.add(g)
				}
			}
		}(w)
	}
	defer func() {
		stop()
		wg.Wait()
	}()
	ready := func() outcome { return do("GET", base+"/readyz", nil) }

	// Healthy load.
	time.Sleep(3 * time.Second)
	before := log.snapshot()
	require.NotEmpty(t, before)
	for _, o := range before {
		require.NoError(t, o.err)
		require.Contains(t, []int{http.StatusOK, http.StatusAccepted}, o.status, "%s %s before the outage: %s", o.op, o.ext, short(o.body))
	}

	// Outage.
	pg.crash()
	down := time.Now()
	time.Sleep(4 * time.Second)
	// POST /v1/visits stores the visit, then enqueues it: an enqueue failing on the dead
	// database must be reported as the store being unavailable (503), not as an internal error.
	qctx, qcancel := context.WithTimeout(context.Background(), 5*time.Second)
	qstart := time.Now()
	qerr := a.queue.Enqueue(qctx, orphan.ID)
	qcancel()
	assert.Error(t, qerr)
	assert.ErrorIs(t, qerr, store.ErrUnavailable, "an enqueue on a dead database is ErrUnavailable (503), not a 500: %v", qerr)
	assert.Less(t, time.Since(qstart), 3*time.Second, "an enqueue on a dead database fails fast")
	r := ready()
	assert.Equal(t, http.StatusServiceUnavailable, r.status, "/readyz during the outage: %s", r.body)
	assert.True(t, r.problem, "/readyz answers problem+json")
	assert.Less(t, r.dur, 3*time.Second, "/readyz answers fast")

	// Restart, and time the recovery of the same process.
	restarting := time.Now()
	pg.start()
	up := time.Now()
	var recovered time.Time
	for time.Since(up) < 30*time.Second {
		for _, o := range log.snapshot() {
			if o.op == "post" && o.start.After(up) && o.status == http.StatusOK {
				recovered = time.Now()
				break
			}
		}
		if !recovered.IsZero() {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	require.False(t, recovered.IsZero(), "no visit was accepted within 30 s of PostgreSQL's restart")
	time.Sleep(3 * time.Second)
	stop()
	wg.Wait()
	r = ready()
	assert.Equal(t, http.StatusOK, r.status, "/readyz after the restart: %s", r.body)

	// Fail fast with 503 during the outage; never 500.
	all := log.snapshot()
	hist := map[string]int{}
	for _, o := range all {
		phase := "before"
		switch {
		case o.start.After(restarting):
			phase = "after"
		case o.start.After(down):
			phase = "outage"
		}
		hist[fmt.Sprintf("%s %s %d", phase, o.op, o.status)]++
	}
	t.Logf("outcomes by phase, operation and status: %v", hist)
	var outageDur []time.Duration
	settled := recovered.Add(2 * time.Second)
	after := 0
	for _, o := range all {
		require.NoError(t, o.err, "%s %s: the server always answers", o.op, o.ext)
		assert.NotEqual(t, http.StatusInternalServerError, o.status, "%s %s: an outage is not an internal error: %s", o.op, o.ext, short(o.body))
		switch {
		case o.start.After(down) && o.start.Before(restarting):
			outageDur = append(outageDur, o.dur)
			assert.Equal(t, http.StatusServiceUnavailable, o.status, "%s %s during the outage: %s", o.op, o.ext, short(o.body))
			assert.True(t, o.problem, "503 is problem+json")
			assert.NotEmpty(t, o.retryAfter, "503 says when to retry")
			assert.Less(t, o.dur, 3*time.Second, "%s %s fails fast", o.op, o.ext)
		case o.start.After(settled):
			after++
			assert.Contains(t, []int{http.StatusOK, http.StatusAccepted}, o.status, "%s %s after recovery: %s", o.op, o.ext, short(o.body))
		}
	}
	require.NotEmpty(t, outageDur, "requests were made during the outage")
	assert.Positive(t, after, "requests were made after the recovery")
	sort.Slice(outageDur, func(i, j int) bool { return outageDur[i] < outageDur[j] })
	t.Logf("requests: %d in all, %d during the outage (latency p50 %v, max %v), recovery %v after pg_ctl start (%v after the crash), %d after",
		len(all), len(outageDur), outageDur[len(outageDur)/2].Round(time.Microsecond), outageDur[len(outageDur)-1].Round(time.Microsecond),
		recovered.Sub(up).Round(time.Millisecond), recovered.Sub(down).Round(time.Millisecond), after)

	// Nothing stuck: the queue resumes every visit left queued or processing.
	sctx := context.Background()
	var pending int
	deadline := time.Now().Add(40 * time.Second)
	for {
		ids, err := a.store.VisitIDsWithStatus(sctx, "queued", "processing")
		require.NoError(t, err)
		pending = len(ids)
		if pending == 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	if !assert.Zero(t, pending, "visits left queued or processing after the restart") {
		ids, _ := a.store.VisitIDsWithStatus(sctx, "queued", "processing")
		for _, id := range ids {
			rec, err := a.store.GetVisit(sctx, id)
			if err != nil {
				continue
			}
			if conn, err := pgx.Connect(sctx, pg.url()); err == nil {
				var state string
				var attempt int
				err := conn.QueryRow(sctx, "SELECT state, attempt FROM river_job WHERE args->>'visit_id' = $1 ORDER BY id DESC LIMIT 1", id).Scan(&state, &attempt)
				t.Logf("stuck %s: river job state %q attempt %d (%v)", rec.ExternalID, state, attempt, err)
				conn.Close(sctx)
			}
			for _, o := range all {
				if o.ext == rec.ExternalID {
					t.Logf("stuck %s (%s): %s at %+v after the crash → %d %s", rec.ExternalID, rec.Status, o.op,
						o.start.Sub(down).Round(time.Millisecond), o.status, short(o.body))
				}
			}
		}
	}

	// Nothing half-written, lost or duplicated.
	perExt := map[string]int{}
	status := map[visit.Status]int{}
	cursor := ""
	for {
		p, err := a.store.ListVisits(sctx, store.VisitFilter{Limit: 500, Cursor: cursor})
		require.NoError(t, err)
		for _, v := range p.Visits {
			perExt[v.ExternalID]++
			status[v.Status]++
		}
		if p.NextCursor == "" {
			break
		}
		cursor = p.NextCursor
	}
	for ext, n := range perExt {
		assert.Equal(t, 1, n, "%s is stored once", ext)
	}
	accepted := 0
	for _, o := range all {
		if o.op != "post" || o.id == "" {
			continue
		}
		accepted++
		rec, err := a.store.GetVisit(sctx, o.id)
		if !assert.NoError(t, err, "%s was accepted (%d) and must exist", o.ext, o.status) {
			continue
		}
		assert.Equal(t, o.ext, rec.ExternalID)
		assert.NoError(t, rec.Validate(), "%s is whole", o.ext)
		if assert.Equal(t, visit.StatusDraft, rec.Status, "%s finished (error %q)", o.ext, rec.Error) {
			assert.NotEmpty(t, rec.Note.Text, "%s has its note", o.ext)
		}
	}
	rec, err := a.store.GetVisit(sctx, orphan.ID)
	require.NoError(t, err)
	assert.Equal(t, visit.StatusDraft, rec.Status, "a visit whose enqueue failed is processed without restarting the program")
	t.Logf("visits stored %d (%v), accepted %d", len(perExt), status, accepted)
}

func short(b []byte) string {
	if len(b) > 300 {
		return string(b[:300]) + "…"
	}
	return string(b)
}
