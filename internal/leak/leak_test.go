package leak

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"strings"
	"testing"
)

func pubPEM(t *testing.T, pub any) string {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
}

func doc(entries ...[2]string) []byte {
	var d struct {
		PublicKeys []map[string]any `json:"public_keys"`
	}
	for _, e := range entries {
		d.PublicKeys = append(d.PublicKeys, map[string]any{"key_identifier": e[0], "key": e[1], "is_current": true})
	}
	b, _ := json.Marshal(d)
	return b
}

func TestParseKeysRejectsBadFiles(t *testing.T) {
	p384, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	for name, c := range map[string]struct {
		in   []byte
		want string
	}{
		"not json":    {[]byte("nope"), "not a {\"public_keys\""},
		"empty":       {[]byte(`{"public_keys":[]}`), "public_keys is empty"},
		"no id":       {doc([2]string{"", "x"}), "key_identifier is empty"},
		"not pem":     {doc([2]string{"a", "MFkwEwYH"}), "not PEM"},
		"wrong curve": {doc([2]string{"a", pubPEM(t, &p384.PublicKey)}), "not an ECDSA P-256"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := ParseKeys(c.in)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err %v, want %q", err, c.want)
			}
		})
	}
}

func TestVerify(t *testing.T) {
	priv, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	ks, err := ParseKeys(doc([2]string{"k1", pubPEM(t, &priv.PublicKey)}))
	if err != nil {
		t.Fatal(err)
	}
	body := []byte(`[{"token":"x","type":"t","url":"u","source":"content"}]`)
	sum := sha256.Sum256(body)
	der, _ := ecdsa.SignASN1(rand.Reader, priv, sum[:])
	sig := base64.StdEncoding.EncodeToString(der)
	if err := ks.Verify(body, "k1", sig); err != nil {
		t.Fatalf("valid signature: %v", err)
	}
	for name, c := range map[string]struct {
		body      []byte
		id, sig   string
		ks        *KeySet
		wantError error
	}{
		"no signature": {body, "k1", "", ks, ErrNoSignature},
		"unknown key":  {body, "k2", sig, ks, ErrUnknownKey},
		"no key set":   {body, "k1", sig, nil, ErrUnknownKey},
		"changed body": {append([]byte(" "), body...), "k1", sig, ks, ErrBadSignature},
		"not base64":   {body, "k1", "!!", ks, ErrBadSignature},
		"garbage sig":  {body, "k1", base64.StdEncoding.EncodeToString([]byte("xx")), ks, ErrBadSignature},
	} {
		t.Run(name, func(t *testing.T) {
			if err := c.ks.Verify(c.body, c.id, c.sig); !errors.Is(err, c.wantError) {
				t.Fatalf("err %v, want %v", err, c.wantError)
			}
		})
	}
	toks, err := ParseReport(body)
	if err != nil || len(toks) != 1 || toks[0].Source != "content" {
		t.Fatalf("ParseReport: %+v %v", toks, err)
	}
	if _, err := ParseReport([]byte(`{"token":"x"}`)); err == nil {
		t.Fatal("an object instead of an array must be refused")
	}
}
