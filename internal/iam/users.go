package iam

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"

	"github.com/berth-registry/berth/internal/errcode"
	"github.com/berth-registry/berth/internal/meta"
)

const (
	statusActive   = "Active"
	statusInactive = "Inactive"
	// maxAccessKeys is IAM's quota of access keys per user (and per root).
	maxAccessKeys = 2
)

// page runs a list of up to maxItems+1 entries after the marker and returns the page
// and the marker of the next one ("" at the end). Markers are opaque to clients.
func page[T any](marker string, maxItems int, list func(after string, limit int) ([]T, error), name func(T) string) ([]T, string, error) {
	after := ""
	if marker != "" {
		b, err := base64.RawURLEncoding.DecodeString(marker)
		if err != nil {
			return nil, "", errcode.New(errcode.InvalidParameter, "Invalid Marker.")
		}
		after = string(b)
	}
	if maxItems <= 0 {
		maxItems = 100
	}
	items, err := list(after, maxItems+1)
	if err != nil {
		return nil, "", err
	}
	if len(items) <= maxItems {
		return items, "", nil
	}
	items = items[:maxItems]
	return items, base64.RawURLEncoding.EncodeToString([]byte(name(items[len(items)-1]))), nil
}

// CreateUser creates an IAM user.
func (s *Service) CreateUser(ctx context.Context, accountID, name, path string) (meta.User, error) {
	if path == "" {
		path = "/"
	}
	u := meta.User{AccountID: accountID, Name: name, ID: newUniqueID("AIDA"), Path: path, CreatedAt: s.now().UTC()}
	if err := s.store.CreateUser(ctx, u); err != nil {
		return meta.User{}, storeError(err, "user", name)
	}
	s.log.Info("created IAM user", "account", accountID, "user", name)
	return u, nil
}

// GetUser returns an IAM user.
func (s *Service) GetUser(ctx context.Context, accountID, name string) (meta.User, error) {
	u, err := s.store.GetUser(ctx, accountID, name)
	return u, storeError(err, "user", name)
}

// ListUsers lists an account's users, a page at a time.
func (s *Service) ListUsers(ctx context.Context, accountID, pathPrefix, marker string, maxItems int) ([]meta.User, string, error) {
	return page(marker, maxItems, func(after string, limit int) ([]meta.User, error) {
		return s.store.ListUsers(ctx, accountID, pathPrefix, after, limit)
	}, func(u meta.User) string { return u.Name })
}

// DeleteUser deletes a user that has no keys, policies or groups left.
func (s *Service) DeleteUser(ctx context.Context, accountID, name string) error {
	if err := s.store.DeleteUser(ctx, accountID, name); err != nil {
		return storeError(err, "user", name)
	}
	s.log.Info("deleted IAM user", "account", accountID, "user", name)
	return nil
}

// CreateAccessKey creates an access key for a user ("" = the account's root) and
// returns it with its secret, which is never shown again.
func (s *Service) CreateAccessKey(ctx context.Context, accountID, userName string) (meta.AccessKey, string, error) {
	if err := s.userExists(ctx, accountID, userName); err != nil {
		return meta.AccessKey{}, "", err
	}
	keys, err := s.store.ListAccessKeys(ctx, accountID, userName)
	if err != nil {
		return meta.AccessKey{}, "", fmt.Errorf("list access keys: %w", err)
	}
	if len(keys) >= maxAccessKeys {
		return meta.AccessKey{}, "", errcode.New(errcode.LimitExceeded, "Cannot exceed quota for AccessKeysPerUser: %d", maxAccessKeys)
	}
	secret := NewSecretAccessKey()
	k := meta.AccessKey{ID: NewAccessKeyID(), AccountID: accountID, UserName: userName, Status: statusActive,
		CreatedAt: s.now().UTC()}
	k.SecretSealed = s.keys.Seal([]byte(secret), []byte(k.ID))
	if err := s.store.CreateAccessKey(ctx, k); err != nil {
		return meta.AccessKey{}, "", fmt.Errorf("create access key: %w", err)
	}
	s.log.Info("created access key", "account", accountID, "user", userName, "access_key_id", k.ID)
	return k, secret, nil
}

// userExists checks that a user exists ("" is the root, which always does).
func (s *Service) userExists(ctx context.Context, accountID, userName string) error {
	if userName == "" {
		return nil
	}
	_, err := s.store.GetUser(ctx, accountID, userName)
	return storeError(err, "user", userName)
}

// ListAccessKeys lists a user's keys ("" = the root's).
func (s *Service) ListAccessKeys(ctx context.Context, accountID, userName string) ([]meta.AccessKey, error) {
	if err := s.userExists(ctx, accountID, userName); err != nil {
		return nil, err
	}
	keys, err := s.store.ListAccessKeys(ctx, accountID, userName)
	if err != nil {
		return nil, fmt.Errorf("list access keys: %w", err)
	}
	for i := range keys {
		keys[i].SecretSealed = nil
	}
	return keys, nil
}

