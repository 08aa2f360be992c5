package azure_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/openai/openai-go/v3"
	azureopt "github.com/openai/openai-go/v3/azure"
	"github.com/openai/openai-go/v3/option"

	"github.com/keygate/keygate/internal/provider"
	"github.com/keygate/keygate/internal/provider/azure"
	"github.com/keygate/keygate/internal/testgw"
)

const (
	apiKey     = "azure-test-key-0123456789abcdef"
	apiVersion = "2024-10-21"
	deployment = "gpt4o-prod"
)

type seen struct {
	method, path, query, apiKey, auth string
}

// fakeAzure answers like an Azure OpenAI resource and records what each
// request looked like. fail, when set, is the error body of a 400.
func fakeAzure(t *testing.T, status int, fail string) (*httptest.Server, func() []seen) {
	t.Helper()
	var mu sync.Mutex
	var got []seen
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		mu.Lock()
		got = append(got, seen{r.Method, r.URL.Path, r.URL.RawQuery, r.Header.Get("Api-Key"), r.Header.Get("Authorization")})
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		if fail != "" {
			w.WriteHeader(status)
			io.WriteString(w, fail)
			return
		}
		io.WriteString(w, `{"id":"chatcmpl-az1","object":"chat.completion","created":1700000000,"model":"gpt-4o-2024-08-06",
"prompt_filter_results":[{"prompt_index":0,"content_filter_results":{"hate":{"filtered":false,"severity":"safe"}}}],
"choices":[{"index":0,"finish_reason":"stop","message":{"role":"assistant","content":"pong"},
"content_filter_results":{"hate":{"filtered":false,"severity":"safe"}}}],
"usage":{"prompt_tokens":5,"completion_tokens":1,"total_tokens":6}}`)
	}))
	t.Cleanup(srv.Close)
	return srv, func() []seen { mu.Lock(); defer mu.Unlock(); return append([]seen(nil), got...) }
}

func credential(t *testing.T, base string) provider.Credential {
	u, err := url.Parse(base + "?api-version=" + apiVersion)
	if err != nil {
		t.Fatal(err)
	}
	return provider.Credential{BaseURL: u, APIKey: apiKey}
}

// The official openai-go client's Azure option defines the wire format of a
// deployment call; the adapter sends the same method, path, api-version and
// api-key header, and reads the answer.
func TestDeploymentCallMatchesOfficialAzureClient(t *testing.T) {
	srv, got := fakeAzure(t, 0, "")
	ctx := context.Background()

	official := openai.NewClient(azureopt.WithEndpoint(srv.URL, apiVersion), azureopt.WithAPIKey(apiKey),
		azureopt.WithUnsafeAllowHTTP(), option.WithMaxRetries(0))
	oc, err := official.Chat.Completions.New(ctx, openai.ChatCompletionNewParams{
		Model:    deployment,
		Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("ping")},
	})
	if err != nil {
		t.Fatalf("official client: %v", err)
	}
	if oc.Choices[0].Message.Content != "pong" {
		t.Fatalf("official client read %+v", oc.Choices)
	}

	cl := &azure.Client{HTTP: srv.Client()}
	res, err := cl.Chat(ctx, credential(t, srv.URL), &provider.ChatRequest{Model: deployment,
		Messages: []provider.Message{{Role: "user", Parts: []provider.Part{{Type: "text", Text: "ping"}}}}})
	if err != nil {
		t.Fatalf("adapter: %v", err)
	}
	if res.Text != "pong" || res.Usage.InputTokens != 5 || res.Usage.OutputTokens != 1 {
		t.Fatalf("adapter read %+v", res)
	}

	reqs := got()
	if len(reqs) != 2 {
		t.Fatalf("requests: %+v", reqs)
	}
	want, mine := reqs[0], reqs[1]
	if want.path != "/openai/deployments/"+deployment+"/chat/completions" || want.apiKey != apiKey {
		t.Fatalf("the official client's request is not what this test assumes: %+v", want)
	}
	wq, _ := url.ParseQuery(want.query)
	mq, _ := url.ParseQuery(mine.query)
	if mine.method != want.method || mine.path != want.path || mq.Get("api-version") != wq.Get("api-version") ||
		mine.apiKey != want.apiKey || mine.auth != "" {
		t.Fatalf("adapter request %+v differs from the official client's %+v", mine, want)
	}
}

