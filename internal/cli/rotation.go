package cli

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/keygate/keygate/internal/i18n"
	"github.com/keygate/keygate/internal/incident"
	"github.com/keygate/keygate/internal/wire"
)

func keysRotationCmd(af *adminFlags) *cobra.Command {
	var watch bool
	var every time.Duration
	cmd := &cobra.Command{
		Use:   "rotation KEY_ID",
		Short: "Which clients still use the old key of a rotation: a live checklist with --watch",
		Long: `Show the rotation of KEY_ID (the old key or its replacement): every client seen with
the old key (address, user agent, X-Client-Name), whether it has moved to the new key,
and each call refused after the grace deadline.

With --watch the checklist is redrawn whenever it changes, until every known client
has migrated (exit 0) or you stop it.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			path := "/admin/v1/keys/" + url.PathEscape(args[0]) + "/rotation"
			if !watch {
				return af.call(cmd, "GET", path, nil, nil, func(w io.Writer, raw json.RawMessage) error {
					return printRotation(w, raw, time.Now())
				})
			}
			c, err := newAdminClient(af.addr)
			if err != nil {
				return err
			}
			var last []byte
			t := time.NewTicker(max(every, time.Second))
			defer t.Stop()
			for {
				var raw json.RawMessage
				if _, err := c.do(cmd.Context(), "GET", path, nil, &raw, nil); err != nil {
					return err
				}
				var rep wire.RotationReport
				if err := json.Unmarshal(raw, &rep); err != nil {
					return err
				}
				var buf bytes.Buffer
				if af.json {
					_ = writeJSONOut(&buf, raw)
				} else {
					writeRotation(&buf, rep, time.Now())
				}
				if !bytes.Equal(stripAgo(buf.Bytes()), stripAgo(last)) {
					fmt.Fprintf(cmd.OutOrStdout(), "── %s ──\n%s", time.Now().Format("15:04:05"), buf.Bytes())
					last = buf.Bytes()
				}
				if rep.AllMigrated {
					fmt.Fprintf(cmd.OutOrStdout(), "\n%s\n", i18n.M("cli.rotation.all_done", i18n.N("n", len(rep.Clients)),
						i18n.S("new", rep.NewKeyID), i18n.S("old", rep.OldKeyID)).Render(cliLang()))
					return nil
				}
				select {
				case <-cmd.Context().Done():
					return nil
				case <-t.C:
				}
			}
		},
	}
	cmd.Flags().BoolVar(&watch, "watch", false, "redraw the checklist as clients move, until all have migrated")
	cmd.Flags().DurationVar(&every, "interval", 5*time.Second, "how often --watch asks the gateway")
	return cmd
}

// stripAgo drops the "last call N min ago" parts so a redraw happens on
// real change only.
func stripAgo(b []byte) []byte {
	marks := [][]byte{}
	for _, l := range i18n.Langs {
		if m, ok := i18n.Lookup("cli.rotation.last_call", l); ok {
			if i := strings.IndexByte(m, '{'); i > 0 {
				marks = append(marks, []byte(m[:i]))
			}
		}
	}
	var out []byte
	for _, l := range bytes.Split(b, []byte("\n")) {
		for _, m := range marks {
			if i := bytes.Index(l, m); i >= 0 {
				l = l[:i]
			}
		}
		out = append(append(out, l...), '\n')
	}
	return out
}

func printRotation(w io.Writer, raw json.RawMessage, now time.Time) error {
	var rep wire.RotationReport
	if err := json.Unmarshal(raw, &rep); err != nil {
		return err
	}
	writeRotation(w, rep, now)
	return nil
}

// writeRotation prints the rotation as a checklist, with its summary and
// next step in the reader's language (built from the report's fields, not
// from the server's English summary).
func writeRotation(w io.Writer, r wire.RotationReport, now time.Time) {
	l := cliLang()
	fmt.Fprintln(w, i18n.M("cli.rotation.title", i18n.S("old", r.OldKeyID), i18n.S("old_display", r.OldKeyDisplay),
		i18n.S("new", r.NewKeyID), i18n.S("new_display", r.NewKeyDisplay)).Render(l))
	switch {
	case r.OldKeyState == "disabled":
		fmt.Fprintln(w, "  "+i18n.M("cli.rotation.old_disabled").Render(l))
	case r.GraceDeadline != nil && r.GraceOver:
		fmt.Fprintln(w, "  "+i18n.M("cli.rotation.grace_ended", i18n.S("when", fmtTime(r.GraceDeadline)), i18n.S("ago", since(now, *r.GraceDeadline))).Render(l))
	case r.GraceDeadline != nil:
		fmt.Fprintln(w, "  "+i18n.M("cli.rotation.grace_left", i18n.S("when", fmtTime(r.GraceDeadline)),
			i18n.S("left", r.GraceDeadline.Sub(now).Round(time.Minute).String())).Render(l))
	}
	fmt.Fprintf(w, "  %s\n\n", i18n.M("cli.rotation.migrated", i18n.N("migrated", r.Migrated), i18n.N("total", len(r.Clients))).Render(l))
	for _, c := range r.Clients {
		box := "[ ]"
		if c.Migrated {
			box = "[x]"
		}
		fmt.Fprintf(w, "  %s %s\n", box, incident.ClientLabel(c.IP, c.UserAgent, c.Client))
		old := i18n.M("cli.rotation.old_calls", i18n.N("n", int(c.CallsOld))).Render(l)
		if c.LastSeenOld != nil {
			old += i18n.M("cli.rotation.last_call", i18n.S("ago", since(now, *c.LastSeenOld))).Render(l)
		}
		if c.CallsNew > 0 {
			old = i18n.M("cli.rotation.new_calls", i18n.N("n", int(c.CallsNew))).Render(l) + old
		}
		fmt.Fprintf(w, "      %s\n", old)
		if c.StillUsesOld {
			fmt.Fprintln(w, "      "+i18n.M("cli.rotation.still_old").Render(l))
		}
		for i, rc := range c.RefusedCalls {
			if i == 5 {
				fmt.Fprintln(w, "      "+i18n.M("cli.rotation.more_refused", i18n.N("n", len(c.RefusedCalls)-5)).Render(l))
				break
			}
			fmt.Fprintln(w, "      "+i18n.M("cli.rotation.refused", i18n.S("when", rc.Time.UTC().Format(time.RFC3339)),
				i18n.S("code", rc.Code), i18n.S("request_id", rc.RequestID)).Render(l))
		}
	}
	if len(r.Clients) > 0 {
		fmt.Fprintln(w)
	}
	fmt.Fprintln(w, rotationSummary(r, now).Render(l))
	fmt.Fprintln(w, i18n.M("cli.rotation.next", i18n.Sub("next", rotationNext(r))).Render(l))
}

// rotationSummary says how far the migration is: who still uses the old
// key, at most five of them by name.
func rotationSummary(r wire.RotationReport, now time.Time) i18n.Message {
	if len(r.Clients) == 0 {
		return i18n.M("cli.rotation.none", i18n.S("display", r.OldKeyDisplay), i18n.S("since", r.Since.UTC().Format(time.RFC3339)))
	}
	var still []i18n.Arg
	for _, c := range r.Clients {
		if c.Migrated {
			continue
		}
		if len(still) == 5 {
			still = append(still, i18n.Sub("", i18n.M("cli.rotation.and_more", i18n.N("n", len(r.Clients)-r.Migrated-5))))
			break
		}
		label := incident.ClientLabel(c.IP, c.UserAgent, c.Client)
		if c.LastSeenOld != nil {
			still = append(still, i18n.Sub("", i18n.M("cli.rotation.client_last_call", i18n.S("client", label), i18n.S("ago", since(now, *c.LastSeenOld)))))
		} else {
			still = append(still, i18n.S("", label))
		}
	}
	var tail i18n.Message
	if len(still) > 0 {
		tail = i18n.M("cli.rotation.still_on_old", i18n.List("clients", "cred.list.sep", still...))
	}
	return i18n.M("cli.rotation.summary", i18n.N("migrated", r.Migrated), i18n.N("total", len(r.Clients)), i18n.Sub("still", tail))
}

// rotationNext is the one thing to do next, as the CLI spells it.
func rotationNext(r wire.RotationReport) i18n.Message {
	deadline := fmtTime(r.GraceDeadline)
	switch {
	case r.OldKeyState == "disabled":
		return i18n.M("cli.rotation.next.disabled", i18n.S("new", r.NewKeyID))
	case r.GraceOver && r.Remaining > 0:
		return i18n.M("cli.rotation.next.over_remaining", i18n.N("n", r.Remaining), i18n.S("new", r.NewKeyID), i18n.S("old", r.OldKeyID))
	case r.GraceOver:
		return i18n.M("cli.rotation.next.over")
	case r.AllMigrated || len(r.Clients) == 0:
		return i18n.M("cli.rotation.next.all_migrated", i18n.S("old", r.OldKeyID), i18n.S("deadline", deadline))
	}
	return i18n.M("cli.rotation.next.waiting", i18n.S("new", r.NewKeyID), i18n.S("old", r.OldKeyID), i18n.S("deadline", deadline))
}

// since says how long ago t was, for people.
func since(now, t time.Time) string {
	l := cliLang()
	d := now.Sub(t)
	switch {
	case d < 0:
		return i18n.M("cli.ago.future", i18n.S("d", (-d).Round(time.Minute).String())).Render(l)
	case d < time.Minute:
		return i18n.M("cli.ago.now").Render(l)
	case d < time.Hour:
		return i18n.M("cli.ago.minutes", i18n.N("n", int(d.Minutes()))).Render(l)
	case d < 48*time.Hour:
		return i18n.M("cli.ago.hours", i18n.S("n", strconv.FormatFloat(d.Hours(), 'f', 0, 64))).Render(l)
	}
	return i18n.M("cli.ago.days", i18n.S("n", strconv.FormatFloat(d.Hours()/24, 'f', 0, 64))).Render(l)
}

func keysGraceCmd(af *adminFlags) *cobra.Command {
	var forDur, until string
	var force bool
	cmd := &cobra.Command{
		Use:   "grace KEY_ID (--for DURATION | --until TIME)",
		Short: "Extend or shorten the grace window of a rotated key",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			body := map[string]any{"force": force}
			switch {
			case (forDur == "") == (until == ""):
				return errors.New(i18n.M("cli.rotation.grace_flags").Render(cliLang()))
			case forDur != "":
				d, err := parseDays(forDur)
				if err != nil || d < 0 {
					return errors.New(i18n.M("cli.rotation.bad_for", i18n.Q("value", forDur)).Render(cliLang()))
				}
				body["grace_seconds"] = int64(d / time.Second)
			default:
				t, err := parseWhen(until, 1)
				if err != nil {
					return fmt.Errorf("--until: %w", err)
				}
				body["grace_until"] = t
			}
			return af.call(cmd, "PATCH", "/admin/v1/keys/"+url.PathEscape(args[0])+"/rotation", body, nil,
				func(w io.Writer, raw json.RawMessage) error { return printRotation(w, raw, time.Now()) })
		},
	}
	cmd.Flags().StringVar(&forDur, "for", "", "new deadline counted from now (90m, 24h, 2d; 0 ends the window now)")
	cmd.Flags().StringVar(&until, "until", "", "new deadline: RFC 3339 time or a duration from now")
	cmd.Flags().BoolVar(&force, "force", false, "end the window although known clients still use the old key")
	return cmd
}

func keysRetireCmd(af *adminFlags) *cobra.Command {
	var force bool
	cmd := &cobra.Command{
		Use:   "retire KEY_ID",
		Short: "End a rotated key's grace window now (refused unless every known client migrated, or --force)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return af.call(cmd, "POST", "/admin/v1/keys/"+url.PathEscape(args[0])+"/retire", map[string]any{"force": force}, nil,
				func(w io.Writer, raw json.RawMessage) error {
					fmt.Fprintln(w, i18n.M("cli.rotation.retired").Render(cliLang()))
					return printRotation(w, raw, time.Now())
				})
		},
	}
	cmd.Flags().BoolVar(&force, "force", false, "retire although known clients still use the old key")
	return cmd
}
