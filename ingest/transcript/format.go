package transcript

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"strings"
	"unicode/utf8"
)

// Format is an input file format.
type Format string

// Formats DetectFormat reports.
const (
	FormatText     Format = "text"
	FormatJSON     Format = "json"
	FormatVTT      Format = "vtt"
	FormatSRT      Format = "srt"
	FormatTextGrid Format = "textgrid"
	FormatAudio    Format = "audio"
	FormatUnknown  Format = "unknown"
)

var extFormats = map[string]Format{
	".txt": FormatText, ".text": FormatText, ".md": FormatText, ".dialogue": FormatText,
	".json":     FormatJSON,
	".vtt":      FormatVTT,
	".webvtt":   FormatVTT,
	".srt":      FormatSRT,
	".textgrid": FormatTextGrid,
	".wav":      FormatAudio, ".wave": FormatAudio, ".mp3": FormatAudio, ".m4a": FormatAudio,
	".mp4": FormatAudio, ".aac": FormatAudio, ".ogg": FormatAudio, ".oga": FormatAudio,
	".opus": FormatAudio, ".flac": FormatAudio, ".webm": FormatAudio,
}

// KnownExtension reports whether name's extension is one medscribe ingests, so a caller
// expanding a folder can skip READMEs and other strays.
func KnownExtension(name string) bool {
	_, ok := extFormats[strings.ToLower(filepath.Ext(name))]
	return ok
}

// DetectFormat decides a file's format. Audio magic numbers and unmistakable text
// signatures (WEBVTT, ooTextFile) win over the extension; otherwise a known extension
// decides, so a broken .json is reported as malformed JSON rather than as text without
// speakers; otherwise the content is sniffed.
func DetectFormat(name string, data []byte) Format {
	if audioMagic(data) {
		return FormatAudio
	}
	head := data
	if len(head) > 4096 {
		head = head[:4096]
	}
	head = bytes.TrimPrefix(head, utf8BOM)
	if isUTF16(head) {
		head = []byte(decodeUTF16(head))
		head = bytes.TrimPrefix(head, utf8BOM)
	}
	trimmed := bytes.TrimLeft(head, " \t\r\n")
	switch {
	case bytes.HasPrefix(trimmed, []byte("WEBVTT")):
		return FormatVTT
	case bytes.Contains(head, []byte(`"ooTextFile"`)) && bytes.Contains(head, []byte(`"TextGrid"`)):
		return FormatTextGrid
	}
	if f, ok := extFormats[strings.ToLower(filepath.Ext(name))]; ok {
		return f
	}
	switch {
	case len(trimmed) > 0 && (trimmed[0] == '{' || trimmed[0] == '[') && json.Valid(bytes.TrimPrefix(data, utf8BOM)):
		return FormatJSON
	case looksSRT(trimmed):
		return FormatSRT
	case len(trimmed) > 0 && utf8.Valid(head) && bytes.IndexByte(head, 0) < 0:
		return FormatText
	}
	return FormatUnknown
}

// IsAudio reports whether the file is audio, by magic number or, failing that, extension.
func IsAudio(name string, data []byte) bool {
	return DetectFormat(name, data) == FormatAudio
}

var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

// audioMagic recognises the containers ingest/asr can decode or convert.
func audioMagic(b []byte) bool {
	switch {
	case isUTF16(b):
		return false
	case len(b) >= 12 && string(b[0:4]) == "RIFF" && string(b[8:12]) == "WAVE":
		return true
	case len(b) >= 4 && (string(b[0:4]) == "fLaC" || string(b[0:4]) == "OggS"):
		return true
	case len(b) >= 4 && string(b[0:4]) == "\x1a\x45\xdf\xa3": // Matroska/WebM
		return true
	case len(b) >= 3 && string(b[0:3]) == "ID3":
		return true
	case len(b) >= 2 && b[0] == 0xFF && b[1]&0xE0 == 0xE0 && b[1]&0x06 != 0: // MPEG audio frame
		return true
	case len(b) >= 12 && string(b[4:8]) == "ftyp":
		return true
	}
	return false
}

// looksSRT: first non-blank line a cue number, the next a "-->" timing line.
func looksSRT(b []byte) bool {
	lines := strings.SplitN(string(b), "\n", 3)
	if len(lines) < 2 {
		return false
	}
	first := strings.TrimSpace(lines[0])
	if first == "" || strings.Trim(first, "0123456789") != "" {
		return false
	}
	return strings.Contains(lines[1], "-->")
}
