package storetest

import (
	"testing"
	"time"

	"github.com/berth-registry/berth/internal/meta"
)

var accessKeyLifecycleTests = []test{
	{"ListAccessKeys", testListAccessKeys},
	{"SetAccessKeyStatus", testSetAccessKeyStatus},
	{"DeleteAccessKey", testDeleteAccessKey},
}

func keyIDs(ks []meta.AccessKey) []string {
	out := make([]string, len(ks))
	for i, k := range ks {
		out[i] = k.ID
	}
	return out
}

// mustKeys creates keys, Active and with a sealed secret unless they say otherwise.
func mustKeys(t *testing.T, s meta.Store, keys ...meta.AccessKey) {
	t.Helper()
	for _, k := range keys {
		if k.Status == "" {
			k.Status = "Active"
		}
		if k.SecretSealed == nil {
			k.SecretSealed = []byte("sealed " + k.ID)
		}
		if err := s.CreateAccessKey(ctx(t), k); err != nil {
			t.Fatalf("CreateAccessKey(%s): %v", k.ID, err)
		}
	}
}

func testListAccessKeys(t *testing.T, s meta.Store) {
	got, err := s.ListAccessKeys(ctx(t), registryID, "")
	wantNoErr(t, "ListAccessKeys of none", err)
	wantStrings(t, "ListAccessKeys of none", keyIDs(got), nil)

	mustKeys(t, s,
		meta.AccessKey{ID: "AKIAROOT2", AccountID: registryID, CreatedAt: base.Add(2 * time.Second)},
		meta.AccessKey{ID: "AKIAROOT1", AccountID: registryID, CreatedAt: base.Add(3 * time.Second)},
		// Same creation time: by id.
		meta.AccessKey{ID: "AKIAALICEB", AccountID: registryID, UserName: "alice", CreatedAt: base},
		meta.AccessKey{ID: "AKIAALICEA", AccountID: registryID, UserName: "alice", CreatedAt: base},
		meta.AccessKey{ID: "AKIAALICE0", AccountID: registryID, UserName: "alice", CreatedAt: base.Add(-time.Hour),
			Status: "Inactive", SecretSealed: []byte{0, 1, 2}},
		meta.AccessKey{ID: "AKIABOB", AccountID: registryID, UserName: "bob", CreatedAt: base},
		meta.AccessKey{ID: "AKIAOTHERROOT", AccountID: otherRegistry, CreatedAt: base},
		meta.AccessKey{ID: "AKIAOTHERALICE", AccountID: otherRegistry, UserName: "alice", CreatedAt: base},
	)
	for _, c := range []struct {
		account, user string
		want          []string
	}{
		{registryID, "", []string{"AKIAROOT2", "AKIAROOT1"}},
		{registryID, "alice", []string{"AKIAALICE0", "AKIAALICEA", "AKIAALICEB"}},
		// User names ignore case, as IAM's.
		{registryID, "ALICE", []string{"AKIAALICE0", "AKIAALICEA", "AKIAALICEB"}},
		{registryID, "bob", []string{"AKIABOB"}},
		{registryID, "carol", nil},
		{otherRegistry, "", []string{"AKIAOTHERROOT"}},
		{otherRegistry, "alice", []string{"AKIAOTHERALICE"}},
		{otherRegistry, "bob", nil},
		{"000000000001", "", nil},
	} {
		got, err := s.ListAccessKeys(ctx(t), c.account, c.user)
		wantNoErr(t, "ListAccessKeys("+c.account+", "+c.user+")", err)
		wantStrings(t, "ListAccessKeys("+c.account+", "+c.user+")", keyIDs(got), c.want)
	}
	got, err = s.ListAccessKeys(ctx(t), registryID, "alice")
	wantNoErr(t, "ListAccessKeys", err)
	if len(got) == 3 {
		wantAccessKey(t, "ListAccessKeys(alice)[0]", got[0], meta.AccessKey{ID: "AKIAALICE0", AccountID: registryID,
			UserName: "alice", SecretSealed: []byte{0, 1, 2}, Status: "Inactive", CreatedAt: base.Add(-time.Hour)})
	}
}

