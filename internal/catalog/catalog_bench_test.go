package catalog

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"net/http"
	"testing"

	"github.com/keygate/keygate/internal/credential"
	"github.com/keygate/keygate/internal/keys"
	"github.com/keygate/keygate/internal/store"
)

// cacheSizes are the key counts the lookup benchmarks run at: the cost of a
// lookup must not grow with the number of keys.
var cacheSizes = []int{1, 1_000, 100_000, 1_000_000}

// fillCache returns a cache holding n keys, the last of which is key.
// Filler digests are derived from a counter rather than from generated keys
// (a million SHA-256 of random keys would only slow the set-up); they all
// share one entry, so a million keys cost the map and not a million copies
// of store.Key. The map and its probing are what the lookup pays for.
func fillCache(b *testing.B, n int, key string) *KeyCache {
	b.Helper()
	kc := NewKeyCache()
	shared := &KeyEntry{Key: store.Key{ID: "key_filler", State: store.KeyActive}}
	var seed [8]byte
	kc.byHash = make(map[[32]byte]*KeyEntry, n)
	for i := range n - 1 {
		binary.LittleEndian.PutUint64(seed[:], uint64(i))
		kc.byHash[sha256.Sum256(seed[:])] = shared
	}
	kc.Put(&store.Key{ID: "key_bench", Hash: keys.HashHex(key), State: store.KeyActive, Version: 1})
	if kc.Len() != n {
		b.Fatalf("cache holds %d keys, want %d", kc.Len(), n)
	}
	return kc
}

var sinkEntry *KeyEntry

// BenchmarkKeyCacheGet is the map lookup alone, by digest.
func BenchmarkKeyCacheGet(b *testing.B) {
	key, err := keys.Generate(keys.PrefixLive)
	if err != nil {
		b.Fatal(err)
	}
	h := keys.Hash(key)
	for _, n := range cacheSizes {
		b.Run(fmt.Sprintf("keys=%d", n), func(b *testing.B) {
			kc := fillCache(b, n, key)
			b.ReportAllocs()
			for b.Loop() {
				e, ok := kc.Get(h)
				if !ok {
					b.Fatal("key not found")
				}
				sinkEntry = e
			}
		})
	}
}

// BenchmarkKeyParseLookup is what authentication does with a presented
// key: take it from the Authorization header (format and checksum checked),
// hash it, and look the digest up.
func BenchmarkKeyParseLookup(b *testing.B) {
	key, err := keys.Generate(keys.PrefixLive)
	if err != nil {
		b.Fatal(err)
	}
	h := http.Header{"Authorization": {"Bearer " + key}}
	for _, n := range cacheSizes {
		b.Run(fmt.Sprintf("keys=%d", n), func(b *testing.B) {
			kc := fillCache(b, n, key)
			b.ReportAllocs()
			for b.Loop() {
				k, p := credential.Extract(h, nil, credential.OpenAI)
				if p != nil {
					b.Fatal(p)
				}
				e, ok := kc.Get(keys.Hash(k))
				if !ok {
					b.Fatal("key not found")
				}
				sinkEntry = e
			}
		})
	}
}
