package oci

import (
	"bytes"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/berth-registry/berth/internal/iam"
	"github.com/berth-registry/berth/internal/registry"
)

func TestAuthentication(t *testing.T) {
	tr := newTestRegistry(t, registry.Config{CreateOnPush: true})
	d := tr.pushBlob("app", []byte("layer"))
	expired, _ := tr.keys.IssueToken(tr.root, time.Now().Add(-13*time.Hour))
	otherKeys, _ := iam.NewKeyring(randomBytes(t, 32))
	forged, _ := otherKeys.IssueToken(tr.root, time.Now())
	// A principal of another account, with no resource policy granting it anything here.
	other, err := tr.ids.CreateMemberAccount(t.Context(), "other", "other@example.com", "", "", true)
	if err != nil {
		t.Fatal(err)
	}
	foreign, _ := tr.keys.IssueToken(iam.RootPrincipal(other.Account.ID, other.RootAccessKeyID), time.Now())
	tests := []struct {
		name          string
		user, pass    string
		anonymous     bool
		wantStatus    int
		wantCode      string
		wantChallenge bool
		// baseStatus is the status of /v2/ when it differs from wantStatus.
		baseStatus int
	}{
		{name: "no credentials", anonymous: true, wantStatus: 401, wantCode: "UNAUTHORIZED", wantChallenge: true},
		{name: "valid token", user: "AWS", pass: tr.password, wantStatus: 200},
		{name: "expired token", user: "AWS", pass: expired, wantStatus: 403, wantCode: "DENIED"},
		{name: "forged token", user: "AWS", pass: forged, wantStatus: 401, wantCode: "UNAUTHORIZED", wantChallenge: true},
		{name: "garbage token", user: "AWS", pass: "not-a-token", wantStatus: 401, wantCode: "UNAUTHORIZED", wantChallenge: true},
		{name: "wrong user", user: "admin", pass: tr.password, wantStatus: 401, wantCode: "UNAUTHORIZED", wantChallenge: true},
		{name: "token of another account", user: "AWS", pass: foreign, wantStatus: 403, wantCode: "DENIED", baseStatus: 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, path := range []string{"/v2/", "/v2/app/blobs/" + d.String(), "/v2/_catalog"} {
				req, _ := http.NewRequest(http.MethodGet, tr.srv.URL+path, nil)
				if !tt.anonymous {
					req.SetBasicAuth(tt.user, tt.pass)
				}
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
				want := tt.wantStatus
				if path == "/v2/" && tt.baseStatus != 0 {
					want = tt.baseStatus
				}
				if resp.StatusCode != want {
					t.Fatalf("GET %s: %d, want %d", path, resp.StatusCode, want)
				}
				challenge := resp.Header.Get("WWW-Authenticate")
				if tt.wantChallenge != strings.HasPrefix(challenge, `Basic realm="http://`) ||
					(tt.wantChallenge && !strings.Contains(challenge, `service="ecr.amazonaws.com"`)) {
					t.Errorf("GET %s: WWW-Authenticate %q, want challenge %v", path, challenge, tt.wantChallenge)
				}
			}
		})
	}
}

func TestPresignedBlobURL(t *testing.T) {
	tr := newTestRegistry(t, registry.Config{CreateOnPush: true})
	data := []byte("presigned layer")
	d := tr.pushBlob("app", data)
	q := tr.keys.PresignBlob(testAccount, "app", d.String(), time.Now().Add(time.Hour))
	tr.anonymous = true
	r := tr.do(http.MethodGet, "/v2/app/blobs/"+d.String()+"?"+q.Encode(), nil)
	if r.status != http.StatusOK || !bytes.Equal(r.body, data) {
		t.Fatalf("presigned GET: %d %q", r.status, r.body)
	}
	for name, query := range map[string]url.Values{
		"another repository": tr.keys.PresignBlob(testAccount, "other", d.String(), time.Now().Add(time.Hour)),
		"expired":            tr.keys.PresignBlob(testAccount, "app", d.String(), time.Now().Add(-time.Second)),
		"tampered": func() url.Values {
			v := url.Values{}
			v.Set(iam.URLExpiresParam, "99999999999")
			v.Set(iam.URLSignatureParam, q.Get(iam.URLSignatureParam))
			return v
		}(),
	} {
		if r := tr.do(http.MethodGet, "/v2/app/blobs/"+d.String()+"?"+query.Encode(), nil); r.status == http.StatusOK {
			t.Errorf("%s presigned URL: 200, want refused", name)
		}
	}
	// A presigned URL downloads; it does not authorize anything else.
	if r := tr.do(http.MethodDelete, "/v2/app/blobs/"+d.String()+"?"+q.Encode(), nil); r.status != http.StatusUnauthorized {
		t.Errorf("DELETE with a presigned query: %d, want 401", r.status)
	}
}
