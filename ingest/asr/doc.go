// Package asr owns speech recognition: audio in, visit.Transcript turns out.
//
// Audio is decoded from WAV directly (DecodeWAV) or converted from other containers with
// ffmpeg or sox when one is installed (Load). Two engines implement Transcriber: an
// OpenAI-compatible /v1/audio/transcriptions endpoint (any server speaking that API), and
// offline CMU pocketsphinx through cgo, compiled in only with `-tags pocketsphinx` (Debian:
// libpocketsphinx-dev and pocketsphinx-en-us). A stereo recording with one speaker per
// channel is transcribed per channel and keeps each channel's role; otherwise roles are
// inferred from what is said (transcript.InferRoles).
package asr
