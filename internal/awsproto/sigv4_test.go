package awsproto

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/berth-registry/berth/internal/errcode"
)

func mustTime(t *testing.T, s string) time.Time {
	t.Helper()
	d, err := time.Parse(basicFormat, s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func wantErr(t *testing.T, err error, code errcode.Code, message string) {
	t.Helper()
	var e *errcode.Error
	if !errors.As(err, &e) {
		t.Fatalf("error = %v, want an *errcode.Error %v", err, code)
	}
	if e.Code != code || e.Message != message {
		t.Errorf("error = %v %q\nwant    %v %q", e.Code, e.Message, code, message)
	}
}

// Vectors from AWS's SigV4 documentation and test suite (get-vanilla; the IAM ListUsers
// example), recomputed independently of this package.
func TestSignAWSVectors(t *testing.T) {
	const secret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
	tests := []struct {
		name, url, service, contentType, want string
	}{
		{name: "get-vanilla", url: "https://example.amazonaws.com/", service: "service",
			want: "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"},
		{name: "iam list users", url: "https://iam.amazonaws.com/?Action=ListUsers&Version=2010-05-08", service: "iam",
			contentType: "application/x-www-form-urlencoded; charset=utf-8",
			want:        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/iam/aws4_request, SignedHeaders=content-type;host;x-amz-date, Signature=5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodGet, tt.url, nil)
			r.Header = http.Header{}
			if tt.contentType != "" {
				r.Header.Set("Content-Type", tt.contentType)
			}
			now := mustTime(t, "20150830T123600Z")
			if err := Sign(r, nil, "AKIDEXAMPLE", secret, "us-east-1", tt.service, now); err != nil {
				t.Fatal(err)
			}
			if got := r.Header.Get("Authorization"); got != tt.want {
				t.Errorf("Authorization =\n%s\nwant\n%s", got, tt.want)
			}
			v := &Verifier{Now: pinned(now)}
			if _, err := v.Verify(context.Background(), r, nil, tt.service, secrets(map[string]string{"AKIDEXAMPLE": secret})); err != nil {
				t.Errorf("Verify: %v", err)
			}
		})
	}
}

func TestSignVerifyRoundTrip(t *testing.T) {
	now := mustTime(t, "20261122T201123Z")
	tests := []struct {
		name    string
		method  string
		target  string
		headers map[string][]string
		body    string
		service string
	}{
		{name: "ecr json", method: http.MethodPost, target: "http://127.0.0.1:5009/", service: "ecr",
			headers: map[string][]string{"Content-Type": {ContentTypeJSON11}, "X-Amz-Target": {"AmazonEC2ContainerRegistry_V20150921.ListImages"}},
			body:    `{"repositoryName":"team/app"}`},
		{name: "iam query form", method: http.MethodPost, target: "https://localhost/", service: "iam",
			headers: map[string][]string{"Content-Type": {"application/x-www-form-urlencoded; charset=utf-8"}},
			body:    "Action=ListUsers&Version=2010-05-08"},
		{name: "query with repeats, spaces and reserved characters", method: http.MethodGet, service: "sts",
			target: "http://localhost:8080/?b=2&a=2&a=1&empty=&sp=a+b&pct=%2F%3D%26&uni=%C3%A9&tilde=~x&star=*"},
		{name: "keys that are prefixes of each other", method: http.MethodGet, service: "sts",
			target: "http://localhost/?a-b=1&a=2&a.c=3&A=4"},
		{name: "escaped path", method: http.MethodGet, service: "ecr-public", target: "http://localhost/a%20b/c%2Fd/%C3%A9/"},
		{name: "empty path", method: http.MethodGet, service: "ecr", target: "http://localhost"},
		{name: "multi-valued header with spaces", method: http.MethodPut, service: "ecr", target: "http://localhost/",
			headers: map[string][]string{"X-Custom": {"  a   b  ", "c"}, "X-Amz-Security-Token": {"token"}}, body: "x"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(tt.method, tt.target, strings.NewReader(tt.body))
			for k, vs := range tt.headers {
				for _, v := range vs {
					r.Header.Add(k, v)
				}
			}
			if err := Sign(r, []byte(tt.body), "AKID", "secret", "us-east-1", tt.service, now); err != nil {
				t.Fatal(err)
			}
			v := &Verifier{Now: pinned(now)}
			id, err := v.Verify(context.Background(), r, []byte(tt.body), tt.service, secrets(map[string]string{"AKID": "secret"}))
			if err != nil {
				t.Fatalf("Verify: %v", err)
			}
			if id.AccessKeyID != "AKID" || id.Service != tt.service || !id.Date.Equal(now) {
				t.Errorf("identity = %+v", id)
			}
			if want := r.Header.Get("X-Amz-Security-Token"); id.SessionToken != want {
				t.Errorf("session token = %q, want %q", id.SessionToken, want)
			}
		})
	}
}

