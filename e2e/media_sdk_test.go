//lint:file-ignore SA1019 OpenAI-compatible video servers keep serving /v1/videos; the SDK deprecates only OpenAI's own Sora service, which these calls do not reach.

package e2e

import (
	"bytes"
	"context"
	"encoding/base64"
	"image/png"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/openai/openai-go/v3"

	"github.com/keygate/keygate/internal/testgw"
)

const mediaConfig = `
groups: [{name: default, models: ["*"]}]
projects: [{name: demo}]
channels:
  - {name: mock, type: openai, base_url: "{{UPSTREAM}}/v1", api_key_env: KEYGATE_TEST_UPSTREAM_KEY, models: [mock-image, mock-gpt-image, mock-video], groups: [default]}
models:
  - {name: mock-image, per_image: 0.04, image_prices: {high: 0.17}}
  - {name: mock-gpt-image, input_per_mtok: 5, output_per_mtok: 40}
  - {name: mock-video, per_video_second: 0.10}
`

type sdkClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *sdkClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *sdkClock) advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// TestMediaSDK drives images (generate, stream, edit) and the video job
// flow (create as the SDK sends it — multipart —, poll, download, list,
// delete) with openai-go as the client.
func TestMediaSDK(t *testing.T) {
	clk := &sdkClock{t: time.Now().UTC()}
	g := testgw.Start(t, testgw.Options{Config: mediaConfig, Now: clk.Now})
	k := g.CreateKey(map[string]any{"name": "sdk-media", "budget": map[string]any{"limit_usd": 10, "period": "total"}})
	c := client(g, k.Key)
	ctx := context.Background()

	t.Run("images", func(t *testing.T) {
		res, err := c.Images.Generate(ctx, openai.ImageGenerateParams{Model: "mock-image", Prompt: "a red fox", N: openai.Int(2), Quality: "high"})
		if err != nil || len(res.Data) != 2 {
			t.Fatalf("generate: %v %v", res, err)
		}
		raw, _ := base64.StdEncoding.DecodeString(res.Data[0].B64JSON)
		if _, err := png.Decode(bytes.NewReader(raw)); err != nil {
			t.Fatalf("not a PNG: %v", err)
		}
		stream := c.Images.GenerateStreaming(ctx, openai.ImageGenerateParams{Model: "mock-gpt-image", Prompt: "a lighthouse", PartialImages: openai.Int(2)})
		partial, completed := 0, 0
		for stream.Next() {
			switch stream.Current().Type {
			case "image_generation.partial_image":
				partial++
			case "image_generation.completed":
				completed++
			}
		}
		if err := stream.Err(); err != nil || partial != 2 || completed != 1 {
			t.Fatalf("stream: %d partial, %d completed, %v", partial, completed, err)
		}
		edit, err := c.Images.Edit(ctx, openai.ImageEditParams{Model: "mock-image", Prompt: "add a hat",
			Image: openai.ImageEditParamsImageUnion{OfFileArray: []io.Reader{
				openai.File(bytes.NewReader(raw), "a.png", "image/png"), openai.File(bytes.NewReader(raw), "b.png", "image/png")}}})
		if err != nil || len(edit.Data) != 1 {
			t.Fatalf("edit: %v %v", edit, err)
		}
	})

	t.Run("video", func(t *testing.T) {
		v, err := c.Videos.New(ctx, openai.VideoNewParams{Model: "mock-video", Prompt: "waves mock:polls=2 mock:seconds=3", Seconds: "4"})
		if err != nil || !strings.HasPrefix(v.ID, "video_") || v.Status != "queued" {
			t.Fatalf("create: %+v %v", v, err)
		}
		for range 10 {
			clk.advance(30 * time.Second)
			if _, err := g.App.Server.Jobs.Step(ctx); err != nil {
				t.Fatal(err)
			}
			if v, err = c.Videos.Get(ctx, v.ID); err != nil {
				t.Fatal(err)
			}
			if v.Status == "completed" {
				break
			}
		}
		if v.Status != "completed" || v.Seconds != "3" || v.Progress != 100 {
			t.Fatalf("job %+v", v)
		}
		resp, err := c.Videos.DownloadContent(ctx, v.ID, openai.VideoDownloadContentParams{})
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.Header.Get("Content-Type") != "video/mp4" || !bytes.Contains(body, []byte("ftyp")) {
			t.Fatalf("content %s %.40q", resp.Header.Get("Content-Type"), body)
		}
		page, err := c.Videos.List(ctx, openai.VideoListParams{})
		if err != nil || len(page.Data) != 1 || page.Data[0].ID != v.ID {
			t.Fatalf("list: %v %v", page, err)
		}
		running, err := c.Videos.New(ctx, openai.VideoNewParams{Model: "mock-video", Prompt: "mock:hang", Seconds: "4"})
		if err != nil {
			t.Fatal(err)
		}
		del, err := c.Videos.Delete(ctx, running.ID)
		if err != nil || !del.Deleted || del.ID != running.ID {
			t.Fatalf("delete: %+v %v", del, err)
		}
		if got, _ := c.Videos.Get(ctx, running.ID); got.Status != "cancelled" {
			t.Fatalf("after delete: %s", got.Status)
		}
	})
}
