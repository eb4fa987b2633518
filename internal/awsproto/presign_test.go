package awsproto

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/berth-registry/berth/internal/errcode"
)

// presign builds a presigned request the way the AWS SDKs presign non-S3 calls (STS
// GetCallerIdentity for EKS tokens, for one): the auth parameters in the query, Host the
// only signed header, and the payload hash that of the (empty) body. params are extra
// query parameters placed before signing; expires "" leaves X-Amz-Expires out.
func presign(t *testing.T, target, service, expires string, now time.Time, params url.Values) *http.Request {
	t.Helper()
	scope := now.Format(scopeFormat) + "/us-east-1/" + service + "/" + terminator
	q := url.Values{}
	for k, vs := range params {
		q[k] = vs
	}
	q.Set("X-Amz-Algorithm", algorithm)
	q.Set("X-Amz-Credential", "AKID/"+scope)
	q.Set("X-Amz-Date", now.Format(basicFormat))
	q.Set("X-Amz-SignedHeaders", "host")
	if expires != "" {
		q.Set("X-Amz-Expires", expires)
	}
	r := httptest.NewRequest(http.MethodGet, target+"?"+q.Encode(), nil)
	sum := sha256.Sum256(nil)
	canonical, err := canonicalRequest(r, []string{"host"}, true, service, hex.EncodeToString(sum[:]))
	if err != nil {
		t.Fatal(err)
	}
	sig := signature(deriveSigningKey("secret", now.Format(scopeFormat), "us-east-1", service), stringToSign(now, scope, canonical))
	r.URL.RawQuery += "&X-Amz-Signature=" + sig
	return r
}

func TestVerifyPresigned(t *testing.T) {
	signedAt := mustTime(t, "20261122T201123Z")
	sts := url.Values{"Action": {"GetCallerIdentity"}, "Version": {"2011-06-15"}}
	tests := []struct {
		name    string
		expires string
		params  url.Values
		now     time.Time
		tamper  func(r *http.Request)
		code    errcode.Code
		message string
		ok      bool
	}{
		{name: "fresh", expires: "60", params: sts, now: signedAt.Add(30 * time.Second), ok: true},
		{name: "last second", expires: "60", params: sts, now: signedAt.Add(60 * time.Second), ok: true},
		{name: "expired", expires: "90", params: sts, now: signedAt.Add(91 * time.Second),
			code: errcode.InvalidSignature, message: "Signature expired: 20261122T201123Z is now earlier than 20261122T201124Z (20261122T201254Z - 90 sec.)"},
		{name: "expired after whole minutes", expires: "60", params: sts, now: signedAt.Add(61 * time.Second),
			code: errcode.InvalidSignature, message: "Signature expired: 20261122T201123Z is now earlier than 20261122T201124Z (20261122T201224Z - 1 min.)"},
		{name: "expiry longer than the skew", expires: "3600", params: sts, now: signedAt.Add(59 * time.Minute), ok: true},
		{name: "a week", expires: "604800", params: sts, now: signedAt.Add(6 * 24 * time.Hour), ok: true},
		{name: "without expiry the skew applies", params: sts, now: signedAt.Add(16 * time.Minute),
			code: errcode.InvalidSignature, message: "Signature expired: 20261122T201123Z is now earlier than 20261122T201223Z (20261122T202723Z - 15 min.)"},
		{name: "not yet current", expires: "60", params: sts, now: signedAt.Add(-16 * time.Minute),
			code: errcode.InvalidSignature, message: "Signature not yet current: 20261122T201123Z is still later than 20261122T201023Z (20261122T195523Z + 15 min.)"},
		{name: "expires not a number", expires: "soon", now: signedAt, code: errcode.IncompleteSignature, message: "X-Amz-Expires should be a number"},
		{name: "negative expires", expires: "-1", now: signedAt, code: errcode.IncompleteSignature, message: "X-Amz-Expires must be non-negative"},
		{name: "more than a week", expires: "604801", now: signedAt, code: errcode.IncompleteSignature,
			message: "X-Amz-Expires must be less than a week (in seconds); that is, the given X-Amz-Expires must be less than 604800 seconds"},
		{name: "session token", expires: "60", params: url.Values{"X-Amz-Security-Token": {"tok en"}}, now: signedAt, ok: true},
		{name: "signature changed", expires: "60", params: sts, now: signedAt,
			tamper: func(r *http.Request) {
				r.URL.RawQuery = strings.Replace(r.URL.RawQuery, "X-Amz-Signature=", "X-Amz-Signature=0", 1)
			},
			code: errcode.InvalidSignature, message: msgSignatureMismatch},
		{name: "parameter added", expires: "60", params: sts, now: signedAt,
			tamper: func(r *http.Request) { r.URL.RawQuery += "&Action=AssumeRole" },
			code:   errcode.InvalidSignature, message: msgSignatureMismatch},
		{name: "expiry extended", expires: "60", params: sts, now: signedAt,
			tamper: func(r *http.Request) {
				r.URL.RawQuery = strings.Replace(r.URL.RawQuery, "X-Amz-Expires=60", "X-Amz-Expires=600", 1)
			},
			code: errcode.InvalidSignature, message: msgSignatureMismatch},
		{name: "host changed", expires: "60", params: sts, now: signedAt,
			tamper: func(r *http.Request) { r.Host = "evil.example" },
			code:   errcode.InvalidSignature, message: msgSignatureMismatch},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := presign(t, "https://sts.localhost/", "sts", tt.expires, signedAt, tt.params)
			if tt.tamper != nil {
				tt.tamper(r)
			}
			v := &Verifier{Now: pinned(tt.now)}
			id, err := v.Verify(context.Background(), r, nil, "sts", secrets(map[string]string{"AKID": "secret"}))
			if !tt.ok {
				wantErr(t, err, tt.code, tt.message)
				return
			}
			if err != nil {
				t.Fatalf("Verify: %v", err)
			}
			if want := tt.params.Get("X-Amz-Security-Token"); id.SessionToken != want || id.Service != "sts" || !id.Date.Equal(signedAt) {
				t.Errorf("identity = %+v", id)
			}
		})
	}
}

