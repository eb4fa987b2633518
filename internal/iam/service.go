package iam

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"regexp"
	"sync"
	"time"

	"github.com/berth-registry/berth/internal/meta"
)

// Store is what the identity service needs of the metadata store.
type Store interface {
	meta.Accounts
	meta.AccessKeys
}

// Service authenticates principals and issues their registry credentials.
type Service struct {
	store Store
	keys  *Keyring
	log   *slog.Logger
	now   func() time.Time

	mu      sync.Mutex
	secrets map[string]cachedKey
	tokens  map[string]cachedKey
	hosts   map[string]cachedAccount
}

// cachedKey is an opened access key; keys are looked up on every signed request.
type cachedKey struct {
	secret    string
	principal Principal
	until     time.Time
}

// secretCacheTTL bounds how long a disabled or deleted key keeps working on a replica.
const secretCacheTTL = 30 * time.Second

// NewService returns an identity service.
func NewService(store Store, keys *Keyring, log *slog.Logger) *Service {
	return &Service{store: store, keys: keys, log: log, now: time.Now,
		secrets: map[string]cachedKey{}, tokens: map[string]cachedKey{}, hosts: map[string]cachedAccount{}}
}

// Keys returns the keyring.
func (s *Service) Keys() *Keyring { return s.keys }

// AccessKey returns the secret and the principal of an active access key, or an
// error wrapping ErrUnknownAccessKey.
func (s *Service) AccessKey(ctx context.Context, id string) (string, Principal, error) {
	now := s.now()
	s.mu.Lock()
	c, ok := s.secrets[id]
	s.mu.Unlock()
	if ok && now.Before(c.until) {
		return c.secret, c.principal, nil
	}
	k, err := s.store.GetAccessKey(ctx, id)
	if errors.Is(err, meta.ErrNotFound) || (err == nil && k.Status != "Active") {
		return "", Principal{}, fmt.Errorf("access key %s: %w", id, ErrUnknownAccessKey)
	}
	if err != nil {
		return "", Principal{}, err
	}
	if _, err := s.store.GetAccount(ctx, k.AccountID); errors.Is(err, meta.ErrNotFound) {
		return "", Principal{}, fmt.Errorf("access key %s of no account: %w", id, ErrUnknownAccessKey)
	} else if err != nil {
		return "", Principal{}, err
	}
	secret, err := s.keys.Open(k.SecretSealed, []byte(k.ID))
	if err != nil {
		return "", Principal{}, err
	}
	p := Principal{AccountID: k.AccountID, AccessKeyID: k.ID, UserName: k.UserName, ARN: RootARN(k.AccountID)}
	if k.UserName != "" {
		p.ARN = "arn:aws:iam::" + k.AccountID + ":user/" + k.UserName
	}
	s.mu.Lock()
	if len(s.secrets) > 10000 {
		clear(s.secrets)
	}
	s.secrets[id] = cachedKey{secret: string(secret), principal: p, until: now.Add(secretCacheTTL)}
	s.mu.Unlock()
	return string(secret), p, nil
}

// IssueToken returns a registry password for p and when it expires.
func (s *Service) IssueToken(p Principal) (string, time.Time) { return s.keys.IssueToken(p, s.now()) }

// VerifyToken returns the principal of a registry password. Verified passwords are
// remembered until they expire: clients send the same one on every request.
func (s *Service) VerifyToken(password string) (Principal, error) {
	now := s.now()
	s.mu.Lock()
	c, ok := s.tokens[password]
	s.mu.Unlock()
	if ok && now.Before(c.until) {
		return c.principal, nil
	}
	p, expires, err := s.keys.verifyToken(password, now)
	if err != nil {
		return Principal{}, err
	}
	s.mu.Lock()
	if len(s.tokens) > 10000 {
		clear(s.tokens)
	}
	s.tokens[password] = cachedKey{principal: p, until: expires}
	s.mu.Unlock()
	return p, nil
}

// BootstrapOptions configures the default account on first start.
type BootstrapOptions struct {
	// AccountID is the default account's id; "" picks a random one.
	AccountID string
	// RootAccessKeyID and RootSecretAccessKey are the root credentials to create;
	// empty generates them, prints them once to Out and writes CredentialsFile.
	RootAccessKeyID, RootSecretAccessKey string
	// RegistryHost is the default account's registry host ("" = the host clients use).
	RegistryHost    string
	CredentialsFile string
	Out             io.Writer
}