func TestAzureErrorsMapped(t *testing.T) {
	ctx := context.Background()
	req := &provider.ChatRequest{Model: deployment, Messages: []provider.Message{{Role: "user", Parts: []provider.Part{{Type: "text", Text: "x"}}}}}

	t.Run("content filter", func(t *testing.T) {
		srv, _ := fakeAzure(t, 400, `{"error":{"message":"The response was filtered due to the prompt triggering Azure OpenAI's content management policy.","type":null,"param":"prompt","code":"content_filter","status":400,
"innererror":{"code":"ResponsibleAIPolicyViolation","content_filter_result":{"hate":{"filtered":true,"severity":"high"},"self_harm":{"filtered":false,"severity":"safe"},"violence":{"filtered":true,"severity":"medium"}}}}}`)
		_, err := (&azure.Client{HTTP: srv.Client()}).Chat(ctx, credential(t, srv.URL), req)
		var ue *provider.UpstreamError
		if !errors.As(err, &ue) || ue.Status != 400 || ue.Type != "content_filter" ||
			!strings.Contains(ue.Message, "content filter refused the prompt (hate: high; violence: medium)") {
			t.Fatalf("content filter: %#v", err)
		}
	})

	t.Run("deployment not found", func(t *testing.T) {
		srv, _ := fakeAzure(t, 404, `{"error":{"code":"DeploymentNotFound","message":"The API deployment for this resource does not exist. If you created the deployment within the last 5 minutes, please wait a moment and try again."}}`)
		_, err := (&azure.Client{HTTP: srv.Client()}).Chat(ctx, credential(t, srv.URL), req)
		var ue *provider.UpstreamError
		if !errors.As(err, &ue) || ue.Status != http.StatusBadGateway || !strings.Contains(ue.Message, `no deployment "`+deployment+`"`) ||
			!strings.Contains(ue.Message, "model_map") {
			t.Fatalf("deployment not found: %#v", err)
		}
	})

	t.Run("refused key is scrubbed", func(t *testing.T) {
		srv, _ := fakeAzure(t, 401, `{"error":{"code":"401","message":"Access denied due to invalid subscription key `+apiKey+`."}}`)
		_, err := (&azure.Client{HTTP: srv.Client()}).Chat(ctx, credential(t, srv.URL), req)
		var ue *provider.UpstreamError
		if !errors.As(err, &ue) || ue.Status != 401 || strings.Contains(ue.Message, apiKey) {
			t.Fatalf("401: %#v", err)
		}
	})
}

func TestURL(t *testing.T) {
	for base, want := range map[string]string{
		"https://res.openai.azure.com":                             "https://res.openai.azure.com/openai/deployments/d%2F1/chat/completions?api-version=" + azure.DefaultAPIVersion,
		"https://res.openai.azure.com/openai/?api-version=2025-01": "https://res.openai.azure.com/openai/deployments/d%2F1/chat/completions?api-version=2025-01",
	} {
		u, _ := url.Parse(base)
		if got := azure.URL(u, "d/1", "chat/completions"); got != want {
			t.Errorf("URL(%s) = %s, want %s", base, got, want)
		}
	}
}

// An azure channel in KEYGATE_CONFIG serves OpenAI SDK calls: the model
// maps to its deployment, the channel's api_version and key go out as
// Azure wants them.
func TestGatewayServesAzureDeployment(t *testing.T) {
	srv, got := fakeAzure(t, 0, "")
	t.Setenv("KEYGATE_TEST_AZURE_KEY", apiKey)
	g := testgw.Start(t, testgw.Options{Config: `groups: [{name: default, models: ["*"]}]
projects: [{name: demo}]
channels:
  - {name: az, type: azure, base_url: "` + srv.URL + `", api_version: "2025-01-01", api_key_env: KEYGATE_TEST_AZURE_KEY,
     models: [gpt-4o], model_map: {gpt-4o: ` + deployment + `}, groups: [default]}
models:
  - {name: gpt-4o, input_per_mtok: 2.5, output_per_mtok: 10}
`})
	k := g.CreateKey(nil)
	c := openai.NewClient(option.WithBaseURL(g.URL+"/v1"), option.WithAPIKey(k.Key), option.WithMaxRetries(0))
	resp, err := c.Chat.Completions.New(context.Background(), openai.ChatCompletionNewParams{
		Model: "gpt-4o", Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("ping")}})
	if err != nil {
		t.Fatal(err)
	}
	if resp.Choices[0].Message.Content != "pong" {
		t.Fatalf("answer %+v", resp.Choices)
	}
	reqs := got()
	if len(reqs) != 1 || reqs[0].path != "/openai/deployments/"+deployment+"/chat/completions" ||
		reqs[0].query != "api-version=2025-01-01" || reqs[0].apiKey != apiKey || reqs[0].auth != "" {
		t.Fatalf("upstream saw %+v", reqs)
	}
}
