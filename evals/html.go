package evals

import (
	"fmt"
	"html/template"
	"io"
	"math"
	"path/filepath"
	"sort"
	"strings"
)

// WriteHTML writes one self-contained HTML page (inline CSS and SVG, no external assets): the
// verdict and gates, headline figures, a comparison with published baselines, per-division
// and per-encounter charts, extraction tables, and a drill-down per encounter with reference
// and generated notes side by side and the words that differ highlighted. It contains note
// text: treat the file like the dataset it was made from.
func (r *Report) WriteHTML(w io.Writer) error {
	return htmlTmpl.Execute(w, r)
}

var htmlTmpl = template.Must(template.New("report").Funcs(template.FuncMap{
	"fmtm":         formatMetric,
	"ordered":      orderedHeadline,
	"pct":          func(v float64) string { return fmt.Sprintf("%.1f", 100*v) },
	"f2":           func(v float64) string { return fmt.Sprintf("%.2f", v) },
	"baselineSVG":  baselineSVG,
	"divisionSVG":  divisionSVG,
	"encounterSVG": encounterSVG,
	"histSVG":      histSVG,
	"diff":         diffHTML,
	"short":        shortSystem,
	"deref":        func(p *float64) float64 { return *p },
	"extractionFor": func(d DatasetReport, id string) *ExtractionScore {
		if d.Extraction == nil {
			return nil
		}
		for i := range d.Extraction.Encounters {
			if d.Extraction.Encounters[i].ID == id {
				return &d.Extraction.Encounters[i]
			}
		}
		return nil
	},
	"prf":       func(c Counts) PRF { return c.PRF() },
	"itemTypes": func() []string { return ItemTypes },
	"divs":      func() []string { return Divisions },
	"div":       func(m map[string]RougeFigures, k string) RougeFigures { return m[k] },
	"cnt":       func(m map[string]Counts, k string) Counts { return m[k] },
	"label":     metricLabel,
	"lower":     LowerIsBetter,
	"sortedEnc": sortedEncounters,
	"bar": func(v float64) template.CSS {
		return template.CSS(fmt.Sprintf("width:%.1f%%", math.Max(0, math.Min(100, 100*v))))
	},
}).Parse(htmlSource))

var metricLabels = map[string]string{
	"rouge1": "ROUGE-1", "rouge2": "ROUGE-2", "rougeL": "ROUGE-L", "rougeLsum": "ROUGE-Lsum",
	"concept_f1": "Concept F1", "extraction_f1": "Extraction F1", "medication_f1": "Medication F1",
	"problem_f1": "Problem F1", "omission_rate": "Omitted gold items", "ungrounded_sentence_rate": "Ungrounded sentences",
	"ungrounded_item_rate": "Ungrounded items", "medication_status_accuracy": "Med status accuracy",
	"problem_assertion_accuracy": "Assertion accuracy", "wer": "Word error rate",
}

func metricLabel(k string) string {
	if l, ok := metricLabels[k]; ok {
		return l
	}
	return strings.ReplaceAll(k, "_", " ")
}

// orderedHeadline picks the tiles shown at the top of a dataset.
func orderedHeadline(m map[string]float64) []string {
	var out []string
	for _, k := range []string{"rouge1", "rouge2", "rougeL", "rougeLsum", "concept_f1", "extraction_f1", "medication_f1", "problem_f1", "problem_assertion_accuracy", "omission_rate", "ungrounded_sentence_rate", "wer", "alert_precision", "alert_recall", "alert_latency_p95_ms"} {
		if _, ok := m[k]; ok {
			out = append(out, k)
		}
	}
	return out
}

func sortedEncounters(n *NotesResult) []NoteScore {
	out := append([]NoteScore(nil), n.Encounters...)
	sort.SliceStable(out, func(i, j int) bool { return out[i].Rouge.Rouge1.F < out[j].Rouge.Rouge1.F })
	return out
}

const (
	colRun  = "#2563eb"
	colBase = "#94a3b8"
	colSame = "#0f766e"
)