func testSetAccessKeyStatus(t *testing.T, s meta.Store) {
	mustKeys(t, s,
		meta.AccessKey{ID: "AKIAROOT", AccountID: registryID, CreatedAt: base},
		meta.AccessKey{ID: "AKIAALICE", AccountID: registryID, UserName: "alice", CreatedAt: base},
	)
	status := func(id string) string {
		t.Helper()
		k, err := s.GetAccessKey(ctx(t), id)
		wantNoErr(t, "GetAccessKey("+id+")", err)
		return k.Status
	}
	// Not that user's, not that account's, no such key: nothing changes.
	for _, c := range []struct{ account, user, id string }{
		{registryID, "", "AKIAALICE"}, {registryID, "bob", "AKIAALICE"}, {otherRegistry, "alice", "AKIAALICE"},
		{registryID, "alice", "AKIAROOT"}, {otherRegistry, "", "AKIAROOT"}, {registryID, "", "AKIANONE"},
	} {
		err := s.SetAccessKeyStatus(ctx(t), c.account, c.user, c.id, "Inactive")
		wantErrIs(t, "SetAccessKeyStatus("+c.account+", "+c.user+", "+c.id+")", err, meta.ErrNotFound)
	}
	if status("AKIAALICE") != "Active" || status("AKIAROOT") != "Active" {
		t.Fatalf("statuses after refused changes = %s, %s; want both Active", status("AKIAALICE"), status("AKIAROOT"))
	}

	wantNoErr(t, "SetAccessKeyStatus(alice, Inactive)", s.SetAccessKeyStatus(ctx(t), registryID, "Alice", "AKIAALICE", "Inactive"))
	if got := status("AKIAALICE"); got != "Inactive" {
		t.Errorf("status after SetAccessKeyStatus(Inactive) = %s, want Inactive", got)
	}
	if got := status("AKIAROOT"); got != "Active" {
		t.Errorf("root key's status after changing alice's = %s, want Active", got)
	}
	wantNoErr(t, "SetAccessKeyStatus to the same status", s.SetAccessKeyStatus(ctx(t), registryID, "alice", "AKIAALICE", "Inactive"))
	wantNoErr(t, "SetAccessKeyStatus(root, Inactive)", s.SetAccessKeyStatus(ctx(t), registryID, "", "AKIAROOT", "Inactive"))
	wantNoErr(t, "SetAccessKeyStatus(alice, Active)", s.SetAccessKeyStatus(ctx(t), registryID, "alice", "AKIAALICE", "Active"))
	if status("AKIAALICE") != "Active" || status("AKIAROOT") != "Inactive" {
		t.Errorf("statuses = %s, %s; want Active, Inactive", status("AKIAALICE"), status("AKIAROOT"))
	}
	keys, err := s.ListAccessKeys(ctx(t), registryID, "")
	wantNoErr(t, "ListAccessKeys", err)
	if len(keys) != 1 || keys[0].Status != "Inactive" {
		t.Errorf("ListAccessKeys(root) = %+v, want AKIAROOT Inactive", keys)
	}
}

func testDeleteAccessKey(t *testing.T, s meta.Store) {
	mustKeys(t, s,
		meta.AccessKey{ID: "AKIAROOT", AccountID: registryID, CreatedAt: base},
		meta.AccessKey{ID: "AKIAALICE1", AccountID: registryID, UserName: "alice", CreatedAt: base},
		meta.AccessKey{ID: "AKIAALICE2", AccountID: registryID, UserName: "alice", CreatedAt: base.Add(time.Second)},
	)
	for _, c := range []struct{ account, user, id string }{
		{registryID, "", "AKIAALICE1"}, {registryID, "bob", "AKIAALICE1"}, {otherRegistry, "alice", "AKIAALICE1"},
		{registryID, "alice", "AKIAROOT"}, {registryID, "alice", "AKIANONE"},
	} {
		err := s.DeleteAccessKey(ctx(t), c.account, c.user, c.id)
		wantErrIs(t, "DeleteAccessKey("+c.account+", "+c.user+", "+c.id+")", err, meta.ErrNotFound)
	}
	for _, id := range []string{"AKIAROOT", "AKIAALICE1", "AKIAALICE2"} {
		_, err := s.GetAccessKey(ctx(t), id)
		wantNoErr(t, "GetAccessKey("+id+") after refused deletes", err)
	}
	wantNoErr(t, "DeleteAccessKey(alice)", s.DeleteAccessKey(ctx(t), registryID, "ALICE", "AKIAALICE1"))
	_, err := s.GetAccessKey(ctx(t), "AKIAALICE1")
	wantErrIs(t, "GetAccessKey of a deleted key", err, meta.ErrNotFound)
	err = s.DeleteAccessKey(ctx(t), registryID, "alice", "AKIAALICE1")
	wantErrIs(t, "DeleteAccessKey twice", err, meta.ErrNotFound)
	keys, err := s.ListAccessKeys(ctx(t), registryID, "alice")
	wantNoErr(t, "ListAccessKeys", err)
	wantStrings(t, "ListAccessKeys(alice) after a delete", keyIDs(keys), []string{"AKIAALICE2"})
	wantNoErr(t, "DeleteAccessKey(root)", s.DeleteAccessKey(ctx(t), registryID, "", "AKIAROOT"))
	keys, err = s.ListAccessKeys(ctx(t), registryID, "")
	wantNoErr(t, "ListAccessKeys", err)
	wantStrings(t, "ListAccessKeys(root) after a delete", keyIDs(keys), nil)
	// The id is free again.
	mustKeys(t, s, meta.AccessKey{ID: "AKIAALICE1", AccountID: otherRegistry, UserName: "bob", CreatedAt: base})
}
