package ratelimit

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/medscribe/medscribe/api/problem"
)

type clock struct{ t time.Time }

func (c *clock) now() time.Time      { return c.t }
func (c *clock) add(d time.Duration) { c.t = c.t.Add(d) }

func newClock() *clock { return &clock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)} }

func TestAllowBucket(t *testing.T) {
	type step struct {
		advance   time.Duration
		n         int           // requests made at this instant
		wantOK    int           // how many of them pass
		wantRetry time.Duration // Retry-After of the last refused one (when any)
	}
	tests := []struct {
		name  string
		rate  float64
		burst int
		steps []step
	}{
		{name: "burst then refused", rate: 10, burst: 5, steps: []step{
			{n: 7, wantOK: 5, wantRetry: 100 * time.Millisecond},
		}},
		{name: "refills at rate", rate: 10, burst: 5, steps: []step{
			{n: 5, wantOK: 5},
			{advance: 250 * time.Millisecond, n: 3, wantOK: 2, wantRetry: 50 * time.Millisecond},
			{advance: time.Second, n: 20, wantOK: 5, wantRetry: 100 * time.Millisecond},
		}},
		{name: "never above burst after long idle", rate: 2, burst: 3, steps: []step{
			{n: 1, wantOK: 1},
			{advance: time.Hour, n: 10, wantOK: 3, wantRetry: 500 * time.Millisecond},
		}},
		{name: "slow rate waits seconds", rate: 0.5, burst: 1, steps: []step{
			{n: 2, wantOK: 1, wantRetry: 2 * time.Second},
			{advance: time.Second, n: 1, wantOK: 0, wantRetry: time.Second},
			{advance: time.Second, n: 1, wantOK: 1},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clk := newClock()
			l := New(&Config{Rate: tt.rate, Burst: tt.burst, Now: clk.now})
			for i, s := range tt.steps {
				clk.add(s.advance)
				ok, retry := 0, time.Duration(0)
				for range s.n {
					if allowed, r := l.Allow("key:1"); allowed {
						ok++
					} else {
						retry = r
					}
				}
				assert.Equal(t, s.wantOK, ok, "step %d", i)
				assert.InDelta(t, float64(s.wantRetry), float64(retry), float64(time.Millisecond), "step %d retry", i)
			}
		})
	}
}

func TestKeysAreIndependent(t *testing.T) {
	clk := newClock()
	l := New(&Config{Rate: 1, Burst: 2, Now: clk.now})
	for range 2 {
		ok, _ := l.Allow("key:a")
		require.True(t, ok)
	}
	ok, _ := l.Allow("key:a")
	assert.False(t, ok, "a is spent")
	ok, _ = l.Allow("key:b")
	assert.True(t, ok, "b has its own bucket")
}

func TestMemoryIsBounded(t *testing.T) {
	t.Run("idle keys are forgotten", func(t *testing.T) {
		clk := newClock()
		l := New(&Config{Rate: 10, Burst: 20, Now: clk.now}) // full again after 2 s
		for i := range 100 {
			l.Allow("anon:10.0.0." + string(rune('a'+i%26)) + string(rune('a'+i/26)))
		}
		assert.Equal(t, 100, l.Len())
		clk.add(time.Second)
		l.Allow("key:busy")
		assert.Equal(t, 101, l.Len(), "not idle long enough yet")
		clk.add(1500 * time.Millisecond)
		l.Allow("key:busy")
		assert.Equal(t, 1, l.Len(), "only the recently seen key is kept")
	})
	t.Run("MaxKeys evicts the least recently seen", func(t *testing.T) {
		clk := newClock()
		l := New(&Config{Rate: 1, Burst: 1, MaxKeys: 3, Now: clk.now})
		for _, k := range []string{"a", "b", "c"} {
			ok, _ := l.Allow(k)
			require.True(t, ok)
		}
		ok, _ := l.Allow("a") // a is now most recent (and spent)
		require.False(t, ok)
		l.Allow("d") // evicts b
		assert.Equal(t, 3, l.Len())
		ok, _ = l.Allow("a")
		assert.False(t, ok, "a was kept, still spent")
		ok, _ = l.Allow("b")
		assert.True(t, ok, "b was forgotten, so it starts full")
	})
}