var (
	accountIDPattern = regexp.MustCompile(`^[0-9]{12}$`)
	accessKeyPattern = regexp.MustCompile(`^[A-Z0-9]{16,128}$`)
)

// Bootstrap makes sure the default account and its root credentials exist, and that
// the account's registry host is the configured one.
func (s *Service) Bootstrap(ctx context.Context, o BootstrapOptions) (meta.Account, error) {
	acct, err := s.store.DefaultAccount(ctx)
	if err == nil {
		if acct.RegistryHost != o.RegistryHost {
			if err := s.store.SetRegistryHost(ctx, acct.ID, o.RegistryHost); err != nil {
				return meta.Account{}, fmt.Errorf("set registry host: %w", err)
			}
			acct.RegistryHost = o.RegistryHost
		}
		if o.RootAccessKeyID != "" {
			if _, err := s.store.GetAccessKey(ctx, o.RootAccessKeyID); errors.Is(err, meta.ErrNotFound) {
				s.log.Warn("BERTH_ROOT_ACCESS_KEY_ID is ignored: root credentials are created on first start only",
					"access_key_id", o.RootAccessKeyID)
			}
		}
		return acct, nil
	}
	if !errors.Is(err, meta.ErrNotFound) {
		return meta.Account{}, err
	}
	return s.createDefaultAccount(ctx, o)
}

func (s *Service) createDefaultAccount(ctx context.Context, o BootstrapOptions) (meta.Account, error) {
	id := o.AccountID
	if id == "" {
		id = NewAccountID()
	}
	if !accountIDPattern.MatchString(id) {
		return meta.Account{}, fmt.Errorf("account id %q: want 12 digits", id)
	}
	keyID, secret, generated := o.RootAccessKeyID, o.RootSecretAccessKey, false
	switch {
	case keyID == "" && secret == "":
		keyID, secret, generated = NewAccessKeyID(), NewSecretAccessKey(), true
	case keyID == "" || secret == "":
		return meta.Account{}, errors.New("set both BERTH_ROOT_ACCESS_KEY_ID and BERTH_ROOT_SECRET_ACCESS_KEY, or neither")
	case !accessKeyPattern.MatchString(keyID):
		return meta.Account{}, fmt.Errorf("root access key id %q: want 16 to 128 upper-case letters and digits", keyID)
	case len(secret) < 16:
		return meta.Account{}, errors.New("root secret access key: want at least 16 characters")
	}
	now := s.now()
	// The key first: a crash between the two must not leave an account nobody can use.
	err := s.store.CreateAccessKey(ctx, meta.AccessKey{ID: keyID, AccountID: id, Status: "Active",
		SecretSealed: s.keys.Seal([]byte(secret), []byte(keyID)), CreatedAt: now})
	if errors.Is(err, meta.ErrConflict) && !generated {
		// A start that crashed after creating the key: finish its account.
		k, kerr := s.store.GetAccessKey(ctx, keyID)
		if kerr != nil {
			return meta.Account{}, fmt.Errorf("create root access key: %w", kerr)
		}
		id, err = k.AccountID, nil
	}
	if err != nil {
		return meta.Account{}, fmt.Errorf("create root access key: %w", err)
	}
	acct := meta.Account{ID: id, Name: "default", RegistryHost: o.RegistryHost, Default: true, CreatedAt: now}
	if err := s.store.CreateAccount(ctx, acct); err != nil {
		return meta.Account{}, fmt.Errorf("create default account: %w", err)
	}
	if generated {
		body := fmt.Sprintf("[default]\naws_access_key_id = %s\naws_secret_access_key = %s\n# account %s\n", keyID, secret, id)
		if err := os.WriteFile(o.CredentialsFile, []byte(body), 0o600); err != nil {
			return meta.Account{}, fmt.Errorf("write %s: %w", o.CredentialsFile, err)
		}
		if o.Out != nil {
			fmt.Fprintf(o.Out, "\nberth: created the default account %s with root credentials (shown only this once):\n"+
				"  AWS_ACCESS_KEY_ID=%s\n  AWS_SECRET_ACCESS_KEY=%s\nThey are also in %s (mode 0600).\n\n",
				id, keyID, secret, o.CredentialsFile)
		}
	}
	s.log.Info("created the default account", "account", id, "root_access_key_id", keyID)
	return acct, nil
}
