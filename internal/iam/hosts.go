package iam

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"time"

	"github.com/berth-registry/berth/internal/meta"
)

// accountCacheTTL bounds how long a replica keeps answering with an account's old
// registry host after it changed.
const accountCacheTTL = 10 * time.Second

type cachedAccount struct {
	account meta.Account
	until   time.Time
}

// AccountForHost returns the account whose registry a request to host addresses: the
// account that claims the host (with or without its port), else the default account.
func (s *Service) AccountForHost(ctx context.Context, host string) (meta.Account, error) {
	now := s.now()
	key := strings.ToLower(host)
	s.mu.Lock()
	c, ok := s.hosts[key]
	s.mu.Unlock()
	if ok && now.Before(c.until) {
		return c.account, nil
	}
	acct, err := s.lookupHost(ctx, key)
	if err != nil {
		return meta.Account{}, err
	}
	s.mu.Lock()
	if len(s.hosts) > 1000 {
		clear(s.hosts)
	}
	s.hosts[key] = cachedAccount{account: acct, until: now.Add(accountCacheTTL)}
	s.mu.Unlock()
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
