package e2e

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/keygate/keygate/internal/testgw"
)

// clientsConfig puts a model on each channel type, all on the one mock
// upstream (it serves OpenAI's, Anthropic's and Gemini's routes), with the
// vendors' host-only base URLs where they document them.
const clientsConfig = `
groups: [{name: default, models: ["*"]}]
projects: [{name: demo}]
channels:
  - {name: oa, type: openai, base_url: "{{UPSTREAM}}/v1", api_key_env: KEYGATE_TEST_UPSTREAM_KEY, models: [mock-gpt, mock-embed]}
  - {name: an, type: anthropic, base_url: "{{UPSTREAM}}", api_key_env: KEYGATE_TEST_UPSTREAM_KEY, models: [claude-mock]}
  - {name: ge, type: gemini, base_url: "{{UPSTREAM}}", api_key_env: KEYGATE_TEST_UPSTREAM_KEY, models: [gemini-mock]}
models:
  - {name: mock-gpt, input_per_mtok: 0.15, output_per_mtok: 0.60, max_output_tokens: 4096}
  - {name: claude-mock, input_per_mtok: 3, output_per_mtok: 15, max_output_tokens: 4096}
  - {name: gemini-mock, input_per_mtok: 0.1, output_per_mtok: 0.4, max_output_tokens: 4096}
  - {name: mock-embed, input_per_mtok: 0.02}
`

// clientModels are the models the real clients are run with: one on each
// channel type.
var clientModels = []string{"mock-gpt", "claude-mock", "gemini-mock"}

// clientBin returns the path of an installed client's executable, skipping
// (or, in CI, failing) when `npm ci --prefix e2e/clients` has not run.
func clientBin(t *testing.T, name string) string {
	t.Helper()
	if _, err := exec.LookPath("node"); err != nil {
		t.Skip("node is not installed; skipping the real-client end-to-end test")
	}
	p, _ := filepath.Abs(filepath.Join("clients", "node_modules", ".bin", name))
	if _, err := os.Stat(p); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s is missing: .ci/run must run `npm ci --prefix e2e/clients`", p)
		}
		t.Skip("run `npm ci --prefix e2e/clients` to enable the real-client end-to-end tests")
	}
	return p
}

// quietEnv is a client's environment: HOME in a temp dir, telemetry,
// update checks and error reporting off, nothing of the caller's own
// credentials.
func quietEnv(t *testing.T, extra ...string) []string {
	home := t.TempDir()
	env := []string{"HOME=" + home, "PATH=" + os.Getenv("PATH"), "TERM=dumb", "NO_COLOR=1", "CI=1",
		"DISABLE_TELEMETRY=1", "DISABLE_AUTOUPDATER=1", "DISABLE_ERROR_REPORTING=1", "DISABLE_BUG_COMMAND=1",
		"CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1", "DO_NOT_TRACK=1", "CODEX_HOME=" + filepath.Join(home, ".codex")}
	return append(env, extra...)
}

// runClient runs one client command with a time limit and returns its
// combined output.
func runClient(t *testing.T, dir string, env []string, bin string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Dir, cmd.Env = dir, env
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", filepath.Base(bin), strings.Join(args, " "), err, out)
	}
	return string(out)
}

// Claude Code (`claude -p`) through a model on each channel type: a plain
// prompt, and a tool round trip (the mock calls the Bash tool it names,
// Claude Code answers with the tool's result, the mock reads it back).
func TestClaudeCodeCLI(t *testing.T) {
	bin := clientBin(t, "claude")
	g := testgw.Start(t, testgw.Options{Config: clientsConfig})
	k := g.CreateKey(map[string]any{"name": "claude-code"})
	for _, model := range clientModels {
		t.Run(model, func(t *testing.T) {
			env := quietEnv(t, "ANTHROPIC_BASE_URL="+g.URL, "ANTHROPIC_API_KEY="+k.Key)
			dir := t.TempDir()
			out := runClient(t, dir, env, bin, "-p", "say hi", "--model", model)
			if !strings.Contains(out, "Hello from the mock upstream") {
				t.Fatalf("claude -p: %s", out)
			}
			out = runClient(t, dir, env, bin, "-p", "use the Bash tool", "--model", model, "--output-format", "json")
			if !strings.Contains(out, "The tool said") {
				t.Fatalf("claude -p tool round trip: %s", out)
			}
		})
	}
}

