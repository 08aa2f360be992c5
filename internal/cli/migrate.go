package cli

import (
	"errors"
	"fmt"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/keygate/keygate/internal/config"
	"github.com/keygate/keygate/internal/i18n"
	"github.com/keygate/keygate/internal/store/sqlstore"
)

func newMigrateCmd() *cobra.Command {
	var database, from, to string
	cmd := &cobra.Command{
		Use:   "migrate",
		Short: "Apply the embedded database migrations, or copy an installation to another database (--from --to)",
		Long: `Without flags, migrate applies the embedded migrations to KEYGATE_DATABASE and exits
(serve also applies them at start).

With --from and --to it copies a whole installation — keys, projects, members, groups,
channels, models, request logs, audit events, budgets spent — from one database into a
fresh one, typically a single-node SQLite file into PostgreSQL before running several
instances:

    keygate migrate --from sqlite:keygate.db --to postgres://keygate@db.internal/keygate

Keys keep working: only their digests are stored, and they are copied as they are.
Stop the gateway first; the copy is verified by counting every table on both sides, and
it refuses a target that already holds data.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			out := cmd.OutOrStdout()
			if from != "" || to != "" {
				if from == "" || to == "" {
					return errors.New("copying needs both --from and --to (e.g. --from sqlite:keygate.db --to postgres://USER@HOST/DB)")
				}
				if from == to {
					return errors.New("--from and --to name the same database")
				}
				src, err := sqlstore.Open(cmd.Context(), from)
				if err != nil {
					return fmt.Errorf("--from: %w", err)
				}
				defer src.Close()
				dst, err := sqlstore.Open(cmd.Context(), to)
				if err != nil {
					return fmt.Errorf("--to: %w", err)
				}
				defer dst.Close()
				counts, err := sqlstore.Copy(cmd.Context(), src, dst, nil)
				if len(counts) > 0 {
					tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)
					fmt.Fprintln(tw, i18n.M("cli.migrate.header").Render(cliLang()))
					for _, c := range counts {
						fmt.Fprintf(tw, "%s\t%d\t%d\t\n", c.Table, c.Source, c.Target)
					}
					tw.Flush()
				}
				if err != nil {
					return err
				}
				fmt.Fprintln(out, i18n.M("cli.migrate.copied", i18n.N("n", len(counts)), i18n.S("from", sqlstore.RedactDSN(from)), i18n.S("to", sqlstore.RedactDSN(to))).Render(cliLang()))
				return nil
			}
			cfg, err := config.Defaults().FromEnv(getenv)
			if err != nil {
				return err
			}
			if database != "" {
				cfg.Database = database
			}
			st, err := sqlstore.Open(cmd.Context(), cfg.Database)
			if err != nil {
				return err
			}
			defer st.Close()
			fmt.Fprintln(out, i18n.M("cli.migrate.applied").Render(cliLang()))
			return nil
		},
	}
	cmd.Flags().StringVar(&database, "database", "", "database URL (KEYGATE_DATABASE)")
	cmd.Flags().StringVar(&from, "from", "", "copy from this database URL (e.g. sqlite:keygate.db)")
	cmd.Flags().StringVar(&to, "to", "", "copy into this fresh database URL (e.g. postgres://USER@HOST/DB)")
	return cmd
}
