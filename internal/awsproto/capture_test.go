package awsproto

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/berth-registry/berth/internal/errcode"
)

// The captures in testdata/ are requests the aws CLI (botocore) and aws-sdk-go-v2 sent to
// a local ECR stand-in, byte for byte (CRLF kept), each followed by the response. Every
// request is signed with access key "test" and secret "test"; replayed with the clock at
// its X-Amz-Date, each must verify.

// captured is one request read from a capture file.
type captured struct {
	name string
	// raw is the request as it went over the wire.
	raw string
}

func loadCaptures(t *testing.T) []captured {
	t.Helper()
	files, err := filepath.Glob("testdata/aws-wire-*.raw")
	if err != nil || len(files) == 0 {
		t.Fatalf("no capture files: %v", err)
	}
	var out []captured
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		blocks := strings.Split(string(data), "===== REQUEST =====\n")[1:]
		for i, block := range blocks {
			req, _, ok := strings.Cut(block, "\n===== RESPONSE =====\n")
			if !ok {
				t.Fatalf("%s: request %d has no response marker", f, i)
			}
			out = append(out, captured{name: fmt.Sprintf("%s#%d", filepath.Base(f), i), raw: req})
		}
	}
	return out
}

// parse reads a raw request the way berth's HTTP server does.
func (c captured) parse(t *testing.T) (*http.Request, []byte) {
	t.Helper()
	return parseRaw(t, c.raw)
}

func parseRaw(t *testing.T, raw string) (*http.Request, []byte) {
	t.Helper()
	r, err := http.ReadRequest(bufio.NewReader(strings.NewReader(raw)))
	if err != nil {
		t.Fatalf("parse request: %v", err)
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		t.Fatalf("read body: %v", err)
	}
	return r, body
}

func secrets(keys map[string]string) SecretLookup {
	return func(_ context.Context, id, _ string) (string, error) {
		if s, ok := keys[id]; ok {
			return s, nil
		}
		return "", fmt.Errorf("access key %q: %w", id, ErrUnknownAccessKey)
	}
}

var testSecrets = secrets(map[string]string{"test": "test"})

func pinned(t time.Time) func() time.Time { return func() time.Time { return t } }

func amzDate(t *testing.T, r *http.Request) time.Time {
	t.Helper()
	d, err := time.Parse(basicFormat, r.Header.Get("X-Amz-Date"))
	if err != nil {
		t.Fatalf("X-Amz-Date: %v", err)
	}
	return d
}

func TestVerifyCaptures(t *testing.T) {
	caps := loadCaptures(t)
	if len(caps) != 14 {
		t.Fatalf("got %d captured requests, want 14", len(caps))
	}
	for _, c := range caps {
		t.Run(c.name, func(t *testing.T) {
			r, body := c.parse(t)
			date := amzDate(t, r)
			v := &Verifier{Now: pinned(date)}
			id, err := v.Verify(context.Background(), r, body, "ecr", testSecrets)
			if err != nil {
				t.Fatalf("Verify: %v", err)
			}
			want := Identity{AccessKeyID: "test", Region: "us-east-1", Service: "ecr", Date: date}
			if id != want {
				t.Errorf("identity = %+v, want %+v", id, want)
			}
		})
	}
}

// The captures include both signers: botocore signs four headers, the Go SDK seven,
// among them amz-sdk-invocation-id, amz-sdk-request and content-length.
func TestVerifyCapturesCoverBothSigners(t *testing.T) {
	var botocore, gosdk int
	for _, c := range loadCaptures(t) {
		r, _ := c.parse(t)
		switch auth := r.Header.Get("Authorization"); {
		case strings.Contains(auth, "SignedHeaders=content-type;host;x-amz-date;x-amz-target,"):
			botocore++
		case strings.Contains(auth, "SignedHeaders=amz-sdk-invocation-id;amz-sdk-request;content-length;content-type;host;x-amz-date;x-amz-target,"):
			gosdk++
		}
	}
	if botocore != 10 || gosdk != 4 {
		t.Errorf("botocore-signed %d, Go-SDK-signed %d; want 10 and 4", botocore, gosdk)
	}
}

// captureOf returns the first capture whose raw request contains marker.
func captureOf(t *testing.T, marker string) captured {
	t.Helper()
	for _, c := range loadCaptures(t) {
		if strings.Contains(c.raw, marker) {
			return c
		}
	}
	t.Fatalf("no capture contains %q", marker)
	return captured{}
}

