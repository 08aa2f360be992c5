package incident

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// Markdown renders r as a summary fit for a ticket or a post-incident
// review: what happened, what was found, what was done, what is left.
// Everything in r is already free of secrets; the renderer only escapes
// text so that it cannot break the document's structure.
func Markdown(r Record, now time.Time) string {
	var b strings.Builder
	title := r.Title
	if title == "" {
		title = "Incident"
	}
	fmt.Fprintf(&b, "# %s — %s\n\n", inline(title), r.ID)
	b.WriteString("| | |\n|---|---|\n")
	row := func(k, v string) {
		if v != "" {
			fmt.Fprintf(&b, "| %s | %s |\n", k, cell(v))
		}
	}
	row("State", r.State)
	row("Owner", or(r.Owner, "(nobody yet)"))
	row("Project", r.Project)
	row("Environment", strings.TrimSpace(r.Environment+" "+paren(r.Deployment)))
	row("Affected", r.Capability)
	row("Opened", stamp(r.CreatedAt)+" by "+r.OpenedBy+paren(originText(r.Origin)))
	if r.NextReview != nil {
		v := stamp(*r.NextReview)
		if r.Overdue {
			v += " — OVERDUE"
		}
		row("Next review", v)
	}
	if r.ResolvedAt != nil {
		row("Resolved", stamp(*r.ResolvedAt))
	}
	b.WriteString("\n## What happened\n\n")
	if r.Symptom != "" {
		b.WriteString(block(r.Symptom) + "\n\n")
	} else {
		b.WriteString("_No symptom recorded._\n\n")
	}
	if r.LastGood != nil && (r.LastGood.Time != nil || r.LastGood.RequestID != "") {
		b.WriteString("Last known good result: ")
		if r.LastGood.Time != nil {
			b.WriteString(stamp(*r.LastGood.Time))
		}
		if r.LastGood.RequestID != "" {
			b.WriteString(" (request `" + code(r.LastGood.RequestID) + "`)")
		}
		b.WriteString(".\n\n")
	}
	if len(r.Keys) > 0 {
		b.WriteString("## Keys\n\n| Key | Display | State | Notes |\n|---|---|---|---|\n")
		for _, k := range r.Keys {
			notes := k.StateReason
			if k.ReplacedBy != "" {
				notes = strings.TrimSpace(notes + "; replaced by " + k.ReplacedBy)
				if k.GraceUntil != nil {
					notes += ", old key accepted until " + stamp(*k.GraceUntil)
				}
			}
			fmt.Fprintf(&b, "| `%s` | `%s` | %s | %s |\n", code(k.ID), code(k.Display), cell(k.State), cell(strings.Trim(notes, "; ")))
		}
		b.WriteString("\n")
	}
	if len(r.RequestIDs) > 0 {
		b.WriteString("Requests: ")
		for i, id := range r.RequestIDs {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString("`" + code(id) + "`")
		}
		b.WriteString("\n\n")
	}
	b.WriteString("## Evidence\n\n")
	if len(r.Evidence) == 0 {
		b.WriteString("_None attached._\n\n")
	}
	for _, e := range r.Evidence {
		writeEvidence(&b, e, now)
	}
	b.WriteString("## Actions taken\n\n")
	if len(r.Actions) == 0 {
		b.WriteString("_None recorded in the audit log._\n\n")
	} else {
		for _, a := range r.Actions {
			fmt.Fprintf(&b, "- %s — **%s** on `%s` by %s%s\n", stamp(a.Time), inline(a.Action), code(a.Object), inline(a.Actor), detailText(a.Detail))
		}
		b.WriteString("\n")
	}
	if len(r.Notes) > 0 {
		b.WriteString("## Timeline\n\n")
		for _, n := range r.Notes {
			kind := ""
			if n.Kind != "" && n.Kind != "note" {
				kind = " _(" + inline(n.Kind) + ")_"
			}
			fmt.Fprintf(&b, "- %s — %s%s: %s\n", stamp(n.Time), inline(n.Author), kind, inline(n.Text))
		}
		b.WriteString("\n")
	}
	if r.Resolution != "" {
		b.WriteString("## Resolution\n\n" + block(r.Resolution) + "\n\n")
	}
	b.WriteString("## What is left\n\n")
	if len(r.Remaining) == 0 {
		b.WriteString("Nothing: the incident is resolved.\n")
	}
	for _, s := range r.Remaining {
		b.WriteString("- [ ] " + inline(s) + "\n")
	}
	return b.String()
}

