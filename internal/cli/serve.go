package cli

import (
	"log/slog"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/keygate/keygate/internal/app"
	"github.com/keygate/keygate/internal/config"
)

func newServeCmd() *cobra.Command {
	var listen, database, redis, cfgFile, logLevel string
	var shutdown time.Duration
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the gateway",
		Long: `Run the gateway. Settings come from KEYGATE_* environment variables; flags override them.

  KEYGATE_LISTEN        address to listen on (default 127.0.0.1:8080)
  KEYGATE_DATABASE      sqlite:PATH (default sqlite:keygate.db) or postgres://…
  KEYGATE_REDIS         redis://… for shared limits and change events (optional)
  KEYGATE_ADMIN_TOKEN   owner credential for the admin API (≥ 32 characters); when
                        unset on a fresh database one is generated and printed once
  KEYGATE_SECRET_KEY    encrypts upstream credentials at rest
  KEYGATE_CONFIG        YAML file of groups, projects, channels and models`,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := config.Defaults().FromEnv(getenv)
			if err != nil {
				return err
			}
			flags := cmd.Flags()
			if flags.Changed("listen") {
				cfg.Listen = listen
			}
			if flags.Changed("database") {
				cfg.Database = database
			}
			if flags.Changed("redis") {
				cfg.Redis = redis
			}
			if flags.Changed("config") {
				cfg.ConfigFile = cfgFile
			}
			if flags.Changed("shutdown-timeout") {
				cfg.ShutdownTimeout = shutdown
			}
			var level slog.Level
			if err := level.UnmarshalText([]byte(logLevel)); err != nil {
				return err
			}
			log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
			a, err := app.New(cmd.Context(), cfg, log, cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			if err := a.Run(cmd.Context()); err != nil {
				return err
			}
			log.Info("keygate stopped cleanly")
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&listen, "listen", "", "address to listen on (KEYGATE_LISTEN)")
	f.StringVar(&database, "database", "", "database URL (KEYGATE_DATABASE)")
	f.StringVar(&redis, "redis", "", "Redis URL (KEYGATE_REDIS)")
	f.StringVar(&cfgFile, "config", "", "YAML configuration file (KEYGATE_CONFIG)")
	f.DurationVar(&shutdown, "shutdown-timeout", 30*time.Second, "how long to let in-flight requests finish on shutdown")
	f.StringVar(&logLevel, "log-level", "info", "debug, info, warn or error")
	return cmd
}
