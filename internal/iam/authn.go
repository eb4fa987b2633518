package iam

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/berth-registry/berth/internal/awsproto"
	"github.com/berth-registry/berth/internal/meta"
)

// globalServices are signed in us-east-1 whatever region berth presents.
var globalServices = map[string]bool{"iam": true, "organizations": true, "sts": true}

// Authenticate verifies r's SigV4 signature for service ("ecr", "kms", "iam", "sts",
// "organizations"; the global ones are signed in us-east-1, the others in berth's
// region) and returns the caller. body is the request body, already read.
// Failures are *errcode.Error (MissingAuthenticationToken, IncompleteSignature,
// InvalidSignature, UnrecognizedClient, ExpiredToken) or server-side errors.
func (s *Service) Authenticate(ctx context.Context, r *http.Request, body []byte, service string) (Principal, error) {
	v := s.verifier
	if globalServices[service] {
		v = s.global
	}
	var caller Principal
	lookup := func(ctx context.Context, id, sessionToken string) (string, error) {
		secret, p, err := s.credential(ctx, id, sessionToken)
		caller = p
		return secret, err
	}
	if _, err := v.Verify(ctx, r, body, service, lookup); err != nil {
		return Principal{}, err
	}
	return caller, nil
}

// credential returns the secret and principal of an access key: a long-term key from
// the store, or temporary credentials from their session token.
func (s *Service) credential(ctx context.Context, id, sessionToken string) (string, Principal, error) {
	if isTemporaryKey(id) {
		c, err := s.session(id, sessionToken)
		if err != nil {
			return "", Principal{}, err
		}
		return c.Secret, c.principal(), nil
	}
	if sessionToken != "" {
		return "", Principal{}, fmt.Errorf("session token with long-term key %s: %w", id, awsproto.ErrUnknownAccessKey)
	}
	k, err := s.accessKey(ctx, id)
	if err != nil {
		return "", Principal{}, err
	}
	if !k.active {
		return "", Principal{}, fmt.Errorf("access key %s is inactive: %w", id, awsproto.ErrUnknownAccessKey)
	}
	return k.secret, k.principal, nil
}

// session opens and checks a session token for the temporary access key id.
func (s *Service) session(id, token string) (sessionClaims, error) {
	if token == "" {
		return sessionClaims{}, fmt.Errorf("temporary key %s without a session token: %w", id, awsproto.ErrUnknownAccessKey)
	}
	now := s.now()
	c, ok := s.cache.session(token, now)
	if !ok {
		if c, ok = s.keys.openSession(token); !ok {
			return sessionClaims{}, fmt.Errorf("session token: %w", awsproto.ErrUnknownAccessKey)
		}
		if !now.Before(c.expires()) {
			return sessionClaims{}, fmt.Errorf("session of %s: %w", id, awsproto.ErrExpiredToken)
		}
		s.cache.putSession(token, c)
	}
	if c.AccessKeyID != id {
		return sessionClaims{}, fmt.Errorf("session token of another key: %w", awsproto.ErrUnknownAccessKey)
	}
	return c, nil
}

// accessKey returns a long-term access key, opened, with its principal, or an error
// wrapping awsproto.ErrUnknownAccessKey. Keys are read on every signed request, so
// they are cached for the auth epoch.
func (s *Service) accessKey(ctx context.Context, id string) (cachedKey, error) {
	epoch := s.store.AuthEpoch()
	c := s.cache
	if k, ok := lookup(c, epoch, func() map[string]cachedKey { return c.keys }, id); ok {
		if k.secret == "" {
			return cachedKey{}, fmt.Errorf("access key %s: %w", id, awsproto.ErrUnknownAccessKey)
		}
		return k, nil
	}
	k, err := s.loadAccessKey(ctx, id)
	if errors.Is(err, awsproto.ErrUnknownAccessKey) {
		// Remember unknown keys too: a client retrying with a deleted key must not
		// cost a query per attempt.
		store(c, epoch, func() map[string]cachedKey { return c.keys }, id, cachedKey{})
		return cachedKey{}, err
	}
	if err != nil {
		return cachedKey{}, err
	}
	store(c, epoch, func() map[string]cachedKey { return c.keys }, id, k)
	return k, nil
}

func (s *Service) loadAccessKey(ctx context.Context, id string) (cachedKey, error) {
	k, err := s.store.GetAccessKey(ctx, id)
	if errors.Is(err, meta.ErrNotFound) {
		return cachedKey{}, fmt.Errorf("access key %s: %w", id, awsproto.ErrUnknownAccessKey)
	}
	if err != nil {
		return cachedKey{}, err
	}
	if _, err := s.store.GetAccount(ctx, k.AccountID); errors.Is(err, meta.ErrNotFound) {
		return cachedKey{}, fmt.Errorf("access key %s of no account: %w", id, awsproto.ErrUnknownAccessKey)
	} else if err != nil {
		return cachedKey{}, err
	}
	p := RootPrincipal(k.AccountID, k.ID)
	if k.UserName != "" {
		u, err := s.store.GetUser(ctx, k.AccountID, k.UserName)
		if errors.Is(err, meta.ErrNotFound) {
			return cachedKey{}, fmt.Errorf("access key %s of no user: %w", id, awsproto.ErrUnknownAccessKey)
		}
		if err != nil {
			return cachedKey{}, err
		}
		p = userPrincipal(u, k.ID)
	}
	secret, err := s.keys.Open(k.SecretSealed, []byte(k.ID))
	if err != nil {
		return cachedKey{}, err
	}
	return cachedKey{secret: string(secret), principal: p, active: k.Status == statusActive}, nil
}

// userPrincipal is the principal of an IAM user signing with keyID.
func userPrincipal(u meta.User, keyID string) Principal {
	return Principal{Type: TypeUser, AccountID: u.AccountID, ARN: EntityARN(u.AccountID, "user", u.Path, u.Name),
		UserID: u.ID, AccessKeyID: keyID, UserName: u.Name}
}

// IssueToken returns a registry password for p and when it expires.
func (s *Service) IssueToken(p Principal) (string, time.Time) { return s.keys.IssueToken(p, s.now()) }

// VerifyToken returns the principal of a registry password. The password is verified
// by its signature alone and remembered; each use also checks that the access key it
// was got with is still active, so deleting or deactivating the key revokes it.
func (s *Service) VerifyToken(ctx context.Context, password string) (Principal, error) {
	c, ok := s.cache.token(password)
	if !ok {
		var err error
		if c, err = s.keys.verifyToken(password); err != nil {
			return Principal{}, err
		}
		s.cache.putToken(password, c)
	}
	if s.now().UnixMilli() >= c.Expires {
		return Principal{}, ErrTokenExpired
	}
	if !isTemporaryKey(c.AccessKeyID) {
		k, err := s.accessKey(ctx, c.AccessKeyID)
		if errors.Is(err, awsproto.ErrUnknownAccessKey) || (err == nil && !k.active) {
			return Principal{}, fmt.Errorf("token of access key %s: %w", c.AccessKeyID, ErrTokenInvalid)
		}
		if err != nil {
			return Principal{}, err
		}
	}
	return c.principal(), nil
}
