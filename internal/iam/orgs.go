package iam

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"

	"github.com/berth-registry/berth/internal/errcode"
	"github.com/berth-registry/berth/internal/meta"
)

// DefaultOrganizationRole is the role Organizations creates in a new member account
// for the management account to administer it.
const DefaultOrganizationRole = "OrganizationAccountAccessRole"

// organizationOf is the organization whose management account is mgmt. Its id is
// derived from the account's, so every replica names it alike without storing it.
func organizationOf(mgmt meta.Account) Organization {
	sum := sha256.Sum256([]byte("berth organization " + mgmt.ID))
	const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
	id := make([]byte, 10)
	for i := range id {
		id[i] = alphabet[int(sum[i])%len(alphabet)]
	}
	org := Organization{ID: "o-" + string(id), MasterAccountID: mgmt.ID, MasterAccountEmail: mgmt.Email}
	org.ARN = "arn:aws:organizations::" + mgmt.ID + ":organization/" + org.ID
	org.MasterAccountARN = OrganizationAccountARN(org, mgmt.ID)
	return org
}

// errNotManagement is what Organizations answers a member account.
var errNotManagement = errcode.New(errcode.Denied, "You don't have permissions to access this resource.")

func (s *Service) management(caller Principal) error {
	if caller.AccountID != s.org.MasterAccountID {
		return errNotManagement
	}
	return nil
}

// DescribeOrganization returns the organization.
func (s *Service) DescribeOrganization(ctx context.Context, caller Principal) (Organization, error) {
	return s.org, nil
}

// MemberAccount is what creating an account made.
type MemberAccount struct {
	Account meta.Account
	// RoleName is the role the management account may assume in it.
	RoleName string
	// RootAccessKeyID and RootSecretAccessKey are set when root keys were asked for.
	RootAccessKeyID, RootSecretAccessKey string
}

