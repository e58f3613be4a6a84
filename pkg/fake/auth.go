package fake

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"k8s.io/utils/clock"
)

// tokenStore issues opaque bearer tokens that expire on the cloud's clock and checks them.
type tokenStore struct {
	clock    clock.PassiveClock
	lifetime time.Duration

	mu     sync.Mutex
	tokens map[string]tokenInfo
}

type tokenInfo struct {
	expires time.Time
}

// issue mints a token and forgets the expired ones.
func (t *tokenStore) issue() (string, time.Time) {
	now := t.clock.Now()
	token := randomToken()
	t.mu.Lock()
	defer t.mu.Unlock()
	for k, info := range t.tokens {
		if !now.Before(info.expires) {
			delete(t.tokens, k)
		}
	}
	expires := now.Add(t.lifetime)
	t.tokens[token] = tokenInfo{expires: expires}
	return token, expires
}

// check validates an Authorization header value, answering as ARM does when it is missing, not a
// bearer token, unknown, or expired.
func (t *tokenStore) check(header string) *Error {
	if header == "" {
		return newError(http.StatusUnauthorized, CodeAuthenticationFailed,
			"Authentication failed. The 'Authorization' header is missing.")
	}
	scheme, token, ok := strings.Cut(header, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(token) == "" {
		return newError(http.StatusUnauthorized, CodeAuthenticationFailed,
			"Authentication failed. The 'Authorization' header is provided in an invalid format.")
	}
	t.mu.Lock()
	info, known := t.tokens[strings.TrimSpace(token)]
	t.mu.Unlock()
	if !known {
		return newError(http.StatusUnauthorized, CodeInvalidAuthenticationToken, "The access token is invalid.")
	}
	if now := t.clock.Now(); !now.Before(info.expires) {
		return newError(http.StatusUnauthorized, CodeExpiredAuthenticationToken,
			"The access token expiry UTC time '%s' is earlier than current UTC time '%s'.",
			info.expires.UTC().Format(time.RFC1123), now.UTC().Format(time.RFC1123))
	}
	return nil
}

// TokenCredential returns a credential whose tokens the cloud accepts, minted without HTTP. Their
// ExpiresOn is the remaining lifetime (on the cloud's clock) counted from the real time, which is
// what the SDK's token cache compares against.
func (c *Cloud) TokenCredential() azcore.TokenCredential { return inProcessCredential{c: c} }

type inProcessCredential struct{ c *Cloud }

func (ic inProcessCredential) GetToken(context.Context, policy.TokenRequestOptions) (azcore.AccessToken, error) {
	token, expires := ic.c.tokens.issue()
	remaining := expires.Sub(ic.c.clock.Now())
	return azcore.AccessToken{Token: token, ExpiresOn: time.Now().Add(remaining)}, nil
}