// A request signed by the client side of net/http must verify on its server side, where
// Host, Content-Length and the raw path and query come from the wire.
func TestSignVerifyOverHTTP(t *testing.T) {
	var v Verifier
	lookup := secrets(map[string]string{"AKID": "secret"})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := ReadBody(r, 1<<20)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		id, err := v.Verify(r.Context(), r, body, "ecr", lookup)
		if err != nil {
			http.Error(w, err.Error(), http.StatusForbidden)
			return
		}
		fmt.Fprint(w, id.AccessKeyID)
	}))
	defer srv.Close()
	for _, path := range []string{"/", "/a%2Fb/c%20d", "/?x=1&y=%2B+&x=0"} {
		body := []byte(`{"repositoryName":"team/app"}`)
		r, err := http.NewRequestWithContext(context.Background(), http.MethodPost, srv.URL+path, bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		r.Header.Set("Content-Type", ContentTypeJSON11)
		r.Header.Set("X-Amz-Target", "AmazonEC2ContainerRegistry_V20150921.CreateRepository")
		if err := Sign(r, body, "AKID", "secret", "us-east-1", "ecr", time.Now()); err != nil {
			t.Fatal(err)
		}
		resp, err := srv.Client().Do(r)
		if err != nil {
			t.Fatal(err)
		}
		got, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || string(got) != "AKID" {
			t.Errorf("%s: %d %s", path, resp.StatusCode, got)
		}
	}
}

func TestSignRejectsIncompleteInput(t *testing.T) {
	now := time.Now()
	noHost := &http.Request{Method: http.MethodGet, URL: &url.URL{Path: "/"}}
	tests := []struct {
		name string
		r    *http.Request
		akid string
	}{
		{name: "nil request", r: nil, akid: "a"},
		{name: "no access key", r: httptest.NewRequest(http.MethodGet, "http://h/", nil), akid: ""},
		{name: "no host", r: noHost, akid: "a"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := Sign(tt.r, nil, tt.akid, "s", "us-east-1", "ecr", now); err == nil {
				t.Error("Sign succeeded")
			}
		})
	}
}

// signed returns a header-signed ECR request and its verification clock.
func signed(t *testing.T) (*http.Request, time.Time) {
	t.Helper()
	now := mustTime(t, "20261122T201123Z")
	r := httptest.NewRequest(http.MethodPost, "http://localhost/", strings.NewReader("{}"))
	r.Header.Set("Content-Type", ContentTypeJSON11)
	if err := Sign(r, []byte("{}"), "AKID", "secret", "us-east-1", "ecr", now); err != nil {
		t.Fatal(err)
	}
	return r, now
}

