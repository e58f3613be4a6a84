package fake

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
)

// deepCopy copies an armnetwork model through its own JSON (un)marshalling, which covers every field.
func deepCopy[T any](v *T) *T {
	if v == nil {
		return nil
	}
	data, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("fake: marshalling %T: %v", v, err)) // armnetwork models always marshal
	}
	out := new(T)
	if err := json.Unmarshal(data, out); err != nil {
		panic(fmt.Sprintf("fake: unmarshalling %T: %v", v, err))
	}
	return out
}

// newUUID returns a random version 4 UUID.
func newUUID() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(fmt.Sprintf("fake: crypto/rand: %v", err))
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

// newEtag returns a fresh etag in the weak form Microsoft.Network uses.
func newEtag() string { return `W/"` + newUUID() + `"` }

// randomToken returns an opaque bearer token.
func randomToken() string {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(fmt.Sprintf("fake: crypto/rand: %v", err))
	}
	return hex.EncodeToString(b[:])
}
