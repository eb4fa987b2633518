package server

import (
	"net/http"
	"strings"
)

// AWSRouter sends each AWS API request on / to the face that serves it: JSON 1.1
// requests by the service prefix of X-Amz-Target, Query requests (form-encoded
// Action=…, IAM and STS) to Query.
type AWSRouter struct {
	ECR           http.Handler
	Organizations http.Handler
	// KMS serves berth's key service (TrentService.<Op>).
	KMS   http.Handler
	Query http.Handler
}

// Target prefixes of the JSON 1.1 services berth serves besides ECR.
const (
	organizationsPrefix = "AWSOrganizationsV20161128."
	kmsPrefix           = "TrentService."
)

func (a AWSRouter) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	target := r.Header.Get("X-Amz-Target")
	switch {
	case strings.HasPrefix(target, organizationsPrefix) && a.Organizations != nil:
		a.Organizations.ServeHTTP(w, r)
	case strings.HasPrefix(target, kmsPrefix) && a.KMS != nil:
		a.KMS.ServeHTTP(w, r)
	case target != "" || a.Query == nil || strings.Contains(r.Header.Get("Content-Type"), "json"):
		// ECR answers every other JSON request, those without a known target with
		// UnknownOperationException.
		a.ECR.ServeHTTP(w, r)
	case r.Method == http.MethodGet && !r.URL.Query().Has("Action"):
		http.NotFound(w, r)
	default:
		a.Query.ServeHTTP(w, r)
	}
}
