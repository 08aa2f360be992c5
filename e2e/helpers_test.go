package e2e

import "github.com/keygate/keygate/internal/keys"

func checksumOf(s string) string { return keys.Checksum(s) }
