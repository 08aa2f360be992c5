// Package leak handles secret-scanning partner reports: the format public
// code hosts use to tell a token's issuer that the token was found in public.
//
// A report is a JSON array of {"token","type","url","source"} signed with
// ECDSA P-256 over SHA-256 of the raw body; the signature (base64 DER) and
// the identifier of the signing key arrive in the
// Github-Public-Key-Signature and Github-Public-Key-Identifier headers. The
// trusted public keys are read from a file in the code host's own
// {"public_keys":[{"key_identifier","key","is_current"}]} shape, so an
// operator can save the host's published key list as it is.
package leak

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"strings"
)

// Header names of a signed report.
const (
	HeaderKeyID     = "Github-Public-Key-Identifier"
	HeaderSignature = "Github-Public-Key-Signature"
)

// Labels of a report answer.
const (
	TruePositive  = "true_positive"
	FalsePositive = "false_positive"
)

// Token is one reported token. Token itself is the secret: it is hashed at
// once and never stored, logged or echoed.
type Token struct {
	Token  string `json:"token"`
	Type   string `json:"type"`
	URL    string `json:"url"`
	Source string `json:"source"`
}

// Answer is the per-token reply: the SHA-256 of the token (hex), its type
// and whether it was a real token of this gateway.
type Answer struct {
	TokenHash string `json:"token_hash"`
	TokenType string `json:"token_type"`
	Label     string `json:"label"`
}

// PublicKey is one trusted signing key.
type PublicKey struct {
	ID        string
	Key       *ecdsa.PublicKey
	IsCurrent bool
}

// KeySet is the set of trusted signing keys by identifier.
type KeySet struct {
	keys map[string]PublicKey
}

// Errors of Verify; the handler maps them to client errors.
var (
	ErrNoSignature  = errors.New("the report is not signed")
	ErrUnknownKey   = errors.New("the report is signed with a key this gateway does not trust")
	ErrBadSignature = errors.New("the report's signature does not match its body")
)

type keyFile struct {
	PublicKeys []struct {
		KeyIdentifier string `json:"key_identifier"`
		Key           string `json:"key"`
		IsCurrent     bool   `json:"is_current"`
	} `json:"public_keys"`
}

// LoadFile reads the trusted keys from path (KEYGATE_SECRET_SCANNING_KEYS).
func LoadFile(path string) (*KeySet, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read secret-scanning keys (KEYGATE_SECRET_SCANNING_KEYS): %w", err)
	}
	ks, err := ParseKeys(b)
	if err != nil {
		return nil, fmt.Errorf("secret-scanning keys %s: %w", path, err)
	}
	return ks, nil
}

// ParseKeys parses the {"public_keys":[…]} document. Every key must be an
// ECDSA P-256 public key in PEM; one bad entry fails the whole file, so a
// typo is noticed at start rather than when a report is refused.
func ParseKeys(b []byte) (*KeySet, error) {
	var f keyFile
	if err := json.Unmarshal(b, &f); err != nil {
		return nil, fmt.Errorf("not a {\"public_keys\":[…]} JSON document: %w", err)
	}
	if len(f.PublicKeys) == 0 {
		return nil, errors.New("public_keys is empty: save the code host's published secret-scanning keys in this file")
	}
	ks := &KeySet{keys: map[string]PublicKey{}}
	for i, k := range f.PublicKeys {
		if k.KeyIdentifier == "" {
			return nil, fmt.Errorf("public_keys[%d]: key_identifier is empty", i)
		}
		pub, err := ParsePublicKey(k.Key)
		if err != nil {
			return nil, fmt.Errorf("public_keys[%d] (%s): %w", i, k.KeyIdentifier, err)
		}
		ks.keys[k.KeyIdentifier] = PublicKey{ID: k.KeyIdentifier, Key: pub, IsCurrent: k.IsCurrent}
	}
	return ks, nil
}

// ParsePublicKey parses a PEM "PUBLIC KEY" block holding an ECDSA P-256 key.
func ParsePublicKey(s string) (*ecdsa.PublicKey, error) {
	block, _ := pem.Decode([]byte(strings.TrimSpace(s)))
	if block == nil {
		return nil, errors.New("key is not PEM (want -----BEGIN PUBLIC KEY-----)")
	}
	pub, err := x509.ParsePKIXPublicKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("key is not a public key: %w", err)
	}
	ec, ok := pub.(*ecdsa.PublicKey)
	if !ok || ec.Curve != elliptic.P256() {
		return nil, errors.New("key is not an ECDSA P-256 public key")
	}
	return ec, nil
}

// Len is the number of trusted keys.
func (ks *KeySet) Len() int {
	if ks == nil {
		return 0
	}
	return len(ks.keys)
}

// Verify checks the signature of body made with the key named keyID;
// sigB64 is the base64 ASN.1 DER signature. Non-current keys still verify,
// since a host signs with the previous key for a while after rotating.
func (ks *KeySet) Verify(body []byte, keyID, sigB64 string) error {
	if keyID == "" || sigB64 == "" {
		return ErrNoSignature
	}
	if ks == nil {
		return ErrUnknownKey
	}
	k, ok := ks.keys[keyID]
	if !ok {
		return ErrUnknownKey
	}
	sig, err := base64.StdEncoding.DecodeString(strings.TrimSpace(sigB64))
	if err != nil {
		return fmt.Errorf("%w (not base64)", ErrBadSignature)
	}
	sum := sha256.Sum256(body)
	if !ecdsa.VerifyASN1(k.Key, sum[:], sig) {
		return ErrBadSignature
	}
	return nil
}

// ParseReport decodes a verified body. Only after Verify: an unsigned body
// must not even be parsed for work.
func ParseReport(body []byte) ([]Token, error) {
	var toks []Token
	if err := json.Unmarshal(body, &toks); err != nil {
		return nil, fmt.Errorf("the report is not a JSON array of {\"token\",\"type\",\"url\",\"source\"}: %w", err)
	}
	return toks, nil
}
