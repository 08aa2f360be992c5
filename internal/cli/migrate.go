package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/keygate/keygate/internal/config"
	"github.com/keygate/keygate/internal/store/sqlstore"
)

func newMigrateCmd() *cobra.Command {
	var database string
	cmd := &cobra.Command{
		Use:   "migrate",
		Short: "Apply the embedded database migrations and exit (serve also applies them at start)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
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
			fmt.Fprintln(cmd.OutOrStdout(), "migrations applied")
			return nil
		},
	}
	cmd.Flags().StringVar(&database, "database", "", "database URL (KEYGATE_DATABASE)")
	return cmd
}
