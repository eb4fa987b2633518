package server

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestAWSRouter(t *testing.T) {
	face := func(name string) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.Write([]byte(name)) })
	}
	router := AWSRouter{ECR: face("ecr"), Organizations: face("organizations"), KMS: face("kms"), Query: face("query")}
	tests := []struct {
		name, method, url, target, contentType, want string
	}{
		{"ECR target", "POST", "/", "AmazonEC2ContainerRegistry_V20150921.ListImages", "application/x-amz-json-1.1", "ecr"},
		{"Organizations target", "POST", "/", "AWSOrganizationsV20161128.ListAccounts", "application/x-amz-json-1.1", "organizations"},
		{"KMS target", "POST", "/", "TrentService.DescribeKey", "application/x-amz-json-1.1", "kms"},
		{"unknown target", "POST", "/", "Nope.Op", "application/x-amz-json-1.1", "ecr"},
		{"JSON without a target", "POST", "/", "", "application/x-amz-json-1.1", "ecr"},
		{"form-encoded query", "POST", "/", "", "application/x-www-form-urlencoded; charset=utf-8", "query"},
		{"query in the URL", "GET", "/?Action=GetCallerIdentity&Version=2011-06-15", "", "", "query"},
		{"GET without an action", "GET", "/", "", "", "404 page not found\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(tt.method, tt.url, strings.NewReader(""))
			if tt.target != "" {
				r.Header.Set("X-Amz-Target", tt.target)
			}
			if tt.contentType != "" {
				r.Header.Set("Content-Type", tt.contentType)
			}
			w := httptest.NewRecorder()
			router.ServeHTTP(w, r)
			if got := w.Body.String(); got != tt.want {
				t.Errorf("served by %q, want %q", got, tt.want)
			}
		})
	}
}