func TestVerifyAuthorizationHeaderErrors(t *testing.T) {
	const cred = "Credential=AKID/20261122/us-east-1/ecr/aws4_request"
	const sh = "SignedHeaders=content-type;host;x-amz-date"
	const sig = "Signature=0123"
	tests := []struct {
		name    string
		auth    []string // Authorization headers; nil for none
		date    string   // X-Amz-Date; "-" for none
		query   string
		code    errcode.Code
		message string
	}{
		{name: "no authorization", code: errcode.MissingAuthenticationToken, message: "Missing Authentication Token"},
		{name: "empty authorization", auth: []string{"   "}, code: errcode.MissingAuthenticationToken, message: "Missing Authentication Token"},
		{name: "basic", auth: []string{"Basic QVdTOnRva2Vu"}, code: errcode.IncompleteSignature, message: "Unsupported AWS 'algorithm': 'Basic'."},
		{name: "other algorithm", auth: []string{"AWS4-HMAC-SHA512 " + cred}, code: errcode.IncompleteSignature, message: "Unsupported AWS 'algorithm': 'AWS4-HMAC-SHA512'."},
		{name: "algorithm alone", auth: []string{"AWS4-HMAC-SHA256"}, code: errcode.IncompleteSignature,
			message: "Authorization header requires 'Credential' parameter. Authorization header requires 'Signature' parameter. Authorization header requires 'SignedHeaders' parameter. Authorization=AWS4-HMAC-SHA256"},
		{name: "everything missing", auth: []string{"AWS4-HMAC-SHA256 "}, date: "-", code: errcode.IncompleteSignature,
			message: "Authorization header requires 'Credential' parameter. Authorization header requires 'Signature' parameter. Authorization header requires 'SignedHeaders' parameter. Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. Authorization=AWS4-HMAC-SHA256"},
		{name: "no signature", auth: []string{"AWS4-HMAC-SHA256 " + cred + ", " + sh}, code: errcode.IncompleteSignature,
			message: "Authorization header requires 'Signature' parameter. Authorization=AWS4-HMAC-SHA256 " + cred + ", " + sh},
		{name: "no equal sign", auth: []string{"AWS4-HMAC-SHA256 Credential= AKID/20261122/us-east-1/ecr/aws4_request, " + sh + ", " + sig}, code: errcode.IncompleteSignature,
			message: "'AKID/20261122/us-east-1/ecr/aws4_request' not a valid key=value pair (missing equal-sign) in Authorization header: 'AWS4-HMAC-SHA256 Credential= AKID/20261122/us-east-1/ecr/aws4_request, " + sh + ", " + sig + "'."},
		{name: "host not signed", auth: []string{"AWS4-HMAC-SHA256 " + cred + ", SignedHeaders=x-amz-date, " + sig}, code: errcode.InvalidSignature,
			message: "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization."},
		{name: "empty signed headers", auth: []string{"AWS4-HMAC-SHA256 " + cred + ", SignedHeaders=, Signature="}, code: errcode.InvalidSignature,
			message: "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization."},
		{name: "four-part credential", auth: []string{"AWS4-HMAC-SHA256 Credential=AKID/20261122/us-east-1/ecr, " + sh + ", " + sig}, code: errcode.IncompleteSignature,
			message: "Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got 'AKID/20261122/us-east-1/ecr'"},
		{name: "every scope part wrong", auth: []string{"AWS4-HMAC-SHA256 Credential=AKID/20261121/eu-west-9/s3/aws5_request, " + sh + ", " + sig}, code: errcode.InvalidSignature,
			message: "Credential should be scoped to a valid region, not 'eu-west-9'. Credential should be scoped to correct service: 'ecr'. " +
				"Credential should be scoped with a valid terminator: 'aws4_request', not 'aws5_request'. " +
				"Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '20261121' != '20261122', from '20261122T201123Z'."},
		{name: "empty access key", auth: []string{"AWS4-HMAC-SHA256 Credential=/20261122/us-east-1/ecr/aws4_request, " + sh + ", " + sig}, code: errcode.UnrecognizedClient,
			message: "The security token included in the request is invalid."},
		{name: "header and query", auth: []string{"AWS4-HMAC-SHA256 " + cred + ", " + sh + ", " + sig}, query: "X-Amz-Algorithm=AWS4-HMAC-SHA256", code: errcode.InvalidSignature,
			message: "Found both 'X-Amz-Algorithm' as a query-string param and 'Authorization' as HTTP header."},
		{name: "bad percent-encoding", auth: []string{"AWS4-HMAC-SHA256 " + cred + ", " + sh + ", " + sig}, query: "a=%zz", code: errcode.IncompleteSignature,
			message: "The query string is malformed: 'a=%zz' is not valid percent-encoding. Encode it as RFC 3986 requires and sign it again."},
		{name: "last of repeated parameters wins", auth: []string{"AWS4-HMAC-SHA256 Credential=x, " + cred + ", " + sh + ", " + sig}, code: errcode.InvalidSignature,
			message: msgSignatureMismatch},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodPost, "http://localhost/?"+tt.query, strings.NewReader("{}"))
			r.Header.Set("Content-Type", ContentTypeJSON11)
			if tt.date != "-" {
				r.Header.Set("X-Amz-Date", cmpOr(tt.date, "20261122T201123Z"))
			}
			for _, a := range tt.auth {
				r.Header.Add("Authorization", a)
			}
			v := &Verifier{Now: pinned(mustTime(t, "20261122T201123Z"))}
			_, err := v.Verify(context.Background(), r, []byte("{}"), "ecr", secrets(map[string]string{"AKID": "secret"}))
			wantErr(t, err, tt.code, tt.message)
		})
	}
}

