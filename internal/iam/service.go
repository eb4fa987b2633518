package iam

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"regexp"
	"slices"
	"time"

	"github.com/berth-registry/berth/internal/awsproto"
	"github.com/berth-registry/berth/internal/meta"
)

// Store is what the identity service needs of the metadata store.
type Store interface {
	meta.Accounts
	meta.AccessKeys
	meta.IAMUsers
	meta.IAMGroups
	meta.IAMRoles
	meta.IAMPolicies
	meta.IAMManagedPolicies
	meta.ResourcePolicies
	meta.Organization
	meta.AuthEpochs
	GetRepository(ctx context.Context, registryID, name string) (meta.Repository, error)
	ResourceTags(ctx context.Context, repoID int64) ([]meta.ResourceTag, error)
}

// Options configures the identity service.
type Options struct {
	// Region is the region berth presents itself as (ECR ARNs).
	Region string
	// Regions are the regions accepted in SigV4 credential scopes; Region if empty.
	// Global services (IAM, Organizations) also accept us-east-1, where AWS signs them.
	Regions []string
	// MaxSkew is the clock skew allowed on signed requests; 15 minutes if zero.
	MaxSkew time.Duration
	// MinSessionDuration is the shortest session AssumeRole grants; 15 minutes (AWS's
	// floor) if zero.
	MinSessionDuration time.Duration
}

// Service authenticates and authorizes principals, manages IAM identities and their
// policies, issues registry credentials and temporary credentials, and manages the
// organization's accounts.
type Service struct {
	store  Store
	keys   *Keyring
	log    *slog.Logger
	now    func() time.Time
	region string
	// minSession is the shortest session AssumeRole grants.
	minSession time.Duration

	// verifier checks regional services' signatures, global the global ones'.
	verifier *awsproto.Verifier
	global   *awsproto.Verifier

	// managed are the AWS managed policies, parsed once, by ARN; managedList sorted
	// by name.
	managed     map[string]managedPolicy
	managedList []managedPolicy
	// org is the organization; set by Bootstrap, before requests are served.
	org Organization

	cache  *authCache
	parsed parsedDocs
}

// NewService returns an identity service.
func NewService(store Store, keys *Keyring, opts Options, log *slog.Logger) *Service {
	regions := opts.Regions
	if len(regions) == 0 && opts.Region != "" {
		regions = []string{opts.Region}
	}
	global := slices.Clone(regions)
	if !slices.Contains(global, "us-east-1") {
		global = append(global, "us-east-1")
	}
	minSession := opts.MinSessionDuration
	if minSession == 0 {
		minSession = 15 * time.Minute
	}
	s := &Service{store: store, keys: keys, log: log, now: time.Now, region: opts.Region, minSession: minSession,
		verifier: &awsproto.Verifier{Regions: regions, MaxSkew: opts.MaxSkew},
		global:   &awsproto.Verifier{Regions: global, MaxSkew: opts.MaxSkew},
		managed:  map[string]managedPolicy{},
		cache:    newAuthCache()}
	s.managedList = parseManagedPolicies(log)
	for _, m := range s.managedList {
		s.managed[m.arn] = m
	}
	return s
}

// Keys returns the keyring.
func (s *Service) Keys() *Keyring { return s.keys }

// Region is the region berth presents itself as.
func (s *Service) Region() string { return s.region }

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
// the account's registry host is the configured one. The default account is the
// management account of the organization.
func (s *Service) Bootstrap(ctx context.Context, o BootstrapOptions) (meta.Account, error) {
	acct, err := s.bootstrap(ctx, o)
	if err != nil {
		return meta.Account{}, err
	}
	s.org = organizationOf(acct)
	return acct, nil
}

func (s *Service) bootstrap(ctx context.Context, o BootstrapOptions) (meta.Account, error) {
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
