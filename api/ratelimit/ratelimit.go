package ratelimit

import (
	"container/list"
	"errors"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/medscribe/medscribe/api/problem"
)

// Config configures a Limiter. The zero value is usable.
type Config struct {
	// Rate is the sustained requests per second each key may make. Default 50.
	Rate float64
	// Burst is how many requests a key may make at once after being idle. Default 100.
	Burst int
	// MaxKeys bounds the keys remembered. When full, the least recently seen key is
	// forgotten (it starts again with a full bucket). Default 100000 (about 10 MB).
	MaxKeys int
	// Now is the clock. Default time.Now.
	Now func() time.Time
}

func (c *Config) validate() error {
	var errs []error
	if c.Rate < 0 || math.IsNaN(c.Rate) || math.IsInf(c.Rate, 0) {
		errs = append(errs, errors.New("Rate must be a positive number"))
	}
	if c.Burst < 0 {
		errs = append(errs, errors.New("Burst must be positive"))
	}
	if c.MaxKeys < 0 {
		errs = append(errs, errors.New("MaxKeys must be positive"))
	}
	if len(errs) > 0 {
		return fmt.Errorf("ratelimit config: %w", errors.Join(errs...))
	}
	return nil
}

func (c *Config) withDefaults() Config {
	d := *c
	if d.Rate == 0 {
		d.Rate = 50
	}
	if d.Burst == 0 {
		d.Burst = 100
	}
	if d.MaxKeys == 0 {
		d.MaxKeys = 100000
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	return d
}

// Limiter holds one token bucket per key. It is safe for concurrent use.
type Limiter struct {
	rate  float64
	burst float64
	max   int
	now   func() time.Time
	// idle is how long a bucket takes to refill completely: a key idle that long is in the
	// same state as a key never seen, so it can be forgotten without changing any answer.
	idle time.Duration

	mu   sync.Mutex
	keys map[string]*list.Element // of *bucket
	lru  *list.List               // front = most recently seen
}

type bucket struct {
	key    string
	tokens float64
	last   time.Time
}

// New builds a limiter. A nil cfg, or zero fields, take the defaults; invalid values
// (negative, NaN) panic, as they are programming errors: use Validate to check
// configuration read from a file first.
func New(cfg *Config) *Limiter {
	if cfg == nil {
		cfg = &Config{}
	}
	if err := cfg.validate(); err != nil {
		panic(err)
	}
	c := cfg.withDefaults()
	if float64(c.Burst) < 1 {
		c.Burst = 1
	}
	return &Limiter{rate: c.Rate, burst: float64(c.Burst), max: c.MaxKeys, now: c.Now,
		idle: time.Duration(float64(c.Burst) / c.Rate * float64(time.Second)),
		keys: map[string]*list.Element{}, lru: list.New()}
}

// Validate checks cfg without building a limiter (for configuration loading).
func Validate(cfg *Config) error { return cfg.validate() }

// Allow takes one token from key's bucket. When the bucket is empty it returns false and
// how long until a token is available.
func (l *Limiter) Allow(key string) (ok bool, retryAfter time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	l.evictIdleLocked(now)
	var b *bucket
	if e, found := l.keys[key]; found {
		b = e.Value.(*bucket)
		l.lru.MoveToFront(e)
		if el := now.Sub(b.last); el > 0 {
			b.tokens = math.Min(l.burst, b.tokens+el.Seconds()*l.rate)
		}
		if now.After(b.last) {
			b.last = now
		}
	} else {
		b = &bucket{key: key, tokens: l.burst, last: now}
		l.keys[key] = l.lru.PushFront(b)
		for l.lru.Len() > l.max {
			l.removeLocked(l.lru.Back())
		}
	}
	if b.tokens >= 1 {
		b.tokens--
		return true, 0
	}
	wait := time.Duration((1 - b.tokens) / l.rate * float64(time.Second))
	return false, wait
}

// evictIdleLocked forgets keys idle long enough to have a full bucket again, oldest first.
func (l *Limiter) evictIdleLocked(now time.Time) {
	for e := l.lru.Back(); e != nil; e = l.lru.Back() {
		if now.Sub(e.Value.(*bucket).last) < l.idle {
			return
		}
		l.removeLocked(e)
	}
}

func (l *Limiter) removeLocked(e *list.Element) {
	delete(l.keys, e.Value.(*bucket).key)
	l.lru.Remove(e)
}

// Len is the number of keys remembered (for metrics and tests).
func (l *Limiter) Len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.lru.Len()
}

// Middleware limits each request by key(c). An empty key, or a nil key function, limits by
// client address as "anon:"+c.ClientIP(). Over the limit it answers 429 problem+json with
// Retry-After in whole seconds (at least 1) and stops the chain.
//
// Run it after authentication, so the key is the authenticated principal (an API key id or
// a user) and one caller cannot use up another's budget.
func (l *Limiter) Middleware(key func(*gin.Context) string) gin.HandlerFunc {
	return func(c *gin.Context) {
		k := ""
		if key != nil {
			k = key(c)
		}
		if k == "" {
			k = "anon:" + c.ClientIP()
		}
		ok, wait := l.Allow(k)
		if ok {
			c.Next()
			return
		}
		secs := int(math.Ceil(wait.Seconds()))
		if secs < 1 {
			secs = 1
		}
		c.Header("Retry-After", strconv.Itoa(secs))
		problem.Error(c.Writer, c.Request, http.StatusTooManyRequests,
			fmt.Sprintf("rate limit exceeded (%g requests/s, burst %d); retry after %d s", l.rate, int(l.burst), secs))
		c.Abort()
	}
}
