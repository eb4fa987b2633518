package iam

import (
	"context"
	"regexp"
	"strings"
	"time"

	"github.com/berth-registry/berth/internal/errcode"
	"github.com/berth-registry/berth/internal/iam/policy"
	"github.com/berth-registry/berth/internal/meta"
)

const (
	defaultSessionDuration = time.Hour
	// trustPolicyQuota is IAM's limit on a role trust policy's size.
	trustPolicyQuota = 2048
)

// CreateRole creates a role with its trust policy.
func (s *Service) CreateRole(ctx context.Context, accountID string, r meta.Role) (meta.Role, error) {
	if err := s.validateTrust(r.TrustPolicy); err != nil {
		return meta.Role{}, err
	}
	if r.Path == "" {
		r.Path = "/"
	}
	if r.MaxSessionDuration == 0 {
		r.MaxSessionDuration = int(defaultSessionDuration / time.Second)
	}
	r.AccountID, r.ID, r.CreatedAt = accountID, newUniqueID("AROA"), s.now().UTC()
	if err := s.store.CreateRole(ctx, r); err != nil {
		return meta.Role{}, storeError(err, "role", r.Name)
	}
	s.log.Info("created IAM role", "account", accountID, "role", r.Name)
	return r, nil
}

func (s *Service) validateTrust(document string) error {
	if err := s.validate(document, policy.Trust); err != nil {
		return err
	}
	if policySize(document) > trustPolicyQuota {
		return errcode.New(errcode.LimitExceeded, "Cannot exceed quota for ACLSizePerRole: %d", trustPolicyQuota)
	}
	return nil
}

// GetRole returns a role.
func (s *Service) GetRole(ctx context.Context, accountID, name string) (meta.Role, error) {
	r, err := s.store.GetRole(ctx, accountID, name)
	return r, storeError(err, "role", name)
}

// ListRoles lists an account's roles, a page at a time.
func (s *Service) ListRoles(ctx context.Context, accountID, pathPrefix, marker string, maxItems int) ([]meta.Role, string, error) {
	return page(marker, maxItems, func(after string, limit int) ([]meta.Role, error) {
		return s.store.ListRoles(ctx, accountID, pathPrefix, after, limit)
	}, func(r meta.Role) string { return r.Name })
}

// DeleteRole deletes a role without policies. Sessions of it keep their credentials
// until they expire, but nothing grants them anything any more.
func (s *Service) DeleteRole(ctx context.Context, accountID, name string) error {
	return storeError(s.store.DeleteRole(ctx, accountID, name), "role", name)
}

// UpdateAssumeRolePolicy replaces a role's trust policy.
func (s *Service) UpdateAssumeRolePolicy(ctx context.Context, accountID, roleName, document string) error {
	if err := s.validateTrust(document); err != nil {
		return err
	}
	return storeError(s.store.UpdateTrustPolicy(ctx, accountID, roleName, document), "role", roleName)
}

// MinSessionDuration is the shortest session AssumeRole grants.
func (s *Service) MinSessionDuration() time.Duration { return s.minSession }

// roleARNPattern splits a role ARN into account, path and name.
var roleARNPattern = regexp.MustCompile(`^arn:aws:iam::([0-9]{12}):role(/(?:[\x21-\x7e]*/)?)([\w+=,.@-]+)$`)

