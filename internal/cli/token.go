package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/keygate/keygate/internal/keys"
)

func newTokenCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "token", Short: "Admin token helpers"}
	cmd.AddCommand(&cobra.Command{
		Use:   "generate",
		Short: "Print a fresh owner token (kg_pat_…) to use as KEYGATE_ADMIN_TOKEN",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			t, err := keys.Generate(keys.PrefixPAT)
			if err != nil {
				return err
			}
			fmt.Fprintln(cmd.OutOrStdout(), t)
			return nil
		},
	})
	return cmd
}
