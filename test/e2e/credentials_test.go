package e2e

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/berth-registry/berth/internal/awsproto"
)

// The root credentials every server the harness starts is created with (the
// examples of the AWS documentation), unless a test passes its own with WithEnv.
const (
	RootAccessKeyID     = "AKIAIOSFODNN7EXAMPLE"
	RootSecretAccessKey = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
	Region              = "us-east-1"
)

// ECR calls an ECR operation on the server, signed with the root credentials, and
// returns the status and the body.
func (s *Server) ECR(t testing.TB, op string, input any) (int, []byte) {
	t.Helper()
	body, err := json.Marshal(input)
	if err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequest(http.MethodPost, s.URL()+"/", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	req.Header.Set("X-Amz-Target", "AmazonEC2ContainerRegistry_V20150921."+op)
	if err := awsproto.Sign(req, body, RootAccessKeyID, RootSecretAccessKey, Region, "ecr", time.Now()); err != nil {
		t.Fatal(err)
	}
	resp, err := s.Client().Do(req)
	if err != nil {
		t.Fatalf("ECR %s: %v", op, err)
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, out
}

// Token returns the password of an ECR authorization token of the root, what
// `aws ecr get-login-password` prints: log in as AWS with it.
func (s *Server) Token(t testing.TB) string {
	t.Helper()
	status, body := s.ECR(t, "GetAuthorizationToken", struct{}{})
	if status != http.StatusOK {
		t.Fatalf("GetAuthorizationToken: %d %s", status, body)
	}
	var out struct {
		AuthorizationData []struct{ AuthorizationToken string }
	}
	if err := json.Unmarshal(body, &out); err != nil || len(out.AuthorizationData) != 1 {
		t.Fatalf("GetAuthorizationToken: %s (%v)", body, err)
	}
	decoded, err := base64.StdEncoding.DecodeString(out.AuthorizationData[0].AuthorizationToken)
	if err != nil {
		t.Fatalf("authorizationToken is not base64: %v", err)
	}
	user, password, ok := strings.Cut(string(decoded), ":")
	if !ok || user != "AWS" {
		t.Fatal(fmt.Sprintf("authorizationToken decodes to %q, want AWS:<password>", decoded))
	}
	return password
}