func TestVerifyPresignedMissingParameters(t *testing.T) {
	tests := []struct {
		name, query, message string
		code                 errcode.Code
	}{
		{name: "algorithm only", query: "X-Amz-Algorithm=AWS4-HMAC-SHA256", code: errcode.IncompleteSignature,
			message: "AWS query-string parameters must include 'X-Amz-Credential'. AWS query-string parameters must include 'X-Amz-Signature'. " +
				"AWS query-string parameters must include 'X-Amz-SignedHeaders'. AWS query-string parameters must include 'X-Amz-Date'. Re-examine the query-string parameters."},
		{name: "no signature", query: "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKID%2F20261122%2Fus-east-1%2Fsts%2Faws4_request&X-Amz-Date=20261122T201123Z&X-Amz-SignedHeaders=host",
			code: errcode.IncompleteSignature, message: "AWS query-string parameters must include 'X-Amz-Signature'. Re-examine the query-string parameters."},
		{name: "other algorithm", query: "X-Amz-Algorithm=AWS4-ECDSA-P256-SHA256", code: errcode.IncompleteSignature,
			message: "Unsupported AWS 'algorithm': 'AWS4-ECDSA-P256-SHA256'."},
		{name: "host not signed", query: "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKID%2F20261122%2Fus-east-1%2Fsts%2Faws4_request&X-Amz-Date=20261122T201123Z&X-Amz-SignedHeaders=x-amz-date&X-Amz-Signature=00",
			code: errcode.InvalidSignature, message: msgHostNotSigned},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodGet, "https://sts.localhost/?"+tt.query, nil)
			v := &Verifier{Now: pinned(mustTime(t, "20261122T201123Z"))}
			_, err := v.Verify(context.Background(), r, nil, "sts", secrets(map[string]string{"AKID": "secret"}))
			wantErr(t, err, tt.code, tt.message)
		})
	}
}
