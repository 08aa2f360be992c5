package e2e

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"context"

	"github.com/keygate/keygate/internal/testgw"
)

// TestNodeSDK runs the official OpenAI Node SDK against the gateway. It needs
// node and `npm ci --prefix e2e/node` (CI does both); elsewhere it skips.
func TestNodeSDK(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node is not installed; skipping the Node SDK end-to-end test")
	}
	if _, err := os.Stat(filepath.Join("node", "node_modules", "openai")); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("e2e/node/node_modules/openai is missing: .ci/run must run `npm ci --prefix e2e/node`")
		}
		t.Skip("run `npm ci --prefix e2e/node` to enable the Node SDK end-to-end test")
	}
	g := testgw.Start(t, testgw.Options{})
	k := g.CreateKey(nil)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, "check.mjs")
	cmd.Dir = "node"
	cmd.Env = append(os.Environ(), "KEYGATE_BASE_URL="+g.URL+"/v1", "OPENAI_API_KEY="+k.Key)
	outb, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("node check failed: %v\n%s", err, outb)
	}
	var out struct {
		Models        []string `json:"models"`
		Chat          string   `json:"chat"`
		ChatUsage     int      `json:"chatUsage"`
		Stream        string   `json:"stream"`
		Chunks        int      `json:"chunks"`
		StreamUsage   int      `json:"streamUsage"`
		EmbeddingDims int      `json:"embeddingDims"`
		BadKey        struct {
			Status    int    `json:"status"`
			Code      string `json:"code"`
			RequestID string `json:"requestId"`
		} `json:"badKey"`
	}
	lines := strings.Split(strings.TrimSpace(string(outb)), "\n")
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &out); err != nil {
		t.Fatalf("node output %q: %v", outb, err)
	}
	if !contains(out.Models, "mock-gpt") || !strings.Contains(out.Chat, "hello from node") || out.ChatUsage == 0 {
		t.Fatalf("models/chat: %+v", out)
	}
	if out.Chunks < 3 || !strings.Contains(out.Stream, "stream from node") || out.StreamUsage == 0 {
		t.Fatalf("stream: %+v", out)
	}
	if out.EmbeddingDims == 0 {
		t.Fatalf("embeddings: %+v", out)
	}
	if out.BadKey.Status != 401 || out.BadKey.Code != "invalid_api_key_format" || out.BadKey.RequestID == "" {
		t.Fatalf("key with a leading space: %+v", out.BadKey)
	}
}
