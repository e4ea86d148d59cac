//go:build pocketsphinx

package asr

/*
#cgo pkg-config: pocketsphinx
#include <stdlib.h>
#include <pocketsphinx.h>

// ms_init builds a decoder from explicit model paths. cmd_ln_init is variadic, which cgo
// cannot call, so the arguments go through cmd_ln_parse_r.
static ps_decoder_t *ms_init(const char *hmm, const char *lm, const char *dict) {
	char *argv[] = {"-hmm", (char *)hmm, "-lm", (char *)lm, "-dict", (char *)dict, "-logfn", "/dev/null"};
	cmd_ln_t *cfg = cmd_ln_parse_r(NULL, ps_args(), 8, argv, FALSE);
	if (cfg == NULL) return NULL;
	ps_decoder_t *ps = ps_init(cfg);
	cmd_ln_free_r(cfg);
	return ps;
}

// ms_decode recognises one whole utterance; the result is owned by the decoder.
static const char *ms_decode(ps_decoder_t *ps, const int16 *buf, size_t n) {
	int32 score;
	if (ps_start_utt(ps) < 0) return NULL;
	if (ps_process_raw(ps, buf, n, FALSE, TRUE) < 0) { ps_end_utt(ps); return NULL; }
	if (ps_end_utt(ps) < 0) return NULL;
	return ps_get_hyp(ps, &score);
}
*/
import "C"

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"unsafe"
)

// SphinxBuiltIn reports whether this binary has the offline pocketsphinx engine.
const SphinxBuiltIn = true

// sphinxEngine decodes with CMU pocketsphinx. A decoder is not safe for concurrent use, so
// calls are serialised.
type sphinxEngine struct {
	mu sync.Mutex
	ps *C.ps_decoder_t
}

func newSphinx(c Config) (channelEngine, error) {
	hmm := filepath.Join(c.SphinxModelDir, "en-us")
	lm := filepath.Join(c.SphinxModelDir, "en-us.lm.bin")
	dict := filepath.Join(c.SphinxModelDir, "cmudict-en-us.dict")
	for _, p := range []string{hmm, lm, dict} {
		if _, err := os.Stat(p); err != nil {
			return nil, fmt.Errorf("%w: pocketsphinx model file %s missing (apt-get install pocketsphinx-en-us): %v", ErrEngineMissing, p, err)
		}
	}
	ch, cl, cd := C.CString(hmm), C.CString(lm), C.CString(dict)
	defer C.free(unsafe.Pointer(ch))
	defer C.free(unsafe.Pointer(cl))
	defer C.free(unsafe.Pointer(cd))
	ps := C.ms_init(ch, cl, cd)
	if ps == nil {
		return nil, fmt.Errorf("%w: pocketsphinx failed to load the model from %s", ErrEngineMissing, c.SphinxModelDir)
	}
	e := &sphinxEngine{ps: ps}
	runtime.SetFinalizer(e, func(e *sphinxEngine) { C.ps_free(e.ps) })
	return e, nil
}

// transcribeChannel resamples to the model's 16 kHz, cuts the channel into utterances at
// silences, and decodes each one.
func (e *sphinxEngine) transcribeChannel(ctx context.Context, samples []float32, rate int) ([]segment, error) {
	x := Resample(samples, rate, 16000)
	pcm := PCM16(x)
	var segs []segment
	for _, sp := range SpeechSpans(x, 16000) {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		text, err := e.decode(pcm[sp.Start:sp.End])
		if err != nil {
			return nil, err
		}
		segs = append(segs, segment{startMS: int64(sp.Start) / 16, endMS: int64(sp.End) / 16, text: text})
	}
	return segs, nil
}

func (e *sphinxEngine) decode(pcm []int16) (string, error) {
	if len(pcm) == 0 {
		return "", nil
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	hyp := C.ms_decode(e.ps, (*C.int16)(unsafe.Pointer(&pcm[0])), C.size_t(len(pcm)))
	runtime.KeepAlive(pcm)
	if hyp == nil {
		return "", nil
	}
	return C.GoString(hyp), nil
}
