package leak

import "testing"

// FuzzParseReport: a leak report body (GitHub secret scanning's shape) or
// a signer key list, whatever its bytes, is parsed without a panic.
func FuzzParseReport(f *testing.F) {
	f.Add([]byte(`[{"token":"kg_live_x","type":"keygate_api_key","url":"https://github.com/o/r/blob/x","source":"content"}]`))
	f.Add([]byte(`[]`))
	f.Add([]byte(`{"public_keys":[{"key_identifier":"k","key":"-----BEGIN PUBLIC KEY-----\nx\n-----END PUBLIC KEY-----","is_current":true}]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		_, _ = ParseReport(b)
		_, _ = ParseKeys(b)
		ks, err := ParseKeys(b)
		if err == nil && ks != nil {
			_ = ks.Verify(b, "k", "AAAA")
		}
	})
}
