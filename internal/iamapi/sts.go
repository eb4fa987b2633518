package iamapi

import (
	"fmt"
	"strings"
	"time"

	"github.com/berth-registry/berth/internal/awsproto"
	"github.com/berth-registry/berth/internal/iam"
)

// AssumeRole's longest session, in seconds; the shortest is the backend's
// (MinSessionDuration: AWS's 900 unless configured lower).
const (
	maxSessionSeconds = 43200
	// sessionPolicyLimit is the plaintext size of session policies AWS allows; the
	// packed size AssumeRole reports is the share of it a policy uses.
	sessionPolicyLimit = 2048
)

type getCallerIdentityResult struct {
	UserID  string `xml:"UserId"`
	Account string `xml:"Account"`
	Arn     string `xml:"Arn"`
}

// getCallerIdentity needs no permission, as in AWS: any valid credentials may ask who
// they are.
func (h *queryHandler) getCallerIdentity(c *call) (any, error) {
	return getCallerIdentityResult{UserID: c.caller.UserID, Account: c.caller.AccountID, Arn: c.caller.ARN}, nil
}

type credentialsShape struct {
	AccessKeyID     string        `xml:"AccessKeyId"`
	SecretAccessKey string        `xml:"SecretAccessKey"`
	SessionToken    string        `xml:"SessionToken"`
	Expiration      awsproto.Time `xml:"Expiration"`
}

type assumedRoleUserShape struct {
	AssumedRoleID string `xml:"AssumedRoleId"`
	Arn           string `xml:"Arn"`
}

type assumeRoleResult struct {
	Credentials      credentialsShape     `xml:"Credentials"`
	AssumedRoleUser  assumedRoleUserShape `xml:"AssumedRoleUser"`
	PackedPolicySize *int                 `xml:"PackedPolicySize,omitempty"`
}

// assumeRole validates the request and leaves authorization (the caller's identity
// policies and the role's trust policy) to the backend. Session policies by ARN,
// session tags, MFA and source identity are refused rather than ignored: each would
// change what the session may do.
func (h *queryHandler) assumeRole(c *call) (any, error) {
	p := newParams(c.q)
	roleARN := p.required("RoleArn", stsARNType)
	session := p.required("RoleSessionName", roleSessionNameType)
	policy, hasPolicy := p.str("Policy", sessionPolicyType)
	seconds, _ := p.integer("DurationSeconds", int(h.b.MinSessionDuration()/time.Second), maxSessionSeconds)
	tags := p.tags("Tags")
	transitive := p.q.List("TransitiveTagKeys")
	if len(transitive) > maxTags {
		p.fail("transitiveTagKeys", "["+strings.Join(transitive, ", ")+"]", fmt.Sprintf("Member must have length less than or equal to %d", maxTags))
	}
	for i, k := range transitive {
		p.check(fmt.Sprintf("transitiveTagKeys.%d.member", i+1), k, tagKeyType)
	}
	externalID, _ := p.str("ExternalId", externalIDType)
	_, mfa := p.str("SerialNumber", serialNumberType)
	_, token := p.str("TokenCode", tokenCodeType)
	_, source := p.str("SourceIdentity", sourceIdentityType)
	if err := p.err(); err != nil {
		return nil, err
	}
	switch {
	case c.q.Has("PolicyArns"):
		return nil, unsupported("AssumeRole", "PolicyArns", "pass the session policy as a document in Policy.")
	case len(tags) > 0 || c.q.Has("TransitiveTagKeys"):
		return nil, unsupported("AssumeRole", "session tags", "call AssumeRole without Tags and TransitiveTagKeys.")
	case mfa || token:
		return nil, unsupported("AssumeRole", "MFA", "call AssumeRole without SerialNumber and TokenCode.")
	case source:
		return nil, unsupported("AssumeRole", "SourceIdentity", "call AssumeRole without it.")
	case c.q.Has("ProvidedContexts"):
		return nil, unsupported("AssumeRole", "ProvidedContexts", "call AssumeRole without them.")
	}
	creds, assumed, err := h.b.AssumeRole(c.ctx, c.caller, iam.AssumeRoleInput{
		RoleARN:     roleARN,
		SessionName: session,
		Duration:    time.Duration(seconds) * time.Second,
		ExternalID:  externalID,
		Policy:      policy,
		SourceIP:    sourceIP(c.r),
		Secure:      c.r.TLS != nil,
	})
	if err != nil {
		return nil, err
	}
	out := assumeRoleResult{
		Credentials: credentialsShape{AccessKeyID: creds.AccessKeyID, SecretAccessKey: creds.SecretAccessKey,
			SessionToken: creds.SessionToken, Expiration: awsproto.Time{Time: creds.Expiration}},
		AssumedRoleUser: assumedRoleUserShape{AssumedRoleID: assumed.UserID, Arn: assumed.ARN},
	}
	if hasPolicy {
		size := packedPolicySize(policy)
		out.PackedPolicySize = &size
	}
	return out, nil
}

// packedPolicySize is the percentage of the session policy limit a policy uses, which
// AWS reports of its packed (compressed) form. berth does not pack policies: it
// reports the share of the 2,048-character plaintext limit, rounded up.
func packedPolicySize(policy string) int {
	return (len(policy)*100 + sessionPolicyLimit - 1) / sessionPolicyLimit
}
