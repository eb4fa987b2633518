package e2e

// Authentication on both faces: SigV4 on the ECR API (raw, through the aws CLI and through the Go
// SDK), and ECR authorization tokens on /v2 (the Basic challenge, forged, expired and foreign tokens,
// tokens across replicas and restarts).

import (
	"bytes"
	"encoding/base64"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/ecr"
	"github.com/aws/smithy-go"
	"github.com/berth-registry/berth/internal/iam"
)

// AWS's messages, verbatim.
const (
	ecrMsgSignatureMismatch = "The request signature we calculated does not match the signature you provided. " +
		"Check your AWS Secret Access Key and signing method. Consult the service documentation for details."
	ecrMsgInvalidToken = "The security token included in the request is invalid."
)

func TestECRSignatureErrors(t *testing.T) {
	t.Parallel()
	s := StartServer(t)
	describe := []byte(`{"maxResults":5}`)
	tests := []struct {
		name     string
		req      ecrRequest
		wantType string
		want     []string // the message starts with want[0] and contains the rest
	}{
		{"unsigned", ecrRequest{unsigned: true}, "MissingAuthenticationTokenException", []string{"Missing Authentication Token"}},
		{"wrong secret", ecrRequest{secret: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzzzzzzzzzz"}, "InvalidSignatureException", []string{ecrMsgSignatureMismatch}},
		{"unknown access key", ecrRequest{keyID: "AKIAZZZZZZZZZZZZZZZZ"}, "UnrecognizedClientException", []string{ecrMsgInvalidToken}},
		{"signed 20 minutes ago", ecrRequest{at: time.Now().Add(-20 * time.Minute)}, "InvalidSignatureException",
			[]string{"Signature expired: ", " is now earlier than ", "15 min."}},
		{"signed 20 minutes ahead", ecrRequest{at: time.Now().Add(20 * time.Minute)}, "InvalidSignatureException",
			[]string{"Signature not yet current: ", " is still later than ", "15 min."}},
		{"scoped to another service", ecrRequest{service: "s3"}, "InvalidSignatureException",
			[]string{"Credential should be scoped to correct service: 'ecr'."}},
		{"scoped to another region", ecrRequest{region: "eu-west-1"}, "InvalidSignatureException",
			[]string{"Credential should be scoped to a valid region, not 'eu-west-1'."}},
		{"body changed after signing", ecrRequest{afterSign: func(r *http.Request) {
			b := []byte(`{"maxResults":6}`)
			r.Body, r.ContentLength = io.NopCloser(bytes.NewReader(b)), int64(len(b))
		}}, "InvalidSignatureException", []string{ecrMsgSignatureMismatch}},
		{"header changed after signing", ecrRequest{afterSign: func(r *http.Request) {
			r.Header.Set("X-Amz-Target", ecrTargetPrefix+"DescribeRegistry")
		}}, "InvalidSignatureException", []string{ecrMsgSignatureMismatch}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.req.op, tc.req.body = "DescribeRepositories", describe
			status, hdr, body := ecrCall(t, s, tc.req)
			msg := wantAWSError(t, tc.name, status, hdr, body, http.StatusBadRequest, tc.wantType, tc.want[1:]...)
			if !strings.HasPrefix(msg, tc.want[0]) {
				t.Errorf("%s: message %q, want it to start with %q", tc.name, msg, tc.want[0])
			}
		})
	}
	t.Run("signed 10 minutes ago is within the skew", func(t *testing.T) {
		if status, _, body := ecrCall(t, s, ecrRequest{op: "DescribeRepositories", body: describe, at: time.Now().Add(-10 * time.Minute)}); status != http.StatusOK {
			t.Errorf("%d %s", status, body)
		}
	})

	t.Run("aws CLI", func(t *testing.T) {
		wrong := newAWSCLIEnv(t, []string{"--endpoint-url", s.URL()}, "AWS_ACCESS_KEY_ID="+RootAccessKeyID, "AWS_SECRET_ACCESS_KEY=not-the-secret")
		if msg := wrong.fails(t, "InvalidSignatureException", "DescribeRepositories", "describe-repositories"); msg != ecrMsgSignatureMismatch {
			t.Errorf("wrong secret: %q", msg)
		}
		unknown := newAWSCLIEnv(t, []string{"--endpoint-url", s.URL()}, "AWS_ACCESS_KEY_ID=AKIAZZZZZZZZZZZZZZZZ", "AWS_SECRET_ACCESS_KEY=whatever")
		if msg := unknown.fails(t, "UnrecognizedClientException", "GetAuthorizationToken", "get-authorization-token"); msg != ecrMsgInvalidToken {
			t.Errorf("unknown key: %q", msg)
		}
		unsigned := newAWSCLIEnv(t, []string{"--endpoint-url", s.URL(), "--no-sign-request"})
		if msg := unsigned.fails(t, "MissingAuthenticationTokenException", "DescribeRegistry", "describe-registry"); msg != "Missing Authentication Token" {
			t.Errorf("unsigned: %q", msg)
		}
	})
	t.Run("Go SDK", func(t *testing.T) {
		for _, tc := range []struct{ keyID, secret, code, msg string }{
			{RootAccessKeyID, "not-the-secret", "InvalidSignatureException", ecrMsgSignatureMismatch},
			{"AKIAZZZZZZZZZZZZZZZZ", "whatever", "UnrecognizedClientException", ecrMsgInvalidToken},
		} {
			_, err := ecrSDKWith(t, s, tc.keyID, tc.secret).DescribeRegistry(t.Context(), &ecr.DescribeRegistryInput{})
			var api smithy.APIError
			if !errors.As(err, &api) || api.ErrorCode() != tc.code || api.ErrorMessage() != tc.msg {
				t.Errorf("key %s: %v, want %s: %s", tc.keyID, err, tc.code, tc.msg)
			}
		}
	})
	// Nothing above hurt the server.
	if status, body := s.ECR(t, "DescribeRegistry", struct{}{}); status != http.StatusOK {
		t.Errorf("DescribeRegistry after the failures: %d %s", status, body)
	}
}

func TestECRV2Authentication(t *testing.T) {
	t.Parallel()
	const account = "123456789012"
	a := StartServer(t, WithArgs("--account-id", account))
	keyFile := filepath.Join(a.DataDir, "master.key")
	info, err := os.Stat(keyFile)
	if err != nil {
		t.Fatalf("master key: %v", err)
	}
	if info.Mode().Perm() != 0o600 {
		t.Errorf("%s has mode %v, want 0600", keyFile, info.Mode().Perm())
	}
	masterKey := strings.TrimSpace(string(readFile(t, keyFile)))
	// A replica: another process with the same master key (and account); and a stranger with its own.
	replica := StartServer(t, WithArgs("--account-id", account), WithEnv("BERTH_MASTER_KEY="+masterKey))
	stranger := StartServer(t, WithArgs("--account-id", account))
	if a.AccountID != account || replica.AccountID != account || stranger.AccountID != account {
		t.Fatalf("--account-id: accounts %s %s %s, want %s", a.AccountID, replica.AccountID, stranger.AccountID, account)
	}
	token := a.Token(t)

	get := func(t *testing.T, s *Server, password, path string) (*http.Response, []byte) {
		t.Helper()
		return newECRV2Client(s, password).do(t, http.MethodGet, path, nil)
	}
	refused := func(t *testing.T, what string, resp *http.Response, body []byte, wantStatus int, mention string) {
		t.Helper()
		if resp.StatusCode != wantStatus {
			t.Errorf("%s: %d %s, want %d", what, resp.StatusCode, body, wantStatus)
		}
		if !strings.Contains(strings.ToLower(string(body)), strings.ToLower(mention)) {
			t.Errorf("%s: body %s does not mention %q", what, body, mention)
		}
	}

	t.Run("no credentials", func(t *testing.T) {
		for _, path := range []string{"/v2/", "/v2/_catalog", "/v2/app/manifests/latest", "/v2/app/tags/list"} {
			resp, body := get(t, a, "", path)
			refused(t, "GET "+path, resp, body, http.StatusUnauthorized, "UNAUTHORIZED")
			want := `Basic realm="http://` + a.Addr + `/",service="ecr.amazonaws.com"`
			if got := resp.Header.Get("WWW-Authenticate"); got != want {
				t.Errorf("GET %s: WWW-Authenticate %q, want %q", path, got, want)
			}
		}
		resp, body := newECRV2Client(a, "").do(t, http.MethodPost, "/v2/app/blobs/uploads/", nil)
		refused(t, "POST an upload", resp, body, http.StatusUnauthorized, "UNAUTHORIZED")
	})
	t.Run("the token", func(t *testing.T) {
		if resp, body := get(t, a, token, "/v2/_catalog"); resp.StatusCode != http.StatusOK {
			t.Errorf("GET /v2/_catalog with the token: %d %s", resp.StatusCode, body)
		}
		req, _ := http.NewRequest(http.MethodGet, a.URL()+"/v2/", nil)
		req.SetBasicAuth("admin", token)
		resp, err := a.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("the token with user admin instead of AWS: %d, want 401", resp.StatusCode)
		}
	})
	t.Run("forged tokens", func(t *testing.T) {
		flipped := []byte(token)
		i := len(flipped) - 5
		flipped[i] = map[bool]byte{true: 'A', false: 'B'}[flipped[i] != 'A']
		for name, p := range map[string]string{"signature changed": string(flipped), "garbage": "not-a-token",
			"claims without a signature": strings.Split(token, ".")[0] + "." + strings.Split(token, ".")[1]} {
			resp, body := get(t, a, p, "/v2/")
			refused(t, name, resp, body, http.StatusUnauthorized, "token")
		}
	})
	t.Run("an expired token", func(t *testing.T) {
		raw, err := base64.StdEncoding.DecodeString(masterKey)
		if err != nil {
			t.Fatal(err)
		}
		keys, err := iam.NewKeyring(raw)
		if err != nil {
			t.Fatal(err)
		}
		p := iam.Principal{AccountID: account, ARN: iam.RootARN(account), AccessKeyID: RootAccessKeyID}
		old, expires := keys.IssueToken(p, time.Now().Add(-13*time.Hour))
		if time.Until(expires) > -time.Hour {
			t.Fatalf("the token expires at %v", expires)
		}
		resp, body := get(t, a, old, "/v2/")
		refused(t, "an expired token", resp, body, http.StatusForbidden, "Your authorization token has expired. Reauthenticate and try again.")
		fresh, _ := keys.IssueToken(p, time.Now())
		if resp, body := get(t, a, fresh, "/v2/"); resp.StatusCode != http.StatusOK {
			t.Errorf("a fresh token made with the same key is refused (%d %s): the expired one was refused for another reason", resp.StatusCode, body)
		}
	})
	t.Run("any replica accepts it", func(t *testing.T) {
		if resp, body := get(t, replica, token, "/v2/_catalog"); resp.StatusCode != http.StatusOK {
			t.Errorf("the replica refused the token: %d %s", resp.StatusCode, body)
		}
		if resp, body := get(t, a, replica.Token(t), "/v2/_catalog"); resp.StatusCode != http.StatusOK {
			t.Errorf("the first server refused the replica's token: %d %s", resp.StatusCode, body)
		}
	})
	t.Run("another master key refuses it", func(t *testing.T) {
		resp, body := get(t, stranger, token, "/v2/")
		refused(t, "a token of another berth", resp, body, http.StatusUnauthorized, "token")
		resp, body = get(t, a, stranger.Token(t), "/v2/")
		refused(t, "the other berth's token", resp, body, http.StatusUnauthorized, "token")
	})
	t.Run("it survives a restart", func(t *testing.T) {
		a.Restart(t)
		if resp, body := get(t, a, token, "/v2/_catalog"); resp.StatusCode != http.StatusOK {
			t.Errorf("the token after a restart: %d %s", resp.StatusCode, body)
		}
	})
}