func TestAllowConcurrent(t *testing.T) {
	clk := newClock()
	l := New(&Config{Rate: 1, Burst: 50, Now: clk.now})
	var ok atomic.Int32
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 100 {
				if a, _ := l.Allow("key:shared"); a {
					ok.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	assert.EqualValues(t, 50, ok.Load(), "exactly the burst passes when the clock stands still")
}

func TestMiddleware(t *testing.T) {
	gin.SetMode(gin.TestMode)
	clk := newClock()
	l := New(&Config{Rate: 0.25, Burst: 2, Now: clk.now})
	r := gin.New()
	r.Use(l.Middleware(func(c *gin.Context) string { return c.GetHeader("X-Test-Principal") }))
	handled := 0
	r.GET("/v1/visits", func(c *gin.Context) { handled++; c.Status(http.StatusOK) })

	call := func(principal, ip string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(http.MethodGet, "/v1/visits?patient_id=p1", nil)
		req.RemoteAddr = ip + ":5555"
		if principal != "" {
			req.Header.Set("X-Test-Principal", principal)
		}
		w := httptest.NewRecorder()
		r.ServeHTTP(w, req)
		return w
	}
	tests := []struct {
		name       string
		principal  string
		ip         string
		wantStatus int
		wantRetry  string
	}{
		{name: "first", principal: "key:k1", ip: "127.0.0.1", wantStatus: 200},
		{name: "second", principal: "key:k1", ip: "127.0.0.1", wantStatus: 200},
		{name: "third is over", principal: "key:k1", ip: "127.0.0.1", wantStatus: 429, wantRetry: "4"},
		{name: "same key from another address is still over", principal: "key:k1", ip: "10.1.1.1", wantStatus: 429, wantRetry: "4"},
		{name: "another principal", principal: "alice", ip: "127.0.0.1", wantStatus: 200},
		{name: "anonymous by address 1", ip: "10.9.9.9", wantStatus: 200},
		{name: "anonymous by address 2", ip: "10.9.9.9", wantStatus: 200},
		{name: "anonymous by address 3", ip: "10.9.9.9", wantStatus: 429, wantRetry: "4"},
		{name: "anonymous elsewhere", ip: "10.9.9.8", wantStatus: 200},
	}
	for _, tt := range tests {
		w := call(tt.principal, tt.ip)
		assert.Equal(t, tt.wantStatus, w.Code, tt.name)
		assert.Equal(t, tt.wantRetry, w.Header().Get("Retry-After"), tt.name)
		if tt.wantStatus == 429 {
			assert.Equal(t, problem.ContentType, w.Header().Get("Content-Type"), tt.name)
			var p problem.Details
			require.NoError(t, json.Unmarshal(w.Body.Bytes(), &p), tt.name)
			assert.Equal(t, 429, p.Status)
			assert.Equal(t, "/v1/visits", p.Instance, "no query string in the problem")
			assert.Contains(t, p.Detail, "rate limit exceeded")
		}
	}
	assert.Equal(t, 6, handled, "refused requests never reach the handler")

	clk.add(4 * time.Second)
	assert.Equal(t, 200, call("key:k1", "127.0.0.1").Code, "one token back after Retry-After")
}

func TestConfig(t *testing.T) {
	assert.NoError(t, Validate(&Config{}))
	assert.ErrorContains(t, Validate(&Config{Rate: -1}), "Rate")
	assert.ErrorContains(t, Validate(&Config{Burst: -1}), "Burst")
	assert.Panics(t, func() { New(&Config{MaxKeys: -5}) })
	l := New(nil)
	assert.Equal(t, 50.0, l.rate)
	assert.Equal(t, 100.0, l.burst)
	assert.Equal(t, 2*time.Second, l.idle)
}
