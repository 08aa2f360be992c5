// Package keys defines the keygate key format: generation, checksum, parsing,
// hashing and the display form that is the only way a key may ever be shown.
//
// A key is a prefix (kg_live_, kg_test_ or kg_pat_), 32 random base62
// characters and 6 base62 characters of CRC32 over everything before them.
// The checksum lets the gateway, the CLI and secret scanners reject typos and
// truncated pastes without a database lookup, and lets scanners find leaked
// keys with almost no false positives.
//
// Everything here is pure (apart from crypto/rand in Generate). Parse and Hash
// run on every request, so they do not allocate on the success path.
package keys

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/crc32"
	"unicode"
	"unicode/utf8"
)

// Key prefixes. The trailing underscore is part of the prefix so that a
// prefix match can never run into the body.
const (
	PrefixLive = "kg_live_"
	PrefixTest = "kg_test_"
	PrefixPAT  = "kg_pat_"
)

// BodyLen is the number of characters after the prefix: 32 random and 6 of checksum.
const BodyLen = 38

const (
	randomLen   = 32
	checksumLen = 6
	alphabet    = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
)

// Reason is a stable, machine-readable cause of a FormatError.
type Reason string

// Reasons reported by Parse.
const (
	ReasonUnknownPrefix Reason = "unknown_prefix"
	ReasonWrongLength   Reason = "wrong_length"
	ReasonBadCharacter  Reason = "bad_character"
	ReasonBadChecksum   Reason = "bad_checksum"
)

// FormatError says why a string is not a well-formed keygate key. Detail is
// written for humans and never contains more of the input than Display
// would show (it holds counts, positions and code points, never key text).
type FormatError struct {
	Reason Reason
	Detail string
}

func (e *FormatError) Error() string {
	if e.Detail == "" {
		return "malformed keygate key: " + string(e.Reason)
	}
	return "malformed keygate key: " + string(e.Reason) + ": " + e.Detail
}

// Generate returns a fresh key with the given prefix.
func Generate(prefix string) (string, error) {
	if prefix != PrefixLive && prefix != PrefixTest && prefix != PrefixPAT {
		return "", fmt.Errorf("generate key with prefix %q: %w", prefix, ErrUnknownPrefix)
	}
	buf := make([]byte, len(prefix)+BodyLen)
	copy(buf, prefix)
	body := buf[len(prefix) : len(prefix)+randomLen]
	// Rejection sampling: bytes ≥ 248 (= 4·62) are discarded so that every
	// character of the alphabet is exactly equally likely.
	var rnd [64]byte
	n := 0
	for n < randomLen {
		if _, err := rand.Read(rnd[:]); err != nil {
			return "", fmt.Errorf("generate key: %w", err)
		}
		for _, b := range rnd {
			if b >= 248 {
				continue
			}
			body[n] = alphabet[b%62]
			n++
			if n == randomLen {
				break
			}
		}
	}
	var sum [checksumLen]byte
	encodeChecksum(&sum, crcString(string(buf[:len(prefix)+randomLen])))
	copy(buf[len(prefix)+randomLen:], sum[:])
	return string(buf), nil
}

// Checksum returns the 6 base62 characters of CRC32 (IEEE) of s, most
// significant digit first, zero-padded.
func Checksum(s string) string {
	var sum [checksumLen]byte
	encodeChecksum(&sum, crcString(s))
	return string(sum[:])
}

func encodeChecksum(dst *[checksumLen]byte, c uint32) {
	for i := checksumLen - 1; i >= 0; i-- {
		dst[i] = alphabet[c%62]
		c /= 62
	}
}

// crcString is CRC32-IEEE over a string. hash/crc32 only takes []byte, and
// converting a 40-byte string to pass it through crc32's function variable
// would allocate on every request; a bytewise table loop over ~40 bytes is
// as fast as the converted call and allocation-free.
func crcString(s string) uint32 {
	tab := crc32.IEEETable
	crc := ^uint32(0)
	for i := 0; i < len(s); i++ {
		crc = tab[byte(crc)^s[i]] ^ (crc >> 8)
	}
	return ^crc
}

// isBase62 reports whether c is in the key alphabet.
func isBase62(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z'
}

// keyPrefix returns the keygate prefix that key starts with, as one of the
// package constants (so callers can compare it and it never aliases input).
func keyPrefix(key string) string {
	if len(key) < len(PrefixPAT) || key[0] != 'k' || key[1] != 'g' || key[2] != '_' {
		return ""
	}
	switch {
	case len(key) >= len(PrefixLive) && key[:len(PrefixLive)] == PrefixLive:
		return PrefixLive
	case len(key) >= len(PrefixTest) && key[:len(PrefixTest)] == PrefixTest:
		return PrefixTest
	case key[:len(PrefixPAT)] == PrefixPAT:
		return PrefixPAT
	}
	return ""
}

