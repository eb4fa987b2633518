package awsproto

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// FuzzParseAuthorization feeds arbitrary Authorization headers (and X-Amz-Date values) to
// the parser and to the whole of Verify: neither may panic, and every failure must be an
// error a client can be shown.
func FuzzParseAuthorization(f *testing.F) {
	f.Add("AWS4-HMAC-SHA256 Credential=test/20261122/us-east-1/ecr/aws4_request, SignedHeaders=content-type;host;x-amz-date;x-amz-target, Signature=9d90dc4d6208fac75382ee3bed1bb1ed732a3ec9fadb0437ba1e25fd2e8189fe", "20261122T201123Z")
	f.Add("AWS4-HMAC-SHA256 Credential=test/20261122/us-east-1/ecr/aws4_request, SignedHeaders=amz-sdk-invocation-id;amz-sdk-request;content-length;content-type;host;x-amz-date;x-amz-target, Signature=2d9af392b04d47a29b4d74e040e44885d348b7e3d77b115df7fdb1a9f3a547a6", "20261122T201453Z")
	f.Add("AWS4-HMAC-SHA256", "")
	f.Add("AWS4-HMAC-SHA256 Credential=, SignedHeaders=, Signature=", "x")
	f.Add("AWS4-HMAC-SHA256 Credential=a/b/c/d/e/f,,, ,SignedHeaders=;;;HOST;;,Signature", "Sun, 22 Nov 2026 20:11:23 GMT")
	f.Add("Basic QVdTOnRva2Vu", "20261122T201123Z")
	f.Add("AWS4-HMAC-SHA256\tCredential==/=/=/=/=\x00", "99999999T999999Z")
	f.Fuzz(func(t *testing.T, header, date string) {
		h := http.Header{}
		h.Set("X-Amz-Date", date)
		a, err := parseAuthHeader(header, h)
		if err == nil {
			for _, name := range a.signedHeaders {
				if name == "" || name != strings.ToLower(name) {
					t.Fatalf("signed header %q is not canonical", name)
				}
			}
		}
		r := &http.Request{Method: http.MethodPost, URL: &url.URL{Path: "/"}, Host: "localhost", Header: http.Header{}}
		r.Header.Set("Authorization", header)
		r.Header.Set("X-Amz-Date", date)
		r.Header.Set("Content-Type", ContentTypeJSON11)
		v := &Verifier{Now: pinned(time.Date(2026, 11, 22, 20, 11, 23, 0, time.UTC))}
		if _, err := v.Verify(context.Background(), r, []byte("{}"), "ecr", testSecrets); err == nil && !strings.HasPrefix(header, algorithm) {
			t.Fatalf("Verify accepted %q", header)
		}
	})
}

// FuzzVerifyQuery does the same for the presigned form and the query string.
func FuzzVerifyQuery(f *testing.F) {
	f.Add("X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKID%2F20261122%2Fus-east-1%2Fsts%2Faws4_request&X-Amz-Date=20261122T201123Z&X-Amz-SignedHeaders=host&X-Amz-Expires=60&X-Amz-Signature=00")
	f.Add("X-Amz-Algorithm=&&&=&%&%zz")
	f.Add("X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Expires=-99999999999999999999")
	f.Fuzz(func(t *testing.T, query string) {
		r := &http.Request{Method: http.MethodGet, URL: &url.URL{Path: "/", RawQuery: query}, Host: "localhost", Header: http.Header{}}
		v := &Verifier{Now: pinned(time.Date(2026, 11, 22, 20, 11, 23, 0, time.UTC))}
		_, _ = v.Verify(context.Background(), r, nil, "sts", testSecrets)
	})
}

// FuzzDecode: any body, never a panic.
func FuzzDecode(f *testing.F) {
	f.Add(`{"repositoryName": "team/app", "maxResults": 2}`)
	f.Add(`{"imageIds":[{"imageTag":1.5}],"maxResults":1e400,"createdAt":"x","tags":{"a":null}}`)
	f.Add(`[`)
	f.Fuzz(func(t *testing.T, body string) {
		var req decodeRequest
		_ = Decode([]byte(body), &req)
	})
}