func TestVerifyCaptureMutations(t *testing.T) {
	cli := captureOf(t, "aws-cli/1.45.11")           // CreateRepository, 20261122T201123Z
	gosdk := captureOf(t, "aws-sdk-go-v2/1.47.7 ua") // CreateRepository, 20261122T201453Z
	at := func(s string) time.Time {
		d, err := time.Parse(basicFormat, s)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	tests := []struct {
		name    string
		capture captured
		mutate  func(t *testing.T, raw string) string
		body    func(body []byte) []byte
		now     time.Time // zero: the request's X-Amz-Date
		regions []string
		skew    time.Duration
		service string
		lookup  SecretLookup
		code    errcode.Code
		message string // exact; "" with code == Internal means success
		ok      bool
	}{
		{name: "cli unchanged", capture: cli, ok: true},
		{name: "go sdk unchanged", capture: gosdk, ok: true},
		{name: "cli body changed", capture: cli, body: func(b []byte) []byte { return []byte(strings.Replace(string(b), "team/app", "team/apq", 1)) },
			code: errcode.InvalidSignature, message: msgSignatureMismatch},
		{name: "go sdk body changed", capture: gosdk, body: func(b []byte) []byte { return append(b[:len(b)-1:len(b)-1], ' ', '}') },
			code: errcode.InvalidSignature, message: msgSignatureMismatch},
		{name: "signed header changed", capture: cli, mutate: replace("X-Amz-Target: AmazonEC2ContainerRegistry_V20150921.CreateRepository", "X-Amz-Target: AmazonEC2ContainerRegistry_V20150921.DeleteRepository"),
			code: errcode.InvalidSignature, message: msgSignatureMismatch},
		{name: "go sdk invocation id changed", capture: gosdk, mutate: replace("Amz-Sdk-Invocation-Id: 2ff060de", "Amz-Sdk-Invocation-Id: 3ff060de"),
			code: errcode.InvalidSignature, message: msgSignatureMismatch},
		{name: "cli invocation id is not signed", capture: cli, mutate: replace("amz-sdk-invocation-id: d6572c69", "amz-sdk-invocation-id: e6572c69"), ok: true},
		{name: "user agent is not signed", capture: gosdk, mutate: replace("User-Agent: aws-sdk-go-v2/1.47.7", "User-Agent: curl/8"), ok: true},
		{name: "extra spaces in a signed header value", capture: cli, mutate: replace("Content-Type: application/x-amz-json-1.1", "Content-Type:    application/x-amz-json-1.1   "), ok: true},
		{name: "host port changed", capture: cli, mutate: replace("Host: 127.0.0.1:5009", "Host: 127.0.0.1:5001"),
			code: errcode.InvalidSignature, message: msgSignatureMismatch},
		{name: "signature changed", capture: cli, mutate: replace("Signature=9d90dc4d", "Signature=9d90dc4e"),
			code: errcode.InvalidSignature, message: msgSignatureMismatch},
		{name: "upper-case signature", capture: cli, mutate: replace("Signature=9d90dc4d6208fac75382ee3bed1bb1ed732a3ec9fadb0437ba1e25fd2e8189fe", "Signature=9D90DC4D6208FAC75382EE3BED1BB1ED732A3EC9FADB0437BA1E25FD2E8189FE"), ok: true},
		{name: "date one second later", capture: cli, mutate: replace("X-Amz-Date: 20261122T201123Z", "X-Amz-Date: 20261122T201124Z"), now: at("20261122T201123Z"),
			code: errcode.InvalidSignature, message: msgSignatureMismatch},
		{name: "date on another day", capture: cli, mutate: replace("X-Amz-Date: 20261122T201123Z", "X-Amz-Date: 20261121T201123Z"), now: at("20261121T201123Z"),
			code: errcode.InvalidSignature, message: "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '20261122' != '20261121', from '20261121T201123Z'."},
		{name: "date not basic ISO-8601", capture: cli, mutate: replace("X-Amz-Date: 20261122T201123Z", "X-Amz-Date: 2026-11-22T20:11:23Z"),
			now: at("20261122T201123Z"), code: errcode.IncompleteSignature, message: "Date must be in ISO-8601 'basic format'. Got '2026-11-22T20:11:23Z'. See http://en.wikipedia.org/wiki/ISO_8601"},
		{name: "unsigned payload declared", capture: cli, mutate: addHeader("X-Amz-Content-Sha256: UNSIGNED-PAYLOAD"),
			code: errcode.InvalidSignature, message: msgSignatureMismatch},
		{name: "signed 15 minutes ago", capture: cli, now: at("20261122T202623Z"), ok: true},
		{name: "expired", capture: cli, now: at("20261122T204500Z"),
			code: errcode.InvalidSignature, message: "Signature expired: 20261122T201123Z is now earlier than 20261122T203000Z (20261122T204500Z - 15 min.)"},
		{name: "not yet current", capture: cli, now: at("20261122T195000Z"),
			code: errcode.InvalidSignature, message: "Signature not yet current: 20261122T201123Z is still later than 20261122T200500Z (20261122T195000Z + 15 min.)"},
		{name: "shorter skew", capture: cli, now: at("20261122T201424Z"), skew: 3 * time.Minute,
			code: errcode.InvalidSignature, message: "Signature expired: 20261122T201123Z is now earlier than 20261122T201124Z (20261122T201424Z - 3 min.)"},
		{name: "wrong service", capture: cli, service: "iam",
			code: errcode.InvalidSignature, message: "Credential should be scoped to correct service: 'iam'. "},
		{name: "region not accepted", capture: gosdk, regions: []string{"eu-west-1"},
			code: errcode.InvalidSignature, message: "Credential should be scoped to a valid region, not 'us-east-1'. "},
		{name: "one of several regions", capture: gosdk, regions: []string{"eu-west-1", "us-east-1"}, ok: true},
		{name: "unknown access key", capture: cli, lookup: secrets(nil),
			code: errcode.UnrecognizedClient, message: "The security token included in the request is invalid."},
		{name: "wrong secret", capture: gosdk, lookup: secrets(map[string]string{"test": "Test"}),
			code: errcode.InvalidSignature, message: msgSignatureMismatch},
		{name: "no authorization", capture: cli, mutate: dropLine("Authorization: "), now: at("20261122T201123Z"),
			code: errcode.MissingAuthenticationToken, message: "Missing Authentication Token"},
		{name: "no date", capture: cli, mutate: dropLine("X-Amz-Date: "), now: at("20261122T201123Z"),
			code: errcode.IncompleteSignature, message: "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. Authorization=AWS4-HMAC-SHA256 Credential=test/20261122/us-east-1/ecr/aws4_request, SignedHeaders=content-type;host;x-amz-date;x-amz-target, Signature=9d90dc4d6208fac75382ee3bed1bb1ed732a3ec9fadb0437ba1e25fd2e8189fe"},
		{name: "signed header missing", capture: cli, mutate: dropLine("X-Amz-Target: "),
			code: errcode.IncompleteSignature, message: "'x-amz-target' is named as a SignedHeader, but it does not exist in the HTTP request."},
		{name: "declared payload hash is the body's", capture: cli, mutate: addPayloadHash, ok: true},
		{name: "declared payload hash is not the body's", capture: cli, mutate: addHeader("X-Amz-Content-Sha256: c7b1a6b0ee47f4b2fe3ef5a7f5c6ec0e3a0ba8a2be47d39fd7c0a3f91b0a1d3f"),
			code: errcode.InvalidSignature, message: "The provided 'x-amz-content-sha256' header does not match what was computed."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			raw := tt.capture.raw
			if tt.mutate != nil {
				raw = tt.mutate(t, raw)
			}
			r, body := parseRaw(t, raw)
			if tt.body != nil {
				body = tt.body(body)
			}
			now := tt.now
			if now.IsZero() {
				now = amzDate(t, r)
			}
			v := &Verifier{Regions: tt.regions, MaxSkew: tt.skew, Now: pinned(now)}
			service := cmpOr(tt.service, "ecr")
			lookup := tt.lookup
			if lookup == nil {
				lookup = testSecrets
			}
			_, err := v.Verify(context.Background(), r, body, service, lookup)
			if tt.ok {
				if err != nil {
					t.Fatalf("Verify: %v", err)
				}
				return
			}
			var e *errcode.Error
			if !errors.As(err, &e) {
				t.Fatalf("Verify error = %v, want an *errcode.Error", err)
			}
			if e.Code != tt.code || e.Message != tt.message {
				t.Errorf("Verify error = %v %q\nwant            %v %q", e.Code, e.Message, tt.code, tt.message)
			}
		})
	}
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func replace(old, new string) func(*testing.T, string) string {
	return func(t *testing.T, raw string) string {
		t.Helper()
		if !strings.Contains(raw, old) {
			t.Fatalf("capture does not contain %q", old)
		}
		return strings.Replace(raw, old, new, 1)
	}
}

func dropLine(prefix string) func(*testing.T, string) string {
	return func(_ *testing.T, raw string) string {
		head, body, _ := strings.Cut(raw, "\r\n\r\n")
		var kept []string
		for line := range strings.SplitSeq(head, "\r\n") {
			if !strings.HasPrefix(line, prefix) {
				kept = append(kept, line)
			}
		}
		return strings.Join(kept, "\r\n") + "\r\n\r\n" + body
	}
}

func addHeader(line string) func(*testing.T, string) string {
	return func(_ *testing.T, raw string) string {
		head, body, _ := strings.Cut(raw, "\r\n\r\n")
		return head + "\r\n" + line + "\r\n\r\n" + body
	}
}

// addPayloadHash declares the body's true SHA-256 in X-Amz-Content-Sha256, unsigned.
func addPayloadHash(t *testing.T, raw string) string {
	_, body, _ := strings.Cut(raw, "\r\n\r\n")
	sum := sha256.Sum256([]byte(body))
	return addHeader("X-Amz-Content-Sha256: "+hex.EncodeToString(sum[:]))(t, raw)
}

// A lookup failure other than an unknown key is berth's fault, not the client's.
func TestVerifyLookupFailure(t *testing.T) {
	c := captureOf(t, "aws-cli/1.45.11")
	r, body := c.parse(t)
	broken := errors.New("database is down")
	v := &Verifier{Now: pinned(amzDate(t, r))}
	_, err := v.Verify(context.Background(), r, body, "ecr", func(context.Context, string, string) (string, error) { return "", broken })
	if !errors.Is(err, broken) {
		t.Fatalf("Verify error = %v, want it to wrap %v", err, broken)
	}
	if code := errcode.From(err).Code; code != errcode.Internal {
		t.Errorf("code = %v, want Internal", code)
	}
}
