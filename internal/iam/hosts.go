package iam

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"

	"github.com/berth-registry/berth/internal/meta"
)

// AccountForHost returns the account whose registry a request to host addresses: the
// account that claims the host (with or without its port), else the default account.
func (s *Service) AccountForHost(ctx context.Context, host string) (meta.Account, error) {
	key := strings.ToLower(host)
	epoch := s.store.AuthEpoch()
	c := s.cache
	if acct, ok := lookup(c, epoch, func() map[string]meta.Account { return c.hosts }, key); ok {
		return acct, nil
	}
	acct, err := s.lookupHost(ctx, key)
	if err != nil {
		return meta.Account{}, err
	}
	store(c, epoch, func() map[string]meta.Account { return c.hosts }, key, acct)
	return acct, nil
}

func (s *Service) lookupHost(ctx context.Context, host string) (meta.Account, error) {
	candidates := []string{host}
	if h, _, err := net.SplitHostPort(host); err == nil {
		candidates = append(candidates, h)
	}
	for _, c := range candidates {
		acct, err := s.store.AccountByHost(ctx, c)
		if err == nil {
			return acct, nil
		}
		if !errors.Is(err, meta.ErrNotFound) {
			return meta.Account{}, fmt.Errorf("account for host %s: %w", host, err)
		}
	}
	acct, err := s.store.DefaultAccount(ctx)
	if err != nil {
		return meta.Account{}, fmt.Errorf("default account: %w", err)
	}
	return acct, nil
}

// RegistryHost is the host clients use for acct's registry: its configured host, else
// the host this request came to.
func RegistryHost(acct meta.Account, requestHost string) string {
	if acct.RegistryHost != "" {
		return acct.RegistryHost
	}
	return requestHost
}

// VerifyPresignedBlob checks a presigned blob download query.
func (s *Service) VerifyPresignedBlob(registryID, repository, dgst string, q url.Values) error {
	return s.keys.VerifyPresignedBlob(registryID, repository, dgst, q, s.now())
}