// Parse checks that key is a well-formed keygate key with a valid checksum
// and returns its prefix. The error, if any, is a *FormatError.
func Parse(key string) (prefix string, err error) {
	prefix = keyPrefix(key)
	if prefix == "" {
		return "", &FormatError{Reason: ReasonUnknownPrefix, Detail: "a keygate key starts with kg_live_, kg_test_ or kg_pat_"}
	}
	body := key[len(prefix):]
	if len(body) != BodyLen {
		n := utf8.RuneCountInString(body)
		return "", &FormatError{Reason: ReasonWrongLength,
			Detail: fmt.Sprintf("%d characters after %s, expected %d", n, prefix, BodyLen)}
	}
	for i := 0; i < len(body); i++ {
		if !isBase62(body[i]) {
			return "", badCharacter(body, i)
		}
	}
	var sum [checksumLen]byte
	encodeChecksum(&sum, crcString(key[:len(key)-checksumLen]))
	if string(sum[:]) != key[len(key)-checksumLen:] {
		return "", &FormatError{Reason: ReasonBadChecksum,
			Detail: "the checksum does not match: one or more characters differ from the key as issued"}
	}
	return prefix, nil
}

// badCharacter describes the first byte of body that is not base62. Naming a
// character that cannot be part of a key reveals nothing of the key.
func badCharacter(body string, i int) *FormatError {
	r, _ := utf8.DecodeRuneInString(body[i:])
	pos := utf8.RuneCountInString(body[:i]) + 1
	return &FormatError{Reason: ReasonBadCharacter,
		Detail: fmt.Sprintf("character %d after the prefix is %s; keys use only 0-9, A-Z and a-z", pos, DescribeRune(r))}
}

// DescribeRune names a character that is not allowed in a key in a way that
// is safe to show: printable ASCII punctuation is quoted, anything else is
// given by its code point so invisible characters become visible.
func DescribeRune(r rune) string {
	switch r {
	case ' ':
		return "a space"
	case '\t':
		return "a tab"
	case '\n':
		return "a newline"
	case '\r':
		return "a carriage return"
	case '\u00a0':
		return "a no-break space (U+00A0)"
	case '\u200b':
		return "a zero-width space (U+200B)"
	case '\u200c':
		return "a zero-width non-joiner (U+200C)"
	case '\u200d':
		return "a zero-width joiner (U+200D)"
	case '\u2060':
		return "a word joiner (U+2060)"
	case '\ufeff':
		return "a byte-order mark (U+FEFF)"
	case '\u00ad':
		return "a soft hyphen (U+00AD)"
	case utf8.RuneError:
		return "an invalid UTF-8 byte"
	}
	if r < utf8.RuneSelf && r > ' ' && r < 0x7f {
		return fmt.Sprintf("%q", string(r))
	}
	switch {
	case unicode.IsSpace(r):
		return fmt.Sprintf("a whitespace character (U+%04X)", r)
	case unicode.IsControl(r):
		return fmt.Sprintf("a control character (U+%04X)", r)
	case unicode.Is(unicode.Cf, r):
		return fmt.Sprintf("an invisible formatting character (U+%04X)", r)
	}
	return fmt.Sprintf("the character U+%04X", r)
}

// Hash is the SHA-256 of the full key: keys are high-entropy secrets, so a
// fast unsalted hash is the right lookup digest.
func Hash(key string) [32]byte {
	// Copying into a stack buffer keeps the []byte conversion from escaping
	// for every real key; only absurdly long input takes the allocating path.
	var buf [64]byte
	if len(key) <= len(buf) {
		n := copy(buf[:], key)
		return sha256.Sum256(buf[:n])
	}
	return sha256.Sum256([]byte(key))
}

// HashHex is the lowercase hex form of Hash, as stored.
func HashHex(key string) string {
	h := Hash(key)
	return hex.EncodeToString(h[:])
}

// Env returns "live", "test" or "pat" from the key's prefix, or "" if the
// key has no keygate prefix. It does not validate the rest of the key.
func Env(key string) string {
	switch keyPrefix(key) {
	case PrefixLive:
		return "live"
	case PrefixTest:
		return "test"
	case PrefixPAT:
		return "pat"
	}
	return ""
}

// ErrUnknownPrefix is returned by Generate for a prefix that is not one of the constants.
var ErrUnknownPrefix = errors.New("unknown key prefix")