// baselineSVG draws grouped horizontal bars: this run's ROUGE figures against each baseline.
func baselineSVG(r *Report, d DatasetReport) template.HTML {
	if d.Notes == nil {
		return ""
	}
	type row struct {
		name, split string
		v           [4]*float64
		run         bool
	}
	s := d.Notes.Summary
	rows := []row{{name: "This run — " + shortSystem(d.System), split: d.Name, v: [4]*float64{&s.Rouge1, &s.Rouge2, &s.RougeL, &s.RougeLsum}, run: true}}
	for _, b := range r.Baselines {
		rows = append(rows, row{name: b.Name, split: b.Split, v: [4]*float64{b.Rouge1, b.Rouge2, b.RougeL, b.RougeLsum}})
	}
	metrics := []string{"ROUGE-1", "ROUGE-2", "ROUGE-L", "ROUGE-Lsum"}
	const left, width, barH, gap = 390, 560, 14, 4
	groupH := len(metrics)*(barH+gap) + 18
	h := len(rows)*groupH + 30
	var b strings.Builder
	fmt.Fprintf(&b, `<svg viewBox="0 0 %d %d" width="100%%" role="img" aria-label="ROUGE against published baselines">`, left+width+70, h)
	for x := 0; x <= 70; x += 10 {
		px := left + float64(x)/70*width
		fmt.Fprintf(&b, `<line x1="%.1f" y1="10" x2="%.1f" y2="%d" stroke="#e5e7eb"/><text x="%.1f" y="%d" class="ax">%d</text>`, px, px, h-18, px, h-4, x)
	}
	for i, rw := range rows {
		y := 14 + i*groupH
		weight := "400"
		if rw.run {
			weight = "700"
		}
		fmt.Fprintf(&b, `<text x="0" y="%d" class="lbl" font-weight="%s">%s</text><text x="0" y="%d" class="sub">%s</text>`, y+14, weight, template.HTMLEscapeString(rw.name), y+30, template.HTMLEscapeString(rw.split))
		for j, v := range rw.v {
			yy := y + j*(barH+gap)
			fmt.Fprintf(&b, `<text x="%d" y="%d" class="ax" text-anchor="end">%s</text>`, left-6, yy+11, metrics[j])
			if v == nil {
				fmt.Fprintf(&b, `<text x="%d" y="%d" class="sub">not published</text>`, left+4, yy+11)
				continue
			}
			col := colBase
			if rw.run {
				col = colRun
			}
			bw := math.Min(*v, 70) / 70 * width
			fmt.Fprintf(&b, `<rect x="%d" y="%d" width="%.1f" height="%d" rx="3" fill="%s"/><text x="%.1f" y="%d" class="val">%.2f</text>`, left, yy, bw, barH, col, float64(left)+bw+4, yy+11, *v)
		}
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

// shortSystem names the system of a run briefly (a predictions file by its base name).
func shortSystem(s string) string {
	if p, ok := strings.CutPrefix(s, "predictions "); ok {
		return filepath.Base(p)
	}
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}

// divisionSVG draws ROUGE-1/2/L per note division.
func divisionSVG(n *NotesResult) template.HTML {
	if n == nil || n.Summary.Divisions == nil {
		return ""
	}
	const cw, ch, pad = 720, 240, 40
	var b strings.Builder
	fmt.Fprintf(&b, `<svg viewBox="0 0 %d %d" width="100%%" role="img" aria-label="ROUGE by note division">`, cw, ch+40)
	for y := 0; y <= 80; y += 20 {
		py := float64(ch) - float64(y)/80*float64(ch-pad) + 0
		fmt.Fprintf(&b, `<line x1="40" y1="%.1f" x2="%d" y2="%.1f" stroke="#e5e7eb"/><text x="34" y="%.1f" class="ax" text-anchor="end">%d</text>`, py, cw, py, py+4, y)
	}
	cols := []string{"#2563eb", "#7c3aed", "#0d9488"}
	names := []string{"ROUGE-1", "ROUGE-2", "ROUGE-L"}
	gw := float64(cw-60) / float64(len(Divisions))
	for i, dv := range Divisions {
		f := n.Summary.Divisions[dv]
		vals := []float64{f.Rouge1, f.Rouge2, f.RougeL}
		x0 := 50 + float64(i)*gw
		for j, v := range vals {
			bh := math.Min(v, 80) / 80 * float64(ch-pad)
			x := x0 + float64(j)*(gw-30)/3
			fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" rx="2" fill="%s"><title>%s %s %.2f</title></rect><text x="%.1f" y="%.1f" class="val" text-anchor="middle">%.1f</text>`,
				x, float64(ch)-bh, (gw-30)/3-4, bh, cols[j], dv, names[j], v, x+((gw-30)/3-4)/2, float64(ch)-bh-3, v)
		}
		fmt.Fprintf(&b, `<text x="%.1f" y="%d" class="lbl" text-anchor="middle">%s</text>`, x0+(gw-30)/2, ch+18, strings.ReplaceAll(dv, "_", " "))
	}
	for j, nm := range names {
		fmt.Fprintf(&b, `<rect x="%d" y="%d" width="10" height="10" fill="%s"/><text x="%d" y="%d" class="ax">%s</text>`, 50+j*100, ch+28, cols[j], 64+j*100, ch+37, nm)
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

// encounterSVG draws each encounter's ROUGE-1 (bar) and ROUGE-L (tick), sorted low to high,
// with the mean as a line: weak encounters stand out on the left.
func encounterSVG(n *NotesResult) template.HTML {
	if n == nil || len(n.Encounters) == 0 {
		return ""
	}
	enc := sortedEncounters(n)
	const cw, ch = 900, 220
	bw := math.Max(2, float64(cw-60)/float64(len(enc)))
	var b strings.Builder
	fmt.Fprintf(&b, `<svg viewBox="0 0 %d %d" width="100%%" role="img" aria-label="ROUGE-1 per encounter">`, cw, ch+50)
	for y := 0; y <= 100; y += 25 {
		py := float64(ch) - float64(y)/100*float64(ch-10)
		fmt.Fprintf(&b, `<line x1="40" y1="%.1f" x2="%d" y2="%.1f" stroke="#e5e7eb"/><text x="34" y="%.1f" class="ax" text-anchor="end">%d</text>`, py, cw, py, py+4, y)
	}
	for i, e := range enc {
		v := 100 * e.Rouge.Rouge1.F
		l := 100 * e.Rouge.RougeL.F
		x := 50 + float64(i)*bw
		bh := v / 100 * float64(ch-10)
		fmt.Fprintf(&b, `<a href="#enc-%s"><rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s" rx="1"><title>%s ROUGE-1 %.2f, ROUGE-L %.2f</title></rect></a>`,
			template.HTMLEscapeString(e.ID), x, float64(ch)-bh, math.Max(1, bw-2), bh, colRun, template.HTMLEscapeString(e.ID), v, l)
		ly := float64(ch) - l/100*float64(ch-10)
		fmt.Fprintf(&b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#f59e0b" stroke-width="3"/>`, x, ly, x+math.Max(1, bw-2), ly)
		if len(enc) <= 40 {
			fmt.Fprintf(&b, `<text x="%.1f" y="%d" class="ax" transform="rotate(60 %.1f %d)">%s</text>`, x+2, ch+8, x+2, ch+8, template.HTMLEscapeString(e.ID))
		}
	}
	m := n.Summary.Rouge1
	my := float64(ch) - m/100*float64(ch-10)
	fmt.Fprintf(&b, `<line x1="40" y1="%.1f" x2="%d" y2="%.1f" stroke="#111827" stroke-dasharray="5 4"/><rect x="44" y="4" width="150" height="16" rx="3" fill="#fff" opacity=".9"/><text x="48" y="16" class="val">- - mean ROUGE-1 %.2f</text>`, my, cw, my, m)
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

// histSVG is a 10-point-bin histogram of per-encounter ROUGE-1.
func histSVG(n *NotesResult) template.HTML {
	if n == nil || len(n.Encounters) == 0 {
		return ""
	}
	var bins [10]int
	for _, e := range n.Encounters {
		k := int(10 * e.Rouge.Rouge1.F)
		bins[min(max(k, 0), 9)]++
	}
	top := 1
	for _, c := range bins {
		top = max(top, c)
	}
	const cw, ch = 420, 200
	var b strings.Builder
	fmt.Fprintf(&b, `<svg viewBox="0 0 %d %d" width="100%%" role="img" aria-label="distribution of ROUGE-1">`, cw, ch+34)
	bw := float64(cw-20) / 10
	for i, c := range bins {
		h := float64(c) / float64(top) * float64(ch-20)
		x := 10 + float64(i)*bw
		fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s" rx="2"/>`, x+1, float64(ch)-h, bw-2, h, colRun)
		if c > 0 {
			fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" class="val" text-anchor="middle">%d</text>`, x+bw/2, float64(ch)-h-3, c)
		}
		fmt.Fprintf(&b, `<text x="%.1f" y="%d" class="ax" text-anchor="middle">%d–%d</text>`, x+bw/2, ch+14, i*10, i*10+10)
	}
	fmt.Fprintf(&b, `<text x="%d" y="%d" class="sub" text-anchor="middle">ROUGE-1 per encounter (count)</text></svg>`, cw/2, ch+30)
	return template.HTML(b.String())
}

// diffHTML renders both notes with words unique to each side highlighted.
func diffHTML(s NoteScore) template.HTML {
	ref, gen := WordDiff(s.Reference, s.Prediction)
	side := func(ws []DiffWord, cls string) string {
		var b strings.Builder
		for _, w := range ws {
			t := template.HTMLEscapeString(w.Text)
			if w.Op == DiffOnly {
				word := strings.TrimRight(t, " \n\t\r")
				b.WriteString(`<mark class="` + cls + `">` + word + `</mark>` + t[len(word):])
			} else {
				b.WriteString(t)
			}
		}
		return b.String()
	}
	return template.HTML(`<div class="cmp"><div><h5>Reference note <span class="key"><mark class="miss">missing from generated</mark></span></h5><pre>` +
		side(ref, "miss") + `</pre></div><div><h5>Generated note <span class="key"><mark class="add">not in reference</mark></span></h5><pre>` +
		side(gen, "add") + `</pre></div></div>`)
}

const htmlSource = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>medscribe eval — {{.Suite}}</title>
<style>
:root{--ink:#111827;--mute:#6b7280;--line:#e5e7eb;--bg:#f8fafc;--run:#2563eb;--ok:#047857;--bad:#b91c1c}
*{box-sizing:border-box}body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--ink);background:var(--bg)}
header{background:#0f172a;color:#fff;padding:28px 40px}header h1{margin:0;font-size:26px;font-weight:650}
header .meta{color:#cbd5e1;margin-top:6px}.verdict{display:inline-block;padding:4px 14px;border-radius:999px;font-weight:700;margin-left:14px;font-size:15px;vertical-align:middle}
.pass{background:#d1fae5;color:var(--ok)}.nogate{background:#e5e7eb;color:#374151}.fail{background:#fee2e2;color:var(--bad)}
main{padding:24px 40px;max-width:1400px}section{background:#fff;border:1px solid var(--line);border-radius:12px;padding:20px 24px;margin:0 0 22px}
h2{font-size:19px;margin:0 0 4px}h3{font-size:15px;margin:18px 0 8px}.note{color:var(--mute);margin:0 0 14px}
.tiles{display:grid;grid-template-columns:repeat(auto-fill,minmax(170px,1fr));gap:12px;margin:14px 0}
.tile{border:1px solid var(--line);border-radius:10px;padding:12px 14px}.tile .v{font-size:26px;font-weight:700;color:var(--run)}.tile .k{color:var(--mute);font-size:12px;text-transform:uppercase;letter-spacing:.04em}
.tile.lowgood .v{color:#7c2d12}
.gates{display:grid;grid-template-columns:repeat(auto-fill,minmax(250px,1fr));gap:10px}
.gate{border-radius:10px;padding:10px 14px;border:1px solid}.gate.ok{border-color:#a7f3d0;background:#ecfdf5}.gate.no{border-color:#fecaca;background:#fef2f2}
.gate code{font-size:13px;font-weight:600}.gate .gv{font-size:12px;color:var(--mute)}
.narrow{max-width:760px}.grid2{display:grid;grid-template-columns:2fr 1fr;gap:20px}
table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:6px 10px;border-bottom:1px solid var(--line)}th{font-size:12px;color:var(--mute);text-transform:uppercase;letter-spacing:.03em}
td.n{text-align:right;font-variant-numeric:tabular-nums}.meter{background:#eef2ff;border-radius:4px;height:8px;width:120px;display:inline-block;vertical-align:middle;margin-left:8px}.meter i{display:block;height:8px;border-radius:4px;background:var(--run)}
svg .ax{font-size:11px;fill:#6b7280}svg .lbl{font-size:12px;fill:#111827}svg .sub{font-size:11px;fill:#9ca3af}svg .val{font-size:11px;fill:#374151}
details{border:1px solid var(--line);border-radius:10px;margin:8px 0;background:#fff}summary{cursor:pointer;padding:10px 14px;display:flex;gap:18px;align-items:center}
summary b{min-width:90px}summary .s{color:var(--mute);font-variant-numeric:tabular-nums}
.cmp{display:grid;grid-template-columns:1fr 1fr;gap:14px;padding:0 14px 14px}.cmp pre{white-space:pre-wrap;font:13px/1.5 ui-monospace,SFMono-Regular,Menlo,monospace;background:#f9fafb;border:1px solid var(--line);border-radius:8px;padding:12px;max-height:520px;overflow:auto;margin:0}
.cmp h5{margin:8px 0;font-size:13px}.key{font-weight:400;margin-left:8px}mark.miss{background:#fde68a;color:inherit;border-radius:2px}mark.add{background:#bfdbfe;color:inherit;border-radius:2px}
.items{padding:0 14px 12px;color:#374151}.items span{display:inline-block;margin:2px 4px 2px 0;padding:1px 8px;border-radius:999px;font-size:12px}.items .m{background:#fee2e2}.items .sp{background:#e0e7ff}
footer{color:var(--mute);padding:0 40px 30px}
</style></head><body>
<header><h1>medscribe quality report — {{.Suite}}{{if not .Gates}}<span class="verdict nogate">NO GATES SET</span>{{else}}<span class="verdict {{if .Passed}}pass{{else}}fail{{end}}">{{if .Passed}}ALL GATES PASS{{else}}GATE BREACHED{{end}}</span>{{end}}</h1>
<div class="meta">{{.CreatedAt.Format "2 Jan 2006 15:04 MST"}} · {{len .Datasets}} dataset(s) · ROUGE = rouge-score 0.1.2, no stemming, mean per-encounter F1 × 100 (reproduces the MEDIQA-Chat 2023 / ACI-BENCH scripts)</div></header>
<main>
{{if .Gates}}<section><h2>Regression gates</h2><p class="note">A change that breaches a gate cannot land.</p><div class="gates">
{{range .Gates}}<div class="gate {{if .Passed}}ok{{else}}no{{end}}"><code>{{.Expr}}</code><div class="gv">{{if .Value}}{{.Checked}}: <b>{{fmtm .Metric (deref .Value)}}</b>{{else}}{{.Problem}}{{end}} · {{if .Passed}}pass{{else}}<b>breached</b>{{end}}</div></div>{{end}}
</div></section>{{end}}
{{range $d := .Datasets}}
<section><h2>{{$d.Name}} <span class="note">· {{$d.Kind}} · {{$d.N}} encounters{{if $d.Limited}} (limited subset){{end}} · {{short $d.System}}</span></h2>
<div class="tiles">{{range ordered $d.Metrics}}<div class="tile{{if lower .}} lowgood{{end}}"><div class="k">{{label .}}</div><div class="v">{{fmtm . (index $d.Metrics .)}}</div></div>{{end}}</div>
{{if $d.Notes}}
<h3>Against published systems</h3><p class="note">Blue: this run on {{$d.Name}}. Grey: published figures; the split is named under each — only same-split figures compare directly.</p>
{{baselineSVG $ $d}}
<div class="grid2"><div><h3>ROUGE-1 per encounter <span class="note">(sorted; orange tick = ROUGE-L; click a bar for the drill-down)</span></h3>{{encounterSVG $d.Notes}}</div>
<div><h3>Distribution</h3>{{histSVG $d.Notes}}</div></div>
{{if $d.Notes.Summary.Subsets}}<h3>By source subset</h3><table class="narrow"><tr><th>subset</th><th>ROUGE-1</th><th>ROUGE-2</th><th>ROUGE-L</th><th>ROUGE-Lsum</th></tr>
{{range $k, $v := $d.Notes.Summary.Subsets}}<tr><td>{{$k}}</td><td class="n">{{f2 $v.Rouge1}}</td><td class="n">{{f2 $v.Rouge2}}</td><td class="n">{{f2 $v.RougeL}}</td><td class="n">{{f2 $v.RougeLsum}}</td></tr>{{end}}</table>{{end}}
{{if $d.Notes.Summary.Divisions}}<h3>By note division <span class="note">(ACI-BENCH section tagger; benchmark-compatible scoring, including its handling of missing divisions)</span></h3><div class="narrow">{{divisionSVG $d.Notes}}</div>{{end}}
{{end}}
{{if $d.Extraction}}<h3>Extraction against gold</h3>
<table><tr><th>item type</th><th>TP</th><th>FP</th><th>FN</th><th>precision</th><th>recall</th><th>F1</th></tr>
{{range itemTypes}}{{$c := cnt $d.Extraction.Summary.Counts .}}{{$p := prf $c}}<tr><td>{{.}}</td><td class="n">{{$c.TP}}</td><td class="n">{{$c.FP}}</td><td class="n">{{$c.FN}}</td><td class="n">{{pct $p.Precision}}%</td><td class="n">{{pct $p.Recall}}%</td><td class="n">{{pct $p.F}}% <span class="meter"><i style="{{bar $p.F}}"></i></span></td></tr>{{end}}
</table>{{end}}
{{if $d.WERByEncounter}}<h3>Word error rate per encounter <span class="note">(normalizer: lowercase, tags and speaker labels removed, punctuation dropped, fillers removed)</span></h3>
<table><tr><th>encounter</th><th>reference words</th><th>substitutions</th><th>deletions</th><th>insertions</th><th>WER</th></tr>
{{range $d.WERByEncounter}}<tr><td>{{.ID}}</td><td class="n">{{.Ref}}</td><td class="n">{{.Substitutions}}</td><td class="n">{{.Deletions}}</td><td class="n">{{.Insertions}}</td><td class="n">{{pct .WER}}%</td></tr>{{end}}</table>{{end}}
{{if $d.Grounding}}<p class="note">Grounding: {{$d.Grounding.UngroundedSentences}} of {{$d.Grounding.Sentences}} note sentences and {{$d.Grounding.UngroundedItems}} of {{$d.Grounding.Items}} items lack valid evidence; {{$d.Grounding.InvalidEvidence}} evidence spans do not match the transcript.</p>{{end}}
{{if $d.Omissions}}<p class="note">Omissions: {{$d.Omissions.Omitted}} of {{$d.Omissions.GoldItems}} gold medications, problems and orders are not mentioned in the note.</p>{{end}}
{{if and $d.Extraction (not $d.Notes)}}<h3>Per-encounter extraction</h3>
{{range $d.Extraction.Encounters}}<details><summary><b>{{.ID}}</b><span class="s">{{len .Missed}} missed · {{len .Spurious}} extra</span></summary>
<div class="items">{{range .Missed}}<span class="m">missed {{.Type}}: {{.Name}}</span>{{end}}{{range .Spurious}}<span class="sp">extra {{.Type}}: {{.Name}}</span>{{end}}</div></details>{{end}}{{end}}
{{if $d.Notes}}<h3>Per-encounter drill-down <span class="note">(worst ROUGE-1 first)</span></h3>
{{range sortedEnc $d.Notes}}<details id="enc-{{.ID}}"><summary><b>{{.ID}}</b><span class="s">R-1 {{pct .Rouge.Rouge1.F}} · R-2 {{pct .Rouge.Rouge2.F}} · R-L {{pct .Rouge.RougeL.F}} · R-Lsum {{pct .Rouge.RougeLsum.F}}{{if .Concepts}} · concept F1 {{pct .Concepts.F}}{{end}}</span></summary>
{{with extractionFor $d .ID}}<div class="items">{{range .Missed}}<span class="m">missed {{.Type}}: {{.Name}}</span>{{end}}{{range .Spurious}}<span class="sp">extra {{.Type}}: {{.Name}}</span>{{end}}</div>{{end}}
{{if .Reference}}{{diff .}}{{else}}<p class="items">Note text is not kept in JSON reports; re-run to see it.</p>{{end}}</details>{{end}}
{{end}}
</section>{{end}}
{{if .Notes}}<section><h2>Notes</h2><ul>{{range .Notes}}<li>{{.}}</li>{{end}}</ul></section>{{end}}
</main><footer>Baselines: {{range $i, $b := .Baselines}}{{if $i}}; {{end}}{{$b.Name}} — {{$b.Source}}{{end}}.</footer>
</body></html>`
