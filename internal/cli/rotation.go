package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"time"

	"github.com/spf13/cobra"

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
					fmt.Fprintf(cmd.OutOrStdout(), "\nAll %d known clients use %s. Retire the old key now: keygate keys retire %s\n",
						len(rep.Clients), rep.NewKeyID, rep.OldKeyID)
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

// stripAgo drops the "N min ago" parts so a redraw happens on real change
// only.
func stripAgo(b []byte) []byte {
	var out []byte
	for _, l := range bytes.Split(b, []byte("\n")) {
		if i := bytes.Index(l, []byte("last call")); i >= 0 {
			l = l[:i]
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

// writeRotation prints the rotation as a checklist.
func writeRotation(w io.Writer, r wire.RotationReport, now time.Time) {
	fmt.Fprintf(w, "Rotation %s (%s) → %s (%s)\n", r.OldKeyID, r.OldKeyDisplay, r.NewKeyID, r.NewKeyDisplay)
	switch {
	case r.OldKeyState == "disabled":
		fmt.Fprintln(w, "  the old key is disabled: every call with it is refused")
	case r.GraceDeadline != nil && r.GraceOver:
		fmt.Fprintf(w, "  grace window ended %s (%s)\n", fmtTime(r.GraceDeadline), since(now, *r.GraceDeadline))
	case r.GraceDeadline != nil:
		fmt.Fprintf(w, "  old key accepted until %s (%s left)\n", fmtTime(r.GraceDeadline), r.GraceDeadline.Sub(now).Round(time.Minute))
	}
	fmt.Fprintf(w, "  %d of %d clients migrated\n\n", r.Migrated, len(r.Clients))
	for _, c := range r.Clients {
		box := "[ ]"
		if c.Migrated {
			box = "[x]"
		}
		fmt.Fprintf(w, "  %s %s\n", box, incident.ClientLabel(c.IP, c.UserAgent, c.Client))
		old := fmt.Sprintf("old key: %d calls", c.CallsOld)
		if c.LastSeenOld != nil {
			old += ", last call " + since(now, *c.LastSeenOld)
		}
		if c.CallsNew > 0 {
			old = fmt.Sprintf("new key: %d calls · ", c.CallsNew) + old
		}
		fmt.Fprintf(w, "      %s\n", old)
		if c.StillUsesOld {
			fmt.Fprintln(w, "      ! used the old key again after switching: another process on this host still has it")
		}
		for i, rc := range c.RefusedCalls {
			if i == 5 {
				fmt.Fprintf(w, "      … and %d more refused calls\n", len(c.RefusedCalls)-5)
				break
			}
			fmt.Fprintf(w, "      refused %s (%s) %s\n", rc.Time.UTC().Format(time.RFC3339), rc.Code, rc.RequestID)
		}
	}
	if len(r.Clients) > 0 {
		fmt.Fprintln(w)
	}
	fmt.Fprintf(w, "%s\nNext: %s\n", r.Summary, r.Next)
}

// since says how long ago t was, for people.
func since(now, t time.Time) string {
	d := now.Sub(t)
	switch {
	case d < 0:
		return "in " + (-d).Round(time.Minute).String()
	case d < time.Minute:
		return "just now"
	case d < time.Hour:
		return fmt.Sprintf("%d min ago", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%.0f h ago", d.Hours())
	}
	return fmt.Sprintf("%.0f days ago", d.Hours()/24)
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
				return fmt.Errorf("give the new deadline with --for DURATION (from now: 2h, 1d, 0 to end it) or --until TIME")
			case forDur != "":
				d, err := parseDays(forDur)
				if err != nil || d < 0 {
					return fmt.Errorf("--for %q is not a duration such as 90m, 24h or 2d", forDur)
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
					fmt.Fprintln(w, "The old key is retired: its calls are now refused with key_rotated.")
					return printRotation(w, raw, time.Now())
				})
		},
	}
	cmd.Flags().BoolVar(&force, "force", false, "retire although known clients still use the old key")
	return cmd
}
