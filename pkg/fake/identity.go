package fake

import (
	"crypto/subtle"
	"math"
	"net/http"
	"net/url"
	"strings"
)

// serveIdentity serves what MSAL (under azidentity) needs from an authority host:
//
//	GET  /{tenant}/v2.0/.well-known/openid-configuration  tenant discovery
//	GET  /common/discovery/instance                       instance discovery
//	POST /{tenant}/oauth2/v2.0/token                      client_credentials with a client secret
//
// Errors are OAuth2 error bodies, as Entra ID answers them.
func (c *Cloud) serveIdentity(w http.ResponseWriter, r *http.Request) {
	segs := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	switch {
	case len(segs) == 4 && segs[1] == "v2.0" && segs[2] == ".well-known" && segs[3] == "openid-configuration" && r.Method == http.MethodGet:
		if !c.knownTenant(segs[0]) {
			oauthError(w, http.StatusBadRequest, "invalid_tenant", "AADSTS90002: Tenant '"+segs[0]+"' not found.")
			return
		}
		c.serveOpenIDConfiguration(w, r, segs[0])
	case len(segs) == 3 && segs[1] == "discovery" && segs[2] == "instance" && r.Method == http.MethodGet:
		c.serveInstanceDiscovery(w, r)
	case len(segs) == 4 && segs[1] == "oauth2" && segs[2] == "v2.0" && segs[3] == "token" && r.Method == http.MethodPost:
		if !c.knownTenant(segs[0]) {
			oauthError(w, http.StatusBadRequest, "invalid_tenant", "AADSTS90002: Tenant '"+segs[0]+"' not found.")
			return
		}
		c.serveToken(w, r)
	default:
		oauthError(w, http.StatusNotFound, "not_found", "The fake Azure serves no identity endpoint at "+r.URL.Path+".")
	}
}

func (c *Cloud) knownTenant(t string) bool { return strings.EqualFold(t, c.opts.TenantID) }

func (c *Cloud) serveOpenIDConfiguration(w http.ResponseWriter, r *http.Request, tenant string) {
	base := baseURL(r) + "/" + tenant
	writeJSON(w, http.StatusOK, map[string]any{
		"issuer":                                base + "/v2.0",
		"authorization_endpoint":                base + "/oauth2/v2.0/authorize",
		"token_endpoint":                        base + "/oauth2/v2.0/token",
		"token_endpoint_auth_methods_supported": []string{"client_secret_post"},
		"response_types_supported":              []string{"token"},
		"tenant_region_scope":                   "NA",
		"cloud_instance_name":                   r.Host,
	})
}

// serveInstanceDiscovery answers for the authority the request names (authorization_endpoint); MSAL
// asks for it only when instance discovery is not disabled, and sends it to
// login.microsoftonline.com for hosts it does not know, so it reaches the fake only through an
// in-process transport.
func (c *Cloud) serveInstanceDiscovery(w http.ResponseWriter, r *http.Request) {
	host := r.Host
	tenant := c.opts.TenantID
	if u, err := url.Parse(r.URL.Query().Get("authorization_endpoint")); err == nil && u.Host != "" {
		host = u.Host
		if segs := strings.Split(strings.Trim(u.Path, "/"), "/"); len(segs) > 0 && segs[0] != "" {
			tenant = segs[0]
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"tenant_discovery_endpoint": "https://" + host + "/" + tenant + "/v2.0/.well-known/openid-configuration",
		"api-version":               "1.1",
		"metadata": []map[string]any{{
			"preferred_network": host,
			"preferred_cache":   host,
			"aliases":           []string{host},
		}},
	})
}

func (c *Cloud) serveToken(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		oauthError(w, http.StatusBadRequest, "invalid_request", "AADSTS900144: The request body must be form-encoded.")
		return
	}
	if gt := r.PostForm.Get("grant_type"); gt != "client_credentials" {
		oauthError(w, http.StatusBadRequest, "unsupported_grant_type",
			"AADSTS70003: The fake Azure supports grant_type client_credentials only, not '"+gt+"'.")
		return
	}
	clientID, secret := r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
	if clientID == "" || secret == "" {
		oauthError(w, http.StatusBadRequest, "invalid_request", "AADSTS900144: client_id and client_secret are required.")
		return
	}
	if r.PostForm.Get("scope") == "" {
		oauthError(w, http.StatusBadRequest, "invalid_request", "AADSTS900144: The request body must contain the parameter 'scope'.")
		return
	}
	if len(c.opts.ClientSecrets) > 0 {
		want, known := c.opts.ClientSecrets[clientID]
		if !known {
			oauthError(w, http.StatusBadRequest, "unauthorized_client",
				"AADSTS700016: Application with identifier '"+clientID+"' was not found in the directory.")
			return
		}
		if subtle.ConstantTimeCompare([]byte(want), []byte(secret)) != 1 {
			oauthError(w, http.StatusUnauthorized, "invalid_client", "AADSTS7000215: Invalid client secret provided.")
			return
		}
	}
	token, expires := c.tokens.issue()
	seconds := int64(math.Round(expires.Sub(c.clock.Now()).Seconds()))
	writeJSON(w, http.StatusOK, map[string]any{
		"token_type":     "Bearer",
		"expires_in":     seconds,
		"ext_expires_in": seconds,
		"access_token":   token,
	})
}

func oauthError(w http.ResponseWriter, status int, code, description string) {
	writeJSON(w, status, map[string]any{
		"error":             code,
		"error_description": description,
		"error_codes":       []int{},
	})
}