// AssumeRole returns temporary credentials for a session of a role, if the caller's
// identity policies and the role's trust policy allow it (both, across accounts).
func (s *Service) AssumeRole(ctx context.Context, caller Principal, in AssumeRoleInput) (Credentials, Principal, error) {
	duration := in.Duration
	if duration == 0 {
		duration = defaultSessionDuration
	}
	if duration < s.minSession {
		return Credentials{}, Principal{}, errcode.New(errcode.Validation,
			"1 validation error detected: Value '%d' at 'durationSeconds' failed to satisfy constraint: "+
				"Member must have value greater than or equal to %d", int64(duration/time.Second), int64(s.minSession/time.Second))
	}
	if caller.IsRoot() {
		return Credentials{}, Principal{}, errcode.New(errcode.Denied, "Roles may not be assumed by root accounts.")
	}
	denied := errcode.New(errcode.Denied, "User: %s is not authorized to perform: sts:AssumeRole on resource: %s",
		caller.ARN, in.RoleARN)
	m := roleARNPattern.FindStringSubmatch(in.RoleARN)
	if m == nil {
		return Credentials{}, Principal{}, denied
	}
	roleAccount, roleName := m[1], m[3]
	role, err := s.store.GetRole(ctx, roleAccount, roleName)
	if err != nil || !strings.EqualFold(role.Path, m[2]) {
		return Credentials{}, Principal{}, denied
	}
	if err := s.authorizeAssume(ctx, caller, role, in); err != nil {
		if errcode.Is(err, errcode.Denied) {
			return Credentials{}, Principal{}, denied
		}
		return Credentials{}, Principal{}, err
	}
	if duration > time.Duration(role.MaxSessionDuration)*time.Second {
		return Credentials{}, Principal{}, errcode.New(errcode.Validation,
			"The requested DurationSeconds exceeds the MaxSessionDuration set for this role.")
	}
	if caller.Type == TypeAssumedRole && duration > time.Hour {
		return Credentials{}, Principal{}, errcode.New(errcode.Validation,
			"The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.")
	}
	if in.Policy != "" {
		if err := s.validate(in.Policy, policy.Identity); err != nil {
			return Credentials{}, Principal{}, err
		}
	}
	now := s.now()
	c := sessionClaims{AccessKeyID: NewTemporaryAccessKeyID(), Secret: NewSecretAccessKey(), AccountID: roleAccount,
		RoleName: role.Name, RoleARN: EntityARN(roleAccount, "role", role.Path, role.Name), RoleID: role.ID,
		SessionName: in.SessionName, Policy: in.Policy,
		Issued: now.UnixMilli(), Expires: now.Add(duration).Truncate(time.Second).UnixMilli()}
	creds := Credentials{AccessKeyID: c.AccessKeyID, SecretAccessKey: c.Secret, SessionToken: s.keys.sealSession(c),
		Expiration: c.expires().UTC()}
	s.log.Info("assumed role", "caller", caller.ARN, "role", c.RoleARN, "session", in.SessionName,
		"access_key_id", c.AccessKeyID, "expires", creds.Expiration)
	return creds, c.principal(), nil
}

// authorizeAssume applies the caller's identity (and session) policies and the
// role's trust policy to sts:AssumeRole.
func (s *Service) authorizeAssume(ctx context.Context, caller Principal, role meta.Role, in AssumeRoleInput) error {
	trust, err := s.parse(role.TrustPolicy, policy.Trust)
	if err != nil {
		s.log.Warn("a role's trust policy does not parse", "role", role.Name, "err", err)
		return errcode.New(errcode.Denied, "trust policy does not parse")
	}
	epoch := s.store.AuthEpoch()
	identity, err := s.identityPolicies(ctx, epoch, caller)
	if err != nil {
		return err
	}
	pin := policy.Input{Identity: identity, Resource: []*policy.Document{trust}, ResourceAccount: role.AccountID}
	if caller.SessionPolicy != "" {
		doc, err := s.parse(caller.SessionPolicy, policy.Identity)
		if err != nil {
			return err
		}
		pin.Session = []*policy.Document{doc}
	}
	reqCtx := map[string][]string{"sts:RoleSessionName": {in.SessionName}}
	if in.ExternalID != "" {
		reqCtx["sts:ExternalId"] = []string{in.ExternalID}
	}
	roleARN := EntityARN(role.AccountID, "role", role.Path, role.Name)
	preq := &policy.Request{Principal: caller.policyPrincipal(s.org.ID), Action: "sts:AssumeRole", Resource: roleARN,
		Context: s.requestContext(Request{SourceIP: in.SourceIP, Secure: in.Secure, Context: reqCtx}, nil)}
	if d := policy.Decide(pin, preq); !d.Allowed() {
		return errcode.New(errcode.Denied, "%s", policy.DenyMessage(preq, d.Reason))
	}
	return nil
}