// CreateMemberAccount creates an account in the organization with its registry
// (at registryHost, if set), the role roleName that the management account may
// assume, and, if rootKeys, an access key of its root.
func (s *Service) CreateMemberAccount(ctx context.Context, name, email, roleName, registryHost string, rootKeys bool) (MemberAccount, error) {
	if roleName == "" {
		roleName = DefaultOrganizationRole
	}
	acct := meta.Account{ID: NewAccountID(), Name: name, Email: email, RegistryHost: registryHost, CreatedAt: s.now().UTC()}
	// The role first and the account last: until the account row exists nothing can
	// sign as it, so a crash half-way leaves no account without its role.
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` +
		s.org.MasterAccountID + `:root"},"Action":"sts:AssumeRole"}]}`
	if _, err := s.CreateRole(ctx, acct.ID, meta.Role{Name: roleName, TrustPolicy: trust}); err != nil {
		return MemberAccount{}, fmt.Errorf("create %s: %w", roleName, err)
	}
	admin := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`
	if err := s.PutInlinePolicy(ctx, acct.ID, meta.KindRole, roleName, "AdministratorAccess", admin); err != nil {
		return MemberAccount{}, fmt.Errorf("grant %s: %w", roleName, err)
	}
	if err := s.store.CreateAccount(ctx, acct); err != nil {
		_ = s.store.DeleteInlinePolicy(ctx, acct.ID, meta.KindRole, roleName, "AdministratorAccess")
		_ = s.store.DeleteRole(ctx, acct.ID, roleName)
		if errors.Is(err, meta.ErrConflict) {
			return MemberAccount{}, fmt.Errorf("account with email %q or registry host %q: %w", email, registryHost, err)
		}
		return MemberAccount{}, fmt.Errorf("create account: %w", err)
	}
	out := MemberAccount{Account: acct, RoleName: roleName}
	if rootKeys {
		k, secret, err := s.CreateAccessKey(ctx, acct.ID, "")
		if err != nil {
			return MemberAccount{}, fmt.Errorf("create root access key: %w", err)
		}
		out.RootAccessKeyID, out.RootSecretAccessKey = k.ID, secret
	}
	s.log.Info("created account", "account", acct.ID, "name", name, "registry_host", registryHost, "role", roleName)
	return out, nil
}

// CreateAccount is Organizations' CreateAccount: it records the request, creates the
// account and answers with the request's first state, IN_PROGRESS, as AWS does;
// DescribeCreateAccountStatus tells the outcome.
func (s *Service) CreateAccount(ctx context.Context, caller Principal, name, email, roleName string) (meta.CreateAccountStatus, error) {
	if err := s.management(caller); err != nil {
		return meta.CreateAccountStatus{}, err
	}
	id := make([]byte, 16)
	rand.Read(id)
	st := meta.CreateAccountStatus{ID: "car-" + hex.EncodeToString(id), AccountName: name, Email: email,
		State: "IN_PROGRESS", RequestedAt: s.now().UTC()}
	if err := s.store.PutCreateAccountStatus(ctx, st); err != nil {
		return meta.CreateAccountStatus{}, fmt.Errorf("record create account request: %w", err)
	}
	first := st
	m, err := s.CreateMemberAccount(ctx, name, email, roleName, "", false)
	switch {
	case errors.Is(err, meta.ErrConflict):
		st.State, st.FailureReason = "FAILED", "EMAIL_ALREADY_EXISTS"
	case err != nil:
		s.log.Error("create account failed", "request", st.ID, "err", err)
		st.State, st.FailureReason = "FAILED", "INTERNAL_FAILURE"
	default:
		st.State, st.AccountID = "SUCCEEDED", m.Account.ID
	}
	st.CompletedAt = s.now().UTC()
	if err := s.store.PutCreateAccountStatus(ctx, st); err != nil {
		return meta.CreateAccountStatus{}, fmt.Errorf("record create account outcome: %w", err)
	}
	return first, nil
}

// DescribeCreateAccountStatus returns a CreateAccount request's status.
func (s *Service) DescribeCreateAccountStatus(ctx context.Context, caller Principal, id string) (meta.CreateAccountStatus, error) {
	if err := s.management(caller); err != nil {
		return meta.CreateAccountStatus{}, err
	}
	st, err := s.store.GetCreateAccountStatus(ctx, id)
	if errors.Is(err, meta.ErrNotFound) {
		return meta.CreateAccountStatus{}, errcode.New(errcode.EntityNotFound,
			"We can't find an create account request with the CreateAccountRequestId that you specified.")
	}
	return st, err
}

// ListCreateAccountStatus lists CreateAccount requests, newest first.
func (s *Service) ListCreateAccountStatus(ctx context.Context, caller Principal, states []string, nextToken string, maxResults int) ([]meta.CreateAccountStatus, string, error) {
	if err := s.management(caller); err != nil {
		return nil, "", err
	}
	return page(nextToken, maxResults, func(after string, limit int) ([]meta.CreateAccountStatus, error) {
		return s.store.ListCreateAccountStatus(ctx, states, after, limit)
	}, func(st meta.CreateAccountStatus) string { return st.ID })
}

// ListAccounts lists the organization's accounts.
func (s *Service) ListAccounts(ctx context.Context, caller Principal, nextToken string, maxResults int) ([]meta.Account, string, error) {
	if err := s.management(caller); err != nil {
		return nil, "", err
	}
	return page(nextToken, maxResults, func(after string, limit int) ([]meta.Account, error) {
		return s.store.ListAccounts(ctx, after, limit)
	}, func(a meta.Account) string { return a.ID })
}

// Organization returns the organization.
func (s *Service) Organization() Organization { return s.org }

// UseDefaultAccount loads the organization from the default account, for tools that
// work on a registry without serving it; ErrNotFound wrapped before its first start.
func (s *Service) UseDefaultAccount(ctx context.Context) (meta.Account, error) {
	acct, err := s.store.DefaultAccount(ctx)
	if err != nil {
		return meta.Account{}, fmt.Errorf("default account: %w", err)
	}
	s.org = organizationOf(acct)
	return acct, nil
}