// Codex (`codex exec`) through a model on each channel type, with the
// gateway as a custom provider speaking the Responses API: a plain prompt
// and a tool round trip. web_search is turned off: only OpenAI runs it.
func TestCodexCLI(t *testing.T) {
	bin := clientBin(t, "codex")
	g := testgw.Start(t, testgw.Options{Config: clientsConfig})
	k := g.CreateKey(map[string]any{"name": "codex"})
	for _, model := range clientModels {
		t.Run(model, func(t *testing.T) {
			env := quietEnv(t, "KEYGATE_API_KEY="+k.Key)
			var home string
			for _, e := range env {
				if h, ok := strings.CutPrefix(e, "CODEX_HOME="); ok {
					home = h
				}
			}
			if err := os.MkdirAll(home, 0o700); err != nil {
				t.Fatal(err)
			}
			cfg := `model = "` + model + `"
model_provider = "keygate"
web_search = "disabled"
check_for_update_on_startup = false

[model_providers.keygate]
name = "keygate"
base_url = "` + g.URL + `/v1"
env_key = "KEYGATE_API_KEY"
wire_api = "responses"

[analytics]
enabled = false

[otel]
exporter = "none"
`
			if err := os.WriteFile(filepath.Join(home, "config.toml"), []byte(cfg), 0o600); err != nil {
				t.Fatal(err)
			}
			out := runClient(t, t.TempDir(), env, bin, "exec", "--skip-git-repo-check", "say hi")
			if !strings.Contains(out, "Hello from the mock upstream") || strings.Contains(out, "stream disconnected") || strings.Contains(out, "ERROR") {
				t.Fatalf("codex exec: %s", out)
			}
			// The mock calls the tool the prompt names; Codex runs it (its
			// arguments are the mock's, so Codex reports them back as
			// wrong) and sends the output, which the mock reads back.
			out = runClient(t, t.TempDir(), env, bin, "exec", "--skip-git-repo-check", "use exec_command to list files")
			if !strings.Contains(out, "The tool said") || strings.Contains(out, "stream disconnected") {
				t.Fatalf("codex exec tool round trip: %s", out)
			}
		})
	}
}

// The AI SDK (ai, @ai-sdk/openai, @ai-sdk/anthropic): generateText,
// streamText, a multi-step tool run and embed, through its Responses, Chat
// and Anthropic providers, for a model on each channel type.
func TestAISDK(t *testing.T) {
	clientBin(t, "claude") // the same install step brings the AI SDK
	if _, err := os.Stat(filepath.Join("clients", "node_modules", "ai")); err != nil {
		t.Fatalf("e2e/clients/node_modules/ai is missing: %v", err)
	}
	g := testgw.Start(t, testgw.Options{Config: clientsConfig})
	k := g.CreateKey(map[string]any{"name": "ai-sdk"})
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "node", "aisdk.mjs")
	cmd.Dir = "clients"
	cmd.Env = quietEnv(t, "KEYGATE_URL="+g.URL, "KEYGATE_KEY="+k.Key, "KEYGATE_MODELS="+strings.Join(clientModels, ","), "KEYGATE_EMBED_MODEL=mock-embed")
	outb, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("node aisdk.mjs: %v\n%s", err, outb)
	}
	t.Logf("%s", outb)
	lines := strings.Split(strings.TrimSpace(string(outb)), "\n")
	var out struct {
		Results []struct {
			Model, Provider, Generate, Stream, StreamFinish, ToolText, Error string
			ToolSteps                                                        int
		} `json:"results"`
		Embedding struct {
			Dims  int
			Error string
		} `json:"embedding"`
	}
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &out); err != nil {
		t.Fatalf("output %s: %v", outb, err)
	}
	if len(out.Results) != 3*len(clientModels) {
		t.Fatalf("results: %s", outb)
	}
	for _, r := range out.Results {
		if r.Error != "" || !strings.Contains(r.Generate, "You said: hello sdk") || !strings.Contains(r.Stream, "You said: stream sdk") ||
			r.StreamFinish != "stop" || r.ToolSteps < 2 || !strings.Contains(r.ToolText, "The tool said") {
			t.Errorf("%s via %s: %+v", r.Model, r.Provider, r)
		}
	}
	if out.Embedding.Dims == 0 {
		t.Errorf("embed: %+v", out.Embedding)
	}
}
