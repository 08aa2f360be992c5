package app

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"

	"github.com/keygate/keygate/internal/config"
	"github.com/keygate/keygate/internal/mockupstream"
	"github.com/keygate/keygate/internal/secretbox"
)

// startDemo runs the built-in mock upstream on a loopback port and declares
// a demo setup around it (group default, project demo, channel mock), so
// `keygate serve` with no configuration can be tried without any provider
// account. Real channels come from KEYGATE_CONFIG, which turns this off.
func (a *App) startDemo(ctx context.Context, box *secretbox.Box) error {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return fmt.Errorf("start the built-in mock upstream: %w", err)
	}
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	cred := "mock-" + hex.EncodeToString(b)
	dctx, stop := context.WithCancel(context.WithoutCancel(ctx))
	a.demoStop, a.demoDone = stop, make(chan struct{})
	go func() {
		defer close(a.demoDone)
		if err := mockupstream.Serve(dctx, ln, mockupstream.Options{APIKey: cred}); err != nil {
			a.log.Error("built-in mock upstream stopped", "err", err)
		}
	}()
	f := &config.File{
		Groups:   []config.GroupSpec{{Name: "default", Models: []string{"*"}}},
		Projects: []config.ProjectSpec{{Name: "demo"}},
		Channels: []config.ChannelSpec{{Name: "mock", Type: "openai", BaseURL: "http://" + ln.Addr().String() + "/v1",
			APIKey: cred, Models: []string{"mock-gpt", "mock-gpt-mini", "mock-embed", "mock-error-429",
				"mock-error-500", "mock-slow", "mock-stream-cut", "mock-image", "mock-video"}, Groups: []string{"default"}},
			// mock-error-401 imitates a refused channel credential, which
			// disables its channel: it gets a channel of its own.
			{Name: "mock-badcred", Type: "openai", BaseURL: "http://" + ln.Addr().String() + "/v1",
				APIKey: cred, Models: []string{"mock-error-401"}, Groups: []string{"default"}}},
		Models: []config.ModelSpec{
			{Name: "mock-gpt", InputPerMTok: 0.15, OutputPerMTok: 0.60},
			{Name: "mock-gpt-mini", InputPerMTok: 0.05, OutputPerMTok: 0.20},
			{Name: "mock-embed", InputPerMTok: 0.02},
			{Name: "mock-image", PerImage: 0.04, ImagePrices: map[string]float64{"high": 0.17, "low": 0.01}},
			{Name: "mock-video", PerVideoSecond: 0.10},
		},
	}
	for _, m := range []string{"mock-error-429", "mock-error-500", "mock-slow", "mock-stream-cut", "mock-error-401"} {
		// Priced like mock-gpt, so the demo shows costs and starts without
		// the unpriced-models warning.
		f.Models = append(f.Models, config.ModelSpec{Name: m, InputPerMTok: 0.15, OutputPerMTok: 0.60})
	}
	if err := Apply(ctx, a.Store, box, f, ManagedByDemo); err != nil {
		stop()
		<-a.demoDone
		return fmt.Errorf("declare the demo setup: %w", err)
	}
	a.log.Info("no KEYGATE_CONFIG: serving the built-in mock upstream as channel \"mock\" (models mock-gpt, mock-gpt-mini, mock-embed, mock-image, mock-video) in project \"demo\"; declare real channels in a YAML file named by KEYGATE_CONFIG")
	return nil
}