func writeEvidence(b *strings.Builder, e Evidence, now time.Time) {
	switch e.Kind {
	case "impact":
		var im ImpactSummary
		if json.Unmarshal(e.Data, &im) != nil {
			break
		}
		fmt.Fprintf(b, "### Impact of `%s` (%s to %s, captured %s)\n\n", code(e.Ref), stamp(im.Since), stamp(im.Until), stamp(e.Time))
		fmt.Fprintf(b, "- %d requests, $%.4f spent; %d calls refused because of the key's state.\n", im.Requests, im.SpendUSD, im.RejectedAfterDisable)
		for i, m := range im.ByModel {
			if i == 5 {
				fmt.Fprintf(b, "- … and %d more models\n", len(im.ByModel)-5)
				break
			}
			fmt.Fprintf(b, "- model %s: %d requests, $%.4f\n", inline(or(m.Model, "(none)")), m.Requests, m.SpendUSD)
		}
		for i, ip := range im.ByIP {
			if i == 10 {
				fmt.Fprintf(b, "- … and %d more addresses\n", len(im.ByIP)-10)
				break
			}
			nw := ""
			if ip.New {
				nw = " **new**"
			}
			fmt.Fprintf(b, "- from %s%s: %d requests (%d refused), last %s\n", inline(ip.IP), nw, ip.Requests, ip.Rejected, stamp(ip.LastSeen))
		}
		for _, a := range im.Anomalies {
			fmt.Fprintf(b, "- ⚠ %s\n", inline(a.Message))
		}
		b.WriteString("\n")
		return
	case "rotation":
		var ro RotationSummary
		if json.Unmarshal(e.Data, &ro) != nil {
			break
		}
		fmt.Fprintf(b, "### Rotation `%s` → `%s` (captured %s)\n\n", code(ro.OldKeyID), code(ro.NewKeyID), stamp(e.Time))
		fmt.Fprintf(b, "%d of %d clients migrated", ro.Migrated, len(ro.Clients))
		if ro.GraceDeadline != nil {
			fmt.Fprintf(b, "; old key accepted until %s", stamp(*ro.GraceDeadline))
		}
		b.WriteString(".\n\n")
		for _, c := range ro.Clients {
			box := "[ ]"
			if c.Migrated {
				box = "[x]"
			}
			last := ""
			if c.LastOld != nil {
				last = ", last call with the old key " + stamp(*c.LastOld)
			}
			fmt.Fprintf(b, "- %s %s%s\n", box, inline(ClientLabel(c.IP, c.UserAgent, c.Client)), last)
		}
		b.WriteString("\n")
		return
	case "request":
		var rq RequestSummary
		if json.Unmarshal(e.Data, &rq) != nil {
			break
		}
		fmt.Fprintf(b, "- request `%s` at %s: status %d %s, model %s, key `%s`, from %s\n\n", code(rq.RequestID), stamp(rq.Time),
			rq.Status, inline(rq.ErrorCode), inline(or(rq.Model, "-")), code(or(rq.KeyID, "-")), inline(or(rq.SourceIP, "-")))
		return
	}
	fmt.Fprintf(b, "- %s `%s` captured %s\n\n", inline(e.Kind), code(e.Ref), stamp(e.Time))
}

// ClientLabel is how a rotation report names a client: address, user
// agent and declared name.
func ClientLabel(ip, ua, client string) string {
	s := or(ip, "(unknown address)") + " " + or(ua, "(no user agent)")
	if client != "" {
		s += " [" + client + "]"
	}
	return s
}

// detailText renders an audit event's detail as "key=value" pairs.
func detailText(raw json.RawMessage) string {
	var m map[string]any
	if len(raw) == 0 || json.Unmarshal(raw, &m) != nil || len(m) == 0 {
		return ""
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sortStrings(keys)
	var parts []string
	for _, k := range keys {
		v := fmt.Sprint(m[k])
		if s, ok := m[k].(string); ok {
			v = s
		}
		if v == "" {
			continue
		}
		parts = append(parts, k+"="+truncate(v, 120))
	}
	if len(parts) == 0 {
		return ""
	}
	return " (" + inline(strings.Join(parts, ", ")) + ")"
}

func sortStrings(s []string) {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j] < s[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
}

func originText(o string) string {
	switch o {
	case "leak-report":
		return "opened automatically by a signed secret-scanning report"
	case "key-disable":
		return "opened automatically when a key was disabled for a leak"
	}
	return ""
}

func stamp(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format("2006-01-02 15:04:05Z")
}

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func paren(s string) string {
	if s == "" {
		return ""
	}
	return " (" + s + ")"
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// inline makes free text safe on one Markdown line: no line breaks, no
// raw HTML, and Markdown punctuation escaped.
func inline(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	return mdEscaper.Replace(s)
}

// cell is inline text that also cannot end a table cell.
func cell(s string) string { return strings.ReplaceAll(inline(s), "|", `\|`) }

// block keeps paragraphs but escapes every line.
func block(s string) string {
	lines := strings.Split(strings.ReplaceAll(s, "\r\n", "\n"), "\n")
	for i, l := range lines {
		lines[i] = "> " + mdEscaper.Replace(strings.TrimRight(l, " \t"))
	}
	return strings.Join(lines, "\n")
}

// code is text inside a code span: backticks cannot close it.
func code(s string) string { return strings.ReplaceAll(strings.Join(strings.Fields(s), " "), "`", "'") }

var mdEscaper = strings.NewReplacer(`\`, `\\`, "`", "\\`", "*", `\*`, "_", `\_`, "[", `\[`, "]", `\]`, "<", "&lt;", ">", "&gt;",
	"#", `\#`)