// UpdateAccessKey activates or deactivates a key; the change takes effect on the next
// request signed with it.
func (s *Service) UpdateAccessKey(ctx context.Context, accountID, userName, keyID, status string) error {
	if status != statusActive && status != statusInactive {
		return errcode.New(errcode.Validation,
			"1 validation error detected: Value '%s' at 'status' failed to satisfy constraint: "+
				"Member must satisfy enum value set: [Active, Inactive]", status)
	}
	if err := s.userExists(ctx, accountID, userName); err != nil {
		return err
	}
	if err := s.store.SetAccessKeyStatus(ctx, accountID, userName, keyID, status); err != nil {
		return storeError(err, "access key", keyID)
	}
	s.log.Info("changed access key status", "account", accountID, "user", userName, "access_key_id", keyID, "status", status)
	return nil
}

// DeleteAccessKey deletes a key; requests signed with it fail from then on.
func (s *Service) DeleteAccessKey(ctx context.Context, accountID, userName, keyID string) error {
	if err := s.userExists(ctx, accountID, userName); err != nil {
		return err
	}
	if err := s.store.DeleteAccessKey(ctx, accountID, userName, keyID); err != nil {
		return storeError(err, "access key", keyID)
	}
	s.log.Info("deleted access key", "account", accountID, "user", userName, "access_key_id", keyID)
	return nil
}

// CreateGroup creates an IAM group.
func (s *Service) CreateGroup(ctx context.Context, accountID, name, path string) (meta.Group, error) {
	if path == "" {
		path = "/"
	}
	g := meta.Group{AccountID: accountID, Name: name, ID: newUniqueID("AGPA"), Path: path, CreatedAt: s.now().UTC()}
	if err := s.store.CreateGroup(ctx, g); err != nil {
		return meta.Group{}, storeError(err, "group", name)
	}
	return g, nil
}

// GetGroup returns a group and its members.
func (s *Service) GetGroup(ctx context.Context, accountID, name string) (meta.Group, []meta.User, error) {
	g, err := s.store.GetGroup(ctx, accountID, name)
	if err != nil {
		return meta.Group{}, nil, storeError(err, "group", name)
	}
	users, err := s.store.ListGroupMembers(ctx, accountID, g.Name)
	if err != nil {
		return meta.Group{}, nil, storeError(err, "group", name)
	}
	return g, users, nil
}

// ListGroups lists an account's groups, a page at a time.
func (s *Service) ListGroups(ctx context.Context, accountID, pathPrefix, marker string, maxItems int) ([]meta.Group, string, error) {
	return page(marker, maxItems, func(after string, limit int) ([]meta.Group, error) {
		return s.store.ListGroups(ctx, accountID, pathPrefix, after, limit)
	}, func(g meta.Group) string { return g.Name })
}

// ListGroupsForUser lists the groups a user is in.
func (s *Service) ListGroupsForUser(ctx context.Context, accountID, userName string) ([]meta.Group, error) {
	groups, err := s.store.ListGroupsForUser(ctx, accountID, userName)
	return groups, storeError(err, "user", userName)
}

// DeleteGroup deletes a group without members or policies.
func (s *Service) DeleteGroup(ctx context.Context, accountID, name string) error {
	return storeError(s.store.DeleteGroup(ctx, accountID, name), "group", name)
}

// AddUserToGroup adds a user to a group.
func (s *Service) AddUserToGroup(ctx context.Context, accountID, group, user string) error {
	err := s.store.AddUserToGroup(ctx, accountID, group, user)
	if errors.Is(err, meta.ErrNotFound) {
		return s.whichMissing(ctx, accountID, group, user)
	}
	return storeError(err, "group", group)
}

// RemoveUserFromGroup removes a user from a group; removing a user who is not a
// member succeeds, as in IAM.
func (s *Service) RemoveUserFromGroup(ctx context.Context, accountID, group, user string) error {
	err := s.store.RemoveUserFromGroup(ctx, accountID, group, user)
	if errors.Is(err, meta.ErrNotFound) {
		return s.whichMissing(ctx, accountID, group, user)
	}
	return storeError(err, "group", group)
}

// whichMissing names the missing one of a user and a group (the user first, as IAM
// checks), nil if both exist.
func (s *Service) whichMissing(ctx context.Context, accountID, group, user string) error {
	if _, err := s.store.GetUser(ctx, accountID, user); err != nil {
		return storeError(err, "user", user)
	}
	if _, err := s.store.GetGroup(ctx, accountID, group); err != nil {
		return storeError(err, "group", group)
	}
	return nil
}