// A Date header stands in for X-Amz-Date, in either format.
func TestVerifyDateHeader(t *testing.T) {
	now := mustTime(t, "20261122T201123Z")
	for _, date := range []string{"20261122T201123Z", "Sun, 22 Nov 2026 20:11:23 GMT"} {
		r := httptest.NewRequest(http.MethodGet, "http://localhost/", nil)
		r.Header.Set("Date", date)
		canonical, err := canonicalRequest(r, []string{"date", "host"}, false, "ecr", hex.EncodeToString(sha256.New().Sum(nil)))
		if err != nil {
			t.Fatal(err)
		}
		scope := "20261122/us-east-1/ecr/aws4_request"
		sig := signature(deriveSigningKey("secret", "20261122", "us-east-1", "ecr"), stringToSign(now, scope, canonical))
		r.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKID/"+scope+", SignedHeaders=date;host, Signature="+sig)
		v := &Verifier{Now: pinned(now)}
		if _, err := v.Verify(context.Background(), r, nil, "ecr", secrets(map[string]string{"AKID": "secret"})); err != nil {
			t.Errorf("Date %q: %v", date, err)
		}
	}
}

func TestVerifyUsesFirstAuthorizationHeader(t *testing.T) {
	r, now := signed(t)
	r.Header.Add("Authorization", "garbage")
	v := &Verifier{Now: pinned(now)}
	if _, err := v.Verify(context.Background(), r, []byte("{}"), "ecr", secrets(map[string]string{"AKID": "secret"})); err != nil {
		t.Fatal(err)
	}
}

func TestSigningKeyCacheIsBounded(t *testing.T) {
	var c keyCache
	for i := range maxCachedKeys + 10 {
		c.signingKey(fmt.Sprint("secret", i), "20261122", "us-east-1", "ecr")
	}
	if n := c.len(); n > maxCachedKeys {
		t.Errorf("cache holds %d keys, want at most %d", n, maxCachedKeys)
	}
	got := c.signingKey("s", "20261122", "us-east-1", "ecr")
	if want := deriveSigningKey("s", "20261122", "us-east-1", "ecr"); !bytes.Equal(got, want) {
		t.Errorf("cached key differs from derived key")
	}
	if again := c.signingKey("s", "20261122", "us-east-1", "ecr"); !bytes.Equal(got, again) {
		t.Errorf("second lookup differs")
	}
}

