package config

import (
	"strings"
	"testing"
)

// Link-local and metadata upstreams are refused unless the channel says
// allow_private; loopback and private ranges (local model servers) pass.
func TestChannelBaseURLHosts(t *testing.T) {
	channel := func(base string, allow bool) string {
		a := ""
		if allow {
			a = ", allow_private: true"
		}
		return `channels: [{name: c, type: openai, base_url: "` + base + `", models: [m]` + a + `}]`
	}
	refused := []string{
		"http://169.254.169.254/latest/meta-data",
		"http://169.254.170.2/v1",
		"http://[fe80::1]/v1",
		"http://[::ffff:169.254.169.254]/v1",
		"http://metadata.google.internal/computeMetadata/v1",
		"http://METADATA.GOOGLE.INTERNAL./v1",
		"http://100.100.100.200/v1",
		"http://[fd00:ec2::254]/v1",
		"http://0.0.0.0:8080/v1",
	}
	for _, base := range refused {
		_, err := ParseFile([]byte(channel(base, false)), "keygate.yaml")
		if err == nil || !strings.Contains(err.Error(), "allow_private") && !strings.Contains(err.Error(), "cannot be an upstream") {
			t.Errorf("%s: err = %v, want a refusal naming allow_private", base, err)
		}
		if base == "http://0.0.0.0:8080/v1" {
			continue
		}
		if _, err := ParseFile([]byte(channel(base, true)), "keygate.yaml"); err != nil {
			t.Errorf("%s with allow_private: %v", base, err)
		}
	}
	for _, base := range []string{
		"http://127.0.0.1:11434/v1", // Ollama
		"http://localhost:8000/v1",  // vLLM
		"http://[::1]:8000/v1",
		"http://10.0.0.5:8000/v1",
		"http://192.168.1.20/v1",
		"http://172.16.0.3/v1",
		"https://api.openai.com/v1",
	} {
		if _, err := ParseFile([]byte(channel(base, false)), "keygate.yaml"); err != nil {
			t.Errorf("%s: %v, want it allowed", base, err)
		}
	}
}
