package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/medscribe/medscribe/store"
	"github.com/medscribe/medscribe/visit"
)

func freeAddr(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer l.Close()
	return l.Addr().String()
}

func startServe(t *testing.T, bin, dataDir, addr string) *exec.Cmd {
	cmd := exec.Command(bin, "serve", "--dev", "--addr", addr, "--data-dir", dataDir)
	cmd.Env = append(os.Environ(), "MEDSCRIBE_JOB_TIMEOUT=5s", "MEDSCRIBE_WORKERS=2")
	var logs bytes.Buffer
	cmd.Stderr = &logs
	require.NoError(t, cmd.Start())
	require.Eventually(t, func() bool {
		res, err := http.Get("http://" + addr + "/healthz")
		if err == nil {
			res.Body.Close()
		}
		return err == nil && res.StatusCode == 200
	}, 30*time.Second, 50*time.Millisecond, "serve did not start: %s", logs.String())
	return cmd
}

// TestKillDuringBatch queues a batch of visits on `serve`, kills it with SIGKILL while it is
// working, restarts it, and checks that every visit is stored exactly once and finishes.
// MEDSCRIBE_FAULT_VISITS sets the batch size (default 500; CI uses the default).
func TestKillDuringBatch(t *testing.T) {
	if testing.Short() {
		t.Skip("fault test builds and runs the binary")
	}
	n := 500
	if v := os.Getenv("MEDSCRIBE_FAULT_VISITS"); v != "" {
		fmt.Sscan(v, &n)
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "medscribe")
	build := exec.Command("go", "build", "-o", bin, ".")
	out, err := build.CombinedOutput()
	require.NoError(t, err, string(out))
	data := filepath.Join(dir, "data")
	addr := freeAddr(t)
	cmd := startServe(t, bin, data, addr)

	text := demoText(t, "diabetes-followup.txt")
	var wg sync.WaitGroup
	sem := make(chan struct{}, 8)
	errs := make(chan error, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		sem <- struct{}{}
		go func(i int) {
			defer wg.Done()
			defer func() { <-sem }()
			body, _ := json.Marshal(map[string]any{"external_id": fmt.Sprintf("batch-%04d", i),
				"transcript": text + fmt.Sprintf("[doctor] visit %d .\n", i)})
			res, err := http.Post("http://"+addr+"/v1/visits", "application/json", bytes.NewReader(body))
			if err != nil {
				errs <- err
				return
			}
			res.Body.Close()
			if res.StatusCode != http.StatusAccepted {
				errs <- fmt.Errorf("visit %d: status %d", i, res.StatusCode)
			}
		}(i)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	// Let the workers get going, then kill without warning.
	time.Sleep(300 * time.Millisecond)
	require.NoError(t, cmd.Process.Signal(syscall.SIGKILL))
	_ = cmd.Wait()

	cmd = startServe(t, bin, data, addr)
	defer func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		_ = cmd.Wait()
	}()
	deadline := time.Now().Add(5 * time.Minute)
	var page struct {
		Visits []store.VisitSummary `json:"visits"`
	}
	for {
		pending := 0
		for _, st := range []visit.Status{visit.StatusQueued, visit.StatusProcessing} {
			res, err := http.Get("http://" + addr + "/v1/visits?limit=500&status=" + string(st))
			require.NoError(t, err)
			require.NoError(t, json.NewDecoder(res.Body).Decode(&page))
			res.Body.Close()
			pending += len(page.Visits)
		}
		if pending == 0 {
			break
		}
		require.True(t, time.Now().Before(deadline), "%d visits still pending after restart", pending)
		time.Sleep(200 * time.Millisecond)
	}
	_ = cmd.Process.Signal(syscall.SIGTERM)
	_ = cmd.Wait()

	st, err := store.OpenSQLite(context.Background(), filepath.Join(data, "medscribe.db"), nil)
	require.NoError(t, err)
	defer st.Close()
	seen := map[string]int{}
	cursor := ""
	for {
		p, err := st.ListVisits(context.Background(), store.VisitFilter{Limit: 500, Cursor: cursor})
		require.NoError(t, err)
		for _, v := range p.Visits {
			seen[v.ExternalID]++
			assert.Contains(t, []visit.Status{visit.StatusDraft, visit.StatusFailed}, v.Status, "%s", v.ExternalID)
			if v.Status == visit.StatusFailed {
				rec, err := st.GetVisit(context.Background(), v.ID)
				require.NoError(t, err)
				assert.NotEmpty(t, rec.Error, "a failed visit says why")
			}
		}
		if p.NextCursor == "" {
			break
		}
		cursor = p.NextCursor
	}
	assert.Len(t, seen, n, "none lost")
	for id, c := range seen {
		assert.Equal(t, 1, c, "%s stored once", id)
		assert.True(t, strings.HasPrefix(id, "batch-"))
	}
}