// One Verifier, and its key cache, serves every request at once (run with -race).
func TestVerifyConcurrently(t *testing.T) {
	caps := loadCaptures(t)
	// All captures were signed between 20:11:23 and 20:15:04, within the skew of this clock.
	v := &Verifier{Now: pinned(mustTime(t, "20261122T201300Z"))}
	var wg sync.WaitGroup
	errs := make(chan error, len(caps)*8)
	for range 8 {
		for _, c := range caps {
			wg.Add(1)
			go func() {
				defer wg.Done()
				r, err := http.ReadRequest(bufio.NewReader(strings.NewReader(c.raw)))
				if err != nil {
					errs <- err
					return
				}
				body, err := io.ReadAll(r.Body)
				if err != nil {
					errs <- err
					return
				}
				if _, err := v.Verify(context.Background(), r, body, "ecr", testSecrets); err != nil {
					errs <- fmt.Errorf("%s: %w", c.name, err)
				}
			}()
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func TestCanonicalURI(t *testing.T) {
	tests := []struct {
		raw, service, want string
	}{
		{raw: "http://h", service: "ecr", want: "/"},
		{raw: "http://h/", service: "ecr", want: "/"},
		{raw: "http://h/a%20b/c%2Fd/%C3%A9/~x", service: "ecr", want: "/a%2520b/c%252Fd/%25C3%25A9/~x"},
		{raw: "http://h/a%20b/c%2Fd/%C3%A9/~x", service: "s3", want: "/a%20b/c/d/%C3%A9/~x"},
		{raw: "http://h/a+b*", service: "ecr", want: "/a%2Bb%2A"},
	}
	for _, tt := range tests {
		u, err := url.Parse(tt.raw)
		if err != nil {
			t.Fatal(err)
		}
		if got := canonicalURI(u, tt.service); got != tt.want {
			t.Errorf("canonicalURI(%s, %s) = %s, want %s", tt.raw, tt.service, got, tt.want)
		}
	}
}

// A declared payload hash that is neither a SHA-256 nor UNSIGNED-PAYLOAD (S3's streaming
// forms) is refused: berth's services do not take streamed, chunk-signed bodies.
func TestVerifyRejectsOtherPayloadHashes(t *testing.T) {
	r, now := signed(t)
	r.Header.Set("X-Amz-Content-Sha256", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD")
	v := &Verifier{Now: pinned(now)}
	_, err := v.Verify(context.Background(), r, []byte("{}"), "ecr", secrets(map[string]string{"AKID": "secret"}))
	wantErr(t, err, errcode.InvalidSignature,
		"x-amz-content-sha256 must be UNSIGNED-PAYLOAD or the hex SHA-256 of the payload, not 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD'.")
}

// Sign leaves out the headers proxies rewrite, and a signed X-Amz-Content-Sha256 of
// UNSIGNED-PAYLOAD verifies whatever the body.
func TestSignHeaderChoice(t *testing.T) {
	now := mustTime(t, "20261122T201123Z")
	r := httptest.NewRequest(http.MethodPut, "http://localhost/", strings.NewReader("abc"))
	r.Header.Set("User-Agent", "berth")
	r.Header.Set("X-Amzn-Trace-Id", "Root=1")
	r.Header.Set("X-Amz-Content-Sha256", unsignedPayload)
	if err := Sign(r, []byte("abc"), "AKID", "secret", "us-east-1", "ecr", now); err != nil {
		t.Fatal(err)
	}
	if auth := r.Header.Get("Authorization"); !strings.Contains(auth, "SignedHeaders=host;x-amz-content-sha256;x-amz-date,") {
		t.Errorf("Authorization = %s", auth)
	}
	r.Header.Set("User-Agent", "proxy")
	v := &Verifier{Now: pinned(now)}
	if _, err := v.Verify(context.Background(), r, []byte("other body"), "ecr", secrets(map[string]string{"AKID": "secret"})); err != nil {
		t.Errorf("Verify: %v", err)
	}
}
